//! `/meetings/{id}/amendments`: corrections of a meeting whose month is closed. The
//! record itself stays as it was billed; each amendment says who, when, why and what
//! changed, and is listed with the meeting. Never edited, never deleted.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::view::{AmendmentView, amendment_view};
use super::{audit_meeting, load_authorized, month_closed};
use crate::auth::{Action, Caller};
use crate::db::meetings::AmendmentRow;
use crate::db::{self, meetings};
use crate::domain::meeting::{MeetingField, parse_set};
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAmendment {
    /// The parts corrected: held_at, format, partners, attendees, agenda, minutes,
    /// clients, issues.
    pub fields: Vec<String>,
    /// What changed: the correct content, in words.
    pub change: String,
    /// Why the record was wrong.
    pub reason: String,
}

/// Adds a correction to a meeting of a closed month (the office's staff). While the
/// month is open, edit the meeting instead (409).
#[utoipa::path(tag = "meetings", request_body = NewAmendment, params(("id" = uuid::Uuid, Path)), responses(
    (status = 201, body = AmendmentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the month is still open"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/meetings/{id}/amendments")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    body: web::Json<NewAmendment>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let b = body.into_inner();
    let mut f = Fields::new();
    let fields = match parse_set(&b.fields, MeetingField::parse) {
        Ok(v) if v.is_empty() => {
            f.push("fields", "name the parts of the record that are corrected");
            None
        }
        Ok(v) => Some(v),
        Err(errs) => {
            for (i, m) in errs {
                f.push(&format!("fields[{i}]"), m);
            }
            None
        }
    };
    let change = f.check("change", text(&b.change, 4000));
    let reason = f.check("reason", text(&b.reason, 1000));
    f.finish()?;
    let (fields, change, reason) = (collected(fields)?, collected(change)?, collected(reason)?);
    let view = state
        .db
        .transaction(move |conn| {
            let meeting = load_authorized(conn, &caller, &id, Action::Update)?;
            if !month_closed(conn, &meeting.office_org_id, meeting.held_on)? {
                return Err(ApiError::Conflict(
                    "the meeting's month is still open: edit the meeting (PATCH) instead".into(),
                ));
            }
            let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
            let row = AmendmentRow {
                id: db::new_id(),
                meeting_id: meeting.id.clone(),
                fields: serde_json::to_string(&names).map_err(ApiError::internal)?,
                change,
                reason,
                made_at: db::now(),
                made_by_user_id: caller.user_id().map(|u| u.to_string()),
            };
            meetings::insert_amendment(conn, &row)?;
            audit_meeting(
                conn,
                &caller,
                "amend",
                Some(meeting.id.clone()),
                serde_json::json!({ "amendment_id": row.id, "fields": names }),
            )?;
            amendment_view(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}
