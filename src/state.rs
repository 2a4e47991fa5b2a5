//! What every handler shares: the database, the token issuer and the login policy.

use std::sync::Arc;

use crate::auth::jwt::TokenIssuer;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub tokens: Arc<TokenIssuer>,
    pub login_max_failures: i32,
    pub login_lockout_secs: i64,
}
