//! `compliance.month_ending`: an office whose month is about to end without the
//! information-sharing meeting its add-on needs is told, once per month, while there is
//! still time to hold one. Every replica scans; the warning's primary key lets one send it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::outbox;
use crate::db::schema::{compliance_warnings, office_setups};
use crate::db::{self, Db, DbConn, add_on_facts};
use crate::domain::add_on::{RuleBook, meeting_compliance};
use crate::domain::month::Month;
use crate::error::ApiResult;

pub const EVENT: &str = "compliance.month_ending";

/// How often the scan runs. The first scan runs at start-up.
pub const SCAN_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Warns each office with a set-up whose month, at `now`, has `warn_days` days or fewer
/// left without its meetings and that was not warned this month yet. Returns how many
/// offices were warned. Run it in a transaction: the warning and its deliveries commit
/// together.
pub fn warn_offices(
    conn: &mut DbConn,
    rules: &RuleBook,
    now: DateTime<Utc>,
    warn_days: u32,
) -> ApiResult<usize> {
    let month = Month::containing(now);
    if month.days_left(now) > warn_days {
        return Ok(0);
    }
    let Some(revision) = rules.in_force(month) else {
        return Ok(0);
    };
    let warned = compliance_warnings::table
        .filter(compliance_warnings::month.eq(month.to_string()))
        .select(compliance_warnings::office_org_id);
    let offices: Vec<String> = office_setups::table
        .filter(office_setups::office_org_id.ne_all(warned))
        .select(office_setups::office_org_id)
        .order(office_setups::office_org_id.asc())
        .load(conn)?;
    let books = add_on_facts::books(conn, &offices, month, month)?;
    let mut n = 0;
    for office in offices {
        let Some(book) = books.get(&office) else {
            continue;
        };
        let c = meeting_compliance(month, &book.facts, &book.records.meetings, revision, now);
        let Some(days_left) = c.ending_unmet(warn_days) else {
            continue;
        };
        // Another replica warning the same office at once fails on the primary key and
        // rolls back with its deliveries; the one that committed has sent the warning.
        diesel::insert_into(compliance_warnings::table)
            .values((
                compliance_warnings::office_org_id.eq(&office),
                compliance_warnings::month.eq(month.to_string()),
                compliance_warnings::days_left.eq(i32::try_from(days_left).unwrap_or(i32::MAX)),
                compliance_warnings::warned_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
        outbox::enqueue(
            conn,
            std::slice::from_ref(&office),
            EVENT,
            serde_json::json!({
                "office_org_id": office,
                "month": month,
                "days_left": days_left,
                "required": c.required,
                "qualifying_meeting_ids": c.qualifying_meeting_ids,
                "add_on": c.add_on,
                "revision": c.revision,
                "problems": c.problems,
            }),
        )?;
        n += 1;
    }
    Ok(n)
}

/// Scans every [`SCAN_EVERY`] until the process ends.
pub async fn keep_warning(db: Db, rules: Arc<RuleBook>, warn_days: u32) {
    let mut tick = tokio::time::interval(SCAN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let rules = rules.clone();
        let result = db
            .transaction(move |conn| warn_offices(conn, &rules, db::now().and_utc(), warn_days))
            .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                offices = n,
                "warned offices of a month ending without its meeting"
            ),
            Err(e) => tracing::warn!(error = %e, "the month-ending scan failed"),
        }
    }
}
