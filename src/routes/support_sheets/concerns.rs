//! `/support-sheets/{id}/concerns`: a landlord, agent or 居住支援法人 reports what it
//! noticed (rent late, a complaint, no answer at the door). The concern is routed to the
//! contact the published sheet names for that situation, sent as the webhook event
//! `support_sheet.concern` to the office and to that contact's organisation, and listed
//! on the office's side until someone there acknowledges it.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{access, parse_body, sections_of};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::support_sheets::{self, ConcernRow};
use crate::db::{self, audit};
use crate::domain::ids::OrganizationId;
use crate::domain::support_sheet::Section;
use crate::domain::support_sheet::concern::{ConcernKind, Route, route};
use crate::domain::time::today_tokyo;
use crate::error::{ApiError, ApiResult, Problem};
use crate::notify::outbox;
use crate::routes::utc;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConcern {
    pub kind: ConcernKind,
    /// What was seen, in a few words.
    pub note: Option<String>,
    /// The day it was noticed, YYYY-MM-DD (default today); not in the future, at most
    /// 90 days ago.
    pub observed_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    #[schema(value_type = String, format = Uuid)]
    pub sheet_id: String,
    pub sheet_version: i32,
    pub kind: ConcernKind,
    pub label: String,
    pub note: Option<String>,
    pub observed_on: NaiveDate,
    pub reported_by_org_id: OrganizationId,
    pub reported_at: DateTime<Utc>,
    /// The contact it reached; absent for a reporter the network is not shared with.
    pub routed_to: Option<Route>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConcernList {
    pub items: Vec<ConcernView>,
}

fn view(row: ConcernRow, network_shown: bool) -> ApiResult<ConcernView> {
    let kind = ConcernKind::parse(&row.kind).map_err(ApiError::internal)?;
    let route: Route = serde_json::from_str(&row.routed_to).map_err(ApiError::internal)?;
    Ok(ConcernView {
        id: row.id,
        sheet_id: row.sheet_id,
        sheet_version: row.sheet_version,
        label: kind.label_ja().to_owned(),
        kind,
        note: row.note,
        observed_on: row.observed_on,
        reported_by_org_id: OrganizationId::from_db(&row.reported_by_org_id)
            .map_err(ApiError::internal)?,
        reported_at: utc(row.reported_at),
        routed_to: network_shown.then_some(route),
        acknowledged_at: row.acknowledged_at.map(utc),
    })
}

fn observed_on(input: Option<String>) -> ApiResult<NaiveDate> {
    let today = today_tokyo();
    let Some(s) = input.filter(|s| !s.trim().is_empty()) else {
        return Ok(today);
    };
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::field("observed_on", "must be a date YYYY-MM-DD"))?;
    if d > today {
        return Err(ApiError::field("observed_on", "must not be in the future"));
    }
    if today - d > chrono::Duration::days(90) {
        return Err(ApiError::field(
            "observed_on",
            "must be within the last 90 days: older matters go to the office directly",
        ));
    }
    Ok(d)
}

/// Reports a concern about the tenant (a landlord, agent or 居住支援法人 the sheet is
/// shared with; staff or admin). It is routed with the published version of the sheet.
#[utoipa::path(tag = "support-sheets", request_body = NewConcern, params(("id" = uuid::Uuid, Path)), responses(
    (status = 201, body = ConcernView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the sheet has no published version yet"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/support-sheets/{id}/concerns")]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let b: NewConcern = parse_body(body.into_inner())?;
    let out = report_concern(&state, caller, id.into_inner().to_string(), b).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Reports a concern against sheet `id` (API and portal): routed with the published
/// version, queued as a webhook event and audited in one transaction.
/// The client's consent in force to share its sheet (a section of it, or everything
/// with a 居住支援法人) with `org`.
fn sheet_consent(
    conn: &mut db::DbConn,
    client_id: &str,
    org: &str,
) -> ApiResult<Option<db::clients::ConsentRow>> {
    if let Some(c) = support_sheets::section_consents(conn, client_id, org)?
        .into_iter()
        .next()
    {
        return Ok(Some(c));
    }
    Ok(db::clients::active_consent(
        conn,
        client_id,
        "share_with_corp",
        Some(org),
    )?)
}

