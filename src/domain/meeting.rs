//! Information-sharing meetings (情報連携の場), joint guidance sessions and written
//! reports to a council: the closed lists they use and the rules that need no I/O.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::text_enum;
use super::inquiry::DeclineReason;
use super::time::date_in_tokyo;

text_enum! {
    /// How a meeting was held.
    MeetingFormat {
        /// 対面
        InPerson = "in_person",
        /// オンライン
        Online = "online",
        /// 電話
        Phone = "phone",
    }
}

text_enum! {
    /// A housing issue raised at a meeting or reported to a council. The first eight are
    /// the landlords' concerns (the list inquiries use for refusals); the rest are the
    /// issues offices meet on their side.
    IssueCategory {
        /// 家賃の支払いへの不安
        UnpaidRent = "unpaid_rent",
        /// 近隣とのトラブルへの不安
        NeighbourTrouble = "neighbour_trouble",
        /// 居室内での死亡事故への不安
        DeathInFlat = "death_in_flat",
        /// 習慣・言語の違いへの不安
        DifferentHabits = "different_habits",
        /// 住宅の使用方法への不安
        MisuseOfFlat = "misuse_of_flat",
        /// 関係者以外の出入りへの不安
        StrangersComing = "strangers_coming",
        /// 生活リズムの違いへの不安
        DifferentLifeRhythm = "different_life_rhythm",
        /// 障害があることそのもの
        DisabilityLabel = "disability_label",
        /// 空き物件の不足
        LackOfVacancies = "lack_of_vacancies",
        /// 家賃水準(住宅扶助の上限など)
        RentLevel = "rent_level",
        /// 保証人・家賃債務保証
        Guarantor = "guarantor",
        /// 緊急連絡先
        EmergencyContact = "emergency_contact",
        /// バリアフリー・設備
        Accessibility = "accessibility",
        /// 入居後の支援体制・見守り
        SupportAfterMoveIn = "support_after_move_in",
        /// その他(自由記述で)
        Other = "other",
    }
}

impl IssueCategory {
    /// The issue a landlord's refusal reason stands for; `None` for reasons that are
    /// no housing issue (another applicant chosen) or say nothing (other).
    pub fn from_concern(r: DeclineReason) -> Option<Self> {
        Some(match r {
            DeclineReason::UnpaidRent => Self::UnpaidRent,
            DeclineReason::NeighbourTrouble => Self::NeighbourTrouble,
            DeclineReason::DeathInFlat => Self::DeathInFlat,
            DeclineReason::DifferentHabits => Self::DifferentHabits,
            DeclineReason::MisuseOfFlat => Self::MisuseOfFlat,
            DeclineReason::StrangersComing => Self::StrangersComing,
            DeclineReason::DifferentLifeRhythm => Self::DifferentLifeRhythm,
            DeclineReason::DisabilityLabel => Self::DisabilityLabel,
            DeclineReason::OtherApplicantChosen | DeclineReason::Other => return None,
        })
    }
}

impl IssueCategory {
    /// The Japanese label shown in reports.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::UnpaidRent => "家賃の支払いへの不安",
            Self::NeighbourTrouble => "近隣とのトラブルへの不安",
            Self::DeathInFlat => "居室内での死亡事故への不安",
            Self::DifferentHabits => "習慣・言語の違いへの不安",
            Self::MisuseOfFlat => "住宅の使用方法への不安",
            Self::StrangersComing => "関係者以外の出入りへの不安",
            Self::DifferentLifeRhythm => "生活リズムの違いへの不安",
            Self::DisabilityLabel => "障害があることそのもの",
            Self::LackOfVacancies => "空き物件の不足",
            Self::RentLevel => "家賃水準（住宅扶助の上限など）",
            Self::Guarantor => "保証人・家賃債務保証",
            Self::EmergencyContact => "緊急連絡先",
            Self::Accessibility => "バリアフリー・設備",
            Self::SupportAfterMoveIn => "入居後の支援体制・見守り",
            Self::Other => "その他",
        }
    }
}

