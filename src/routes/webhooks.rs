//! `/webhooks`: an organisation's subscriptions to events (inquiry changed, rental
//! became vacant, rental matching a client registered, …), managed by its
//! administrators. The signing secret is shown once, at creation and on rotation; how
//! deliveries are signed and retried is described in `notify::delivery`.

pub mod deliveries;

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::utc;
use crate::auth::secret_token::random_hex;
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::{self, audit};
use crate::domain::ids::OrganizationId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::validate::Fields;
use crate::error::{ApiError, ApiResult, Problem};
use crate::notify::delivery::store::{self, SubscriptionRow};
use crate::notify::outbox::EVENT_TYPES;
use crate::state::AppState;

/// Marks a webhook signing secret, so that secret scanners can spot a leaked one.
pub const SECRET_MARKER: &str = "whsec_";
const MAX_URL_LEN: usize = 2000;

/// A subscription, without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub organization_id: OrganizationId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types delivered, or `["*"]` for all.
    pub events: Vec<String>,
    /// False once deactivated (`DELETE`): nothing more is delivered.
    pub is_active: bool,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by_user_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<SubscriptionRow> for WebhookView {
    type Error = ApiError;
    fn try_from(s: SubscriptionRow) -> ApiResult<Self> {
        Ok(Self {
            organization_id: OrganizationId::from_db(&s.org_id).map_err(ApiError::internal)?,
            events: serde_json::from_str(&s.events).map_err(ApiError::internal)?,
            id: s.id,
            url: s.url,
            is_active: s.is_active,
            created_by_user_id: s.created_by_user_id,
            created_at: utc(s.created_at),
        })
    }
}

/// A subscription with its signing secret, shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The HMAC-SHA256 key of the `Webhook-Signature` header (`whsec_…`, used as is).
    /// Shown only now: store it in your secret store.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…`; `http://` only to localhost, 127.0.0.1 or [::1] (development).
    pub url: String,
    /// Event types to receive (inquiry.changed, inquiry.stalled, rental.vacant,
    /// rental.matches_client, support_sheet.concern, compliance.month_ending), or
    /// `["*"]` for all.
    pub events: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WebhookListQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A receiver's URL: https anywhere, plain http only to this machine (development);
/// no credentials in it (lists show the URL) and no fragment (never sent).
pub fn webhook_url(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    let url = reqwest::Url::parse(s).map_err(|e| format!("is not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    match url.scheme() {
        "https" if !host.is_empty() => {}
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => {}
        "http" => {
            return Err("must be https (plain http only to localhost, 127.0.0.1 or [::1])".into());
        }
        _ => return Err("must be an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    Ok(url.to_string())
}

/// The events asked for: known types without repeats, or `*` alone.
fn events(f: &mut Fields, input: &[String]) -> Vec<String> {
    if input.is_empty() {
        f.push("events", "name at least one event type, or \"*\" for all");
    }
    let mut out: Vec<String> = Vec::new();
    for (i, e) in input.iter().enumerate() {
        let e = e.trim();
        if e == "*" && input.len() > 1 {
            f.push(&format!("events[{i}]"), "\"*\" stands alone");
        } else if e != "*" && !EVENT_TYPES.contains(&e) {
            f.push(
                &format!("events[{i}]"),
                format!(
                    "unknown event type; one of {} or \"*\"",
                    EVENT_TYPES.join(", ")
                ),
            );
        } else if !out.iter().any(|o| o == e) {
            out.push(e.to_owned());
        }
    }
    out
}

fn new_secret() -> ApiResult<String> {
    Ok(format!("{SECRET_MARKER}{}", random_hex(32)?))
}

fn resource(org: OrganizationId) -> Resource {
    Resource::Webhooks {
        organization_id: org,
    }
}

fn created(row: SubscriptionRow, status: actix_web::http::StatusCode) -> ApiResult<HttpResponse> {
    let secret = row.secret.clone();
    let webhook = WebhookView::try_from(row)?;
    let mut res = HttpResponse::build(status);
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/webhooks/{}", webhook.id)));
    }
    Ok(res
        .insert_header(("Cache-Control", "no-store"))
        .json(WebhookWithSecret { webhook, secret }))
}

/// Subscribes the caller's organisation to events and shows the signing secret once.
#[utoipa::path(tag = "webhooks", request_body = NewWebhook, responses(
    (status = 201, body = WebhookWithSecret, headers(("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewWebhook>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, resource(caller.organization_id))?;
    let b = body.into_inner();
    let mut f = Fields::new();
    let url = f.check("url", webhook_url(&b.url));
    let events = events(&mut f, &b.events);
    f.finish()?;
    let row = SubscriptionRow {
        id: db::new_id(),
        org_id: caller.organization_id.to_string(),
        url: crate::domain::validate::collected(url)?,
        secret: new_secret()?,
        events: serde_json::to_string(&events).map_err(ApiError::internal)?,
        is_active: true,
        created_at: db::now(),
        created_by_user_id: caller.user_id().map(|u| u.to_string()),
    };
    let row = state
        .db
        .transaction(move |conn| {
            store::insert_subscription(conn, &row)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "create",
                    object_type: "webhook",
                    object_id: Some(row.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "url": row.url, "events": events }),
                },
            )?;
            Ok(row)
        })
        .await?;
    created(row, actix_web::http::StatusCode::CREATED)
}

/// Lists the caller's organisation's subscriptions (active and deactivated), without
/// their secrets.
#[utoipa::path(tag = "webhooks", params(WebhookListQuery), responses(
    (status = 200, body = Page<WebhookView>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<WebhookListQuery>,
) -> ApiResult<web::Json<Page<WebhookView>>> {
    authorize(&caller, Action::List, resource(caller.organization_id))?;
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let limit = page.limit;
    let org = caller.organization_id.to_string();
    let rows = state
        .db
        .run(move |conn| Ok(store::list_subscriptions(conn, &org, &page)?))
        .await?;
    let page = Page::from_rows(rows, limit, |s| s.id.clone());
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(WebhookView::try_from)
            .collect::<ApiResult<Vec<_>>>()?,
        next_cursor: page.next_cursor,
    }))
}

