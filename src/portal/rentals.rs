//! 物件: the landlord's (or agent's) rentals — list, register, edit, vacant/occupied,
//! and the CSV upload with its row report. Saving goes through the API's operations
//! (`routes::rentals::register` / `replace`), so the checks, history, audit and the
//! search index are the same as over the API.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::Form;
use super::rental_form::{
    Choice, LAYOUTS, RentalForm, STRUCTURES, accessibility_choices, category_choices,
    condition_choices,
};
use super::session::{Nav, Session};
use super::{PortalResult, page, page_with, see_other};
use crate::auth::{Action, Resource, authorize};
use crate::db::rentals::RentalRow;
use crate::db::{organizations, rentals};
use crate::domain::organization::OrgKind;
use crate::domain::page::{Page, PageRequest};
use crate::domain::rental::Vacancy;
use crate::error::ApiError;
use crate::routes::rentals::view::{RentalView, input_from_row};
use crate::routes::rentals::{load_authorized, register, replace, validate};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/rentals", web::get().to(list))
        .route("/rentals", web::post().to(create))
        .route("/rentals/new", web::get().to(new_form))
        .route("/rentals/import", web::get().to(super::import::form))
        .route(
            "/rentals/import/example.csv",
            web::get().to(super::import::example),
        )
        .route("/rentals/import", web::post().to(super::import::upload))
        .route("/rentals/{id}/edit", web::get().to(edit_form))
        .route("/rentals/{id}", web::post().to(update))
        .route("/rentals/{id}/vacancy", web::post().to(set_vacancy));
}

/// A rental in the list.
pub struct Item {
    pub id: String,
    pub title: String,
    pub address: String,
    pub layout: String,
    pub area: String,
    pub monthly: String,
    pub vacant: bool,
    pub vacant_from: String,
    pub placed: bool,
    pub version: i32,
    pub support_housing: bool,
}

/// Yen with thousands separators: 45,000円.
pub fn yen(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}{out}円", if n < 0 { "-" } else { "" })
}

pub fn title_of(v: &RentalView) -> String {
    let name = v
        .building_name
        .clone()
        .unwrap_or_else(|| "（建物名なし）".into());
    if v.unit_number.is_empty() {
        name
    } else {
        format!("{name} {}号室", v.unit_number)
    }
}

fn item(v: RentalView) -> Item {
    Item {
        title: title_of(&v),
        address: format!("{}{}", v.municipality_name, v.address_line),
        layout: v.layout.clone(),
        area: format!("{}㎡", v.floor_area_m2),
        monthly: format!(
            "{}（家賃 {} ＋ 共益費 {}）",
            yen(i64::from(v.monthly_total)),
            yen(i64::from(v.rent)),
            yen(i64::from(v.common_fee))
        ),
        vacant: v.vacancy == Vacancy::Vacant,
        vacant_from: v.vacant_from.map(|d| d.to_string()).unwrap_or_default(),
        placed: v.latitude.is_some(),
        version: v.version,
        support_housing: v.support_housing.is_some(),
        id: v.id,
    }
}

#[derive(Template)]
#[template(path = "portal/rentals.html")]
struct ListPage {
    nav: Nav,
    section: &'static str,
    items: Vec<Item>,
    next: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    done: Option<String>,
}

async fn list(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<ListQuery>,
) -> PortalResult<HttpResponse> {
    let q = q.into_inner();
    let page_req = PageRequest::parse(Some(50), q.cursor.as_deref())?;
    let org = s.caller.organization_id.to_string();
    let rows = state
        .db
        .run(move |conn| Ok(rentals::list_for_org(conn, &org, &page_req)?))
        .await?;
    let page_rows = Page::from_rows(rows, 50, |r| r.id.clone());
    let items = page_rows
        .items
        .into_iter()
        .map(|r| RentalView::from_row(r, None).map(item))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let done = q.done.and_then(|d| {
        match d.as_str() {
            "created" => Some("物件を登録しました。"),
            "updated" => Some("物件の情報を保存しました。"),
            "vacant" => Some("空室にしました。入居を探している方の相談支援事業所に知らせます。"),
            "occupied" => Some("入居中にしました。"),
            _ => None,
        }
        .map(str::to_owned)
    });
    page(&ListPage {
        nav: s.nav(),
        section: "rentals",
        items,
        next: page_rows.next_cursor,
        done,
    })
}

/// An organisation offered in a select.
pub struct Org {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "portal/rental_form.html")]
struct FormPage {
    nav: Nav,
    section: &'static str,
    /// `None` for a new rental.
    rental_id: Option<String>,
    version: i32,
    f: RentalForm,
    agent: bool,
    landlords: Vec<Org>,
    agents: Vec<Org>,
    corps: Vec<Org>,
    layouts: &'static [&'static str],
    structures: &'static [(&'static str, &'static str)],
    accessibility: Vec<Choice>,
    categories: Vec<Choice>,
    conditions: Vec<Choice>,
    geocode_note: Option<String>,
    notice: Option<&'static str>,
}

async fn orgs_of(state: &AppState, kind: OrgKind) -> PortalResult<Vec<Org>> {
    let rows = state
        .db
        .run(move |conn| Ok(organizations::active_of_kind(conn, kind.as_str())?))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| Org { id, name })
        .collect())
}

