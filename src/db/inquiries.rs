//! Queries on `inquiries` and `inquiry_events`, and the stalled-inquiry scan.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::clients::ClientRow;
use super::schema::{clients, inquiries, inquiry_events};
use super::{Db, DbConn};
use crate::domain::inquiry::InquiryStatus;
use crate::domain::page::PageRequest;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = inquiries, treat_none_as_null = true)]
pub struct InquiryRow {
    pub id: String,
    pub client_id: String,
    pub rental_id: String,
    pub office_org_id: String,
    pub landlord_org_id: String,
    pub agent_org_id: Option<String>,
    pub status: String,
    pub viewing_at: Option<NaiveDateTime>,
    /// The landlord's reason (a `DeclineReason`), only on `declined`.
    pub decline_reason: Option<String>,
    pub decline_note: Option<String>,
    /// The client's own reason (a `WithdrawReason`), only on `withdrawn`.
    pub withdraw_reason: Option<String>,
    /// Set once by the stalled scan; cleared by the next step.
    pub stalled_at: Option<NaiveDateTime>,
    pub last_step_at: NaiveDateTime,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = inquiry_events)]
pub struct EventRow {
    pub id: String,
    pub inquiry_id: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub at: NaiveDateTime,
    pub by_user_id: Option<String>,
    pub by_org_id: Option<String>,
    pub note: Option<String>,
}

/// Statuses after which more steps may follow.
pub fn open_statuses() -> Vec<&'static str> {
    InquiryStatus::ALL
        .into_iter()
        .filter(|s| !s.is_final())
        .map(InquiryStatus::as_str)
        .collect()
}

