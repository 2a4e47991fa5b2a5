//! From the store to [`ReportFacts`] for one council and period, and the records an
//! export leaves behind: an audit entry, and for each client named in it a provision to
//! the council under the client's `council_reports` consent.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::auth::Caller;
use crate::db::clients::ProvisionRow;
use crate::db::council_area::{self, Area as StoreArea, Period};
use crate::db::organizations::Organization;
use crate::db::{self, DbConn, audit, clients};
use crate::domain::add_on::{Meeting, OfficeFacts, Partner, PartnerAgreement, SharedClient};
use crate::domain::client::{ServiceType, keep_provision_until};
use crate::domain::council_report::{
    ClientFact, CouncilArea, CouncilInfo, CouncilReport, MeetingFact, OfficeFact, ReportFacts,
    WrittenReportFact,
};
use crate::domain::ids::{ClientId, CouncilReportId, MeetingId, OrganizationId};
use crate::domain::inquiry::DeclineReason;
use crate::domain::meeting::{IssueCategory, consent_covers};
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;
use crate::domain::time::date_in_tokyo;
use crate::error::{ApiError, ApiResult};
use crate::routes::utc;

/// A client the report names, with the consent that allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamingConsent {
    pub client_id: String,
    pub consent_id: String,
}

/// Reads everything the report of `council` over `from..=to` is made from, as it stands
/// at `now`. Also returns the consents under which clients will be named.
pub fn load(
    conn: &mut DbConn,
    council: &Organization,
    from: Month,
    to: Month,
    now: DateTime<Utc>,
) -> ApiResult<(ReportFacts, Vec<NamingConsent>)> {
    let area = CouncilArea {
        prefecture_code: council.prefecture_code.clone(),
        municipality_code: council.municipality_code.clone(),
    };
    let store_area = match (&area.municipality_code, &area.prefecture_code) {
        (Some(m), _) => StoreArea::Municipality(m.clone()),
        (None, Some(p)) => StoreArea::Prefecture(p.clone()),
        (None, None) => StoreArea::None,
    };
    let offices = council_area::offices(conn, &store_area)?;
    let ids: Vec<String> = offices.iter().map(|(id, _)| id.clone()).collect();
    let period = Period {
        start: from.start_utc().naive_utc(),
        end: to.end_utc().naive_utc(),
        first_day: from.first_day(),
        last_day: to.last_day(),
    };
    let today = date_in_tokyo(now);

    let mut setups: HashMap<String, OfficeFacts> = HashMap::new();
    for (row, partner_kind) in council_area::setups(conn, &ids)? {
        let office = org_id(&row.office_org_id)?;
        let services: Vec<String> = json(&row.services)?;
        let services = services
            .iter()
            .map(|s| ServiceType::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::internal)?;
        let partner = Partner {
            org_id: org_id(&row.partner_org_id)?,
            kind: OrgKind::parse(&partner_kind).map_err(ApiError::internal)?,
        };
        let facts = OfficeFacts {
            office_id: office,
            services,
            agreements: vec![PartnerAgreement {
                partner,
                since: row.partnership_since,
                until: None,
            }],
            published_on: row.published_on,
            notified_on: row.notified_on,
        };
        setups.insert(row.office_org_id, facts);
    }

    let meetings = meetings(conn, &ids, period)?;
    let declines = council_area::decline_reasons(conn, &ids, period)?
        .into_iter()
        .flatten()
        .map(|r| text_enum::<DeclineReason>(&r))
        .collect::<ApiResult<Vec<_>>>()?;
    let written_reports =
        council_area::reports_received(conn, &council.id, from.first_day(), to.last_day())?
            .into_iter()
            .filter_map(|(r, office_name)| r.submitted_on.map(|on| (r, office_name, on)))
            .map(|(r, office_name, submitted_on)| {
                Ok(WrittenReportFact {
                    id: CouncilReportId::from_db(&r.id).map_err(ApiError::internal)?,
                    office_id: org_id(&r.office_org_id)?,
                    office_name,
                    submitted_on,
                    title: r.title,
                    issue_categories: categories(&r.issue_categories)?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;

    let consents: HashMap<String, String> = council_area::naming_consents(conn, &ids)?
        .into_iter()
        .filter(|(_, _, given_on)| *given_on <= today)
        .map(|(consent, client, _)| (client, consent))
        .collect();
    let clients = council_area::clients(conn, &ids)?
        .into_iter()
        .map(|(id, office, name, name_kana)| {
            Ok(ClientFact {
                named: consents.contains_key(&id),
                id: ClientId::from_db(&id).map_err(ApiError::internal)?,
                office_id: org_id(&office)?,
                name,
                name_kana,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let naming = named_in(&meetings, &consents);

    let offices = offices
        .into_iter()
        .map(|(id, name)| {
            Ok(OfficeFact {
                id: org_id(&id)?,
                setup: setups.remove(&id),
                name,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let facts = ReportFacts {
        council: CouncilInfo {
            id: org_id(&council.id)?,
            name: council.name.clone(),
            area,
        },
        from,
        to,
        now,
        offices,
        meetings,
        written_reports,
        declines,
        clients,
    };
    Ok((facts, naming))
}

/// The offices' meetings with who was there and whom they discussed (three statements).
fn meetings(conn: &mut DbConn, offices: &[String], period: Period) -> ApiResult<Vec<MeetingFact>> {
    let mut partners: HashMap<String, Vec<OrganizationId>> = HashMap::new();
    for (meeting, partner) in council_area::partners(conn, offices, period)? {
        partners.entry(meeting).or_default().push(org_id(&partner)?);
    }
    let mut shared: HashMap<String, Vec<(String, NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    for (meeting, client, given_on, withdrawn_at) in council_area::shared(conn, offices, period)? {
        let withdrawn_on = withdrawn_at.map(|w| date_in_tokyo(utc(w)));
        shared
            .entry(meeting)
            .or_default()
            .push((client, given_on, withdrawn_on));
    }
    council_area::meetings(conn, offices, period)?
        .into_iter()
        .map(|m| {
            let office = org_id(&m.office_org_id)?;
            let held_at = utc(m.held_at);
            let day = date_in_tokyo(held_at);
            let mut present = vec![office];
            present.extend(partners.remove(&m.id).unwrap_or_default());
            let shared_clients = shared
                .remove(&m.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(client, given_on, withdrawn_on)| {
                    Ok(SharedClient {
                        client_id: ClientId::from_db(&client).map_err(ApiError::internal)?,
                        consented: consent_covers(given_on, withdrawn_on, day),
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let categories = categories(&m.issue_categories)?;
            Ok(MeetingFact {
                office_id: office,
                meeting: Meeting {
                    id: MeetingId::from_db(&m.id).map_err(ApiError::internal)?,
                    held_at,
                    present_org_ids: present,
                    has_minutes: m.minutes_version > 0,
                    shared_clients,
                    issues_count: u32::try_from(categories.len()).unwrap_or(u32::MAX),
                },
                categories,
                note: m.issues_note,
            })
        })
        .collect()
}

/// The clients discussed in the period whose consent lets the report name them.
fn named_in(meetings: &[MeetingFact], consents: &HashMap<String, String>) -> Vec<NamingConsent> {
    let mut out: Vec<NamingConsent> = Vec::new();
    for c in meetings.iter().flat_map(|m| &m.meeting.shared_clients) {
        let id = c.client_id.to_string();
        if let Some(consent) = consents.get(&id)
            && !out.iter().any(|n| n.client_id == id)
        {
            out.push(NamingConsent {
                client_id: id,
                consent_id: consent.clone(),
            });
        }
    }
    out
}

/// Writes what an export must leave behind, before the document leaves the service:
/// the audit entry of the export, and for each named client an audit entry and a
/// provision to the council (kept three years).
pub fn record_export(
    conn: &mut DbConn,
    caller: &Caller,
    report: &CouncilReport,
    format: &str,
    named: &[NamingConsent],
) -> ApiResult<()> {
    let council = report.council.id.to_string();
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action: "export",
            object_type: "council_meeting_report",
            object_id: Some(council.clone()),
            outcome: "ok",
            detail: serde_json::json!({
                "from": report.from, "to": report.to, "format": format,
                "offices": report.summary.offices, "clients_named": named.len(),
            }),
        },
    )?;
    let now = db::now();
    for n in named {
        audit::write(
            conn,
            audit::Entry {
                actor: Some(caller),
                action: "council_report",
                object_type: "client",
                object_id: Some(n.client_id.clone()),
                outcome: "ok",
                detail: serde_json::json!({ "items": "name", "council_id": council }),
            },
        )?;
        clients::log_provision(
            conn,
            &ProvisionRow {
                id: db::new_id(),
                client_id: n.client_id.clone(),
                recipient_org_id: council.clone(),
                consent_id: n.consent_id.clone(),
                purpose: "council_reports".into(),
                items: "council_report_name".into(),
                provided_at: now,
                provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                keep_until: keep_provision_until(date_in_tokyo(utc(now))),
            },
        )?;
    }
    Ok(())
}

fn org_id(s: &str) -> ApiResult<OrganizationId> {
    OrganizationId::from_db(s).map_err(ApiError::internal)
}

fn json<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

fn categories(s: &str) -> ApiResult<Vec<IssueCategory>> {
    let names: Vec<String> = json(s)?;
    names
        .iter()
        .map(|n| IssueCategory::parse(n).map_err(ApiError::internal))
        .collect()
}

fn text_enum<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(ApiError::internal)
}
