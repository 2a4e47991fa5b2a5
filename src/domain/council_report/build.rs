//! From the facts the store reads to the report: each office-month judged by the rules
//! in force, then counted; issues, refusals and clients aggregated; office texts
//! scrubbed of withheld names.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::text::{Redactor, excerpt};
use super::*;
use crate::domain::add_on::{
    ComplianceStatus, Meeting, OfficeFacts, ReasonCode, RuleBook, meeting_compliance,
};
use crate::domain::ids::ClientId;
use crate::domain::month::MonthPhase;

/// Everything a report is made from; no I/O happens past this point.
#[derive(Debug, Clone)]
pub struct ReportFacts {
    pub council: CouncilInfo,
    pub from: Month,
    pub to: Month,
    pub now: DateTime<Utc>,
    pub offices: Vec<OfficeFact>,
    /// The offices' meetings in the period.
    pub meetings: Vec<MeetingFact>,
    pub written_reports: Vec<WrittenReportFact>,
    /// The landlord's reason of each refusal in the period.
    pub declines: Vec<DeclineReason>,
    /// Every client of the area's offices (also removed ones): whose names to show, and
    /// whose to mask.
    pub clients: Vec<ClientFact>,
}

#[derive(Debug, Clone)]
pub struct OfficeFact {
    pub id: OrganizationId,
    pub name: String,
    /// Its set-up for the add-ons; `None` when it has none (then it is never bound).
    pub setup: Option<OfficeFacts>,
}

