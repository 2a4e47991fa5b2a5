//! Organisations: their kinds and the codes that place them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kind of an organisation decides what its users may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 相談支援事業所
    SupportOffice,
    /// 居住支援法人
    HousingSupportCorp,
    /// 居住支援協議会
    HousingSupportCouncil,
    /// (自立支援)協議会
    Council,
    /// 賃貸人・家主
    Landlord,
    /// 宅建業者 / 管理会社
    RealEstateAgent,
    /// runs the installation
    Operator,
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::SupportOffice,
        OrgKind::HousingSupportCorp,
        OrgKind::HousingSupportCouncil,
        OrgKind::Council,
        OrgKind::Landlord,
        OrgKind::RealEstateAgent,
        OrgKind::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::SupportOffice => "support_office",
            OrgKind::HousingSupportCorp => "housing_support_corp",
            OrgKind::HousingSupportCouncil => "housing_support_council",
            OrgKind::Council => "council",
            OrgKind::Landlord => "landlord",
            OrgKind::RealEstateAgent => "real_estate_agent",
            OrgKind::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("must be one of {}", names.join(", "))
            })
    }

    /// The Japanese name shown in the UI.
    pub fn label_ja(self) -> &'static str {
        match self {
            OrgKind::SupportOffice => "相談支援事業所",
            OrgKind::HousingSupportCorp => "居住支援法人",
            OrgKind::HousingSupportCouncil => "居住支援協議会",
            OrgKind::Council => "協議会",
            OrgKind::Landlord => "賃貸人",
            OrgKind::RealEstateAgent => "宅建業者・管理会社",
            OrgKind::Operator => "運営者",
        }
    }
}

/// 都道府県コード (JIS X 0401): 01 to 47.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefectureCode(String);

impl PrefectureCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s.parse::<u8>() {
            Ok(n) if s.len() == 2 && (1..=47).contains(&n) => Ok(Self(s.to_owned())),
            _ => Err("must be a two-digit prefecture code from 01 to 47".into()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 全国地方公共団体コード: five digits (prefecture + municipality) or six with the check
/// digit, which must then be right. Stored as the six-digit form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if !s.chars().all(|c| c.is_ascii_digit()) || !(s.len() == 5 || s.len() == 6) {
            return Err(
                "must be a 5- or 6-digit municipality code (全国地方公共団体コード)".into(),
            );
        }
        PrefectureCode::parse(&s[..2]).map_err(|_| "starts with an unknown prefecture code")?;
        let check = check_digit(&s[..5]);
        if s.len() == 6 && s.as_bytes()[5] != b'0' + check {
            return Err(format!(
                "check digit is wrong (expected {}{check})",
                &s[..5]
            ));
        }
        Ok(Self(format!("{}{check}", &s[..5])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn prefecture(&self) -> &str {
        &self.0[..2]
    }
}

fn check_digit(five: &str) -> u8 {
    let sum: u32 = five
        .bytes()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

/// A Japanese phone number: domestic (starting 0, 10 or 11 digits) or +81, hyphens and
/// spaces allowed; stored as written, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
        let allowed = t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')' | '+'));
        let national = if let Some(rest) = t.strip_prefix("+81") {
            format!(
                "0{}",
                rest.chars()
                    .filter(|c| c.is_ascii_digit())
                    .collect::<String>()
            )
        } else {
            digits
        };
        if !allowed || !national.starts_with('0') || !(10..=11).contains(&national.len()) {
            return Err(
                "must be a Japanese phone number such as 03-1234-5678 or 090-1234-5678".into(),
            );
        }
        Ok(Self(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_municipality_codes_have_the_right_check_digit() {
        for (five, six) in [
            ("13101", "131016"),
            ("01100", "011002"),
            ("14100", "141003"),
            ("27100", "271004"),
        ] {
            assert_eq!(MunicipalityCode::parse(five).unwrap().as_str(), six);
            assert_eq!(MunicipalityCode::parse(six).unwrap().as_str(), six);
        }
    }

    #[test]
    fn a_wrong_check_digit_or_prefecture_is_rejected() {
        assert!(MunicipalityCode::parse("131017").is_err());
        assert!(MunicipalityCode::parse("48100").is_err());
        assert!(MunicipalityCode::parse("1310").is_err());
        assert!(MunicipalityCode::parse("13a01").is_err());
    }

    #[test]
    fn prefecture_codes_run_from_01_to_47() {
        assert!(PrefectureCode::parse("01").is_ok());
        assert!(PrefectureCode::parse("47").is_ok());
        assert!(PrefectureCode::parse("00").is_err());
        assert!(PrefectureCode::parse("48").is_err());
        assert!(PrefectureCode::parse("1").is_err());
    }

    #[test]
    fn phone_numbers_are_japanese() {
        assert!(PhoneNumber::parse("03-1234-5678").is_ok());
        assert!(PhoneNumber::parse("090-1234-5678").is_ok());
        assert!(PhoneNumber::parse("+81 90 1234 5678").is_ok());
        assert!(PhoneNumber::parse("12345").is_err());
        assert!(PhoneNumber::parse("03-1234-567a").is_err());
    }

    #[test]
    fn every_kind_round_trips() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()).unwrap(), k);
        }
        assert!(OrgKind::parse("bank").is_err());
    }
}

/// 都道府県 by code (JIS X 0401): index 0 is code 01.
pub const PREFECTURE_NAMES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

/// The name of a prefecture by its two-digit code.
pub fn prefecture_name(code: &str) -> Option<&'static str> {
    let n: usize = code.parse().ok()?;
    PREFECTURE_NAMES.get(n.checked_sub(1)?).copied()
}

#[cfg(test)]
mod prefecture_name_tests {
    #[test]
    fn codes_name_their_prefectures() {
        assert_eq!(super::prefecture_name("01"), Some("北海道"));
        assert_eq!(super::prefecture_name("13"), Some("東京都"));
        assert_eq!(super::prefecture_name("47"), Some("沖縄県"));
        assert_eq!(super::prefecture_name("00"), None);
        assert_eq!(super::prefecture_name("48"), None);
    }
}
