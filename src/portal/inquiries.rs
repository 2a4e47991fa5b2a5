//! 入居の相談: the inquiries for the landlord's (or agent's) rentals. A list, and one
//! inquiry with what the client consented to share, the support office and 居住支援法人
//! behind it, the 生活サポートシート sections shared with this landlord (and its PDF),
//! and the landlord's steps: schedule a viewing, accept, or decline with a reason from
//! the concern list. Reads and steps are the API's (`routes::inquiries`), with the same
//! audit and provision-log records.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::form::Form;
use super::session::{Nav, Session};
use super::{PortalResult, messages, page, page_with, see_other};
use crate::auth::{Action, Resource, authorize};
use crate::db::inquiries::{self, InquiryRow, ListScope};
use crate::db::{clients, organizations, rentals, support_sheets};
use crate::domain::inquiry::{DeclineReason, InquiryStatus, Side, check_step};
use crate::domain::page::{Page, PageRequest};
use crate::domain::support_sheet::print::Printable;
use crate::domain::time::tokyo;
use crate::error::ApiError;
use crate::routes::inquiries::steps::{StepInput, take_step};
use crate::routes::inquiries::view::{InquiryView, SharedClient, event_view};
use crate::routes::inquiries::{audit_inquiry, read_view};
use crate::routes::rentals::view::RentalView;
use crate::routes::support_sheets::{SheetFormat, read_printable, read_response};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/inquiries", web::get().to(list))
        .route("/inquiries/{id}", web::get().to(show))
        .route("/inquiries/{id}/step", web::post().to(step))
        .route("/sheets/{id}/pdf", web::get().to(sheet_pdf))
        .route("/sheets/{id}", web::get().to(sheet_html));
}

/// Tokyo time as the page shows it: 2026年12月4日 14:00.
pub fn tokyo_time(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&tokyo())
        .format("%Y年%-m月%-d日 %H:%M")
        .to_string()
}

pub struct Row {
    pub id: String,
    pub rental: String,
    pub status: String,
    pub office: String,
    pub viewing: String,
    pub stalled: bool,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "portal/inquiries.html")]
struct ListPage {
    nav: Nav,
    section: &'static str,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
}

fn name_of(orgs: &[(String, String)], id: &str) -> String {
    orgs.iter()
        .find(|(i, _)| i == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_default()
}

async fn list(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<ListQuery>,
) -> PortalResult<HttpResponse> {
    authorize(&s.caller, Action::List, Resource::Inquiries)?;
    let page_req = PageRequest::parse(Some(50), q.cursor.as_deref())?;
    let caller = s.caller;
    let scope = ListScope::LandlordOrAgent(caller.organization_id.to_string());
    let (rows, rentals_of, offices) = state
        .db
        .transaction(move |conn| {
            let rows = inquiries::list(conn, &scope, None, &page_req)?;
            audit_inquiry(
                conn,
                &caller,
                "list",
                None,
                serde_json::json!({ "count": rows.len(), "via": "portal" }),
            )?;
            let ids: Vec<String> = rows.iter().map(|r| r.rental_id.clone()).collect();
            let rentals_of = rentals::find_many(conn, &ids)?;
            let office_ids: Vec<String> = rows.iter().map(|r| r.office_org_id.clone()).collect();
            let offices = organizations::names_of(conn, &office_ids)?;
            Ok((rows, rentals_of, offices))
        })
        .await?;
    let page_rows = Page::from_rows(rows, 50, |r: &InquiryRow| r.id.clone());
    let mut out = Vec::new();
    for r in page_rows.items {
        let rental = rentals_of
            .iter()
            .find(|x| x.id == r.rental_id)
            .cloned()
            .map(|x| RentalView::from_row(x, None))
            .transpose()?
            .map(|v| super::rentals::title_of(&v))
            .unwrap_or_default();
        let status = InquiryStatus::parse(&r.status).map_err(ApiError::internal)?;
        out.push(Row {
            rental,
            status: status.label_ja().to_owned(),
            office: name_of(&offices, &r.office_org_id),
            viewing: r
                .viewing_at
                .map(|t| tokyo_time(crate::routes::utc(t)))
                .unwrap_or_default(),
            stalled: r.stalled_at.is_some(),
            updated: tokyo_time(crate::routes::utc(r.last_step_at)),
            id: r.id,
        });
    }
    page(&ListPage {
        nav: s.nav(),
        section: "inquiries",
        rows: out,
        next: page_rows.next_cursor,
    })
}

pub struct Step {
    pub at: String,
    pub status: String,
    pub side: String,
    pub note: String,
}

pub struct Reason {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "portal/inquiry.html")]
struct InquiryPage {
    nav: Nav,
    section: &'static str,
    view: InquiryView,
    status: String,
    rental: String,
    rental_id: String,
    office: String,
    corp: Option<String>,
    client: Option<SharedClient>,
    categories: String,
    place: String,
    steps: Vec<Step>,
    /// The shared sheet: its id, the sections shown and those withheld.
    sheet: Option<(String, Printable)>,
    withheld: Vec<&'static str>,
    can_accept: bool,
    can_decline: bool,
    can_view: bool,
    reasons: Vec<Reason>,
    errors: Vec<(String, String)>,
    done: Option<String>,
    viewing_value: String,
}

