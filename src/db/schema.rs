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

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(rental_history -> rentals (rental_id));
diesel::joinable!(api_keys -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    api_keys,
    refresh_tokens,
    login_throttle,
    audit_log,
    rentals,
    rental_history
);
