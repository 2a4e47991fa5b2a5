//! A landlord's or agent's concern about a tenant (rent late, a complaint, no answer at
//! the door): the early signal the seeds say landlords are first to see. It is routed
//! to the contact the sheet names for that situation.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Contact, ContactKind, ScenarioKind, Sections, Speed};
use crate::domain::client::text_enum;
use crate::domain::ids::OrganizationId;

text_enum! {
    /// What the landlord noticed.
    ConcernKind {
        /// 家賃の支払いが遅れている
        RentLate = "rent_late",
        /// 近隣から苦情があった
        NoiseComplaint = "noise_complaint",
        /// 訪問しても応答がない
        NoAnswer = "no_answer",
        /// その他
        Other = "other",
    }
}

impl ConcernKind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::RentLate => "家賃の支払いが遅れている",
            Self::NoiseComplaint => "近隣から苦情があった",
            Self::NoAnswer => "訪問しても応答がない",
            Self::Other => "その他",
        }
    }

    /// The scenario of the sheet that says what to do.
    pub fn scenario(self) -> Option<ScenarioKind> {
        match self {
            Self::RentLate => Some(ScenarioKind::RentLate),
            Self::NoiseComplaint => Some(ScenarioKind::NeighbourTrouble),
            Self::NoAnswer => Some(ScenarioKind::NoContact),
            Self::Other => None,
        }
    }
}

/// The contact a concern goes to, copied from the version of the sheet it was routed
/// with (a later version may change the network; the record keeps whom it reached).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Route {
    /// The scenario that named the contact; absent when it fell back to the office.
    pub scenario: Option<ScenarioKind>,
    pub contact_key: String,
    pub kind: ContactKind,
    pub organization: String,
    pub person: Option<String>,
    pub phone: String,
    pub night_phone: Option<String>,
    /// What the sheet says this contact does, and how fast.
    pub action: Option<String>,
    pub within: Option<Speed>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub organization_id: Option<OrganizationId>,
}

fn route_to(
    contact: &Contact,
    scenario: Option<ScenarioKind>,
    action: Option<(&str, Speed)>,
) -> Route {
    Route {
        scenario,
        contact_key: contact.key.clone(),
        kind: contact.kind,
        organization: contact.organization.clone(),
        person: contact.person.clone(),
        phone: contact.phone.clone(),
        night_phone: contact.night_holiday.as_ref().map(|n| n.phone.clone()),
        action: action.map(|(a, _)| a.to_owned()),
        within: action.map(|(_, w)| w),
        organization_id: contact.organization_id,
    }
}

/// Whom a concern of `kind` reaches: the first step of the matching scenario, else the
/// support office of the network (it keeps the sheet), else the first contact.
pub fn route(sheet: &Sections, kind: ConcernKind) -> Option<Route> {
    if let Some(scenario) = kind.scenario().and_then(|k| sheet.scenario(k))
        && let Some((step, contact)) = scenario
            .steps
            .iter()
            .find_map(|st| sheet.contact(&st.contact).map(|c| (st, c)))
    {
        return Some(route_to(
            contact,
            Some(scenario.kind),
            Some((step.action.as_str(), step.within)),
        ));
    }
    sheet
        .network
        .iter()
        .find(|c| c.kind == ContactKind::SupportOffice)
        .or_else(|| sheet.network.first())
        .map(|c| route_to(c, None, None))
}
