//! Queries on `meetings`, `meeting_partners`, `meeting_clients`, `meeting_minutes`,
//! `meeting_amendments` and `month_closures`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    clients, meeting_amendments, meeting_clients, meeting_minutes, meeting_partners, meetings,
    month_closures,
};
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = meetings, treat_none_as_null = true)]
pub struct MeetingRow {
    pub id: String,
    pub office_org_id: String,
    pub held_at: NaiveDateTime,
    pub held_on: NaiveDate,
    pub format: String,
    /// JSON array of attendees.
    pub attendees: String,
    pub agenda: Option<String>,
    /// JSON array of `IssueCategory` names.
    pub issue_categories: String,
    pub issues_note: Option<String>,
    /// The newest version of the minutes; 0 while there are none.
    pub minutes_version: i32,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub created_by_user_id: Option<String>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_clients)]
pub struct MeetingClientRow {
    pub id: String,
    pub meeting_id: String,
    pub client_id: String,
    pub consent_id: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_minutes)]
pub struct MinutesRow {
    pub id: String,
    pub meeting_id: String,
    pub version: i32,
    pub text: String,
    pub written_at: NaiveDateTime,
    pub written_by_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_amendments)]
pub struct AmendmentRow {
    pub id: String,
    pub meeting_id: String,
    /// JSON array of `MeetingField` names.
    pub fields: String,
    pub change: String,
    pub reason: String,
    pub made_at: NaiveDateTime,
    pub made_by_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = month_closures)]
pub struct ClosureRow {
    pub id: String,
    pub office_org_id: String,
    pub month: String,
    pub closed_at: NaiveDateTime,
    pub closed_by_user_id: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &MeetingRow) -> QueryResult<()> {
    diesel::insert_into(meetings::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<MeetingRow> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
}

/// Stores `row` over `expected_version`; false when someone changed it meanwhile.
pub fn replace(conn: &mut DbConn, row: &MeetingRow, expected_version: i32) -> QueryResult<bool> {
    let n = diesel::update(
        meetings::table
            .filter(meetings::id.eq(&row.id))
            .filter(meetings::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// Whose meetings a list shows.
pub enum Scope {
    /// An office's own.
    Office(String),
    /// Those a partner organisation attended.
    Partner(String),
}

/// One page of meetings, in id (creation) order, held between `from` and `to`.
pub fn list(
    conn: &mut DbConn,
    scope: &Scope,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    page: &PageRequest,
) -> QueryResult<Vec<MeetingRow>> {
    let mut q = meetings::table
        .select(MeetingRow::as_select())
        .order(meetings::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    q = match scope {
        Scope::Office(o) => q.filter(meetings::office_org_id.eq(o.clone())),
        Scope::Partner(p) => q.filter(
            meetings::id.eq_any(
                meeting_partners::table
                    .filter(meeting_partners::partner_org_id.eq(p.clone()))
                    .select(meeting_partners::meeting_id),
            ),
        ),
    };
    if let Some(f) = from {
        q = q.filter(meetings::held_on.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(meetings::held_on.le(t));
    }
    if let Some(after) = &page.after {
        q = q.filter(meetings::id.gt(after.clone()));
    }
    q.load(conn)
}

pub fn partners_of(conn: &mut DbConn, meeting_id: &str) -> QueryResult<Vec<String>> {
    meeting_partners::table
        .filter(meeting_partners::meeting_id.eq(meeting_id))
        .order(meeting_partners::id.asc())
        .select(meeting_partners::partner_org_id)
        .load(conn)
}

pub fn set_partners(conn: &mut DbConn, meeting_id: &str, partners: &[String]) -> QueryResult<()> {
    diesel::delete(meeting_partners::table.filter(meeting_partners::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    for p in partners {
        diesel::insert_into(meeting_partners::table)
            .values((
                meeting_partners::id.eq(super::new_id()),
                meeting_partners::meeting_id.eq(meeting_id),
                meeting_partners::partner_org_id.eq(p),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn clients_of(conn: &mut DbConn, meeting_id: &str) -> QueryResult<Vec<MeetingClientRow>> {
    meeting_clients::table
        .filter(meeting_clients::meeting_id.eq(meeting_id))
        .order(meeting_clients::id.asc())
        .select(MeetingClientRow::as_select())
        .load(conn)
}

/// The clients shared at a meeting with their pseudonyms (a client removed from the
/// office's lists since still shows by its pseudonym).
pub fn clients_with_codes(
    conn: &mut DbConn,
    meeting_id: &str,
) -> QueryResult<Vec<(MeetingClientRow, String)>> {
    meeting_clients::table
        .inner_join(clients::table)
        .filter(meeting_clients::meeting_id.eq(meeting_id))
        .order(meeting_clients::id.asc())
        .select((MeetingClientRow::as_select(), clients::display_code))
        .load(conn)
}

pub fn set_clients(
    conn: &mut DbConn,
    meeting_id: &str,
    rows: &[MeetingClientRow],
) -> QueryResult<()> {
    diesel::delete(meeting_clients::table.filter(meeting_clients::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    for r in rows {
        diesel::insert_into(meeting_clients::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_minutes(conn: &mut DbConn, row: &MinutesRow) -> QueryResult<()> {
    diesel::insert_into(meeting_minutes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Every version of the minutes, oldest first.
pub fn minutes_of(conn: &mut DbConn, meeting_id: &str) -> QueryResult<Vec<MinutesRow>> {
    meeting_minutes::table
        .filter(meeting_minutes::meeting_id.eq(meeting_id))
        .order(meeting_minutes::version.asc())
        .select(MinutesRow::as_select())
        .load(conn)
}

pub fn current_minutes(conn: &mut DbConn, m: &MeetingRow) -> QueryResult<Option<MinutesRow>> {
    meeting_minutes::table
        .filter(meeting_minutes::meeting_id.eq(&m.id))
        .filter(meeting_minutes::version.eq(m.minutes_version))
        .select(MinutesRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_amendment(conn: &mut DbConn, row: &AmendmentRow) -> QueryResult<()> {
    diesel::insert_into(meeting_amendments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn amendments_of(conn: &mut DbConn, meeting_id: &str) -> QueryResult<Vec<AmendmentRow>> {
    meeting_amendments::table
        .filter(meeting_amendments::meeting_id.eq(meeting_id))
        .order(meeting_amendments::id.asc())
        .select(AmendmentRow::as_select())
        .load(conn)
}

pub fn closure(conn: &mut DbConn, office: &str, month: &str) -> QueryResult<Option<ClosureRow>> {
    month_closures::table
        .filter(month_closures::office_org_id.eq(office))
        .filter(month_closures::month.eq(month))
        .select(ClosureRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_closure(conn: &mut DbConn, row: &ClosureRow) -> QueryResult<()> {
    diesel::insert_into(month_closures::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Meetings of an office by id, for a report's sources.
pub fn of_office(conn: &mut DbConn, office: &str, ids: &[String]) -> QueryResult<Vec<String>> {
    meetings::table
        .filter(meetings::office_org_id.eq(office))
        .filter(meetings::id.eq_any(ids.to_vec()))
        .select(meetings::id)
        .load(conn)
}
