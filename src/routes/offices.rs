//! `/offices/{id}/setup` and `/offices/{id}/months/{month}/close`: a support office's
//! set-up for the 居住支援 add-ons (its partner, when it made the partnership public and
//! notified the prefecture, the services it provides) and the months it has closed.
//! Only the office itself sees them; everyone else gets 404.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{etag, utc};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::meetings::ClosureRow;
use crate::db::office_setups::SetupRow;
use crate::db::{self, audit, meetings, office_setups, organizations};
use crate::domain::client::ServiceType;
use crate::domain::ids::OrganizationId;
use crate::domain::meeting::parse_set;
use crate::domain::organization::OrgKind;
use crate::domain::rental::date as parse_date;
use crate::domain::time::today_tokyo;
use crate::domain::validate::{Fields, collected};
use crate::domain::year_month::YearMonth;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupInput {
    /// The 居住支援法人 or 居住支援協議会 the office has its partnership with.
    #[schema(format = Uuid)]
    pub partner_org_id: String,
    /// Since when, YYYY-MM-DD.
    pub partnership_since: String,
    /// When the office made the partnership public (公表), YYYY-MM-DD.
    pub published_on: Option<String>,
    /// When it notified the prefecture (届出), YYYY-MM-DD.
    pub notified_on: Option<String>,
    /// The services the office provides.
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SetupView {
    pub office_org_id: OrganizationId,
    pub partner_org_id: OrganizationId,
    pub partner_kind: OrgKind,
    pub partnership_since: NaiveDate,
    pub published_on: Option<NaiveDate>,
    pub notified_on: Option<NaiveDate>,
    pub services: Vec<ServiceType>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub updated_by_user_id: Option<String>,
}

fn past_date(s: &str) -> Result<NaiveDate, String> {
    parse_date(s).and_then(|d| {
        if d > today_tokyo() {
            Err("must not be in the future".into())
        } else {
            Ok(d)
        }
    })
}

fn view(row: SetupRow, partner_kind: OrgKind) -> ApiResult<SetupView> {
    let names: Vec<String> = serde_json::from_str(&row.services).map_err(ApiError::internal)?;
    Ok(SetupView {
        office_org_id: OrganizationId::from_db(&row.office_org_id).map_err(ApiError::internal)?,
        partner_org_id: OrganizationId::from_db(&row.partner_org_id).map_err(ApiError::internal)?,
        partner_kind,
        services: names
            .iter()
            .map(|n| ServiceType::parse(n).map_err(ApiError::internal))
            .collect::<ApiResult<_>>()?,
        updated_at: utc(row.updated_at),
        partnership_since: row.partnership_since,
        published_on: row.published_on,
        notified_on: row.notified_on,
        version: row.version,
        updated_by_user_id: row.updated_by_user_id,
    })
}

fn partner_kind(conn: &mut db::DbConn, id: &str) -> ApiResult<Option<OrgKind>> {
    Ok(match organizations::find(conn, id) {
        Ok(o) if o.is_active => OrgKind::parse(&o.kind).ok(),
        Ok(_) | Err(diesel::result::Error::NotFound) => None,
        Err(e) => return Err(e.into()),
    }
    .filter(|k| {
        matches!(
            k,
            OrgKind::HousingSupportCorp | OrgKind::HousingSupportCouncil
        )
    }))
}

fn audit_office(
    conn: &mut db::DbConn,
    caller: &Caller,
    action: &str,
    object: &str,
    id: &str,
) -> ApiResult<()> {
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: object,
            object_id: Some(id.to_owned()),
            outcome: "ok",
            detail: serde_json::json!({}),
        },
    )?;
    Ok(())
}

