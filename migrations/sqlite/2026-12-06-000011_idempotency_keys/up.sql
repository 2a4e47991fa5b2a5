-- Idempotency-Key on writes (src/middleware/idempotency.rs): the first request with a
-- key claims it (in_progress), its write transaction marks it committed, and its answer
-- is kept so that a retry gets the same answer instead of a second object.
CREATE TABLE idempotency_keys (
    id TEXT NOT NULL PRIMARY KEY,
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'committed', 'done')),
    response_status INTEGER,
    response_headers TEXT,
    response_body BLOB,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    UNIQUE (principal, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
