//! `/offices/{id}/compliance` and `/offices/{id}/dashboard`: month by month, whether a
//! support office held the information-sharing meetings its add-on needs, which meetings
//! count and what is missing; and the lines of the office's dashboard that warn while a
//! month can still be saved. Only the office itself sees them; everyone else gets 404.

use actix_web::{get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::add_on_facts::{self, OfficeBook};
use crate::db::{self, DbConn, audit};
use crate::domain::add_on::{
    AddOnCode, ComplianceStatus, Reason, ReasonCode, Revision, RevisionId, RuleBook,
    meeting_compliance,
};
use crate::domain::ids::{MeetingId, OrganizationId};
use crate::domain::month::{Month, MonthPhase};
use crate::domain::time::date_in_tokyo;
use crate::domain::year_month::YearMonth;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The longest span one request covers: the five years records are kept.
pub const MAX_MONTHS: usize = 60;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    /// First month, YYYY-MM (default: eleven months before `to`).
    pub from: Option<String>,
    /// Last month, YYYY-MM (default: this month in Tokyo).
    pub to: Option<String>,
    /// Judge every month under this revision instead of the one in force (a proposal,
    /// for "what if").
    pub revision: Option<String>,
}

/// A meeting that counts for the month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QualifyingMeeting {
    pub id: MeetingId,
    pub held_at: DateTime<Utc>,
}

/// One month of the office.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplianceMonth {
    pub month: Month,
    /// Whether the month is closed (by the office, or by the billing deadline): its
    /// meetings are corrected only by amendments.
    pub closed: bool,
    /// The revision the month was judged under; none when no rules cover it.
    pub revision: Option<RevisionId>,
    /// The add-on whose meeting requirement this is.
    pub add_on: Option<AddOnCode>,
    /// Qualifying meetings needed (0 when not required).
    pub required: u32,
    pub met: bool,
    pub status: ComplianceStatus,
    pub phase: MonthPhase,
    pub qualifying_meetings: Vec<QualifyingMeeting>,
    /// The gaps: the shortfall, a missing partnership, and what each other meeting lacks.
    pub problems: Vec<Reason>,
}

/// Months counted by status.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ComplianceSummary {
    pub months: u32,
    pub met: u32,
    pub missed: u32,
    pub not_yet: u32,
    pub not_required: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficeCompliance {
    pub office_org_id: OrganizationId,
    pub from: Month,
    pub to: Month,
    /// False until the office records its set-up (`PUT /offices/{id}/setup`); without
    /// it no month can be met.
    pub setup_recorded: bool,
    /// Said plainly when the office can never claim the add-on (e.g. it provides only
    /// 計画相談支援), instead of a row of zeros.
    pub cannot_claim: Option<Reason>,
    pub summary: ComplianceSummary,
    pub months: Vec<ComplianceMonth>,
}

fn bad(field: &str, detail: String) -> ApiError {
    ApiError::BadRequest {
        slug: "invalid-parameter",
        detail: format!("{field} {detail}"),
        field: Some(field.to_owned()),
    }
}

fn month_param(field: &str, value: Option<&str>) -> ApiResult<Option<Month>> {
    value
        .map(|s| Month::parse(s).map_err(|m| bad(field, m)))
        .transpose()
}

/// A revision asked for by id; a 400 naming the field when there is none.
pub fn revision_param<'a>(
    rules: &'a RuleBook,
    id: Option<&str>,
) -> ApiResult<Option<&'a Revision>> {
    id.map(|id| {
        rules.revision(id).ok_or_else(|| {
            let ids: Vec<&str> = rules.revisions().iter().map(|r| r.id().as_str()).collect();
            bad("revision", format!("must be one of {}", ids.join(", ")))
        })
    })
    .transpose()
}

impl ComplianceQuery {
    fn span(&self, now: DateTime<Utc>) -> ApiResult<(Month, Month)> {
        let to = month_param("to", self.to.as_deref())?.unwrap_or(Month::containing(now));
        let from = match month_param("from", self.from.as_deref())? {
            Some(f) => f,
            None => (0..11).fold(to, |m, _| m.prev().unwrap_or(m)),
        };
        if to < from {
            return Err(bad("to", "must not be before from".into()));
        }
        if from.through(to).count() > MAX_MONTHS {
            return Err(bad(
                "from",
                format!("covers more than {MAX_MONTHS} months with to; ask for a shorter span"),
            ));
        }
        Ok((from, to))
    }
}

