//! `/council-reports`: an office's written reports to a council (協議会 / 協議の場) of
//! the housing issues it found, linked to the meetings and joint guidance sessions they
//! come from. A draft is the office's own; once submitted it is read-only, and the
//! council it is addressed to may read it. Nobody else outside the office sees it.

use actix_web::{HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::meetings::MonthListQuery;
use super::{IfMatch, etag, utc};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::council::{ReportRow, Scope};
use crate::db::{self, DbConn, audit, council, meetings, organizations};
use crate::domain::ids::OrganizationId;
use crate::domain::meeting::{IssueCategory, ReportStatus, parse_set};
use crate::domain::organization::OrgKind;
use crate::domain::page::Page;
use crate::domain::time::today_tokyo;
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::state::AppState;

/// A report to draft, or (in a PATCH of a draft) the whole report that replaces it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// The council (協議会) it is addressed to.
    #[schema(format = Uuid)]
    pub council_org_id: String,
    pub title: String,
    /// The housing issues found, from the closed list.
    pub issue_categories: Vec<String>,
    /// The issues in words.
    pub issues_text: String,
    /// Meetings of the office the report draws on.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub meeting_ids: Vec<String>,
    /// Joint guidance sessions of the office the report draws on.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub guidance_session_ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub office_org_id: OrganizationId,
    pub council_org_id: OrganizationId,
    pub title: String,
    pub issue_categories: Vec<IssueCategory>,
    pub issues_text: String,
    pub status: ReportStatus,
    /// The Tokyo day it was submitted.
    pub submitted_on: Option<NaiveDate>,
    pub submitted_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub submitted_by_user_id: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub meeting_ids: Vec<String>,
    #[schema(value_type = Vec<String>)]
    pub guidance_session_ids: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by_user_id: Option<String>,
    pub updated_at: DateTime<Utc>,
}

struct ValidReport {
    council: String,
    title: String,
    issues: String,
    issues_text: String,
    meetings: Vec<String>,
    sessions: Vec<String>,
}

fn ids(f: &mut Fields, field: &str, v: &[String]) -> Vec<String> {
    let parse = |s: &str| {
        uuid::Uuid::parse_str(s.trim())
            .map(|u| u.to_string())
            .map_err(|_| "is not an id".to_owned())
    };
    parse_set(v, parse).unwrap_or_else(|errs| {
        for (i, m) in errs {
            f.push(&format!("{field}[{i}]"), m);
        }
        Vec::new()
    })
}

fn validate(b: ReportInput) -> ApiResult<ValidReport> {
    let mut f = Fields::new();
    let council = f.check(
        "council_org_id",
        uuid::Uuid::parse_str(b.council_org_id.trim())
            .map(|u| u.to_string())
            .map_err(|_| "is not an id".to_owned()),
    );
    let title = f.check("title", text(&b.title, 200));
    let issues = match parse_set(&b.issue_categories, IssueCategory::parse) {
        Ok(v) if v.is_empty() => {
            f.push("issue_categories", "name at least one issue");
            None
        }
        Ok(v) => Some(v),
        Err(errs) => {
            for (i, m) in errs {
                f.push(&format!("issue_categories[{i}]"), m);
            }
            None
        }
    };
    let issues_text = f.check("issues_text", text(&b.issues_text, 8000));
    let meetings = ids(&mut f, "meeting_ids", &b.meeting_ids);
    let sessions = ids(&mut f, "guidance_session_ids", &b.guidance_session_ids);
    f.finish()?;
    let names: Vec<&str> = collected(issues)?.iter().map(|i| i.as_str()).collect();
    Ok(ValidReport {
        council: collected(council)?,
        title: collected(title)?,
        issues: serde_json::to_string(&names).map_err(ApiError::internal)?,
        issues_text: collected(issues_text)?,
        meetings,
        sessions,
    })
}

