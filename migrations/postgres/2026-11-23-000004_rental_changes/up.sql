-- The commit-ordered log of changes to rentals that keeps every replica's search index
-- current. A writer takes a transaction-level advisory lock before its INSERT here and
-- holds it until it commits, so sequence order is commit order and a reader that has
-- seen `seq` N has seen every change committed before it: polling `seq > N` misses
-- nothing, however long the writing transaction ran (a timestamp watermark would miss
-- an import that commits a minute after its rows were stamped).
-- A row names a range of rental ids (UUIDv7, so one import is one row) or one id.
CREATE TABLE rental_changes (
    seq BIGSERIAL NOT NULL PRIMARY KEY,
    first_id TEXT NOT NULL,
    last_id TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX rental_changes_changed_at_idx ON rental_changes (changed_at);

-- The index polled by timestamp before the log existed; nothing reads by it now, and
-- every import paid for it.
DROP INDEX rentals_updated_idx;
