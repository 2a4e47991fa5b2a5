//! The council's meeting report as the JSON its template reads. Everything the template
//! would otherwise have to compute (labels in Japanese, percentages, times in Tokyo) is
//! done here, where it is typed and tested.

use serde::Serialize;

use super::{PdfError, PdfRenderer, Rendered, Template};
use crate::domain::council_report::{CouncilReport, IssueCount, MonthStatus, NamedClient};
use crate::domain::meeting::IssueCategory;
use crate::domain::time::tokyo;

/// Untagged: its office grid alone is thousands of cells (see [`Template::tagged`]).
pub(crate) const TEMPLATE: Template = Template {
    file: "council_report.typ",
    tagged: false,
};

pub const TITLE: &str = "情報連携の場 開催状況報告書";

#[derive(Serialize)]
struct Payload<'a> {
    title: &'static str,
    council_name: &'a str,
    area: String,
    period: String,
    generated_at: String,
    summary: Summary,
    months: Vec<MonthView>,
    offices: Vec<OfficeView<'a>>,
    issues: &'a [IssueCount],
    written_reports: Vec<WrittenReportView<'a>>,
    declines: Vec<DeclineView<'a>>,
    clients: ClientsView<'a>,
}

#[derive(Serialize)]
struct Summary {
    offices: u32,
    offices_bound: u32,
    meetings: u32,
    rate: Option<u32>,
    met: u32,
    bound: u32,
    written_reports: u32,
    declines: u32,
}

#[derive(Serialize)]
struct MonthView {
    /// Shown above the month only where the year changes, to keep the columns narrow.
    year: String,
    month: String,
    open: bool,
    offices: u32,
    met: u32,
    missed: u32,
    not_yet: u32,
    meetings: u32,
    rate: Option<u32>,
}

#[derive(Serialize)]
struct OfficeView<'a> {
    name: &'a str,
    cells: Vec<Cell>,
    meetings: u32,
    met: u32,
    bound: u32,
}

/// One office-month: meetings held and how the month stands (`met`, `missed`,
/// `not_yet`, `not_required`).
#[derive(Serialize)]
struct Cell {
    n: u32,
    s: MonthStatus,
}

#[derive(Serialize)]
struct WrittenReportView<'a> {
    office: &'a str,
    submitted: String,
    title: &'a str,
    categories: String,
}

#[derive(Serialize)]
struct DeclineView<'a> {
    reason: &'a str,
    count: u32,
    share: Option<u32>,
}

#[derive(Serialize)]
struct ClientsView<'a> {
    discussed: u32,
    withheld: u32,
    named: &'a [NamedClient],
}

impl PdfRenderer {
    /// The council's report over its period: summary, charts and tables, A4.
    pub fn render_council_report(&self, report: &CouncilReport) -> Result<Vec<u8>, PdfError> {
        self.council_report(report).map(Rendered::into_pdf)
    }

    pub(crate) fn council_report(&self, report: &CouncilReport) -> Result<Rendered, PdfError> {
        self.render(TEMPLATE, &payload(report), report.generated_at)
    }
}

/// `2025年4月〜2026年3月`
pub fn period_ja(report: &CouncilReport) -> String {
    format!(
        "{}年{}月〜{}年{}月",
        report.from.year(),
        report.from.month(),
        report.to.year(),
        report.to.month()
    )
}

fn payload(report: &CouncilReport) -> Payload<'_> {
    let mut previous_year = None;
    let months = report
        .months
        .iter()
        .map(|c| {
            let year = c.month.year();
            let shown = (previous_year != Some(year)).then(|| year.to_string());
            previous_year = Some(year);
            MonthView {
                year: shown.unwrap_or_default(),
                month: format!("{}月", c.month.month()),
                open: c.open,
                offices: c.offices_bound,
                met: c.met,
                missed: c.missed,
                not_yet: c.not_yet,
                meetings: c.meetings,
                rate: c.rate_percent,
            }
        })
        .collect();
    let offices = report
        .offices
        .iter()
        .map(|o| OfficeView {
            name: &o.name,
            meetings: o.meetings,
            met: o.met,
            bound: o.bound,
            cells: o
                .months
                .iter()
                .map(|c| Cell {
                    n: c.meetings,
                    s: c.status,
                })
                .collect(),
        })
        .collect();
    let area = &report.council.area;
    let s = &report.summary;
    Payload {
        title: TITLE,
        council_name: &report.council.name,
        area: match (&area.municipality_code, &area.prefecture_code) {
            (Some(m), _) => format!("市区町村コード {m} の事業所"),
            (None, Some(p)) => format!("都道府県コード {p} の事業所"),
            (None, None) => "地域が登録されていません".to_owned(),
        },
        period: period_ja(report),
        generated_at: report
            .generated_at
            .with_timezone(&tokyo())
            .format("%Y-%m-%d %H:%M JST")
            .to_string(),
        summary: Summary {
            offices: s.offices,
            offices_bound: s.offices_bound,
            meetings: s.meetings,
            rate: s.compliance_rate_percent,
            met: s.met,
            bound: s.office_months_bound,
            written_reports: s.written_reports,
            declines: s.declines,
        },
        months,
        offices,
        issues: &report.issues,
        written_reports: report
            .written_reports
            .iter()
            .map(|w| WrittenReportView {
                office: &w.office_name,
                submitted: w.submitted_on.format("%Y-%m-%d").to_string(),
                title: &w.title,
                categories: labels(&w.issue_categories),
            })
            .collect(),
        declines: report
            .declines
            .iter()
            .map(|d| DeclineView {
                reason: &d.label,
                count: d.count,
                share: d.share_percent,
            })
            .collect(),
        clients: ClientsView {
            discussed: report.clients.discussed,
            withheld: report.clients.withheld,
            named: &report.clients.named,
        },
    }
}

fn labels(categories: &[IssueCategory]) -> String {
    categories
        .iter()
        .map(|c| c.label_ja())
        .collect::<Vec<_>>()
        .join("、")
}
