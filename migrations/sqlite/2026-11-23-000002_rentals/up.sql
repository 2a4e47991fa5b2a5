-- Registered rentals (セーフティネット登録住宅): one row per unit, carrying its
-- building's facts so that a search reads one row. Sets of flags (accepted
-- categories, accessibility, landlord conditions) are bit masks; the API names them.
CREATE TABLE rentals (
    id TEXT NOT NULL PRIMARY KEY,
    owner_org_id TEXT NOT NULL REFERENCES organizations (id),
    agent_org_id TEXT REFERENCES organizations (id),
    registration_number TEXT NOT NULL,
    registration_date DATE NOT NULL,
    postal_code TEXT,
    prefecture_code TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    municipality_name TEXT NOT NULL,
    address_line TEXT NOT NULL,
    latitude DOUBLE,
    longitude DOUBLE,
    geocode_status TEXT NOT NULL CHECK (geocode_status IN ('provided', 'geocoded', 'pending', 'failed')),
    geocode_detail TEXT,
    building_name TEXT,
    structure TEXT NOT NULL,
    year_built INTEGER NOT NULL,
    quake_resistant BOOLEAN NOT NULL,
    floors_total INTEGER NOT NULL,
    unit_floor INTEGER NOT NULL,
    unit_number TEXT NOT NULL,
    elevator BOOLEAN NOT NULL,
    accessibility INTEGER NOT NULL,
    floor_area_m2 DOUBLE NOT NULL,
    layout TEXT NOT NULL,
    rent INTEGER NOT NULL,
    common_fee INTEGER NOT NULL,
    deposit INTEGER NOT NULL,
    key_money INTEGER NOT NULL,
    guarantor_accepted BOOLEAN NOT NULL,
    guarantee_company_accepted BOOLEAN NOT NULL,
    guarantee_companies TEXT NOT NULL,
    rent_reduction BOOLEAN NOT NULL,
    rent_reduction_yen INTEGER,
    accepted_categories INTEGER NOT NULL,
    conditions INTEGER NOT NULL,
    pets_allowed BOOLEAN NOT NULL,
    support_housing BOOLEAN NOT NULL,
    support_housing_corp_id TEXT REFERENCES organizations (id),
    support_housing_services TEXT NOT NULL,
    vacancy TEXT NOT NULL CHECK (vacancy IN ('vacant', 'occupied')),
    vacant_from DATE,
    photos TEXT NOT NULL,
    notes TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX rentals_owner_idx ON rentals (owner_org_id, id);
CREATE INDEX rentals_agent_idx ON rentals (agent_org_id, id);
-- Feeds the in-memory search index's catch-up poll.
CREATE INDEX rentals_updated_idx ON rentals (updated_at);
-- The covering index for database-side searches: vacant rows by place.
CREATE INDEX rentals_vacant_geo_idx ON rentals (vacancy, latitude, longitude, rent, common_fee, floor_area_m2, accepted_categories);
CREATE INDEX rentals_municipality_idx ON rentals (municipality_code, vacancy);
-- A deleted rental frees its registration number for a new registration.
CREATE UNIQUE INDEX rentals_registration_idx ON rentals (registration_number, unit_number) WHERE deleted_at IS NULL;
-- What the background geocoder still has to place.
CREATE INDEX rentals_geocode_pending_idx ON rentals (id) WHERE geocode_status = 'pending' AND deleted_at IS NULL;

-- Every version of every rental, kept when it changes or is deleted.
CREATE TABLE rental_history (
    id TEXT NOT NULL PRIMARY KEY,
    rental_id TEXT NOT NULL REFERENCES rentals (id),
    version INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'import')),
    changed_by_user_id TEXT,
    changed_by_org_id TEXT,
    changed_at TIMESTAMP NOT NULL,
    snapshot TEXT NOT NULL
);
CREATE INDEX rental_history_rental_idx ON rental_history (rental_id, version);
