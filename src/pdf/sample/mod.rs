//! A realistic, deterministic council report (Sapporo's wards, the survey's refusal
//! reasons, issues as offices write them) for the tests, the benchmarks and previews.
//! It is made the way a real one is: facts go through [`council_report::build`] and the
//! FY2021 rules, so every office-month is judged by the engine.

pub mod words;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::domain::add_on::{
    Meeting, OfficeFacts, Partner, PartnerAgreement, RuleBook, SharedClient,
};
use crate::domain::client::ServiceType;
use crate::domain::council_report::{
    self, ClientFact, CouncilArea, CouncilInfo, CouncilReport, MeetingFact, OfficeFact,
    ReportFacts, WrittenReportFact,
};
use crate::domain::ids::{ClientId, OrganizationId};
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;
use words::{DECLINES, FAMILY, GIVEN, ISSUES, KINDS, NAMES, WARDS};

/// Clients per sample office.
pub const CLIENTS_PER_OFFICE: usize = 4;

/// A cheap, stable pseudo-random number: the same inputs give the same report.
pub fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0x6A09_E667_F3BC_C909);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

pub fn office_name(i: usize) -> String {
    let name = NAMES[i % NAMES.len()];
    let kind = KINDS[(i / NAMES.len()) % KINDS.len()];
    let ward = WARDS[(i / (NAMES.len() * KINDS.len())) % WARDS.len()];
    format!("{name}{kind}（{ward}）")
}

/// A fictitious client name, `j` of office `o`.
pub fn client_name(o: usize, j: usize) -> String {
    let family = FAMILY[(o + j) % FAMILY.len()];
    let given = GIVEN[(o * 7 + j * 3) % GIVEN.len()];
    format!("{family} {given}")
}

/// What an office does in one month of the sample: how many meetings, whether they lack
/// minutes (then they do not count), and whether it sends the council a written report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeMonthPlan {
    pub meetings: u32,
    pub minutes: bool,
    pub written_report: bool,
    pub seed: u64,
}

pub fn plan(office: usize, month_index: usize) -> OfficeMonthPlan {
    let r = mix(office as u64, month_index as u64 + 100);
    OfficeMonthPlan {
        meetings: match r % 10 {
            0 => 0,
            1..=6 => 1,
            7 | 8 => 2,
            _ => 3,
        },
        minutes: !r.is_multiple_of(23),
        written_report: r % 7 == 3,
        seed: r,
    }
}

/// Every tenth office provides only 計画相談支援, so it is never bound to meet.
pub fn plan_only(office: usize) -> bool {
    office % 10 == 9
}

/// The issue (category, text) meeting `k` of a month raises.
pub fn issue(seed: u64, k: u32) -> (crate::domain::meeting::IssueCategory, &'static str) {
    let (category, texts) = ISSUES[(mix(seed, u64::from(k)) % ISSUES.len() as u64) as usize];
    (category, texts[(mix(seed, 7 + u64::from(k)) % 3) as usize])
}

/// The refusal reasons of `offices` offices over a year, weighted as in the survey.
pub fn declines(offices: usize) -> Vec<crate::domain::inquiry::DeclineReason> {
    DECLINES
        .iter()
        .enumerate()
        .flat_map(|(i, (reason, weight))| {
            let n = (*weight as usize * offices.max(10) / 10) + (mix(i as u64, 99) % 3) as usize;
            std::iter::repeat_n(*reason, n)
        })
        .collect()
}

fn id(kind: u128, n: usize) -> Uuid {
    Uuid::from_u128((kind << 64) | n as u128)
}

