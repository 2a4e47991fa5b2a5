//! 生活サポートシート (life-support sheet): what one tenant's sheet holds, the rules a
//! saved version must meet, which sections a recipient may see, how two versions differ
//! and whom a landlord's concern reaches. Pure: no I/O.
//!
//! A sheet is six sections (DOMAIN.md, the Aさん case); each is structured, so that the
//! PDF can put the emergency table on page one and a concern can be routed to the
//! contact a scenario names. Consent is given per section, so sections are the unit of
//! sharing too.

pub mod concern;
pub mod diff;
pub mod print;
mod rules;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::client::text_enum;
use super::ids::OrganizationId;
pub use rules::normalize;

text_enum! {
    /// A section of the sheet: what consent is given for, and what a recipient sees.
    Section {
        /// 本人の思い
        Person = "person",
        /// 支援ネットワーク
        Network = "network",
        /// 定期的な訪問・連絡
        Schedule = "schedule",
        /// こんなときは (scenarios and the クライシスプラン)
        Scenarios = "scenarios",
        /// 家賃保証・支払い
        Payment = "payment",
        /// 見直し
        Review = "review",
    }
}

impl Section {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Person => "本人の思い",
            Self::Network => "支援ネットワーク(連絡先)",
            Self::Schedule => "定期的な訪問・連絡",
            Self::Scenarios => "こんなときは(対応と連絡先)",
            Self::Payment => "家賃保証・支払い",
            Self::Review => "見直し",
        }
    }
}

text_enum! {
    /// Who a contact of the support network is.
    ContactKind {
        /// 相談支援事業所
        SupportOffice = "support_office",
        /// 医療機関 (clinic, hospital)
        Clinic = "clinic",
        /// 訪問看護
        HomeNursing = "home_nursing",
        /// 障害福祉サービス事業所
        WelfareService = "welfare_service",
        /// 行政 (the municipality's welfare or 生活保護 section)
        Government = "government",
        /// 権利擁護・成年後見 (lawyer, 司法書士, 社会福祉協議会)
        Advocacy = "advocacy",
        /// 居住支援法人
        HousingSupportCorp = "housing_support_corp",
        /// 宅建業者・管理会社
        RealEstate = "real_estate",
        /// インフォーマルな支援者 (family, friends, neighbours)
        Informal = "informal",
    }
}

impl ContactKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::SupportOffice => "相談支援事業所",
            Self::Clinic => "医療機関",
            Self::HomeNursing => "訪問看護",
            Self::WelfareService => "障害福祉サービス",
            Self::Government => "行政",
            Self::Advocacy => "権利擁護・成年後見",
            Self::HousingSupportCorp => "居住支援法人",
            Self::RealEstate => "宅建業者・管理会社",
            Self::Informal => "インフォーマルな支援者",
        }
    }
}

text_enum! {
    /// A day of the week, or a public holiday.
    Day {
        Mon = "mon",
        Tue = "tue",
        Wed = "wed",
        Thu = "thu",
        Fri = "fri",
        Sat = "sat",
        Sun = "sun",
        /// 祝日
        Holiday = "holiday",
    }
}

impl Day {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Mon => "月",
            Self::Tue => "火",
            Self::Wed => "水",
            Self::Thu => "木",
            Self::Fri => "金",
            Self::Sat => "土",
            Self::Sun => "日",
            Self::Holiday => "祝",
        }
    }
}

text_enum! {
    /// How often a regular visit or contact happens.
    Frequency {
        Daily = "daily",
        Weekly = "weekly",
        Biweekly = "biweekly",
        Monthly = "monthly",
        /// 必要時
        AsNeeded = "as_needed",
    }
}

impl Frequency {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Daily => "毎日",
            Self::Weekly => "毎週",
            Self::Biweekly => "隔週",
            Self::Monthly => "毎月",
            Self::AsNeeded => "必要時",
        }
    }
}

text_enum! {
    /// A situation the sheet says what to do about.
    ScenarioKind {
        /// 家賃の支払いが遅れたとき
        RentLate = "rent_late",
        /// 近隣とのトラブル
        NeighbourTrouble = "neighbour_trouble",
        /// 体調が悪くなったとき (the クライシスプラン)
        HealthWorse = "health_worse",
        /// 連絡が取れないとき (安否確認)
        NoContact = "no_contact",
        /// 災害のとき
        Disaster = "disaster",
        /// 退去・残置物
        MovingOut = "moving_out",
    }
}