pub fn insert(conn: &mut DbConn, row: &InquiryRow) -> QueryResult<()> {
    diesel::insert_into(inquiries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<InquiryRow> {
    inquiries::table
        .find(id)
        .select(InquiryRow::as_select())
        .first(conn)
}

/// Replaces the stored inquiry if its version is still `expected_version`.
pub fn replace(conn: &mut DbConn, row: &InquiryRow, expected_version: i32) -> QueryResult<bool> {
    let n = diesel::update(
        inquiries::table
            .filter(inquiries::id.eq(&row.id))
            .filter(inquiries::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// Is there an inquiry of this client for this rental that has not ended?
pub fn open_exists(conn: &mut DbConn, client_id: &str, rental_id: &str) -> QueryResult<bool> {
    Ok(inquiries::table
        .filter(inquiries::client_id.eq(client_id))
        .filter(inquiries::rental_id.eq(rental_id))
        .filter(inquiries::status.eq_any(open_statuses()))
        .select(inquiries::id)
        .first::<String>(conn)
        .optional()?
        .is_some())
}

/// Whose inquiries a list shows.
#[derive(Debug, Clone)]
pub enum ListScope {
    /// The clients' support office.
    Office(String),
    /// The landlord or the agent of the rentals.
    LandlordOrAgent(String),
}

/// Inquiries in id (creation) order, optionally of one status.
pub fn list(
    conn: &mut DbConn,
    scope: &ListScope,
    status: Option<InquiryStatus>,
    page: &PageRequest,
) -> QueryResult<Vec<InquiryRow>> {
    let mut q = inquiries::table
        .select(InquiryRow::as_select())
        .order(inquiries::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    q = match scope {
        ListScope::Office(org) => q.filter(inquiries::office_org_id.eq(org.clone())),
        ListScope::LandlordOrAgent(org) => q.filter(
            inquiries::landlord_org_id
                .eq(org.clone())
                .or(inquiries::agent_org_id.eq(org.clone())),
        ),
    };
    if let Some(s) = status {
        q = q.filter(inquiries::status.eq(s.as_str()));
    }
    if let Some(after) = &page.after {
        q = q.filter(inquiries::id.gt(after.clone()));
    }
    q.load(conn)
}

/// The live clients among `ids` (the clients of a page of inquiries).
pub fn clients_by_id(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<ClientRow>> {
    clients::table
        .filter(clients::id.eq_any(ids))
        .filter(clients::deleted_at.is_null())
        .select(ClientRow::as_select())
        .load(conn)
}

pub fn insert_event(conn: &mut DbConn, e: &EventRow) -> QueryResult<()> {
    diesel::insert_into(inquiry_events::table)
        .values(e)
        .execute(conn)
        .map(|_| ())
}

/// Every step of an inquiry, oldest first.
pub fn events_of(conn: &mut DbConn, inquiry_id: &str) -> QueryResult<Vec<EventRow>> {
    inquiry_events::table
        .filter(inquiry_events::inquiry_id.eq(inquiry_id))
        .order((inquiry_events::at.asc(), inquiry_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)
}

/// How many inquiries one scan flags at most; the rest wait for the next round.
const STALL_BATCH: i64 = 500;

/// Flags open inquiries whose last step is more than `days` days before `now` (once:
/// the flag stays until the next step clears it) and queues `inquiry.stalled` for the
/// office, the landlord and the agent. Returns how many were flagged.
///
/// Runs in its own transaction (a savepoint inside a caller's). On PostgreSQL the rows
/// are claimed `FOR UPDATE SKIP LOCKED`, so replicas scanning at the same moment flag
/// different rows and never the same one twice; SQLite has a single writer.
pub fn flag_stalled(conn: &mut DbConn, now: NaiveDateTime, days: i64) -> QueryResult<usize> {
    let cutoff = now - chrono::Duration::days(days);
    conn.transaction(|conn| {
        let q = inquiries::table
            .filter(inquiries::status.eq_any(open_statuses()))
            .filter(inquiries::stalled_at.is_null())
            .filter(inquiries::last_step_at.lt(cutoff))
            .order(inquiries::last_step_at.asc())
            .limit(STALL_BATCH);
        // `as_select` is typed per backend, hence one per arm.
        let rows: Vec<InquiryRow> = match conn {
            DbConn::Postgres(pg) => q
                .select(InquiryRow::as_select())
                .for_update()
                .skip_locked()
                .load(pg)?,
            DbConn::Sqlite(sqlite) => q.select(InquiryRow::as_select()).load(sqlite)?,
        };
        let mut flagged = 0;
        for r in rows {
            // A step taken meanwhile (it moved last_step_at) wins.
            let n = diesel::update(
                inquiries::table
                    .filter(inquiries::id.eq(&r.id))
                    .filter(inquiries::stalled_at.is_null())
                    .filter(inquiries::last_step_at.eq(r.last_step_at)),
            )
            .set(inquiries::stalled_at.eq(Some(now)))
            .execute(conn)?;
            if n != 1 {
                continue;
            }
            let mut orgs = vec![r.office_org_id.clone(), r.landlord_org_id.clone()];
            orgs.extend(r.agent_org_id.clone());
            crate::notify::outbox::enqueue(
                conn,
                &orgs,
                "inquiry.stalled",
                serde_json::json!({
                    "inquiry_id": r.id,
                    "rental_id": r.rental_id,
                    "status": r.status,
                    "last_step_at": crate::routes::utc(r.last_step_at),
                    "stalled_days": days,
                }),
            )?;
            flagged += 1;
        }
        Ok(flagged)
    })
}

/// How often the stalled scan runs.
pub const STALL_SCAN_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Flags stalled inquiries every [`STALL_SCAN_EVERY`] until the process ends.
pub async fn keep_flagging_stalled(db: Db, days: i64) {
    let mut tick = tokio::time::interval(STALL_SCAN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result = db
            .transaction(move |conn| Ok(flag_stalled(conn, super::now(), days)?))
            .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(inquiries = n, days, "flagged stalled inquiries"),
            Err(e) => tracing::warn!(error = %e, "the stalled-inquiry scan failed"),
        }
    }
}

/// An office's open inquiries counted by status, and how many of them are stalled.
pub struct OfficeCounts {
    pub open: Vec<(String, i64)>,
    pub stalled: i64,
}

pub fn office_counts(conn: &mut DbConn, office: &str) -> QueryResult<OfficeCounts> {
    let statuses: Vec<(String, Option<NaiveDateTime>)> = inquiries::table
        .filter(inquiries::office_org_id.eq(office))
        .filter(inquiries::status.eq_any(open_statuses()))
        .select((inquiries::status, inquiries::stalled_at))
        .load(conn)?;
    let mut open: Vec<(String, i64)> = open_statuses()
        .into_iter()
        .map(|s| (s.to_owned(), 0))
        .collect();
    let mut stalled = 0;
    for (status, stalled_at) in statuses {
        if let Some(c) = open.iter_mut().find(|(s, _)| *s == status) {
            c.1 += 1;
        }
        stalled += i64::from(stalled_at.is_some());
    }
    Ok(OfficeCounts { open, stalled })
}
