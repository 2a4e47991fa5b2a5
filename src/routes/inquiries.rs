//! `/inquiries`: a client's application to a rental, from the office's proposal to the
//! move-in, each step timestamped with who took it. The office proposes (with the
//! client's consent to share with that landlord), the landlord or its agent answers.
//! Every access is audit-logged; what reaches the landlord goes to the provision log.
//! A step the caller's side may not take is 422 (field `to`); a step on an ended
//! inquiry is 409.

pub mod steps;
pub mod view;

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{etag, utc};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::clients::{ClientRow, ConsentRow, ProvisionRow};
use crate::db::inquiries::{EventRow, InquiryRow, ListScope};
use crate::db::{self, DbConn, audit, clients, inquiries, rentals};
use crate::domain::client::keep_provision_until;
use crate::domain::ids::OrganizationId;
use crate::domain::inquiry::InquiryStatus;
use crate::domain::organization::OrgKind;
use crate::domain::page::{Page, PageRequest};
use crate::domain::rental::Vacancy;
use crate::domain::time::{date_in_tokyo, today_tokyo};
use crate::domain::validate::text;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::clients::record_access;
use crate::state::AppState;
use view::{Audience, InquiryEventView, InquiryView, event_view, inquiry_view, shared_client};

/// The longest note on a step.
pub const NOTE_MAX: usize = 1000;

/// A proposal of a rental for a client.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInquiry {
    /// A client of the caller's office.
    #[schema(format = Uuid)]
    pub client_id: String,
    /// A vacant rental of the register.
    #[schema(format = Uuid)]
    pub rental_id: String,
    /// A note on the proposal (seen by the landlord too).
    pub note: Option<String>,
}

pub fn resource_of(row: &InquiryRow) -> ApiResult<Resource> {
    let org = |s: &str| OrganizationId::from_db(s).map_err(ApiError::internal);
    Ok(Resource::Inquiry {
        office: org(&row.office_org_id)?,
        landlord: org(&row.landlord_org_id)?,
        agent: row.agent_org_id.as_deref().map(org).transpose()?,
    })
}

/// Loads an inquiry and checks that the caller may do `action` to it.
pub fn load_authorized(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: Action,
) -> ApiResult<InquiryRow> {
    let row = inquiries::find(conn, id)?;
    authorize(caller, action, resource_of(&row)?)?;
    Ok(row)
}

/// Is the caller the client's office (rather than the landlord or its agent)?
pub fn is_office(caller: &Caller, row: &InquiryRow) -> bool {
    caller.organization_id.to_string() == row.office_org_id
}

/// The active `share_with_landlord` consent that covers the rental's landlord (or, for
/// a rental managed by an agent, the agent).
pub fn landlord_consent(conn: &mut DbConn, row: &InquiryRow) -> ApiResult<Option<ConsentRow>> {
    let mut recipients = vec![row.landlord_org_id.clone()];
    recipients.extend(row.agent_org_id.clone());
    for r in recipients {
        if let Some(c) =
            clients::active_consent(conn, &row.client_id, "share_with_landlord", Some(&r))?
        {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// The live client of an inquiry, if it is still kept.
fn client_of(conn: &mut DbConn, row: &InquiryRow) -> ApiResult<Option<ClientRow>> {
    match clients::find(conn, &row.client_id) {
        Ok(c) => Ok(Some(c)),
        Err(diesel::result::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The inquiry as the caller may see it; what the landlord sees of the client is
/// written to the provision log under the consent that allows it.
pub fn view_for(
    conn: &mut DbConn,
    caller: &Caller,
    row: InquiryRow,
    action: &str,
) -> ApiResult<InquiryView> {
    let client = client_of(conn, &row)?;
    if is_office(caller, &row) {
        if let Some(c) = &client {
            record_access(conn, caller, c, action, "inquiry", None)?;
        }
        return inquiry_view(row, Audience::Office(client.as_ref()));
    }
    let consent = landlord_consent(conn, &row)?;
    let shared = match (&client, &consent) {
        (Some(c), Some(consent)) => {
            record_access(conn, caller, c, action, "inquiry", Some(consent))?;
            Some(shared_client(c, today_tokyo())?)
        }
        _ => None,
    };
    inquiry_view(row, Audience::Landlord(shared))
}

/// Reads inquiry `id` for the caller (API and portal): the policy, the audit record
/// (with `detail`) and the view its consent allows; the row comes back too.
pub fn read_view(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    detail: serde_json::Value,
) -> ApiResult<(InquiryRow, InquiryView)> {
    let row = load_authorized(conn, caller, id, Action::Read)?;
    audit_inquiry(conn, caller, "read", Some(row.id.clone()), detail)?;
    let view = view_for(conn, caller, row.clone(), "read")?;
    Ok((row, view))
}

/// Queues `inquiry.changed` for the three parties; the payload carries no client data.
pub fn announce(conn: &mut DbConn, row: &InquiryRow, from: Option<&str>) -> ApiResult<()> {
    let mut orgs = vec![row.office_org_id.clone(), row.landlord_org_id.clone()];
    orgs.extend(row.agent_org_id.clone());
    crate::notify::outbox::enqueue(
        conn,
        &orgs,
        "inquiry.changed",
        serde_json::json!({
            "inquiry_id": row.id,
            "rental_id": row.rental_id,
            "from_status": from,
            "status": row.status,
            "version": row.version,
            "at": utc(row.last_step_at),
        }),
    )?;
    Ok(())
}

pub fn audit_inquiry(
    conn: &mut DbConn,
    caller: &Caller,
    action: &str,
    id: Option<String>,
    detail: serde_json::Value,
) -> ApiResult<()> {
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: "inquiry",
            object_id: id,
            outcome: "ok",
            detail,
        },
    )?;
    Ok(())
}

fn with_etag(status: actix_web::http::StatusCode, view: InquiryView) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(view.version)));
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/inquiries/{}", view.id)));
    }
    res.json(view)
}

