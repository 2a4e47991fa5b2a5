-- An import is recorded once (who, when, which id range) instead of one history row per
-- rental: version 1 of an imported rental is that record, until a change replaces it
-- and its snapshot is written to rental_history (db::rentals::replace).
CREATE TABLE rental_imports (
    id TEXT NOT NULL PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT,
    imported_at TIMESTAMP NOT NULL,
    first_rental_id TEXT NOT NULL,
    last_rental_id TEXT NOT NULL,
    rows INTEGER NOT NULL
);
CREATE INDEX rental_imports_range_idx ON rental_imports (first_rental_id, last_rental_id);

-- Searches run on the in-memory index (src/search): this covering index only cost every
-- insert (a random position in a seven-column key) and served no query.
DROP INDEX rentals_vacant_geo_idx;
