//! `/auth/token`, `/auth/refresh`, `/auth/logout`: password and API-key logins, and the
//! rotating refresh tokens behind them.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Subject;
use crate::auth::password;
use crate::auth::secret_token::{random_hex, sha256_hex, split_api_key};
use crate::db::refresh_tokens::RefreshToken;
use crate::db::{
    self, DbConn, api_keys, audit, login_throttle, organizations, refresh_tokens, users,
};
use crate::domain::organization::OrgKind;
use crate::domain::user::Role;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// A token request, by `grant_type`.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "grant_type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TokenRequest {
    /// A person signs in.
    Password { email: String, password: String },
    /// A machine client of an organisation signs in with its API key.
    ApiKey { api_key: String },
    /// A refresh token is exchanged for new tokens (it is spent by this).
    RefreshToken { refresh_token: String },
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenRequest(..)")
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires (at most 900).
    pub expires_in: i64,
    /// Opaque, single use: exchange it for new tokens before it expires.
    pub refresh_token: String,
}

const WRONG_CREDENTIALS: &str = "the e-mail address or password is wrong";

/// Signs in and returns an access token and a refresh token.
#[utoipa::path(tag = "auth", operation_id = "auth_token", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 429, body = Problem, content_type = "application/problem+json", description = "too many failed logins; see Retry-After"),
), security(()))]
#[post("/auth/token")]
pub async fn post_token(
    state: web::Data<AppState>,
    body: web::Json<TokenRequest>,
) -> ApiResult<HttpResponse> {
    let response = match body.into_inner() {
        TokenRequest::Password { email, password } => {
            password_grant(&state, email, password).await?
        }
        TokenRequest::ApiKey { api_key } => api_key_grant(&state, api_key).await?,
        TokenRequest::RefreshToken { refresh_token } => {
            refresh_grant(&state, refresh_token).await?
        }
    };
    Ok(no_store(response))
}

/// Exchanges a refresh token for new tokens; the old one is spent. Presenting a spent
/// token again revokes the whole login.
#[utoipa::path(tag = "auth", operation_id = "auth_refresh", request_body = RefreshRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, body = Problem, content_type = "application/problem+json"),
), security(()))]
#[post("/auth/refresh")]
pub async fn post_refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let response = refresh_grant(&state, body.into_inner().refresh_token).await?;
    Ok(no_store(response))
}

/// Ends the login the refresh token belongs to: it and every token rotated from it stop
/// working.
#[utoipa::path(tag = "auth", operation_id = "auth_logout", request_body = RefreshRequest, responses(
    (status = 204, description = "logged out (also when the token was already revoked or unknown)"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(()))]
