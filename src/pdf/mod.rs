//! PDF documents (council reports, 生活サポートシート) laid out by typst.
//!
//! Templates live in `templates/pdf/` and are compiled into the binary, as is the
//! Japanese font (IPAex Gothic, `assets/fonts/`): the machines that run the service have
//! no system fonts, and a PDF must look the same wherever it is made. typst embeds only
//! the glyphs a document uses, so a sheet stays a few tens of KB.
//!
//! Data reaches a template only as JSON in `sys.inputs.data`, decoded there with
//! `json(bytes(..))`. User text therefore stays a typst string that is printed, never
//! markup that is evaluated: a note saying `#panic("x")` or `*bold*` prints as written.
//!
//! Build one [`PdfRenderer`] at start and share it (it is `Send + Sync`). Rendering is
//! CPU-bound for tens of milliseconds: handlers call it through `web::block`.
//! Errors are [`PdfError`]; a template error is a bug of ours, so handlers map it to an
//! opaque 500.

mod council_report;
pub mod sample;
mod support_sheet;

use serde::Serialize;
use typst::diag::{SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue};
use typst_as_lib::{TypstAsLibError, TypstEngine};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

/// One typst template and how its PDF is written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// File name under `templates/pdf/`, also its name in error messages.
    pub file: &'static str,
    /// Whether to write the PDF's structure tree for screen readers. It costs about
    /// 250 bytes per table cell: a council report of 200 offices would pass 500 KB with
    /// it, so each document decides.
    pub tagged: bool,
}

/// IPAex Gothic; its family name is what the templates ask for.
static FONT: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

/// The templates by the names they import each other with.
const SOURCES: [(&str, &str); 3] = [
    ("common.typ", include_str!("../../templates/pdf/common.typ")),
    (
        council_report::TEMPLATE.file,
        include_str!("../../templates/pdf/council_report.typ"),
    ),
    (
        support_sheet::TEMPLATE.file,
        include_str!("../../templates/pdf/support_sheet.typ"),
    ),
];

/// How many compilations typst keeps memoised results for. Eviction after every run
/// (typst-as-lib's default) would re-layout the unchanging page furniture and re-shape
/// the template's own strings each time; a few generations keep warm renders fast while
/// bounding memory.
const CACHE_GENERATIONS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("could not serialise the document data: {0}")]
    Data(#[from] serde_json::Error),
    #[error("typst template {template} failed: {message}")]
    Template {
        template: &'static str,
        message: String,
    },
}

pub struct PdfRenderer {
    engine: TypstEngine,
    /// One render per core at a time: layout is CPU-bound, and more at once would only
    /// make each slower and starve the other requests.
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    slot_wait: std::time::Duration,
}

/// How long a render waits for a free slot before the request is told to come back.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Default for PdfRenderer {
    fn default() -> Self {
        Self::new()
    }
}

/// What a compilation produced besides the PDF: typst's warnings, which tests check are
/// empty (a missing glyph or font is only a warning to typst).
pub(crate) struct Rendered {
    pub pdf: Vec<u8>,
    pub warnings: Vec<String>,
}

impl Rendered {
    /// The PDF, with typst's warnings sent to the log: a document with a missing glyph
    /// is still worth handing out, but the template needs fixing.
    pub fn into_pdf(self) -> Vec<u8> {
        for warning in &self.warnings {
            tracing::warn!(%warning, "typst warned while rendering a PDF");
        }
        self.pdf
    }
}

impl PdfRenderer {
    pub fn new() -> Self {
        let engine = TypstEngine::builder()
            .fonts([Bytes::new(FONT)])
            .with_static_source_file_resolver(SOURCES)
            .comemo_evict_max_age(Some(CACHE_GENERATIONS))
            .build();
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self {
            engine,
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
            slot_wait: SLOT_WAIT,
        }
    }

    /// A renderer with `slots` renders at a time, each request waiting at most `wait`.
    pub fn with_slots(slots: usize, wait: std::time::Duration) -> Self {
        Self {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(slots)),
            slot_wait: wait,
            ..Self::new()
        }
    }

    /// Waits for a render slot; hold it while rendering. After the wait the server
    /// is too busy: 503 with `Retry-After`.
    pub async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, crate::error::ApiError> {
        let busy = || {
            crate::error::ApiError::Unavailable(
                "every PDF render slot is busy; retry in a few seconds".into(),
            )
        };
        tokio::time::timeout(self.slot_wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())
    }

    /// Renders `template` with `data` as its `sys.inputs.data`; `created` becomes the
    /// PDF's creation date.
    pub(crate) fn render<T: Serialize>(
        &self,
        template: Template,
        data: &T,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Result<Rendered, PdfError> {
        let json = serde_json::to_string(data)?;
        let mut inputs = Dict::new();
        inputs.insert("data".into(), json.into_value());
        let Warned { output, warnings } = self
            .engine
            .compile_with_input::<_, _, PagedDocument>(template.file, inputs);
        let fail = |message: String| PdfError::Template {
            template: template.file,
            message,
        };
        let doc = output.map_err(|e| fail(describe(e)))?;
        let options = PdfOptions {
            timestamp: timestamp(created),
            tagged: template.tagged,
            ..PdfOptions::default()
        };
        let pdf = typst_pdf::pdf(&doc, &options).map_err(|d| fail(diagnostics(&d)))?;
        let warnings = warnings.iter().map(|w| w.message.to_string()).collect();
        Ok(Rendered { pdf, warnings })
    }
}

/// `None` only for a year typst cannot represent; the PDF then carries no date.
fn timestamp(at: chrono::DateTime<chrono::Utc>) -> Option<Timestamp> {
    use chrono::{Datelike, Timelike};
    let narrow = |n: u32| u8::try_from(n).ok();
    Datetime::from_ymd_hms(
        at.year(),
        narrow(at.month())?,
        narrow(at.day())?,
        narrow(at.hour())?,
        narrow(at.minute())?,
        narrow(at.second())?,
    )
    .map(Timestamp::new_utc)
}

fn describe(e: TypstAsLibError) -> String {
    match e {
        TypstAsLibError::TypstSource(d) => diagnostics(&d),
        other => other.to_string(),
    }
}

fn diagnostics(d: &[SourceDiagnostic]) -> String {
    d.iter()
        .map(|d| d.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
