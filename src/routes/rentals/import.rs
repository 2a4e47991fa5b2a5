//! `POST /rentals/import`: many rentals from one CSV file (docs/rentals-import.md).
//!
//! The body is streamed to a temp file — never held in memory, and not bound by the
//! JSON body limit but by `SUMAI_IMPORT_MAX_BYTES` — and then read once on a blocking
//! thread, in one transaction: [`passes`] checks every row, keeping only what it needs
//! to decide (the numbers of the bad rows, a hash per registration), and hands the good
//! rows batch by batch to [`store`], which inserts them. A file with bad rows in `all`
//! mode is rolled back. Memory stays flat whatever the size of the file.

mod bulk;
mod passes;
mod store;

use std::io::Write;
use std::path::{Path, PathBuf};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::Backend;
use crate::domain::rental::csv::{Charset, Utf8Sniffer};
use crate::domain::time::today_tokyo;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::state::AppState;
pub use passes::Checked;

/// What to do when some rows are bad.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Store every row or none: any bad row fails the import (422) and nothing is stored.
    #[default]
    All,
    /// Store the good rows and report the bad ones.
    Partial,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `all` (the default): all or nothing; `partial`: keep the good rows.
    #[param(inline)]
    pub mode: Option<ImportMode>,
}

/// One bad cell, or a bad row or header.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportIssue {
    /// The data row: 1 is the first row after the header (line 2 of the file unless a
    /// cell holds a line break); 0 is the header.
    pub row: u64,
    /// The line of the file on which the row starts.
    pub line: u64,
    /// The column as the file's header names it (`家賃` or `rent`); absent when the
    /// problem is the whole row.
    pub column: Option<String>,
    pub reason: String,
}

/// The outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    /// Rentals stored.
    pub imported: u64,
    /// Rows refused (always 0 in `all` mode: any bad row fails the import).
    pub rejected: u64,
    /// The problems of the refused rows, at most 1,000.
    pub report: Vec<ImportIssue>,
    /// Problems found beyond the 1,000 listed.
    pub unlisted: u64,
    /// Whether the rentals were already searchable on this replica when the answer was
    /// sent. An import of more than 20,000 rows answers once the rows are stored and is
    /// indexed in the background: searchable seconds later (on every replica at its next
    /// poll of the change log).
    pub searchable: bool,
}

/// Imports up to this many rows are in the search index before the answer.
const INDEX_BEFORE_ANSWER: u64 = 20_000;

/// A failed import: the problem document (its `errors` name each bad cell as
/// `row {n}: {column}`), plus the same problems as structured `report` entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblem {
    #[serde(flatten)]
    pub problem: Problem,
    /// Rows with at least one problem.
    pub rejected: u64,
    /// At most 1,000 problems, in file order.
    pub report: Vec<ImportIssue>,
    /// Problems found beyond the 1,000 listed.
    pub unlisted: u64,
}

/// Problems listed in a report; more are counted, not listed.
pub const REPORT_CAP: usize = 1_000;

/// An uploaded file in the temp directory (owner-only), removed however the request
/// ends.
pub struct TempFile(PathBuf);

impl TempFile {
    /// A new, not yet created, file name.
    pub fn new() -> ApiResult<Self> {
        Ok(Self(std::env::temp_dir().join(format!(
            "sumai-import-{}.csv",
            uuid::Uuid::now_v7().simple()
        ))))
    }

