//! Pass 2 of an import, inside the caller's transaction: reads the file again and
//! stores the rows pass 1 accepted, then one record of the import (who, when, the id
//! range: version 1 of each of its rentals in their history, see
//! `db::rentals::imported_version`), one audit record and one entry of the change log
//! for the whole import.
//!
//! Two threads share the work: a converter reads, validates and converts the rows into
//! batches (the CPU part), the calling thread inserts them (the database part), with at
//! most two batches in flight between them, so memory stays flat. Batches are 500 rows
//! on SQLite (48 columns × 500 bound parameters per INSERT) and 2,000 on PostgreSQL,
//! where [`super::bulk`] sends one array per column.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;

use super::passes::{Checked, csv_error, open};
use super::{ImportMode, bulk};
use crate::auth::Caller;
use crate::db::rental_changes;
use crate::db::rentals::{self, INSERT_BATCH, ImportRow, RentalRow, insert_batch};
use crate::db::{self, DbConn, audit};
use crate::domain::rental::Placement;
use crate::domain::rental::csv::{Charset, Header};
use crate::error::{ApiError, ApiResult};
use crate::routes::rentals::view::{RowMeta, row_from_valid};

/// Rows per batch on PostgreSQL.
const PG_BATCH: usize = 2_000;
/// SQLite page cache of the importing connection, in KiB (the default is 2 MB). Rows
/// go into the index on place in random order; with a small cache its pages are
/// re-read and spilled to the WAL again and again.
const SQLITE_CACHE_KIB: u32 = 64 * 1024;

/// What the import is and who makes it.
pub struct Job<'a> {
    pub caller: Caller,
    pub path: &'a Path,
    pub charset: Charset,
    pub today: NaiveDate,
    pub mode: ImportMode,
    pub bytes: u64,
}

type Batch = Vec<RentalRow>;

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
            "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;".to_owned()
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

/// Stores the rows `checked` accepted; returns how many.
pub fn store(conn: &mut DbConn, job: &Job<'_>, checked: &Checked) -> ApiResult<u64> {
    tune_sqlite(conn, true)?;
    let stored = pipeline(conn, job, checked);
    tune_sqlite(conn, false)?;
    let Stored { imported, ids } = stored?;
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
    Ok(imported)
}

/// What pass 2 stored: how many rows, and the lowest and highest id among them.
struct Stored {
    imported: u64,
    ids: Option<(String, String)>,
}

fn pipeline(conn: &mut DbConn, job: &Job<'_>, checked: &Checked) -> ApiResult<Stored> {
    let batch_size = match conn {
        DbConn::Postgres(_) => PG_BATCH,
        DbConn::Sqlite(_) => INSERT_BATCH,
    };
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<ApiResult<Batch>>(2);
        let converter = s.spawn(move || {
            if let Err(e) = convert(job, checked, batch_size, &tx) {
                // The receiver may be gone already (it failed first).
                let _ = tx.send(Err(e));
            }
        });
        let inserted = insert_all(conn, rx);
        converter
            .join()
            .map_err(|_| ApiError::internal("the import's converter panicked"))?;
        inserted
    })
}

/// Inserts every batch the converter sends; the first error ends it (dropping `rx`
/// stops the converter).
fn insert_all(conn: &mut DbConn, rx: Receiver<ApiResult<Batch>>) -> ApiResult<Stored> {
    let (mut inserting, mut waited) = (Duration::ZERO, Duration::ZERO);
    let mut imported = 0u64;
    let mut ids: Option<(String, String)> = None;
    loop {
        let asked = Instant::now();
        let Ok(batch) = rx.recv() else { break };
        waited += asked.elapsed();
        let rows = batch?;
        for r in &rows {
            match &mut ids {
                None => ids = Some((r.id.clone(), r.id.clone())),
                Some((first, last)) => {
                    if r.id < *first {
                        first.clone_from(&r.id);
                    } else if r.id > *last {
                        last.clone_from(&r.id);
                    }
                }
            }
        }
        let started = Instant::now();
        match conn {
            DbConn::Postgres(pg) => bulk::insert_rentals(pg, &rows)?,
            DbConn::Sqlite(_) => insert_batch(conn, &rows)?,
        }
        inserting += started.elapsed();
        imported += rows.len() as u64;
    }
    tracing::info!(
        imported,
        rentals_ms = inserting.as_millis() as u64,
        waited_for_rows_ms = waited.as_millis() as u64,
        "import pass 2 inserted"
    );
    Ok(Stored { imported, ids })
}

/// The converter: reads the file again and sends the rows pass 1 accepted, converted,
/// in batches. Returns early, without error, when the receiver is gone.
fn convert(
    job: &Job<'_>,
    checked: &Checked,
    batch_size: usize,
    tx: &SyncSender<ApiResult<Batch>>,
) -> ApiResult<()> {
    let changed = || ApiError::internal("the uploaded file read differently the second time");
    let mut rdr = open(job.path, job.charset)?;
    let mut record = csv::StringRecord::new();
    if !rdr.read_record(&mut record).map_err(csv_error)? {
        return Err(changed());
    }
    let header = Header::parse(&record).map_err(|_| changed())?;
    let now = db::now();
    let mut batch: Batch = Vec::with_capacity(batch_size);
    let mut n = 0u64;
    while rdr.read_record(&mut record).map_err(csv_error)? {
        n += 1;
        if checked.is_bad(n) {
            continue;
        }
        let v = header
            .read_row(&record, job.charset, job.today)
            .map_err(|_| changed())?;
        let key = (v.owner_org_id.clone(), v.agent_org_id.clone());
        let Some(Ok((owner, agent))) = checked.parties.get(&key) else {
            return Err(changed());
        };
        let row = row_from_valid(
            v,
            RowMeta {
                id: db::new_id(),
                owner: owner.clone(),
                agent: agent.clone(),
                placement: Placement::Pending,
                version: 1,
                created_at: now,
                now,
            },
        );
        batch.push(row);
        if batch.len() == batch_size {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
            if tx.send(Ok(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch));
    }
    Ok(())
}