async fn form_page(
    state: &AppState,
    s: &Session,
    rental_id: Option<String>,
    version: i32,
    f: RentalForm,
    geocode_note: Option<String>,
) -> PortalResult<FormPage> {
    Ok(FormPage {
        nav: s.nav(),
        section: "rentals",
        rental_id,
        version,
        f,
        agent: s.is_agent(),
        landlords: orgs_of(state, OrgKind::Landlord).await?,
        agents: orgs_of(state, OrgKind::RealEstateAgent).await?,
        corps: orgs_of(state, OrgKind::HousingSupportCorp).await?,
        layouts: LAYOUTS,
        structures: STRUCTURES,
        accessibility: accessibility_choices(),
        categories: category_choices(),
        conditions: condition_choices(),
        geocode_note,
        notice: None,
    })
}

async fn new_form(state: web::Data<AppState>, s: Session) -> PortalResult<HttpResponse> {
    authorize(&s.caller, Action::Create, Resource::Rentals)?;
    page(&form_page(&state, &s, None, 0, RentalForm::blank(), None).await?)
}

/// A form with errors is shown again with what was typed (422).
async fn refused(
    state: &AppState,
    s: &Session,
    rental_id: Option<String>,
    version: i32,
    mut f: RentalForm,
    e: ApiError,
) -> PortalResult<HttpResponse> {
    match e {
        ApiError::Validation(errors) => f.add_errors(&errors),
        other => return Err(other.into()),
    }
    page_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(state, s, rental_id, version, f, None).await?,
    )
}

async fn create(state: web::Data<AppState>, s: Session, form: Form) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    authorize(&s.caller, Action::Create, Resource::Rentals)?;
    let mut f = RentalForm::from_form(&form);
    let mut input = f.read_input();
    // A landlord registers its own rentals; an agent the ones it manages.
    if s.is_agent() {
        input.agent_org_id = None;
    } else {
        input.owner_org_id = None;
    }
    if f.has_errors() {
        // Still run the domain's checks, so every problem shows at once.
        let e = validate(input)
            .err()
            .unwrap_or(ApiError::Validation(Vec::new()));
        return refused(&state, &s, None, 0, f, e).await;
    }
    match register(&state, s.caller, input).await {
        Ok(row) => Ok(see_other(&format!(
            "/portal/rentals/{}/edit?done=created",
            row.id
        ))),
        Err(e) => refused(&state, &s, None, 0, f, e).await,
    }
}

async fn load(state: &AppState, s: &Session, id: uuid::Uuid) -> PortalResult<RentalRow> {
    Ok(load_authorized(state, &s.caller, id, Action::Update).await?)
}

fn geocode_note(row: &RentalRow) -> Option<String> {
    match row.geocode_status.as_str() {
        "failed" => Some("住所から位置を特定できませんでした。緯度・経度を入力するか、住所を確認してください。位置がないと、距離での検索に表示されません。".into()),
        "pending" => Some("住所から位置を調べているところです。".into()),
        _ => None,
    }
}

#[derive(Deserialize)]
struct EditQuery {
    done: Option<String>,
}

async fn edit_form(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
    q: web::Query<EditQuery>,
) -> PortalResult<HttpResponse> {
    let row = load(&state, &s, id.into_inner()).await?;
    let f = RentalForm::from_input(&input_from_row(&row)?);
    let note = geocode_note(&row);
    let mut p = form_page(&state, &s, Some(row.id.clone()), row.version, f, note).await?;
    if q.done.as_deref() == Some("created") {
        p.notice = Some("物件を登録しました。登録した内容はこのとおりです。");
    }
    page(&p)
}

async fn update(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let current = load(&state, &s, id.into_inner()).await?;
    let rental_id = Some(current.id.clone());
    let version = form.version_of(current.version)?;
    let mut f = RentalForm::from_form(&form);
    let mut input = f.read_input();
    // Who owns a rental never comes from the form; an agent cannot hand it on either.
    input.owner_org_id = Some(current.owner_org_id.clone());
    if s.is_agent() {
        input.agent_org_id = current.agent_org_id.clone();
    }
    if f.has_errors() {
        let e = validate(input)
            .err()
            .unwrap_or(ApiError::Validation(Vec::new()));
        return refused(&state, &s, rental_id, version, f, e).await;
    }
    match replace(&state, s.caller, current, input).await {
        Ok(_) => Ok(see_other("/portal/rentals?done=updated")),
        Err(e) => refused(&state, &s, rental_id, version, f, e).await,
    }
}

/// 空室にする / 入居中にする from the list: the stored rental with its vacancy changed.
async fn set_vacancy(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<uuid::Uuid>,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let current = load(&state, &s, id.into_inner()).await?;
    form.version_of(current.version)?;
    let to = match form.text("vacancy").as_str() {
        "vacant" => Vacancy::Vacant,
        "occupied" => Vacancy::Occupied,
        _ => return Err(ApiError::field("vacancy", "must be vacant or occupied").into()),
    };
    let mut input = input_from_row(&current)?;
    input.vacancy = to.as_str().to_owned();
    input.vacant_from = match to {
        Vacancy::Vacant => form.opt("vacant_from"),
        Vacancy::Occupied => None,
    };
    replace(&state, s.caller, current, input).await?;
    Ok(see_other(&format!("/portal/rentals?done={}", to.as_str())))
}

#[cfg(test)]
mod tests {
    use super::yen;

    #[test]
    fn yen_has_thousands_separators() {
        assert_eq!(yen(45_000), "45,000円");
        assert_eq!(yen(1_000_000), "1,000,000円");
        assert_eq!(yen(500), "500円");
        assert_eq!(yen(0), "0円");
    }
}