#[post("/auth/logout")]
pub async fn post_logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    if token.trim().is_empty() {
        return Err(ApiError::field("refresh_token", "must not be empty"));
    }
    let hash = sha256_hex(token.trim());
    state
        .db
        .transaction(move |conn| {
            if let Some(t) = refresh_tokens::find_by_hash(conn, &hash)? {
                refresh_tokens::revoke_family(conn, &t.family_id, db::now())?;
                audit::write(
                    conn,
                    audit::Entry {
                        actor: None,
                        action: "logout",
                        object_type: subject_type(&t),
                        object_id: t.user_id.clone().or(t.api_key_id.clone()),
                        outcome: "ok",
                        detail: serde_json::json!({ "family_id": t.family_id }),
                    },
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn no_store(body: TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

fn subject_type(t: &RefreshToken) -> &'static str {
    if t.user_id.is_some() {
        "user"
    } else {
        "api_key"
    }
}

/// Checks a person's e-mail and password (API and portal logins alike): refused while
/// the address is locked (429), and every failure counts towards the lock and is
/// audited. Returns the active user and its active organisation.
pub async fn check_password(
    state: &AppState,
    email: String,
    password: String,
) -> ApiResult<(users::User, organizations::Organization)> {
    let mut missing = crate::domain::validate::Fields::new();
    if email.trim().is_empty() {
        missing.push("email", "must not be empty");
    }
    if password.is_empty() {
        missing.push("password", "must not be empty");
    }
    missing.finish()?;
    let email = email.trim().to_lowercase();

    // Read and verify outside the write transaction: Argon2 is slow on purpose and
    // must not hold SQLite's writer lock.
    let lookup_email = email.clone();
    let (throttle, user) = state
        .db
        .run(move |conn| {
            let throttle = login_throttle::find(conn, &lookup_email)?;
            let user = users::find_by_email(conn, &lookup_email)?;
            let org = match &user {
                Some(u) => Some(organizations::find(conn, &u.organization_id)?),
                None => None,
            };
            Ok((throttle, user.zip(org)))
        })
        .await?;
    let now = db::now();
    if let Some(until) = throttle.and_then(|t| t.locked_until).filter(|u| *u > now) {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1),
            detail: "too many failed logins for this address; try again later".into(),
        });
    }
    let phc = user
        .as_ref()
        .map_or(password::dummy_hash().to_owned(), |(u, _)| {
            u.password_hash.clone()
        });
    let verified = web::block(move || password::verify(&password, &phc)).await?;
    let usable = user.filter(|(u, o)| verified && u.is_active && o.is_active);

    let (max, base) = (state.login_max_failures, state.login_lockout_secs);
    let Some((user, org)) = usable else {
        state
            .db
            .transaction(move |conn| {
                login_throttle::record_failure(conn, &email, db::now(), max, base)?;
                audit::write(
                    conn,
                    audit::Entry {
                        actor: None,
                        action: "login_failed",
                        object_type: "user",
                        object_id: None,
                        outcome: "denied",
                        detail: serde_json::json!({ "email_sha256": sha256_hex(&email) }),
                    },
                )?;
                Ok(())
            })
            .await?;
        return Err(ApiError::Unauthorized(WRONG_CREDENTIALS.into()));
    };

    Ok((user, org))
}

async fn password_grant(
    state: &AppState,
    email: String,
    password: String,
) -> ApiResult<TokenResponse> {
    let (user, org) = check_password(state, email, password).await?;
    let email = user.email.clone();
    let kind = OrgKind::parse(&org.kind).map_err(ApiError::internal)?;
    let role = Role::parse(&user.role).map_err(ApiError::internal)?;
    let user_id = user.id.parse().map_err(ApiError::internal)?;
    let refresh = state
        .db
        .transaction({
            let ttl = state.tokens.refresh_ttl_secs;
            move |conn| {
                login_throttle::clear(conn, &email)?;
                users::record_login(conn, &user.id, db::now())?;
                audit::write(
                    conn,
                    audit::Entry {
                        actor: None,
                        action: "login",
                        object_type: "user",
                        object_id: Some(user.id.clone()),
                        outcome: "ok",
                        detail: serde_json::json!({ "grant": "password" }),
                    },
                )?;
                start_family(conn, Some(user.id.clone()), None, ttl)
            }
        })
        .await?;
    issue(state, Subject::User(user_id), &org.id, kind, role, refresh)
}

async fn api_key_grant(state: &AppState, api_key: String) -> ApiResult<TokenResponse> {
    let invalid = || ApiError::Unauthorized("the API key is wrong, expired or revoked".into());
    let Some(parts) = split_api_key(&api_key) else {
        return Err(invalid());
    };
    let prefix = parts.prefix.to_owned();
    let secret = parts.secret.to_owned();
    let found = state
        .db
        .run(move |conn| {
            let key = api_keys::find_by_prefix(conn, &prefix)?;
            let org = match &key {
                Some(k) => Some(organizations::find(conn, &k.organization_id)?),
                None => None,
            };
            Ok(key.zip(org))
        })
        .await?;
    let Some((key, org)) = found else {
        return Err(invalid());
    };
    let phc = key.secret_hash.clone();
    let verified = web::block(move || password::verify(&secret, &phc)).await?;
    if !verified || !key.is_usable(db::now()) || !org.is_active {
        return Err(invalid());
    }
    let kind = OrgKind::parse(&org.kind).map_err(ApiError::internal)?;
    let role = Role::parse(&key.role).map_err(ApiError::internal)?;
    let key_id = key.id.parse().map_err(ApiError::internal)?;
    let ttl = state.tokens.refresh_ttl_secs;
    let refresh = state
        .db
        .transaction(move |conn| {
            api_keys::touch(conn, &key.id, db::now())?;
            audit::write(
                conn,
                audit::Entry {
                    actor: None,
                    action: "login",
                    object_type: "api_key",
                    object_id: Some(key.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "grant": "api_key" }),
                },
            )?;
            start_family(conn, None, Some(key.id.clone()), ttl)
        })
        .await?;
    issue(state, Subject::ApiKey(key_id), &org.id, kind, role, refresh)
}

