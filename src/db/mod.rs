//! The database: one connection type over PostgreSQL and SQLite, an r2d2 pool, the
//! embedded migrations of both backends, and [`Db`], which runs diesel work on actix's
//! blocking threads.

pub mod add_on_facts;
pub mod api_keys;
pub mod audit;
pub mod audit_chain;
pub mod clients;
pub mod council;
pub mod council_area;
pub mod idempotency;
pub mod inquiries;
pub mod login_throttle;
pub mod meetings;
pub mod office_setups;
pub mod organizations;
pub mod portal_sessions;
pub mod refresh_tokens;
pub mod rental_changes;
pub mod rentals;
pub mod schema;
pub mod support_sheets;
pub mod users;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{ApiError, ApiResult};

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Where the database is, parsed once: SQLite accepts any string as a path, so the
/// backend is chosen from the URL scheme here and never by trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if url.contains("://") && !url.starts_with("sqlite://") {
            return Err(format!(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite://, not {}",
                url.split("://").next().unwrap_or_default()
            ));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Opens connections of the configured backend; SQLite connections get their pragmas
/// here because each pooled connection has its own.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url).map(DbConn::Postgres),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON;
                     PRAGMA busy_timeout = 5000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// The pool plus what the handlers need to use it well.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    /// SQLite allows one writer at a time; taking this in-process lock before a write
    /// transaction avoids `SQLITE_BUSY` on lock upgrades. PostgreSQL needs no such lock.
    sqlite_writer: Arc<Mutex<()>>,
}

