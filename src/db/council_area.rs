//! Queries behind a council's meeting report: the support offices of its area and, for
//! all of them at once, their set-ups, meetings, refusals and clients. Each function is
//! one statement whatever the number of offices, so a report costs the same handful of
//! round trips for 2 offices or 200.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::council::ReportRow;
use super::office_setups::SetupRow;
use super::schema::{
    clients, consents, council_reports, inquiries, inquiry_events, meeting_clients,
    meeting_partners, meetings, office_setups, organizations,
};

/// The council's area: its municipality, or its prefecture when it has no municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Area {
    Municipality(String),
    Prefecture(String),
    None,
}

/// Support offices of the area, `(id, name)`, also inactive ones (their past meetings
/// still belong to the period).
pub fn offices(conn: &mut DbConn, area: &Area) -> QueryResult<Vec<(String, String)>> {
    let q = organizations::table
        .filter(organizations::kind.eq("support_office"))
        .select((organizations::id, organizations::name))
        .order(organizations::id.asc())
        .into_boxed();
    match area {
        Area::Municipality(m) => q.filter(organizations::municipality_code.eq(m.clone())),
        Area::Prefecture(p) => q.filter(organizations::prefecture_code.eq(p.clone())),
        Area::None => return Ok(Vec::new()),
    }
    .load(conn)
}

/// The offices' set-ups, each with its partner's kind of organisation.
pub fn setups(conn: &mut DbConn, offices: &[String]) -> QueryResult<Vec<(SetupRow, String)>> {
    office_setups::table
        .inner_join(organizations::table.on(organizations::id.eq(office_setups::partner_org_id)))
        .filter(office_setups::office_org_id.eq_any(offices))
        .select((SetupRow::as_select(), organizations::kind))
        .load(conn)
}

/// What the report needs of a meeting.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingFacts {
    pub id: String,
    pub office_org_id: String,
    pub held_at: NaiveDateTime,
    pub minutes_version: i32,
    /// JSON array of `IssueCategory` names.
    pub issue_categories: String,
    pub issues_note: Option<String>,
}

/// The period of a report: `[start, end)` in UTC, and the same as Tokyo days
/// (`held_on` is the Tokyo day of `held_at`; filtering on both lets the office/day index
/// narrow the rows while the instant stays the truth).
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

/// Meetings of the offices held in the period.
pub fn meetings(
    conn: &mut DbConn,
    offices: &[String],
    p: Period,
) -> QueryResult<Vec<MeetingFacts>> {
    meetings::table
        .filter(meetings::office_org_id.eq_any(offices))
        .filter(meetings::held_on.between(p.first_day, p.last_day))
        .filter(meetings::held_at.ge(p.start))
        .filter(meetings::held_at.lt(p.end))
        .order(meetings::id.asc())
        .select(MeetingFacts::as_select())
        .load(conn)
}

/// `(meeting id, partner org id)` of the same meetings.
pub fn partners(
    conn: &mut DbConn,
    offices: &[String],
    p: Period,
) -> QueryResult<Vec<(String, String)>> {
    meeting_partners::table
        .inner_join(meetings::table)
        .filter(meetings::office_org_id.eq_any(offices))
        .filter(meetings::held_on.between(p.first_day, p.last_day))
        .filter(meetings::held_at.ge(p.start))
        .filter(meetings::held_at.lt(p.end))
        .select((
            meeting_partners::meeting_id,
            meeting_partners::partner_org_id,
        ))
        .load(conn)
}

/// A client shared at one of the meetings, with the discuss_at_meetings consent it was
/// shared under (given on, withdrawn at).
pub type SharedRow = (String, String, NaiveDate, Option<NaiveDateTime>);

pub fn shared(conn: &mut DbConn, offices: &[String], p: Period) -> QueryResult<Vec<SharedRow>> {
    meeting_clients::table
        .inner_join(meetings::table)
        .inner_join(consents::table.on(consents::id.eq(meeting_clients::consent_id)))
        .filter(meetings::office_org_id.eq_any(offices))
        .filter(meetings::held_on.between(p.first_day, p.last_day))
        .filter(meetings::held_at.ge(p.start))
        .filter(meetings::held_at.lt(p.end))
        .select((
            meeting_clients::meeting_id,
            meeting_clients::client_id,
            consents::given_on,
            consents::withdrawn_at,
        ))
        .load(conn)
}

/// The landlord's reason of each refusal in the period of the offices' inquiries.
pub fn decline_reasons(
    conn: &mut DbConn,
    offices: &[String],
    p: Period,
) -> QueryResult<Vec<Option<String>>> {
    inquiry_events::table
        .inner_join(inquiries::table)
        .filter(inquiries::office_org_id.eq_any(offices))
        .filter(inquiry_events::to_status.eq("declined"))
        .filter(inquiry_events::at.ge(p.start))
        .filter(inquiry_events::at.lt(p.end))
        .select(inquiries::decline_reason)
        .load(conn)
}

/// Reports submitted to the council on the Tokyo days `from..=to`, with the office's name.
pub fn reports_received(
    conn: &mut DbConn,
    council: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(ReportRow, String)>> {
    council_reports::table
        .inner_join(organizations::table.on(organizations::id.eq(council_reports::office_org_id)))
        .filter(council_reports::council_org_id.eq(council))
        .filter(council_reports::status.eq("submitted"))
        .filter(council_reports::submitted_on.ge(from))
        .filter(council_reports::submitted_on.le(to))
        .order(council_reports::submitted_on.asc())
        .select((ReportRow::as_select(), organizations::name))
        .load(conn)
}

/// A client: `(id, office, name, reading)`.
pub type ClientNameRow = (String, String, String, Option<String>);

/// Every client of the offices, removed ones too.
pub fn clients(conn: &mut DbConn, offices: &[String]) -> QueryResult<Vec<ClientNameRow>> {
    clients::table
        .filter(clients::office_org_id.eq_any(offices))
        .select((
            clients::id,
            clients::office_org_id,
            clients::name,
            clients::name_kana,
        ))
        .load(conn)
}

/// The offices' clients' `council_reports` consents not withdrawn:
/// `(consent id, client id, given on)`.
pub fn naming_consents(
    conn: &mut DbConn,
    offices: &[String],
) -> QueryResult<Vec<(String, String, NaiveDate)>> {
    consents::table
        .inner_join(clients::table)
        .filter(clients::office_org_id.eq_any(offices))
        .filter(consents::purpose.eq("council_reports"))
        .filter(consents::withdrawn_at.is_null())
        .select((consents::id, consents::client_id, consents::given_on))
        .load(conn)
}
