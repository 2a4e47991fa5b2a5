// Kept by hand: it must hold only the SQL types both backends share (TEXT ids,
// TIMESTAMP in UTC), so never regenerate it from PostgreSQL.
diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        prefecture_code -> Nullable<Text>,
        municipality_code -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        phone -> Nullable<Text>,
        is_active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        password_hash -> Text,
        is_active -> Bool,
        last_login_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        role -> Text,
        prefix -> Text,
        secret_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        token_hash -> Text,
        user_id -> Nullable<Text>,
        api_key_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (email) {
        email -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        actor_api_key_id -> Nullable<Text>,
        actor_organization_id -> Nullable<Text>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        outcome -> Text,
        detail -> Text,
        request_id -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> Text,
        principal -> Text,
        key -> Text,
        fingerprint -> Text,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Binary>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_chain (id) {
        id -> BigInt,
        head_seq -> BigInt,
        head_hash -> Text,
        anchor_seq -> BigInt,
        anchor_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rentals (id) {
        id -> Text,
        owner_org_id -> Text,
        agent_org_id -> Nullable<Text>,
        registration_number -> Text,
        registration_date -> Date,
        postal_code -> Nullable<Text>,
        prefecture_code -> Text,
        municipality_code -> Text,
        municipality_name -> Text,
        address_line -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        geocode_status -> Text,
        geocode_detail -> Nullable<Text>,
        building_name -> Nullable<Text>,
        structure -> Text,
        year_built -> Integer,
        quake_resistant -> Bool,
        floors_total -> Integer,
        unit_floor -> Integer,
        unit_number -> Text,
        elevator -> Bool,
        accessibility -> Integer,
        floor_area_m2 -> Double,
        layout -> Text,
        rent -> Integer,
        common_fee -> Integer,
        deposit -> Integer,
        key_money -> Integer,
        guarantor_accepted -> Bool,
        guarantee_company_accepted -> Bool,
        guarantee_companies -> Text,
        rent_reduction -> Bool,
        rent_reduction_yen -> Nullable<Integer>,
        accepted_categories -> Integer,
        conditions -> Integer,
        pets_allowed -> Bool,
        support_housing -> Bool,
        support_housing_corp_id -> Nullable<Text>,
        support_housing_services -> Text,
        vacancy -> Text,
        vacant_from -> Nullable<Date>,
        photos -> Text,
        notes -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rental_history (id) {
        id -> Text,
        rental_id -> Text,
        version -> Integer,
        action -> Text,
        changed_by_user_id -> Nullable<Text>,
        changed_by_org_id -> Nullable<Text>,
        changed_at -> Timestamp,
        snapshot -> Text,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        office_org_id -> Text,
        display_code -> Text,
        name -> Text,
        name_kana -> Nullable<Text>,
        date_of_birth -> Date,
        categories -> Integer,
        current_place -> Text,
        current_place_note -> Nullable<Text>,
        target_move_date -> Nullable<Date>,
        responsible_user_id -> Nullable<Text>,
        status -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    client_services (id) {
        id -> Text,
        client_id -> Text,
        service -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    client_needs (client_id) {
        client_id -> Text,
        max_monthly_total -> Integer,
        housing_allowance_limit -> Nullable<Integer>,
        municipalities -> Text,
        around_lat -> Nullable<Double>,
        around_lon -> Nullable<Double>,
        around_radius_m -> Nullable<Integer>,
        places -> Text,
        accessibility_musts -> Integer,
        min_area_m2 -> Nullable<Double>,
        preferred_layouts -> Text,
        needs_pets -> Bool,
        ground_floor_or_elevator -> Bool,
        own_words -> Nullable<Text>,
        version -> Integer,
        updated_at -> Timestamp,
        updated_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    consents (id) {
        id -> Text,
        client_id -> Text,
        purpose -> Text,
        recipient_org_id -> Nullable<Text>,
        sheet_section -> Nullable<Text>,
        method -> Text,
        given_on -> Date,
        recorded_by_user_id -> Text,
        recorded_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by_user_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    provision_log (id) {
        id -> Text,
        client_id -> Text,
        recipient_org_id -> Text,
        consent_id -> Text,
        purpose -> Text,
        items -> Text,
        provided_at -> Timestamp,
        provided_by_user_id -> Nullable<Text>,
        keep_until -> Date,
    }
}

diesel::table! {
    inquiries (id) {
        id -> Text,
        client_id -> Text,
        rental_id -> Text,
        office_org_id -> Text,
        landlord_org_id -> Text,
        agent_org_id -> Nullable<Text>,
        status -> Text,
        viewing_at -> Nullable<Timestamp>,
        decline_reason -> Nullable<Text>,
        decline_note -> Nullable<Text>,
        withdraw_reason -> Nullable<Text>,
        stalled_at -> Nullable<Timestamp>,
        last_step_at -> Timestamp,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    inquiry_events (id) {
        id -> Text,
        inquiry_id -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        at -> Timestamp,
        by_user_id -> Nullable<Text>,
        by_org_id -> Nullable<Text>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_subscriptions (id) {
        id -> Text,
        org_id -> Text,
        url -> Text,
        secret -> Text,
        events -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
        created_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        subscription_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        last_status_code -> Nullable<Integer>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rental_changes (seq) {
        seq -> BigInt,
        first_id -> Text,
        last_id -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    office_setups (office_org_id) {
        office_org_id -> Text,
        partner_org_id -> Text,
        partnership_since -> Date,
        published_on -> Nullable<Date>,
        notified_on -> Nullable<Date>,
        services -> Text,
        version -> Integer,
        updated_at -> Timestamp,
        updated_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    month_closures (id) {
        id -> Text,
        office_org_id -> Text,
        month -> Text,
        closed_at -> Timestamp,
        closed_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        office_org_id -> Text,
        held_at -> Timestamp,
        held_on -> Date,
        format -> Text,
        attendees -> Text,
        agenda -> Nullable<Text>,
        issue_categories -> Text,
        issues_note -> Nullable<Text>,
        minutes_version -> Integer,
        version -> Integer,
        created_at -> Timestamp,
        created_by_user_id -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meeting_partners (id) {
        id -> Text,
        meeting_id -> Text,
        partner_org_id -> Text,
    }
}

diesel::table! {
    meeting_clients (id) {
        id -> Text,
        meeting_id -> Text,
        client_id -> Text,
        consent_id -> Text,
    }
}

diesel::table! {
    meeting_minutes (id) {
        id -> Text,
        meeting_id -> Text,
        version -> Integer,
        text -> Text,
        written_at -> Timestamp,
        written_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    meeting_amendments (id) {
        id -> Text,
        meeting_id -> Text,
        fields -> Text,
        change -> Text,
        reason -> Text,
        made_at -> Timestamp,
        made_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    guidance_sessions (id) {
        id -> Text,
        office_org_id -> Text,
        corp_org_id -> Text,
        client_id -> Text,
        consent_id -> Text,
        held_on -> Date,
        explained -> Text,
        created_at -> Timestamp,
        created_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    council_reports (id) {
        id -> Text,
        office_org_id -> Text,
        council_org_id -> Text,
        title -> Text,
        issue_categories -> Text,
        issues_text -> Text,
        status -> Text,
        submitted_on -> Nullable<Date>,
        submitted_at -> Nullable<Timestamp>,
        submitted_by_user_id -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        created_by_user_id -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    council_report_sources (id) {
        id -> Text,
        report_id -> Text,
        meeting_id -> Nullable<Text>,
        guidance_session_id -> Nullable<Text>,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(rental_history -> rentals (rental_id));
diesel::joinable!(client_services -> clients (client_id));
diesel::joinable!(client_needs -> clients (client_id));
diesel::joinable!(consents -> clients (client_id));
diesel::joinable!(inquiries -> clients (client_id));
diesel::joinable!(inquiries -> rentals (rental_id));
diesel::joinable!(inquiry_events -> inquiries (inquiry_id));
diesel::joinable!(webhook_deliveries -> webhook_subscriptions (subscription_id));
diesel::joinable!(api_keys -> organizations (organization_id));
diesel::joinable!(meeting_partners -> meetings (meeting_id));
diesel::joinable!(meeting_clients -> meetings (meeting_id));
diesel::joinable!(meeting_clients -> clients (client_id));
diesel::joinable!(meeting_minutes -> meetings (meeting_id));
diesel::joinable!(meeting_amendments -> meetings (meeting_id));
diesel::joinable!(council_report_sources -> council_reports (report_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    api_keys,
    refresh_tokens,
    login_throttle,
    audit_log,
    audit_chain,
    idempotency_keys,
    rentals,
    rental_history,
    rental_changes,
    clients,
    client_services,
    client_needs,
    consents,
    provision_log,
    inquiries,
    inquiry_events,
    webhook_subscriptions,
    webhook_deliveries,
    office_setups,
    month_closures,
    meetings,
    meeting_partners,
    meeting_clients,
    meeting_minutes,
    meeting_amendments,
    guidance_sessions,
    council_reports,
    council_report_sources,
    compliance_warnings,
    support_sheets,
    support_sheet_versions,
    support_sheet_concerns,
    rental_imports,
    portal_sessions
);

diesel::table! {
    compliance_warnings (office_org_id, month) {
        office_org_id -> Text,
        month -> Text,
        days_left -> Integer,
        warned_at -> Timestamp,
    }
}

diesel::table! {
    support_sheets (id) {
        id -> Text,
        client_id -> Text,
        office_org_id -> Text,
        latest_version -> Integer,
        published_version -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    support_sheet_versions (sheet_id, version) {
        sheet_id -> Text,
        version -> Integer,
        sections -> Text,
        note -> Nullable<Text>,
        author_user_id -> Text,
        author_org_id -> Text,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        published_by_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    support_sheet_concerns (id) {
        id -> Text,
        sheet_id -> Text,
        sheet_version -> Integer,
        kind -> Text,
        note -> Nullable<Text>,
        observed_on -> Date,
        reported_by_org_id -> Text,
        reported_by_user_id -> Nullable<Text>,
        reported_at -> Timestamp,
        routed_to -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by_user_id -> Nullable<Text>,
    }
}

diesel::joinable!(support_sheet_versions -> support_sheets (sheet_id));
diesel::joinable!(support_sheet_concerns -> support_sheets (sheet_id));

diesel::table! {
    rental_imports (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Nullable<Text>,
        imported_at -> Timestamp,
        first_rental_id -> Text,
        last_rental_id -> Text,
        rows -> Integer,
    }
}

diesel::table! {
    portal_sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}
