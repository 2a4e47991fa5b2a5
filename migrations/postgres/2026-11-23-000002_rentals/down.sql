DROP TABLE rental_history;
DROP TABLE rentals;
