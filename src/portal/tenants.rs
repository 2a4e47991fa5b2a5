//! 入居者: the landlord's tenants who have a 生活サポートシート shared with it — the
//! emergency contacts at a glance, and a concern (rent late, a neighbour's complaint, no
//! answer at the door, other) reported with one press of a button. The concern goes
//! through the API's operation (`routes::support_sheets::concerns::report_concern`):
//! routed to the contact the sheet names, sent as a webhook event and shown to the
//! office.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::Form;
use super::inquiries::tokyo_time;
use super::session::{Nav, Session};
use super::{PortalResult, messages, page, page_with, see_other};
use crate::auth::{Action, Resource, authorize};
use crate::db::inquiries::{self, ListScope};
use crate::db::{rentals, support_sheets};
use crate::domain::inquiry::InquiryStatus;
use crate::domain::page::PageRequest;
use crate::domain::support_sheet::concern::ConcernKind;
use crate::domain::support_sheet::print::Printable;
use crate::error::ApiError;
use crate::routes::rentals::view::RentalView;
use crate::routes::support_sheets::concerns::{
    ConcernView, NewConcern, list_concerns, report_concern,
};
use crate::routes::support_sheets::read_printable;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tenants", web::get().to(list))
        .route("/tenants/{sheet_id}/concerns", web::post().to(report));
}

pub struct Kind {
    pub value: &'static str,
    pub label: &'static str,
}

pub struct Reported {
    pub label: String,
    pub at: String,
    pub to: String,
    pub acknowledged: bool,
}

pub struct Tenant {
    pub sheet_id: String,
    pub rental: String,
    pub sheet: Printable,
    pub reported: Vec<Reported>,
}

#[derive(Template)]
#[template(path = "portal/tenants.html")]
struct TenantsPage {
    nav: Nav,
    section: &'static str,
    tenants: Vec<Tenant>,
    kinds: Vec<Kind>,
    done: bool,
    error: Option<(String, String)>,
}

#[derive(Deserialize)]
struct ListQuery {
    done: Option<String>,
}

fn kinds() -> Vec<Kind> {
    ConcernKind::ALL
        .iter()
        .map(|k| Kind {
            value: k.as_str(),
            label: k.label_ja(),
        })
        .collect()
}

fn reported(c: ConcernView) -> Reported {
    Reported {
        label: c.label,
        at: tokyo_time(c.reported_at),
        to: c
            .routed_to
            .map(|r| match r.person {
                Some(p) => format!("{}（{}）", r.organization, p),
                None => r.organization,
            })
            .unwrap_or_else(|| "相談支援事業所".into()),
        acknowledged: c.acknowledged_at.is_some(),
    }
}

/// Tenants: clients of the landlord's rentals who moved in (or are about to), each
/// with the sheet as far as it is shared with this landlord.
async fn tenants(state: &AppState, s: &Session) -> PortalResult<Vec<Tenant>> {
    let caller = s.caller;
    let scope = ListScope::LandlordOrAgent(caller.organization_id.to_string());
    let found = state
        .db
        .run(move |conn| {
            let page = PageRequest::parse(Some(200), None)?;
            let mut out = Vec::new();
            for status in [InquiryStatus::MovedIn, InquiryStatus::Accepted] {
                for r in inquiries::list(conn, &scope, Some(status), &page)? {
                    if let Some(sheet) = support_sheets::of_client(conn, &r.client_id)?
                        && !out.iter().any(|(id, _): &(String, _)| *id == sheet.id)
                    {
                        let rental = rentals::find_any(conn, &r.rental_id)?;
                        out.push((sheet.id, rental));
                    }
                }
            }
            Ok(out)
        })
        .await?;
    let mut out = Vec::new();
    for (sheet_id, rental) in found {
        let Some(sheet) = read_printable(state, caller, sheet_id.clone()).await? else {
            continue;
        };
        let reported = list_concerns(state, caller, sheet_id.clone())
            .await?
            .into_iter()
            .map(reported)
            .collect();
        out.push(Tenant {
            sheet_id,
            rental: super::rentals::title_of(&RentalView::from_row(rental, None)?),
            sheet,
            reported,
        });
    }
    Ok(out)
}

async fn list(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<ListQuery>,
) -> PortalResult<HttpResponse> {
    authorize(&s.caller, Action::List, Resource::SupportSheets)?;
    let tenants = tenants(&state, &s).await?;
    page(&TenantsPage {
        nav: s.nav(),
        section: "tenants",
        tenants,
        kinds: kinds(),
        done: q.done.as_deref() == Some("concern"),
        error: None,
    })
}

async fn report(
    state: web::Data<AppState>,
    s: Session,
    sheet_id: web::Path<uuid::Uuid>,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let sheet_id = sheet_id.into_inner().to_string();
    let kind = ConcernKind::parse(&form.text("kind")).map_err(|m| ApiError::field("kind", m))?;
    let input = NewConcern {
        kind,
        note: form.opt("note"),
        observed_on: form.opt("observed_on"),
    };
    match report_concern(&state, s.caller, sheet_id.clone(), input).await {
        Ok(_) => Ok(see_other(&format!(
            "/portal/tenants?done=concern#tenant-{sheet_id}"
        ))),
        Err(ApiError::Validation(errors)) => {
            let e = errors
                .first()
                .map(|e| (sheet_id.clone(), messages::for_field(&e.field, &e.message)));
            let tenants = tenants(&state, &s).await?;
            page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &TenantsPage {
                    nav: s.nav(),
                    section: "tenants",
                    tenants,
                    kinds: kinds(),
                    done: false,
                    error: e,
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}
