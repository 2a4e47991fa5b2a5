-- Ids are UUID v7 as TEXT and times are UTC TIMESTAMP so that the same diesel schema
-- serves SQLite and PostgreSQL through one MultiConnection.
CREATE TABLE organizations (
    id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('support_office', 'housing_support_corp',
        'housing_support_council', 'council', 'landlord', 'real_estate_agent', 'operator')),
    name TEXT NOT NULL,
    prefecture_code TEXT,
    municipality_code TEXT,
    contact_email TEXT,
    phone TEXT,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_kind_idx ON organizations (kind, id);

CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
    password_hash TEXT NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization_idx ON users (organization_id, id);

CREATE TABLE api_keys (
    id TEXT NOT NULL PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
    prefix TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, id);

-- Refresh tokens rotate on every use; a family is one login. Reusing a spent token
-- revokes the whole family (RFC 9700 §4.14.2).
CREATE TABLE refresh_tokens (
    id TEXT NOT NULL PRIMARY KEY,
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT REFERENCES users (id),
    api_key_id TEXT REFERENCES api_keys (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    CHECK ((user_id IS NULL) <> (api_key_id IS NULL))
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Failed logins per e-mail address, known or not, so that the back-off works the same
-- for accounts that do not exist (no account enumeration) and across replicas.
CREATE TABLE login_throttle (
    email TEXT NOT NULL PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

-- Append-only record of who did what to which object.
CREATE TABLE audit_log (
    id TEXT NOT NULL PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    actor_api_key_id TEXT,
    actor_organization_id TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    request_id TEXT
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at);
