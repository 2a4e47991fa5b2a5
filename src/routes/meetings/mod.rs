//! `/meetings`: an office's information-sharing meetings (情報連携の場) with a
//! 居住支援法人 or 居住支援協議会. The office and the partners that attended read a
//! meeting; only the office's staff write it. Each client discussed needs an active
//! discuss_at_meetings consent on the meeting day, and each sharing goes to the
//! provision log (the partners receive the data). Once the meeting's month is closed
//! (by the office, or from the 11th of the next month) the record changes only by
//! amendments.

pub mod amendments;
pub mod input;
pub mod minutes;
pub mod view;
mod write;

pub use write::{create, replace, update};

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::etag;
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::meetings::{MeetingRow, Scope};
use crate::db::{DbConn, audit, meetings};
use crate::domain::ids::OrganizationId;
use crate::domain::organization::OrgKind;
use crate::domain::page::{Page, PageRequest};
use crate::domain::time::today_tokyo;
use crate::domain::year_month::{MonthRange, YearMonth};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use view::{MeetingSummary, MeetingView, meeting_view, summary};

/// Is the office's month of `day` closed (by the office, or by the billing deadline)?
pub fn month_closed(conn: &mut DbConn, office: &str, day: NaiveDate) -> ApiResult<bool> {
    let month = YearMonth::of(day);
    let by_office = meetings::closure(conn, office, &month.to_string())?.is_some();
    Ok(month.is_closed(today_tokyo(), by_office))
}

/// The 409 for a change to a closed month.
pub fn closed_conflict(day: NaiveDate) -> ApiError {
    ApiError::Conflict(format!(
        "the month {} is closed: the meeting can no longer be edited; \
         POST the correction to /api/v1/meetings/{{id}}/amendments",
        YearMonth::of(day)
    ))
}

/// Loads a meeting and checks that the caller may do `action` to it.
pub fn load_authorized(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: Action,
) -> ApiResult<MeetingRow> {
    let row = meetings::find(conn, id)?;
    let partners = meetings::partners_of(conn, &row.id)?;
    let me = caller.organization_id.to_string();
    authorize(
        caller,
        action,
        Resource::Meeting {
            office: OrganizationId::from_db(&row.office_org_id).map_err(ApiError::internal)?,
            partner: partners.contains(&me),
        },
    )?;
    Ok(row)
}

pub fn audit_meeting(
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
            object_type: "meeting",
            object_id: id,
            outcome: "ok",
            detail,
        },
    )?;
    Ok(())
}

/// Audit-logs that the caller saw the clients of a meeting (their pseudonyms).
pub fn audit_clients_seen(
    conn: &mut DbConn,
    caller: &Caller,
    meeting: &MeetingRow,
    action: &str,
) -> ApiResult<()> {
    for c in meetings::clients_of(conn, &meeting.id)? {
        audit::write(
            conn,
            audit::Entry {
                actor: Some(caller),
                action,
                object_type: "client",
                object_id: Some(c.client_id),
                outcome: "ok",
                detail: serde_json::json!({ "items": "meeting", "meeting_id": meeting.id }),
            },
        )?;
    }
    Ok(())
}

pub fn with_etag(status: actix_web::http::StatusCode, view: MeetingView) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(view.version)));
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/meetings/{}", view.id)));
    }
    res.json(view)
}

/// `?from=YYYY-MM&to=YYYY-MM&limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MonthListQuery {
    /// The first month, YYYY-MM.
    pub from: Option<String>,
    /// The last month, YYYY-MM.
    pub to: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl MonthListQuery {
    pub fn parse(&self) -> ApiResult<(MonthRange, PageRequest)> {
        let range =
            MonthRange::parse(self.from.as_deref(), self.to.as_deref()).map_err(|(field, m)| {
                ApiError::BadRequest {
                    slug: "invalid-parameter",
                    detail: format!("{field} {m}"),
                    field: Some(field.into()),
                }
            })?;
        Ok((
            range,
            PageRequest::parse(self.limit, self.cursor.as_deref())?,
        ))
    }
}

/// Lists meetings held in a range of months: an office's own, or for a 居住支援法人 or
/// 居住支援協議会 those it attended (no client data; open one to see it).
#[utoipa::path(tag = "meetings", params(MonthListQuery), responses(
    (status = 200, body = Page<MeetingSummary>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/meetings")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<MonthListQuery>,
) -> ApiResult<web::Json<Page<MeetingSummary>>> {
    authorize(&caller, Action::List, Resource::Meetings)?;
    let (range, page) = q.parse()?;
    let limit = page.limit;
    let org = caller.organization_id.to_string();
    let scope = if caller.org_kind == OrgKind::SupportOffice {
        Scope::Office(org)
    } else {
        Scope::Partner(org)
    };
    let items = state
        .db
        .transaction(move |conn| {
            let (from, to) = range.days();
            let rows = meetings::list(conn, &scope, from, to, &page)?;
            audit_meeting(
                conn,
                &caller,
                "list",
                None,
                serde_json::json!({ "count": rows.len() }),
            )?;
            let page = Page::from_rows(rows, limit, |r| r.id.clone());
            let mut items = Vec::new();
            // A page holds many meetings of the same office and month: ask once each.
            let mut closed = std::collections::HashMap::new();
            for r in page.items {
                let key = (r.office_org_id.clone(), YearMonth::of(r.held_on));
                let locked = match closed.get(&key) {
                    Some(&locked) => locked,
                    None => {
                        let locked = month_closed(conn, &r.office_org_id, r.held_on)?;
                        closed.insert(key, locked);
                        locked
                    }
                };
                items.push(summary(conn, r, locked)?);
            }
            Ok(Page {
                items,
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(web::Json(items))
}

/// Reads a meeting: its office, or a partner that attended (others: 404).
#[utoipa::path(tag = "meetings", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = MeetingView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/meetings/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let view = state
        .db
        .transaction(move |conn| {
            let row = load_authorized(conn, &caller, &id, Action::Read)?;
            audit_meeting(
                conn,
                &caller,
                "read",
                Some(row.id.clone()),
                serde_json::json!({}),
            )?;
            audit_clients_seen(conn, &caller, &row, "read")?;
            let locked = month_closed(conn, &row.office_org_id, row.held_on)?;
            meeting_view(conn, row, locked)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, view))
}