/// `offices` offices over `months` months from April 2025 (a fiscal year for 12).
pub fn facts(offices: usize, months: u32) -> ReportFacts {
    let from = Month::new(2025, 4).unwrap_or_else(|| unreachable!());
    let period: Vec<Month> = from
        .through(Month::new(2100, 1).unwrap_or(from))
        .take(months.max(1) as usize)
        .collect();
    let to = period[period.len() - 1];
    let corp = Partner {
        org_id: id(2, 0).into(),
        kind: OrgKind::HousingSupportCorp,
    };
    let mut f = ReportFacts {
        council: CouncilInfo {
            id: id(1, 0).into(),
            name: "札幌市障がい者自立支援協議会 地域移行部会".to_owned(),
            area: CouncilArea {
                prefecture_code: Some("01".into()),
                municipality_code: Some("011002".into()),
            },
        },
        from,
        to,
        now: Utc
            .with_ymd_and_hms(2026, 4, 3, 0, 30, 0)
            .single()
            .unwrap_or_default(),
        offices: Vec::new(),
        meetings: Vec::new(),
        written_reports: Vec::new(),
        declines: declines(offices),
        clients: Vec::new(),
    };
    for o in 0..offices {
        let office: OrganizationId = id(3, o).into();
        let services = if plan_only(o) {
            vec![ServiceType::PlanningConsultation]
        } else {
            vec![
                ServiceType::CommunityTransition,
                ServiceType::CommunitySettlement,
            ]
        };
        f.offices.push(OfficeFact {
            id: office,
            name: office_name(o),
            setup: Some(OfficeFacts {
                office_id: office,
                services,
                agreements: vec![PartnerAgreement {
                    partner: corp,
                    since: NaiveDate::from_ymd_opt(2024, 1, 10).unwrap_or_default(),
                    until: None,
                }],
                published_on: NaiveDate::from_ymd_opt(2024, 1, 20),
                notified_on: NaiveDate::from_ymd_opt(2024, 1, 25),
            }),
        });
        let clients: Vec<ClientId> = (0..CLIENTS_PER_OFFICE)
            .map(|j| id(4, o * CLIENTS_PER_OFFICE + j).into())
            .collect();
        for (j, c) in clients.iter().enumerate() {
            f.clients.push(ClientFact {
                id: *c,
                office_id: office,
                name: client_name(o, j),
                name_kana: None,
                named: j == 0 && o.is_multiple_of(4),
            });
        }
        for (m, month) in period.iter().enumerate() {
            let p = plan(o, m);
            for k in 0..p.meetings {
                let (category, text) = issue(p.seed, k);
                let held_at = meeting_time(*month, k);
                let shared = clients[(m + k as usize) % clients.len()];
                f.meetings.push(MeetingFact {
                    office_id: office,
                    meeting: Meeting {
                        id: id(5, (o * 64 + m) * 4 + k as usize).into(),
                        held_at,
                        present_org_ids: vec![office, corp.org_id],
                        has_minutes: p.minutes,
                        shared_clients: vec![SharedClient {
                            client_id: shared,
                            consented: true,
                        }],
                        issues_count: 1,
                    },
                    categories: vec![category],
                    note: Some(text.to_owned()),
                });
            }
            if p.written_report {
                f.written_reports.push(written_report(o, m, *month, p.seed));
            }
        }
    }
    f
}

/// 14:00 in Tokyo on the 10th (+ 7 days per further meeting) of `month`.
pub fn meeting_time(month: Month, k: u32) -> DateTime<Utc> {
    let day = month.first_day() + Duration::days(9 + 7 * i64::from(k));
    day.and_hms_opt(5, 0, 0).unwrap_or_default().and_utc()
}

fn written_report(o: usize, m: usize, month: Month, r: u64) -> WrittenReportFact {
    let day = 1 + (r % 27) as u32;
    let first = ISSUES[(r % 8) as usize].0;
    let second = ISSUES[((r / 8) % 8) as usize].0;
    let mut categories = vec![first];
    if second != first {
        categories.push(second);
    }
    WrittenReportFact {
        id: id(6, o * 64 + m).into(),
        office_id: id(3, o).into(),
        office_name: office_name(o),
        submitted_on: NaiveDate::from_ymd_opt(month.year(), month.month(), day)
            .unwrap_or(month.first_day()),
        title: format!("{}月の居住支援に関する課題の報告", month.month()),
        issue_categories: categories,
    }
}

/// The sample's facts made into a report under the embedded rules.
pub fn council_report(offices: usize, months: u32) -> CouncilReport {
    let book = RuleBook::embedded().unwrap_or_else(|e| panic!("embedded rules: {e}"));
    council_report::build(&book, facts(offices, months))
}
