//! Request middleware: idempotency keys on the API's writes, rate limits, the headers of
//! deprecated operations, and the cut-off for request bodies that stop arriving.

pub mod body_timeout;
pub mod contract;
pub mod deprecation;
pub mod idempotency;
pub mod rate_limit;
