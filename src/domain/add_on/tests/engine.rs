//! 居住支援連携体制加算 (the set-up add-on) condition by condition, and which revision
//! applies to a month.

use super::*;

fn collab(office: &OfficeFacts, records: &OfficeRecords) -> Outcome {
    judge(&fy2021(), COLLAB, "2021-05", office, records)
}

fn with_meeting(m: Meeting) -> OfficeRecords {
    OfficeRecords {
        meetings: vec![m],
        ..records()
    }
}

#[test]
fn an_office_meeting_every_condition_can_claim_35_units_with_its_evidence() {
    let o = collab(&office(), &records());
    let Outcome::Claimable {
        units,
        times,
        evidence,
    } = &o
    else {
        panic!("{o:?}")
    };
    assert_eq!((*units, *times), (Some(35), 1));
    assert!(evidence.contains(&Evidence::Service {
        service: ServiceType::CommunityTransition
    }));
    assert!(evidence.contains(&Evidence::Published {
        on: d("2021-04-01")
    }));
    assert!(evidence.contains(&Evidence::NotifiedPrefecture {
        on: d("2021-04-01")
    }));
    assert_eq!(o.evidence_ids().0, [meeting_id(1)]);
}

#[test]
fn an_office_providing_only_plan_consultation_is_told_it_cannot_claim() {
    let office = OfficeFacts {
        services: vec![ServiceType::PlanningConsultation],
        ..office()
    };
    let all = assess(&fy2021(), month("2021-05"), &office, &records(), &client());
    for a in &all.add_ons {
        let Outcome::NotClaimable { reasons } = &a.outcome else {
            panic!("{a:?}")
        };
        assert_eq!(reasons.len(), 1, "one clear answer, not a list of gaps");
        assert_eq!(reasons[0].code, ReasonCode::OnlyPlanConsultation);
        assert!(
            reasons[0].message.contains("cannot claim"),
            "{}",
            reasons[0].message
        );
    }
}

#[test]
fn an_office_without_an_eligible_service_cannot_claim() {
    let office = OfficeFacts {
        services: vec![],
        ..office()
    };
    assert_eq!(
        codes(&collab(&office, &records())),
        [ReasonCode::ServiceNotProvided]
    );
}

#[test]
fn a_client_whose_service_ended_before_the_month_is_not_claimed_for() {
    let mut c = client();
    c.services[0].ends_on = Some(d("2021-04-30"));
    let add_on = fy2021();
    let o = assess_add_on(
        add_on.add_on(COLLAB).unwrap(),
        month("2021-05"),
        &office(),
        &records(),
        &c,
    );
    assert_eq!(codes(&o), [ReasonCode::ClientNotUsingService]);
    // A service of another office's kind does not count either.
    c.services[0] = ClientService {
        service: ServiceType::IndependentLivingAssistance,
        starts_on: d("2021-01-01"),
        ends_on: None,
    };
    let o = assess_add_on(
        add_on.add_on(COLLAB).unwrap(),
        month("2021-05"),
        &office(),
        &records(),
        &c,
    );
    assert_eq!(codes(&o), [ReasonCode::ClientNotUsingService]);
}

#[test]
fn without_a_partnership_nothing_counts() {
    let office = OfficeFacts {
        agreements: vec![],
        ..office()
    };
    let codes = codes(&collab(&office, &records()));
    assert!(codes.contains(&ReasonCode::NoPartnerAgreement));
    assert!(codes.contains(&ReasonCode::PartnerNotPresent));
}

#[test]
fn a_partnership_that_ended_or_began_outside_the_month_does_not_count() {
    let mut o = office();
    o.agreements[0].until = Some(d("2021-04-30"));
    assert!(codes(&collab(&o, &records())).contains(&ReasonCode::NoPartnerAgreement));
    o.agreements[0] = PartnerAgreement {
        partner: corp(),
        since: d("2021-06-01"),
        until: None,
    };
    assert!(codes(&collab(&o, &records())).contains(&ReasonCode::NoPartnerAgreement));
}

#[test]
fn a_meeting_before_the_partnership_began_does_not_count() {
    let mut o = office();
    o.agreements[0].since = d("2021-05-15");
    let codes = codes(&collab(&o, &records()));
    assert_eq!(
        codes,
        [
            ReasonCode::NoQualifyingMeeting,
            ReasonCode::PartnerNotPresent
        ]
    );
}

#[test]
fn a_partnership_with_a_council_counts_too() {
    let council = Partner {
        org_id: org(COUNCIL),
        kind: OrgKind::HousingSupportCouncil,
    };
    let o = OfficeFacts {
        agreements: vec![PartnerAgreement {
            partner: council,
            since: d("2021-04-01"),
            until: None,
        }],
        ..office()
    };
    let mut m = meeting(1, "2021-05-12T01:00:00Z");
    m.present_org_ids = vec![org(OFFICE), org(COUNCIL)];
    assert!(collab(&o, &with_meeting(m)).is_claimable());
}

#[test]
fn the_partnership_must_have_been_made_public_by_the_months_end() {
    let o = OfficeFacts {
        published_on: None,
        ..office()
    };
    assert_eq!(codes(&collab(&o, &records())), [ReasonCode::NotPublished]);
    let o = OfficeFacts {
        published_on: Some(d("2021-06-01")),
        ..office()
    };
    let out = collab(&o, &records());
    assert_eq!(codes(&out), [ReasonCode::NotPublished]);
    let Outcome::NotClaimable { reasons } = out else {
        unreachable!()
    };
    assert!(reasons[0].message.contains("2021-06-01"));
    let o = OfficeFacts {
        published_on: Some(d("2021-05-31")),
        ..office()
    };
    assert!(collab(&o, &records()).is_claimable());
}

