//! Properties over random facts: a claim always rests on evidence for every condition,
//! drawn from the month's own records; a refusal always says why.

use chrono::{Days, Duration};
use proptest::prelude::*;

use super::*;

const START: &str = "2021-03-20T00:00:00Z"; // facts spread from here over ~100 days

fn at(hours: i64) -> DateTime<Utc> {
    utc(START) + Duration::hours(hours)
}

fn on(days: u64) -> NaiveDate {
    d("2021-03-20") + Days::new(days)
}

fn service() -> impl Strategy<Value = ServiceType> {
    prop::sample::select(ServiceType::ALL.to_vec())
}

/// Mostly true: random facts are built to be mostly right, so that claims happen often
/// and every way of failing still turns up.
fn good() -> prop::bool::Weighted {
    prop::bool::weighted(0.9)
}

fn office_facts() -> impl Strategy<Value = OfficeFacts> {
    (
        (good(), prop::collection::vec(service(), 0..3)),
        (
            good(),
            prop::bool::ANY,
            0u64..100,
            prop::option::of(0u64..100),
        ),
        (good(), prop::option::of(0u64..100)),
        (good(), prop::option::of(0u64..100)),
    )
        .prop_map(
            |((usual, services), (agreed, corp_kind, since, until), published, notified)| {
                let fixture = office();
                let partner = if corp_kind {
                    corp()
                } else {
                    Partner {
                        org_id: org(COUNCIL),
                        kind: OrgKind::HousingSupportCouncil,
                    }
                };
                OfficeFacts {
                    office_id: org(OFFICE),
                    services: if usual { fixture.services } else { services },
                    agreements: if agreed {
                        fixture.agreements
                    } else {
                        vec![PartnerAgreement {
                            partner,
                            since: on(since),
                            until: until.map(|u| on(since + u)),
                        }]
                    },
                    published_on: if published.0 {
                        fixture.published_on
                    } else {
                        published.1.map(on)
                    },
                    notified_on: if notified.0 {
                        fixture.notified_on
                    } else {
                        notified.1.map(on)
                    },
                }
            },
        )
}

/// Hours from START: 900..1800 spans late April to early June, around May's edges.
fn hours() -> std::ops::Range<i64> {
    900..1800
}

fn meetings() -> impl Strategy<Value = Vec<Meeting>> {
    prop::collection::vec(
        (
            hours(),
            good(),
            (good(), prop::bool::ANY),
            good(),
            prop::collection::vec(good(), 0..3),
            good(),
        ),
        0..4,
    )
    .prop_map(|ms| {
        ms.into_iter()
            .enumerate()
            .map(
                |(i, (h, office_there, (corp_there, council_there), minutes, consents, issues))| {
                    Meeting {
                        id: meeting_id(i as u128),
                        held_at: at(h),
                        present_org_ids: [
                            (office_there, OFFICE),
                            (corp_there, CORP),
                            (council_there, COUNCIL),
                        ]
                        .into_iter()
                        .filter(|(there, _)| *there)
                        .map(|(_, o)| org(o))
                        .collect(),
                        has_minutes: minutes,
                        shared_clients: consents
                            .into_iter()
                            .enumerate()
                            .map(|(j, consented)| SharedClient {
                                client_id: client_id(CLIENT + j as u128),
                                consented,
                            })
                            .collect(),
                        issues_count: if issues { 2 } else { 0 },
                    }
                },
            )
            .collect()
    })
}

fn sessions_and_reports() -> impl Strategy<Value = (Vec<GuidanceSession>, Vec<CouncilReport>)> {
    let sessions = prop::collection::vec((hours(), good(), good(), good(), good()), 0..4);
    // Report days 50..75 run from 9 May to 3 June, around the month's end.
    let reports = prop::collection::vec(
        (
            50u64..75,
            0u8..3,
            prop::collection::vec(prop::bool::ANY, 3),
            0u32..3,
        ),
        0..3,
    );
    (sessions, reports).prop_map(|(ss, rs)| {
        let sessions = ss
            .into_iter()
            .enumerate()
            .map(
                |(i, (h, mine, corp_there, consent, items))| GuidanceSession {
                    id: session_id(i as u128),
                    client_id: client_id(if mine { CLIENT } else { OTHER_CLIENT }),
                    held_at: at(h),
                    partners_present: if corp_there { vec![corp()] } else { vec![] },
                    client_consented: consent,
                    explained_items: if items { vec!["家賃".into()] } else { vec![] },
                },
            )
            .collect();
        let reports = rs
            .into_iter()
            .enumerate()
            .map(|(i, (day, method, covers, issues))| CouncilReport {
                id: report_id(i as u128),
                submitted_on: on(day),
                method: [
                    ReportMethod::Written,
                    ReportMethod::Materials,
                    ReportMethod::InPerson,
                ][method as usize],
                session_ids: (0..3)
                    .filter(|j| covers[*j as usize])
                    .map(session_id)
                    .collect(),
                issues_count: issues,
            })
            .collect();
        (sessions, reports)
    })
}

