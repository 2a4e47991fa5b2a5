//! `POST /inquiries/{id}/steps`: the next step of an inquiry, by the side whose step it
//! is (`domain::inquiry::check_step`). A decline records the landlord's reason, a
//! withdrawal the client's own, each in its own column so statistics never mix them.
//! A move-in marks the rental occupied and the client housed in the same transaction.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::view::{InquiryView, enum_text};
use super::{NOTE_MAX, announce, audit_inquiry, is_office, load_authorized, view_for};
use crate::auth::{Action, Caller};
use crate::db::clients::ClientRow;
use crate::db::inquiries::{EventRow, InquiryRow};
use crate::db::rentals::{HistoryRow, RentalRow};
use crate::db::{self, DbConn, clients, inquiries, rentals};
use crate::domain::client::ClientStatus;
use crate::domain::inquiry::{DeclineReason, InquiryStatus, Side, WithdrawReason, check_step};
use crate::domain::rental::Vacancy;
use crate::domain::validate::{Fields, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::clients::record_access;
use crate::routes::{IfMatch, etag};
use crate::state::AppState;

/// The next step.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// The status to move to.
    pub to: InquiryStatus,
    /// For `viewing_scheduled`: when, in the future (RFC 3339).
    pub viewing_at: Option<DateTime<Utc>>,
    /// For `declined` (the landlord): the reason, from the concern list.
    pub decline_reason: Option<DeclineReason>,
    /// For `declined`: more words; required with reason `other`.
    pub decline_note: Option<String>,
    /// For `withdrawn` (the office, for the client): the client's own reason.
    pub withdraw_reason: Option<WithdrawReason>,
    /// A note on the step, seen by both sides.
    pub note: Option<String>,
}

/// A step whose fields fit its target status.
struct ValidStep {
    to: InquiryStatus,
    viewing_at: Option<chrono::NaiveDateTime>,
    decline_reason: Option<String>,
    decline_note: Option<String>,
    withdraw_reason: Option<String>,
    note: Option<String>,
}

fn optional_text(f: &mut Fields, field: &str, v: Option<String>) -> Option<String> {
    let v = v.filter(|s| !s.trim().is_empty())?;
    f.check(field, text(&v, NOTE_MAX))
}

/// Checks that the step carries exactly what its target status needs.
fn validate(s: StepInput, now: DateTime<Utc>) -> ApiResult<ValidStep> {
    use InquiryStatus::*;
    let mut f = Fields::new();
    let note = optional_text(&mut f, "note", s.note);
    let decline_note = optional_text(&mut f, "decline_note", s.decline_note);
    let viewing_at = match (s.to, s.viewing_at) {
        (ViewingScheduled, Some(t)) if t > now => Some(t.naive_utc().trunc_subsecs(6)),
        (ViewingScheduled, Some(_)) => {
            f.push("viewing_at", "must be in the future");
            None
        }
        (ViewingScheduled, None) => {
            f.push("viewing_at", "a viewing needs its date and time");
            None
        }
        (_, Some(_)) => {
            f.push("viewing_at", "only with to = viewing_scheduled");
            None
        }
        (_, None) => None,
    };
    let decline_reason = match (s.to, s.decline_reason) {
        (Declined, Some(r)) => Some(r),
        (Declined, None) => {
            f.push(
                "decline_reason",
                "a decline needs the landlord's reason (unpaid_rent, neighbour_trouble, death_in_flat, …)",
            );
            None
        }
        (_, Some(_)) => {
            f.push("decline_reason", "only with to = declined");
            None
        }
        (_, None) => None,
    };
    if decline_note.is_some() && s.to != Declined {
        f.push("decline_note", "only with to = declined");
    }
    if decline_reason == Some(DeclineReason::Other) && decline_note.is_none() {
        f.push("decline_note", "say what the other reason is");
    }
    let withdraw_reason = match (s.to, s.withdraw_reason) {
        (Withdrawn, Some(r)) => Some(r),
        (Withdrawn, None) => {
            f.push(
                "withdraw_reason",
                "a withdrawal needs the client's own reason (chose_another, location, cost, …)",
            );
            None
        }
        (_, Some(_)) => {
            f.push("withdraw_reason", "only with to = withdrawn");
            None
        }
        (_, None) => None,
    };
    f.finish()?;
    Ok(ValidStep {
        to: s.to,
        viewing_at,
        decline_reason: decline_reason.map(enum_text).transpose()?,
        decline_note,
        withdraw_reason: withdraw_reason.map(enum_text).transpose()?,
        note,
    })
}

