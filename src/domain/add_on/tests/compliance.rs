//! The month's meeting requirement as the office sees it, before and after the month ends.

use super::*;
use crate::domain::add_on::{ComplianceStatus, meeting_compliance};
use crate::domain::month::MonthPhase;

fn may(meetings: &[Meeting], now: &str) -> MonthCompliance {
    meeting_compliance(month("2021-05"), &office(), meetings, &fy2021(), utc(now))
}

#[test]
fn a_month_with_a_qualifying_meeting_is_met() {
    let c = may(
        &[meeting(1, "2021-05-12T01:00:00Z")],
        "2021-05-20T00:00:00Z",
    );
    assert!(c.met);
    assert_eq!(c.status, ComplianceStatus::Met);
    assert_eq!(c.qualifying_meeting_ids, [meeting_id(1)]);
    assert_eq!(c.required, 1);
    assert_eq!(c.add_on.unwrap().as_str(), COLLAB);
    assert!(c.problems.is_empty());
}

#[test]
fn an_open_month_without_a_meeting_is_not_yet_met_with_the_days_left() {
    // 2021-05-29T15:00Z is 30 May in Tokyo: the 30th and 31st are left.
    let c = may(&[], "2021-05-29T15:00:00Z");
    assert!(!c.met);
    assert_eq!(c.status, ComplianceStatus::NotYet { days_left: 2 });
    assert_eq!(c.phase, MonthPhase::Open { days_left: 2 });
    assert_eq!(c.problems[0].code, ReasonCode::NoQualifyingMeeting);
    assert!(
        c.problems[0].message.contains("2 day(s) left"),
        "{}",
        c.problems[0].message
    );
}

#[test]
fn a_month_that_ended_without_a_meeting_is_missed() {
    // 2021-05-31T15:00Z is 1 June in Tokyo.
    let c = may(&[], "2021-05-31T15:00:00Z");
    assert_eq!(c.status, ComplianceStatus::Missed);
}

#[test]
fn the_gaps_name_each_flawed_meeting() {
    let mut m = meeting(1, "2021-05-12T01:00:00Z");
    m.has_minutes = false;
    let c = may(&[m], "2021-05-20T00:00:00Z");
    let codes: Vec<_> = c.problems.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        [ReasonCode::NoQualifyingMeeting, ReasonCode::NoMinutes]
    );
    assert!(
        c.problems[0].message.contains("none of the 1 meeting(s)"),
        "{}",
        c.problems[0].message
    );
}

#[test]
fn a_missing_partnership_is_a_gap_of_its_own() {
    let o = OfficeFacts {
        agreements: vec![],
        ..office()
    };
    let c = meeting_compliance(
        month("2021-05"),
        &o,
        &[],
        &fy2021(),
        utc("2021-05-20T00:00:00Z"),
    );
    assert!(
        c.problems
            .iter()
            .any(|p| p.code == ReasonCode::NoPartnerAgreement)
    );
}

#[test]
fn a_meeting_just_after_midnight_in_tokyo_belongs_to_the_next_month() {
    let m = meeting(1, "2021-05-31T15:10:00Z");
    assert_eq!(
        may(std::slice::from_ref(&m), "2021-06-02T00:00:00Z").status,
        ComplianceStatus::Missed
    );
    let june = meeting_compliance(
        month("2021-06"),
        &office(),
        &[m],
        &fy2021(),
        utc("2021-06-02T00:00:00Z"),
    );
    assert!(june.met);
}

#[test]
fn an_office_providing_only_plan_consultation_has_no_meeting_requirement() {
    let o = OfficeFacts {
        services: vec![ServiceType::PlanningConsultation],
        ..office()
    };
    let c = meeting_compliance(
        month("2021-05"),
        &o,
        &[],
        &fy2021(),
        utc("2021-05-20T00:00:00Z"),
    );
    assert_eq!(c.status, ComplianceStatus::NotRequired);
    assert!(!c.met);
    assert_eq!(c.problems.len(), 1);
    assert_eq!(c.problems[0].code, ReasonCode::OnlyPlanConsultation);
}

#[test]
fn a_future_month_is_not_yet_met_with_all_its_days_left() {
    let c = may(&[], "2021-04-10T00:00:00Z");
    assert_eq!(c.status, ComplianceStatus::NotYet { days_left: 31 });
    assert_eq!(c.phase, MonthPhase::Future);
}

#[test]
fn the_office_is_warned_only_in_the_last_days_of_an_open_month_without_a_meeting() {
    // 2021-05-24T15:00Z is 25 May in Tokyo: 7 days left, the 25th included.
    let c = may(&[], "2021-05-24T15:00:00Z");
    assert_eq!(c.ending_unmet(7), Some(7));
    assert_eq!(c.ending_unmet(6), None);
    let held = may(
        &[meeting(1, "2021-05-12T01:00:00Z")],
        "2021-05-24T15:00:00Z",
    );
    assert_eq!(held.ending_unmet(31), None);
    // Over, or not begun: nothing can be warned about any more, or yet.
    assert_eq!(may(&[], "2021-06-01T00:00:00Z").ending_unmet(31), None);
    assert_eq!(may(&[], "2021-04-20T00:00:00Z").ending_unmet(31), None);
}
