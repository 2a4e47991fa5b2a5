//! Portal logins: a random token in an HttpOnly cookie, its SHA-256 in
//! `portal_sessions` beside the CSRF token of the session's forms. The session makes the
//! same [`Caller`] an access token would, so the portal obeys the API's access policy.
//!
//! Cookies are `SameSite=Lax` (a link from an e-mail still opens the portal logged in;
//! a cross-site form post does not carry the cookie), `Secure` when the request came
//! over TLS (directly or as the proxy's `X-Forwarded-Proto`/`Forwarded` say), and every
//! form that changes something carries the CSRF token, checked in constant time.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::{Duration, NaiveDateTime};
use subtle::ConstantTimeEq;

use super::PortalError;
use crate::auth::secret_token::{random_hex, sha256_hex};
use crate::auth::{Caller, Subject};
use crate::db::portal_sessions::{self, SessionRow};
use crate::db::{self, organizations, users};
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The session cookie.
pub const COOKIE: &str = "sumai_portal";
/// The login form's CSRF cookie (double submit: there is no session yet).
pub const LOGIN_CSRF_COOKIE: &str = "sumai_portal_login";

/// A session ends after this long without a page view…
const IDLE: Duration = Duration::hours(2);
/// …and in any case this long after the login.
const ABSOLUTE: Duration = Duration::hours(12);
/// A page view moves the idle expiry only when the last one is this old.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Who may use the portal: landlords and the real-estate agents acting for them.
pub fn portal_kind(kind: OrgKind) -> bool {
    matches!(kind, OrgKind::Landlord | OrgKind::RealEstateAgent)
}

/// A logged-in portal user.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub caller: Caller,
    pub user_id: String,
    pub user_name: String,
    pub email: String,
    pub org_name: String,
    pub csrf: String,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.caller.role == Role::Admin
    }

    pub fn is_agent(&self) -> bool {
        self.caller.org_kind == OrgKind::RealEstateAgent
    }

    /// Refuses a form whose token is not this session's (403).
    pub fn check_csrf(&self, sent: &str) -> Result<(), PortalError> {
        if tokens_match(&self.csrf, sent) {
            Ok(())
        } else {
            Err(PortalError::Csrf)
        }
    }

    /// The page chrome's view of the user.
    pub fn nav(&self) -> Nav {
        Nav {
            user_name: self.user_name.clone(),
            org_name: self.org_name.clone(),
            csrf: self.csrf.clone(),
            admin: self.is_admin(),
        }
    }
}

/// What every logged-in page shows in its header.
#[derive(Debug, Clone)]
pub struct Nav {
    pub user_name: String,
    pub org_name: String,
    pub csrf: String,
    pub admin: bool,
}

pub fn tokens_match(expected: &str, sent: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.trim().as_bytes()))
}

/// Whether the request reached us (or the proxy in front) over TLS.
pub fn over_tls(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn cookie<'c>(req: &HttpRequest, name: &'c str, value: String, max_age: Duration) -> Cookie<'c> {
    Cookie::build(name, value)
        .path("/portal")
        .http_only(true)
        .secure(over_tls(req))
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(max_age.num_seconds()))
        .finish()
}

pub fn session_cookie(req: &HttpRequest, token: String) -> Cookie<'static> {
    cookie(req, COOKIE, token, ABSOLUTE)
}

pub fn login_csrf_cookie(req: &HttpRequest, token: String) -> Cookie<'static> {
    let mut c = cookie(req, LOGIN_CSRF_COOKIE, token, Duration::hours(1));
    c.set_same_site(SameSite::Strict);
    c
}

/// A cookie that removes `name`.
pub fn expired(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(req, name, String::new(), Duration::zero());
    c.make_removal();
    c
}

/// Opens a session for a user whose password was just verified; returns the cookie
/// token (only its hash is stored).
pub fn open(conn: &mut db::DbConn, user_id: &str, now: NaiveDateTime) -> ApiResult<String> {
    let token = random_hex(32)?;
    portal_sessions::insert(
        conn,
        &SessionRow {
            id: db::new_id(),
            token_hash: sha256_hex(&token),
            user_id: user_id.to_owned(),
            csrf_token: random_hex(32)?,
            created_at: now,
            last_seen_at: now,
            expires_at: now + IDLE,
        },
    )?;
    // Now and then, sweep the expired sessions of everyone.
    if token.starts_with("00") {
        portal_sessions::delete_expired(conn, now)?;
    }
    Ok(token)
}

/// The session of the request's cookie, checked against the user and organisation as
/// they are now (a deactivated user or organisation is logged out at once).
async fn resolve(state: &AppState, token: Option<String>) -> ApiResult<Option<Session>> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let hash = sha256_hex(&token);
    state
        .db
        .run(move |conn| {
            let now = db::now();
            let Some(s) = portal_sessions::find_live(conn, &hash, now)? else {
                return Ok(None);
            };
            let user = users::find(conn, &s.user_id)?;
            let org = organizations::find(conn, &user.organization_id)?;
            let kind = OrgKind::parse(&org.kind).map_err(ApiError::internal)?;
            if !user.is_active || !org.is_active || !portal_kind(kind) {
                portal_sessions::delete(conn, &s.id)?;
                return Ok(None);
            }
            if now - s.last_seen_at >= TOUCH_EVERY {
                let until = (now + IDLE).min(s.created_at + ABSOLUTE);
                portal_sessions::touch(conn, &s.id, now, until)?;
            }
            Ok(Some(Session {
                id: s.id,
                caller: Caller {
                    subject: Subject::User(user.id.parse().map_err(ApiError::internal)?),
                    organization_id: org.id.parse().map_err(ApiError::internal)?,
                    org_kind: kind,
                    role: Role::parse(&user.role).map_err(ApiError::internal)?,
                },
                user_id: user.id,
                user_name: user.display_name,
                email: user.email,
                org_name: org.name,
                csrf: s.csrf_token,
            }))
        })
        .await
}

impl FromRequest for Session {
    type Error = PortalError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(COOKIE).map(|c| c.value().to_owned());
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/portal".into());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("no app state"))?;
            match resolve(&state, token).await? {
                Some(s) => Ok(s),
                None => Err(PortalError::LoginRequired(next)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(tokens_match("abc123", "abc123"));
        assert!(!tokens_match("abc123", "abc124"));
        assert!(!tokens_match("abc123", ""));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn only_landlords_and_agents_use_the_portal() {
        assert!(portal_kind(OrgKind::Landlord));
        assert!(portal_kind(OrgKind::RealEstateAgent));
        assert!(!portal_kind(OrgKind::SupportOffice));
        assert!(!portal_kind(OrgKind::Operator));
    }
}