impl ScenarioKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::RentLate => "家賃の支払いが遅れたとき",
            Self::NeighbourTrouble => "近隣とのトラブルがあったとき",
            Self::HealthWorse => "体調が悪くなったとき(クライシスプラン)",
            Self::NoContact => "連絡が取れないとき(安否確認)",
            Self::Disaster => "災害のとき",
            Self::MovingOut => "退去・残置物",
        }
    }

    /// The kinds of contact of which at least one must act in this scenario: the
    /// people who can actually do what the situation needs.
    pub fn required_contacts(self) -> &'static [ContactKind] {
        use ContactKind::*;
        match self {
            Self::RentLate => &[SupportOffice, HousingSupportCorp, Government],
            Self::NeighbourTrouble => &[SupportOffice, HousingSupportCorp, RealEstate],
            Self::HealthWorse => &[Clinic, HomeNursing],
            Self::NoContact => &[
                SupportOffice,
                HousingSupportCorp,
                HomeNursing,
                WelfareService,
            ],
            Self::Disaster => &[],
            Self::MovingOut => &[SupportOffice, HousingSupportCorp, Advocacy],
        }
    }

    /// Scenarios that happen at any hour: someone among their contacts must be
    /// reachable at night and on holidays.
    pub fn needs_night_contact(self) -> bool {
        matches!(self, Self::HealthWorse | Self::NoContact)
    }
}

text_enum! {
    /// How fast a step of a scenario is taken.
    Speed {
        /// 直ちに
        Immediately = "immediately",
        /// 1時間以内
        WithinAnHour = "within_an_hour",
        /// 当日中
        SameDay = "same_day",
        /// 3日以内
        WithinThreeDays = "within_three_days",
        /// 1週間以内
        WithinAWeek = "within_a_week",
    }
}

impl Speed {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Immediately => "直ちに",
            Self::WithinAnHour => "1時間以内",
            Self::SameDay => "当日中",
            Self::WithinThreeDays => "3日以内",
            Self::WithinAWeek => "1週間以内",
        }
    }
}

text_enum! {
    /// How the rent is paid.
    PaymentMethod {
        /// 口座振込
        BankTransfer = "bank_transfer",
        /// 口座振替
        DirectDebit = "direct_debit",
        /// 保証会社による収納代行
        GuaranteeCompanyCollection = "guarantee_company_collection",
        /// 生活保護の住宅扶助の代理納付
        ProxyPayment = "proxy_payment",
        /// 現金(持参)
        Cash = "cash",
    }
}

impl PaymentMethod {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::BankTransfer => "口座振込",
            Self::DirectDebit => "口座振替",
            Self::GuaranteeCompanyCollection => "保証会社による収納代行",
            Self::ProxyPayment => "代理納付(生活保護)",
            Self::Cash => "現金",
        }
    }
}

text_enum! {
    /// Who guarantees the rent.
    GuaranteeKind {
        /// 家賃債務保証会社
        GuaranteeCompany = "guarantee_company",
        /// 連帯保証人
        Guarantor = "guarantor",
        /// 居住支援法人による債務保証
        HousingSupportCorp = "housing_support_corp",
        /// なし
        None = "none",
    }
}

impl GuaranteeKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::GuaranteeCompany => "家賃債務保証会社",
            Self::Guarantor => "連帯保証人",
            Self::HousingSupportCorp => "居住支援法人",
            Self::None => "なし",
        }
    }
}

/// The six sections of one version of a sheet. The same shape is what a client sends
/// and what is stored: [`normalize`] checks it and returns it trimmed, with phone
/// numbers and times in one form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    pub person: Person,
    pub network: Vec<Contact>,
    pub schedule: Vec<Visit>,
    pub scenarios: Vec<Scenario>,
    pub payment: Payment,
    pub review: Review,
}

/// 本人の思い: the person in their own words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// What the person wants, as they said it.
    pub own_words: String,
    #[serde(default)]
    pub wishes: Vec<String>,
    /// What helps them (and what others can do).
    #[serde(default)]
    pub what_helps: Vec<String>,
    /// What to avoid.
    #[serde(default)]
    pub what_to_avoid: Vec<String>,
}

/// One organisation or person of the support network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A short name scenarios and visits refer to (`office`, `clinic`): lowercase
    /// letters, digits, `-` and `_`, unique within the sheet.
    pub key: String,
    pub kind: ContactKind,
    /// The organisation (or, for an informal supporter, the relationship: 姉, 友人).
    pub organization: String,
    /// The person to ask for.
    pub person: Option<String>,
    /// What they do for the tenant.
    pub role: String,
    /// A Japanese phone number (011-123-4567, 090-1234-5678, 0120-123-456).
    pub phone: String,
    /// When the phone is answered; empty when always.
    #[serde(default)]
    pub hours: Vec<Hours>,
    /// Whom to call at night and on holidays, when not the number above.
    pub night_holiday: Option<AfterHours>,
    /// The organisation's account in sumai-link, when it has one: a landlord's concern
    /// routed to this contact then reaches it as a webhook event too.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<OrganizationId>,
}

/// Opening hours on some days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    pub days: Vec<Day>,
    /// HH:MM, Tokyo time.
    pub from: String,
    /// HH:MM (24:00 for the end of the day), after `from`.
    pub to: String,
}

/// The number for nights and holidays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterHours {
    pub phone: String,
    pub note: Option<String>,
}