/// The office's set-up for the add-ons (the office itself; 404 before the first PUT).
#[utoipa::path(tag = "offices", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = SetupView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/offices/{id}/setup")]
pub async fn read_setup(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let office = OrganizationId::from(id.into_inner());
    authorize(&caller, Action::Read, Resource::OfficeSetup { office })?;
    let view = state
        .db
        .run(move |conn| {
            let row = office_setups::find(conn, &office.to_string())?.ok_or(ApiError::NotFound)?;
            let kind = partner_kind(conn, &row.partner_org_id)?
                .ok_or_else(|| ApiError::internal("the set-up's partner is no partner"))?;
            view(row, kind)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Records the office's set-up (staff or admin of the office). The first time needs no
/// `If-Match`; after that it must carry the ETag read.
#[utoipa::path(tag = "offices", request_body = SetupInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "the ETag you read (not on the first save)")),
    responses(
        (status = 200, body = SetupView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[put("/offices/{id}/setup")]
pub async fn put_setup(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Json<SetupInput>,
) -> ApiResult<HttpResponse> {
    let office = OrganizationId::from(id.into_inner());
    authorize(&caller, Action::Update, Resource::OfficeSetup { office })?;
    let if_match = match req.headers().get(actix_web::http::header::IF_MATCH) {
        None => None,
        Some(_) => Some(
            <super::IfMatch as actix_web::FromRequest>::extract(&req)
                .await?
                .0,
        ),
    };
    let b = body.into_inner();
    let mut f = Fields::new();
    let partner = f.check(
        "partner_org_id",
        uuid::Uuid::parse_str(b.partner_org_id.trim())
            .map(|u| u.to_string())
            .map_err(|_| "is not an id".to_owned()),
    );
    let since = f.check("partnership_since", past_date(&b.partnership_since));
    let published = f.check_opt("published_on", b.published_on, |s| past_date(&s));
    let notified = f.check_opt("notified_on", b.notified_on, |s| past_date(&s));
    let services = match parse_set(&b.services, ServiceType::parse) {
        Ok(v) if v.is_empty() => {
            f.push("services", "name at least one service the office provides");
            None
        }
        Ok(v) => Some(v),
        Err(errs) => {
            for (i, m) in errs {
                f.push(&format!("services[{i}]"), m);
            }
            None
        }
    };
    f.finish()?;
    let services: Vec<&str> = collected(services)?.iter().map(|s| s.as_str()).collect();
    let mut row = SetupRow {
        office_org_id: office.to_string(),
        partner_org_id: collected(partner)?,
        partnership_since: collected(since)?,
        published_on: collected(published)?,
        notified_on: collected(notified)?,
        services: serde_json::to_string(&services).map_err(ApiError::internal)?,
        version: 1,
        updated_at: db::now(),
        updated_by_user_id: caller.user_id().map(|u| u.to_string()),
    };
    let view = state
        .db
        .transaction(move |conn| {
            let Some(kind) = partner_kind(conn, &row.partner_org_id)? else {
                return Err(ApiError::field(
                    "partner_org_id",
                    "is not an active 居住支援法人 or 居住支援協議会",
                ));
            };
            let current = office_setups::find(conn, &row.office_org_id)?;
            let expected = match (&current, if_match) {
                (None, _) => None,
                (Some(_), None) => return Err(ApiError::PreconditionRequired),
                (Some(c), Some(v)) if c.version != v => return Err(ApiError::PreconditionFailed),
                (Some(c), Some(_)) => Some(c.version),
            };
            row.version = expected.map_or(1, |v| v + 1);
            if !office_setups::put(conn, &row, expected)? {
                return Err(ApiError::PreconditionFailed);
            }
            audit_office(conn, &caller, "update", "office_setup", &row.office_org_id)?;
            view(row, kind)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// A month of an office and whether it is closed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthView {
    pub office_org_id: OrganizationId,
    /// YYYY-MM
    pub month: String,
    pub closed: bool,
    /// When the office closed it itself.
    pub closed_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub closed_by_user_id: Option<String>,
    /// The day from which it is closed anyway (the 11th of the next month, Tokyo).
    pub deadline_closes_on: NaiveDate,
}

/// Closes a month of the office (staff or admin): its meetings are locked from now on
/// and are corrected only by amendments. Closing a closed month changes nothing.
#[utoipa::path(tag = "offices", operation_id = "offices_close_month", params(("id" = uuid::Uuid, Path), ("month" = String, Path, description = "YYYY-MM")), responses(
    (status = 200, body = MonthView),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/offices/{id}/months/{month}/close")]
pub async fn close_month(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(uuid::Uuid, String)>,
) -> ApiResult<web::Json<MonthView>> {
    let (id, month) = path.into_inner();
    let office = OrganizationId::from(id);
    authorize(&caller, Action::Update, Resource::OfficeSetup { office })?;
    let bad = |detail: String| ApiError::BadRequest {
        slug: "invalid-parameter",
        detail,
        field: Some("month".into()),
    };
    let month = YearMonth::parse(&month).map_err(|m| bad(format!("month {m}")))?;
    if month > YearMonth::of(today_tokyo()) {
        return Err(bad("a month that has not begun cannot be closed".into()));
    }
    let row = state
        .db
        .transaction(move |conn| {
            let o = office.to_string();
            if let Some(existing) = meetings::closure(conn, &o, &month.to_string())? {
                return Ok(existing);
            }
            let row = ClosureRow {
                id: db::new_id(),
                office_org_id: o.clone(),
                month: month.to_string(),
                closed_at: db::now(),
                closed_by_user_id: caller.user_id().map(|u| u.to_string()),
            };
            meetings::insert_closure(conn, &row)?;
            audit_office(
                conn,
                &caller,
                "close_month",
                "office_month",
                &format!("{o}/{month}"),
            )?;
            Ok(row)
        })
        .await?;
    Ok(web::Json(MonthView {
        office_org_id: office,
        month: month.to_string(),
        closed: true,
        closed_at: Some(utc(row.closed_at)),
        closed_by_user_id: row.closed_by_user_id,
        deadline_closes_on: month.deadline_closes_on(),
    }))
}
