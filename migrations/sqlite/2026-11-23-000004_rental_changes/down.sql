CREATE INDEX rentals_updated_idx ON rentals (updated_at);
DROP TABLE rental_changes;
