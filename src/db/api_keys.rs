//! Queries on `api_keys`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::api_keys;
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub role: String,
    pub prefix: String,
    pub secret_hash: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl ApiKey {
    pub fn is_usable(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

pub fn insert(conn: &mut DbConn, key: &ApiKey) -> QueryResult<()> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<ApiKey> {
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
}

pub fn find_by_prefix(conn: &mut DbConn, prefix: &str) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConn,
    organization_id: &str,
    page: &PageRequest,
) -> QueryResult<Vec<ApiKey>> {
    let mut q = api_keys::table
        .filter(api_keys::organization_id.eq(organization_id.to_owned()))
        .select(ApiKey::as_select())
        .order(api_keys::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = &page.after {
        q = q.filter(api_keys::id.gt(after.clone()));
    }
    q.load(conn)
}

pub fn revoke(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(now)))
    .execute(conn)
    .map(|_| ())
}

pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::last_used_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}
