//! `/meetings/{id}/minutes`: every edit of the minutes is a new version with who wrote
//! it and when; the versions are kept and listed, never overwritten.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::input::MINUTES_MAX;
use super::view::{MeetingView, MinutesVersion, meeting_view, minutes_view};
use super::{audit_meeting, closed_conflict, load_authorized, month_closed, with_etag};
use crate::auth::{Action, Caller};
use crate::db::meetings::{MeetingRow, MinutesRow};
use crate::db::{self, meetings};
use crate::domain::validate::text;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::IfMatch;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesInput {
    /// The whole text of the new version.
    pub text: String,
}

/// Writes a new version of the minutes (the office's staff); needs `If-Match` with the
/// meeting's ETag. Refused with 409 once the month is closed.
#[utoipa::path(tag = "meetings", request_body = MinutesInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the meeting's ETag")),
    responses(
        (status = 200, body = MeetingView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the month is closed"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[put("/meetings/{id}/minutes")]
pub async fn put_minutes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<MinutesInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let minutes =
        text(&body.into_inner().text, MINUTES_MAX).map_err(|m| ApiError::field("text", m))?;
    let view = state
        .db
        .transaction(move |conn| {
            let current = load_authorized(conn, &caller, &id, Action::Update)?;
            if month_closed(conn, &current.office_org_id, current.held_on)? {
                return Err(closed_conflict(current.held_on));
            }
            if current.version != if_match.0 {
                return Err(ApiError::PreconditionFailed);
            }
            let now = db::now();
            let row = MeetingRow {
                minutes_version: current.minutes_version + 1,
                version: current.version + 1,
                updated_at: now,
                ..current.clone()
            };
            if !meetings::replace(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            meetings::insert_minutes(
                conn,
                &MinutesRow {
                    id: db::new_id(),
                    meeting_id: row.id.clone(),
                    version: row.minutes_version,
                    text: minutes,
                    written_at: now,
                    written_by_user_id: caller.user_id().map(|u| u.to_string()),
                },
            )?;
            audit_meeting(
                conn,
                &caller,
                "minutes",
                Some(row.id.clone()),
                serde_json::json!({ "minutes_version": row.minutes_version }),
            )?;
            meeting_view(conn, row, false)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// Every version of the minutes, oldest first (the office and the partners).
#[utoipa::path(tag = "meetings", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = Vec<MinutesVersion>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/meetings/{id}/minutes")]
pub async fn list_minutes(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<Vec<MinutesVersion>>> {
    let id = id.into_inner().to_string();
    let rows = state
        .db
        .transaction(move |conn| {
            let row = load_authorized(conn, &caller, &id, Action::Read)?;
            audit_meeting(
                conn,
                &caller,
                "read_minutes",
                Some(row.id.clone()),
                serde_json::json!({}),
            )?;
            Ok(meetings::minutes_of(conn, &row.id)?)
        })
        .await?;
    Ok(web::Json(rows.into_iter().map(minutes_view).collect()))
}
