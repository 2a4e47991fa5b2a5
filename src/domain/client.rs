//! Clients (利用者) of a support office: where they live now, the services they use, and
//! the consents that decide who else may learn anything about them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("must be one of {}", names.join(", "))
                })
            }
        }
    };
}
// Other domain modules declare their closed lists the same way.
pub(crate) use text_enum;

text_enum! {
    /// Where the client lives now.
    CurrentPlace {
        /// 精神科病院等に入院中
        Hospital = "hospital",
        /// 障害者支援施設・救護施設等
        Institution = "institution",
        /// グループホーム
        GroupHome = "group_home",
        /// 家族と同居
        Family = "family",
        /// 自宅(単身)
        OwnHome = "own_home",
        /// その他
        Other = "other",
    }
}

impl CurrentPlace {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Hospital => "病院に入院中",
            Self::Institution => "施設に入所中",
            Self::GroupHome => "グループホーム",
            Self::Family => "家族と同居",
            Self::OwnHome => "自宅（単身）",
            Self::Other => "その他",
        }
    }
}

text_enum! {
    /// A service of the support office (障害者総合支援法).
    ServiceType {
        /// 計画相談支援
        PlanningConsultation = "planning_consultation",
        /// 地域移行支援 (standard 6 months)
        CommunityTransition = "community_transition",
        /// 地域定着支援 (1 year)
        CommunitySettlement = "community_settlement",
        /// 自立生活援助 (1 year)
        IndependentLivingAssistance = "independent_living_assistance",
    }
}

impl ServiceType {
    /// The standard length of the service in months, where the law sets one.
    pub fn standard_months(self) -> Option<u32> {
        match self {
            ServiceType::PlanningConsultation => None,
            ServiceType::CommunityTransition => Some(6),
            ServiceType::CommunitySettlement | ServiceType::IndependentLivingAssistance => Some(12),
        }
    }
}

text_enum! {
    /// Where the client's search stands.
    ClientStatus {
        /// 住まい探し中
        Searching = "searching",
        /// 入居済
        Housed = "housed",
        /// 支援終了
        Closed = "closed",
    }
}

text_enum! {
    /// What a consent allows.
    ConsentPurpose {
        /// Share the client's data with a named 居住支援法人.
        ShareWithCorp = "share_with_corp",
        /// Share with the landlord (and its agent) of a rental the client applies for.
        ShareWithLandlord = "share_with_landlord",
        /// Discuss the client at the information-sharing meetings (情報連携の場).
        DiscussAtMeetings = "discuss_at_meetings",
        /// Name the client in reports to the 協議会.
        CouncilReports = "council_reports",
        /// Share one section of the 生活サポートシート with a named recipient.
        SupportSheetSection = "support_sheet_section",
    }
}

impl ConsentPurpose {
    /// Purposes that give data to one named organisation.
    pub fn needs_recipient(self) -> bool {
        matches!(
            self,
            ConsentPurpose::ShareWithCorp
                | ConsentPurpose::ShareWithLandlord
                | ConsentPurpose::SupportSheetSection
        )
    }
}

text_enum! {
    /// How the consent was given.
    ConsentMethod {
        /// 書面
        Written = "written",
        /// 口頭
        Oral = "oral",
    }
}

/// Age in whole years on `on`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

/// How long a provision record is kept (APPI: three years).
pub const PROVISION_RECORD_YEARS: i32 = 3;

/// The date until which a provision made on `on` must be kept.
pub fn keep_provision_until(on: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    on.with_year(on.year() + PROVISION_RECORD_YEARS)
        .or_else(|| {
            on.pred_opt()
                .and_then(|d| d.with_year(d.year() + PROVISION_RECORD_YEARS))
        })
        .unwrap_or(on)
}

/// A pseudonymous display code: what lists and logs show instead of a name.
pub fn display_code(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty()
        || s.len() > 32
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("must be 1-32 letters, digits, - or _ (a pseudonym, not the name)".into());
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_counts_birthdays() {
        assert_eq!(age_on(d(1996, 5, 10), d(2026, 5, 9)), 29);
        assert_eq!(age_on(d(1996, 5, 10), d(2026, 5, 10)), 30);
    }

    #[test]
    fn provision_records_are_kept_three_years_even_from_a_leap_day() {
        assert_eq!(keep_provision_until(d(2026, 11, 23)), d(2029, 11, 23));
        assert_eq!(keep_provision_until(d(2028, 2, 29)), d(2031, 2, 28));
    }

    #[test]
    fn display_codes_are_pseudonyms() {
        assert!(display_code("A-0001").is_ok());
        assert!(display_code("山田花子").is_err());
        assert!(display_code("").is_err());
    }

    #[test]
    fn enums_round_trip() {
        for s in ServiceType::ALL {
            assert_eq!(ServiceType::parse(s.as_str()).unwrap(), *s);
        }
        assert!(ConsentPurpose::ShareWithCorp.needs_recipient());
        assert!(!ConsentPurpose::DiscussAtMeetings.needs_recipient());
    }
}
