//! Queries on `webhook_subscriptions` and `webhook_deliveries`, for the API and the
//! delivery worker (the outbox's own insert is in `notify::outbox`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{webhook_deliveries, webhook_subscriptions};
use crate::domain::page::PageRequest;

/// Why a delivery stops when its subscription is switched off.
pub const DEACTIVATED: &str = "subscription deactivated";

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct SubscriptionRow {
    pub id: String,
    pub org_id: String,
    pub url: String,
    /// The signing secret as shown to the organisation (`whsec_…`).
    pub secret: String,
    /// JSON array of event types, or `["*"]`.
    pub events: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub created_by_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub subscription_id: String,
    pub event_type: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub last_status_code: Option<i32>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert_subscription(conn: &mut DbConn, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_subscription(conn: &mut DbConn, id: &str) -> QueryResult<SubscriptionRow> {
    webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
}

/// An organisation's subscriptions, active and deactivated, oldest first.
pub fn list_subscriptions(
    conn: &mut DbConn,
    org_id: &str,
    page: &PageRequest,
) -> QueryResult<Vec<SubscriptionRow>> {
    let mut q = webhook_subscriptions::table
        .filter(webhook_subscriptions::org_id.eq(org_id.to_owned()))
        .select(SubscriptionRow::as_select())
        .order(webhook_subscriptions::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = &page.after {
        q = q.filter(webhook_subscriptions::id.gt(after.clone()));
    }
    q.load(conn)
}

/// Switches a subscription off; its pending deliveries fail at once, so the list
/// says why they will never arrive. Returns how many deliveries that stopped.
pub fn deactivate(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set(webhook_subscriptions::is_active.eq(false))
        .execute(conn)?;
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::subscription_id.eq(id))
            .filter(webhook_deliveries::status.eq("pending")),
    )
    .set((
        webhook_deliveries::status.eq("failed"),
        webhook_deliveries::last_error.eq(Some(DEACTIVATED)),
    ))
    .execute(conn)
}

pub fn set_secret(conn: &mut DbConn, id: &str, secret: &str) -> QueryResult<()> {
    diesel::update(webhook_subscriptions::table.find(id))
        .set(webhook_subscriptions::secret.eq(secret))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_delivery(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A subscription's deliveries, newest first; the cursor is the last id of the
/// previous page.
pub fn list_deliveries(
    conn: &mut DbConn,
    subscription_id: &str,
    status: Option<&str>,
    page: &PageRequest,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut q = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription_id.to_owned()))
        .select(DeliveryRow::as_select())
        .order(webhook_deliveries::id.desc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(webhook_deliveries::status.eq(s.to_owned()));
    }
    if let Some(before) = &page.after {
        q = q.filter(webhook_deliveries::id.lt(before.clone()));
    }
    q.load(conn)
}

pub fn find_delivery(
    conn: &mut DbConn,
    subscription_id: &str,
    id: &str,
) -> QueryResult<DeliveryRow> {
    webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .select(DeliveryRow::as_select())
        .first(conn)
}

/// Puts a failed (or waiting) delivery back in the queue, due now, with a fresh
/// schedule of attempts. The last error and status code stay until the next attempt.
pub fn redeliver(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::status.eq_any(["failed", "pending"])),
    )
    .set((
        webhook_deliveries::status.eq("pending"),
        webhook_deliveries::attempts.eq(0),
        webhook_deliveries::next_attempt_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// A delivery the worker has claimed, with where and how to send it.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
    pub url: String,
    pub secret: String,
}

/// Claims up to `limit` due pending deliveries: each is leased until `lease_until`
/// (its `next_attempt_at` moves there), so another worker skips it while it is being
/// sent and takes it up again if this process dies mid-flight. On PostgreSQL the rows
/// are read `FOR UPDATE SKIP LOCKED`, so replicas claiming at once never take the same
/// row; SQLite has a single writer. Deliveries of a deactivated subscription fail here
/// instead of being sent. Call it inside a transaction.
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
    lease_until: NaiveDateTime,
) -> QueryResult<Vec<Due>> {
    let q = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .order((
            webhook_deliveries::next_attempt_at.asc(),
            webhook_deliveries::id.asc(),
        ))
        .limit(limit)
        .select((
            webhook_deliveries::id,
            webhook_deliveries::subscription_id,
            webhook_deliveries::payload,
            webhook_deliveries::attempts,
        ));
    // Only the delivery rows are locked (a join would lock the subscription too and
    // make replicas skip each other's other deliveries to it).
    let rows: Vec<(String, String, String, i32)> = match conn {
        DbConn::Postgres(pg) => q.for_update().skip_locked().load(pg)?,
        DbConn::Sqlite(sqlite) => q.load(sqlite)?,
    };
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sub_ids: Vec<&String> = rows.iter().map(|r| &r.1).collect();
    let subs: Vec<(String, String, String, bool)> = webhook_subscriptions::table
        .filter(webhook_subscriptions::id.eq_any(sub_ids))
        .select((
            webhook_subscriptions::id,
            webhook_subscriptions::url,
            webhook_subscriptions::secret,
            webhook_subscriptions::is_active,
        ))
        .load(conn)?;
    let mut due = Vec::new();
    let mut stopped = Vec::new();
    for (id, sub_id, payload, attempts) in rows {
        match subs.iter().find(|s| s.0 == sub_id) {
            Some((_, url, secret, true)) => due.push(Due {
                id,
                payload,
                attempts,
                url: url.clone(),
                secret: secret.clone(),
            }),
            _ => stopped.push(id),
        }
    }
    if !stopped.is_empty() {
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&stopped)))
            .set((
                webhook_deliveries::status.eq("failed"),
                webhook_deliveries::last_error.eq(Some(DEACTIVATED)),
            ))
            .execute(conn)?;
    }
    if !due.is_empty() {
        let ids: Vec<&String> = due.iter().map(|d| &d.id).collect();
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
            .set(webhook_deliveries::next_attempt_at.eq(lease_until))
            .execute(conn)?;
    }
    Ok(due)
}

/// The stored result of one attempt.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = webhook_deliveries, treat_none_as_null = true)]
pub struct AttemptResult {
    pub status: &'static str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub last_status_code: Option<i32>,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn record_attempt(conn: &mut DbConn, id: &str, result: &AttemptResult) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.find(id))
        .set(result)
        .execute(conn)
        .map(|_| ())
}