    /// Creates the file for writing, a megabyte at a time on a blocking thread.
    pub async fn writer(&self) -> ApiResult<TempWriter> {
        let path = self.0.clone();
        let file = web::block(move || create_private(&path))
            .await?
            .map_err(ApiError::internal)?;
        Ok(TempWriter {
            file: Some(file),
            buf: Vec::with_capacity(WRITE_CHUNK),
        })
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes an upload into its [`TempFile`].
pub struct TempWriter {
    file: Option<std::fs::File>,
    buf: Vec<u8>,
}

impl TempWriter {
    pub async fn write(&mut self, chunk: web::Bytes) -> ApiResult<()> {
        self.buf.extend_from_slice(&chunk);
        if self.buf.len() >= WRITE_CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> ApiResult<()> {
        let (Some(mut file), mut buf) = (self.file.take(), std::mem::take(&mut self.buf)) else {
            return Err(ApiError::internal("the upload's file is gone"));
        };
        let (file, buf) = web::block(move || {
            file.write_all(&buf)?;
            buf.clear();
            Ok::<_, std::io::Error>((file, buf))
        })
        .await?
        .map_err(ApiError::internal)?;
        self.file = Some(file);
        self.buf = buf;
        Ok(())
    }

    pub async fn finish(mut self) -> ApiResult<()> {
        if !self.buf.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }
}

/// Accepts `text/csv` only; returns the charset it names, if any.
fn declared_charset(req: &HttpRequest) -> ApiResult<Option<Charset>> {
    let unsupported = || {
        ApiError::UnsupportedMediaType(
            "send the file with Content-Type: text/csv (charset=utf-8 or charset=shift_jis)".into(),
        )
    };
    let value = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsupported)?;
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("text/csv") {
        return Err(unsupported());
    }
    for param in parts {
        if let Some((k, v)) = param.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            return Charset::from_label(v).map(Some).ok_or_else(|| {
                ApiError::UnsupportedMediaType(format!(
                    "charset {} is not supported: send UTF-8 or Shift_JIS",
                    v.trim()
                ))
            });
        }
    }
    Ok(None)
}

fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Bytes gathered before each write to the temp file (on a blocking thread).
const WRITE_CHUNK: usize = 1024 * 1024;

/// Streams the body into a temp file, refusing it past `limit` bytes; returns the file,
/// its size and whether it is UTF-8.
async fn receive(mut payload: web::Payload, limit: u64) -> ApiResult<(TempFile, u64, Utf8Sniffer)> {
    let too_large = || ApiError::PayloadTooLarge(usize::try_from(limit).unwrap_or(usize::MAX));
    let temp = TempFile::new()?;
    let mut sink = temp.writer().await?;
    let mut size = 0u64;
    let mut sniffer = Utf8Sniffer::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::middleware::body_timeout::is_timeout(&e) {
                ApiError::RequestTimeout
            } else {
                ApiError::bad_request("malformed-json", format!("the body could not be read: {e}"))
            }
        })?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large());
        }
        sniffer.feed(&chunk);
        sink.write(chunk).await?;
    }
    sink.finish().await?;
    Ok((temp, size, sniffer))
}

fn problem_response(problem: ImportProblem) -> HttpResponse {
    HttpResponse::build(StatusCode::UNPROCESSABLE_ENTITY)
        .insert_header((header::CONTENT_TYPE, "application/problem+json"))
        .body(serde_json::to_string(&problem).unwrap_or_default())
}

fn field_of(issue: &ImportIssue) -> String {
    let row = if issue.row == 0 {
        "header".to_owned()
    } else {
        format!("row {}", issue.row)
    };
    match &issue.column {
        Some(c) => format!("{row}: {c}"),
        None => row,
    }
}

/// The 422 for a file with bad rows (or a bad header): nothing was stored.
fn rejection(checked: &Checked) -> HttpResponse {
    let detail = if checked.header_failed {
        "the header of the file is not valid; nothing was imported".to_owned()
    } else {
        format!(
            "{} of {} rows have problems; nothing was imported (send ?mode=partial to keep the good rows)",
            checked.rejected, checked.rows
        )
    };
    let errors = checked
        .report
        .iter()
        .map(|i| FieldError::new(field_of(i), i.reason.clone()))
        .collect();
    let mut problem = ApiError::Validation(errors).to_problem();
    problem.detail = detail;
    problem_response(ImportProblem {
        problem,
        rejected: checked.rejected,
        report: checked.report.clone(),
        unlisted: checked.unlisted,
    })
}

/// Imports rentals from a CSV file: one row per rental, a header naming the columns in
/// English (the JSON field names) or Japanese (docs/rentals-import.md). UTF-8 (with or
/// without BOM) or Shift_JIS: by `charset`, else by whether the bytes are valid UTF-8.
/// All or nothing by default; `?mode=partial` keeps the good rows. Rows without
/// coordinates are stored with `geocode_status` `pending` and placed later by the
/// geocoder. 居住サポート住宅 cannot be imported.
#[utoipa::path(tag = "rentals", params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "CSV, UTF-8 or Shift_JIS (`text/csv; charset=shift_jis`), at most SUMAI_IMPORT_MAX_BYTES (512 MiB by default)"),
    responses(
        (status = 201, body = ImportSummary, description = "mode=all: every row was stored"),
        (status = 200, body = ImportSummary, description = "mode=partial: the good rows were stored; `report` lists the problems of the others"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "an unknown mode"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = ImportProblem, content_type = "application/problem+json",
            description = "the header is invalid, or (mode=all) some rows are: nothing was stored"),
    ), security(("bearer" = [])))]
#[post("/rentals/import")]
#[tracing::instrument(name = "rentals.import", skip_all, fields(mode, rows, rejected))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::Rentals)?;
    let mode = query.into_inner().mode.unwrap_or_default();
    tracing::Span::current().record("mode", tracing::field::debug(mode));
    let declared = declared_charset(&req)?;
    let limit = state.import_max_bytes;
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(
            usize::try_from(limit).unwrap_or(usize::MAX),
        ));
    }
    let started = std::time::Instant::now();
    let (temp, size, sniffer) = receive(payload, limit).await?;
    let charset = declared.unwrap_or_else(|| sniffer.charset());
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "upload received");

    let summary = match run_import(&state, caller, temp, size, charset, mode).await? {
        Imported::Stored(summary) => summary,
        Imported::Refused(checked) => return Ok(rejection(&checked)),
    };
    let status = match mode {
        ImportMode::All => StatusCode::CREATED,
        ImportMode::Partial => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(summary))
}

