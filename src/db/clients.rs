//! Queries on `clients`, `client_services`, `client_needs`, `consents` and
//! `provision_log`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{client_needs, client_services, clients, consents, provision_log};
use super::{DbConn, first_of};
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
pub struct ClientRow {
    pub id: String,
    pub office_org_id: String,
    pub display_code: String,
    pub name: String,
    pub name_kana: Option<String>,
    pub date_of_birth: NaiveDate,
    pub categories: i32,
    pub current_place: String,
    pub current_place_note: Option<String>,
    pub target_move_date: Option<NaiveDate>,
    pub responsible_user_id: Option<String>,
    pub status: String,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_services)]
pub struct ServiceRow {
    pub id: String,
    pub client_id: String,
    pub service: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = client_needs, treat_none_as_null = true)]
pub struct NeedsRow {
    pub client_id: String,
    pub max_monthly_total: i32,
    pub housing_allowance_limit: Option<i32>,
    /// JSON array of six-digit municipality codes.
    pub municipalities: String,
    pub around_lat: Option<f64>,
    pub around_lon: Option<f64>,
    pub around_radius_m: Option<i32>,
    /// JSON array of places that matter.
    pub places: String,
    pub accessibility_musts: i32,
    pub min_area_m2: Option<f64>,
    /// JSON array of layout names.
    pub preferred_layouts: String,
    pub needs_pets: bool,
    pub ground_floor_or_elevator: bool,
    pub own_words: Option<String>,
    pub version: i32,
    pub updated_at: NaiveDateTime,
    pub updated_by_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub id: String,
    pub client_id: String,
    pub purpose: String,
    pub recipient_org_id: Option<String>,
    pub sheet_section: Option<String>,
    pub method: String,
    pub given_on: NaiveDate,
    pub recorded_by_user_id: String,
    pub recorded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by_user_id: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = provision_log)]
pub struct ProvisionRow {
    pub id: String,
    pub client_id: String,
    pub recipient_org_id: String,
    pub consent_id: String,
    pub purpose: String,
    pub items: String,
    pub provided_at: NaiveDateTime,
    pub provided_by_user_id: Option<String>,
    pub keep_until: NaiveDate,
}

