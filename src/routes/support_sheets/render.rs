//! The sheet as JSON, an HTML page or an A4 PDF. HTML and PDF are drawn from one
//! [`Printable`], so they show the same sections.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG};
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{Loaded, SheetDocument};
use crate::domain::support_sheet::print::{Heading, Printable, printable};
use crate::domain::time::tokyo;
use crate::error::{ApiError, ApiResult};
use crate::routes::etag;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Json,
    Html,
    Pdf,
}

impl SheetFormat {
    pub fn parse(s: Option<&str>) -> ApiResult<Self> {
        match s.unwrap_or("json") {
            "json" => Ok(Self::Json),
            "html" => Ok(Self::Html),
            "pdf" => Ok(Self::Pdf),
            other => Err(ApiError::BadRequest {
                slug: "invalid-parameter",
                detail: format!("format must be json, html or pdf, not {other:?}"),
                field: Some("format".into()),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Html => "html",
            Self::Pdf => "pdf",
        }
    }
}

#[derive(Template)]
#[template(path = "html/support_sheet.html")]
struct SheetPage<'a> {
    d: &'a Printable,
}

/// The printable sheet for `doc`, as `recipient` sees it.
pub fn printable_of(loaded: &Loaded, doc: SheetDocument, recipient: String) -> Printable {
    let generated = chrono::Utc::now().with_timezone(&tokyo());
    printable(
        Heading {
            client_name: Some(loaded.client.name.clone()),
            display_code: loaded.client.display_code.clone(),
            version: doc.version,
            published: doc.state == super::VersionState::Published,
            recipient,
            generated_at: generated.format("%Y-%m-%d %H:%M").to_string(),
        },
        &doc.sections,
    )
}

/// The response body in `format`.
pub async fn body(
    state: &AppState,
    format: SheetFormat,
    loaded: &Loaded,
    doc: SheetDocument,
    recipient: String,
) -> ApiResult<Vec<u8>> {
    match format {
        SheetFormat::Json => serde_json::to_vec(&doc).map_err(ApiError::internal),
        SheetFormat::Html => {
            let p = printable_of(loaded, doc, recipient);
            SheetPage { d: &p }
                .render()
                .map(String::into_bytes)
                .map_err(ApiError::internal)
        }
        SheetFormat::Pdf => {
            let p = printable_of(loaded, doc, recipient);
            let pdf = state.pdf.clone();
            let slot = pdf.slot().await?;
            let span = tracing::Span::current();
            web::block(move || {
                let _slot = slot;
                span.in_scope(|| pdf.render_support_sheet(&p, chrono::Utc::now()))
            })
            .await?
            .map_err(ApiError::internal)
        }
    }
}

pub fn respond(format: SheetFormat, loaded: &Loaded, version: i32, body: Vec<u8>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header((CACHE_CONTROL, "no-store"));
    if loaded.full() {
        res.insert_header((ETAG, etag(loaded.sheet.latest_version)));
    }
    match format {
        SheetFormat::Json => res.insert_header((CONTENT_TYPE, "application/json")),
        SheetFormat::Html => res.insert_header((CONTENT_TYPE, "text/html; charset=utf-8")),
        SheetFormat::Pdf => res
            .insert_header((CONTENT_TYPE, "application/pdf"))
            .insert_header((
                CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"support-sheet-{}-v{version}.pdf\"",
                    loaded
                        .client
                        .display_code
                        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
                ),
            )),
    };
    res.body(body)
}