/// The office's months `from`..=`to` judged at `now`, under `revision` or the rules in
/// force each month.
pub fn judge_months(
    conn: &mut DbConn,
    rules: &RuleBook,
    revision: Option<&Revision>,
    book: &OfficeBook,
    from: Month,
    to: Month,
    now: DateTime<Utc>,
) -> ApiResult<Vec<ComplianceMonth>> {
    let office = book.facts.office_id.to_string();
    let closed_by_office = add_on_facts::closed_months(conn, &office, from, to)?;
    let today = date_in_tokyo(now);
    let mut out = Vec::new();
    for month in from.through(to) {
        let ym = YearMonth::parse(&month.to_string()).map_err(ApiError::internal)?;
        let closed = ym.is_closed(today, closed_by_office.contains(&month.to_string()));
        let Some(rev) = revision.or_else(|| rules.in_force(month)) else {
            out.push(ComplianceMonth {
                month,
                closed,
                revision: None,
                add_on: None,
                required: 0,
                met: false,
                status: ComplianceStatus::NotRequired,
                phase: month.phase(now),
                qualifying_meetings: Vec::new(),
                problems: vec![Reason::new(
                    ReasonCode::NoRulesInForce,
                    format!("No enacted fee rules cover {month}, so no meeting is required."),
                )],
            });
            continue;
        };
        let c = meeting_compliance(month, &book.facts, &book.records.meetings, rev, now);
        let qualifying_meetings = c
            .qualifying_meeting_ids
            .iter()
            .filter_map(|id| book.records.meetings.iter().find(|m| m.id == *id))
            .map(|m| QualifyingMeeting {
                id: m.id,
                held_at: m.held_at,
            })
            .collect();
        out.push(ComplianceMonth {
            month,
            closed,
            revision: Some(c.revision),
            add_on: c.add_on,
            required: c.required,
            met: c.met,
            status: c.status,
            phase: c.phase,
            qualifying_meetings,
            problems: c.problems,
        });
    }
    Ok(out)
}

fn summary(months: &[ComplianceMonth]) -> ComplianceSummary {
    let mut s = ComplianceSummary {
        months: u32::try_from(months.len()).unwrap_or(u32::MAX),
        ..Default::default()
    };
    for m in months {
        match m.status {
            ComplianceStatus::Met => s.met += 1,
            ComplianceStatus::Missed => s.missed += 1,
            ComplianceStatus::NotYet { .. } => s.not_yet += 1,
            ComplianceStatus::NotRequired => s.not_required += 1,
        }
    }
    s
}

/// The reason the office can never claim, when the rules in force say so.
fn cannot_claim(months: &[ComplianceMonth]) -> Option<Reason> {
    months
        .iter()
        .rev()
        .flat_map(|m| &m.problems)
        .find(|r| {
            matches!(
                r.code,
                ReasonCode::OnlyPlanConsultation | ReasonCode::ServiceNotProvided
            )
        })
        .cloned()
}

pub(crate) fn audit_read(
    conn: &mut DbConn,
    caller: &Caller,
    action: &str,
    object: &str,
    office: &str,
    detail: serde_json::Value,
) -> ApiResult<()> {
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: object,
            object_id: Some(office.to_owned()),
            outcome: "ok",
            detail,
        },
    )?;
    Ok(())
}

/// The office's meeting requirement per month: met, missed, or not yet with the days
/// left, the meetings that count and the gaps. Months are Tokyo months.
#[utoipa::path(tag = "offices", params(("id" = uuid::Uuid, Path), ComplianceQuery), responses(
    (status = 200, body = OfficeCompliance),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/offices/{id}/compliance")]
