//! Queries on `portal_sessions`: one row per portal login, found by the SHA-256 of its
//! cookie token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::portal_sessions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = portal_sessions)]
pub struct SessionRow {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, s: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(portal_sessions::table)
        .values(s)
        .execute(conn)
        .map(|_| ())
}

/// The live session whose token hashes to `hash`.
pub fn find_live(
    conn: &mut DbConn,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    portal_sessions::table
        .filter(portal_sessions::token_hash.eq(hash))
        .filter(portal_sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// Slides an idle session's expiry forward (at most once a minute per session, so a
/// page view is not a write).
pub fn touch(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(portal_sessions::table.find(id))
        .set((
            portal_sessions::last_seen_at.eq(now),
            portal_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(portal_sessions::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Ends every session of a user (a password change or reset), except `keep`.
pub fn delete_for_user(conn: &mut DbConn, user_id: &str, keep: Option<&str>) -> QueryResult<usize> {
    let q = portal_sessions::table.filter(portal_sessions::user_id.eq(user_id));
    match keep {
        Some(k) => diesel::delete(q.filter(portal_sessions::id.ne(k))).execute(conn),
        None => diesel::delete(q).execute(conn),
    }
}

/// Drops sessions that have expired.
pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(portal_sessions::table.filter(portal_sessions::expires_at.le(now))).execute(conn)
}
