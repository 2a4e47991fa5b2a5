//! Sets stored as bit masks: the categories of 住宅確保要配慮者 a landlord accepts, the
//! unit's accessibility features, and the conditions the landlord asks for. The API
//! speaks their names; the database and the search index keep the bits.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! flag_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $bit:expr, $text:literal, $ja:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn bit(self) -> u32 {
                match self { $($name::$variant => 1 << $bit,)* }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            pub fn label_ja(self) -> &'static str {
                match self { $($name::$variant => $ja,)* }
            }

            pub fn parse(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|f| f.as_str() == s.trim()).ok_or_else(|| {
                    let names: Vec<_> = Self::ALL.iter().map(|f| f.as_str()).collect();
                    format!("unknown value {:?}; use one of {}", s, names.join(", "))
                })
            }

            pub fn mask(items: &[$name]) -> u32 {
                items.iter().fold(0, |m, f| m | f.bit())
            }

            pub fn from_mask(mask: u32) -> Vec<$name> {
                Self::ALL.iter().copied().filter(|f| mask & f.bit() != 0).collect()
            }

            pub fn full_mask() -> u32 {
                Self::mask(Self::ALL)
            }
        }
    };
}

flag_set! {
    /// A category of 住宅確保要配慮者 (people who need help to secure housing).
    Category {
        /// 身体障害者
        DisabilityPhysical = 0, "disability_physical", "身体障害者";
        /// 知的障害者
        DisabilityIntellectual = 1, "disability_intellectual", "知的障害者";
        /// 精神障害者
        DisabilityMental = 2, "disability_mental", "精神障害者";
        /// 高齢者
        Elderly = 3, "elderly", "高齢者";
        /// 低額所得者
        LowIncome = 4, "low_income", "低額所得者";
        /// 子育て世帯
        ChildRearing = 5, "child_rearing", "子育て世帯";
        /// 被災者
        DisasterVictim = 6, "disaster_victim", "被災者";
        /// その他の要配慮者 (外国人, DV被害者, …)
        Other = 7, "other", "その他";
    }
}

flag_set! {
    /// An accessibility feature of the unit or its building.
    Accessibility {
        /// 玄関までの段差なし
        StepFreeEntrance = 0, "step_free_entrance", "段差のない玄関";
        /// 車椅子で室内移動可
        WheelchairAccessible = 1, "wheelchair_accessible", "車椅子対応";
        /// 手すり
        Handrails = 2, "handrails", "手すり";
        /// 広い開口部
        WideDoors = 3, "wide_doors", "広い出入口";
        /// 浴室・トイレのバリアフリー
        AccessibleBathroom = 4, "accessible_bathroom", "バリアフリー浴室・トイレ";
        /// 視覚障害者誘導設備
        TactileGuidance = 5, "tactile_guidance", "点字・誘導設備";
        /// 屋内の段差なし
        StepFreeInterior = 6, "step_free_interior", "室内の段差なし";
    }
}

flag_set! {
    /// A condition the landlord asks of a tenant's support.
    Condition {
        /// 見守りサービスの利用
        WatchService = 0, "watch_service", "見守りサービスの利用";
        /// 相談支援事業所の支援
        SupportOffice = 1, "support_office", "相談支援事業所による支援";
        /// 緊急連絡先
        EmergencyContact = 2, "emergency_contact", "緊急連絡先";
        /// 生活サポートシートの共有
        SupportSheet = 3, "support_sheet", "生活サポートシートの共有";
        /// 家賃債務保証の利用
        RentGuarantee = 4, "rent_guarantee", "家賃債務保証の利用";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_round_trip() {
        let set = vec![Category::DisabilityMental, Category::Elderly];
        assert_eq!(Category::from_mask(Category::mask(&set)), set);
        assert_eq!(
            Category::from_mask(Category::full_mask()).len(),
            Category::ALL.len()
        );
    }

    #[test]
    fn bits_are_distinct() {
        let bits: Vec<u32> = Accessibility::ALL.iter().map(|a| a.bit()).collect();
        let mut dedup = bits.clone();
        dedup.dedup();
        assert_eq!(bits.len(), dedup.len());
        assert_eq!(
            Accessibility::full_mask().count_ones() as usize,
            Accessibility::ALL.len()
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_choices() {
        let e = Condition::parse("cash_deposit").unwrap_err();
        assert!(e.contains("watch_service"));
    }
}
