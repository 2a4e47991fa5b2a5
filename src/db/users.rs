//! Queries on `users`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::users;
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub organization_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub is_active: bool,
    pub last_login_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
    pub password_hash: Option<String>,
}

pub fn insert(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConn,
    organization_id: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Vec<User>> {
    let mut q = users::table
        .select(User::as_select())
        .order(users::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(org) = organization_id {
        q = q.filter(users::organization_id.eq(org.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(users::id.gt(after.clone()));
    }
    q.load(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected_version: i32,
    changes: &UserChanges,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        changes,
        users::version.eq(expected_version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn record_login(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn active_admins_of(conn: &mut DbConn, organization_id: &str) -> QueryResult<i64> {
    users::table
        .filter(users::organization_id.eq(organization_id))
        .filter(users::role.eq("admin"))
        .filter(users::is_active.eq(true))
        .count()
        .get_result(conn)
}
