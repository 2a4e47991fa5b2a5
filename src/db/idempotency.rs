//! The stored side of idempotency keys: claiming a key, marking it committed inside the
//! request's own write transaction, keeping the answer, and letting a key go.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::idempotency_keys as ik;
use super::{Db, DbConn};
use crate::domain::idempotency::{Stage, Verdict, judge};
use crate::error::ApiResult;

/// The key a running request holds; [`mark_committed`] records its write.
#[derive(Debug)]
pub struct Held {
    pub id: String,
    committed: AtomicBool,
}

tokio::task_local! {
    static HELD: Arc<Held>;
}

/// Runs a request's handler knowing that it holds the key `held`, so that its write
/// transaction marks the key committed ([`held`]).
pub async fn holding<F: Future>(held: Arc<Held>, f: F) -> F::Output {
    HELD.scope(held, f).await
}

/// The key the current request holds, if any (read on the request's task, before the
/// database work moves to a blocking thread).
pub fn held() -> Option<Arc<Held>> {
    HELD.try_with(Arc::clone).ok()
}

/// Inside the request's write transaction: if the transaction commits, so does this.
pub fn mark_committed(conn: &mut DbConn, held: &Held) -> QueryResult<()> {
    if held.committed.load(Ordering::Relaxed) {
        return Ok(());
    }
    diesel::update(ik::table.find(&held.id))
        .set(ik::state.eq(Stage::Committed.as_str()))
        .execute(conn)?;
    held.committed.store(true, Ordering::Relaxed);
    Ok(())
}

/// A stored answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// (name, value) pairs: content type, location, ETag.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub enum Claim {
    /// This request holds the key now.
    Held(Arc<Held>),
    Replay(Answer),
    Refused(Verdict),
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ik)]
struct Row {
    id: String,
    fingerprint: String,
    state: String,
    response_status: Option<i32>,
    response_headers: Option<String>,
    response_body: Option<Vec<u8>>,
    created_at: NaiveDateTime,
}

/// Claims `key` for `principal`'s request, or says what an earlier request with it
/// decides.
pub async fn claim(
    db: &Db,
    principal: String,
    key: String,
    fingerprint: String,
    ttl: Duration,
) -> ApiResult<Claim> {
    // Two requests with one key may race to insert it: the loser reads the winner's row.
    for _ in 0..2 {
        let (p, k, f) = (principal.clone(), key.clone(), fingerprint.clone());
        match db
            .transaction(move |c| Ok(try_claim(c, &p, &k, &f, ttl)?))
            .await
        {
            Err(crate::error::ApiError::Conflict(_)) => continue,
            other => return other,
        }
    }
    Ok(Claim::Refused(Verdict::StillRunning))
}

fn try_claim(
    conn: &mut DbConn,
    principal: &str,
    key: &str,
    fingerprint: &str,
    ttl: Duration,
) -> QueryResult<Claim> {
    let now = super::now();
    let existing: Option<Row> = super::first_of(
        ik::table
            .filter(ik::principal.eq(principal))
            .filter(ik::key.eq(key))
            .select(Row::as_select())
            .load(conn),
    )?;
    let held = |id: String| {
        Claim::Held(Arc::new(Held {
            id,
            committed: AtomicBool::new(false),
        }))
    };
    let Some(row) = existing else {
        let id = super::new_id();
        diesel::insert_into(ik::table)
            .values((
                ik::id.eq(&id),
                ik::principal.eq(principal),
                ik::key.eq(key),
                ik::fingerprint.eq(fingerprint),
                ik::state.eq(Stage::InProgress.as_str()),
                ik::created_at.eq(now),
                ik::expires_at.eq(now + ttl),
            ))
            .execute(conn)?;
        return Ok(held(id));
    };
    let stage = Stage::parse(&row.state).unwrap_or(Stage::InProgress);
    Ok(
        match judge(stage, &row.fingerprint, fingerprint, row.created_at, now) {
            Verdict::Replay => Claim::Replay(Answer {
                status: row
                    .response_status
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(500),
                headers: row
                    .response_headers
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
                body: row.response_body.unwrap_or_default(),
            }),
            Verdict::TakeOver => {
                diesel::update(ik::table.find(&row.id))
                    .set((ik::created_at.eq(now), ik::expires_at.eq(now + ttl)))
                    .execute(conn)?;
                held(row.id)
            }
            refused => Claim::Refused(refused),
        },
    )
}

/// Keeps the answer for retries.
pub async fn store(db: &Db, id: String, answer: Answer) -> ApiResult<()> {
    let headers = serde_json::to_string(&answer.headers).unwrap_or_else(|_| "[]".into());
    db.transaction(move |c| {
        diesel::update(ik::table.find(&id))
            .set((
                ik::state.eq(Stage::Done.as_str()),
                ik::response_status.eq(i32::from(answer.status)),
                ik::response_headers.eq(headers),
                ik::response_body.eq(answer.body),
            ))
            .execute(c)?;
        Ok(())
    })
    .await
}

/// Lets the key go after an answer that is not kept (a 5xx, a 429), so that a retry
/// runs the request again — unless its write committed: then the key stays, and a
/// retry learns that the outcome is unknown rather than writing twice.
pub async fn release(db: &Db, id: String) -> ApiResult<()> {
    db.transaction(move |c| {
        diesel::delete(
            ik::table
                .filter(ik::id.eq(&id))
                .filter(ik::state.eq(Stage::InProgress.as_str())),
        )
        .execute(c)?;
        Ok(())
    })
    .await
}

/// Drops expired keys.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(ik::table.filter(ik::expires_at.lt(now))).execute(conn)
}
