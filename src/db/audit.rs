//! The append-only audit log: who did what to which object, and whether it worked.

use std::cell::RefCell;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::audit_log;
use crate::auth::Caller;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor_api_key_id: Option<String>,
    pub actor_organization_id: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub outcome: String,
    pub detail: String,
    pub request_id: Option<String>,
    /// Place in the hash chain, the previous record's hash and this one's; `None` until
    /// sealed (`db::audit_chain`).
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

tokio::task_local! {
    static REQUEST_ID: Option<String>;
}

thread_local! {
    static THREAD_REQUEST_ID: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs a request's handling with its request id, so that the audit records it writes
/// say which request (and so which log lines) they belong to.
pub async fn with_request_id<F: Future>(id: Option<String>, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// The current request's id, read on its task before database work moves to a
/// blocking thread.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

/// Marks a blocking thread as working for the request `id` until the guard drops.
pub fn on_thread(id: Option<String>) -> ThreadGuard {
    ThreadGuard(THREAD_REQUEST_ID.with(|c| c.replace(id)))
}

pub struct ThreadGuard(Option<String>);

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        let before = self.0.take();
        THREAD_REQUEST_ID.with(|c| *c.borrow_mut() = before);
    }
}

/// One audit entry to write; `detail` must never hold personal data beyond ids.
pub struct Entry<'a> {
    pub actor: Option<&'a Caller>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<String>,
    pub outcome: &'a str,
    pub detail: serde_json::Value,
}

pub fn write(conn: &mut DbConn, e: Entry<'_>) -> QueryResult<()> {
    let rec = AuditRecord {
        id: super::new_id(),
        occurred_at: super::now(),
        actor_user_id: e.actor.and_then(|c| c.user_id()).map(|id| id.to_string()),
        actor_api_key_id: e
            .actor
            .and_then(|c| c.api_key_id())
            .map(|id| id.to_string()),
        actor_organization_id: e.actor.map(|c| c.organization_id.to_string()),
        action: e.action.to_owned(),
        object_type: e.object_type.to_owned(),
        object_id: e.object_id,
        outcome: e.outcome.to_owned(),
        detail: e.detail.to_string(),
        request_id: THREAD_REQUEST_ID.with(|c| c.borrow().clone()),
        seq: None,
        prev_hash: None,
        hash: None,
    };
    diesel::insert_into(audit_log::table)
        .values(&rec)
        .execute(conn)
        .map(|_| ())
}

pub fn for_object(
    conn: &mut DbConn,
    object_type: &str,
    object_id: &str,
) -> QueryResult<Vec<AuditRecord>> {
    audit_log::table
        .filter(audit_log::object_type.eq(object_type))
        .filter(audit_log::object_id.eq(object_id))
        .order(audit_log::id.asc())
        .select(AuditRecord::as_select())
        .load(conn)
}
