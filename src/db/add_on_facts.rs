//! Reads what the add-on rules engine (`domain::add_on`) is told: the set-up of offices,
//! their meetings, joint guidance sessions and submitted reports over a span of months,
//! and the services their clients use. A handful of queries for any number of offices,
//! so a council's report over hundreds of offices costs no more round trips than one.
//!
//! Consents are judged as they stood on the day of each meeting or session: a consent
//! withdrawn later still covers what was shared before.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    client_services, clients, consents, council_report_sources, council_reports, guidance_sessions,
    meeting_clients, meeting_partners, meetings, office_setups, organizations,
};
use crate::domain::add_on::{
    ClientFacts, ClientService, CouncilReport, GuidanceSession, Meeting, OfficeFacts,
    OfficeRecords, Partner, PartnerAgreement, ReportMethod, SharedClient,
};
use crate::domain::client::ServiceType;
use crate::domain::ids::{ClientId, CouncilReportId, GuidanceSessionId, MeetingId, OrganizationId};
use crate::domain::month::Month;
use crate::domain::organization::OrgKind;
use crate::domain::time::tokyo;
use crate::error::{ApiError, ApiResult};

/// An office's set-up and records for the months asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeBook {
    pub facts: OfficeFacts,
    /// False when the office has not recorded its set-up: it provides no service as far
    /// as the rules can tell.
    pub setup_recorded: bool,
    pub records: OfficeRecords,
}

/// Days after a month's end in which a report about it may still be submitted; reports
/// this much past the span are read too, so the engine can judge the last month.
const REPORT_LOOKAHEAD_DAYS: u64 = 62;

fn id<T>(s: &str, parse: fn(&str) -> Result<T, uuid::Error>) -> ApiResult<T> {
    parse(s).map_err(ApiError::internal)
}

fn json_list(s: &str) -> ApiResult<Vec<String>> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

/// The offices' books for `from`..=`to` (Tokyo months), keyed by office id. Every office
/// asked for has a book.
pub fn books(
    conn: &mut DbConn,
    office_ids: &[String],
    from: Month,
    to: Month,
) -> ApiResult<HashMap<String, OfficeBook>> {
    let mut out: HashMap<String, OfficeBook> = HashMap::new();
    for o in office_ids {
        out.insert(
            o.clone(),
            OfficeBook {
                facts: OfficeFacts {
                    office_id: id(o, OrganizationId::from_db)?,
                    services: Vec::new(),
                    agreements: Vec::new(),
                    published_on: None,
                    notified_on: None,
                },
                setup_recorded: false,
                records: OfficeRecords::default(),
            },
        );
    }
    if office_ids.is_empty() {
        return Ok(out);
    }
    set_ups(conn, office_ids, &mut out)?;
    meetings_in(conn, office_ids, from, to, &mut out)?;
    sessions_in(conn, office_ids, from, to, &mut out)?;
    reports_in(conn, office_ids, from, to, &mut out)?;
    Ok(out)
}

fn set_ups(
    conn: &mut DbConn,
    office_ids: &[String],
    out: &mut HashMap<String, OfficeBook>,
) -> ApiResult<()> {
    type Row = (
        String,
        String,
        NaiveDate,
        Option<NaiveDate>,
        Option<NaiveDate>,
        String,
        String,
    );
    let rows: Vec<Row> = office_setups::table
        .inner_join(organizations::table.on(organizations::id.eq(office_setups::partner_org_id)))
        .filter(office_setups::office_org_id.eq_any(office_ids))
        .select((
            office_setups::office_org_id,
            office_setups::partner_org_id,
            office_setups::partnership_since,
            office_setups::published_on,
            office_setups::notified_on,
            office_setups::services,
            organizations::kind,
        ))
        .load(conn)?;
    for (office, partner, since, published, notified, services, kind) in rows {
        let Some(book) = out.get_mut(&office) else {
            continue;
        };
        book.setup_recorded = true;
        book.facts.services = json_list(&services)?
            .iter()
            .map(|s| ServiceType::parse(s).map_err(ApiError::internal))
            .collect::<ApiResult<_>>()?;
        book.facts.agreements = vec![PartnerAgreement {
            partner: Partner {
                org_id: id(&partner, OrganizationId::from_db)?,
                kind: OrgKind::parse(&kind).map_err(ApiError::internal)?,
            },
            since,
            until: None,
        }];
        book.facts.published_on = published;
        book.facts.notified_on = notified;
    }
    Ok(())
}

/// Whether a consent covered `day`, as it stood at `at`.
fn consent_covers(
    consent: Option<&(NaiveDate, Option<NaiveDateTime>)>,
    day: NaiveDate,
    at: NaiveDateTime,
) -> bool {
    consent.is_some_and(|(given, withdrawn)| *given <= day && withdrawn.is_none_or(|w| w > at))
}

