//! The decision: for an office, a client and a month, which add-ons of a revision can be
//! claimed, with the records each rests on, or every reason why not. Pure and total: the
//! same facts always give the same answer, and every failure is reported, not the first.

use super::facts::{ClientFacts, OfficeFacts, OfficeRecords};
use super::load::RuleBook;
use super::outcome::{
    AddOnAssessment, ClientMonth, Evidence, NoRulesInForce, Outcome, Reason, ReasonCode,
};
use super::rules::{AddOn, Condition, ConditionKind, Revision, UnitBasis};
use super::{guidance, meetings};
use crate::domain::client::ServiceType;
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;

/// Judges every add-on of the enacted revision in force in `month`.
pub fn assess_in_force(
    book: &RuleBook,
    month: Month,
    office: &OfficeFacts,
    records: &OfficeRecords,
    client: &ClientFacts,
) -> Result<ClientMonth, NoRulesInForce> {
    let revision = book.in_force(month).ok_or(NoRulesInForce { month })?;
    Ok(assess(revision, month, office, records, client))
}

/// Judges every add-on of `revision` — the one in force, or a proposal for "what if".
pub fn assess(
    revision: &Revision,
    month: Month,
    office: &OfficeFacts,
    records: &OfficeRecords,
    client: &ClientFacts,
) -> ClientMonth {
    ClientMonth {
        month,
        revision: revision.id().clone(),
        revision_kind: revision.kind(),
        client_id: client.client_id,
        add_ons: revision
            .add_ons()
            .iter()
            .map(|a| AddOnAssessment {
                add_on: a.code().clone(),
                name_ja: a.name_ja().to_owned(),
                outcome: assess_add_on(a, month, office, records, client),
            })
            .collect(),
    }
}

/// Judges one add-on.
pub fn assess_add_on(
    add_on: &AddOn,
    month: Month,
    office: &OfficeFacts,
    records: &OfficeRecords,
    client: &ClientFacts,
) -> Outcome {
    let eligible = match office_may_claim(add_on, office) {
        Ok(services) => services,
        // The office's kind rules the add-on out; listing the other gaps would suggest
        // that closing them could help.
        Err(reason) => {
            return Outcome::NotClaimable {
                reasons: vec![reason],
            };
        }
    };
    let mut evidence = Vec::new();
    let mut reasons = Vec::new();
    let mut failed = false;
    match client_service(client, &eligible, month) {
        Some(service) => evidence.push(Evidence::Service { service }),
        None => {
            failed = true;
            reasons.push(Reason::new(
                ReasonCode::ClientNotUsingService,
                format!(
                    "The client does not use {} at this office in {month}.",
                    service_list(&eligible)
                ),
            ));
        }
    }
    let sessions = guidance::judge(add_on, month, client.client_id, records);
    let partner_kinds = partner_kinds(add_on);
    for condition in add_on.conditions() {
        let judged = match condition {
            Condition::PartnerAgreement { partner_kinds } => {
                partner_agreement(office, partner_kinds, month)
            }
            Condition::Published => published(office, month),
            Condition::NotifiedPrefecture { cutoff_day } => notified(office, *cutoff_day, month),
            Condition::MeetingsPerMonth(rule) => {
                meetings::condition(rule, partner_kinds, office, &records.meetings, month)
            }
            Condition::JointGuidance(_) => match &sessions {
                Some(s) => s.guidance.clone(),
                None => Err(Vec::new()), // unreachable: judge() runs whenever the condition exists
            },
            Condition::ReportToCouncil(_) => match sessions.as_ref().and_then(|s| s.report.clone())
            {
                Some(r) => r,
                None => Err(Vec::new()),
            },
        };
        match judged {
            Ok(e) => evidence.push(e),
            // A report condition fails without reasons of its own when the guidance it
            // reports failed; it still fails.
            Err(r) => {
                failed = true;
                reasons.extend(r);
            }
        }
    }
    if failed {
        return Outcome::NotClaimable { reasons };
    }
    let times = match add_on.basis() {
        UnitBasis::PerUserPerMonth => 1,
        UnitBasis::PerTime { .. } => sessions.map_or(0, |s| s.times),
    };
    Outcome::Claimable {
        units: add_on.units().map(|u| u.saturating_mul(times)),
        times,
        evidence,
    }
}

/// Why the office can never claim an add-on of `revision` — its services rule it out,
/// whatever the client and the records — or `None` when some add-on is open to it.
pub fn office_barred(revision: &Revision, office: &OfficeFacts) -> Option<Reason> {
    let mut first = None;
    for a in revision.add_ons() {
        match office_may_claim(a, office) {
            Ok(_) => return None,
            Err(r) => {
                first.get_or_insert(r);
            }
        }
    }
    first
}

