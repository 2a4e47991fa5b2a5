//! The one pass over an uploaded CSV file ([`check`]), inside the import's transaction:
//! a reader thread reads and validates every row; this thread resolves each distinct
//! owner/agent pair once, checks registration numbers (with the unit number) against
//! the rest of the file — by a 64-bit hash per row, so 1,000,000 rows cost ~35 MB — and
//! against the register, 5,000 at a time, and hands each batch's good rows to the
//! caller to store while it can still be kept (`all` mode stops storing at the first
//! bad row and lets the caller roll back). It keeps only the numbers of the bad rows,
//! the resolved owners and at most [`REPORT_CAP`] problems.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{ImportIssue, REPORT_CAP};
use crate::auth::Caller;
use crate::db::DbConn;
use crate::db::schema::rentals;
use crate::domain::rental::ValidRental;
use crate::domain::rental::csv::{CellError, Charset, Header, reader};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::routes::rentals::resolve_parties;

/// Owner and agent as named by a row.
pub type PartyKey = (Option<String>, Option<String>);
/// Owner and agent to store, or why the row's pair is refused.
pub type Parties = Result<(String, Option<String>), Vec<FieldError>>;

/// Refused owner/agent pairs remembered; a file naming more is checked row by row.
/// Accepted pairs are all remembered (pass 2 needs them): there are no more of them
/// than active landlords and agents.
const REFUSED_PAIRS: usize = 10_000;

/// Registrations looked up in the register per query (bound parameters: within
/// SQLite's 32,766 and PostgreSQL's 65,535).
const REGISTRATION_BATCH: usize = 5_000;

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
    pub parties: HashMap<PartyKey, Parties>,
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

    pub fn is_bad(&self, row: u64) -> bool {
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

pub fn csv_error(e: csv::Error) -> ApiError {
    ApiError::internal(format!("reading the uploaded file: {e}"))
}

pub fn open(path: &Path, charset: Charset) -> ApiResult<csv::Reader<impl std::io::Read>> {
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
    /// The row to store, unless it was refused already.
    good: Option<Good>,
}

/// A row that passed every check, with the owner and agent to store.
pub type Good = (ValidRental, (String, Option<String>));

fn flush_registrations(
    conn: &mut DbConn,
    header: &Header,
    pending: &mut [Pending],
    checked: &mut Checked,
) -> ApiResult<()> {
    let mut numbers: Vec<String> = pending.iter().map(|p| p.number.clone()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let taken = registered_among(conn, &numbers)?;
    for p in pending.iter_mut() {
        // A row refused already (as a repeat of an earlier row of the file, which may
        // be stored by now) is not reported twice.
        if !checked.is_bad(p.row) && taken.contains(&(p.number.clone(), p.unit.clone())) {
            p.good = None;
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

/// Checks a batch's registrations against the register, then stores its good rows
/// while they can still be kept.
fn flush(
    conn: &mut DbConn,
    header: &Header,
    pending: &mut Vec<Pending>,
    checked: &mut Checked,
    storing: &impl Fn(&Checked) -> bool,
    store: &mut impl FnMut(&mut DbConn, Vec<Good>) -> ApiResult<()>,
) -> ApiResult<()> {
    flush_registrations(conn, header, pending, checked)?;
    let good: Vec<Good> = pending.drain(..).filter_map(|p| p.good).collect();
    if !good.is_empty() && storing(checked) {
        store(conn, good)?;
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
    if resolved.is_ok() || cache.len() < REFUSED_PAIRS {
        cache.insert(key, resolved.clone());
    }
    Ok(resolved)
}

/// A data row as read: the line it starts on, and the rental or its problems.
type ReadRow = (u64, Result<ValidRental, Vec<CellError>>);

/// Rows per message from the reader thread.
const READ_CHUNK: usize = 1_000;

/// The reader thread of pass 1: parses and validates every data row, in order.
fn read_rows(
    mut rdr: csv::Reader<impl std::io::Read>,
    header: &Header,
    charset: Charset,
    today: NaiveDate,
    tx: &SyncSender<ApiResult<Vec<ReadRow>>>,
) -> ApiResult<()> {
    let mut record = csv::StringRecord::new();
    let mut chunk = Vec::with_capacity(READ_CHUNK);
    while rdr.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        chunk.push((line, header.read_row(&record, charset, today)));
        if chunk.len() == READ_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(READ_CHUNK));
            if tx.send(Ok(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(Ok(chunk));
    }
    Ok(())
}

/// Reads and checks every row, and hands the good ones of each batch to `store` as long
/// as `storing` says they will be kept.
pub fn check(
    conn: &mut DbConn,
    caller: &Caller,
    path: &Path,
    charset: Charset,
    today: NaiveDate,
    storing: impl Fn(&Checked) -> bool,
    mut store: impl FnMut(&mut DbConn, Vec<Good>) -> ApiResult<()>,
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
    // A reader thread parses and validates the rows (the CPU part); this one checks
    // owners and registrations (the database part).
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<ApiResult<Vec<ReadRow>>>(4);
        let header = &header;
        s.spawn(move || {
            if let Err(e) = read_rows(rdr, header, charset, today, &tx) {
                let _ = tx.send(Err(e));
            }
        });
        let mut seen: HashMap<u64, u32> = HashMap::new();
        let mut pending: Vec<Pending> = Vec::with_capacity(REGISTRATION_BATCH);
        for chunk in rx {
            for (line, read) in chunk? {
                checked.rows += 1;
                let row = checked.rows;
                let v = match read {
                    Ok(v) => v,
                    Err(errors) => {
                        checked.reject(row, line, errors);
                        continue;
                    }
                };
                let parties = match parties_of(conn, caller, &mut checked.parties, &v)? {
                    Ok(p) => Some(p),
                    Err(fields) => {
                        let errors = fields.into_iter().map(|f| CellError {
                            column: Some(header.column_named(&f.field)),
                            reason: f.message,
                        });
                        checked.reject(row, line, errors);
                        None
                    }
                };
                let hash = registration_hash(&v.registration_number, &v.unit_number);
                let first = *seen.entry(hash).or_insert(row as u32);
                if u64::from(first) != row {
                    checked.reject(
                        row,
                        line,
                        [CellError {
                            column: Some(header.column_named("registration_number")),
                            reason: format!(
                                "row {first} has the same registration number and unit number"
                            ),
                        }],
                    );
                }
                let (number, unit) = (v.registration_number.clone(), v.unit_number.clone());
                let good = parties.filter(|_| !checked.is_bad(row)).map(|p| (v, p));
                pending.push(Pending {
                    row,
                    line,
                    number,
                    unit,
                    good,
                });
                if pending.len() == REGISTRATION_BATCH {
                    flush(
                        conn,
                        header,
                        &mut pending,
                        &mut checked,
                        &storing,
                        &mut store,
                    )?;
                }
            }
        }
        flush(
            conn,
            header,
            &mut pending,
            &mut checked,
            &storing,
            &mut store,
        )
    })?;
    // The report lists problems in file order (registration clashes are found late).
    checked.report.sort_by_key(|i| i.row);
    Ok(checked)
}