fn consents_by_id(
    conn: &mut DbConn,
    ids: Vec<String>,
) -> ApiResult<HashMap<String, (NaiveDate, Option<NaiveDateTime>)>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(String, NaiveDate, Option<NaiveDateTime>)> = consents::table
            .filter(consents::id.eq_any(chunk))
            .select((consents::id, consents::given_on, consents::withdrawn_at))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(i, g, w)| (i, (g, w))));
    }
    Ok(out)
}

fn meetings_in(
    conn: &mut DbConn,
    office_ids: &[String],
    from: Month,
    to: Month,
    out: &mut HashMap<String, OfficeBook>,
) -> ApiResult<()> {
    type Row = (String, String, NaiveDateTime, NaiveDate, String, i32);
    let rows: Vec<Row> = meetings::table
        .filter(meetings::office_org_id.eq_any(office_ids))
        .filter(meetings::held_on.ge(from.first_day()))
        .filter(meetings::held_on.le(to.last_day()))
        .order(meetings::held_at.asc())
        .select((
            meetings::id,
            meetings::office_org_id,
            meetings::held_at,
            meetings::held_on,
            meetings::issue_categories,
            meetings::minutes_version,
        ))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut shared: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let links: Vec<(String, String, String)> = meeting_clients::table
            .filter(meeting_clients::meeting_id.eq_any(chunk))
            .select((
                meeting_clients::meeting_id,
                meeting_clients::client_id,
                meeting_clients::consent_id,
            ))
            .load(conn)?;
        for (m, c, k) in links {
            shared.entry(m).or_default().push((c, k));
        }
    }
    // The partners of a meeting are the organisations that took part with the office.
    let mut present: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let links: Vec<(String, String)> = meeting_partners::table
            .filter(meeting_partners::meeting_id.eq_any(chunk))
            .select((
                meeting_partners::meeting_id,
                meeting_partners::partner_org_id,
            ))
            .load(conn)?;
        for (m, p) in links {
            present.entry(m).or_default().push(p);
        }
    }
    let consent_ids = shared.values().flatten().map(|(_, k)| k.clone()).collect();
    let consents = consents_by_id(conn, consent_ids)?;
    for (mid, office, held_at, held_on, issues, minutes_version) in rows {
        let present = std::iter::once(office.as_str())
            .chain(present.get(&mid).into_iter().flatten().map(String::as_str))
            .map(|o| id(o, OrganizationId::from_db))
            .collect::<ApiResult<Vec<_>>>()?;
        let shared_clients = shared
            .remove(&mid)
            .unwrap_or_default()
            .into_iter()
            .map(|(c, k)| {
                Ok(SharedClient {
                    client_id: id(&c, ClientId::from_db)?,
                    consented: consent_covers(consents.get(&k), held_on, held_at),
                })
            })
            .collect::<ApiResult<_>>()?;
        if let Some(book) = out.get_mut(&office) {
            book.records.meetings.push(Meeting {
                id: id(&mid, MeetingId::from_db)?,
                held_at: held_at.and_utc(),
                present_org_ids: present,
                has_minutes: minutes_version > 0,
                shared_clients,
                issues_count: u32::try_from(json_list(&issues)?.len()).unwrap_or(u32::MAX),
            });
        }
    }
    Ok(())
}

fn sessions_in(
    conn: &mut DbConn,
    office_ids: &[String],
    from: Month,
    to: Month,
    out: &mut HashMap<String, OfficeBook>,
) -> ApiResult<()> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        NaiveDate,
        String,
        String,
    );
    let rows: Vec<Row> = guidance_sessions::table
        .inner_join(organizations::table.on(organizations::id.eq(guidance_sessions::corp_org_id)))
        .filter(guidance_sessions::office_org_id.eq_any(office_ids))
        .filter(guidance_sessions::held_on.ge(from.first_day()))
        .filter(guidance_sessions::held_on.le(to.last_day()))
        .order(guidance_sessions::held_on.asc())
        .select((
            guidance_sessions::id,
            guidance_sessions::office_org_id,
            guidance_sessions::corp_org_id,
            guidance_sessions::client_id,
            guidance_sessions::consent_id,
            guidance_sessions::held_on,
            guidance_sessions::explained,
            organizations::kind,
        ))
        .load(conn)?;
    let consents = consents_by_id(conn, rows.iter().map(|r| r.4.clone()).collect())?;
    for (sid, office, corp, client, consent, held_on, explained, kind) in rows {
        // A session is dated on paper; noon in Tokyo places it in its day whatever the zone.
        let held_at = held_on
            .and_hms_opt(12, 0, 0)
            .and_then(|t| t.and_local_timezone(tokyo()).single())
            .map(|t| t.naive_utc())
            .unwrap_or_else(|| held_on.and_time(chrono::NaiveTime::MIN));
        let session = GuidanceSession {
            id: id(&sid, GuidanceSessionId::from_db)?,
            client_id: id(&client, ClientId::from_db)?,
            held_at: held_at.and_utc(),
            partners_present: vec![Partner {
                org_id: id(&corp, OrganizationId::from_db)?,
                kind: OrgKind::parse(&kind).map_err(ApiError::internal)?,
            }],
            client_consented: consent_covers(consents.get(&consent), held_on, held_at),
            // What was explained is one free text; empty means nothing was.
            explained_items: Some(explained.trim().to_owned())
                .filter(|t| !t.is_empty())
                .into_iter()
                .collect(),
        };
        if let Some(book) = out.get_mut(&office) {
            book.records.sessions.push(session);
        }
    }
    Ok(())
}

