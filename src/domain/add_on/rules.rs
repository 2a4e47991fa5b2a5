//! A fee-rule revision once read and checked: every value here has passed the loader's
//! checks, so the engine never re-validates. Built only by [`super::load`].

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::client::ServiceType;
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;

/// A short lowercase name (`[a-z0-9_]`, 1-64): revision ids and add-on codes are stable
/// keys that claims and reports refer to, so they must survive being typed by hand.
fn slug(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!("`{s}` must be 1-64 of a-z, 0-9 and _"))
    }
}

/// The id of a revision, e.g. `fy2021`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "fy2021")]
pub struct RevisionId(String);

impl RevisionId {
    pub fn parse(s: &str) -> Result<Self, String> {
        slug(s).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The stable English code of an add-on, e.g. `housing_support_collaboration`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "housing_support_collaboration")]
pub struct AddOnCode(String);

impl AddOnCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        slug(s).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RevisionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for AddOnCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Enacted rules apply to real months; a proposal is only ever evaluated on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RevisionKind {
    Enacted,
    Proposal,
}

/// Where a rule comes from, so a reviewer can check the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Citation {
    pub title: String,
    pub issuer: String,
    /// A document reference (告示 number, file and lines); a URL, this, or both.
    pub document: Option<String>,
    pub url: Option<String>,
    pub page: Option<String>,
    /// Whether the source is the government's own text rather than a commentary on it.
    pub official: bool,
    pub note: Option<String>,
}

/// How the units of an add-on are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "basis")]
pub enum UnitBasis {
    /// Once per user per month while the conditions hold.
    PerUserPerMonth,
    /// Per qualifying event (joint guidance session), capped per month if a cap is set.
    PerTime { max_per_month: Option<u32> },
}

/// How a report reaches the 協議会 / 協議の場.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportMethod {
    /// 文書
    Written,
    /// 資料の提出
    Materials,
    /// 出席して口頭で
    InPerson,
}

/// The closed vocabulary of conditions a rules file may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    PartnerAgreement,
    Published,
    NotifiedPrefecture,
    MeetingsPerMonth,
    JointGuidance,
    ReportToCouncil,
}

impl ConditionKind {
    pub const ALL: [ConditionKind; 6] = [
        ConditionKind::PartnerAgreement,
        ConditionKind::Published,
        ConditionKind::NotifiedPrefecture,
        ConditionKind::MeetingsPerMonth,
        ConditionKind::JointGuidance,
        ConditionKind::ReportToCouncil,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKind::PartnerAgreement => "partner_agreement",
            ConditionKind::Published => "published",
            ConditionKind::NotifiedPrefecture => "notified_prefecture",
            ConditionKind::MeetingsPerMonth => "meetings_per_month",
            ConditionKind::JointGuidance => "joint_guidance",
            ConditionKind::ReportToCouncil => "report_to_council",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown condition kind `{s}`; known kinds: {}",
                    names.join(", ")
                )
            })
    }
}

/// What makes an information-sharing meeting (情報連携の場) count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MeetingRule {
    /// Qualifying meetings needed in the month (at least 1).
    pub min: u32,
    pub partner_must_attend: bool,
    pub minutes_required: bool,
    /// At least one client's housing discussed, and every client discussed had consented.
    pub clients_shared_with_consent: bool,
    pub issues_recorded: bool,
}

/// What makes a joint explanation and guidance session count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GuidanceRule {
    /// Partner kinds one of whom must take part (a 居住支援法人).
    pub with: Vec<OrgKind>,
    pub client_consent: bool,
    pub explained_items_required: bool,
}

/// What makes the report of a session to the 協議会 count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReportRule {
    pub methods: Vec<ReportMethod>,
    pub issues_required: bool,
    /// Days after the month's end a report may still arrive; 0 = within the month.
    pub grace_days_after_month: u32,
}