#[derive(Debug, Clone)]
pub struct MeetingFact {
    pub office_id: OrganizationId,
    pub meeting: Meeting,
    pub categories: Vec<IssueCategory>,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WrittenReportFact {
    pub id: CouncilReportId,
    pub office_id: OrganizationId,
    pub office_name: String,
    pub submitted_on: NaiveDate,
    pub title: String,
    pub issue_categories: Vec<IssueCategory>,
}

#[derive(Debug, Clone)]
pub struct ClientFact {
    pub id: ClientId,
    pub office_id: OrganizationId,
    pub name: String,
    pub name_kana: Option<String>,
    /// A `council_reports` consent is in force on the report's day.
    pub named: bool,
}

/// A client discussed in the period, with the meetings it was discussed at.
struct DiscussedClient {
    id: ClientId,
    meetings: u32,
}

pub fn build(book: &RuleBook, facts: ReportFacts) -> CouncilReport {
    let months: Vec<Month> = facts.from.through(facts.to).take(MAX_MONTHS).collect();
    let redactor = Redactor::new(
        facts
            .clients
            .iter()
            .filter(|c| !c.named)
            .flat_map(|c| std::iter::once(c.name.as_str()).chain(c.name_kana.as_deref())),
    );
    let issues = issues(&facts.meetings, &redactor);
    let clients = clients(&facts);
    let offices = offices(book, &facts, &months);
    let month_figures = month_figures(&months, &offices, &facts.meetings, facts.now);
    let declines = declines(&facts.declines);
    let mut written_reports: Vec<WrittenReport> = facts
        .written_reports
        .into_iter()
        .map(|w| WrittenReport {
            id: w.id,
            office_id: w.office_id,
            office_name: w.office_name,
            submitted_on: w.submitted_on,
            title: redactor.redact(&w.title),
            issue_categories: w.issue_categories,
        })
        .collect();
    written_reports.sort_by_key(|w| (w.submitted_on, w.id));
    let summary = summary(&offices, &written_reports, &declines, &clients);
    CouncilReport {
        council: facts.council,
        from: facts.from,
        to: facts.to,
        generated_at: facts.now,
        summary,
        months: month_figures,
        offices,
        issues,
        written_reports,
        declines,
        clients,
    }
}

fn offices(book: &RuleBook, facts: &ReportFacts, months: &[Month]) -> Vec<OfficeFigures> {
    let mut by_office: HashMap<OrganizationId, Vec<Meeting>> = HashMap::new();
    for m in &facts.meetings {
        by_office
            .entry(m.office_id)
            .or_default()
            .push(m.meeting.clone());
    }
    let mut out: Vec<OfficeFigures> = facts
        .offices
        .iter()
        .map(|o| {
            let held = by_office.get(&o.id).map(Vec::as_slice).unwrap_or_default();
            let setup = o.setup.clone().unwrap_or_else(|| OfficeFacts {
                office_id: o.id,
                services: Vec::new(),
                agreements: Vec::new(),
                published_on: None,
                notified_on: None,
            });
            let cells: Vec<OfficeMonth> = months
                .iter()
                .map(|&month| office_month(book, month, &setup, held, facts.now))
                .collect();
            OfficeFigures {
                office_id: o.id,
                name: o.name.clone(),
                meetings: cells.iter().map(|c| c.meetings).sum(),
                met: count(&cells, |c| c.status == MonthStatus::Met),
                bound: count(&cells, |c| c.status.is_bound()),
                months: cells,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.name, a.office_id).cmp(&(&b.name, b.office_id)));
    out
}

fn office_month(
    book: &RuleBook,
    month: Month,
    setup: &OfficeFacts,
    held: &[Meeting],
    now: DateTime<Utc>,
) -> OfficeMonth {
    let meetings = count(held, |m| month.contains_instant(m.held_at));
    let Some(revision) = book.in_force(month) else {
        return OfficeMonth {
            month,
            meetings,
            qualifying: 0,
            status: MonthStatus::NotRequired,
        };
    };
    let c = meeting_compliance(month, setup, held, revision, now);
    // Without a partnership in force that month the office had no set-up to meet under:
    // it could not claim the add-on, and counting the month as missed would blame it
    // for a requirement it was not under.
    let set_up = !c
        .problems
        .iter()
        .any(|p| p.code == ReasonCode::NoPartnerAgreement);
    OfficeMonth {
        month,
        meetings,
        qualifying: u32::try_from(c.qualifying_meeting_ids.len()).unwrap_or(u32::MAX),
        status: match c.status {
            _ if !set_up => MonthStatus::NotRequired,
            ComplianceStatus::Met => MonthStatus::Met,
            ComplianceStatus::Missed => MonthStatus::Missed,
            ComplianceStatus::NotYet { .. } => MonthStatus::NotYet,
            ComplianceStatus::NotRequired => MonthStatus::NotRequired,
        },
    }
}

fn month_figures(
    months: &[Month],
    offices: &[OfficeFigures],
    meetings: &[MeetingFact],
    now: DateTime<Utc>,
) -> Vec<MonthFigures> {
    months
        .iter()
        .enumerate()
        .map(|(i, &month)| {
            let cells: Vec<&OfficeMonth> = offices.iter().filter_map(|o| o.months.get(i)).collect();
            let status = |s: MonthStatus| count(&cells, |c| c.status == s);
            let bound = count(&cells, |c| c.status.is_bound());
            let met = status(MonthStatus::Met);
            MonthFigures {
                month,
                open: month.phase(now) != MonthPhase::Past,
                offices_bound: bound,
                met,
                missed: status(MonthStatus::Missed),
                not_yet: status(MonthStatus::NotYet),
                meetings: count(meetings, |m| month.contains_instant(m.meeting.held_at)),
                rate_percent: percent(met, bound),
            }
        })
        .collect()
}

/// Each meeting counts once per category it raised; its note is an example of each.
fn issues(meetings: &[MeetingFact], redactor: &Redactor) -> Vec<IssueCount> {
    let mut newest_first: Vec<&MeetingFact> = meetings.iter().collect();
    newest_first.sort_by_key(|m| std::cmp::Reverse((m.meeting.held_at, m.meeting.id)));
    let mut out: Vec<IssueCount> = Vec::new();
    for m in newest_first {
        let note = m
            .note
            .as_deref()
            .map(|n| excerpt(&redactor.redact(n)))
            .filter(|n| !n.is_empty());
        for &category in &m.categories {
            let i = match out.iter().position(|c| c.category == category) {
                Some(i) => i,
                None => {
                    out.push(IssueCount {
                        category,
                        label: category.label_ja().to_owned(),
                        count: 0,
                        examples: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let entry = &mut out[i];
            entry.count += 1;
            if let Some(n) = &note
                && entry.examples.len() < MAX_EXAMPLES
                && !entry.examples.contains(n)
            {
                entry.examples.push(n.clone());
            }
        }
    }
    let rank = |c: IssueCategory| IssueCategory::ALL.iter().position(|x| *x == c);
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| rank(a.category).cmp(&rank(b.category)))
    });
    out
}

/// By count, ties in the order of the concern list.
fn declines(reasons: &[DeclineReason]) -> Vec<DeclineCount> {
    let mut counts: Vec<(DeclineReason, u32)> = Vec::new();
    for &r in reasons {
        match counts.iter_mut().find(|(x, _)| *x == r) {
            Some((_, n)) => *n += 1,
            None => counts.push((r, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| (a.0 as u8).cmp(&(b.0 as u8))));
    let total = u32::try_from(reasons.len()).unwrap_or(u32::MAX);
    counts
        .into_iter()
        .map(|(reason, count)| DeclineCount {
            reason,
            label: reason.label_ja().to_owned(),
            count,
            share_percent: percent(count, total),
        })
        .collect()
}

/// The clients discussed in the period, each with its number of meetings.
fn discussed(meetings: &[MeetingFact]) -> Vec<DiscussedClient> {
    let mut counts: HashMap<ClientId, u32> = HashMap::new();
    for m in meetings {
        let once: HashSet<ClientId> = m
            .meeting
            .shared_clients
            .iter()
            .map(|c| c.client_id)
            .collect();
        for id in once {
            *counts.entry(id).or_default() += 1;
        }
    }
    let mut out: Vec<DiscussedClient> = counts
        .into_iter()
        .map(|(id, meetings)| DiscussedClient { id, meetings })
        .collect();
    out.sort_by_key(|d| d.id);
    out
}

fn clients(facts: &ReportFacts) -> ClientFigures {
    let discussed = discussed(&facts.meetings);
    let by_id: HashMap<ClientId, &ClientFact> = facts.clients.iter().map(|c| (c.id, c)).collect();
    let office_name: HashMap<OrganizationId, &str> = facts
        .offices
        .iter()
        .map(|o| (o.id, o.name.as_str()))
        .collect();
    let mut named: Vec<NamedClient> = discussed
        .iter()
        .filter_map(|d| {
            let c = by_id.get(&d.id).filter(|c| c.named)?;
            Some(NamedClient {
                name: c.name.clone(),
                office_name: office_name
                    .get(&c.office_id)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                meetings: d.meetings,
            })
        })
        .collect();
    named.sort_by(|a, b| (&a.office_name, &a.name).cmp(&(&b.office_name, &b.name)));
    let total = u32::try_from(discussed.len()).unwrap_or(u32::MAX);
    let shown = u32::try_from(named.len()).unwrap_or(u32::MAX);
    ClientFigures {
        discussed: total,
        withheld: total - shown,
        named,
    }
}

fn summary(
    offices: &[OfficeFigures],
    reports: &[WrittenReport],
    declines: &[DeclineCount],
    clients: &ClientFigures,
) -> ReportSummary {
    let cells: Vec<&OfficeMonth> = offices.iter().flat_map(|o| &o.months).collect();
    let bound = count(&cells, |c| c.status.is_bound());
    let met = count(&cells, |c| c.status == MonthStatus::Met);
    ReportSummary {
        offices: u32::try_from(offices.len()).unwrap_or(u32::MAX),
        offices_bound: count(offices, |o| o.bound > 0),
        meetings: offices.iter().map(|o| o.meetings).sum(),
        office_months_bound: bound,
        met,
        missed: count(&cells, |c| c.status == MonthStatus::Missed),
        not_yet: count(&cells, |c| c.status == MonthStatus::NotYet),
        compliance_rate_percent: percent(met, bound),
        written_reports: u32::try_from(reports.len()).unwrap_or(u32::MAX),
        declines: declines.iter().map(|d| d.count).sum(),
        clients_discussed: clients.discussed,
    }
}

fn count<T>(items: &[T], f: impl Fn(&T) -> bool) -> u32 {
    u32::try_from(items.iter().filter(|x| f(x)).count()).unwrap_or(u32::MAX)
}
