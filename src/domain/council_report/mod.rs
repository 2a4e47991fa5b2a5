//! A council's report on the information-sharing meetings (情報連携の場) of the support
//! offices in its area over a range of months: the one model behind
//! `GET /councils/{id}/reports/meetings` in every format (JSON as is, CSV and PDF drawn
//! from it).
//!
//! [`build`] makes it from plain facts the store reads ([`ReportFacts`]); whether an
//! office met a month is decided by the fee rules in force then
//! ([`crate::domain::add_on::meeting_compliance`]), so the report and the office's own
//! compliance view cannot disagree.
//!
//! A council sees clients only aggregated: counts, never a client's name or id, except
//! the names of clients whose `council_reports` consent is in force on the day the
//! report is made. Free texts written by offices (issue notes, report titles) are
//! scrubbed of the names of every other client of the area's offices before they are
//! shown ([`text::redact`]).

mod build;
mod request;
pub mod text;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub use build::{ClientFact, MeetingFact, OfficeFact, ReportFacts, WrittenReportFact, build};
pub use request::{ReportFormat, parse_period};

use crate::domain::ids::{CouncilReportId, OrganizationId};
use crate::domain::inquiry::DeclineReason;
use crate::domain::meeting::IssueCategory;
use crate::domain::month::Month;

/// Example texts kept per issue category: enough to show what lies behind a count
/// without turning the report into the minutes.
pub const MAX_EXAMPLES: usize = 3;

/// The longest period one report covers, in months.
pub const MAX_MONTHS: usize = 36;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CouncilReport {
    pub council: CouncilInfo,
    /// First month of the period (Tokyo months), included.
    pub from: Month,
    /// Last month of the period, included.
    pub to: Month,
    pub generated_at: DateTime<Utc>,
    pub summary: ReportSummary,
    /// One entry per month of the period, in order.
    pub months: Vec<MonthFigures>,
    /// The support offices of the area, by name.
    pub offices: Vec<OfficeFigures>,
    /// Issues raised at the offices' meetings, by category, most frequent first.
    pub issues: Vec<IssueCount>,
    /// Written reports submitted to this council in the period, oldest first.
    pub written_reports: Vec<WrittenReport>,
    /// Refusals by landlords of the offices' clients in the period, by reason.
    pub declines: Vec<DeclineCount>,
    pub clients: ClientFigures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouncilInfo {
    pub id: OrganizationId,
    pub name: String,
    pub area: CouncilArea,
}

/// The council's area: the support offices registered with the same municipality code,
/// or, for a council with only a prefecture code, those of the prefecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CouncilArea {
    pub prefecture_code: Option<String>,
    pub municipality_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct ReportSummary {
    /// Support offices in the area.
    pub offices: u32,
    /// Offices bound to the monthly meeting in at least one month of the period.
    pub offices_bound: u32,
    /// Meetings held by the area's offices in the period.
    pub meetings: u32,
    /// Office-months in which the office was bound to meet.
    pub office_months_bound: u32,
    pub met: u32,
    pub missed: u32,
    /// Bound office-months still open and not met yet.
    pub not_yet: u32,
    /// `met` of `office_months_bound`, whole percent; absent when nobody was bound.
    pub compliance_rate_percent: Option<u32>,
    pub written_reports: u32,
    pub declines: u32,
    /// Distinct clients discussed at the offices' meetings in the period.
    pub clients_discussed: u32,
}

/// How an office stands in a month with the meeting requirement of the rules in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MonthStatus {
    Met,
    /// The month ended without a qualifying meeting.
    Missed,
    /// Not met so far; the month is still open.
    NotYet,
    /// The office was not bound: no set-up for the add-on, only services that cannot
    /// claim it, no partnership in force that month, or no rules in force.
    NotRequired,
}

impl MonthStatus {
    pub fn is_bound(self) -> bool {
        !matches!(self, MonthStatus::NotRequired)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthFigures {
    pub month: Month,
    /// The month has not ended yet (Tokyo): its figures may still change.
    pub open: bool,
    pub offices_bound: u32,
    pub met: u32,
    pub missed: u32,
    pub not_yet: u32,
    /// Meetings held that month by all offices of the area.
    pub meetings: u32,
    /// `met` of `offices_bound`, whole percent; absent when no office was bound.
    pub rate_percent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OfficeFigures {
    pub office_id: OrganizationId,
    pub name: String,
    /// One entry per month of the period, in order.
    pub months: Vec<OfficeMonth>,
    pub meetings: u32,
    /// Months met, of `bound`.
    pub met: u32,
    pub bound: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct OfficeMonth {
    pub month: Month,
    /// Meetings held (Tokyo month of the meeting time).
    pub meetings: u32,
    /// Meetings that satisfy the rules (partner present, minutes, consented clients, …).
    pub qualifying: u32,
    pub status: MonthStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct IssueCount {
    pub category: IssueCategory,
    pub label: String,
    /// Meetings that raised it.
    pub count: u32,
    /// At most [`MAX_EXAMPLES`] distinct notes of those meetings, newest first, with
    /// the names of clients who did not consent removed.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WrittenReport {
    pub id: CouncilReportId,
    pub office_id: OrganizationId,
    pub office_name: String,
    /// The Tokyo day it was submitted.
    pub submitted_on: NaiveDate,
    pub title: String,
    pub issue_categories: Vec<IssueCategory>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeclineCount {
    pub reason: DeclineReason,
    pub label: String,
    pub count: u32,
    /// Share of all declines, whole percent.
    pub share_percent: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, ToSchema)]
pub struct ClientFigures {
    /// Distinct clients discussed at the area's meetings in the period.
    pub discussed: u32,
    /// Those who consented to be named in council reports (consent in force today).
    pub named: Vec<NamedClient>,
    /// Discussed but not named: counted only.
    pub withheld: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NamedClient {
    pub name: String,
    pub office_name: String,
    /// Meetings of the period at which the client was discussed.
    pub meetings: u32,
}

/// `part` of `whole` in whole percent, rounded half up; `None` for an empty whole (a 0%
/// there would read as a failure).
pub fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| {
        let p = (u64::from(part) * 200 + u64::from(whole)) / (u64::from(whole) * 2);
        u32::try_from(p).unwrap_or(u32::MAX)
    })
}

#[cfg(test)]
mod tests;
