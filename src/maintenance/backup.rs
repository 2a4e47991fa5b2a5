//! `sumai-link backup` and `restore`.
//!
//! SQLite: the online backup API copies the live file (servers keep running), the copy
//! is integrity-checked and only then renamed into place. PostgreSQL: `pg_dump` in its
//! custom format and `pg_restore` in one transaction (both from the PostgreSQL client
//! packages, of the server's major version or newer).

use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::{Connection, RunQueryDsl};

use super::sqlite_backup;
use crate::config::Settings;
use crate::db::DatabaseUrl;
use crate::startup::open_database;

fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

pub async fn backup(settings: &Settings, output: &Path) -> Result<String, String> {
    if output.exists() {
        return Err(format!(
            "{} exists already; choose a new name (backups are never overwritten)",
            output.display()
        ));
    }
    let tmp = partial(output);
    let _ = std::fs::remove_file(&tmp);
    let result = match settings.database_url.clone() {
        DatabaseUrl::Sqlite(path) => {
            let (from, to) = (PathBuf::from(&path), tmp.clone());
            tokio::task::spawn_blocking(move || {
                if !from.exists() {
                    return Err(format!("{} does not exist", from.display()));
                }
                let pages = sqlite_backup::copy(&from, &to)?;
                sqlite_backup::check_integrity(&to)?;
                Ok(format!("{pages} pages of {}", from.display()))
            })
            .await
            .map_err(|e| e.to_string())?
        }
        DatabaseUrl::Postgres(url) => run(Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--file")
            .arg(&tmp)
            .arg("--dbname")
            .arg(&url))
        .map(|()| "the PostgreSQL database (pg_dump, custom format)".to_owned()),
    };
    match result {
        Ok(what) => {
            std::fs::rename(&tmp, output).map_err(|e| format!("{}: {e}", output.display()))?;
            let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
            Ok(format!(
                "backed up {what} to {} ({size} bytes)",
                output.display()
            ))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

pub async fn restore(settings: &Settings, input: &Path, force: bool) -> Result<String, String> {
    if !input.is_file() {
        return Err(format!("{} is not a file", input.display()));
    }
    let url = settings.database_url.clone();
    let target = url.clone();
    let users = tokio::task::spawn_blocking(move || count_users(&target))
        .await
        .map_err(|e| e.to_string())?;
    if users > 0 && !force {
        return Err(format!(
            "the database holds {users} accounts; stop every server and run restore again with --force to replace it"
        ));
    }
    let input_path = input.to_path_buf();
    match url {
        DatabaseUrl::Sqlite(path) => {
            tokio::task::spawn_blocking(move || {
                sqlite_backup::check_integrity(&input_path)?;
                sqlite_backup::copy(&input_path, Path::new(&path)).map(|_| ())
            })
            .await
            .map_err(|e| e.to_string())??;
        }
        DatabaseUrl::Postgres(url) => run(Command::new("pg_restore")
            .arg("--clean")
            .arg("--if-exists")
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--single-transaction")
            .arg("--exit-on-error")
            .arg("--dbname")
            .arg(&url)
            .arg(&input_path))?,
    }
    // A backup of an older release is brought up to this one's schema.
    open_database(settings)
        .await
        .map_err(|e| format!("restored, but {e}"))?;
    Ok(format!(
        "restored {} into the database; its migrations are applied",
        input.display()
    ))
}

/// Accounts in the target database; 0 when it is new or has no tables yet.
fn count_users(url: &DatabaseUrl) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = "SELECT COUNT(*) AS n FROM users";
    let rows: Result<Vec<N>, String> = match url {
        DatabaseUrl::Sqlite(path) if !Path::new(path).exists() => Ok(Vec::new()),
        DatabaseUrl::Sqlite(path) => diesel::SqliteConnection::establish(path)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                diesel::sql_query(sql)
                    .load(&mut c)
                    .map_err(|e| e.to_string())
            }),
        DatabaseUrl::Postgres(u) => diesel::PgConnection::establish(u)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                diesel::sql_query(sql)
                    .load(&mut c)
                    .map_err(|e| e.to_string())
            }),
    };
    rows.ok().and_then(|r| r.first().map(|n| n.n)).unwrap_or(0)
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {name} (install the PostgreSQL client): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