fn client_facts() -> impl Strategy<Value = ClientFacts> {
    (good(), service(), 0u64..100, prop::option::of(0u64..100)).prop_map(
        |(usual, service, start, len)| {
            if usual {
                return client();
            }
            ClientFacts {
                client_id: client_id(CLIENT),
                services: vec![ClientService {
                    service,
                    starts_on: on(start),
                    ends_on: len.map(|l| on(start + l)),
                }],
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn claimable_means_every_condition_has_evidence_from_the_month(
        office in office_facts(),
        meetings in meetings(),
        (sessions, reports) in sessions_and_reports(),
        client in client_facts(),
        m in prop_oneof![3 => Just("2021-05"), 1 => Just("2021-04"), 1 => Just("2021-06")],
        proposal_too in prop::bool::ANY,
    ) {
        let records = OfficeRecords { meetings, sessions, reports };
        let m = month(m);
        let revision = if proposal_too { proposal() } else { fy2021() };
        for add_on in revision.add_ons() {
            match assess_add_on(add_on, m, &office, &records, &client) {
                Outcome::NotClaimable { reasons } => prop_assert!(!reasons.is_empty()),
                Outcome::Claimable { units, times, evidence } => {
                    prop_assert!(times >= 1);
                    prop_assert_eq!(units, add_on.units().map(|u| u * times));
                    let has_service = evidence.iter().any(|e| matches!(e, Evidence::Service { .. }));
                    prop_assert!(has_service);
                    for c in add_on.conditions() {
                        let n = evidence.iter().filter(|e| e.condition() == Some(c.kind())).count();
                        prop_assert_eq!(n, 1, "condition {:?} needs exactly one evidence", c.kind());
                    }
                    for e in &evidence {
                        match e {
                            Evidence::MeetingsPerMonth { meeting_ids } => {
                                prop_assert!(!meeting_ids.is_empty());
                                for id in meeting_ids {
                                    let mt = records.meetings.iter().find(|x| x.id == *id).unwrap();
                                    prop_assert!(m.contains_instant(mt.held_at));
                                    prop_assert!(mt.present_org_ids.contains(&org(OFFICE)));
                                }
                            }
                            Evidence::JointGuidance { session_ids } => {
                                prop_assert_eq!(session_ids.len() as u32, times);
                                for id in session_ids {
                                    let s = records.sessions.iter().find(|x| x.id == *id).unwrap();
                                    prop_assert!(m.contains_instant(s.held_at));
                                    prop_assert_eq!(s.client_id, client.client_id);
                                }
                            }
                            Evidence::ReportToCouncil { report_ids } => prop_assert!(!report_ids.is_empty()),
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn an_office_providing_only_plan_consultation_never_gets_a_number(
        meetings in meetings(),
        (sessions, reports) in sessions_and_reports(),
        client in client_facts(),
    ) {
        let office = OfficeFacts { services: vec![ServiceType::PlanningConsultation], ..office() };
        let records = OfficeRecords { meetings, sessions, reports };
        let all = assess(&fy2021(), month("2021-05"), &office, &records, &client);
        for a in all.add_ons {
            prop_assert_eq!(a.outcome.reason_codes(), vec![ReasonCode::OnlyPlanConsultation]);
        }
    }

    #[test]
    fn compliance_agrees_with_the_claim_on_meetings(
        meetings in meetings(),
        now_hours in hours(),
    ) {
        let records = OfficeRecords { meetings, ..OfficeRecords::default() };
        let c = meeting_compliance(month("2021-05"), &office(), &records.meetings, &fy2021(), at(now_hours));
        let claim = judge(&fy2021(), COLLAB, "2021-05", &office(), &records);
        prop_assert_eq!(c.met, claim.is_claimable());
        if c.met {
            prop_assert_eq!(c.qualifying_meeting_ids, claim.evidence_ids().0);
        }
    }
}
