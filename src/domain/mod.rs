//! Pure domain logic: parsers that turn raw input into valid values, and rules. No I/O.

pub mod add_on;
pub mod audit_chain;
pub mod client;
pub mod council_report;
pub mod idempotency;
pub mod ids;
pub mod inquiry;
pub mod matching;
pub mod meeting;
pub mod month;
pub mod organization;
pub mod page;
pub mod rate_limit;
pub mod rental;
pub mod support_sheet;
pub mod time;
pub mod user;
pub mod validate;
pub mod year_month;
