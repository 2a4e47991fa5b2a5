//! Sealing, checking and trimming the audit log's hash chain (`domain::audit_chain`).
//!
//! Requests insert audit records unsealed, so writing one never waits on another
//! request. Every replica runs [`keep_sealing`]; one at a time (a row lock on
//! PostgreSQL, the writer lock on SQLite) it gives the unsealed records their place in
//! the one chain. The chain's order is the order of sealing, recorded in `seq`.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::AuditRecord;
use super::schema::{audit_chain, audit_log};
use super::{Db, DbConn};
use crate::domain::audit_chain::{self as chain, Break, Fields, Sealed, Walk};

/// Records sealed per transaction.
const SEAL_BATCH: i64 = 500;
/// Records read per page while verifying.
const VERIFY_PAGE: i64 = 5_000;
/// How often retention runs (on every replica; the lock makes it once).
const PURGE_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_chain)]
pub struct ChainState {
    pub head_seq: i64,
    pub head_hash: String,
    pub anchor_seq: i64,
    pub anchor_hash: String,
    pub updated_at: NaiveDateTime,
}

/// What `audit verify` found in an intact chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub checked: u64,
    pub anchor_seq: i64,
    pub head_seq: i64,
    pub head_hash: String,
    /// Records written but not sealed yet (a server seals them within a second).
    pub unsealed: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the audit chain is broken: {0}")]
    Broken(#[from] Break),
    #[error("a sealed record has no hash: record {0}")]
    Incomplete(String),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

fn fields(r: &AuditRecord) -> Fields<'_> {
    Fields {
        id: &r.id,
        occurred_at: r.occurred_at,
        actor_user_id: r.actor_user_id.as_deref(),
        actor_api_key_id: r.actor_api_key_id.as_deref(),
        actor_organization_id: r.actor_organization_id.as_deref(),
        action: &r.action,
        object_type: &r.object_type,
        object_id: r.object_id.as_deref(),
        outcome: &r.outcome,
        detail: &r.detail,
        request_id: r.request_id.as_deref(),
    }
}

pub fn state(conn: &mut DbConn) -> QueryResult<ChainState> {
    audit_chain::table
        .find(1i64)
        .select(ChainState::as_select())
        .first(conn)
}

/// Locks the chain's row for this transaction. On PostgreSQL `skip_if_busy` gives up at
/// once when another replica holds it (`false` back); SQLite's writer lock, taken by
/// [`Db::transaction`], already makes this the only writer.
fn lock(conn: &mut DbConn, skip_if_busy: bool) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        #[allow(dead_code)]
        id: i64,
    }
    match conn {
        DbConn::Postgres(pg) => {
            let sql = if skip_if_busy {
                "SELECT id FROM audit_chain WHERE id = 1 FOR UPDATE SKIP LOCKED"
            } else {
                "SELECT id FROM audit_chain WHERE id = 1 FOR UPDATE"
            };
            let rows: Vec<Locked> = diesel::sql_query(sql).load(pg)?;
            Ok(!rows.is_empty())
        }
        DbConn::Sqlite(_) => Ok(true),
    }
}

/// Seals up to one batch of unsealed records; call inside a transaction. Returns how
/// many it sealed (0 when there were none or another replica is sealing).
pub fn seal_batch(conn: &mut DbConn) -> QueryResult<usize> {
    if !lock(conn, true)? {
        return Ok(0);
    }
    let head = state(conn)?;
    let pending: Vec<AuditRecord> = audit_log::table
        .filter(audit_log::seq.is_null())
        .order(audit_log::id.asc())
        .limit(SEAL_BATCH)
        .select(AuditRecord::as_select())
        .load(conn)?;
    let (mut seq, mut prev) = (head.head_seq, head.head_hash);
    for r in &pending {
        seq += 1;
        let hash = chain::hash(seq, &prev, &fields(r));
        diesel::update(audit_log::table.find(&r.id))
            .set((
                audit_log::seq.eq(seq),
                audit_log::prev_hash.eq(&prev),
                audit_log::hash.eq(&hash),
            ))
            .execute(conn)?;
        prev = hash;
    }
    if !pending.is_empty() {
        diesel::update(audit_chain::table.find(1i64))
            .set((
                audit_chain::head_seq.eq(seq),
                audit_chain::head_hash.eq(&prev),
                audit_chain::updated_at.eq(super::now()),
            ))
            .execute(conn)?;
    }
    Ok(pending.len())
}

