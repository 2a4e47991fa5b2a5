//! The webhook outbox: an event is written as one pending delivery per matching
//! subscription, in the same transaction as the change it announces, so an event is
//! never lost nor sent for a change that rolled back. The delivery worker sends them.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{webhook_deliveries, webhook_subscriptions};
use crate::db::{self, DbConn};

/// Every event type an organisation can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "inquiry.changed",
    "inquiry.stalled",
    "rental.vacant",
    "rental.matches_client",
    "support_sheet.concern",
    "compliance.month_ending",
];

/// The envelope every delivery carries.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: &'a str,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub data: serde_json::Value,
}

/// Queues `event_type` for the active subscriptions of `org_ids` that asked for it;
/// returns how many deliveries were queued. Call it inside the change's transaction.
pub fn enqueue(
    conn: &mut DbConn,
    org_ids: &[String],
    event_type: &str,
    data: serde_json::Value,
) -> QueryResult<usize> {
    if org_ids.is_empty() {
        return Ok(0);
    }
    let subs: Vec<(String, String)> = webhook_subscriptions::table
        .filter(webhook_subscriptions::org_id.eq_any(org_ids))
        .filter(webhook_subscriptions::is_active.eq(true))
        .select((webhook_subscriptions::id, webhook_subscriptions::events))
        .load(conn)?;
    let now = db::now();
    let envelope = Envelope {
        id: db::new_id(),
        event_type,
        occurred_at: crate::routes::utc(now),
        data,
    };
    let payload = serde_json::to_string(&envelope).unwrap_or_default();
    let mut n = 0;
    for (sub_id, events) in subs {
        let wanted: Vec<String> = serde_json::from_str(&events).unwrap_or_default();
        if !wanted.iter().any(|e| e == event_type || e == "*") {
            continue;
        }
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::id.eq(db::new_id()),
                webhook_deliveries::subscription_id.eq(&sub_id),
                webhook_deliveries::event_type.eq(event_type),
                webhook_deliveries::payload.eq(&payload),
                webhook_deliveries::status.eq("pending"),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(now),
                webhook_deliveries::created_at.eq(now),
            ))
            .execute(conn)?;
        n += 1;
    }
    Ok(n)
}
