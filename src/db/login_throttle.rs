//! Failed logins per e-mail address. After `max_failures` in a row the address is locked
//! for a period that doubles with each further failure (capped at one hour).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::login_throttle;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = login_throttle)]
pub struct Throttle {
    pub email: String,
    pub failures: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, email: &str) -> QueryResult<Option<Throttle>> {
    login_throttle::table
        .find(email)
        .select(Throttle::as_select())
        .first(conn)
        .optional()
}

/// Records one more failure and returns the lock, if the address is now locked.
pub fn record_failure(
    conn: &mut DbConn,
    email: &str,
    now: NaiveDateTime,
    max_failures: i32,
    base_lock_secs: i64,
) -> QueryResult<Option<NaiveDateTime>> {
    let failures = find(conn, email)?.map_or(0, |t| t.failures) + 1;
    let locked_until =
        crate::domain::user::lockout_until(failures, max_failures, base_lock_secs, now);
    let row = Throttle {
        email: email.to_owned(),
        failures,
        locked_until,
        updated_at: now,
    };
    // No ON CONFLICT through the multi-backend connection: delete then insert, inside
    // the caller's transaction.
    diesel::delete(login_throttle::table.find(email)).execute(conn)?;
    diesel::insert_into(login_throttle::table)
        .values(&row)
        .execute(conn)?;
    Ok(locked_until)
}

pub fn clear(conn: &mut DbConn, email: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(email))
        .execute(conn)
        .map(|_| ())
}
