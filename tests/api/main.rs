//! Black-box tests: the real server on a random port against a fresh database per test.
//! Runs on SQLite by default and on PostgreSQL when `SUMAI_TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod api_keys;
mod audit;
mod auth;
mod backup;
mod cli;
mod clients;
mod compliance;
mod councils;
mod durability;
mod errors;
mod fuzz_findings;
mod geocoder;
mod health;
mod helpers;
mod idempotency;
mod inquiries;
mod limits;
mod matches;
mod meetings;
mod migrations;
mod openapi;
mod organizations;
mod portal;
mod portal_browser;
mod rental_import;
mod rental_search;
mod rentals;
mod security_headers;
mod shutdown;
mod support_sheets;
mod users;
mod webhooks;
