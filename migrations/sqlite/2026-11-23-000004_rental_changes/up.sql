-- See the PostgreSQL migration. SQLite has one writer at a time, so rowid order is
-- commit order; AUTOINCREMENT keeps a pruned seq from being reused.
CREATE TABLE rental_changes (
    seq INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    first_id TEXT NOT NULL,
    last_id TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX rental_changes_changed_at_idx ON rental_changes (changed_at);

-- The index polled by timestamp before the log existed; nothing reads by it now, and
-- every import paid for it.
DROP INDEX rentals_updated_idx;