/// The council must be one; the sources must be the office's own.
fn check_store(conn: &mut DbConn, office: &str, v: &ValidReport) -> ApiResult<()> {
    let mut errors = Vec::new();
    let council_ok = match organizations::find(conn, &v.council) {
        Ok(o) => o.is_active && o.kind == OrgKind::Council.as_str(),
        Err(diesel::result::Error::NotFound) => false,
        Err(e) => return Err(e.into()),
    };
    if !council_ok {
        errors.push(FieldError::new(
            "council_org_id",
            "is not an active council (協議会)",
        ));
    }
    let found = meetings::of_office(conn, office, &v.meetings)?;
    for (i, m) in v.meetings.iter().enumerate() {
        if !found.contains(m) {
            errors.push(FieldError::new(
                format!("meeting_ids[{i}]"),
                "is not a meeting of your office",
            ));
        }
    }
    let found = council::sessions_of_office(conn, office, &v.sessions)?;
    for (i, s) in v.sessions.iter().enumerate() {
        if !found.contains(s) {
            errors.push(FieldError::new(
                format!("guidance_session_ids[{i}]"),
                "is not a guidance session of your office",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn view(conn: &mut DbConn, r: ReportRow) -> ApiResult<ReportView> {
    let (meeting_ids, guidance_session_ids) = council::sources_of(conn, &r.id)?;
    let org = |x: &str| OrganizationId::from_db(x).map_err(ApiError::internal);
    let names: Vec<String> =
        serde_json::from_str(&r.issue_categories).map_err(ApiError::internal)?;
    Ok(ReportView {
        office_org_id: org(&r.office_org_id)?,
        council_org_id: org(&r.council_org_id)?,
        issue_categories: names
            .iter()
            .map(|n| IssueCategory::parse(n).map_err(ApiError::internal))
            .collect::<ApiResult<_>>()?,
        status: ReportStatus::parse(&r.status).map_err(ApiError::internal)?,
        submitted_at: r.submitted_at.map(utc),
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
        meeting_ids,
        guidance_session_ids,
        id: r.id,
        title: r.title,
        issues_text: r.issues_text,
        submitted_on: r.submitted_on,
        submitted_by_user_id: r.submitted_by_user_id,
        version: r.version,
        created_by_user_id: r.created_by_user_id,
    })
}

fn load_authorized(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: Action,
) -> ApiResult<ReportRow> {
    let r = council::find_report(conn, id)?;
    let org = |x: &str| OrganizationId::from_db(x).map_err(ApiError::internal);
    authorize(
        caller,
        action,
        Resource::CouncilReport {
            office: org(&r.office_org_id)?,
            council: org(&r.council_org_id)?,
            submitted: r.status == ReportStatus::Submitted.as_str(),
        },
    )?;
    Ok(r)
}

fn audit_report(
    conn: &mut DbConn,
    caller: &Caller,
    action: &str,
    id: Option<String>,
) -> ApiResult<()> {
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: "council_report",
            object_id: id,
            outcome: "ok",
            detail: serde_json::json!({}),
        },
    )?;
    Ok(())
}

fn with_etag(status: actix_web::http::StatusCode, v: ReportView) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(v.version)));
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/council-reports/{}", v.id)));
    }
    res.json(v)
}

fn submitted_conflict() -> ApiError {
    ApiError::Conflict("the report was submitted and is read-only".into())
}

/// Drafts a written report to a council (the office's staff).
#[utoipa::path(tag = "council-reports", request_body = ReportInput, responses(
    (status = 201, body = ReportView, headers(("ETag" = String), ("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/council-reports")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<ReportInput>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::CouncilReports)?;
    let v = validate(body.into_inner())?;
    let out = state
        .db
        .transaction(move |conn| {
            let office = caller.organization_id.to_string();
            check_store(conn, &office, &v)?;
            let now = db::now();
            let row = ReportRow {
                id: db::new_id(),
                office_org_id: office,
                council_org_id: v.council,
                title: v.title,
                issue_categories: v.issues,
                issues_text: v.issues_text,
                status: ReportStatus::Draft.as_str().into(),
                submitted_on: None,
                submitted_at: None,
                submitted_by_user_id: None,
                version: 1,
                created_at: now,
                created_by_user_id: caller.user_id().map(|u| u.to_string()),
                updated_at: now,
            };
            council::insert_report(conn, &row)?;
            council::set_sources(conn, &row.id, &v.meetings, &v.sessions)?;
            audit_report(conn, &caller, "create", Some(row.id.clone()))?;
            view(conn, row)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::CREATED, out))
}

/// Replaces a draft (all fields, as on creation); needs `If-Match`. A submitted report
/// is read-only (409).
#[utoipa::path(operation_id = "council_reports_replace", tag = "council-reports", request_body = ReportInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = ReportView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already submitted"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[put("/council-reports/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<ReportInput>,
) -> ApiResult<HttpResponse> {
    replace_record(state, caller, id, if_match, body).await
}

