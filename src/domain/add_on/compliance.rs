//! The office's view of a month's meeting requirement: met or not, which meetings count,
//! what is wrong with the others, and — while the month is open — that it is not met
//! *yet*, with the days left to hold one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::engine::{office_may_claim, partner_kinds};
use super::facts::{Meeting, OfficeFacts};
use super::meetings;
use super::outcome::{Reason, ReasonCode};
use super::rules::{AddOnCode, Condition, Revision, RevisionId};
use crate::domain::ids::MeetingId;
use crate::domain::month::{Month, MonthPhase};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ComplianceStatus {
    Met,
    /// Not met so far, and the month is still open (or has not begun).
    NotYet {
        days_left: u32,
    },
    /// The month ended without it.
    Missed,
    /// The revision asks for no meetings of this office.
    NotRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthCompliance {
    pub month: Month,
    pub revision: RevisionId,
    /// The add-on whose meeting requirement this is.
    pub add_on: Option<AddOnCode>,
    /// Qualifying meetings needed (0 when not required).
    pub required: u32,
    /// Whether the status is `met`; false when the requirement does not apply either.
    pub met: bool,
    pub status: ComplianceStatus,
    pub phase: MonthPhase,
    pub qualifying_meeting_ids: Vec<MeetingId>,
    /// The gaps: the shortfall, a missing partnership, and what each other meeting lacks.
    pub problems: Vec<Reason>,
}

impl MonthCompliance {
    /// The days left when the month is under way, its meetings are not held yet and no
    /// more than `warn_days` days remain: the moment to warn the office.
    pub fn ending_unmet(&self, warn_days: u32) -> Option<u32> {
        match (self.status, self.phase) {
            (ComplianceStatus::NotYet { days_left }, MonthPhase::Open { .. })
                if days_left <= warn_days =>
            {
                Some(days_left)
            }
            _ => None,
        }
    }
}

/// The meeting requirement of `revision` (its first add-on with one) for `month`, as it
/// stands at `now`.
pub fn meeting_compliance(
    month: Month,
    office: &OfficeFacts,
    meetings_held: &[Meeting],
    revision: &Revision,
    now: DateTime<Utc>,
) -> MonthCompliance {
    let phase = month.phase(now);
    let mut out = MonthCompliance {
        month,
        revision: revision.id().clone(),
        add_on: None,
        required: 0,
        met: false,
        status: ComplianceStatus::NotRequired,
        phase,
        qualifying_meeting_ids: Vec::new(),
        problems: Vec::new(),
    };
    let found = revision.add_ons().iter().find_map(|a| {
        a.conditions().iter().find_map(|c| match c {
            Condition::MeetingsPerMonth(rule) => Some((a, rule)),
            _ => None,
        })
    });
    let Some((add_on, rule)) = found else {
        return out;
    };
    out.add_on = Some(add_on.code().clone());
    if let Err(reason) = office_may_claim(add_on, office) {
        out.problems.push(reason);
        return out;
    }
    let kinds = partner_kinds(add_on);
    if rule.partner_must_attend && meetings::agreements_in(office, kinds, month).is_empty() {
        out.problems.push(Reason::new(
            ReasonCode::NoPartnerAgreement,
            format!("No partnership with a 居住支援法人 or 居住支援協議会 is in force in {month}, so no meeting can count."),
        ));
    }
    let judged = meetings::judge(rule, kinds, office, meetings_held, month);
    out.required = rule.min;
    out.met = judged.qualifying.len() >= rule.min as usize;
    out.status = match (out.met, phase) {
        (true, _) => ComplianceStatus::Met,
        (false, MonthPhase::Past) => ComplianceStatus::Missed,
        (false, _) => ComplianceStatus::NotYet {
            days_left: month.days_left(now),
        },
    };
    if !out.met {
        let tail = match out.status {
            ComplianceStatus::NotYet { days_left } => {
                format!(" Not yet met: {days_left} day(s) left.")
            }
            _ => String::new(),
        };
        out.problems
            .insert(0, meetings::shortfall(rule.min, &judged, month, &tail));
    }
    out.qualifying_meeting_ids = judged.qualifying;
    out.problems.extend(judged.problems);
    out
}
