//! What the engine answers: claimable with the records it rests on, or not claimable with
//! every reason, each with a stable code for programs and a sentence for people.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::rules::{AddOnCode, ConditionKind, RevisionId, RevisionKind};
use crate::domain::client::ServiceType;
use crate::domain::ids::{ClientId, CouncilReportId, GuidanceSessionId, MeetingId, OrganizationId};
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;

/// Why an add-on cannot be claimed (or a gap in a month). The codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The office provides only 計画相談支援: it cannot claim these add-ons at all.
    OnlyPlanConsultation,
    ServiceNotProvided,
    ClientNotUsingService,
    NoPartnerAgreement,
    NotPublished,
    NotNotified,
    /// Notified, but too late in a month for the add-on to apply yet.
    NotifiedTooLate,
    NoQualifyingMeeting,
    TooFewMeetings,
    OfficeNotPresent,
    PartnerNotPresent,
    NoMinutes,
    NoClientsShared,
    ClientSharedWithoutConsent,
    NoIssuesRecorded,
    NoJointGuidance,
    PartnerCorpNotPresent,
    NoClientConsent,
    NothingExplained,
    NoReport,
    ReportBeforeSession,
    ReportTooLate,
    ReportMethodNotAccepted,
    NoIssuesReported,
    /// No enacted fee rules cover the month.
    NoRulesInForce,
}

/// The record a reason is about, when it is about one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum RecordRef {
    Meeting(MeetingId),
    GuidanceSession(GuidanceSessionId),
    CouncilReport(CouncilReportId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
    pub record: Option<RecordRef>,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Reason {
            code,
            message: message.into(),
            record: None,
        }
    }

    pub fn about(code: ReasonCode, record: RecordRef, message: impl Into<String>) -> Self {
        Reason {
            code,
            message: message.into(),
            record: Some(record),
        }
    }
}

/// What one condition was met by. A claim has one item for the service and one per
/// condition of the add-on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Evidence {
    /// The eligible service the client uses at the office in the month.
    Service {
        service: ServiceType,
    },
    PartnerAgreement {
        partner_org_id: OrganizationId,
        partner_kind: OrgKind,
        since: NaiveDate,
    },
    Published {
        on: NaiveDate,
    },
    NotifiedPrefecture {
        on: NaiveDate,
    },
    MeetingsPerMonth {
        meeting_ids: Vec<MeetingId>,
    },
    JointGuidance {
        session_ids: Vec<GuidanceSessionId>,
    },
    ReportToCouncil {
        report_ids: Vec<CouncilReportId>,
    },
}

impl Evidence {
    /// The condition this evidence meets; `None` for the service.
    pub fn condition(&self) -> Option<ConditionKind> {
        match self {
            Evidence::Service { .. } => None,
            Evidence::PartnerAgreement { .. } => Some(ConditionKind::PartnerAgreement),
            Evidence::Published { .. } => Some(ConditionKind::Published),
            Evidence::NotifiedPrefecture { .. } => Some(ConditionKind::NotifiedPrefecture),
            Evidence::MeetingsPerMonth { .. } => Some(ConditionKind::MeetingsPerMonth),
            Evidence::JointGuidance { .. } => Some(ConditionKind::JointGuidance),
            Evidence::ReportToCouncil { .. } => Some(ConditionKind::ReportToCouncil),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Claimable {
        /// Units for the month; `None` when the revision (a proposal) sets no amount.
        units: Option<u32>,
        /// How many times the add-on counts this month (1 for a per-month add-on).
        times: u32,
        evidence: Vec<Evidence>,
    },
    NotClaimable {
        reasons: Vec<Reason>,
    },
}

impl Outcome {
    pub fn is_claimable(&self) -> bool {
        matches!(self, Outcome::Claimable { .. })
    }

    pub fn reason_codes(&self) -> Vec<ReasonCode> {
        match self {
            Outcome::Claimable { .. } => Vec::new(),
            Outcome::NotClaimable { reasons } => reasons.iter().map(|r| r.code).collect(),
        }
    }

    /// The meetings, sessions and reports a claim rests on (empty when not claimable).
    pub fn evidence_ids(&self) -> (Vec<MeetingId>, Vec<GuidanceSessionId>, Vec<CouncilReportId>) {
        let (mut m, mut s, mut r) = (Vec::new(), Vec::new(), Vec::new());
        if let Outcome::Claimable { evidence, .. } = self {
            for e in evidence {
                match e {
                    Evidence::MeetingsPerMonth { meeting_ids } => m.extend(meeting_ids),
                    Evidence::JointGuidance { session_ids } => s.extend(session_ids),
                    Evidence::ReportToCouncil { report_ids } => r.extend(report_ids),
                    _ => {}
                }
            }
        }
        (m, s, r)
    }
}

/// One add-on judged for one client and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AddOnAssessment {
    pub add_on: AddOnCode,
    pub name_ja: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Every add-on of a revision judged for one client and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClientMonth {
    pub month: Month,
    pub revision: RevisionId,
    pub revision_kind: RevisionKind,
    pub client_id: ClientId,
    pub add_ons: Vec<AddOnAssessment>,
}

/// No enacted revision covers the month (before the first, or after one lapsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no enacted fee rules are in force in {month}; nothing can be claimed under them")]
pub struct NoRulesInForce {
    pub month: Month,
}