/// The same as `PUT /council-reports/{id}`, under the method it first had: deprecated, with the
/// `Deprecation` and `Sunset` headers (README, Versioning and deprecation).
#[utoipa::path(operation_id = "council_reports_update", tag = "council-reports", request_body = ReportInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = ReportView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already submitted"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[patch("/council-reports/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<ReportInput>,
) -> ApiResult<HttpResponse> {
    replace_record(state, caller, id, if_match, body).await
}

async fn replace_record(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<ReportInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let v = validate(body.into_inner())?;
    let out = state
        .db
        .transaction(move |conn| {
            let current = load_authorized(conn, &caller, &id, Action::Update)?;
            if current.status != ReportStatus::Draft.as_str() {
                return Err(submitted_conflict());
            }
            if current.version != if_match.0 {
                return Err(ApiError::PreconditionFailed);
            }
            check_store(conn, &current.office_org_id, &v)?;
            let row = ReportRow {
                council_org_id: v.council,
                title: v.title,
                issue_categories: v.issues,
                issues_text: v.issues_text,
                version: current.version + 1,
                updated_at: db::now(),
                ..current.clone()
            };
            if !council::replace_draft(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            council::set_sources(conn, &row.id, &v.meetings, &v.sessions)?;
            audit_report(conn, &caller, "update", Some(row.id.clone()))?;
            view(conn, row)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out))
}

/// Submits a draft to its council (the office's staff), dated today in Tokyo; needs
/// `If-Match`. From then on the report is read-only and the council reads it.
#[utoipa::path(tag = "council-reports",
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = ReportView, headers(("ETag" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "already submitted"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[post("/council-reports/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let out = state
        .db
        .transaction(move |conn| {
            let current = load_authorized(conn, &caller, &id, Action::Update)?;
            if current.status != ReportStatus::Draft.as_str() {
                return Err(submitted_conflict());
            }
            if current.version != if_match.0 {
                return Err(ApiError::PreconditionFailed);
            }
            let now = db::now();
            let row = ReportRow {
                status: ReportStatus::Submitted.as_str().into(),
                submitted_on: Some(today_tokyo()),
                submitted_at: Some(now),
                submitted_by_user_id: caller.user_id().map(|u| u.to_string()),
                version: current.version + 1,
                updated_at: now,
                ..current.clone()
            };
            if !council::replace_draft(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            audit_report(conn, &caller, "submit", Some(row.id.clone()))?;
            view(conn, row)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out))
}

/// Lists reports created in a range of months: the office's own (drafts too), or for a
/// council the submitted ones addressed to it.
#[utoipa::path(tag = "council-reports", params(MonthListQuery), responses(
    (status = 200, body = Page<ReportView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/council-reports")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<MonthListQuery>,
) -> ApiResult<web::Json<Page<ReportView>>> {
    authorize(&caller, Action::List, Resource::CouncilReports)?;
    let (range, page) = q.parse()?;
    let limit = page.limit;
    let org = caller.organization_id.to_string();
    let scope = if caller.org_kind == OrgKind::SupportOffice {
        Scope::Office(org)
    } else {
        Scope::Recipient(org)
    };
    // Months are Tokyo months; creation times are stored in UTC.
    let (from, to) = range.days();
    let tokyo_midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t - Duration::hours(9));
    let from = from.and_then(tokyo_midnight);
    let to = to.and_then(|d| d.succ_opt()).and_then(tokyo_midnight);
    let out = state
        .db
        .transaction(move |conn| {
            let rows = council::list_reports(conn, &scope, from, to, &page)?;
            audit_report(conn, &caller, "list", None)?;
            let page = Page::from_rows(rows, limit, |r| r.id.clone());
            let mut items = Vec::new();
            for r in page.items {
                items.push(view(conn, r)?);
            }
            Ok(Page {
                items,
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(web::Json(out))
}

/// Reads a report: the office, or the council once it was submitted (others: 404).
#[utoipa::path(tag = "council-reports", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ReportView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/council-reports/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let out = state
        .db
        .transaction(move |conn| {
            let r = load_authorized(conn, &caller, &id, Action::Read)?;
            audit_report(conn, &caller, "read", Some(r.id.clone()))?;
            view(conn, r)
        })
        .await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out))
}
