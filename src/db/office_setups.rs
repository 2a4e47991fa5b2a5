//! Queries on `office_setups`: one row per support office.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::office_setups;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = office_setups, treat_none_as_null = true)]
pub struct SetupRow {
    pub office_org_id: String,
    pub partner_org_id: String,
    pub partnership_since: NaiveDate,
    pub published_on: Option<NaiveDate>,
    pub notified_on: Option<NaiveDate>,
    /// JSON array of `ServiceType` names.
    pub services: String,
    pub version: i32,
    pub updated_at: NaiveDateTime,
    pub updated_by_user_id: Option<String>,
}

pub fn find(conn: &mut DbConn, office: &str) -> QueryResult<Option<SetupRow>> {
    office_setups::table
        .find(office)
        .select(SetupRow::as_select())
        .first(conn)
        .optional()
}

/// Stores the set-up: insert the first time, then only over `expected_version`.
pub fn put(conn: &mut DbConn, row: &SetupRow, expected_version: Option<i32>) -> QueryResult<bool> {
    match expected_version {
        None => diesel::insert_into(office_setups::table)
            .values(row)
            .execute(conn)
            .map(|_| true),
        Some(v) => diesel::update(
            office_setups::table
                .filter(office_setups::office_org_id.eq(&row.office_org_id))
                .filter(office_setups::version.eq(v)),
        )
        .set(row)
        .execute(conn)
        .map(|n| n == 1),
    }
}