#[test]
fn the_prefecture_must_have_been_notified() {
    let o = OfficeFacts {
        notified_on: None,
        ..office()
    };
    assert_eq!(codes(&collab(&o, &records())), [ReasonCode::NotNotified]);
    let o = OfficeFacts {
        notified_on: Some(d("2021-06-01")),
        ..office()
    };
    assert_eq!(codes(&collab(&o, &records())), [ReasonCode::NotNotified]);
}

#[test]
fn a_cutoff_day_in_the_rules_delays_a_late_notice_by_a_month() {
    // The FY2021 file leaves the cutoff out; a revision file can set it, with no code change.
    let text = fy2021_text().replace("# cutoff_day = 15", "cutoff_day = 15");
    let r = parse_revision("2021-04-01_fy2021.toml", &text).unwrap();
    let on = |date: &str, m: &str| {
        let o = OfficeFacts {
            notified_on: Some(d(date)),
            ..office()
        };
        let mut recs = records();
        recs.meetings = vec![meeting(1, &format!("{m}-12T01:00:00Z"))];
        judge(&r, COLLAB, m, &o, &recs)
    };
    assert!(on("2021-04-15", "2021-05").is_claimable());
    assert_eq!(
        codes(&on("2021-04-16", "2021-05")),
        [ReasonCode::NotifiedTooLate]
    );
    assert!(on("2021-04-16", "2021-06").is_claimable());
    assert_eq!(
        codes(&on("2021-05-01", "2021-05")),
        [ReasonCode::NotifiedTooLate]
    );
}

#[test]
fn no_meeting_in_the_month_means_no_claim() {
    let recs = OfficeRecords {
        meetings: vec![],
        ..records()
    };
    let out = collab(&office(), &recs);
    assert_eq!(codes(&out), [ReasonCode::NoQualifyingMeeting]);
    let Outcome::NotClaimable { reasons } = out else {
        unreachable!()
    };
    assert!(
        reasons[0]
            .message
            .contains("no information-sharing meeting was held"),
        "{}",
        reasons[0].message
    );
}

#[test]
fn a_meeting_is_placed_in_its_tokyo_month() {
    // 2021-05-31T15:30Z is already 1 June in Tokyo: it counts for June, not May.
    let recs = with_meeting(meeting(1, "2021-05-31T15:30:00Z"));
    assert_eq!(
        codes(&collab(&office(), &recs)),
        [ReasonCode::NoQualifyingMeeting]
    );
    assert!(judge(&fy2021(), COLLAB, "2021-06", &office(), &recs).is_claimable());
    // And 2021-04-30T15:00Z is 1 May in Tokyo.
    assert!(collab(&office(), &with_meeting(meeting(1, "2021-04-30T15:00:00Z"))).is_claimable());
}

#[test]
fn each_missing_part_of_a_meeting_is_named() {
    type Break = fn(&mut Meeting);
    let cases: [(Break, ReasonCode); 6] = [
        (
            |m| m.present_org_ids.retain(|o| *o != org(CORP)),
            ReasonCode::PartnerNotPresent,
        ),
        (
            |m| m.present_org_ids.retain(|o| *o != org(OFFICE)),
            ReasonCode::OfficeNotPresent,
        ),
        (|m| m.has_minutes = false, ReasonCode::NoMinutes),
        (|m| m.shared_clients.clear(), ReasonCode::NoClientsShared),
        (
            |m| {
                m.shared_clients.push(SharedClient {
                    client_id: client_id(OTHER_CLIENT),
                    consented: false,
                })
            },
            ReasonCode::ClientSharedWithoutConsent,
        ),
        (|m| m.issues_count = 0, ReasonCode::NoIssuesRecorded),
    ];
    for (break_it, code) in cases {
        let mut m = meeting(1, "2021-05-12T01:00:00Z");
        break_it(&mut m);
        let out = collab(&office(), &with_meeting(m));
        assert_eq!(codes(&out), [ReasonCode::NoQualifyingMeeting, code]);
        let Outcome::NotClaimable { reasons } = out else {
            unreachable!()
        };
        assert_eq!(reasons[1].record, Some(RecordRef::Meeting(meeting_id(1))));
        assert!(
            reasons[1].message.starts_with("Meeting of 2021-05-12:"),
            "{}",
            reasons[1].message
        );
    }
}

#[test]
fn one_good_meeting_is_enough_beside_a_flawed_one() {
    let mut bad = meeting(2, "2021-05-03T01:00:00Z");
    bad.has_minutes = false;
    let recs = OfficeRecords {
        meetings: vec![bad, meeting(1, "2021-05-12T01:00:00Z")],
        ..records()
    };
    let out = collab(&office(), &recs);
    assert_eq!(out.evidence_ids().0, [meeting_id(1)]);
}

#[test]
fn a_revision_asking_for_two_meetings_reports_the_shortfall() {
    let text = fy2021_text().replace("min = 1", "min = 2");
    let r = parse_revision("2021-04-01_fy2021.toml", &text).unwrap();
    assert_eq!(
        codes(&judge(&r, COLLAB, "2021-05", &office(), &records())),
        [ReasonCode::TooFewMeetings]
    );
}

#[test]
fn an_office_barred_from_every_add_on_is_told_why_once() {
    let mut plan_only = office();
    plan_only.services = vec![ServiceType::PlanningConsultation];
    let r = crate::domain::add_on::office_barred(&fy2021(), &plan_only).unwrap();
    assert_eq!(r.code, ReasonCode::OnlyPlanConsultation);
    assert_eq!(
        crate::domain::add_on::office_barred(&fy2021(), &office()),
        None
    );
}