fn parse_note(note: Option<String>, field: &str) -> ApiResult<Option<String>> {
    note.filter(|s| !s.trim().is_empty())
        .map(|s| text(&s, NOTE_MAX).map_err(|m| ApiError::field(field, m)))
        .transpose()
}

/// Proposes a vacant rental for a client (the client's office, staff or admin). The
/// client must have consented to share with the rental's landlord (or its agent); the
/// proposal is written to the provision log under that consent.
#[utoipa::path(tag = "inquiries", request_body = NewInquiry, responses(
    (status = 201, body = InquiryView, headers(("ETag" = String), ("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "an open inquiry of this client for this rental exists"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/inquiries")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewInquiry>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::Inquiries)?;
    let b = body.into_inner();
    let note = parse_note(b.note, "note")?;
    let client_id = uuid::Uuid::parse_str(&b.client_id)
        .map_err(|_| ApiError::field("client_id", "is not a client of your office"))?
        .to_string();
    let rental_id = uuid::Uuid::parse_str(&b.rental_id)
        .map_err(|_| ApiError::field("rental_id", "is not a rental of the register"))?
        .to_string();
    let view = state
        .db
        .transaction(move |conn| {
            let office = caller.organization_id.to_string();
            let client = match clients::find(conn, &client_id) {
                Ok(c) if c.office_org_id == office => c,
                Ok(_) | Err(diesel::result::Error::NotFound) => {
                    return Err(ApiError::field(
                        "client_id",
                        "is not a client of your office",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            let rental = match rentals::find(conn, &rental_id) {
                Ok(r) => r,
                Err(diesel::result::Error::NotFound) => {
                    return Err(ApiError::field(
                        "rental_id",
                        "is not a rental of the register",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if rental.vacancy != Vacancy::Vacant.as_str() {
                return Err(ApiError::field("rental_id", "the rental is not vacant"));
            }
            let now = db::now();
            let row = InquiryRow {
                id: db::new_id(),
                client_id: client.id.clone(),
                rental_id: rental.id.clone(),
                office_org_id: office.clone(),
                landlord_org_id: rental.owner_org_id.clone(),
                agent_org_id: rental.agent_org_id.clone(),
                status: InquiryStatus::Proposed.as_str().to_owned(),
                viewing_at: None,
                decline_reason: None,
                decline_note: None,
                withdraw_reason: None,
                stalled_at: None,
                last_step_at: now,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let Some(consent) = landlord_consent(conn, &row)? else {
                return Err(ApiError::field(
                    "client_id",
                    "the client has not consented to share with this landlord",
                ));
            };
            if inquiries::open_exists(conn, &client.id, &rental.id)? {
                return Err(ApiError::Conflict(
                    "this client already has an open inquiry for this rental".into(),
                ));
            }
            inquiries::insert(conn, &row)?;
            inquiries::insert_event(
                conn,
                &EventRow {
                    id: db::new_id(),
                    inquiry_id: row.id.clone(),
                    from_status: None,
                    to_status: row.status.clone(),
                    at: now,
                    by_user_id: caller.user_id().map(|u| u.to_string()),
                    by_org_id: Some(office),
                    note,
                },
            )?;
            // The proposal gives the client's data to the consenting landlord (or agent).
            if let Some(recipient) = &consent.recipient_org_id {
                clients::log_provision(
                    conn,
                    &ProvisionRow {
                        id: db::new_id(),
                        client_id: client.id.clone(),
                        recipient_org_id: recipient.clone(),
                        consent_id: consent.id.clone(),
                        purpose: consent.purpose.clone(),
                        items: "inquiry".into(),
                        provided_at: now,
                        provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                        keep_until: keep_provision_until(date_in_tokyo(utc(now))),
                    },
                )?;
            }
            audit_inquiry(
                conn,
                &caller,
                "create",
                Some(row.id.clone()),
                serde_json::json!({
                    "client_id": row.client_id,
                    "rental_id": row.rental_id,
                    "consent_id": consent.id,
                }),
            )?;
            announce(conn, &row, None)?;
            view_for(conn, &caller, row, "create")
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::CREATED, view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InquiryListQuery {
    /// Only inquiries in this status.
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists inquiries: a support office's for its clients, a landlord's or agent's for its
/// rentals (without client data: open one to see what the client agreed to share).
#[utoipa::path(tag = "inquiries", params(InquiryListQuery), responses(
    (status = 200, body = Page<InquiryView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/inquiries")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<InquiryListQuery>,
) -> ApiResult<web::Json<Page<InquiryView>>> {
    authorize(&caller, Action::List, Resource::Inquiries)?;
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let status = q
        .status
        .map(|s| {
            InquiryStatus::parse(&s).map_err(|m| ApiError::BadRequest {
                slug: "invalid-parameter",
                detail: format!("status: {m}"),
                field: Some("status".into()),
            })
        })
        .transpose()?;
    let limit = page.limit;
    let org = caller.organization_id.to_string();
    let office = caller.org_kind == OrgKind::SupportOffice;
    let scope = if office {
        ListScope::Office(org)
    } else {
        ListScope::LandlordOrAgent(org)
    };
    let (rows, client_rows) = state
        .db
        .transaction(move |conn| {
            let rows = inquiries::list(conn, &scope, status, &page)?;
            let client_rows = if office {
                let ids: Vec<String> = rows.iter().map(|r| r.client_id.clone()).collect();
                inquiries::clients_by_id(conn, &ids)?
            } else {
                Vec::new()
            };
            audit_inquiry(
                conn,
                &caller,
                "list",
                None,
                serde_json::json!({ "count": rows.len() }),
            )?;
            Ok((rows, client_rows))
        })
        .await?;
    let page = Page::from_rows(rows, limit, |r| r.id.clone());
    let items = page
        .items
        .into_iter()
        .map(|r| {
            if office {
                let c = client_rows.iter().find(|c| c.id == r.client_id);
                inquiry_view(r, Audience::Office(c))
            } else {
                inquiry_view(r, Audience::Landlord(None))
            }
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Reads an inquiry: the client's office sees the client's summary; the landlord or
/// agent sees only what the client's consent allows (written to the provision log).
#[utoipa::path(tag = "inquiries", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = InquiryView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/inquiries/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let view = state
        .db
        .transaction(move |conn| {
            read_view(conn, &caller, &id, serde_json::json!({})).map(|(_, view)| view)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, view))
}

/// Every step of an inquiry, oldest first: when, by whom (user, organisation, side).
#[utoipa::path(tag = "inquiries", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = Vec<InquiryEventView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/inquiries/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<Vec<InquiryEventView>>> {
    let id = id.into_inner().to_string();
    let out = state
        .db
        .transaction(move |conn| {
            let row = load_authorized(conn, &caller, &id, Action::Read)?;
            let events = inquiries::events_of(conn, &row.id)?;
            audit_inquiry(
                conn,
                &caller,
                "read_events",
                Some(row.id.clone()),
                serde_json::json!({ "count": events.len() }),
            )?;
            events
                .into_iter()
                .map(|e| event_view(e, &row))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(web::Json(out))
}
