//! The append-only audit log: who did what to which object, and whether it worked.

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
        request_id: None,
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
