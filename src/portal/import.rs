//! CSV upload (物件の一括登録): the file of `docs/rentals-import.md`, sent as a form
//! upload, imported by the API's import (`routes::rentals::import::run_import`), and its
//! row report shown as a table: row, line, column, reason in Japanese.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;

use super::session::{Nav, Session};
use super::{PortalError, PortalResult, messages, page, page_with};
use crate::auth::{Action, Resource, authorize};
use crate::domain::rental::csv::Utf8Sniffer;
use crate::error::ApiError;
use crate::routes::rentals::import::{ImportIssue, ImportMode, Imported, TempFile, run_import};
use crate::state::AppState;

/// A line of the report as the page shows it.
pub struct ReportLine {
    pub row: String,
    pub line: u64,
    pub column: String,
    pub reason: String,
}

fn lines(report: &[ImportIssue]) -> Vec<ReportLine> {
    report
        .iter()
        .map(|i| ReportLine {
            row: if i.row == 0 {
                "見出し行".into()
            } else {
                format!("{}行目", i.row)
            },
            line: i.line,
            column: i.column.clone().unwrap_or_else(|| "（行全体）".into()),
            reason: messages::for_field(i.column.as_deref().unwrap_or(""), &i.reason),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal/import.html")]
struct ImportPage {
    nav: Nav,
    section: &'static str,
    /// After an upload: what happened, in one sentence.
    outcome: Option<String>,
    stored: bool,
    report: Vec<ReportLine>,
    unlisted: u64,
    error: Option<String>,
}

impl ImportPage {
    fn new(s: &Session) -> Self {
        Self {
            nav: s.nav(),
            section: "rentals",
            outcome: None,
            stored: false,
            report: Vec::new(),
            unlisted: 0,
            error: None,
        }
    }
}

/// The example file of `docs/rentals-import.md`, to download and fill in.
pub async fn example() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_TYPE,
            "text/csv; charset=utf-8",
        ))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"rentals-example.csv\"",
        ))
        .body(include_str!("../../examples/rentals.csv"))
}

pub async fn form(s: Session) -> PortalResult<HttpResponse> {
    authorize(&s.caller, Action::Create, Resource::Rentals)?;
    page(&ImportPage::new(&s))
}

/// What the upload form sent: its fields and the file, already on disk.
struct Upload {
    csrf: String,
    mode: String,
    file: Option<(TempFile, u64, Utf8Sniffer)>,
}

async fn receive(mut mp: Multipart, limit: u64) -> PortalResult<Upload> {
    let mut up = Upload {
        csrf: String::new(),
        mode: String::new(),
        file: None,
    };
    while let Some(field) = mp.next().await {
        let mut field =
            field.map_err(|e| ApiError::bad_request("malformed-form", e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let temp = TempFile::new()?;
                let mut sink = temp.writer().await?;
                let mut size = 0u64;
                let mut sniffer = Utf8Sniffer::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk
                        .map_err(|e| ApiError::bad_request("malformed-form", e.to_string()))?;
                    size += chunk.len() as u64;
                    if size > limit {
                        return Err(ApiError::PayloadTooLarge(
                            usize::try_from(limit).unwrap_or(usize::MAX),
                        )
                        .into());
                    }
                    sniffer.feed(&chunk);
                    sink.write(chunk).await?;
                }
                sink.finish().await?;
                up.file = Some((temp, size, sniffer));
            }
            "csrf_token" | "mode" => {
                let mut value = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk
                        .map_err(|e| ApiError::bad_request("malformed-form", e.to_string()))?;
                    if value.len() + chunk.len() > 1024 {
                        return Err(ApiError::PayloadTooLarge(1024).into());
                    }
                    value.extend_from_slice(&chunk);
                }
                let value = String::from_utf8_lossy(&value).trim().to_owned();
                if name == "mode" {
                    up.mode = value;
                } else {
                    up.csrf = value;
                }
            }
            // Anything else is drained and ignored.
            _ => while field.next().await.is_some() {},
        }
    }
    Ok(up)
}

pub async fn upload(
    state: web::Data<AppState>,
    s: Session,
    mp: Multipart,
) -> PortalResult<HttpResponse> {
    authorize(&s.caller, Action::Create, Resource::Rentals)?;
    let up = receive(mp, state.import_max_bytes).await?;
    // The token is checked before anything is imported (the file only reached a temp
    // file, removed when `up` is dropped).
    s.check_csrf(&up.csrf)?;
    let mode = match up.mode.as_str() {
        "partial" => ImportMode::Partial,
        _ => ImportMode::All,
    };
    let mut p = ImportPage::new(&s);
    let Some((temp, size, sniffer)) = up.file.filter(|(_, size, _)| *size > 0) else {
        p.error = Some("CSVファイルを選んでください。".into());
        return page_with(StatusCode::UNPROCESSABLE_ENTITY, &p);
    };
    let charset = sniffer.charset();
    match run_import(&state, s.caller, temp, size, charset, mode).await {
        Ok(Imported::Stored(summary)) => {
            p.stored = true;
            p.outcome = Some(if summary.rejected == 0 {
                format!("{}件の物件を登録しました。", summary.imported)
            } else {
                format!(
                    "{}件を登録しました。次の{}行は登録していません。直して、その行だけ送り直してください。",
                    summary.imported, summary.rejected
                )
            });
            p.report = lines(&summary.report);
            p.unlisted = summary.unlisted;
            page(&p)
        }
        Ok(Imported::Refused(checked)) => {
            p.outcome = Some(if checked.header_failed {
                "見出し行に誤りがあるため、何も登録していません。".to_owned()
            } else {
                format!(
                    "{}行のうち{}行に誤りがあるため、何も登録していません。直してから送り直すか、「正しい行だけ登録する」を選んでください。",
                    checked.rows, checked.rejected
                )
            });
            p.report = lines(&checked.report);
            p.unlisted = checked.unlisted;
            page_with(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(ApiError::Validation(errors)) => {
            p.error = Some(
                errors
                    .iter()
                    .map(|e| {
                        if e.message.contains("no rows") {
                            "見出し行だけで、登録する行がありません。".to_owned()
                        } else {
                            messages::for_field(&e.field, &e.message)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            page_with(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(PortalError::Api(e)),
    }
}
