CREATE INDEX rentals_vacant_geo_idx ON rentals (vacancy, latitude, longitude, rent, common_fee, floor_area_m2, accepted_categories);
DROP TABLE rental_imports;