pub async fn report_concern(
    state: &AppState,
    caller: Caller,
    id: String,
    b: NewConcern,
) -> ApiResult<ConcernView> {
    let note = b
        .note
        .filter(|n| !n.trim().is_empty())
        .map(|n| crate::domain::validate::text(&n, 500).map_err(|m| ApiError::field("note", m)))
        .transpose()?;
    let observed = observed_on(b.observed_on)?;
    let kind = b.kind;
    let out = state
        .db
        .transaction(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::Create,
                Resource::SheetConcerns {
                    access: loaded.access,
                },
            )?;
            let Some(version) = loaded.sheet.published_version else {
                return Err(ApiError::Conflict(
                    "the sheet has no published version to route the concern with yet".into(),
                ));
            };
            let sections = sections_of(&support_sheets::version(conn, &loaded.sheet.id, version)?)?;
            let to = route(&sections, kind)
                .ok_or_else(|| ApiError::internal("a published sheet without contacts"))?;
            let row = ConcernRow {
                id: db::new_id(),
                sheet_id: loaded.sheet.id.clone(),
                sheet_version: version,
                kind: kind.as_str().to_owned(),
                note,
                observed_on: observed,
                reported_by_org_id: caller.organization_id.to_string(),
                reported_by_user_id: caller.user_id().map(|u| u.to_string()),
                reported_at: db::now(),
                routed_to: serde_json::to_string(&to).map_err(ApiError::internal)?,
                acknowledged_at: None,
                acknowledged_by_user_id: None,
            };
            support_sheets::insert_concern(conn, &row)?;
            let mut orgs = vec![loaded.sheet.office_org_id.clone()];
            // The contact's organisation gets the event (the client's pseudonym and the
            // note) only under the client's consent to share the sheet with it; without
            // one the office alone hears of it, and calls the contact itself.
            if let Some(o) = to.organization_id.map(|o| o.to_string())
                && !orgs.contains(&o)
                && o != caller.organization_id.to_string()
                && let Some(consent) = sheet_consent(conn, &loaded.client.id, &o)?
            {
                let now = db::now();
                db::clients::log_provision(
                    conn,
                    &db::clients::ProvisionRow {
                        id: db::new_id(),
                        client_id: loaded.client.id.clone(),
                        recipient_org_id: o.clone(),
                        consent_id: consent.id,
                        purpose: consent.purpose,
                        items: "support_sheet_concern".into(),
                        provided_at: now,
                        provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                        keep_until: crate::domain::client::keep_provision_until(
                            crate::domain::time::date_in_tokyo(utc(now)),
                        ),
                    },
                )?;
                orgs.push(o);
            }
            outbox::enqueue(
                conn,
                &orgs,
                "support_sheet.concern",
                serde_json::json!({
                    "concern_id": row.id,
                    "sheet_id": row.sheet_id,
                    "client_id": loaded.client.id,
                    "display_code": loaded.client.display_code,
                    "kind": kind,
                    "label": kind.label_ja(),
                    "note": row.note,
                    "observed_on": row.observed_on,
                    "reported_by_org_id": row.reported_by_org_id,
                    "routed_to": to,
                }),
            )?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "support_sheet_concern",
                    object_type: "client",
                    object_id: Some(loaded.client.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({
                        "sheet_id": row.sheet_id, "concern_id": row.id, "kind": kind,
                    }),
                },
            )?;
            view(row, loaded.sections().contains(&Section::Network))
        })
        .await?;
    Ok(out)
}

/// The concerns reported against the sheet, newest first: all of them for the office
/// and its partner, a reporter's own for anyone else.
#[utoipa::path(tag = "support-sheets", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ConcernList),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/support-sheets/{id}/concerns")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<ConcernList>> {
    let items = list_concerns(&state, caller, id.into_inner().to_string()).await?;
    Ok(web::Json(ConcernList { items }))
}

/// The concerns of sheet `id` the caller may see (API and portal).
pub async fn list_concerns(
    state: &AppState,
    caller: Caller,
    id: String,
) -> ApiResult<Vec<ConcernView>> {
    let items = state
        .db
        .run(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::List,
                Resource::SheetConcerns {
                    access: loaded.access,
                },
            )?;
            let org = caller.organization_id.to_string();
            let reporter = (!loaded.full()).then_some(org.as_str());
            let network = loaded.sections().contains(&Section::Network);
            support_sheets::concerns_of(conn, &loaded.sheet.id, reporter)?
                .into_iter()
                .map(|r| view(r, network))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(items)
}

/// Marks a concern as seen and taken up (the office, staff or admin).
#[utoipa::path(tag = "support-sheets", params(("id" = uuid::Uuid, Path), ("concern_id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ConcernView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "acknowledged already"),
), security(("bearer" = [])))]
#[post("/support-sheets/{id}/concerns/{concern_id}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> ApiResult<web::Json<ConcernView>> {
    let (id, concern) = path.into_inner();
    let (id, concern) = (id.to_string(), concern.to_string());
    let out = state
        .db
        .transaction(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::Update,
                Resource::SheetConcerns {
                    access: loaded.access,
                },
            )?;
            let user = caller
                .user_id()
                .ok_or_else(|| ApiError::Forbidden("a person acknowledges a concern".into()))?;
            // An unknown concern is 404 (the `?`).
            let mut row = support_sheets::concern(conn, &loaded.sheet.id, &concern)?;
            let now = db::now();
            // The guarded update, not the row read, decides: two offices' staff may click at once.
            if !support_sheets::acknowledge(
                conn,
                &loaded.sheet.id,
                &concern,
                &user.to_string(),
                now,
            )? {
                return Err(ApiError::Conflict(
                    "the concern was acknowledged already".into(),
                ));
            }
            row.acknowledged_at = Some(now);
            row.acknowledged_by_user_id = Some(user.to_string());
            view(row, true)
        })
        .await?;
    Ok(web::Json(out))
}
