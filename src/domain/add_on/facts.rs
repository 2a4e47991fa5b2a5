//! What the engine is told: plain facts the store reads for an office, a client and a
//! month. Nothing here is judged yet; the engine decides what counts.
//!
//! Events (meetings, sessions) carry UTC instants, as stored; the engine places them in a
//! Tokyo month. Acts that are dated on paper (agreements, 公表, 届出, reports) carry
//! calendar dates, which are Tokyo dates.

use chrono::{DateTime, NaiveDate, Utc};

use super::rules::ReportMethod;
use crate::domain::client::ServiceType;
use crate::domain::ids::{ClientId, CouncilReportId, GuidanceSessionId, MeetingId, OrganizationId};
use crate::domain::organization::OrgKind;

/// A partner organisation and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partner {
    pub org_id: OrganizationId,
    pub kind: OrgKind,
}

/// A partnership (連携体制) between the office and a partner, from `since` to `until`
/// (inclusive; open-ended while `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerAgreement {
    pub partner: Partner,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl PartnerAgreement {
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.since <= date && self.until.is_none_or(|u| date <= u)
    }
}

/// How the office is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeFacts {
    pub office_id: OrganizationId,
    /// The services the office is designated for.
    pub services: Vec<ServiceType>,
    pub agreements: Vec<PartnerAgreement>,
    /// The day the partnership was made public (公表), if it was.
    pub published_on: Option<NaiveDate>,
    /// The day the prefecture received the notice (届出) of the set-up, if it did.
    pub notified_on: Option<NaiveDate>,
}

/// A client discussed at a meeting, and whether a `discuss_at_meetings` consent in force
/// on the meeting day covered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedClient {
    pub client_id: ClientId,
    pub consented: bool,
}

/// An information-sharing meeting (情報連携の場) of the office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: MeetingId,
    pub held_at: DateTime<Utc>,
    /// The organisations present, the office itself included.
    pub present_org_ids: Vec<OrganizationId>,
    pub has_minutes: bool,
    pub shared_clients: Vec<SharedClient>,
    /// The number of housing issues recorded in the minutes.
    pub issues_count: u32,
}

/// A joint explanation and guidance session (説明・指導) for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuidanceSession {
    pub id: GuidanceSessionId,
    pub client_id: ClientId,
    pub held_at: DateTime<Utc>,
    pub partners_present: Vec<Partner>,
    pub client_consented: bool,
    /// What was explained, as recorded (e.g. "ごみの出し方", "家賃の支払い").
    pub explained_items: Vec<String>,
}

/// A report to the 協議会 / 協議の場 about one or more sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouncilReport {
    pub id: CouncilReportId,
    pub submitted_on: NaiveDate,
    pub method: ReportMethod,
    pub session_ids: Vec<GuidanceSessionId>,
    /// The number of housing issues the report raises.
    pub issues_count: u32,
}

/// The office's records; the engine keeps those of the month it judges, so a wider slice
/// does no harm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfficeRecords {
    pub meetings: Vec<Meeting>,
    pub sessions: Vec<GuidanceSession>,
    pub reports: Vec<CouncilReport>,
}

/// A service a client uses at the office, over a period (inclusive; open while `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientService {
    pub service: ServiceType,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// The client the claim is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFacts {
    pub client_id: ClientId,
    pub services: Vec<ClientService>,
}
