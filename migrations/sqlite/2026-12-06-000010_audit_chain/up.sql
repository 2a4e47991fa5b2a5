-- The audit log as a hash chain (src/db/audit_chain.rs, src/domain/audit_chain.rs).
-- Requests insert records unsealed; a sealer gives each its place (seq), the hash of
-- the record before it and its own hash. `audit_chain` holds the chain's head (the last
-- sealed record) and its anchor (the last record dropped by retention), so
-- `sumai-link audit verify` can tell a deleted or changed record from an old one that
-- retention removed.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq_idx ON audit_log (seq);
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE seq IS NULL;

CREATE TABLE audit_chain (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    head_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    anchor_seq BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash, updated_at)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, '0000000000000000000000000000000000000000000000000000000000000000', strftime('%Y-%m-%d %H:%M:%f', 'now'));

-- Append-only, enforced by the database too: a record may only be sealed once, and
-- deleted only when retention has moved the anchor past it.
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
WHEN OLD.seq IS NOT NULL
  OR NEW.id IS NOT OLD.id
  OR NEW.occurred_at IS NOT OLD.occurred_at
  OR NEW.actor_user_id IS NOT OLD.actor_user_id
  OR NEW.actor_api_key_id IS NOT OLD.actor_api_key_id
  OR NEW.actor_organization_id IS NOT OLD.actor_organization_id
  OR NEW.action IS NOT OLD.action
  OR NEW.object_type IS NOT OLD.object_type
  OR NEW.object_id IS NOT OLD.object_id
  OR NEW.outcome IS NOT OLD.outcome
  OR NEW.detail IS NOT OLD.detail
  OR NEW.request_id IS NOT OLD.request_id
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: a record is only ever sealed, once');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
WHEN OLD.seq IS NULL OR OLD.seq > (SELECT anchor_seq FROM audit_chain WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: only records behind the retention anchor may be deleted');
END;
CREATE TRIGGER audit_chain_forward_only_update BEFORE UPDATE ON audit_chain
WHEN NEW.head_seq < OLD.head_seq OR NEW.anchor_seq < OLD.anchor_seq
BEGIN
    SELECT RAISE(ABORT, 'audit_chain only moves forward');
END;
CREATE TRIGGER audit_chain_forward_only_delete BEFORE DELETE ON audit_chain
BEGIN
    SELECT RAISE(ABORT, 'audit_chain only moves forward');
END;
