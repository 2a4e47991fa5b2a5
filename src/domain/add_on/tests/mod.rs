//! Fixtures shared by the add-on tests: an office that meets every FY2021 condition in
//! May 2021, so each test breaks one thing and checks the reason.

mod compliance;
mod engine;
mod guidance;
mod load;
mod props;
mod revisions;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::*;
use crate::domain::client::ServiceType;
use crate::domain::ids::{ClientId, CouncilReportId, GuidanceSessionId, MeetingId, OrganizationId};
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;

pub(super) const OFFICE: u128 = 1;
pub(super) const CORP: u128 = 2;
pub(super) const COUNCIL: u128 = 3;
pub(super) const CLIENT: u128 = 10;
pub(super) const OTHER_CLIENT: u128 = 11;

pub(super) fn org(n: u128) -> OrganizationId {
    Uuid::from_u128(n).into()
}

pub(super) fn client_id(n: u128) -> ClientId {
    Uuid::from_u128(n).into()
}

pub(super) fn meeting_id(n: u128) -> MeetingId {
    Uuid::from_u128(0x100 + n).into()
}

pub(super) fn session_id(n: u128) -> GuidanceSessionId {
    Uuid::from_u128(0x200 + n).into()
}

pub(super) fn report_id(n: u128) -> CouncilReportId {
    Uuid::from_u128(0x300 + n).into()
}

pub(super) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

pub(super) fn month(s: &str) -> Month {
    Month::parse(s).unwrap()
}

pub(super) fn book() -> RuleBook {
    RuleBook::embedded().unwrap()
}

pub(super) fn fy2021() -> Revision {
    book().revision("fy2021").unwrap().clone()
}

/// The FY2021 file's text, for tests that change a value the way an editor would.
pub(super) fn fy2021_text() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules/add-ons/2021-04-01_fy2021.toml");
    std::fs::read_to_string(path).unwrap()
}

pub(super) fn proposal() -> Revision {
    book().revision("ronten6_proposal").unwrap().clone()
}

pub(super) fn corp() -> Partner {
    Partner {
        org_id: org(CORP),
        kind: OrgKind::HousingSupportCorp,
    }
}

pub(super) fn office() -> OfficeFacts {
    OfficeFacts {
        office_id: org(OFFICE),
        services: vec![
            ServiceType::PlanningConsultation,
            ServiceType::CommunityTransition,
        ],
        agreements: vec![PartnerAgreement {
            partner: corp(),
            since: d("2021-04-01"),
            until: None,
        }],
        published_on: Some(d("2021-04-01")),
        notified_on: Some(d("2021-04-01")),
    }
}

pub(super) fn client() -> ClientFacts {
    ClientFacts {
        client_id: client_id(CLIENT),
        services: vec![ClientService {
            service: ServiceType::CommunityTransition,
            starts_on: d("2021-04-10"),
            ends_on: None,
        }],
    }
}

/// A meeting that meets every FY2021 requirement.
pub(super) fn meeting(n: u128, at: &str) -> Meeting {
    Meeting {
        id: meeting_id(n),
        held_at: utc(at),
        present_org_ids: vec![org(OFFICE), org(CORP)],
        has_minutes: true,
        shared_clients: vec![SharedClient {
            client_id: client_id(CLIENT),
            consented: true,
        }],
        issues_count: 2,
    }
}

/// A joint guidance session for the client that meets every FY2021 requirement.
pub(super) fn session(n: u128, at: &str) -> GuidanceSession {
    GuidanceSession {
        id: session_id(n),
        client_id: client_id(CLIENT),
        held_at: utc(at),
        partners_present: vec![corp()],
        client_consented: true,
        explained_items: vec!["家賃の支払い".into(), "ごみの出し方".into()],
    }
}

pub(super) fn report(n: u128, on: &str, sessions: &[u128]) -> CouncilReport {
    CouncilReport {
        id: report_id(n),
        submitted_on: d(on),
        method: ReportMethod::Written,
        session_ids: sessions.iter().map(|s| session_id(*s)).collect(),
        issues_count: 1,
    }
}

/// Records under which both FY2021 add-ons are claimable in May 2021.
pub(super) fn records() -> OfficeRecords {
    OfficeRecords {
        meetings: vec![meeting(1, "2021-05-12T01:00:00Z")],
        sessions: vec![session(1, "2021-05-20T02:00:00Z")],
        reports: vec![report(1, "2021-05-25", &[1])],
    }
}

pub(super) const COLLAB: &str = "housing_support_collaboration";
pub(super) const PROMOTION: &str = "community_housing_support_promotion";

/// Judges one add-on of `revision` for the fixture client in `m`.
pub(super) fn judge(
    revision: &Revision,
    code: &str,
    m: &str,
    office: &OfficeFacts,
    records: &OfficeRecords,
) -> Outcome {
    let add_on = revision.add_on(code).unwrap();
    assess_add_on(add_on, month(m), office, records, &client())
}

pub(super) fn codes(o: &Outcome) -> Vec<ReasonCode> {
    o.reason_codes()
}

/// A revision from TOML text, with the file name its header demands.
pub(super) fn revision_from(text: &str) -> Result<Revision, RulesError> {
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or("x");
    let from = text
        .lines()
        .find_map(|l| l.strip_prefix("effective_from = "))
        .unwrap_or("2021-04-01");
    parse_revision(&format!("{from}_{id}.toml"), text)
}

/// A minimal valid revision header; tests append add-ons.
pub(super) fn header(id: &str, kind: &str, from: &str) -> String {
    format!(
        "id = \"{id}\"\nkind = \"{kind}\"\ntitle = \"test\"\neffective_from = {from}\nrecord_retention_years = 5\n\n\
         [[citations]]\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"doc\"\nofficial = false\n\n"
    )
}
