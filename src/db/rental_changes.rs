//! The commit-ordered log of changes to rentals (see its migration): every write to
//! `rentals` records one row in the same transaction, and each replica's search index
//! polls the rows after the last it applied.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::rental_changes;
use super::{DbConn, now};

/// Serialises the last step of writing transactions on PostgreSQL so that sequence
/// order is commit order ("SUMAI2").
const COMMIT_ORDER_LOCK: i64 = 0x5355_4d41_4932;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rental_changes)]
pub struct Change {
    pub seq: i64,
    pub first_id: String,
    pub last_id: String,
}

/// Records that the rentals with ids in `first_id..=last_id` changed. On PostgreSQL
/// it takes a lock held until the transaction ends, so call it as late in the
/// transaction as the code allows: other writers wait for it from here to the commit.
pub fn record(conn: &mut DbConn, first_id: &str, last_id: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(COMMIT_ORDER_LOCK)
            .execute(pg)?;
    }
    diesel::insert_into(rental_changes::table)
        .values((
            rental_changes::first_id.eq(first_id),
            rental_changes::last_id.eq(last_id),
            rental_changes::changed_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Up to `limit` changes after `seq`, in commit order.
pub fn after(conn: &mut DbConn, seq: i64, limit: i64) -> QueryResult<Vec<Change>> {
    rental_changes::table
        .filter(rental_changes::seq.gt(seq))
        .order(rental_changes::seq.asc())
        .limit(limit)
        .select(Change::as_select())
        .load(conn)
}

/// The newest change's number, 0 when there is none.
pub fn newest(conn: &mut DbConn) -> QueryResult<i64> {
    rental_changes::table
        .select(diesel::dsl::max(rental_changes::seq))
        .first::<Option<i64>>(conn)
        .map(|s| s.unwrap_or(0))
}

/// Deletes the changes recorded before `before`; returns how many.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rental_changes::table.filter(rental_changes::changed_at.lt(before)))
        .execute(conn)
}
