//! sumai-link (住まいリンク): registered rentals, matching, information-sharing
//! meetings and 生活サポートシート for housing people with disabilities.

pub mod accounts;
pub mod api_docs;
pub mod auth;
pub mod config;
pub mod datagen;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod maintenance;
pub mod memory;
pub mod metrics;
pub mod middleware;
pub mod notify;
pub mod openapi;
pub mod pdf;
pub mod portal;
pub mod reports;
pub mod routes;
pub mod search;
pub mod startup;
pub mod state;
pub mod telemetry;
