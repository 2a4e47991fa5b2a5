//! A realistic, deterministic council report (Sapporo's wards, the survey's decline
//! reasons, issues as offices write them) for the tests, the benchmark and previews.
//! No client appears in it, as in a real report.

use chrono::{NaiveDate, TimeZone, Utc};

use crate::domain::council_report::{
    CouncilReport, DeclineCount, IssueCount, OfficeMonthRow, ReportMonth, WrittenReportRow,
};
use crate::domain::inquiry::DeclineReason;

const NAMES: [&str; 20] = [
    "ひだまり",
    "こもれび",
    "あおば",
    "さくら",
    "みなと",
    "つばさ",
    "かえで",
    "ひまわり",
    "すずらん",
    "ライフサポート",
    "ともに",
    "はるかぜ",
    "きずな",
    "なないろ",
    "ポプラ",
    "りんどう",
    "やまびこ",
    "おおぞら",
    "ふれあい",
    "ささえ",
];
const KINDS: [&str; 4] = [
    "相談支援センター",
    "地域生活支援事業所",
    "相談支援事業所",
    "生活支援センター",
];
const WARDS: [&str; 10] = [
    "中央区",
    "北区",
    "東区",
    "白石区",
    "豊平区",
    "南区",
    "西区",
    "厚別区",
    "手稲区",
    "清田区",
];

/// Categories with example texts as an office would write them.
const ISSUES: [(&str, [&str; 3]); 8] = [
    (
        "保証人・緊急連絡先",
        [
            "緊急連絡先を引き受ける親族がいない",
            "保証会社の審査で精神障害を理由に断られた",
            "親族が高齢で連帯保証人になれない",
        ],
    ),
    (
        "家賃・初期費用",
        [
            "住宅扶助の上限内の物件が少ない",
            "敷金・礼金が用意できない",
            "更新料の支払い方法の相談",
        ],
    ),
    (
        "家主・管理会社の理解",
        [
            "障害への不安から内見を断られた",
            "管理会社の担当者が変わり説明をやり直した",
            "入居後の連絡先が分からないとの不安",
        ],
    ),
    (
        "物件の不足",
        [
            "駅に近い単身向け物件が見つからない",
            "1階・エレベーター付きの物件が少ない",
            "通院先から30分以内の物件がない",
        ],
    ),
    (
        "見守り・安否確認",
        [
            "夜間の連絡体制を家主に説明した",
            "見守りサービスの費用負担の調整",
            "訪問看護と居住支援法人の訪問日程を調整",
        ],
    ),
    (
        "近隣との関係",
        [
            "生活音について近隣から相談があった",
            "ゴミ出しのルールを一緒に確認した",
            "町内会への加入について相談",
        ],
    ),
    (
        "医療との連携",
        [
            "退院前カンファレンスに家主の同席を依頼",
            "クライシスプランを家主と共有する範囲の確認",
            "服薬管理の支援体制",
        ],
    ),
    (
        "退去・残置物",
        [
            "退去時の残置物の扱いを契約前に取り決めた",
            "死亡時の残置物処理の委任について",
            "原状回復費用の見積もり",
        ],
    ),
];

/// The survey's shares (DOMAIN.md) as weights, so the chart looks like the real thing.
const DECLINES: [(DeclineReason, u32); 9] = [
    (DeclineReason::UnpaidRent, 24),
    (DeclineReason::NeighbourTrouble, 19),
    (DeclineReason::DeathInFlat, 19),
    (DeclineReason::DifferentHabits, 10),
    (DeclineReason::MisuseOfFlat, 10),
    (DeclineReason::StrangersComing, 6),
    (DeclineReason::DifferentLifeRhythm, 5),
    (DeclineReason::DisabilityLabel, 4),
    (DeclineReason::OtherApplicantChosen, 3),
];

/// A cheap, stable pseudo-random number: the same inputs give the same report.
fn mix(a: u64, b: u64) -> u64 {
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

/// `offices` offices over `months` months from April 2025 (a fiscal year for 12).
pub fn council_report(offices: usize, months: u32) -> CouncilReport {
    let from = ReportMonth::new(2025, 4).unwrap_or_else(|| unreachable!());
    let mut period = vec![from];
    for _ in 1..months.max(1) {
        let last = period[period.len() - 1];
        period.push(last.next());
    }
    let mut office_months = Vec::new();
    let mut issues = Vec::new();
    let mut written_reports = Vec::new();
    for o in 0..offices {
        let name = office_name(o);
        // Some offices registered for the add-on only part-way through the year.
        let start = if mix(o as u64, 1).is_multiple_of(6) {
            (mix(o as u64, 2) % 4) as usize
        } else {
            0
        };
        for (m, month) in period.iter().enumerate().skip(start) {
            let r = mix(o as u64, m as u64 + 100);
            let meetings: u32 = match r % 10 {
                0 => 0,
                1..=6 => 1,
                7 | 8 => 2,
                _ => 3,
            };
            // A meeting without minutes or without the partner present does not count.
            let met = meetings > 0 && !r.is_multiple_of(23);
            office_months.push(OfficeMonthRow {
                office_name: name.clone(),
                month: *month,
                meetings,
                met,
            });
            for k in 0..meetings {
                let (category, texts) = ISSUES[(mix(r, k as u64) % ISSUES.len() as u64) as usize];
                let text = texts[(mix(r, 7 + k as u64) % 3) as usize];
                issues.push((category.to_owned(), text.to_owned()));
            }
            if r % 7 == 3 {
                let day = 1 + (r % 27) as u32;
                let submitted_on = NaiveDate::from_ymd_opt(month.year(), month.month(), day)
                    .unwrap_or_else(|| unreachable!());
                let first = ISSUES[(r % 8) as usize].0;
                let second = ISSUES[((r / 8) % 8) as usize].0;
                let mut categories = vec![first.to_owned()];
                if second != first {
                    categories.push(second.to_owned());
                }
                written_reports.push(WrittenReportRow {
                    office_name: name.clone(),
                    submitted_on,
                    issue_categories: categories,
                });
            }
        }
    }
    written_reports.sort_by_key(|w| w.submitted_on);
    let declines = DeclineCount::tally(DECLINES.iter().enumerate().flat_map(
        |(i, (reason, weight))| {
            let n = (weight * (offices as u32).max(10) / 10) as u64 + mix(i as u64, 99) % 3;
            std::iter::repeat_n(*reason, n as usize)
        },
    ));
    CouncilReport {
        council_name: "札幌市障がい者自立支援協議会 地域移行部会".to_owned(),
        period_from: period[0],
        period_to: period[period.len() - 1],
        generated_at: Utc
            .with_ymd_and_hms(2026, 4, 3, 0, 30, 0)
            .single()
            .unwrap_or_default(),
        office_months,
        issues: IssueCount::aggregate(issues),
        written_reports,
        declines,
    }
}