/// A regular visit or contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// The `key` of the contact who comes or calls.
    pub contact: String,
    /// What happens (訪問, 電話, 服薬確認, …).
    pub what: String,
    pub frequency: Frequency,
    /// On which days (weekly and biweekly visits name at least one).
    #[serde(default)]
    pub days: Vec<Day>,
    /// HH:MM, when fixed.
    pub time: Option<String>,
}

/// What happens in one situation: early signs and what helps (the クライシスプラン for
/// `health_worse`), then who acts, in order, and how fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub kind: ScenarioKind,
    /// Early signs (required for health_worse).
    #[serde(default)]
    pub signs: Vec<String>,
    /// What helps (required for health_worse).
    #[serde(default)]
    pub what_helps: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The `key` of the contact who acts.
    pub contact: String,
    pub action: String,
    pub within: Speed,
}

/// Rent guarantee and payment arrangements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub method: PaymentMethod,
    /// The day of the month the rent is due (1-31; 31 means the last day).
    pub due_day: u8,
    pub guarantee: GuaranteeKind,
    /// The guarantee company or the guarantor (required unless `guarantee` is none).
    pub guarantor: Option<String>,
    pub note: Option<String>,
}

/// When the sheet was last reviewed with the person, and when next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    /// YYYY-MM-DD, not in the future.
    pub reviewed_on: String,
    /// YYYY-MM-DD, after `reviewed_on` and within a year of it.
    pub next_review_on: String,
    /// Who took part (本人, 相談支援専門員, …).
    #[serde(default)]
    pub reviewed_with: Vec<String>,
    pub note: Option<String>,
}

/// The sections one recipient may see; the others are `None` and listed in `withheld`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SharedSections {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<Vec<Contact>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<Visit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenarios: Option<Vec<Scenario>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<Payment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
}

impl SharedSections {
    /// Everything: what the office that writes the sheet sees.
    pub fn all(s: Sections) -> Self {
        Self {
            person: Some(s.person),
            network: Some(s.network),
            schedule: Some(s.schedule),
            scenarios: Some(s.scenarios),
            payment: Some(s.payment),
            review: Some(s.review),
        }
    }

    /// Only the `allowed` sections.
    pub fn only(s: Sections, allowed: &[Section]) -> Self {
        let has = |x: Section| allowed.contains(&x);
        Self {
            person: has(Section::Person).then_some(s.person),
            network: has(Section::Network).then_some(s.network),
            schedule: has(Section::Schedule).then_some(s.schedule),
            scenarios: has(Section::Scenarios).then_some(s.scenarios),
            payment: has(Section::Payment).then_some(s.payment),
            review: has(Section::Review).then_some(s.review),
        }
    }

    /// The sections present, in sheet order.
    pub fn shown(&self) -> Vec<Section> {
        Section::ALL
            .iter()
            .copied()
            .filter(|s| !self.withheld_one(*s))
            .collect()
    }

    /// The sections left out, in sheet order.
    pub fn withheld(&self) -> Vec<Section> {
        Section::ALL
            .iter()
            .copied()
            .filter(|s| self.withheld_one(*s))
            .collect()
    }

    fn withheld_one(&self, s: Section) -> bool {
        match s {
            Section::Person => self.person.is_none(),
            Section::Network => self.network.is_none(),
            Section::Schedule => self.schedule.is_none(),
            Section::Scenarios => self.scenarios.is_none(),
            Section::Payment => self.payment.is_none(),
            Section::Review => self.review.is_none(),
        }
    }
}

impl Sections {
    pub fn contact(&self, key: &str) -> Option<&Contact> {
        self.network.iter().find(|c| c.key == key)
    }

    pub fn scenario(&self, kind: ScenarioKind) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.kind == kind)
    }
}

/// Days as people write them: a run of three or more days as 月〜金, others one by one.
pub fn days_ja(days: &[Day]) -> String {
    let mut sorted: Vec<Day> = days.to_vec();
    sorted.sort_by_key(|d| Day::ALL.iter().position(|x| x == d));
    let week: Vec<Day> = sorted
        .iter()
        .copied()
        .filter(|d| *d != Day::Holiday)
        .collect();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < week.len() {
        let start = Day::ALL.iter().position(|x| *x == week[i]).unwrap_or(0);
        let mut j = i;
        while j + 1 < week.len()
            && Day::ALL.iter().position(|x| *x == week[j + 1]) == Some(start + (j + 1 - i))
        {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("{}〜{}", week[i].label_ja(), week[j].label_ja()));
        } else {
            parts.extend(week[i..=j].iter().map(|d| d.label_ja().to_owned()));
        }
        i = j + 1;
    }
    if sorted.contains(&Day::Holiday) {
        parts.push(Day::Holiday.label_ja().to_owned());
    }
    parts.join("・")
}

/// `Hours` as people read them: 月〜金 9:00–17:00.
pub fn hours_ja(hours: &[Hours]) -> String {
    if hours.is_empty() {
        return "24時間".to_owned();
    }
    hours
        .iter()
        .map(|h| format!("{} {}–{}", days_ja(&h.days), h.from, h.to))
        .collect::<Vec<_>>()
        .join(" / ")
}
