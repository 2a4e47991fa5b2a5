-- Landlord portal logins (src/portal/session.rs). The cookie carries a random token;
-- only its SHA-256 is stored, so a copy of the database opens no session. The CSRF
-- token of the session's forms is kept beside it.
CREATE TABLE portal_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX portal_sessions_user_idx ON portal_sessions (user_id);
