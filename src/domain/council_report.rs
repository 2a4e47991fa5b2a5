//! A council's report on its offices' information-sharing meetings (情報連携の場) over a
//! period: the view model behind `GET /councils/{id}/reports/meetings` in every format.
//!
//! It holds aggregates only — office names, counts, issue texts, landlords' reasons — and
//! never a client's name or id, because a council may see client data only aggregated
//! unless the person consented. Whoever fills it must keep the example texts free of
//! names. Whether an office met a month is decided by the fee rules elsewhere; this
//! model only carries the verdict and derives the rates from it.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Serialize, Serializer};

use crate::domain::inquiry::DeclineReason;

/// Example texts kept per issue category: enough to show what lies behind a count
/// without turning the report into the minutes.
pub const MAX_EXAMPLES: usize = 3;

/// A calendar month (`YYYY-MM`) of the report's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportMonth(NaiveDate);

impl ReportMonth {
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(Self)
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Self> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        Self::new(y.parse().ok()?, m.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u32 {
        self.0.month()
    }

    pub fn next(self) -> Self {
        match self.month() {
            12 => Self::new(self.year() + 1, 1),
            m => Self::new(self.year(), m + 1),
        }
        .unwrap_or(self)
    }
}

impl std::fmt::Display for ReportMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl Serialize for ReportMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CouncilReport {
    pub council_name: String,
    /// First and last month of the period, both included.
    pub period_from: ReportMonth,
    pub period_to: ReportMonth,
    pub generated_at: DateTime<Utc>,
    /// One row per office and month in which the office was bound to meet.
    pub office_months: Vec<OfficeMonthRow>,
    pub issues: Vec<IssueCount>,
    pub written_reports: Vec<WrittenReportRow>,
    pub declines: Vec<DeclineCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeMonthRow {
    pub office_name: String,
    pub month: ReportMonth,
    pub meetings: u32,
    /// The month satisfied the add-on's meeting requirement under the rules then in force.
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueCount {
    /// Display label of the issue category.
    pub category: String,
    pub count: u32,
    /// At most [`MAX_EXAMPLES`] distinct texts.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenReportRow {
    pub office_name: String,
    pub submitted_on: NaiveDate,
    pub issue_categories: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeclineCount {
    pub reason: DeclineReason,
    pub count: u32,
}

/// How many of the offices bound in a month met it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonthCompliance {
    pub month: ReportMonth,
    pub offices: u32,
    pub met: u32,
    pub meetings: u32,
}

impl MonthCompliance {
    /// Whole percent, rounded half up; `None` when no office was bound that month (a
    /// 0% there would read as a failure).
    pub fn rate_percent(&self) -> Option<u32> {
        percent(self.met, self.offices)
    }
}

/// One office's months in period order; `None` where it has no row (not bound then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeGridRow<'a> {
    pub office_name: &'a str,
    pub cells: Vec<Option<&'a OfficeMonthRow>>,
}

pub(crate) fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0)
        .then(|| ((u64::from(part) * 200 + u64::from(whole)) / (u64::from(whole) * 2)) as u32)
}

impl CouncilReport {
    /// Every month of the period in order, also those without any row.
    pub fn months(&self) -> Vec<ReportMonth> {
        let mut months = Vec::new();
        let mut m = self.period_from;
        while m <= self.period_to {
            months.push(m);
            let next = m.next();
            if next == m {
                break;
            }
            m = next;
        }
        months
    }

    pub fn compliance_by_month(&self) -> Vec<MonthCompliance> {
        let mut by_month: Vec<MonthCompliance> = self
            .months()
            .into_iter()
            .map(|month| MonthCompliance {
                month,
                offices: 0,
                met: 0,
                meetings: 0,
            })
            .collect();
        for row in &self.office_months {
            if let Some(c) = by_month.iter_mut().find(|c| c.month == row.month) {
                c.offices += 1;
                c.met += u32::from(row.met);
                c.meetings += row.meetings;
            }
        }
        by_month
    }

    /// Share of all office-months in the period that were met.
    pub fn overall_rate_percent(&self) -> Option<u32> {
        let met = self.office_months.iter().filter(|r| r.met).count();
        percent(met as u32, self.office_months.len() as u32)
    }

    /// Offices in the order they first appear, each with one cell per month.
    pub fn office_grid(&self) -> Vec<OfficeGridRow<'_>> {
        let months = self.months();
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut grid: Vec<OfficeGridRow<'_>> = Vec::new();
        for row in &self.office_months {
            let Some(col) = months.iter().position(|m| *m == row.month) else {
                continue;
            };
            let i = *index.entry(row.office_name.as_str()).or_insert_with(|| {
                grid.push(OfficeGridRow {
                    office_name: &row.office_name,
                    cells: vec![None; months.len()],
                });
                grid.len() - 1
            });
            grid[i].cells[col] = Some(row);
        }
        grid
    }
}

impl IssueCount {
    /// Counts issues by category, most frequent first (ties by category), keeping the
    /// first [`MAX_EXAMPLES`] distinct non-blank texts of each as examples.
    pub fn aggregate<I>(issues: I) -> Vec<IssueCount>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut out: Vec<IssueCount> = Vec::new();
        for (category, text) in issues {
            let i = match out.iter().position(|c| c.category == category) {
                Some(i) => i,
                None => {
                    out.push(IssueCount {
                        category,
                        count: 0,
                        examples: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let entry = &mut out[i];
            entry.count += 1;
            let text = text.trim();
            if !text.is_empty()
                && entry.examples.len() < MAX_EXAMPLES
                && !entry.examples.iter().any(|e| e == text)
            {
                entry.examples.push(text.to_owned());
            }
        }
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.category.cmp(&b.category))
        });
        out
    }
}

impl DeclineCount {
    /// Counts declines by the landlord's reason, most frequent first; ties keep the
    /// order of the concern list.
    pub fn tally<I: IntoIterator<Item = DeclineReason>>(reasons: I) -> Vec<DeclineCount> {
        let mut out: Vec<DeclineCount> = Vec::new();
        for reason in reasons {
            match out.iter_mut().find(|d| d.reason == reason) {
                Some(d) => d.count += 1,
                None => out.push(DeclineCount { reason, count: 1 }),
            }
        }
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (a.reason as u8).cmp(&(b.reason as u8)))
        });
        out
    }
}

#[cfg(test)]
#[path = "council_report_tests.rs"]
mod tests;
