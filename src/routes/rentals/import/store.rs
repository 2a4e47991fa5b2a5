//! Storing an import, in one pass inside the caller's transaction: [`super::passes`]
//! reads and checks the rows (a reader thread parses and validates, this thread checks
//! owners and registrations) and hands each batch of good rows here to be inserted,
//! while this thread keeps the database busy. In `all` mode storing stops at the first
//! bad row and the caller rolls everything back. A kept import also writes one record
//! of the import (who, when, the id range: version 1 of each of its rentals in their
//! history, see `db::rentals::imported_version`), one audit record and one entry of
//! the change log.
//!
//! Batches are 5,000 rows (the registration check's); SQLite inserts them 500 rows per
//! statement, PostgreSQL in one statement with one array per column ([`super::bulk`]).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;

use super::passes::{self, Checked, Good};
use super::{ImportMode, bulk};
use crate::auth::Caller;
use crate::db::rental_changes;
use crate::db::rentals::{self, ImportRow, RentalRow, insert_batch};
use crate::db::{self, DbConn, audit};
use crate::domain::rental::Placement;
use crate::domain::rental::csv::Charset;
use crate::error::ApiResult;
use crate::routes::rentals::view::{RowMeta, row_from_valid};

/// SQLite page cache of the importing connection, in KiB (the default is 2 MB). Rows
/// go into the index on place in random order; with a small cache its pages are
/// re-read and spilled to the WAL again and again.
const SQLITE_CACHE_KIB: u32 = 32 * 1024;

/// What the import is and who makes it.
pub struct Job<'a> {
    pub caller: Caller,
    pub path: &'a Path,
    pub charset: Charset,
    pub today: NaiveDate,
    pub mode: ImportMode,
    pub bytes: u64,
}

/// SQLite settings of the connection while it imports: a larger page cache and
/// statement journals in memory, put back afterwards (the connection returns to the
/// pool). Its automatic checkpoint stays off through the commit: copying a WAL of
/// gigabytes back into the database must not hold up the answer, nor the lock on
/// writes; [`checkpoint_sqlite`] does it in the background and turns it back on.
fn tune_sqlite(conn: &mut DbConn, importing: bool) -> ApiResult<()> {
    if let DbConn::Sqlite(sqlite) = conn {
        let sql = if importing {
            format!(
                "PRAGMA cache_size = -{SQLITE_CACHE_KIB}; PRAGMA temp_store = MEMORY; \
                 PRAGMA wal_autocheckpoint = 0;"
            )
        } else {
            "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; PRAGMA shrink_memory;"
                .to_owned()
        };
        sqlite.batch_execute(&sql)?;
    }
    Ok(())
}

/// After an import on SQLite: copies the WAL back into the database (PASSIVE: readers
/// and writers carry on meanwhile, and other connections' own automatic checkpoints
/// step aside while it runs) and turns the automatic checkpoint back on — on this
/// connection, which is the importing one whenever the pool has only one.
pub fn checkpoint_sqlite(conn: &mut DbConn) -> ApiResult<()> {
    if let DbConn::Sqlite(sqlite) = conn {
        sqlite
            .batch_execute("PRAGMA wal_checkpoint(PASSIVE); PRAGMA wal_autocheckpoint = 1000;")?;
    }
    Ok(())
}

/// Whether an import is kept: in `all` mode only without a bad row.
pub fn kept(mode: ImportMode, checked: &Checked) -> bool {
    !checked.header_failed && (mode == ImportMode::Partial || checked.rejected == 0)
}

/// What one pass found and stored.
pub struct Outcome {
    pub checked: Checked,
    pub imported: u64,
}

/// Reads, checks and stores the file; the caller rolls back unless [`kept`].
pub fn run(conn: &mut DbConn, job: &Job<'_>) -> ApiResult<Outcome> {
    tune_sqlite(conn, true)?;
    let stored = one_pass(conn, job);
    tune_sqlite(conn, false)?;
    let (checked, Stored { imported, ids }) = stored?;
    if !kept(job.mode, &checked) || imported == 0 {
        return Ok(Outcome { checked, imported });
    }
    if let Some((first, last)) = ids {
        rental_changes::record(conn, &first, &last)?;
        rentals::record_import(
            conn,
            &ImportRow {
                id: db::new_id(),
                org_id: job.caller.organization_id.to_string(),
                user_id: job.caller.user_id().map(|u| u.to_string()),
                imported_at: db::now(),
                first_rental_id: first,
                last_rental_id: last,
                rows: i32::try_from(imported).unwrap_or(i32::MAX),
            },
        )?;
    }
    audit::write(
        conn,
        audit::Entry {
            actor: Some(&job.caller),
            action: "import",
            object_type: "rental",
            object_id: None,
            outcome: "ok",
            detail: serde_json::json!({
                "mode": job.mode,
                "charset": job.charset.name(),
                "bytes": job.bytes,
                "rows": checked.rows,
                "imported": imported,
                "rejected": checked.rejected,
            }),
        },
    )?;
    Ok(Outcome { checked, imported })
}

/// What was stored: how many rows, and the lowest and highest id among them.
struct Stored {
    imported: u64,
    ids: Option<(String, String)>,
}

fn one_pass(conn: &mut DbConn, job: &Job<'_>) -> ApiResult<(Checked, Stored)> {
    let now = db::now();
    let mode = job.mode;
    let mut stored = Stored {
        imported: 0,
        ids: None,
    };
    let mut inserting = Duration::ZERO;
    let started = Instant::now();
    let checked = passes::check(
        conn,
        &job.caller,
        job.path,
        job.charset,
        job.today,
        |c: &Checked| kept(mode, c),
        |conn, good: Vec<Good>| {
            let rows: Vec<RentalRow> = good
                .into_iter()
                .map(|(v, (owner, agent))| {
                    row_from_valid(
                        v,
                        RowMeta {
                            id: db::new_id(),
                            owner,
                            agent,
                            placement: Placement::Pending,
                            version: 1,
                            created_at: now,
                            now,
                        },
                    )
                })
                .collect();
            for r in &rows {
                match &mut stored.ids {
                    None => stored.ids = Some((r.id.clone(), r.id.clone())),
                    Some((first, last)) => {
                        if r.id < *first {
                            first.clone_from(&r.id);
                        } else if r.id > *last {
                            last.clone_from(&r.id);
                        }
                    }
                }
            }
            let t = Instant::now();
            match conn {
                DbConn::Postgres(pg) => bulk::insert_rentals(pg, &rows)?,
                DbConn::Sqlite(_) => insert_batch(conn, &rows)?,
            }
            inserting += t.elapsed();
            stored.imported += rows.len() as u64;
            Ok(())
        },
    )?;
    tracing::info!(
        rows = checked.rows,
        imported = stored.imported,
        rejected = checked.rejected,
        total_ms = started.elapsed().as_millis() as u64,
        inserting_ms = inserting.as_millis() as u64,
        "import pass"
    );
    Ok((checked, stored))
}