pub async fn compliance(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    query: web::Query<ComplianceQuery>,
) -> ApiResult<web::Json<OfficeCompliance>> {
    let office = OrganizationId::from(id.into_inner());
    authorize(&caller, Action::Read, Resource::OfficeSetup { office })?;
    let now = db::now().and_utc();
    let (from, to) = query.span(now)?;
    let rules = state.rules.clone();
    revision_param(&rules, query.revision.as_deref())?;
    let revision_id = query.revision.clone();
    let view = state
        .db
        .run(move |conn| {
            let revision = revision_param(&rules, revision_id.as_deref())?;
            let o = office.to_string();
            let mut books = add_on_facts::books(conn, std::slice::from_ref(&o), from, to)?;
            let book = books
                .remove(&o)
                .ok_or_else(|| ApiError::internal("no book"))?;
            let months = judge_months(conn, &rules, revision, &book, from, to, now)?;
            Ok(OfficeCompliance {
                office_org_id: office,
                from,
                to,
                setup_recorded: book.setup_recorded,
                cannot_claim: cannot_claim(&months),
                summary: summary(&months),
                months,
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// A line of the dashboard that asks for action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DashboardWarning {
    /// Stable: `month_ending_without_meeting`, `setup_missing`, `inquiries_stalled`,
    /// `sheet_concerns_open`.
    pub code: String,
    /// The line as the dashboard shows it, in Japanese.
    pub message: String,
    pub month: Option<Month>,
    pub days_left: Option<u32>,
}

/// What a support office sees first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficeDashboard {
    pub office_org_id: OrganizationId,
    /// Today in Tokyo.
    pub today: NaiveDate,
    pub warnings: Vec<DashboardWarning>,
    /// This month's meeting requirement.
    pub this_month: ComplianceMonth,
    /// The last twelve months counted.
    pub last_twelve_months: ComplianceSummary,
    pub clients: i64,
    /// Open inquiries by status.
    pub open_inquiries: Vec<StatusCount>,
    pub stalled_inquiries: i64,
    /// Concerns landlords and partners reported against the office's 生活サポートシート
    /// that no one at the office has acknowledged yet.
    pub open_concerns: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub count: i64,
}

fn warnings(
    book: &OfficeBook,
    this_month: &ComplianceMonth,
    warn_days: u32,
    stalled: i64,
    open_concerns: i64,
) -> Vec<DashboardWarning> {
    let mut out = Vec::new();
    if !book.setup_recorded {
        out.push(DashboardWarning {
            code: "setup_missing".into(),
            message: "加算の体制(連携先・公表・届出・提供サービス)が未登録です。".into(),
            month: None,
            days_left: None,
        });
    }
    if let (ComplianceStatus::NotYet { days_left }, MonthPhase::Open { .. }) =
        (this_month.status, this_month.phase)
        && days_left <= warn_days
    {
        let (y, m) = (this_month.month.year(), this_month.month.month());
        out.push(DashboardWarning {
            code: "month_ending_without_meeting".into(),
            message: format!(
                "{y}年{m}月の情報連携の場がまだ開かれていません。月末まであと{days_left}日です。"
            ),
            month: Some(this_month.month),
            days_left: Some(days_left),
        });
    }
    if stalled > 0 {
        out.push(DashboardWarning {
            code: "inquiries_stalled".into(),
            message: format!("{stalled}件の問い合わせが止まっています。"),
            month: None,
            days_left: None,
        });
    }
    if open_concerns > 0 {
        out.push(DashboardWarning {
            code: "sheet_concerns_open".into(),
            message: format!(
                "生活サポートシートに{open_concerns}件の気がかり(家主等からの連絡)が届いています。"
            ),
            month: None,
            days_left: None,
        });
    }
    out
}

/// The office's dashboard data: warnings first (a month about to end without its
/// meeting, a missing set-up, stalled inquiries, concerns reported against its
/// 生活サポートシート), this month's requirement, the last
/// twelve months, and its clients and open inquiries counted.
#[utoipa::path(tag = "offices", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = OfficeDashboard),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/offices/{id}/dashboard")]
pub async fn dashboard(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<OfficeDashboard>> {
    let office = OrganizationId::from(id.into_inner());
    authorize(&caller, Action::Read, Resource::OfficeSetup { office })?;
    let now = db::now().and_utc();
    let this = Month::containing(now);
    let first = (0..11).fold(this, |m, _| m.prev().unwrap_or(m));
    let rules = state.rules.clone();
    let warn_days = state.compliance_warn_days;
    let view = state
        .db
        .run(move |conn| {
            let o = office.to_string();
            let mut books = add_on_facts::books(conn, std::slice::from_ref(&o), first, this)?;
            let book = books
                .remove(&o)
                .ok_or_else(|| ApiError::internal("no book"))?;
            let mut months = judge_months(conn, &rules, None, &book, first, this, now)?;
            let counts = db::inquiries::office_counts(conn, &o)?;
            let clients = db::clients::count_of_office(conn, &o)?;
            let open_concerns = db::support_sheets::open_concerns_of_office(conn, &o)?;
            let last_twelve_months = summary(&months);
            let this_month = months.pop().ok_or_else(|| ApiError::internal("no month"))?;
            Ok(OfficeDashboard {
                office_org_id: office,
                today: date_in_tokyo(now),
                warnings: warnings(&book, &this_month, warn_days, counts.stalled, open_concerns),
                this_month,
                last_twelve_months,
                clients,
                open_inquiries: counts
                    .open
                    .into_iter()
                    .map(|(status, count)| StatusCount { status, count })
                    .collect(),
                stalled_inquiries: counts.stalled,
                open_concerns,
            })
        })
        .await?;
    Ok(web::Json(view))
}
