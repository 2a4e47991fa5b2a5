//! Queries on `organizations`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::organizations;
use crate::auth::policy::Scope;
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub prefecture_code: Option<String>,
    pub municipality_code: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub is_active: bool,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = organizations)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub prefecture_code: Option<Option<String>>,
    pub municipality_code: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub is_active: Option<bool>,
}

pub fn insert(conn: &mut DbConn, org: &Organization) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(org)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
}

/// Locks an organisation's row until the transaction ends, so that checks across its
/// users ("is this the last admin?") cannot race. SQLite transactions already run one
/// at a time; on PostgreSQL this is `FOR NO KEY UPDATE` (inserts of users still pass).
pub fn lock(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        organizations::table
            .find(id)
            .select(organizations::id)
            .for_no_key_update()
            .first::<String>(pg)?;
    }
    Ok(())
}

pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    kind: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Vec<Organization>> {
    let mut q = organizations::table
        .select(Organization::as_select())
        .order(organizations::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Scope::Only(org) = scope {
        q = q.filter(organizations::id.eq(org.to_string()));
    }
    if let Some(kind) = kind {
        q = q.filter(organizations::kind.eq(kind.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(organizations::id.gt(after.clone()));
    }
    q.load(conn)
}

/// Applies `changes` only if the stored version is still `expected_version`: returns
/// false when someone else changed it first (the caller answers 412).
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected_version: i32,
    changes: &OrganizationChanges,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        organizations::table
            .filter(organizations::id.eq(id))
            .filter(organizations::version.eq(expected_version)),
    )
    .set((
        changes,
        organizations::version.eq(expected_version + 1),
        organizations::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}

/// Active organisations of one kind, by name (the choices of a form).
pub fn active_of_kind(conn: &mut DbConn, kind: &str) -> QueryResult<Vec<(String, String)>> {
    organizations::table
        .filter(organizations::kind.eq(kind))
        .filter(organizations::is_active.eq(true))
        .order(organizations::name.asc())
        .limit(500)
        .select((organizations::id, organizations::name))
        .load(conn)
}

/// The names of the organisations `ids`.
pub fn names_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organizations::table
        .filter(organizations::id.eq_any(ids))
        .select((organizations::id, organizations::name))
        .load(conn)
}
