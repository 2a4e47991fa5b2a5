-- The audit log as a hash chain (src/db/audit_chain.rs, src/domain/audit_chain.rs).
-- Requests insert records unsealed; a sealer gives each its place (seq), the hash of
-- the record before it and its own hash, in one chain across every replica.
-- `audit_chain` holds the chain's head (the last sealed record) and its anchor (the
-- last record dropped by retention), so `sumai-link audit verify` can tell a deleted
-- or changed record from an old one that retention removed.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq_idx ON audit_log (seq);
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE seq IS NULL;

CREATE TABLE audit_chain (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    head_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    anchor_seq BIGINT NOT NULL,
    anchor_hash TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO audit_chain (id, head_seq, head_hash, anchor_seq, anchor_hash, updated_at)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0, '0000000000000000000000000000000000000000000000000000000000000000', now() AT TIME ZONE 'utc');

-- Append-only, enforced by the database too: a record may only be sealed once, and
-- deleted only when retention has moved the anchor past it.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.seq IS NOT NULL
           AND OLD.seq <= (SELECT anchor_seq FROM audit_chain WHERE id = 1) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: only records behind the retention anchor may be deleted';
    END IF;
    IF OLD.seq IS NOT NULL
       OR NEW.id IS DISTINCT FROM OLD.id
       OR NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
       OR NEW.actor_user_id IS DISTINCT FROM OLD.actor_user_id
       OR NEW.actor_api_key_id IS DISTINCT FROM OLD.actor_api_key_id
       OR NEW.actor_organization_id IS DISTINCT FROM OLD.actor_organization_id
       OR NEW.action IS DISTINCT FROM OLD.action
       OR NEW.object_type IS DISTINCT FROM OLD.object_type
       OR NEW.object_id IS DISTINCT FROM OLD.object_id
       OR NEW.outcome IS DISTINCT FROM OLD.outcome
       OR NEW.detail IS DISTINCT FROM OLD.detail
       OR NEW.request_id IS DISTINCT FROM OLD.request_id THEN
        RAISE EXCEPTION 'audit_log is append-only: a record is only ever sealed, once';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate();

CREATE FUNCTION audit_chain_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.head_seq < OLD.head_seq OR NEW.anchor_seq < OLD.anchor_seq THEN
        RAISE EXCEPTION 'audit_chain only moves forward';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_chain_forward_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_chain_forward_only();