#[derive(Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

fn reasons() -> Vec<Reason> {
    DeclineReason::ALL
        .iter()
        .map(|r| Reason {
            value: r.as_str(),
            label: r.label_ja(),
        })
        .collect()
}

async fn inquiry_page(
    state: &AppState,
    s: &Session,
    id: String,
    errors: Vec<(String, String)>,
    done: Option<String>,
) -> PortalResult<InquiryPage> {
    let caller = s.caller;
    let (view, rental, office, corp, events, sheet_id) = state
        .db
        .transaction(move |conn| {
            let (row, view) =
                read_view(conn, &caller, &id, serde_json::json!({ "via": "portal" }))?;
            let rental = rentals::find_any(conn, &row.rental_id)?;
            let office = organizations::find(conn, &row.office_org_id)?.name;
            let events = inquiries::events_of(conn, &row.id)?
                .into_iter()
                .map(|e| event_view(e, &row))
                .collect::<Result<Vec<_>, _>>()?;
            // The 居住支援法人 behind the client, only while the client shares with us.
            let corp = if view.shared_client.is_some() {
                clients::active_consent(conn, &row.client_id, "share_with_corp", None)?
                    .and_then(|c| c.recipient_org_id)
                    .map(|c| organizations::find(conn, &c))
                    .transpose()?
                    .map(|o| o.name)
            } else {
                None
            };
            let sheet_id = support_sheets::of_client(conn, &row.client_id)?.map(|s| s.id);
            Ok((view, rental, office, corp, events, sheet_id))
        })
        .await?;
    let sheet = match sheet_id {
        Some(sid) => read_printable(state, caller, sid.clone())
            .await?
            .map(|p| (sid, p)),
        None => None,
    };
    let withheld = sheet
        .as_ref()
        .map(|(_, p)| p.withheld_labels())
        .unwrap_or_default();
    let status = view.status;
    let open = !status.is_final();
    let allowed = |to| open && check_step(status, to, Side::Landlord).is_ok();
    let mut view = view;
    let client = view.shared_client.take();
    let categories = client
        .as_ref()
        .map(|c| {
            c.categories
                .iter()
                .map(|k| k.label_ja())
                .collect::<Vec<_>>()
                .join("、")
        })
        .unwrap_or_default();
    let place = client
        .as_ref()
        .map(|c| c.current_place.label_ja().to_owned())
        .unwrap_or_default();
    let rental_view = RentalView::from_row(rental, None)?;
    Ok(InquiryPage {
        nav: s.nav(),
        section: "inquiries",
        status: status.label_ja().to_owned(),
        rental: super::rentals::title_of(&rental_view),
        rental_id: rental_view.id.clone(),
        office,
        corp,
        client,
        categories,
        place,
        steps: events
            .into_iter()
            .map(|e| Step {
                at: tokyo_time(e.at),
                status: e.to_status.label_ja().to_owned(),
                side: match e.by_side {
                    Some(crate::routes::inquiries::view::StepSide::Office) => "相談支援事業所",
                    Some(crate::routes::inquiries::view::StepSide::Landlord) => "家主・管理会社",
                    None => "",
                }
                .to_owned(),
                note: e.note.unwrap_or_default(),
            })
            .collect(),
        sheet,
        withheld,
        can_accept: allowed(InquiryStatus::Accepted),
        can_decline: allowed(InquiryStatus::Declined),
        can_view: allowed(InquiryStatus::ViewingScheduled),
        reasons: reasons(),
        errors,
        done,
        viewing_value: String::new(),
        view,
    })
}

