//! Recording a meeting and replacing its record while its month is open.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, patch, post, put, web};
use chrono::Utc;

use super::input::{MeetingInput, ValidMeeting, check_store, validate};
use super::view::{MeetingView, meeting_view};
use super::{audit_meeting, closed_conflict, load_authorized, month_closed, with_etag};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::clients::{ClientRow, ConsentRow, ProvisionRow};
use crate::db::meetings::{MeetingClientRow, MeetingRow, MinutesRow};
use crate::db::{self, DbConn, clients, meetings};
use crate::domain::client::keep_provision_until;
use crate::domain::ids::OrganizationId;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::IfMatch;
use crate::routes::clients::record_access;
use crate::state::AppState;

fn names<T: Copy>(items: &[T], as_str: fn(T) -> &'static str) -> ApiResult<String> {
    serde_json::to_string(&items.iter().map(|i| as_str(*i)).collect::<Vec<_>>())
        .map_err(ApiError::internal)
}

fn fill(row: &mut MeetingRow, v: &ValidMeeting) -> ApiResult<()> {
    row.held_at = v.held_at.naive_utc();
    row.held_on = v.held_on;
    row.format = v.format.as_str().to_owned();
    row.attendees = serde_json::to_string(&v.attendees).map_err(ApiError::internal)?;
    row.agenda = v.agenda.clone();
    row.issue_categories = names(&v.issues, |i| i.as_str())?;
    row.issues_note = v.issues_note.clone();
    Ok(())
}

/// Stores who was shared with whom, and writes each new (client, partner) pair to the
/// provision log: the partners received the client's data at the meeting.
fn store_sharing(
    conn: &mut DbConn,
    caller: &Caller,
    row: &MeetingRow,
    shared: &[(ClientRow, ConsentRow)],
    partners: &[OrganizationId],
    already: &[(String, String)],
) -> ApiResult<()> {
    let partner_ids: Vec<String> = partners.iter().map(|p| p.to_string()).collect();
    meetings::set_partners(conn, &row.id, &partner_ids)?;
    let links: Vec<MeetingClientRow> = shared
        .iter()
        .map(|(c, consent)| MeetingClientRow {
            id: db::new_id(),
            meeting_id: row.id.clone(),
            client_id: c.id.clone(),
            consent_id: consent.id.clone(),
        })
        .collect();
    meetings::set_clients(conn, &row.id, &links)?;
    for (client, consent) in shared {
        for p in &partner_ids {
            if already.contains(&(client.id.clone(), p.clone())) {
                continue;
            }
            clients::log_provision(
                conn,
                &ProvisionRow {
                    id: db::new_id(),
                    client_id: client.id.clone(),
                    recipient_org_id: p.clone(),
                    consent_id: consent.id.clone(),
                    purpose: consent.purpose.clone(),
                    items: "meeting".into(),
                    provided_at: row.held_at,
                    provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                    keep_until: keep_provision_until(row.held_on),
                },
            )?;
        }
        record_access(conn, caller, client, "meeting_shared", "meeting", None)?;
    }
    Ok(())
}

/// Records a meeting of the caller's office (staff or admin), with the first minutes
/// if given. Each client named must have consented to be discussed at meetings on the
/// meeting day (else 422 on that `client_ids[i]`); each is written to the provision log
/// for each partner.
#[utoipa::path(tag = "meetings", request_body = MeetingInput, responses(
    (status = 201, body = MeetingView, headers(("ETag" = String), ("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/meetings")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<MeetingInput>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::Meetings)?;
    let v = validate(body.into_inner(), Utc::now())?;
    let view = state
        .db
        .transaction(move |conn| {
            let office = caller.organization_id.to_string();
            let shared = check_store(conn, &office, &v)?;
            let now = db::now();
            let by = caller.user_id().map(|u| u.to_string());
            let mut row = MeetingRow {
                id: db::new_id(),
                office_org_id: office,
                held_at: now,
                held_on: v.held_on,
                format: String::new(),
                attendees: String::new(),
                agenda: None,
                issue_categories: String::new(),
                issues_note: None,
                minutes_version: i32::from(v.minutes.is_some()),
                version: 1,
                created_at: now,
                created_by_user_id: by.clone(),
                updated_at: now,
            };
            fill(&mut row, &v)?;
            meetings::insert(conn, &row)?;
            if let Some(text) = &v.minutes {
                meetings::insert_minutes(
                    conn,
                    &MinutesRow {
                        id: db::new_id(),
                        meeting_id: row.id.clone(),
                        version: 1,
                        text: text.clone(),
                        written_at: now,
                        written_by_user_id: by,
                    },
                )?;
            }
            store_sharing(conn, &caller, &row, &shared, &v.partners, &[])?;
            audit_meeting(
                conn,
                &caller,
                "create",
                Some(row.id.clone()),
                serde_json::json!({ "clients": shared.len(), "partners": v.partners.len() }),
            )?;
            let locked = month_closed(conn, &row.office_org_id, row.held_on)?;
            meeting_view(conn, row, locked)
        })
        .await?;
    Ok(with_etag(StatusCode::CREATED, view))
}

/// Replaces a meeting's record (all fields, as on creation, without the minutes);
/// needs `If-Match`. Refused with 409 once the meeting's month is closed, or to move it
/// into a closed month: correct it with an amendment then.
#[utoipa::path(operation_id = "meetings_replace", tag = "meetings", request_body = MeetingInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = MeetingView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the month is closed"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[put("/meetings/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<MeetingInput>,
) -> ApiResult<HttpResponse> {
    replace_record(state, caller, id, if_match, body).await
}

/// The same as `PUT /meetings/{id}`, under the method it first had: deprecated, with the
/// `Deprecation` and `Sunset` headers (README, Versioning and deprecation).
#[utoipa::path(operation_id = "meetings_update", tag = "meetings", request_body = MeetingInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = MeetingView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "the month is closed"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[patch("/meetings/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<MeetingInput>,
) -> ApiResult<HttpResponse> {
    replace_record(state, caller, id, if_match, body).await
}

async fn replace_record(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<MeetingInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let v = validate(body.into_inner(), Utc::now())?;
    if v.minutes.is_some() {
        return Err(ApiError::field(
            "minutes",
            "edit the minutes with PUT /api/v1/meetings/{id}/minutes",
        ));
    }
    let view = state
        .db
        .transaction(move |conn| {
            let current = load_authorized(conn, &caller, &id, Action::Update)?;
            if month_closed(conn, &current.office_org_id, current.held_on)? {
                return Err(closed_conflict(current.held_on));
            }
            if month_closed(conn, &current.office_org_id, v.held_on)? {
                return Err(closed_conflict(v.held_on));
            }
            if current.version != if_match.0 {
                return Err(ApiError::PreconditionFailed);
            }
            let shared = check_store(conn, &current.office_org_id, &v)?;
            let mut already = Vec::new();
            let old_partners = meetings::partners_of(conn, &current.id)?;
            for c in meetings::clients_of(conn, &current.id)? {
                for p in &old_partners {
                    already.push((c.client_id.clone(), p.clone()));
                }
            }
            let mut row = MeetingRow {
                version: current.version + 1,
                updated_at: db::now(),
                ..current.clone()
            };
            fill(&mut row, &v)?;
            if !meetings::replace(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            store_sharing(conn, &caller, &row, &shared, &v.partners, &already)?;
            audit_meeting(
                conn,
                &caller,
                "update",
                Some(row.id.clone()),
                serde_json::json!({ "version": row.version }),
            )?;
            meeting_view(conn, row, false)
        })
        .await?;
    Ok(with_etag(StatusCode::OK, view))
}
