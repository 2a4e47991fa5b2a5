//! 地域居住支援体制強化推進加算: joint guidance sessions and their reports.

use super::*;

fn promotion(records: &OfficeRecords) -> Outcome {
    judge(&fy2021(), PROMOTION, "2021-05", &office(), records)
}

fn with(sessions: Vec<GuidanceSession>, reports: Vec<CouncilReport>) -> OfficeRecords {
    OfficeRecords {
        sessions,
        reports,
        ..records()
    }
}

#[test]
fn a_reported_joint_session_gives_500_units_with_its_evidence() {
    let o = promotion(&records());
    assert!(
        matches!(
            o,
            Outcome::Claimable {
                units: Some(500),
                times: 1,
                ..
            }
        ),
        "{o:?}"
    );
    let (_, sessions, reports) = o.evidence_ids();
    assert_eq!(sessions, [session_id(1)]);
    assert_eq!(reports, [report_id(1)]);
}

#[test]
fn at_most_once_a_month_however_many_sessions() {
    let recs = with(
        vec![
            session(1, "2021-05-20T02:00:00Z"),
            session(2, "2021-05-06T02:00:00Z"),
        ],
        vec![report(1, "2021-05-25", &[1, 2])],
    );
    let o = promotion(&recs);
    assert!(
        matches!(
            o,
            Outcome::Claimable {
                units: Some(500),
                times: 1,
                ..
            }
        ),
        "{o:?}"
    );
    // The earliest session is the one claimed.
    assert_eq!(o.evidence_ids().1, [session_id(2)]);
}

#[test]
fn the_proposal_sets_no_cap_and_no_amount() {
    let recs = with(
        vec![
            session(1, "2021-05-20T02:00:00Z"),
            session(2, "2021-05-06T02:00:00Z"),
        ],
        vec![report(1, "2021-05-25", &[1, 2])],
    );
    let o = judge(&proposal(), PROMOTION, "2021-05", &office(), &recs);
    assert!(
        matches!(
            o,
            Outcome::Claimable {
                units: None,
                times: 2,
                ..
            }
        ),
        "{o:?}"
    );
}

#[test]
fn no_session_for_this_client_in_the_month_means_no_claim() {
    let mut other = session(1, "2021-05-20T02:00:00Z");
    other.client_id = client_id(OTHER_CLIENT);
    let recs = with(
        vec![other, session(2, "2021-04-20T02:00:00Z")],
        vec![report(1, "2021-05-25", &[1, 2])],
    );
    assert_eq!(codes(&promotion(&recs)), [ReasonCode::NoJointGuidance]);
}

#[test]
fn each_missing_part_of_a_session_is_named() {
    type Break = fn(&mut GuidanceSession);
    let cases: [(Break, ReasonCode); 4] = [
        (
            |s| s.partners_present.clear(),
            ReasonCode::PartnerCorpNotPresent,
        ),
        (
            |s| {
                s.partners_present = vec![Partner {
                    org_id: org(COUNCIL),
                    kind: OrgKind::HousingSupportCouncil,
                }]
            },
            ReasonCode::PartnerCorpNotPresent,
        ),
        (|s| s.client_consented = false, ReasonCode::NoClientConsent),
        (
            |s| s.explained_items = vec!["  ".into()],
            ReasonCode::NothingExplained,
        ),
    ];
    for (break_it, code) in cases {
        let mut s = session(1, "2021-05-20T02:00:00Z");
        break_it(&mut s);
        let out = promotion(&with(vec![s], vec![report(1, "2021-05-25", &[1])]));
        // The report condition adds nothing of its own when there is nothing to report.
        assert_eq!(codes(&out), [ReasonCode::NoJointGuidance, code]);
        let Outcome::NotClaimable { reasons } = out else {
            unreachable!()
        };
        assert_eq!(
            reasons[1].record,
            Some(RecordRef::GuidanceSession(session_id(1)))
        );
    }
}

#[test]
fn a_session_without_a_report_cannot_be_claimed() {
    let out = promotion(&with(vec![session(1, "2021-05-20T02:00:00Z")], vec![]));
    assert_eq!(codes(&out), [ReasonCode::NoReport, ReasonCode::NoReport]);
    let Outcome::NotClaimable { reasons } = out else {
        unreachable!()
    };
    assert_eq!(
        reasons[1].record,
        Some(RecordRef::GuidanceSession(session_id(1)))
    );
}

#[test]
fn each_flaw_of_a_report_is_named() {
    type Break = fn(&mut CouncilReport);
    let cases: [(Break, ReasonCode); 3] = [
        (
            |r| r.submitted_on = d("2021-05-19"),
            ReasonCode::ReportBeforeSession,
        ),
        (
            |r| r.submitted_on = d("2021-06-01"),
            ReasonCode::ReportTooLate,
        ),
        (|r| r.issues_count = 0, ReasonCode::NoIssuesReported),
    ];
    for (break_it, code) in cases {
        let mut r = report(1, "2021-05-25", &[1]);
        break_it(&mut r);
        let out = promotion(&with(vec![session(1, "2021-05-20T02:00:00Z")], vec![r]));
        assert_eq!(codes(&out), [ReasonCode::NoReport, code]);
        let Outcome::NotClaimable { reasons } = out else {
            unreachable!()
        };
        assert_eq!(
            reasons[1].record,
            Some(RecordRef::CouncilReport(report_id(1)))
        );
    }
}

#[test]
fn a_report_on_the_session_day_in_tokyo_counts() {
    // The session is on 2021-05-21 in Tokyo (2021-05-20T16:00Z), the report on the 21st.
    let recs = with(
        vec![session(1, "2021-05-20T16:00:00Z")],
        vec![report(1, "2021-05-21", &[1])],
    );
    assert!(promotion(&recs).is_claimable());
}

#[test]
fn accepted_methods_and_grace_days_come_from_the_file() {
    let text = fy2021_text()
        .replace(
            "methods = [\"written\", \"materials\", \"in_person\"]",
            "methods = [\"written\"]",
        )
        .replace("grace_days_after_month = 0", "grace_days_after_month = 10");
    let r = parse_revision("2021-04-01_fy2021.toml", &text).unwrap();
    let mut in_person = report(1, "2021-05-25", &[1]);
    in_person.method = ReportMethod::InPerson;
    let recs = with(vec![session(1, "2021-05-20T02:00:00Z")], vec![in_person]);
    assert_eq!(
        codes(&judge(&r, PROMOTION, "2021-05", &office(), &recs)),
        [ReasonCode::NoReport, ReasonCode::ReportMethodNotAccepted]
    );
    let recs = with(
        vec![session(1, "2021-05-20T02:00:00Z")],
        vec![report(1, "2021-06-10", &[1])],
    );
    assert!(judge(&r, PROMOTION, "2021-05", &office(), &recs).is_claimable());
    let recs = with(
        vec![session(1, "2021-05-20T02:00:00Z")],
        vec![report(1, "2021-06-11", &[1])],
    );
    assert!(!judge(&r, PROMOTION, "2021-05", &office(), &recs).is_claimable());
}

#[test]
fn a_second_valid_report_makes_up_for_a_flawed_one() {
    let mut late = report(1, "2021-06-02", &[1]);
    late.issues_count = 0;
    let recs = with(
        vec![session(1, "2021-05-20T02:00:00Z")],
        vec![late, report(2, "2021-05-28", &[1])],
    );
    assert_eq!(promotion(&recs).evidence_ids().2, [report_id(2)]);
}