/// What a refresh resolved to: the new token, or the reason it was refused. A refusal
/// still commits (the family revocation must stick), so it is a value, not an error.
enum Rotation {
    Rotated {
        refresh: String,
        subject: Subject,
        org_id: String,
        kind: OrgKind,
        role: Role,
    },
    Refused(&'static str),
}

async fn refresh_grant(state: &AppState, token: String) -> ApiResult<TokenResponse> {
    let hash = sha256_hex(token.trim());
    let ttl = state.tokens.refresh_ttl_secs;
    let rotation = state
        .db
        .transaction(move |conn| rotate(conn, &hash, ttl))
        .await?;
    match rotation {
        Rotation::Rotated {
            refresh,
            subject,
            org_id,
            kind,
            role,
        } => issue(state, subject, &org_id, kind, role, refresh),
        Rotation::Refused(why) => Err(ApiError::Unauthorized(why.into())),
    }
}

fn rotate(conn: &mut DbConn, hash: &str, ttl: i64) -> ApiResult<Rotation> {
    let now = db::now();
    let Some(old) = refresh_tokens::find_by_hash(conn, hash)? else {
        return Ok(Rotation::Refused("the refresh token is unknown"));
    };
    if old.revoked_at.is_some() {
        return Ok(Rotation::Refused(
            "the refresh token was revoked; sign in again",
        ));
    }
    if old.used_at.is_some() || !refresh_tokens::mark_used(conn, &old.id, now)? {
        // A spent token came back: someone holds a copy. End the whole login.
        refresh_tokens::revoke_family(conn, &old.family_id, now)?;
        audit::write(
            conn,
            audit::Entry {
                actor: None,
                action: "refresh_token_reuse",
                object_type: subject_type(&old),
                object_id: old.user_id.clone().or(old.api_key_id.clone()),
                outcome: "denied",
                detail: serde_json::json!({ "family_id": old.family_id }),
            },
        )?;
        return Ok(Rotation::Refused(
            "the refresh token was already used; the login has been revoked",
        ));
    }
    if old.expires_at <= now {
        return Ok(Rotation::Refused(
            "the refresh token has expired; sign in again",
        ));
    }
    let (subject, org_id, role_text) = match (&old.user_id, &old.api_key_id) {
        (Some(uid), _) => {
            let u = users::find(conn, uid)?;
            if !u.is_active {
                refresh_tokens::revoke_family(conn, &old.family_id, now)?;
                return Ok(Rotation::Refused("the account is deactivated"));
            }
            (
                Subject::User(uid.parse().map_err(ApiError::internal)?),
                u.organization_id,
                u.role,
            )
        }
        (None, Some(kid)) => {
            let k = api_keys::find(conn, kid)?;
            if !k.is_usable(now) {
                refresh_tokens::revoke_family(conn, &old.family_id, now)?;
                return Ok(Rotation::Refused("the API key is expired or revoked"));
            }
            (
                Subject::ApiKey(kid.parse().map_err(ApiError::internal)?),
                k.organization_id,
                k.role,
            )
        }
        (None, None) => return Err(ApiError::internal("refresh token without subject")),
    };
    let org = organizations::find(conn, &org_id)?;
    if !org.is_active {
        refresh_tokens::revoke_family(conn, &old.family_id, now)?;
        return Ok(Rotation::Refused("the organisation is deactivated"));
    }
    let refresh = new_token_in_family(
        conn,
        &old.family_id,
        old.user_id.clone(),
        old.api_key_id.clone(),
        ttl,
    )?;
    Ok(Rotation::Rotated {
        refresh,
        subject,
        org_id: org.id,
        kind: OrgKind::parse(&org.kind).map_err(ApiError::internal)?,
        role: Role::parse(&role_text).map_err(ApiError::internal)?,
    })
}

fn start_family(
    conn: &mut DbConn,
    user_id: Option<String>,
    api_key_id: Option<String>,
    ttl: i64,
) -> ApiResult<String> {
    new_token_in_family(conn, &db::new_id(), user_id, api_key_id, ttl)
}

fn new_token_in_family(
    conn: &mut DbConn,
    family_id: &str,
    user_id: Option<String>,
    api_key_id: Option<String>,
    ttl: i64,
) -> ApiResult<String> {
    let token = format!("srt_{}", random_hex(32)?);
    let now = db::now();
    refresh_tokens::insert(
        conn,
        &RefreshToken {
            id: db::new_id(),
            family_id: family_id.to_owned(),
            token_hash: sha256_hex(&token),
            user_id,
            api_key_id,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(ttl),
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(token)
}

fn issue(
    state: &AppState,
    subject: Subject,
    org_id: &str,
    kind: OrgKind,
    role: Role,
    refresh: String,
) -> ApiResult<TokenResponse> {
    let access_token = state
        .tokens
        .issue(subject.to_claim(), org_id.to_owned(), kind, role)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl_secs,
        refresh_token: refresh,
    })
}
