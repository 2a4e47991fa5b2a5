//! Word lists of the sample report: Sapporo's wards, office names, issues as offices
//! write them, the survey's refusal reasons and fictitious client names.

use crate::domain::inquiry::DeclineReason;
use crate::domain::meeting::IssueCategory;

pub const NAMES: [&str; 20] = [
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
pub const KINDS: [&str; 4] = [
    "相談支援センター",
    "地域生活支援事業所",
    "相談支援事業所",
    "生活支援センター",
];
pub const WARDS: [&str; 10] = [
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

/// Issues as offices write them, with the category they file them under.
pub const ISSUES: [(IssueCategory, [&str; 3]); 8] = [
    (
        IssueCategory::Guarantor,
        [
            "連帯保証人を頼める親族がいない",
            "保証会社の審査で精神障害を理由に断られた",
            "親族が高齢で連帯保証人になれない",
        ],
    ),
    (
        IssueCategory::RentLevel,
        [
            "住宅扶助の上限内の物件が少ない",
            "敷金・礼金が用意できない",
            "更新料の支払い方法の相談",
        ],
    ),
    (
        IssueCategory::DisabilityLabel,
        [
            "障害への不安から内見を断られた",
            "精神障害があることを伝えると申込みを断られた",
            "障害への理解を求めて家主に説明した",
        ],
    ),
    (
        IssueCategory::LackOfVacancies,
        [
            "駅に近い単身向け物件が見つからない",
            "1階・エレベーター付きの物件が少ない",
            "通院先から30分以内の物件がない",
        ],
    ),
    (
        IssueCategory::SupportAfterMoveIn,
        [
            "夜間の連絡体制を家主に説明した",
            "見守りサービスの費用負担の調整",
            "訪問看護と居住支援法人の訪問日程を調整",
        ],
    ),
    (
        IssueCategory::NeighbourTrouble,
        [
            "生活音について近隣から相談があった",
            "ゴミ出しのルールを一緒に確認した",
            "町内会への加入について相談",
        ],
    ),
    (
        IssueCategory::EmergencyContact,
        [
            "緊急連絡先を引き受ける人がいない",
            "夜間の緊急連絡先を家主と確認した",
            "緊急連絡先代行サービスの利用を検討",
        ],
    ),
    (
        IssueCategory::DeathInFlat,
        [
            "退去時の残置物の扱いを契約前に取り決めた",
            "死亡時の残置物処理の委任について",
            "原状回復費用の見積もり",
        ],
    ),
];

/// The survey's shares (DOMAIN.md) as weights, so the chart looks like the real thing.
pub const DECLINES: [(DeclineReason, u32); 9] = [
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

/// Family and given names of the sample's clients (fictitious).
pub const FAMILY: [&str; 8] = [
    "佐々木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "中村",
    "小林",
    "加藤",
];
pub const GIVEN: [&str; 6] = ["美咲", "健太", "陽子", "大輔", "由美", "翔"];