async fn show(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
    q: web::Query<ShowQuery>,
) -> PortalResult<HttpResponse> {
    let done = q.into_inner().done.and_then(|d| {
        match d.as_str() {
            "accepted" => Some("入居を承諾しました。相談支援事業所に知らせました。"),
            "declined" => Some("お断りを記録しました。相談支援事業所に知らせました。"),
            "viewing_scheduled" => Some("内見の日時を知らせました。"),
            _ => None,
        }
        .map(str::to_owned)
    });
    let p = inquiry_page(&state, &s, id.into_inner().to_string(), Vec::new(), done).await?;
    page(&p)
}

/// `datetime-local` (Tokyo wall time) to UTC.
fn tokyo_local(s: &str) -> Option<chrono::DateTime<Utc>> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    tokyo()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

async fn step(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let id = id.into_inner().to_string();
    let version = form.version();
    let to = InquiryStatus::parse(&form.text("to")).map_err(|m| ApiError::field("to", m))?;
    let mut early = Vec::new();
    let viewing_at = match form.opt("viewing_at") {
        Some(v) => match tokyo_local(&v) {
            Some(t) => Some(t),
            None => {
                early.push((
                    "viewing_at".to_owned(),
                    "日時を正しく入力してください。".to_owned(),
                ));
                None
            }
        },
        None => None,
    };
    let decline_reason = match form.opt("decline_reason") {
        Some(r) => match DeclineReason::parse(&r) {
            Ok(r) => Some(r),
            Err(_) => {
                early.push((
                    "decline_reason".to_owned(),
                    "一覧から理由を選んでください。".to_owned(),
                ));
                None
            }
        },
        None => None,
    };
    let input = StepInput {
        to,
        viewing_at,
        decline_reason,
        decline_note: form.opt("decline_note"),
        withdraw_reason: None,
        note: form.opt("note"),
    };
    let result = if early.is_empty() {
        take_step(&state, s.caller, id.clone(), version, input)
            .await
            .map(|_| ())
    } else {
        Err(ApiError::Validation(Vec::new()))
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/portal/inquiries/{id}?done={}",
            to.as_str()
        ))),
        Err(ApiError::Validation(errors)) => {
            let mut shown = early;
            shown.extend(errors.iter().map(|e| {
                (
                    messages::label(&e.field).to_owned(),
                    messages::for_field(&e.field, &e.message),
                )
            }));
            let mut p = inquiry_page(&state, &s, id, shown, None).await?;
            p.viewing_value = form.text("viewing_at");
            page_with(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}

/// The shared sheet as the API serves it (same access, audit and provision records).
async fn sheet(
    state: &AppState,
    s: Session,
    id: uuid::Uuid,
    format: SheetFormat,
) -> PortalResult<HttpResponse> {
    Ok(read_response(state, s.caller, id.to_string(), format, None).await?)
}

async fn sheet_pdf(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
) -> PortalResult<HttpResponse> {
    sheet(&state, s, id.into_inner(), SheetFormat::Pdf).await
}

async fn sheet_html(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
) -> PortalResult<HttpResponse> {
    sheet(&state, s, id.into_inner(), SheetFormat::Html).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewing_typed_in_tokyo_time_is_stored_in_utc() {
        let t = tokyo_local("2026-12-10T14:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-10T05:00:00+00:00");
        assert!(tokyo_local("tomorrow").is_none());
        assert_eq!(tokyo_time(t), "2026年12月10日 14:00");
    }
}