/// Reads a subscription and checks that the caller may act on it (another
/// organisation's answers 404).
pub(crate) async fn load_authorized(
    state: &AppState,
    caller: &Caller,
    id: uuid::Uuid,
    action: Action,
) -> ApiResult<SubscriptionRow> {
    let row = state
        .db
        .run(move |conn| Ok(store::find_subscription(conn, &id.to_string())?))
        .await?;
    let org = OrganizationId::from_db(&row.org_id).map_err(ApiError::internal)?;
    authorize(caller, action, resource(org))?;
    Ok(row)
}

/// Reads one subscription, without its secret.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = WebhookView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/webhooks/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<WebhookView>> {
    let row = load_authorized(&state, &caller, id.into_inner(), Action::Read).await?;
    Ok(web::Json(WebhookView::try_from(row)?))
}

/// Deactivates a subscription: nothing more is delivered, and its pending deliveries
/// fail with "subscription deactivated". It stays listed, with its deliveries.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "deactivated"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[delete("/webhooks/{id}")]
pub async fn deactivate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let row = load_authorized(&state, &caller, id.into_inner(), Action::Delete).await?;
    state
        .db
        .transaction(move |conn| {
            let stopped = store::deactivate(conn, &row.id)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "deactivate",
                    object_type: "webhook",
                    object_id: Some(row.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "pending_deliveries_stopped": stopped }),
                },
            )?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces the signing secret and shows the new one once. Deliveries sent from now
/// on, retries included, are signed with it; the old one stops working at once.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = WebhookWithSecret),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let mut row = load_authorized(&state, &caller, id.into_inner(), Action::Update).await?;
    row.secret = new_secret()?;
    let row = state
        .db
        .transaction(move |conn| {
            store::set_secret(conn, &row.id, &row.secret)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "rotate_secret",
                    object_type: "webhook",
                    object_id: Some(row.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({}),
                },
            )?;
            Ok(row)
        })
        .await?;
    created(row, actix_web::http::StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_are_https_or_local_http() {
        for ok in [
            "https://example.jp/hooks",
            "https://case.example.jp:8443/sumai?x=1",
            "http://localhost:3000/in",
            "http://127.0.0.1:8080",
            "http://[::1]:9000/",
        ] {
            assert!(webhook_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x",
            "http://example.com/",
            "http://127.0.0.2/",
            "http://localhost.example.com/",
            "https://user:pw@example.jp/",
            "https://example.jp/#frag",
            "example.jp/hooks",
            "",
            "javascript:alert(1)",
        ] {
            assert!(webhook_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            webhook_url(" http://127.0.0.1:8080 ").unwrap(),
            "http://127.0.0.1:8080/"
        );
    }

    #[test]
    fn events_are_known_types_or_star_alone() {
        let mut f = Fields::new();
        let e = events(
            &mut f,
            &[
                "rental.vacant".into(),
                "rental.vacant".into(),
                "inquiry.changed".into(),
            ],
        );
        assert!(f.is_empty());
        assert_eq!(e, ["rental.vacant", "inquiry.changed"]);
        let mut f = Fields::new();
        assert_eq!(events(&mut f, &["*".into()]), ["*"]);
        assert!(f.is_empty());
        for bad in [
            vec![],
            vec!["rental.sold".to_owned()],
            vec!["*".to_owned(), "rental.vacant".to_owned()],
        ] {
            let mut f = Fields::new();
            events(&mut f, &bad);
            assert!(!f.is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_marked_and_random() {
        let a = new_secret().unwrap();
        assert!(a.starts_with("whsec_"));
        assert_eq!(a.len(), 6 + 64);
        assert_ne!(a, new_secret().unwrap());
    }
}
