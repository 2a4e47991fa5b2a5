//! SQLite's online backup API (`sqlite3_backup_*`): copies a live database page by
//! page into another file while servers go on reading and writing it. A step that
//! finds the database busy waits and tries again; a write made by another connection
//! during the copy restarts it, so the copy is always one consistent state.
//!
//! diesel does not expose its connection's handle, so this opens its own two, through
//! the same bundled libsqlite3 that diesel links.

use std::ffi::{CStr, CString, c_int};
use std::path::Path;
use std::time::Duration;

use libsqlite3_sys as ffi;

/// Pages copied per step: small steps let writers in between.
const PAGES_PER_STEP: c_int = 1024;

/// An open handle, closed on drop.
struct Handle(*mut ffi::sqlite3);

impl Handle {
    fn open(path: &Path, flags: c_int) -> Result<Self, String> {
        let c_path = CString::new(path.to_string_lossy().as_bytes())
            .map_err(|_| format!("{}: the path contains a NUL byte", path.display()))?;
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        // SAFETY: c_path is a valid NUL-terminated string and db a valid out pointer;
        // sqlite3_open_v2 sets db even on failure, and Handle's drop closes it.
        let rc = unsafe { ffi::sqlite3_open_v2(c_path.as_ptr(), &mut db, flags, std::ptr::null()) };
        let handle = Self(db);
        if rc != ffi::SQLITE_OK {
            return Err(format!("{}: {}", path.display(), handle.message(rc)));
        }
        // SAFETY: db is an open connection.
        unsafe { ffi::sqlite3_busy_timeout(db, 5_000) };
        Ok(handle)
    }

    fn message(&self, rc: c_int) -> String {
        // SAFETY: sqlite3_errstr returns a static string for any code; sqlite3_errmsg
        // a string owned by the connection, copied before any further call.
        unsafe {
            let msg = if self.0.is_null() {
                ffi::sqlite3_errstr(rc)
            } else {
                ffi::sqlite3_errmsg(self.0)
            };
            CStr::from_ptr(msg).to_string_lossy().into_owned()
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: closing a handle from sqlite3_open_v2 (or null, a no-op) once.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

/// Copies the whole database at `from` into `to` (created or replaced), online.
/// Returns the number of pages copied.
pub fn copy(from: &Path, to: &Path) -> Result<u64, String> {
    let src = Handle::open(from, ffi::SQLITE_OPEN_READONLY)?;
    let dst = Handle::open(to, ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE)?;
    let main = c"main";
    // SAFETY: both handles are open; the backup object is finished below on every path.
    let backup = unsafe { ffi::sqlite3_backup_init(dst.0, main.as_ptr(), src.0, main.as_ptr()) };
    if backup.is_null() {
        return Err(format!(
            "cannot start the backup: {}",
            dst.message(ffi::SQLITE_ERROR)
        ));
    }
    let outcome = loop {
        // SAFETY: backup is a live backup object until sqlite3_backup_finish.
        let rc = unsafe { ffi::sqlite3_backup_step(backup, PAGES_PER_STEP) };
        match rc {
            ffi::SQLITE_OK => continue,
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            ffi::SQLITE_DONE => break Ok(()),
            other => break Err(other),
        }
    };
    // SAFETY: as above; sqlite3_backup_pagecount is valid before finish.
    let pages = unsafe { ffi::sqlite3_backup_pagecount(backup) };
    // SAFETY: finishing the backup object exactly once.
    let rc = unsafe { ffi::sqlite3_backup_finish(backup) };
    match outcome {
        Err(code) => Err(format!("the backup failed: {}", dst.message(code))),
        Ok(()) if rc != ffi::SQLITE_OK => Err(format!("the backup failed: {}", dst.message(rc))),
        Ok(()) => Ok(u64::try_from(pages).unwrap_or(0)),
    }
}

/// `PRAGMA integrity_check` of a database file: `Ok` when SQLite finds it sound.
pub fn check_integrity(path: &Path) -> Result<(), String> {
    use diesel::{Connection, RunQueryDsl, sqlite::SqliteConnection};
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match rows.first() {
        Some(r) if r.integrity_check == "ok" && rows.len() == 1 => Ok(()),
        _ => Err(format!(
            "{} is damaged: {}",
            path.display(),
            rows.iter()
                .map(|r| r.integrity_check.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}
