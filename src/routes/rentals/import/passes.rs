//! The two passes over an uploaded CSV file, on a blocking thread with a connection.
//!
//! Pass 1 ([`check`]) reads and validates every row, resolves each distinct owner/agent
//! pair once, and checks registration numbers (with the unit number) against the rest
//! of the file — by a 64-bit hash per row, so 1,000,000 rows cost ~35 MB — and against
//! the register, 500 at a time. It keeps the numbers of the bad rows and at most
//! [`REPORT_CAP`] problems. Pass 2 ([`store`]) reads the file again, converts the rows
//! pass 1 accepted and inserts them 500 at a time with their history rows, inside the
//! caller's transaction, then writes one audit record with the counts.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{ImportIssue, ImportMode, REPORT_CAP};
use crate::auth::Caller;
use crate::db::rentals::{HistoryRow, INSERT_BATCH, RentalRow, insert_batch, insert_history_batch};
use crate::db::schema::rentals;
use crate::db::{self, DbConn, audit};
use crate::domain::rental::csv::{CellError, Charset, Header, reader};
use crate::domain::rental::{Placement, ValidRental};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::routes::rentals::resolve_parties;
use crate::routes::rentals::view::{RowMeta, row_from_valid};

/// Owner and agent as named by a row.
type PartyKey = (Option<String>, Option<String>);
/// Owner and agent to store, or why the row's pair is refused.
type Parties = Result<(String, Option<String>), Vec<FieldError>>;

/// Distinct owner/agent pairs remembered; a file naming more is checked row by row.
const PARTY_CACHE: usize = 10_000;

/// What pass 1 learnt.
#[derive(Debug)]
pub struct Checked {
    pub header_failed: bool,
    /// Data rows in the file.
    pub rows: u64,
    /// Rows with at least one problem.
    pub rejected: u64,
    pub report: Vec<ImportIssue>,
    pub unlisted: u64,
    /// One bit per data row (bit 0 = row 1): set when the row is bad.
    bad: Vec<u64>,
    parties: HashMap<PartyKey, Parties>,
}

impl Checked {
    fn new() -> Self {
        Self {
            header_failed: false,
            rows: 0,
            rejected: 0,
            report: Vec::new(),
            unlisted: 0,
            bad: Vec::new(),
            parties: HashMap::new(),
        }
    }