/// The add-on's services the office provides, or why the office can never claim it.
pub(super) fn office_may_claim(
    add_on: &AddOn,
    office: &OfficeFacts,
) -> Result<Vec<ServiceType>, Reason> {
    let eligible: Vec<ServiceType> = add_on
        .services()
        .iter()
        .copied()
        .filter(|s| office.services.contains(s))
        .collect();
    if !eligible.is_empty() {
        return Ok(eligible);
    }
    let only_plan = !office.services.is_empty()
        && office
            .services
            .iter()
            .all(|s| *s == ServiceType::PlanningConsultation);
    Err(if only_plan {
        Reason::new(
            ReasonCode::OnlyPlanConsultation,
            format!(
                "This office provides only 計画相談支援 (plan consultation), so it cannot claim {}: \
                 only offices providing {} can.",
                add_on.name_ja(),
                service_list(add_on.services())
            ),
        )
    } else {
        Reason::new(
            ReasonCode::ServiceNotProvided,
            format!(
                "This office provides none of {}, so it cannot claim {}.",
                service_list(add_on.services()),
                add_on.name_ja()
            ),
        )
    })
}

fn client_service(
    client: &ClientFacts,
    eligible: &[ServiceType],
    month: Month,
) -> Option<ServiceType> {
    client
        .services
        .iter()
        .filter(|s| eligible.contains(&s.service))
        .find(|s| {
            s.starts_on <= month.last_day() && s.ends_on.is_none_or(|e| e >= month.first_day())
        })
        .map(|s| s.service)
}

/// The partner kinds of the add-on's partner_agreement condition (none without one).
pub(super) fn partner_kinds(add_on: &AddOn) -> &[OrgKind] {
    match add_on.condition(ConditionKind::PartnerAgreement) {
        Some(Condition::PartnerAgreement { partner_kinds }) => partner_kinds,
        _ => &[],
    }
}

fn partner_agreement(
    office: &OfficeFacts,
    kinds: &[OrgKind],
    month: Month,
) -> Result<Evidence, Vec<Reason>> {
    match meetings::agreements_in(office, kinds, month)
        .into_iter()
        .min_by_key(|a| a.since)
    {
        Some(a) => Ok(Evidence::PartnerAgreement {
            partner_org_id: a.partner.org_id,
            partner_kind: a.partner.kind,
            since: a.since,
        }),
        None => {
            let names: Vec<&str> = kinds.iter().map(|k| k.label_ja()).collect();
            Err(vec![Reason::new(
                ReasonCode::NoPartnerAgreement,
                format!(
                    "No partnership with a {} is in force in {month}.",
                    names.join(" or ")
                ),
            )])
        }
    }
}

fn published(office: &OfficeFacts, month: Month) -> Result<Evidence, Vec<Reason>> {
    match office.published_on {
        Some(on) if on <= month.last_day() => Ok(Evidence::Published { on }),
        Some(on) => Err(vec![Reason::new(
            ReasonCode::NotPublished,
            format!("The partnership was made public (公表) only on {on}, after {month}."),
        )]),
        None => Err(vec![Reason::new(
            ReasonCode::NotPublished,
            "The partnership has not been made public (公表).",
        )]),
    }
}

fn notified(
    office: &OfficeFacts,
    cutoff_day: Option<u32>,
    month: Month,
) -> Result<Evidence, Vec<Reason>> {
    use chrono::Datelike;
    let Some(on) = office.notified_on else {
        return Err(vec![Reason::new(
            ReasonCode::NotNotified,
            "The prefecture has not been notified (届出) of the set-up.",
        )]);
    };
    let notice_month = Month::of(on);
    let applies_from = match cutoff_day {
        None => Some(notice_month),
        Some(c) if on.day() <= c => notice_month.next(),
        Some(_) => notice_month.next().and_then(Month::next),
    };
    match (applies_from, cutoff_day) {
        (Some(from), _) if from <= month => Ok(Evidence::NotifiedPrefecture { on }),
        (Some(from), Some(c)) => Err(vec![Reason::new(
            ReasonCode::NotifiedTooLate,
            format!(
                "The prefecture was notified (届出) on {on}; a notice received by day {c} applies from the next month, \
                 a later one from the month after, so the add-on applies from {from}, not {month}."
            ),
        )]),
        _ => Err(vec![Reason::new(
            ReasonCode::NotNotified,
            format!("The prefecture was notified (届出) only on {on}, after {month}."),
        )]),
    }
}

fn service_name(s: ServiceType) -> &'static str {
    match s {
        ServiceType::PlanningConsultation => "計画相談支援 (plan consultation)",
        ServiceType::CommunityTransition => "地域移行支援 (community transition)",
        ServiceType::CommunitySettlement => "地域定着支援 (community settlement)",
        ServiceType::IndependentLivingAssistance => "自立生活援助 (independent living assistance)",
    }
}

fn service_list(services: &[ServiceType]) -> String {
    let names: Vec<&str> = services.iter().map(|s| service_name(*s)).collect();
    match names.as_slice() {
        [] => "no service".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