/// What an import came to.
pub enum Imported {
    /// Every row (mode all) or the good rows (mode partial) were stored.
    Stored(ImportSummary),
    /// The header is bad, or (mode all) some rows are: nothing was stored.
    Refused(Checked),
}

/// Imports the uploaded file for the caller (API and portal): one pass in one
/// transaction, then the search index (before the answer up to 20,000 rows).
pub async fn run_import(
    state: &AppState,
    caller: Caller,
    temp: TempFile,
    size: u64,
    charset: Charset,
    mode: ImportMode,
) -> ApiResult<Imported> {
    authorize(&caller, Action::Create, Resource::Rentals)?;
    let started = std::time::Instant::now();
    let today = today_tokyo();
    let path = temp.0.clone();
    let outcome = state
        .db
        .transaction_or_rollback(move |conn| {
            let job = store::Job {
                caller,
                path: &path,
                charset,
                today,
                mode,
                bytes: size,
            };
            let outcome = store::run(conn, &job)?;
            // Nothing kept, or nothing to keep: roll back what was stored.
            if !store::kept(mode, &outcome.checked) || outcome.imported == 0 {
                return Ok(Err(outcome.checked));
            }
            Ok(Ok(outcome))
        })
        .await;
    // The connection wrote with its automatic checkpoint off (SQLite); after a failure
    // or a rollback nothing else needs doing.
    let (checked, imported) = match outcome {
        Ok(Ok(o)) => (o.checked, o.imported),
        Ok(Err(checked)) => {
            actix_web::rt::spawn(catch_up(state, true, false));
            let span = tracing::Span::current();
            span.record("rows", checked.rows);
            span.record("rejected", checked.rejected);
            if checked.header_failed || (mode == ImportMode::All && checked.rejected > 0) {
                return Ok(Imported::Refused(checked));
            }
            if checked.rows == 0 {
                return Err(ApiError::field(
                    "body",
                    "the file has a header but no rows to import",
                ));
            }
            // mode=partial and every row bad.
            (checked, 0)
        }
        Err(e) => {
            actix_web::rt::spawn(catch_up(state, true, false));
            return Err(e);
        }
    };
    let span = tracing::Span::current();
    span.record("rows", checked.rows);
    span.record("rejected", checked.rejected);
    let rejected = checked.rejected;
    let unlisted = checked.unlisted;
    let report = checked.report;
    drop(temp);
    let stored_ms = started.elapsed().as_millis() as u64;
    // The other replicas see the rows at their next poll; this one before answering,
    // unless the import is large: then the WAL is checkpointed first (SQLite) and the
    // index catches up in the background.
    let searchable = imported <= INDEX_BEFORE_ANSWER;
    if searchable {
        let index = state.rentals.clone();
        state.db.run(move |conn| Ok(index.poll(conn)?)).await?;
    }
    actix_web::rt::spawn(catch_up(state, imported > 0, !searchable));
    tracing::info!(
        bytes = size,
        charset = charset.name(),
        imported,
        rejected,
        stored_ms,
        indexed_ms = started.elapsed().as_millis() as u64 - stored_ms,
        searchable,
        "rentals imported"
    );
    Ok(Imported::Stored(ImportSummary {
        imported,
        rejected,
        report,
        unlisted,
        searchable,
    }))
}

/// After an import that wrote (or tried to): on SQLite, copies the WAL back into the
/// database (the import wrote it with the automatic checkpoint off); then, for a large
/// import, brings this replica's search index up to date (reading the database file,
/// not a WAL of gigabytes).
fn catch_up(
    state: &AppState,
    wrote: bool,
    index: bool,
) -> impl std::future::Future<Output = ()> + 'static {
    let db = state.db.clone();
    let rentals = state.rentals.clone();
    async move {
        if !wrote {
            return;
        }
        if db.backend() == Backend::Sqlite {
            let started = std::time::Instant::now();
            match db.run(store::checkpoint_sqlite).await {
                Ok(()) => tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    "checkpointed the WAL after an import"
                ),
                Err(e) => tracing::warn!(error = %e, "checkpoint after an import failed"),
            }
        }
        crate::memory::release_free_memory();
        if index {
            let started = std::time::Instant::now();
            match db.run(move |conn| Ok(rentals.poll(conn)?)).await {
                Ok(n) => tracing::info!(
                    rows = n,
                    ms = started.elapsed().as_millis() as u64,
                    "the search index caught up with an import"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "indexing an import failed; the next poll retries")
                }
            }
        }
        crate::memory::release_free_memory();
    }
}
