//! The report built from small hand-made facts, checked against figures worked out by
//! hand; the sample covers the large case.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use crate::domain::add_on::{
    Meeting, OfficeFacts, Partner, PartnerAgreement, RuleBook, SharedClient,
};
use crate::domain::client::ServiceType;
use crate::domain::ids::{ClientId, MeetingId};
use crate::domain::organization::OrgKind;

fn org(n: u128) -> OrganizationId {
    Uuid::from_u128(n).into()
}

fn client(n: u128) -> ClientId {
    Uuid::from_u128(0x400 + n).into()
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

const CORP: u128 = 2;

fn setup(office: u128, services: Vec<ServiceType>) -> Option<OfficeFacts> {
    Some(OfficeFacts {
        office_id: org(office),
        services,
        agreements: vec![PartnerAgreement {
            partner: Partner {
                org_id: org(CORP),
                kind: OrgKind::HousingSupportCorp,
            },
            since: "2025-01-01".parse().unwrap(),
            until: None,
        }],
        published_on: None,
        notified_on: None,
    })
}

fn meeting(office: u128, n: u128, at: &str, minutes: bool, shared: &[u128]) -> MeetingFact {
    MeetingFact {
        office_id: org(office),
        meeting: Meeting {
            id: MeetingId::from(Uuid::from_u128(0x100 + n)),
            held_at: utc(at),
            present_org_ids: vec![org(office), org(CORP)],
            has_minutes: minutes,
            shared_clients: shared
                .iter()
                .map(|c| SharedClient {
                    client_id: client(*c),
                    consented: true,
                })
                .collect(),
            issues_count: 1,
        },
        categories: vec![IssueCategory::Guarantor, IssueCategory::LackOfVacancies],
        note: Some(format!("会議{n}: 山田 花子さんの保証人が見つからない")),
    }
}

fn client_fact(n: u128, office: u128, name: &str, named: bool) -> ClientFact {
    ClientFact {
        id: client(n),
        office_id: org(office),
        name: name.into(),
        name_kana: None,
        named,
    }
}

/// Office A (10) meets in November and January (one without minutes in December);
/// office B (11) only plans (計画相談支援); office C (12) has no set-up at all.
/// The report is made on 20 January 2026, so January is still open.
fn facts() -> ReportFacts {
    ReportFacts {
        council: CouncilInfo {
            id: org(1),
            name: "札幌市自立支援協議会".into(),
            area: CouncilArea {
                prefecture_code: Some("01".into()),
                municipality_code: Some("011002".into()),
            },
        },
        from: month("2025-11"),
        to: month("2026-01"),
        now: utc("2026-01-20T03:00:00Z"),
        offices: vec![
            OfficeFact {
                id: org(10),
                name: "A事業所".into(),
                setup: setup(10, vec![ServiceType::CommunityTransition]),
            },
            OfficeFact {
                id: org(11),
                name: "B事業所".into(),
                setup: setup(11, vec![ServiceType::PlanningConsultation]),
            },
            OfficeFact {
                id: org(12),
                name: "C事業所".into(),
                setup: None,
            },
        ],
        meetings: vec![
            meeting(10, 1, "2025-11-10T05:00:00Z", true, &[1, 2]),
            // 1 December 00:30 in Tokyo: a December meeting, without minutes.
            meeting(10, 2, "2025-11-30T15:30:00Z", false, &[1]),
            meeting(11, 3, "2025-12-05T05:00:00Z", true, &[3]),
        ],
        written_reports: vec![WrittenReportFact {
            id: Uuid::from_u128(0x300).into(),
            office_id: org(10),
            office_name: "A事業所".into(),
            submitted_on: "2025-12-20".parse().unwrap(),
            title: "山田花子さんの件を含む報告".into(),
            issue_categories: vec![IssueCategory::Guarantor],
        }],
        declines: vec![
            DeclineReason::DeathInFlat,
            DeclineReason::UnpaidRent,
            DeclineReason::DeathInFlat,
        ],
        clients: vec![
            client_fact(1, 10, "山田 花子", false),
            client_fact(2, 10, "鈴木 一郎", true),
            client_fact(3, 11, "田中 次郎", false),
            client_fact(4, 11, "高橋 三郎", true), // consented, never discussed
        ],
    }
}

fn report() -> CouncilReport {
    build(&RuleBook::embedded().unwrap(), facts())
}

#[test]
fn each_office_month_is_judged_by_the_rules_and_counted_in_tokyo_months() {
    let r = report();
    let names: Vec<&str> = r.offices.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["A事業所", "B事業所", "C事業所"]);
    let a = &r.offices[0];
    let cells: Vec<(u32, u32, MonthStatus)> = a
        .months
        .iter()
        .map(|c| (c.meetings, c.qualifying, c.status))
        .collect();
    assert_eq!(
        cells,
        [
            (1, 1, MonthStatus::Met),
            (1, 0, MonthStatus::Missed),
            (0, 0, MonthStatus::NotYet)
        ]
    );
    assert_eq!((a.meetings, a.met, a.bound), (2, 1, 3));
    for o in &r.offices[1..] {
        assert!(
            o.months
                .iter()
                .all(|c| c.status == MonthStatus::NotRequired)
        );
        assert_eq!(o.bound, 0);
    }
}