/// Seals every record written so far, a batch per transaction.
pub async fn seal_all(db: &Db) -> crate::error::ApiResult<usize> {
    let mut total = 0;
    loop {
        let n = db.transaction(|c| Ok(seal_batch(c)?)).await?;
        total += n;
        if n < SEAL_BATCH as usize {
            return Ok(total);
        }
    }
}

/// Walks the whole chain from its anchor to its head in one consistent snapshot.
pub fn verify(conn: &mut DbConn) -> Result<Report, VerifyError> {
    conn.transaction(|conn| {
        if let DbConn::Postgres(pg) = conn {
            // One snapshot for the head and every page, while servers go on sealing.
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(pg)?;
        }
        let st = state(conn)?;
        let mut walk = Walk::new(st.anchor_seq, &st.anchor_hash, st.head_seq);
        let mut after = st.anchor_seq;
        loop {
            let page: Vec<AuditRecord> = audit_log::table
                .filter(audit_log::seq.gt(after))
                .order(audit_log::seq.asc())
                .limit(VERIFY_PAGE)
                .select(AuditRecord::as_select())
                .load(conn)?;
            for r in &page {
                let (Some(seq), Some(prev_hash), Some(hash)) = (r.seq, &r.prev_hash, &r.hash)
                else {
                    return Err(VerifyError::Incomplete(r.id.clone()));
                };
                walk.push(&Sealed {
                    seq,
                    prev_hash,
                    hash,
                    fields: fields(r),
                })?;
                after = seq;
            }
            if (page.len() as i64) < VERIFY_PAGE {
                break;
            }
        }
        let unsealed: i64 = audit_log::table
            .filter(audit_log::seq.is_null())
            .count()
            .get_result(conn)?;
        let checked = walk.finish(&st.head_hash)?;
        Ok(Report {
            checked,
            anchor_seq: st.anchor_seq,
            head_seq: st.head_seq,
            head_hash: st.head_hash,
            unsealed,
        })
    })
}

/// Drops the sealed records before the first one at or after `cutoff` and moves the
/// anchor to the last one dropped; call inside a transaction. A record sealed out of
/// time order is kept until everything sealed before it is due, so nothing goes early.
pub fn purge_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    if !lock(conn, false)? {
        return Ok(0);
    }
    let st = state(conn)?;
    let first_kept: Option<i64> = audit_log::table
        .filter(audit_log::seq.is_not_null())
        .filter(audit_log::occurred_at.ge(cutoff))
        .select(diesel::dsl::min(audit_log::seq))
        .first(conn)?;
    let new_anchor = first_kept.map_or(st.head_seq, |s| s - 1);
    if new_anchor <= st.anchor_seq {
        return Ok(0);
    }
    let anchor_hash: Option<String> = audit_log::table
        .filter(audit_log::seq.eq(new_anchor))
        .select(audit_log::hash)
        .first(conn)?;
    diesel::update(audit_chain::table.find(1i64))
        .set((
            audit_chain::anchor_seq.eq(new_anchor),
            audit_chain::anchor_hash.eq(anchor_hash.unwrap_or_default()),
            audit_chain::updated_at.eq(super::now()),
        ))
        .execute(conn)?;
    diesel::delete(audit_log::table.filter(audit_log::seq.le(new_anchor))).execute(conn)
}

/// The sealer and the retention job of one replica.
pub async fn keep_sealing(db: Db, every: Duration, retention_days: i64) {
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_purge: Option<Instant> = None;
    loop {
        interval.tick().await;
        if let Err(e) = seal_all(&db).await {
            tracing::warn!(error = %e, "sealing the audit log failed; retrying");
        }
        if last_purge.is_none_or(|t| t.elapsed() >= PURGE_EVERY) {
            last_purge = Some(Instant::now());
            let cutoff = super::now() - chrono::Duration::days(retention_days);
            match db.transaction(move |c| Ok(purge_before(c, cutoff)?)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(records = n, "audit records past retention dropped"),
                Err(e) => tracing::warn!(error = %e, "audit retention failed; retrying"),
            }
        }
    }
}
