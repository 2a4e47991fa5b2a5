//! Joint guidance sessions with a 居住支援法人 and their reports to the 協議会: which of a
//! client's sessions in the month count, and so how many times the add-on applies.

use chrono::{Days, NaiveDate};

use super::facts::{CouncilReport, GuidanceSession, OfficeRecords};
use super::outcome::{Evidence, Reason, ReasonCode, RecordRef};
use super::rules::{AddOn, Condition, ConditionKind, GuidanceRule, ReportRule, UnitBasis};
use crate::domain::ids::{ClientId, CouncilReportId, GuidanceSessionId};
use crate::domain::month::Month;
use crate::domain::time::date_in_tokyo;

/// The results of the `joint_guidance` and `report_to_council` conditions.
pub(super) struct Judged {
    pub guidance: Result<Evidence, Vec<Reason>>,
    /// `None` when the add-on has no report condition. When guidance failed this is an
    /// error without reasons of its own: there was nothing to report.
    pub report: Option<Result<Evidence, Vec<Reason>>>,
    pub times: u32,
}

/// `None` when the add-on has no joint_guidance condition.
pub(super) fn judge(
    add_on: &AddOn,
    month: Month,
    client_id: ClientId,
    records: &OfficeRecords,
) -> Option<Judged> {
    let Some(Condition::JointGuidance(rule)) = add_on.condition(ConditionKind::JointGuidance)
    else {
        return None;
    };
    let report_rule = match add_on.condition(ConditionKind::ReportToCouncil) {
        Some(Condition::ReportToCouncil(r)) => Some(r),
        _ => None,
    };
    let mut sessions: Vec<&GuidanceSession> = records
        .sessions
        .iter()
        .filter(|s| s.client_id == client_id && month.contains_instant(s.held_at))
        .collect();
    sessions.sort_by_key(|s| (s.held_at, s.id));

    let mut problems = Vec::new();
    let mut qualifying = Vec::new();
    for s in &sessions {
        let p = session_problems(rule, s);
        if p.is_empty() {
            qualifying.push(*s);
        }
        problems.extend(p);
    }
    if qualifying.is_empty() {
        let headline = match sessions.len() {
            0 => format!(
                "No joint explanation and guidance session with a 居住支援法人 was held for this client in {month}."
            ),
            n => format!(
                "None of the {n} joint guidance session(s) for this client in {month} meets the requirements."
            ),
        };
        let mut reasons = vec![Reason::new(ReasonCode::NoJointGuidance, headline)];
        reasons.extend(problems);
        return Some(Judged {
            guidance: Err(reasons),
            report: report_rule.map(|_| Err(Vec::new())),
            times: 0,
        });
    }

    let qualifying_ids: Vec<GuidanceSessionId> = qualifying.iter().map(|s| s.id).collect();
    // Each counted session with the valid reports about it.
    let mut counted: Vec<(&GuidanceSession, Vec<CouncilReportId>)> = Vec::new();
    let mut report_problems = Vec::new();
    for s in qualifying {
        match report_rule {
            None => counted.push((s, Vec::new())),
            Some(r) => match valid_reports(r, s, &records.reports, month) {
                Ok(ids) => counted.push((s, ids)),
                Err(p) => report_problems.extend(p),
            },
        }
    }
    let cap = match add_on.basis() {
        UnitBasis::PerUserPerMonth => Some(1),
        UnitBasis::PerTime { max_per_month } => max_per_month,
    };
    if let Some(cap) = cap {
        counted.truncate(cap as usize);
    }
    let report = report_rule.map(|_| {
        if counted.is_empty() {
            let mut reasons = vec![Reason::new(
                ReasonCode::NoReport,
                format!("No joint guidance session for this client in {month} has been reported to the 協議会 as required."),
            )];
            reasons.extend(report_problems);
            Err(reasons)
        } else {
            let mut report_ids: Vec<CouncilReportId> = counted.iter().flat_map(|(_, r)| r.iter().copied()).collect();
            report_ids.sort();
            report_ids.dedup();
            Ok(Evidence::ReportToCouncil { report_ids })
        }
    });
    let times = u32::try_from(counted.len()).unwrap_or(u32::MAX);
    // With a report rule the sessions that count are the reported ones; if none is, the
    // guidance itself still holds and the report condition carries the reasons.
    let session_ids = if counted.is_empty() {
        qualifying_ids
    } else {
        counted.iter().map(|(s, _)| s.id).collect()
    };
    Some(Judged {
        guidance: Ok(Evidence::JointGuidance { session_ids }),
        report,
        times,
    })
}

