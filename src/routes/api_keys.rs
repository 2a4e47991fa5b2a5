//! `/api-keys`: credentials for an organisation's machine clients (case-management
//! software). The key is shown once, at creation; only its Argon2 hash is stored.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::secret_token::new_api_key;
use crate::auth::{Action, Caller, Resource, authorize, password};
use crate::db::api_keys::ApiKey;
use crate::db::{self, api_keys, audit, refresh_tokens};
use crate::domain::ids::{ApiKeyId, OrganizationId, UserId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::Role;
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub name: String,
    /// The role the key acts with.
    pub role: Role,
    /// The public part of the key (`slk_<prefix>_…`), to recognise it.
    pub prefix: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ApiKey> for ApiKeyView {
    type Error = ApiError;
    fn try_from(k: ApiKey) -> ApiResult<Self> {
        Ok(Self {
            id: ApiKeyId::from_db(&k.id).map_err(ApiError::internal)?,
            organization_id: OrganizationId::from_db(&k.organization_id)
                .map_err(ApiError::internal)?,
            name: k.name,
            role: Role::parse(&k.role).map_err(ApiError::internal)?,
            prefix: k.prefix,
            created_by: UserId::from_db(&k.created_by).map_err(ApiError::internal)?,
            created_at: utc(k.created_at),
            expires_at: k.expires_at.map(utc),
            last_used_at: k.last_used_at.map(utc),
            revoked_at: k.revoked_at.map(utc),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// What the key is for, e.g. "ケース記録システム連携".
    pub name: String,
    /// `staff` or `viewer`; keys never act as admin.
    pub role: String,
    /// Optional expiry, RFC 3339, in the future and at most two years ahead.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The whole key. Shown only now: store it in your secret store.
    pub api_key: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyListQuery {
    /// Another organisation's keys (operator only).
    pub organization_id: Option<OrganizationId>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists the organisation's API keys (admins), without their secrets.
#[utoipa::path(tag = "api-keys", params(ApiKeyListQuery), responses(
    (status = 200, body = Page<ApiKeyView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/api-keys")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ApiKeyListQuery>,
) -> ApiResult<web::Json<Page<ApiKeyView>>> {
    let q = q.into_inner();
    let org = q.organization_id.unwrap_or(caller.organization_id);
    authorize(
        &caller,
        Action::List,
        Resource::ApiKeys {
            organization_id: org,
        },
    )?;
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let limit = page.limit;
    let rows = state
        .db
        .run(move |conn| Ok(api_keys::list(conn, &org.to_string(), &page)?))
        .await?;
    let page = Page::from_rows(rows, limit, |k| k.id.clone());
    let items = page
        .items
        .into_iter()
        .map(ApiKeyView::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Creates an API key for the caller's organisation and shows it once.
#[utoipa::path(tag = "api-keys", request_body = NewApiKey, responses(
    (status = 201, body = CreatedApiKey, headers(("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/api-keys")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewApiKey>,
) -> ApiResult<HttpResponse> {
    authorize(
        &caller,
        Action::Create,
        Resource::ApiKeys {
            organization_id: caller.organization_id,
        },
    )?;
    let Some(user_id) = caller.user_id() else {
        return Err(ApiError::Forbidden(
            "API keys cannot create API keys".into(),
        ));
    };
    let b = body.into_inner();
    let mut f = Fields::new();
    let name = f.check("name", text(&b.name, 100));
    let role = f.check(
        "role",
        Role::parse(&b.role).and_then(|r| match r {
            Role::Admin => Err("must be staff or viewer: API keys never act as admin".into()),
            r => Ok(r),
        }),
    );
    let now = db::now();
    if let Some(exp) = b.expires_at {
        let exp = exp.naive_utc();
        if exp <= now {
            f.push("expires_at", "must be in the future");
        } else if exp > now + chrono::Duration::days(731) {
            f.push("expires_at", "must be at most two years ahead");
        }
    }
    f.finish()?;
    let (name, role) = (collected(name)?, collected(role)?);
    let (full, prefix, secret) = new_api_key()?;
    let secret_hash = web::block(move || password::hash(&secret)).await??;
    let key = ApiKey {
        id: db::new_id(),
        organization_id: caller.organization_id.to_string(),
        name,
        role: role.as_str().to_owned(),
        prefix,
        secret_hash,
        created_by: user_id.to_string(),
        created_at: now,
        expires_at: b.expires_at.map(|e| e.naive_utc()),
        last_used_at: None,
        revoked_at: None,
    };
    let key = state
        .db
        .transaction(move |conn| {
            api_keys::insert(conn, &key)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "create",
                    object_type: "api_key",
                    object_id: Some(key.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "role": key.role, "prefix": key.prefix }),
                },
            )?;
            Ok(key)
        })
        .await?;
    let view = ApiKeyView::try_from(key)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/api-keys/{}", view.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(CreatedApiKey {
            key: view,
            api_key: full,
        }))
}

async fn load_authorized(
    state: &AppState,
    caller: &Caller,
    id: ApiKeyId,
    action: Action,
) -> ApiResult<ApiKey> {
    let key = state
        .db
        .run(move |conn| Ok(api_keys::find(conn, &id.to_string())?))
        .await?;
    let org = OrganizationId::from_db(&key.organization_id).map_err(ApiError::internal)?;
    authorize(
        caller,
        action,
        Resource::ApiKeys {
            organization_id: org,
        },
    )?;
    Ok(key)
}

/// Reads one API key (admins), without its secret.
#[utoipa::path(tag = "api-keys", params(("id" = ApiKeyId, Path)), responses(
    (status = 200, body = ApiKeyView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/api-keys/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ApiKeyId>,
) -> ApiResult<web::Json<ApiKeyView>> {
    let key = load_authorized(&state, &caller, id.into_inner(), Action::Read).await?;
    Ok(web::Json(ApiKeyView::try_from(key)?))
}

/// Revokes an API key at once: it can no longer sign in and its refresh tokens end.
/// Access tokens already issued expire within their lifetime (at most 15 minutes).
#[utoipa::path(tag = "api-keys", params(("id" = ApiKeyId, Path)), responses(
    (status = 204, description = "revoked"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[delete("/api-keys/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ApiKeyId>,
) -> ApiResult<HttpResponse> {
    let key = load_authorized(&state, &caller, id.into_inner(), Action::Delete).await?;
    state
        .db
        .transaction(move |conn| {
            let now = db::now();
            api_keys::revoke(conn, &key.id, now)?;
            refresh_tokens::revoke_all_of_api_key(conn, &key.id, now)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "revoke",
                    object_type: "api_key",
                    object_id: Some(key.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "prefix": key.prefix }),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