/// Marks the rental occupied (a new version with its history row); `None` when it
/// already was.
fn occupy_rental(
    conn: &mut DbConn,
    caller: &Caller,
    rental_id: &str,
    now: chrono::NaiveDateTime,
) -> ApiResult<Option<RentalRow>> {
    let current = match rentals::find(conn, rental_id) {
        Ok(r) => r,
        Err(diesel::result::Error::NotFound) => {
            return Err(ApiError::Conflict(
                "the rental is no longer registered; the move-in cannot be recorded".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if current.vacancy == Vacancy::Occupied.as_str() {
        return Ok(None);
    }
    let row = RentalRow {
        vacancy: Vacancy::Occupied.as_str().to_owned(),
        vacant_from: None,
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    if !rentals::replace(conn, &row, &current)? {
        return Err(ApiError::Conflict(
            "the rental was changed at the same moment; retry".into(),
        ));
    }
    rentals::insert_history(
        conn,
        &HistoryRow {
            id: db::new_id(),
            rental_id: row.id.clone(),
            version: row.version,
            action: "update".into(),
            changed_by_user_id: caller.user_id().map(|u| u.to_string()),
            changed_by_org_id: Some(caller.organization_id.to_string()),
            changed_at: now,
            snapshot: serde_json::to_string(&row).map_err(ApiError::internal)?,
        },
    )?;
    Ok(Some(row))
}

/// Marks the client housed.
fn house_client(
    conn: &mut DbConn,
    caller: &Caller,
    client_id: &str,
    now: chrono::NaiveDateTime,
) -> ApiResult<()> {
    let current = clients::find(conn, client_id)?;
    let row = ClientRow {
        status: ClientStatus::Housed.as_str().to_owned(),
        version: current.version + 1,
        updated_at: now,
        ..current.clone()
    };
    if !clients::replace(conn, &row, current.version)? {
        return Err(ApiError::Conflict(
            "the client's record was changed at the same moment; retry".into(),
        ));
    }
    record_access(conn, caller, &row, "update", "status", None)
}

/// Takes the next step of an inquiry (staff or admin of the side whose step it is);
/// needs `If-Match`. `viewing_scheduled` needs a future `viewing_at` (either side);
/// `applied`, `moved_in` and `withdrawn` (with `withdraw_reason`) are the office's;
/// `accepted` and `declined` (with `decline_reason`) the landlord's or agent's.
/// `moved_in` marks the rental occupied and the client housed. A step the caller's
/// side may not take is 422 (`to`); any step on an ended inquiry is 409.
#[utoipa::path(tag = "inquiries", operation_id = "inquiries_take_step", request_body = StepInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = InquiryView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the inquiry has ended"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[post("/inquiries/{id}/steps")]
pub async fn step(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<StepInput>,
) -> ApiResult<HttpResponse> {
    let view = take_step(
        &state,
        caller,
        id.into_inner().to_string(),
        if_match.0,
        body.into_inner(),
    )
    .await?;
    Ok(step_response(view))
}

/// Takes the next step of inquiry `id`, last read at `version` (API and portal).
pub async fn take_step(
    state: &AppState,
    caller: Caller,
    id: String,
    version: i32,
    input: StepInput,
) -> ApiResult<InquiryView> {
    let to = input.to;
    // Judged after the state checks below, so an ended inquiry answers 409 whatever
    // the body says.
    let valid = validate(input, Utc::now());
    let (view, rental) = state
        .db
        .transaction(move |conn| {
            let current = load_authorized(conn, &caller, &id, Action::Update)?;
            if current.version != version {
                return Err(ApiError::PreconditionFailed);
            }
            let from = InquiryStatus::parse(&current.status).map_err(ApiError::internal)?;
            let side = if is_office(&caller, &current) {
                Side::Office
            } else {
                Side::Landlord
            };
            if from.is_final() {
                return Err(ApiError::Conflict(format!(
                    "the inquiry has ended ({}); start a new one",
                    from.as_str()
                )));
            }
            check_step(from, to, side).map_err(|m| ApiError::field("to", m))?;
            let v = valid?;
            let now = db::now();
            let row = InquiryRow {
                status: v.to.as_str().to_owned(),
                viewing_at: v.viewing_at.or(current.viewing_at),
                decline_reason: v.decline_reason,
                decline_note: v.decline_note,
                withdraw_reason: v.withdraw_reason,
                stalled_at: None,
                last_step_at: now,
                version: current.version + 1,
                updated_at: now,
                ..current.clone()
            };
            if !inquiries::replace(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            inquiries::insert_event(
                conn,
                &EventRow {
                    id: db::new_id(),
                    inquiry_id: row.id.clone(),
                    from_status: Some(current.status.clone()),
                    to_status: row.status.clone(),
                    at: now,
                    by_user_id: caller.user_id().map(|u| u.to_string()),
                    by_org_id: Some(caller.organization_id.to_string()),
                    note: v.note,
                },
            )?;
            let rental = if v.to == InquiryStatus::MovedIn {
                let rental = occupy_rental(conn, &caller, &row.rental_id, now)?;
                house_client(conn, &caller, &row.client_id, now)?;
                rental
            } else {
                None
            };
            audit_inquiry(
                conn,
                &caller,
                "step",
                Some(row.id.clone()),
                serde_json::json!({
                    "from": current.status,
                    "to": row.status,
                    "version": row.version,
                    "decline_reason": row.decline_reason,
                }),
            )?;
            announce(conn, &row, Some(&current.status))?;
            Ok((view_for(conn, &caller, row, "step")?, rental))
        })
        .await?;
    if let Some(r) = &rental {
        state.rentals.apply_row(r);
    }
    Ok(view)
}

fn step_response(view: InquiryView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(to: InquiryStatus) -> StepInput {
        StepInput {
            to,
            viewing_at: None,
            decline_reason: None,
            decline_note: None,
            withdraw_reason: None,
            note: None,
        }
    }

    #[test]
    fn each_ending_needs_its_own_reason_and_never_the_other_sides() {
        let now = Utc::now();
        assert!(validate(input(InquiryStatus::Declined), now).is_err());
        assert!(validate(input(InquiryStatus::Withdrawn), now).is_err());
        let declined = validate(
            StepInput {
                decline_reason: Some(DeclineReason::UnpaidRent),
                ..input(InquiryStatus::Declined)
            },
            now,
        )
        .unwrap();
        assert_eq!(declined.decline_reason.as_deref(), Some("unpaid_rent"));
        assert_eq!(declined.withdraw_reason, None);
        assert!(
            validate(
                StepInput {
                    decline_reason: Some(DeclineReason::UnpaidRent),
                    withdraw_reason: Some(WithdrawReason::Cost),
                    ..input(InquiryStatus::Declined)
                },
                now,
            )
            .is_err()
        );
        assert!(
            validate(
                StepInput {
                    decline_reason: Some(DeclineReason::Other),
                    ..input(InquiryStatus::Declined)
                },
                now,
            )
            .is_err()
        );
    }

    #[test]
    fn a_viewing_needs_a_future_time() {
        let now = Utc::now();
        let at = |d: i64| StepInput {
            viewing_at: Some(now + chrono::Duration::days(d)),
            ..input(InquiryStatus::ViewingScheduled)
        };
        assert!(validate(at(2), now).is_ok());
        assert!(validate(at(-1), now).is_err());
        assert!(validate(input(InquiryStatus::ViewingScheduled), now).is_err());
        assert!(
            validate(
                StepInput {
                    viewing_at: Some(now + chrono::Duration::days(2)),
                    ..input(InquiryStatus::Applied)
                },
                now,
            )
            .is_err()
        );
    }
}
