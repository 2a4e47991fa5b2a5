//! What every handler shares: the database, the token issuer and the login policy.

use std::sync::Arc;

use crate::auth::jwt::TokenIssuer;
use crate::db::Db;
use crate::domain::add_on::RuleBook;
use crate::notify::geocoder::Geocoder;
use crate::pdf::PdfRenderer;
use crate::search::RentalIndex;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: Arc<TokenIssuer>,
    pub rentals: Arc<RentalIndex>,
    pub geocoder: Arc<Geocoder>,
    /// The fee rules of every revision, as built into the binary.
    pub rules: Arc<RuleBook>,
    /// Days left in a month from which an office without its meeting is warned.
    pub compliance_warn_days: u32,
    pub login_max_failures: i32,
    pub login_lockout_secs: i64,
    /// The largest CSV body `POST /rentals/import` accepts.
    pub import_max_bytes: u64,
    /// Lays out PDF documents; built once (it holds the fonts and typst's caches).
    pub pdf: Arc<PdfRenderer>,
    /// How long a stored answer to an `Idempotency-Key` is replayed.
    pub idempotency_ttl_hours: i64,
    /// The largest JSON body (413 beyond).
    pub body_limit_bytes: usize,
    /// A request body silent for this long is cut off (408).
    pub body_idle_timeout: std::time::Duration,
    /// Per-replica buckets of the rate limits.
    pub rate_limiter: Arc<crate::middleware::rate_limit::RateLimiter>,
}
