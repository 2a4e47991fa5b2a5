//! `/webhooks/{id}/deliveries` and `/webhooks/{id}/ping`: what was sent to a
//! subscription and how each delivery went, sending one again, and a test event.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::load_authorized;
use crate::auth::{Action, Caller};
use crate::db;
use crate::domain::page::{Page, PageRequest};
use crate::error::{ApiError, ApiResult, Problem};
use crate::notify::delivery::store::{self, DeliveryRow};
use crate::notify::outbox::Envelope;
use crate::routes::utc;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up: 10 attempts failed, or the subscription was deactivated.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown delivery status {other:?}")),
        }
    }
}

/// One event sent (or to be sent) to a subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also the `Webhook-Id` header of every attempt.
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    #[schema(value_type = String, format = Uuid)]
    pub subscription_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    /// Attempts made so far (since the last redeliver).
    pub attempts: i32,
    /// The HTTP status of the last attempt, if the receiver answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<DeliveryRow> for DeliveryView {
    type Error = ApiError;
    fn try_from(d: DeliveryRow) -> ApiResult<Self> {
        let status = DeliveryStatus::parse(&d.status).map_err(ApiError::internal)?;
        Ok(Self {
            id: d.id,
            subscription_id: d.subscription_id,
            event_type: d.event_type,
            status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: (status == DeliveryStatus::Pending).then(|| utc(d.next_attempt_at)),
            delivered_at: d.delivered_at.map(utc),
            created_at: utc(d.created_at),
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The subscription's deliveries, newest first.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path), DeliveryListQuery), responses(
    (status = 200, body = Page<DeliveryView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    q: web::Query<DeliveryListQuery>,
) -> ApiResult<web::Json<Page<DeliveryView>>> {
    let sub = load_authorized(&state, &caller, id.into_inner(), Action::Read).await?;
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let limit = page.limit;
    let status = q.status.map(DeliveryStatus::as_str);
    let rows = state
        .db
        .run(move |conn| Ok(store::list_deliveries(conn, &sub.id, status, &page)?))
        .await?;
    let page = Page::from_rows(rows, limit, |d| d.id.clone());
    Ok(web::Json(Page {
        items: page
            .items
            .into_iter()
            .map(DeliveryView::try_from)
            .collect::<ApiResult<Vec<_>>>()?,
        next_cursor: page.next_cursor,
    }))
}

/// Queues a failed delivery again, due now, with a fresh schedule of 10 attempts (a
/// pending one is brought forward to now). It keeps its id, so a receiver that did get
/// it can drop the duplicate.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path), ("delivery_id" = uuid::Uuid, Path)), responses(
    (status = 200, body = DeliveryView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "already delivered, or the subscription is deactivated"),
), security(("bearer" = [])))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> ApiResult<web::Json<DeliveryView>> {
    let (id, delivery_id) = path.into_inner();
    let sub = load_authorized(&state, &caller, id, Action::Update).await?;
    let delivery_id = delivery_id.to_string();
    let row = state
        .db
        .transaction(move |conn| {
            let current = store::find_delivery(conn, &sub.id, &delivery_id)?;
            if !sub.is_active {
                return Err(ApiError::Conflict(
                    "the subscription is deactivated; create a new one".into(),
                ));
            }
            if !store::redeliver(conn, &current.id, db::now())? {
                return Err(ApiError::Conflict(
                    "the delivery was already delivered".into(),
                ));
            }
            Ok(store::find_delivery(conn, &sub.id, &current.id)?)
        })
        .await?;
    Ok(web::Json(DeliveryView::try_from(row)?))
}

/// Queues a `ping` event to this subscription only, to check the receiver and its
/// signature check. Its progress shows in the deliveries.
#[utoipa::path(tag = "webhooks", params(("id" = uuid::Uuid, Path)), responses(
    (status = 202, body = DeliveryView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the subscription is deactivated"),
), security(("bearer" = [])))]
#[post("/webhooks/{id}/ping")]
pub async fn ping(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let sub = load_authorized(&state, &caller, id.into_inner(), Action::Update).await?;
    if !sub.is_active {
        return Err(ApiError::Conflict("the subscription is deactivated".into()));
    }
    let now = db::now();
    let envelope = Envelope {
        id: db::new_id(),
        event_type: "ping",
        occurred_at: utc(now),
        data: serde_json::json!({ "subscription_id": sub.id }),
    };
    let row = DeliveryRow {
        id: db::new_id(),
        subscription_id: sub.id,
        event_type: "ping".into(),
        payload: serde_json::to_string(&envelope).map_err(ApiError::internal)?,
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        last_status_code: None,
        created_at: now,
        delivered_at: None,
    };
    let row = state
        .db
        .transaction(move |conn| {
            store::insert_delivery(conn, &row)?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::try_from(row)?))
}