text_enum! {
    /// A part of a meeting record an amendment corrects.
    MeetingField {
        HeldAt = "held_at",
        Format = "format",
        Partners = "partners",
        Attendees = "attendees",
        Agenda = "agenda",
        Minutes = "minutes",
        Clients = "clients",
        Issues = "issues",
    }
}

text_enum! {
    /// Where a written report to a council stands.
    ReportStatus {
        /// 下書き
        Draft = "draft",
        /// 提出済 (read-only from then on)
        Submitted = "submitted",
    }
}

/// Parses a list of names into a set without duplicates, in the order given; each bad
/// name is reported with its index.
pub fn parse_set<T: PartialEq>(
    names: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, Vec<(usize, String)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, n) in names.iter().enumerate() {
        match parse(n) {
            Ok(v) if !out.contains(&v) => out.push(v),
            Ok(_) => errors.push((i, "is listed twice".to_owned())),
            Err(m) => errors.push((i, m)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// When a meeting or session took place: an RFC 3339 time with offset, not before 2000
/// and not more than a year ahead (meetings are recorded when planned or after).
pub fn parse_held_at(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = DateTime::parse_from_rfc3339(s.trim())
        .map_err(|_| "must be a time such as 2026-05-14T14:00:00+09:00".to_owned())?
        .with_timezone(&Utc);
    if date_in_tokyo(t).year() < 2000 {
        return Err("must not be before 2000".into());
    }
    if t > now + Duration::days(366) {
        return Err("must be within a year from now".into());
    }
    Ok(t)
}

/// Did a consent given on `given_on` and withdrawn on `withdrawn_on` (Tokyo days) cover
/// `date`? A withdrawal takes effect the day it is recorded.
pub fn consent_covers(
    given_on: NaiveDate,
    withdrawn_on: Option<NaiveDate>,
    date: NaiveDate,
) -> bool {
    given_on <= date && withdrawn_on.is_none_or(|w| date < w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_landlord_concern_but_the_non_issues_is_an_issue_category() {
        use DeclineReason::*;
        for r in [
            UnpaidRent,
            NeighbourTrouble,
            DeathInFlat,
            DifferentHabits,
            MisuseOfFlat,
            StrangersComing,
            DifferentLifeRhythm,
            DisabilityLabel,
        ] {
            let issue = IssueCategory::from_concern(r).unwrap();
            // Same wire name, so statistics can join refusals and issues.
            assert_eq!(serde_json::to_value(r).unwrap(), issue.as_str());
        }
        assert_eq!(IssueCategory::from_concern(OtherApplicantChosen), None);
    }

    #[test]
    fn a_set_refuses_unknown_and_repeated_names() {
        let names: Vec<String> = ["rent_level", "guarantor", "rent_level", "nope"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let errs = parse_set(&names, IssueCategory::parse).unwrap_err();
        assert_eq!(errs.iter().map(|e| e.0).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(
            parse_set(&names[..2], IssueCategory::parse).unwrap(),
            vec![IssueCategory::RentLevel, IssueCategory::Guarantor]
        );
    }

    #[test]
    fn a_meeting_time_has_an_offset_and_a_sensible_date() {
        let now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let t = parse_held_at("2026-05-14T14:00:00+09:00", now).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 5, 14, 5, 0, 0).unwrap());
        assert!(parse_held_at("2026-05-14T14:00:00", now).is_err());
        assert!(parse_held_at("2028-05-14T14:00:00+09:00", now).is_err());
        assert!(parse_held_at("1999-05-14T14:00:00+09:00", now).is_err());
    }

    #[test]
    fn a_consent_covers_the_days_from_its_giving_to_its_withdrawal() {
        let (given, withdrawn) = (d(2026, 4, 1), Some(d(2026, 6, 1)));
        assert!(!consent_covers(given, withdrawn, d(2026, 3, 31)));
        assert!(consent_covers(given, withdrawn, d(2026, 4, 1)));
        assert!(consent_covers(given, withdrawn, d(2026, 5, 31)));
        assert!(!consent_covers(given, withdrawn, d(2026, 6, 1)));
        assert!(consent_covers(given, None, d(2030, 1, 1)));
    }
}