impl Db {
    pub fn connect(url: &DatabaseUrl, pool_size: u32) -> Result<Self, r2d2::Error> {
        if let DatabaseUrl::Sqlite(path) = url
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            // A fresh machine has no ./data yet; r2d2 reports the failure if this fails.
            let _ = std::fs::create_dir_all(dir);
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .connection_timeout(Duration::from_secs(5))
            .build(ConnectionManager { url: url.clone() })?;
        Ok(Self {
            pool,
            backend: url.backend(),
            sqlite_writer: Arc::new(Mutex::new(())),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn get(&self) -> Result<PooledConn, r2d2::Error> {
        self.pool.get()
    }

    /// Runs `f` with a connection on a blocking thread (diesel is synchronous).
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let request_id = audit::current_request_id();
        actix_web::web::block(move || {
            let _request = audit::on_thread(request_id);
            span.in_scope(|| {
                let mut conn = pool.get()?;
                f(&mut conn)
            })
        })
        .await?
    }

    /// Runs `f` inside one transaction: either everything it writes is stored, or
    /// nothing is.
    pub async fn transaction<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.transaction_then(f, |_, t| Ok(t)).await
    }

    /// Runs `f` inside one transaction, then, once it is committed, `then` with its
    /// result on the same connection: one trip to a blocking thread and one connection
    /// for both (on SQLite the writer lock is held for `f` only).
    pub async fn transaction_then<T, U, F, G>(&self, f: F, then: G) -> ApiResult<U>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        G: FnOnce(&mut DbConn, T) -> ApiResult<U> + Send + 'static,
        U: Send + 'static,
    {
        let pool = self.pool.clone();
        let backend = self.backend;
        let writer = self.sqlite_writer.clone();
        let span = tracing::Span::current();
        let held = idempotency::held();
        let request_id = audit::current_request_id();
        actix_web::web::block(move || {
            let _request = audit::on_thread(request_id);
            span.in_scope(|| {
                let mut conn = pool.get()?;
                let t = {
                    let _guard = match backend {
                        Backend::Sqlite => Some(writer.lock().unwrap_or_else(|p| p.into_inner())),
                        Backend::Postgres => None,
                    };
                    (*conn).transaction(|c| {
                        let t = f(c)?;
                        // The request's Idempotency-Key commits with its write.
                        if let Some(held) = &held {
                            idempotency::mark_committed(c, held)?;
                        }
                        Ok::<_, ApiError>(t)
                    })?
                };
                then(&mut conn, t)
            })
        })
        .await?
    }

    /// Like [`Db::transaction`], but `f` may also ask for a rollback without an error:
    /// `Ok(Err(r))` rolls back everything `f` wrote and hands `r` back (an import that
    /// found bad rows after storing good ones).
    pub async fn transaction_or_rollback<T, R, F>(&self, f: F) -> ApiResult<Result<T, R>>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<Result<T, R>> + Send + 'static,
        T: Send + 'static,
        R: Send + 'static,
    {
        enum Abort<R> {
            Api(ApiError),
            Rollback(R),
        }
        impl<R> From<diesel::result::Error> for Abort<R> {
            fn from(e: diesel::result::Error) -> Self {
                Self::Api(e.into())
            }
        }
        let pool = self.pool.clone();
        let backend = self.backend;
        let writer = self.sqlite_writer.clone();
        let span = tracing::Span::current();
        let held = idempotency::held();
        let request_id = audit::current_request_id();
        actix_web::web::block(move || {
            let _request = audit::on_thread(request_id);
            span.in_scope(|| {
                let mut conn = pool.get()?;
                let _guard = match backend {
                    Backend::Sqlite => Some(writer.lock().unwrap_or_else(|p| p.into_inner())),
                    Backend::Postgres => None,
                };
                let outcome = (*conn).transaction::<T, Abort<R>, _>(|c| match f(c) {
                    Ok(Ok(t)) => {
                        if let Some(held) = &held {
                            idempotency::mark_committed(c, held)?;
                        }
                        Ok(t)
                    }
                    Ok(Err(r)) => Err(Abort::Rollback(r)),
                    Err(e) => Err(Abort::Api(e)),
                });
                match outcome {
                    Ok(t) => Ok(Ok(t)),
                    Err(Abort::Rollback(r)) => Ok(Err(r)),
                    Err(Abort::Api(e)) => Err(e),
                }
            })
        })
        .await?
    }

    /// Readiness: can we get a connection and read a table? (`SELECT 1` alone would
    /// not touch the data and so not notice a broken SQLite file.)
    pub async fn ping(&self) -> ApiResult<()> {
        self.run(|conn| {
            diesel::sql_query("SELECT COUNT(*) FROM __diesel_schema_migrations").execute(conn)?;
            Ok(())
        })
        .await
        .map_err(|e| match e {
            ApiError::Internal(cause) => {
                ApiError::Unavailable(format!("the database does not answer: {cause}"))
            }
            other => other,
        })
    }
}

/// Applies every pending migration of the connection's backend. On PostgreSQL an
/// advisory lock keeps replicas that start together from migrating twice.
pub fn run_migrations(conn: &mut DbConn) -> Result<(), String> {
    const LOCK_KEY: i64 = 0x5355_4d41_4931; // "SUMAI1"
    match conn {
        DbConn::Postgres(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
                .map_err(|e| e.to_string())?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| e.to_string());
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
                .map_err(|e| e.to_string())?;
            result
        }
        DbConn::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

/// Reverts every migration then applies them again: the check that each `down.sql`
/// undoes its `up.sql`.
pub fn redo_all_migrations(conn: &mut DbConn) -> Result<(), String> {
    match conn {
        DbConn::Postgres(pg) => {
            pg.revert_all_migrations(POSTGRES_MIGRATIONS)
                .map_err(|e| e.to_string())?;
            pg.run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        DbConn::Sqlite(sqlite) => {
            sqlite
                .revert_all_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| e.to_string())?;
            sqlite
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

/// The first row of a query that returns at most a handful (a primary-key lookup, a
/// client's active consents), read without a `LIMIT`. SQLite (the bundled 3.53) plans
/// a bound `LIMIT ?` by its value and so prepares a statement with one anew whenever
/// it is bound again — diesel's `first` binds it on every run — while a statement
/// without one stays prepared: for a full rental row, 70 µs against 25 µs.
pub fn first_of<T>(rows: diesel::QueryResult<Vec<T>>) -> diesel::QueryResult<Option<T>> {
    rows.map(|rows| rows.into_iter().next())
}

/// Current UTC time at the precision both databases store (microseconds), so that a
/// value read back equals the value written.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A new time-ordered id (UUID v7) as stored: ids are made in Rust, never read back.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl From<diesel::ConnectionError> for ApiError {
    fn from(e: diesel::ConnectionError) -> Self {
        ApiError::Unavailable(format!("the database is not reachable: {e}"))
    }
}