/// One condition of an add-on with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Condition {
    /// A partnership in force with a partner of one of these kinds.
    PartnerAgreement {
        partner_kinds: Vec<OrgKind>,
    },
    /// The partnership made public (公表) by the month's end.
    Published,
    /// The prefecture notified (届出). Without a cutoff, by the month's end; with one, a
    /// notice by that day of a month counts from the next month, a later one from the
    /// month after.
    NotifiedPrefecture {
        cutoff_day: Option<u32>,
    },
    MeetingsPerMonth(MeetingRule),
    JointGuidance(GuidanceRule),
    ReportToCouncil(ReportRule),
}

impl Condition {
    pub fn kind(&self) -> ConditionKind {
        match self {
            Condition::PartnerAgreement { .. } => ConditionKind::PartnerAgreement,
            Condition::Published => ConditionKind::Published,
            Condition::NotifiedPrefecture { .. } => ConditionKind::NotifiedPrefecture,
            Condition::MeetingsPerMonth(_) => ConditionKind::MeetingsPerMonth,
            Condition::JointGuidance(_) => ConditionKind::JointGuidance,
            Condition::ReportToCouncil(_) => ConditionKind::ReportToCouncil,
        }
    }
}

/// One add-on of a revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AddOn {
    pub(super) code: AddOnCode,
    pub(super) name_ja: String,
    pub(super) units: Option<u32>,
    pub(super) basis: UnitBasis,
    pub(super) services: Vec<ServiceType>,
    pub(super) conditions: Vec<Condition>,
}

impl AddOn {
    pub fn code(&self) -> &AddOnCode {
        &self.code
    }

    pub fn name_ja(&self) -> &str {
        &self.name_ja
    }

    /// Units per user-month or per time; `None` only in a proposal that set no amount.
    pub fn units(&self) -> Option<u32> {
        self.units
    }

    pub fn basis(&self) -> UnitBasis {
        self.basis
    }

    /// The services whose offices may claim the add-on.
    pub fn services(&self) -> &[ServiceType] {
        &self.services
    }

    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub fn condition(&self, kind: ConditionKind) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind() == kind)
    }
}

/// One revision of the rules: what applied from `effective_from`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Revision {
    pub(super) id: RevisionId,
    pub(super) kind: RevisionKind,
    pub(super) title: String,
    pub(super) file: String,
    pub(super) effective_from: NaiveDate,
    pub(super) effective_until: Option<NaiveDate>,
    pub(super) record_retention_years: u32,
    pub(super) citations: Vec<Citation>,
    pub(super) add_ons: Vec<AddOn>,
}

impl Revision {
    pub fn id(&self) -> &RevisionId {
        &self.id
    }

    pub fn kind(&self) -> RevisionKind {
        self.kind
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    /// The file the revision was read from, for messages and audits.
    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn effective_from(&self) -> NaiveDate {
        self.effective_from
    }

    /// The last day the revision applies, if the file names one.
    pub fn effective_until(&self) -> Option<NaiveDate> {
        self.effective_until
    }

    pub fn record_retention_years(&self) -> u32 {
        self.record_retention_years
    }

    pub fn citations(&self) -> &[Citation] {
        &self.citations
    }

    pub fn add_ons(&self) -> &[AddOn] {
        &self.add_ons
    }

    pub fn add_on(&self, code: &str) -> Option<&AddOn> {
        self.add_ons.iter().find(|a| a.code.as_str() == code)
    }

    /// Whether the revision covers `month`: it took effect by the month's first day (in
    /// Tokyo, as every date here) and had not lapsed before it.
    pub fn covers(&self, month: Month) -> bool {
        let first = month.first_day();
        self.effective_from <= first && self.effective_until.is_none_or(|u| u >= first)
    }

    /// Until when the records behind a claim must be kept, counting from `on` (the end of
    /// the service or the claim month, as the caller decides).
    pub fn keep_records_until(&self, on: NaiveDate) -> NaiveDate {
        let years = self.record_retention_years;
        on.checked_add_months(chrono::Months::new(years.saturating_mul(12)))
            .unwrap_or(NaiveDate::MAX)
    }
}
