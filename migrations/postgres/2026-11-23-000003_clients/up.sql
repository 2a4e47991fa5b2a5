-- Clients (利用者) of a support office, their needs, their consents, what was given to
-- whom under them (APPI 第三者提供記録), their inquiries for rentals, and webhooks.
-- Everything about a client is 要配慮個人情報: reads and writes are audit-logged.
CREATE TABLE clients (
    id TEXT NOT NULL PRIMARY KEY,
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    display_code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_kana TEXT,
    date_of_birth DATE NOT NULL,
    -- Bits of the rental Category set the client falls under (disability kinds,
    -- elderly, low income, …): the categories a landlord must accept.
    categories INTEGER NOT NULL,
    current_place TEXT NOT NULL CHECK (current_place IN ('hospital', 'institution', 'group_home', 'family', 'own_home', 'other')),
    current_place_note TEXT,
    target_move_date DATE,
    responsible_user_id TEXT REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('searching', 'housed', 'closed')),
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX clients_display_code_idx ON clients (office_org_id, display_code) WHERE deleted_at IS NULL;
CREATE INDEX clients_office_idx ON clients (office_org_id, id);

-- The services a client uses at the office, each with its period.
CREATE TABLE client_services (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    service TEXT NOT NULL CHECK (service IN ('planning_consultation', 'community_transition', 'community_settlement', 'independent_living_assistance')),
    starts_on DATE NOT NULL,
    ends_on DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX client_services_client_idx ON client_services (client_id);

-- One row per client: what the person needs of a home, and in their own words why.
CREATE TABLE client_needs (
    client_id TEXT NOT NULL PRIMARY KEY REFERENCES clients (id),
    max_monthly_total INTEGER NOT NULL,
    housing_allowance_limit INTEGER,
    municipalities TEXT NOT NULL,
    around_lat DOUBLE PRECISION,
    around_lon DOUBLE PRECISION,
    around_radius_m INTEGER,
    places TEXT NOT NULL,
    accessibility_musts INTEGER NOT NULL,
    min_area_m2 DOUBLE PRECISION,
    preferred_layouts TEXT NOT NULL,
    needs_pets BOOLEAN NOT NULL,
    ground_floor_or_elevator BOOLEAN NOT NULL,
    own_words TEXT,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by_user_id TEXT
);

-- Consents, per purpose (and recipient / sheet section); withdrawn, never deleted.
CREATE TABLE consents (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('share_with_corp', 'share_with_landlord', 'discuss_at_meetings', 'council_reports', 'support_sheet_section')),
    recipient_org_id TEXT REFERENCES organizations (id),
    sheet_section TEXT,
    method TEXT NOT NULL CHECK (method IN ('written', 'oral')),
    given_on DATE NOT NULL,
    recorded_by_user_id TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    withdrawn_by_user_id TEXT,
    note TEXT
);
CREATE INDEX consents_client_idx ON consents (client_id, purpose);

-- Every provision of a client's data to another organisation, kept three years.
CREATE TABLE provision_log (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    recipient_org_id TEXT NOT NULL REFERENCES organizations (id),
    consent_id TEXT NOT NULL REFERENCES consents (id),
    purpose TEXT NOT NULL,
    items TEXT NOT NULL,
    provided_at TIMESTAMP NOT NULL,
    provided_by_user_id TEXT,
    keep_until DATE NOT NULL
);
CREATE INDEX provision_log_client_idx ON provision_log (client_id, provided_at);

-- A client's application to a rental, and every step of it.
CREATE TABLE inquiries (
    id TEXT NOT NULL PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    rental_id TEXT NOT NULL REFERENCES rentals (id),
    office_org_id TEXT NOT NULL REFERENCES organizations (id),
    landlord_org_id TEXT NOT NULL REFERENCES organizations (id),
    agent_org_id TEXT REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'viewing_scheduled', 'applied', 'accepted', 'declined', 'moved_in', 'withdrawn')),
    viewing_at TIMESTAMP,
    decline_reason TEXT,
    decline_note TEXT,
    withdraw_reason TEXT,
    stalled_at TIMESTAMP,
    last_step_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX inquiries_client_idx ON inquiries (client_id);
CREATE INDEX inquiries_landlord_idx ON inquiries (landlord_org_id, status);
CREATE INDEX inquiries_office_idx ON inquiries (office_org_id, status);
CREATE INDEX inquiries_open_idx ON inquiries (status, last_step_at);

CREATE TABLE inquiry_events (
    id TEXT NOT NULL PRIMARY KEY,
    inquiry_id TEXT NOT NULL REFERENCES inquiries (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    by_user_id TEXT,
    by_org_id TEXT,
    note TEXT
);
CREATE INDEX inquiry_events_inquiry_idx ON inquiry_events (inquiry_id, at);

-- Webhook subscriptions and the outbox of deliveries, written in the same transaction
-- as the change they announce.
CREATE TABLE webhook_subscriptions (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by_user_id TEXT
);
CREATE INDEX webhook_subscriptions_org_idx ON webhook_subscriptions (org_id);

CREATE TABLE webhook_deliveries (
    id TEXT NOT NULL PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    last_status_code INTEGER,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at);