#[test]
fn months_and_the_summary_count_only_bound_offices_in_the_rate() {
    let r = report();
    let m: Vec<(u32, u32, u32, u32, Option<u32>, bool)> = r
        .months
        .iter()
        .map(|m| {
            (
                m.offices_bound,
                m.met,
                m.missed,
                m.meetings,
                m.rate_percent,
                m.open,
            )
        })
        .collect();
    assert_eq!(
        m,
        [
            (1, 1, 0, 1, Some(100), false),
            (1, 0, 1, 2, Some(0), false),
            (1, 0, 0, 0, Some(0), true)
        ]
    );
    let s = r.summary;
    assert_eq!((s.offices, s.offices_bound, s.meetings), (3, 1, 3));
    assert_eq!(
        (s.office_months_bound, s.met, s.missed, s.not_yet),
        (3, 1, 1, 1)
    );
    assert_eq!(s.compliance_rate_percent, Some(33));
    assert_eq!(
        (s.written_reports, s.declines, s.clients_discussed),
        (1, 3, 3)
    );
}

#[test]
fn issues_count_meetings_per_category_with_masked_examples_newest_first() {
    let r = report();
    let got: Vec<(IssueCategory, u32)> = r.issues.iter().map(|i| (i.category, i.count)).collect();
    // A tie keeps the order of the closed list (lack_of_vacancies comes first).
    assert_eq!(
        got,
        [
            (IssueCategory::LackOfVacancies, 3),
            (IssueCategory::Guarantor, 3)
        ]
    );
    assert_eq!(r.issues[1].label, "保証人・家賃債務保証");
    assert_eq!(
        r.issues[0].examples,
        [
            "会議3: 〇〇さんの保証人が見つからない",
            "会議2: 〇〇さんの保証人が見つからない",
            "会議1: 〇〇さんの保証人が見つからない"
        ]
    );
    assert_eq!(r.written_reports[0].title, "〇〇さんの件を含む報告");
}

#[test]
fn only_discussed_clients_who_consented_are_named_the_rest_counted() {
    let c = report().clients;
    assert_eq!((c.discussed, c.withheld), (3, 2));
    assert_eq!(
        c.named,
        [NamedClient {
            name: "鈴木 一郎".into(),
            office_name: "A事業所".into(),
            meetings: 1
        }]
    );
}

#[test]
fn a_consented_name_stays_in_the_texts() {
    let mut f = facts();
    f.clients[0].named = true;
    let r = build(&RuleBook::embedded().unwrap(), f);
    assert!(r.issues[0].examples[0].contains("山田 花子"));
    assert_eq!(r.clients.named.len(), 2);
}

#[test]
fn declines_are_tallied_most_frequent_first_with_their_share() {
    let got: Vec<(DeclineReason, u32, Option<u32>)> = report()
        .declines
        .iter()
        .map(|d| (d.reason, d.count, d.share_percent))
        .collect();
    assert_eq!(
        got,
        [
            (DeclineReason::DeathInFlat, 2, Some(67)),
            (DeclineReason::UnpaidRent, 1, Some(33))
        ]
    );
}

#[test]
fn rates_round_half_up() {
    assert_eq!(percent(10, 12), Some(83));
    assert_eq!(percent(1, 8), Some(13));
    assert_eq!(percent(1, 3), Some(33));
    assert_eq!(percent(0, 0), None);
}

#[test]
fn the_sample_year_of_two_hundred_offices_is_judged_in_full() {
    let r = crate::pdf::sample::council_report(200, 12);
    assert_eq!(r.months.len(), 12);
    assert_eq!(r.offices.len(), 200);
    assert_eq!(r.summary.offices_bound, 180);
    assert!(r.months.iter().all(|m| !m.open && m.not_yet == 0));
    let rate = r.summary.compliance_rate_percent.unwrap();
    assert!((70..=95).contains(&rate), "{rate}");
}

#[test]
fn a_month_before_the_partnership_began_is_not_counted_against_the_office() {
    let mut f = facts();
    if let Some(setup) = f.offices[0].setup.as_mut() {
        setup.agreements[0].since = "2025-12-01".parse().unwrap();
    }
    let r = build(&RuleBook::embedded().unwrap(), f);
    let statuses: Vec<MonthStatus> = r.offices[0].months.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            MonthStatus::NotRequired,
            MonthStatus::Missed,
            MonthStatus::NotYet
        ]
    );
}