    fn is_bad(&self, row: u64) -> bool {
        let i = (row - 1) as usize;
        self.bad
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Records problems of `row` (0: the header).
    fn reject(&mut self, row: u64, line: u64, errors: impl IntoIterator<Item = CellError>) {
        if row > 0 && !self.is_bad(row) {
            let i = (row - 1) as usize;
            if self.bad.len() <= i / 64 {
                self.bad.resize(i / 64 + 1, 0);
            }
            self.bad[i / 64] |= 1 << (i % 64);
            self.rejected += 1;
        }
        for e in errors {
            if self.report.len() < REPORT_CAP {
                self.report.push(ImportIssue {
                    row,
                    line,
                    column: e.column,
                    reason: e.reason,
                });
            } else {
                self.unlisted += 1;
            }
        }
    }
}

fn csv_error(e: csv::Error) -> ApiError {
    ApiError::internal(format!("reading the uploaded file: {e}"))
}

fn open(path: &Path, charset: Charset) -> ApiResult<csv::Reader<impl std::io::Read>> {
    let file = std::fs::File::open(path).map_err(ApiError::internal)?;
    Ok(reader(file, charset))
}

/// The 64-bit hash of a registration; two rows of one file collide by chance with a
/// probability of about 3·10⁻⁸ at 1,000,000 rows, and the unique index stays the guard.
fn registration_hash(number: &str, unit: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (number, unit).hash(&mut h);
    h.finish()
}

/// The (number, unit) pairs of live rentals among `numbers` (a deleted rental frees
/// its registration, as for a single registration).
fn registered_among(
    conn: &mut DbConn,
    numbers: &[String],
) -> QueryResult<HashSet<(String, String)>> {
    let found: Vec<(String, String)> = rentals::table
        .filter(rentals::registration_number.eq_any(numbers))
        .filter(rentals::deleted_at.is_null())
        .select((rentals::registration_number, rentals::unit_number))
        .load(conn)?;
    Ok(found.into_iter().collect())
}

struct Pending {
    row: u64,
    line: u64,
    number: String,
    unit: String,
}

fn flush_registrations(
    conn: &mut DbConn,
    header: &Header,
    pending: &mut Vec<Pending>,
    checked: &mut Checked,
) -> ApiResult<()> {
    let mut numbers: Vec<String> = pending.iter().map(|p| p.number.clone()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let taken = registered_among(conn, &numbers)?;
    for p in pending.drain(..) {
        if taken.contains(&(p.number, p.unit)) {
            checked.reject(
                p.row,
                p.line,
                [CellError {
                    column: Some(header.column_named("registration_number")),
                    reason: "a rental with this registration number and unit number is already registered".into(),
                }],
            );
        }
    }
    Ok(())
}

/// The owner and agent of a row, resolved once per distinct pair.
fn parties_of(
    conn: &mut DbConn,
    caller: &Caller,
    cache: &mut HashMap<PartyKey, Parties>,
    v: &ValidRental,
) -> ApiResult<Parties> {
    let key = (v.owner_org_id.clone(), v.agent_org_id.clone());
    if let Some(p) = cache.get(&key) {
        return Ok(p.clone());
    }
    let resolved = match resolve_parties(conn, caller, v) {
        Ok(p) => Ok(p),
        Err(ApiError::Validation(fields)) => Err(fields),
        Err(other) => return Err(other),
    };
    if cache.len() < PARTY_CACHE {
        cache.insert(key, resolved.clone());
    }
    Ok(resolved)
}

/// Pass 1: reads and checks every row; stores nothing.
pub fn check(
    conn: &mut DbConn,
    caller: &Caller,
    path: &Path,
    charset: Charset,
    today: NaiveDate,
) -> ApiResult<Checked> {
    let mut checked = Checked::new();
    let mut rdr = open(path, charset)?;
    let mut record = csv::StringRecord::new();
    if !rdr.read_record(&mut record).map_err(csv_error)? {
        checked.header_failed = true;
        checked.reject(
            0,
            1,
            [CellError {
                column: None,
                reason: "the file is empty: its first line must name the columns".into(),
            }],
        );
        return Ok(checked);
    }
    let header = match Header::parse(&record) {
        Ok(h) => h,
        Err(errors) => {
            checked.header_failed = true;
            checked.reject(0, 1, errors);
            return Ok(checked);
        }
    };
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut pending: Vec<Pending> = Vec::with_capacity(INSERT_BATCH);
    let mut parties = HashMap::new();
    while rdr.read_record(&mut record).map_err(csv_error)? {
        checked.rows += 1;
        let row = checked.rows;
        let line = record.position().map_or(0, |p| p.line());
        let v = match header.read_row(&record, charset, today) {
            Ok(v) => v,
            Err(errors) => {
                checked.reject(row, line, errors);
                continue;
            }
        };
        if let Err(fields) = parties_of(conn, caller, &mut parties, &v)? {
            let errors = fields.into_iter().map(|f| CellError {
                column: Some(header.column_named(&f.field)),
                reason: f.message,
            });
            checked.reject(row, line, errors);
        }
        let hash = registration_hash(&v.registration_number, &v.unit_number);
        let first = *seen.entry(hash).or_insert(row as u32);
        if u64::from(first) != row {
            checked.reject(
                row,
                line,
                [CellError {
                    column: Some(header.column_named("registration_number")),
                    reason: format!("row {first} has the same registration number and unit number"),
                }],
            );
        }
        pending.push(Pending {
            row,
            line,
            number: v.registration_number,
            unit: v.unit_number,
        });
        if pending.len() == INSERT_BATCH {
            flush_registrations(conn, &header, &mut pending, &mut checked)?;
        }
    }
    flush_registrations(conn, &header, &mut pending, &mut checked)?;
    checked.parties = parties;
    // The report lists problems in file order (registration clashes are found late).
    checked.report.sort_by_key(|i| i.row);
    Ok(checked)
}

fn history_of(row: &RentalRow, caller: &Caller) -> ApiResult<HistoryRow> {
    Ok(HistoryRow {
        id: db::new_id(),
        rental_id: row.id.clone(),
        version: row.version,
        action: "import".into(),
        changed_by_user_id: caller.user_id().map(|u| u.to_string()),
        changed_by_org_id: Some(caller.organization_id.to_string()),
        changed_at: row.updated_at,
        snapshot: serde_json::to_string(row).map_err(ApiError::internal)?,
    })
}

/// SQLite settings of the connection while it imports: a larger page cache (rows go
/// into the index on place in random order; with the default 2 MB cache its pages are
/// re-read and spilled to the WAL again and again) and statement journals in memory.
/// Put back afterwards: the connection returns to the pool.
fn tune_sqlite(conn: &mut DbConn, importing: bool) -> ApiResult<()> {
    use diesel::connection::SimpleConnection;
    if let DbConn::Sqlite(sqlite) = conn {
        let kb: i64 = std::env::var("SUMAI_IMPORT_CACHE_KB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(65_536);
        let sql = if importing {
            format!("PRAGMA cache_size = -{kb}; PRAGMA temp_store = MEMORY;")
        } else {
            "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;".to_owned()
        };
        sqlite.batch_execute(&sql)?;
    }
    Ok(())
}

/// Pass 2, inside the caller's transaction: stores the rows pass 1 accepted; returns
/// how many.
#[allow(clippy::too_many_arguments)]
pub fn store(
    conn: &mut DbConn,
    caller: &Caller,
    path: &Path,
    charset: Charset,
    today: NaiveDate,
    checked: &Checked,
    mode: ImportMode,
    bytes: u64,
) -> ApiResult<u64> {
    tune_sqlite(conn, true)?;
    let stored = store_rows(conn, caller, path, charset, today, checked, mode, bytes);
    tune_sqlite(conn, false)?;
    stored
}

/// Time spent in the two kinds of INSERT (logged, to see where an import goes).
#[derive(Default)]
struct Timing {
    rentals: std::time::Duration,
    history: std::time::Duration,
}

fn flush(
    conn: &mut DbConn,
    rows: &mut Vec<RentalRow>,
    history: &mut Vec<HistoryRow>,
    timing: &mut Timing,
) -> ApiResult<u64> {
    let started = std::time::Instant::now();
    insert_batch(conn, rows)?;
    let inserted = std::time::Instant::now();
    insert_history_batch(conn, history)?;
    timing.rentals += inserted - started;
    timing.history += inserted.elapsed();
    let n = rows.len() as u64;
    rows.clear();
    history.clear();
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
fn store_rows(
    conn: &mut DbConn,
    caller: &Caller,
    path: &Path,
    charset: Charset,
    today: NaiveDate,
    checked: &Checked,
    mode: ImportMode,
    bytes: u64,
) -> ApiResult<u64> {
    let changed = || ApiError::internal("the uploaded file read differently the second time");
    let mut rdr = open(path, charset)?;
    let mut record = csv::StringRecord::new();
    if !rdr.read_record(&mut record).map_err(csv_error)? {
        return Err(changed());
    }
    let header = Header::parse(&record).map_err(|_| changed())?;
    let now = db::now();
    let mut rows: Vec<RentalRow> = Vec::with_capacity(INSERT_BATCH);
    let mut history: Vec<HistoryRow> = Vec::with_capacity(INSERT_BATCH);
    let mut parties = checked.parties.clone();
    let mut n = 0u64;
    let mut imported = 0u64;
    let mut timing = Timing::default();
    while rdr.read_record(&mut record).map_err(csv_error)? {
        n += 1;
        if checked.is_bad(n) {
            continue;
        }
        let v = header
            .read_row(&record, charset, today)
            .map_err(|_| changed())?;
        let (owner, agent) = parties_of(conn, caller, &mut parties, &v)?.map_err(|_| changed())?;
        let row = row_from_valid(
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
        );
        history.push(history_of(&row, caller)?);
        rows.push(row);
        if rows.len() == INSERT_BATCH {
            imported += flush(conn, &mut rows, &mut history, &mut timing)?;
        }
    }
    imported += flush(conn, &mut rows, &mut history, &mut timing)?;
    tracing::info!(
        imported,
        rentals_ms = timing.rentals.as_millis() as u64,
        history_ms = timing.history.as_millis() as u64,
        "import pass 2 inserted"
    );
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action: "import",
            object_type: "rental",
            object_id: None,
            outcome: "ok",
            detail: serde_json::json!({
                "mode": mode,
                "charset": charset.name(),
                "bytes": bytes,
                "rows": checked.rows,
                "imported": imported,
                "rejected": checked.rejected,
            }),
        },
    )?;
    Ok(imported)
}
