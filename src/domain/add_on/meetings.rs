//! Which information-sharing meetings count in a month. Shared by the claim decision and
//! the month's compliance view, so the two can never disagree.

use chrono::NaiveDate;

use super::facts::{Meeting, OfficeFacts, PartnerAgreement};
use super::outcome::{Evidence, Reason, ReasonCode, RecordRef};
use super::rules::MeetingRule;
use crate::domain::ids::MeetingId;
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;
use crate::domain::time::date_in_tokyo;

/// The partnerships of an accepted kind in force on some day of `month`.
pub(super) fn agreements_in<'a>(
    office: &'a OfficeFacts,
    kinds: &[OrgKind],
    month: Month,
) -> Vec<&'a PartnerAgreement> {
    office
        .agreements
        .iter()
        .filter(|a| kinds.contains(&a.partner.kind))
        .filter(|a| a.since <= month.last_day() && a.until.is_none_or(|u| u >= month.first_day()))
        .collect()
}

/// The meetings of the month that count, and what is wrong with the others.
pub(super) struct Judged {
    pub qualifying: Vec<MeetingId>,
    pub held: usize,
    pub problems: Vec<Reason>,
}

/// `partner_kinds` are those of the add-on's partner_agreement condition; the loader
/// guarantees one exists when the rule needs a partner present.
pub(super) fn judge(
    rule: &MeetingRule,
    partner_kinds: &[OrgKind],
    office: &OfficeFacts,
    meetings: &[Meeting],
    month: Month,
) -> Judged {
    let mut in_month: Vec<&Meeting> = meetings
        .iter()
        .filter(|m| month.contains_instant(m.held_at))
        .collect();
    in_month.sort_by_key(|m| (m.held_at, m.id));
    let mut judged = Judged {
        qualifying: Vec::new(),
        held: in_month.len(),
        problems: Vec::new(),
    };
    for m in in_month {
        let day = date_in_tokyo(m.held_at);
        let problems = problems_of(rule, partner_kinds, office, m, day);
        if problems.is_empty() {
            judged.qualifying.push(m.id);
        }
        judged.problems.extend(problems);
    }
    judged
}

fn problems_of(
    rule: &MeetingRule,
    partner_kinds: &[OrgKind],
    office: &OfficeFacts,
    m: &Meeting,
    day: NaiveDate,
) -> Vec<Reason> {
    let about = |code, text: String| {
        Reason::about(
            code,
            RecordRef::Meeting(m.id),
            format!("Meeting of {day}: {text}"),
        )
    };
    let mut out = Vec::new();
    if !m.present_org_ids.contains(&office.office_id) {
        out.push(about(
            ReasonCode::OfficeNotPresent,
            "the office itself is not recorded as present.".into(),
        ));
    }
    if rule.partner_must_attend {
        let partner_there = office.agreements.iter().any(|a| {
            partner_kinds.contains(&a.partner.kind)
                && a.in_force_on(day)
                && m.present_org_ids.contains(&a.partner.org_id)
        });
        if !partner_there {
            out.push(about(
                ReasonCode::PartnerNotPresent,
                "no 居住支援法人 or 居住支援協議会 the office had a partnership with on that day was present.".into(),
            ));
        }
    }
    if rule.minutes_required && !m.has_minutes {
        out.push(about(
            ReasonCode::NoMinutes,
            "no minutes are recorded.".into(),
        ));
    }
    if rule.clients_shared_with_consent {
        if m.shared_clients.is_empty() {
            out.push(about(
                ReasonCode::NoClientsShared,
                "no client's housing was discussed.".into(),
            ));
        }
        let without: Vec<String> = m
            .shared_clients
            .iter()
            .filter(|c| !c.consented)
            .map(|c| c.client_id.to_string())
            .collect();
        if !without.is_empty() {
            out.push(about(
                ReasonCode::ClientSharedWithoutConsent,
                format!(
                    "{} client(s) were discussed without a consent to discuss them at meetings: {}.",
                    without.len(),
                    without.join(", ")
                ),
            ));
        }
    }
    if rule.issues_recorded && m.issues_count == 0 {
        out.push(about(
            ReasonCode::NoIssuesRecorded,
            "no housing issue is recorded.".into(),
        ));
    }
    out
}

/// The meeting condition of a claim: met with the qualifying meetings, or every reason.
pub(super) fn condition(
    rule: &MeetingRule,
    partner_kinds: &[OrgKind],
    office: &OfficeFacts,
    meetings: &[Meeting],
    month: Month,
) -> Result<Evidence, Vec<Reason>> {
    let j = judge(rule, partner_kinds, office, meetings, month);
    if j.qualifying.len() >= rule.min as usize {
        return Ok(Evidence::MeetingsPerMonth {
            meeting_ids: j.qualifying,
        });
    }
    let mut reasons = vec![shortfall(rule.min, &j, month, "")];
    reasons.extend(j.problems);
    Err(reasons)
}

/// The headline reason when too few meetings count; `tail` adds what the caller knows
/// (e.g. the days left).
pub(super) fn shortfall(min: u32, j: &Judged, month: Month, tail: &str) -> Reason {
    let n = j.qualifying.len();
    if n == 0 {
        let held = match j.held {
            0 => "no information-sharing meeting was held".to_owned(),
            h => format!("none of the {h} meeting(s) held meets the requirements"),
        };
        Reason::new(
            ReasonCode::NoQualifyingMeeting,
            format!("In {month} {held} ({min} needed).{tail}"),
        )
    } else {
        Reason::new(
            ReasonCode::TooFewMeetings,
            format!("In {month} {n} meeting(s) meet the requirements; {min} are needed.{tail}"),
        )
    }
}