fn session_problems(rule: &GuidanceRule, s: &GuidanceSession) -> Vec<Reason> {
    let day = date_in_tokyo(s.held_at);
    let about = |code, text: &str| {
        Reason::about(
            code,
            RecordRef::GuidanceSession(s.id),
            format!("Joint guidance session of {day}: {text}"),
        )
    };
    let mut out = Vec::new();
    if !s
        .partners_present
        .iter()
        .any(|p| rule.with.contains(&p.kind))
    {
        out.push(about(
            ReasonCode::PartnerCorpNotPresent,
            "no 居住支援法人 took part.",
        ));
    }
    if rule.client_consent && !s.client_consented {
        out.push(about(
            ReasonCode::NoClientConsent,
            "the client's consent is not recorded.",
        ));
    }
    if rule.explained_items_required && s.explained_items.iter().all(|i| i.trim().is_empty()) {
        out.push(about(
            ReasonCode::NothingExplained,
            "nothing explained is recorded.",
        ));
    }
    out
}

/// The reports that validly cover session `s`, or why none does.
fn valid_reports(
    rule: &ReportRule,
    s: &GuidanceSession,
    reports: &[CouncilReport],
    month: Month,
) -> Result<Vec<CouncilReportId>, Vec<Reason>> {
    let day = date_in_tokyo(s.held_at);
    let deadline = month
        .last_day()
        .checked_add_days(Days::new(rule.grace_days_after_month.into()))
        .unwrap_or(NaiveDate::MAX);
    let mut valid = Vec::new();
    let mut problems = Vec::new();
    let mut linked: Vec<&CouncilReport> = reports
        .iter()
        .filter(|r| r.session_ids.contains(&s.id))
        .collect();
    linked.sort_by_key(|r| (r.submitted_on, r.id));
    for r in &linked {
        let about = |code, text: String| {
            Reason::about(
                code,
                RecordRef::CouncilReport(r.id),
                format!("Report of {} to the 協議会: {text}", r.submitted_on),
            )
        };
        let mut p = Vec::new();
        if r.submitted_on < day {
            p.push(about(
                ReasonCode::ReportBeforeSession,
                format!("it predates the session of {day} it reports."),
            ));
        }
        if r.submitted_on > deadline {
            p.push(about(
                ReasonCode::ReportTooLate,
                format!("it came after {deadline}, the last day it could count for {month}."),
            ));
        }
        if !rule.methods.contains(&r.method) {
            p.push(about(
                ReasonCode::ReportMethodNotAccepted,
                format!(
                    "a report {} is not an accepted method.",
                    method_name(r.method)
                ),
            ));
        }
        if rule.issues_required && r.issues_count == 0 {
            p.push(about(
                ReasonCode::NoIssuesReported,
                "it raises no housing issue.".into(),
            ));
        }
        if p.is_empty() {
            valid.push(r.id);
        }
        problems.extend(p);
    }
    if linked.is_empty() {
        problems.push(Reason::about(
            ReasonCode::NoReport,
            RecordRef::GuidanceSession(s.id),
            format!("Joint guidance session of {day}: no report to the 協議会 covers it."),
        ));
    }
    if valid.is_empty() {
        Err(problems)
    } else {
        Ok(valid)
    }
}

fn method_name(m: super::rules::ReportMethod) -> &'static str {
    use super::rules::ReportMethod::*;
    match m {
        Written => "in writing",
        Materials => "with materials",
        InPerson => "in person",
    }
}