fn reports_in(
    conn: &mut DbConn,
    office_ids: &[String],
    from: Month,
    to: Month,
    out: &mut HashMap<String, OfficeBook>,
) -> ApiResult<()> {
    let until = to
        .last_day()
        .checked_add_days(chrono::Days::new(REPORT_LOOKAHEAD_DAYS))
        .unwrap_or(to.last_day());
    let rows: Vec<(String, String, Option<NaiveDate>, String)> = council_reports::table
        .filter(council_reports::office_org_id.eq_any(office_ids))
        .filter(council_reports::status.eq("submitted"))
        .filter(council_reports::submitted_on.ge(from.first_day()))
        .filter(council_reports::submitted_on.le(until))
        .order(council_reports::submitted_on.asc())
        .select((
            council_reports::id,
            council_reports::office_org_id,
            council_reports::submitted_on,
            council_reports::issue_categories,
        ))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut sources: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let links: Vec<(String, Option<String>)> = council_report_sources::table
            .filter(council_report_sources::report_id.eq_any(chunk))
            .select((
                council_report_sources::report_id,
                council_report_sources::guidance_session_id,
            ))
            .load(conn)?;
        for (r, s) in links {
            if let Some(s) = s {
                sources.entry(r).or_default().push(s);
            }
        }
    }
    for (rid, office, submitted_on, issues) in rows {
        let Some(submitted_on) = submitted_on else {
            continue;
        };
        let report = CouncilReport {
            id: id(&rid, CouncilReportId::from_db)?,
            submitted_on,
            // Reports here are written documents addressed to the council.
            method: ReportMethod::Written,
            session_ids: sources
                .remove(&rid)
                .unwrap_or_default()
                .iter()
                .map(|s| id(s, GuidanceSessionId::from_db))
                .collect::<ApiResult<_>>()?,
            issues_count: u32::try_from(json_list(&issues)?.len()).unwrap_or(u32::MAX),
        };
        if let Some(book) = out.get_mut(&office) {
            book.records.reports.push(report);
        }
    }
    Ok(())
}

/// A client of the office, with the services it uses there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeClient {
    pub facts: ClientFacts,
    pub display_code: String,
}

/// The office's clients (not deleted) in display-code order, with their services.
pub fn clients_of(conn: &mut DbConn, office: &str) -> ApiResult<Vec<OfficeClient>> {
    let rows: Vec<(String, String)> = clients::table
        .filter(clients::office_org_id.eq(office))
        .filter(clients::deleted_at.is_null())
        .order(clients::display_code.asc())
        .select((clients::id, clients::display_code))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut services: HashMap<String, Vec<ClientService>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = client_services::table
            .filter(client_services::client_id.eq_any(chunk))
            .order(client_services::starts_on.asc())
            .select((
                client_services::client_id,
                client_services::service,
                client_services::starts_on,
                client_services::ends_on,
            ))
            .load(conn)?;
        for (c, s, starts_on, ends_on) in found {
            services.entry(c).or_default().push(ClientService {
                service: ServiceType::parse(&s).map_err(ApiError::internal)?,
                starts_on,
                ends_on,
            });
        }
    }
    rows.into_iter()
        .map(|(cid, display_code)| {
            Ok(OfficeClient {
                facts: ClientFacts {
                    client_id: id(&cid, ClientId::from_db)?,
                    services: services.remove(&cid).unwrap_or_default(),
                },
                display_code,
            })
        })
        .collect()
}

/// The months of `from`..=`to` the office has closed itself, as `YYYY-MM`.
pub fn closed_months(
    conn: &mut DbConn,
    office: &str,
    from: Month,
    to: Month,
) -> ApiResult<Vec<String>> {
    use super::schema::month_closures;
    Ok(month_closures::table
        .filter(month_closures::office_org_id.eq(office))
        .filter(month_closures::month.ge(from.to_string()))
        .filter(month_closures::month.le(to.to_string()))
        .select(month_closures::month)
        .load(conn)?)
}