pub fn insert(conn: &mut DbConn, row: &ClientRow) -> QueryResult<()> {
    diesel::insert_into(clients::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<ClientRow> {
    // Without `LIMIT`, so that SQLite keeps the statement prepared (`first_of`).
    first_of(
        clients::table
            .find(id)
            .filter(clients::deleted_at.is_null())
            .select(ClientRow::as_select())
            .load(conn),
    )?
    .ok_or(diesel::result::Error::NotFound)
}

pub fn replace(conn: &mut DbConn, row: &ClientRow, expected_version: i32) -> QueryResult<bool> {
    let n = diesel::update(
        clients::table
            .filter(clients::id.eq(&row.id))
            .filter(clients::version.eq(expected_version))
            .filter(clients::deleted_at.is_null()),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

pub fn display_code_taken(
    conn: &mut DbConn,
    office: &str,
    code: &str,
    except: Option<&str>,
) -> QueryResult<bool> {
    let mut q = clients::table
        .filter(clients::office_org_id.eq(office))
        .filter(clients::display_code.eq(code))
        .filter(clients::deleted_at.is_null())
        .select(clients::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(clients::id.ne(id.to_owned()));
    }
    Ok(q.first::<String>(conn).optional()?.is_some())
}

/// Live clients of one office, or those whose data a 居住支援法人 may see by consent;
/// only those in `status` when given (filtered here, so pages stay whole).
pub fn list(
    conn: &mut DbConn,
    office: Option<&str>,
    ids: Option<&[String]>,
    status: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Vec<ClientRow>> {
    let mut q = clients::table
        .filter(clients::deleted_at.is_null())
        .select(ClientRow::as_select())
        .order(clients::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(o) = office {
        q = q.filter(clients::office_org_id.eq(o.to_owned()));
    }
    if let Some(ids) = ids {
        q = q.filter(clients::id.eq_any(ids.to_vec()));
    }
    if let Some(s) = status {
        q = q.filter(clients::status.eq(s.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(clients::id.gt(after.clone()));
    }
    q.load(conn)
}

pub fn services_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Vec<ServiceRow>> {
    client_services::table
        .filter(client_services::client_id.eq(client_id))
        .order(client_services::starts_on.asc())
        .select(ServiceRow::as_select())
        .load(conn)
}

/// Replaces the client's services with `rows`.
pub fn set_services(conn: &mut DbConn, client_id: &str, rows: &[ServiceRow]) -> QueryResult<()> {
    diesel::delete(client_services::table.filter(client_services::client_id.eq(client_id)))
        .execute(conn)?;
    for r in rows {
        diesel::insert_into(client_services::table)
            .values(r)
            .execute(conn)?;
    }
    Ok(())
}

pub fn needs_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<NeedsRow>> {
    first_of(
        client_needs::table
            .find(client_id)
            .select(NeedsRow::as_select())
            .load(conn),
    )
}

/// Stores the needs: insert the first time, then only over `expected_version`.
pub fn put_needs(
    conn: &mut DbConn,
    row: &NeedsRow,
    expected_version: Option<i32>,
) -> QueryResult<bool> {
    match expected_version {
        None => diesel::insert_into(client_needs::table)
            .values(row)
            .execute(conn)
            .map(|_| true),
        Some(v) => diesel::update(
            client_needs::table
                .filter(client_needs::client_id.eq(&row.client_id))
                .filter(client_needs::version.eq(v)),
        )
        .set(row)
        .execute(conn)
        .map(|n| n == 1),
    }
}

pub fn insert_consent(conn: &mut DbConn, row: &ConsentRow) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn consents_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Vec<ConsentRow>> {
    consents::table
        .filter(consents::client_id.eq(client_id))
        .order(consents::id.asc())
        .select(ConsentRow::as_select())
        .load(conn)
}

pub fn find_consent(conn: &mut DbConn, client_id: &str, id: &str) -> QueryResult<ConsentRow> {
    consents::table
        .filter(consents::client_id.eq(client_id))
        .filter(consents::id.eq(id))
        .select(ConsentRow::as_select())
        .first(conn)
}

pub fn withdraw_consent(
    conn: &mut DbConn,
    id: &str,
    by: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        consents::table
            .filter(consents::id.eq(id))
            .filter(consents::withdrawn_at.is_null()),
    )
    .set((
        consents::withdrawn_at.eq(Some(at)),
        consents::withdrawn_by_user_id.eq(by.map(str::to_owned)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The active consent for `purpose` given to `recipient` (or to anyone), the latest
/// recorded first. A client has a few consents at most, so all the active ones are read
/// (without `LIMIT`, see `first_of`).
pub fn active_consent(
    conn: &mut DbConn,
    client_id: &str,
    purpose: &str,
    recipient: Option<&str>,
) -> QueryResult<Option<ConsentRow>> {
    let mut q = consents::table
        .filter(consents::client_id.eq(client_id))
        .filter(consents::purpose.eq(purpose))
        .filter(consents::withdrawn_at.is_null())
        .select(ConsentRow::as_select())
        .order(consents::recorded_at.desc())
        .into_boxed();
    if let Some(r) = recipient {
        q = q.filter(consents::recipient_org_id.eq(r.to_owned()));
    }
    first_of(q.load(conn))
}

/// Ids of clients an organisation may see by an active `share_with_corp` consent.
pub fn shared_with(conn: &mut DbConn, org: &str) -> QueryResult<Vec<String>> {
    consents::table
        .filter(consents::purpose.eq("share_with_corp"))
        .filter(consents::recipient_org_id.eq(org))
        .filter(consents::withdrawn_at.is_null())
        .select(consents::client_id)
        .distinct()
        .load(conn)
}

pub fn log_provision(conn: &mut DbConn, row: &ProvisionRow) -> QueryResult<()> {
    diesel::insert_into(provision_log::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn provisions_of(conn: &mut DbConn, client_id: &str) -> QueryResult<Vec<ProvisionRow>> {
    provision_log::table
        .filter(provision_log::client_id.eq(client_id))
        .order(provision_log::provided_at.asc())
        .select(ProvisionRow::as_select())
        .load(conn)
}

/// How many clients the office has (not deleted).
pub fn count_of_office(conn: &mut DbConn, office: &str) -> QueryResult<i64> {
    clients::table
        .filter(clients::office_org_id.eq(office))
        .filter(clients::deleted_at.is_null())
        .count()
        .get_result(conn)
}
