//! The council's meeting report as the JSON its template reads. Everything the template
//! would otherwise have to compute (rates, the office × month grid, labels in Japanese,
//! times in Tokyo) is done here, where it is typed and tested.

use serde::Serialize;

use super::{PdfError, PdfRenderer, Rendered, Template};
use crate::domain::council_report::{CouncilReport, IssueCount, OfficeMonthRow, percent};
use crate::domain::time::tokyo;

/// Untagged: its office grid alone is thousands of cells (see [`Template::tagged`]).
pub(crate) const TEMPLATE: Template = Template {
    file: "council_report.typ",
    tagged: false,
};

const TITLE: &str = "情報連携の場 開催状況報告書";

#[derive(Serialize)]
struct Payload<'a> {
    title: &'static str,
    council_name: &'a str,
    period: String,
    generated_at: String,
    summary: Summary,
    months: Vec<MonthView>,
    offices: Vec<OfficeView<'a>>,
    issues: &'a [IssueCount],
    written_reports: Vec<WrittenReportView<'a>>,
    declines: Vec<DeclineView>,
}

#[derive(Serialize)]
struct Summary {
    offices: usize,
    meetings: u32,
    rate: Option<u32>,
    written_reports: usize,
    declines: u32,
}

#[derive(Serialize)]
struct MonthView {
    /// Shown above the month only where the year changes, to keep the columns narrow.
    year: String,
    month: String,
    offices: u32,
    met: u32,
    meetings: u32,
    rate: Option<u32>,
}

#[derive(Serialize)]
struct OfficeView<'a> {
    name: &'a str,
    cells: Vec<Option<Cell>>,
    meetings: u32,
    met: u32,
    bound: u32,
}

#[derive(Serialize)]
struct Cell {
    n: u32,
    met: bool,
}

#[derive(Serialize)]
struct WrittenReportView<'a> {
    office: &'a str,
    submitted: String,
    categories: String,
}

#[derive(Serialize)]
struct DeclineView {
    reason: &'static str,
    count: u32,
    share: Option<u32>,
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

fn payload(report: &CouncilReport) -> Payload<'_> {
    let compliance = report.compliance_by_month();
    let mut previous_year = None;
    let months = compliance
        .iter()
        .map(|c| {
            let year = c.month.year();
            let shown = (previous_year != Some(year)).then(|| year.to_string());
            previous_year = Some(year);
            MonthView {
                year: shown.unwrap_or_default(),
                month: format!("{}月", c.month.month()),
                offices: c.offices,
                met: c.met,
                meetings: c.meetings,
                rate: c.rate_percent(),
            }
        })
        .collect();
    let offices: Vec<OfficeView<'_>> = report
        .office_grid()
        .into_iter()
        .map(|row| {
            let present = || row.cells.iter().flatten();
            OfficeView {
                name: row.office_name,
                meetings: present().map(|r| r.meetings).sum(),
                met: present().filter(|r| r.met).count() as u32,
                bound: present().count() as u32,
                cells: row.cells.iter().map(|c| c.map(cell)).collect(),
            }
        })
        .collect();
    let declines_total: u32 = report.declines.iter().map(|d| d.count).sum();
    Payload {
        title: TITLE,
        council_name: &report.council_name,
        period: format!(
            "{}年{}月〜{}年{}月",
            report.period_from.year(),
            report.period_from.month(),
            report.period_to.year(),
            report.period_to.month()
        ),
        generated_at: report
            .generated_at
            .with_timezone(&tokyo())
            .format("%Y-%m-%d %H:%M JST")
            .to_string(),
        summary: Summary {
            offices: offices.len(),
            meetings: report.office_months.iter().map(|r| r.meetings).sum(),
            rate: report.overall_rate_percent(),
            written_reports: report.written_reports.len(),
            declines: declines_total,
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
                categories: w.issue_categories.join("、"),
            })
            .collect(),
        declines: report
            .declines
            .iter()
            .map(|d| DeclineView {
                reason: d.reason.label_ja(),
                count: d.count,
                share: percent(d.count, declines_total),
            })
            .collect(),
    }
}

fn cell(row: &OfficeMonthRow) -> Cell {
    Cell {
        n: row.meetings,
        met: row.met,
    }
}
