//! `/councils/{id}/reports/meetings`: a council's report on the information-sharing
//! meetings of the support offices in its area, as JSON, CSV or an A4 PDF. Only the
//! council itself reads it (others: 404). Every export is audit-logged, and each client
//! it names (only those whose `council_reports` consent is in force) is written to the
//! provision log, before the document leaves the service.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpResponse, get, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::organizations;
use crate::domain::council_report::{self, CouncilReport, ReportFormat, parse_period};
use crate::domain::ids::OrganizationId;
use crate::domain::time::date_in_tokyo;
use crate::error::{ApiError, ApiResult, Problem};
use crate::reports;
use crate::state::AppState;

/// `?from=YYYY-MM&to=YYYY-MM&format=json|csv|pdf`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The first month, YYYY-MM (months are Tokyo months).
    pub from: Option<String>,
    /// The last month, YYYY-MM: not before `from`, not after this month, at most 36
    /// months after it.
    pub to: Option<String>,
    /// `json` (default), `csv` (UTF-8 with BOM, one section per table) or `pdf` (A4).
    pub format: Option<String>,
}

/// The PDF document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PdfFile(#[allow(dead_code)] Vec<u8>);

fn invalid(field: &'static str, message: String) -> ApiError {
    ApiError::BadRequest {
        slug: "invalid-parameter",
        detail: format!("{field} {message}"),
        field: Some(field.into()),
    }
}

/// The meetings of the support offices in the council's area (its municipality, or its
/// prefecture) over whole Tokyo months: meetings per office and month, whether each
/// office met the monthly requirement of the rules then in force, the compliance rate,
/// issues raised by category with examples, written reports received, and landlords'
/// refusals by reason. Clients appear only as counts, except those who consented to be
/// named in council reports.
#[utoipa::path(tag = "councils", operation_id = "councils_meetings_report", params(("id" = uuid::Uuid, Path), ReportQuery), responses(
    (status = 200, description = "The report in the format asked for", content(
        (CouncilReport = "application/json"),
        (String = "text/csv"),
        (PdfFile = "application/pdf"),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/councils/{id}/reports/meetings")]
#[tracing::instrument(skip(state, caller, q), fields(format = ?q.format))]
pub async fn meetings_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    q: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let council = OrganizationId::from(id.into_inner());
    authorize(
        &caller,
        Action::Read,
        Resource::CouncilMeetingReport { council },
    )?;
    let now = Utc::now();
    let (from, to) = parse_period(q.from.as_deref(), q.to.as_deref(), date_in_tokyo(now))
        .map_err(|(field, m)| invalid(field, m))?;
    let format = ReportFormat::parse(q.format.as_deref()).map_err(|m| invalid("format", m))?;

    let rules = state.rules.clone();
    let (mut report, named) = state
        .db
        .run(move |conn| {
            let org = organizations::find(conn, &council.to_string())?;
            let (facts, named) = reports::council::load(conn, &org, from, to, now)?;
            Ok((council_report::build(&rules, facts), named))
        })
        .await?;
    let (body, content_type) = match format {
        ReportFormat::Json => (
            serde_json::to_vec(&report).map_err(ApiError::internal)?,
            "application/json",
        ),
        ReportFormat::Csv => (
            reports::csv::write(&report).map_err(ApiError::internal)?,
            "text/csv; charset=utf-8",
        ),
        ReportFormat::Pdf => {
            let pdf = state.pdf.clone();
            let slot = pdf.slot().await?;
            let span = tracing::Span::current();
            let (bytes, back) = web::block(move || {
                let _slot = slot;
                let bytes = span.in_scope(|| pdf.render_council_report(&report));
                (bytes, report)
            })
            .await?;
            report = back;
            (bytes.map_err(ApiError::internal)?, "application/pdf")
        }
    };
    // Recorded before anything leaves: no report without its audit and provision records.
    state
        .db
        .transaction(move |conn| {
            reports::council::record_export(conn, &caller, &report, format.as_str(), &named)
        })
        .await?;
    let mut res = HttpResponse::Ok();
    res.insert_header((CONTENT_TYPE, content_type))
        .insert_header((CACHE_CONTROL, "no-store"));
    if format != ReportFormat::Json {
        res.insert_header((
            CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"council-meetings-{from}_{to}.{}\"",
                format.as_str()
            ),
        ));
    }
    Ok(res.body(body))
}
