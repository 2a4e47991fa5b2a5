//! Queries on `guidance_sessions`, `council_reports` and `council_report_sources`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::clients::ClientRow;
use super::schema::{clients, council_report_sources, council_reports, guidance_sessions};
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = guidance_sessions)]
pub struct SessionRow {
    pub id: String,
    pub office_org_id: String,
    pub corp_org_id: String,
    pub client_id: String,
    pub consent_id: String,
    pub held_on: NaiveDate,
    pub explained: String,
    pub created_at: NaiveDateTime,
    pub created_by_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = council_reports, treat_none_as_null = true)]
pub struct ReportRow {
    pub id: String,
    pub office_org_id: String,
    pub council_org_id: String,
    pub title: String,
    /// JSON array of `IssueCategory` names.
    pub issue_categories: String,
    pub issues_text: String,
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    pub submitted_at: Option<NaiveDateTime>,
    pub submitted_by_user_id: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub created_by_user_id: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// Whose sessions or reports a list shows.
pub enum Scope {
    /// The office that made them.
    Office(String),
    /// The 居住支援法人 of a session, or the council a submitted report is addressed to.
    Recipient(String),
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(guidance_sessions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_session(conn: &mut DbConn, id: &str) -> QueryResult<SessionRow> {
    guidance_sessions::table
        .find(id)
        .select(SessionRow::as_select())
        .first(conn)
}

/// The client of a session, even one removed from the office's lists since.
pub fn client_of_session(conn: &mut DbConn, client_id: &str) -> QueryResult<ClientRow> {
    clients::table
        .find(client_id)
        .select(ClientRow::as_select())
        .first(conn)
}

pub fn list_sessions(
    conn: &mut DbConn,
    scope: &Scope,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    page: &PageRequest,
) -> QueryResult<Vec<SessionRow>> {
    let mut q = guidance_sessions::table
        .select(SessionRow::as_select())
        .order(guidance_sessions::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    q = match scope {
        Scope::Office(o) => q.filter(guidance_sessions::office_org_id.eq(o.clone())),
        Scope::Recipient(c) => q.filter(guidance_sessions::corp_org_id.eq(c.clone())),
    };
    if let Some(f) = from {
        q = q.filter(guidance_sessions::held_on.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(guidance_sessions::held_on.le(t));
    }
    if let Some(after) = &page.after {
        q = q.filter(guidance_sessions::id.gt(after.clone()));
    }
    q.load(conn)
}

/// Sessions of an office by id, for a report's sources.
pub fn sessions_of_office(
    conn: &mut DbConn,
    office: &str,
    ids: &[String],
) -> QueryResult<Vec<String>> {
    guidance_sessions::table
        .filter(guidance_sessions::office_org_id.eq(office))
        .filter(guidance_sessions::id.eq_any(ids.to_vec()))
        .select(guidance_sessions::id)
        .load(conn)
}

pub fn insert_report(conn: &mut DbConn, row: &ReportRow) -> QueryResult<()> {
    diesel::insert_into(council_reports::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_report(conn: &mut DbConn, id: &str) -> QueryResult<ReportRow> {
    council_reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
}

/// Stores `row` over a draft of `expected_version`; false when it changed or was
/// submitted meanwhile.
pub fn replace_draft(
    conn: &mut DbConn,
    row: &ReportRow,
    expected_version: i32,
) -> QueryResult<bool> {
    let n = diesel::update(
        council_reports::table
            .filter(council_reports::id.eq(&row.id))
            .filter(council_reports::version.eq(expected_version))
            .filter(council_reports::status.eq("draft")),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// One page of reports created between `from` and `to`: an office's own, or the
/// submitted ones addressed to a council.
pub fn list_reports(
    conn: &mut DbConn,
    scope: &Scope,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
    page: &PageRequest,
) -> QueryResult<Vec<ReportRow>> {
    let mut q = council_reports::table
        .select(ReportRow::as_select())
        .order(council_reports::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    q = match scope {
        Scope::Office(o) => q.filter(council_reports::office_org_id.eq(o.clone())),
        Scope::Recipient(c) => q
            .filter(council_reports::council_org_id.eq(c.clone()))
            .filter(council_reports::status.eq("submitted")),
    };
    if let Some(f) = from {
        q = q.filter(council_reports::created_at.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(council_reports::created_at.lt(t));
    }
    if let Some(after) = &page.after {
        q = q.filter(council_reports::id.gt(after.clone()));
    }
    q.load(conn)
}

/// The meeting ids and the session ids a report comes from.
pub fn sources_of(conn: &mut DbConn, report_id: &str) -> QueryResult<(Vec<String>, Vec<String>)> {
    let rows: Vec<(Option<String>, Option<String>)> = council_report_sources::table
        .filter(council_report_sources::report_id.eq(report_id))
        .order(council_report_sources::id.asc())
        .select((
            council_report_sources::meeting_id,
            council_report_sources::guidance_session_id,
        ))
        .load(conn)?;
    let meetings = rows.iter().filter_map(|r| r.0.clone()).collect();
    let sessions = rows.iter().filter_map(|r| r.1.clone()).collect();
    Ok((meetings, sessions))
}

pub fn set_sources(
    conn: &mut DbConn,
    report_id: &str,
    meetings: &[String],
    sessions: &[String],
) -> QueryResult<()> {
    diesel::delete(
        council_report_sources::table.filter(council_report_sources::report_id.eq(report_id)),
    )
    .execute(conn)?;
    let rows = meetings
        .iter()
        .map(|m| (Some(m.clone()), None))
        .chain(sessions.iter().map(|s| (None, Some(s.clone()))));
    for (m, s) in rows {
        diesel::insert_into(council_report_sources::table)
            .values((
                council_report_sources::id.eq(super::new_id()),
                council_report_sources::report_id.eq(report_id),
                council_report_sources::meeting_id.eq(m),
                council_report_sources::guidance_session_id.eq(s),
            ))
            .execute(conn)?;
    }
    Ok(())
}
