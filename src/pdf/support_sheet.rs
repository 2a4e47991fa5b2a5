//! The 生活サポートシート as a PDF: tagged (it is short, and screen readers matter to the
//! people it is about and to those around them).

use super::{PdfError, PdfRenderer, Rendered, Template};
use crate::domain::support_sheet::print::Printable;

pub(crate) const TEMPLATE: Template = Template {
    file: "support_sheet.typ",
    tagged: true,
};

impl PdfRenderer {
    pub fn render_support_sheet(
        &self,
        sheet: &Printable,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<u8>, PdfError> {
        self.support_sheet(sheet, created).map(Rendered::into_pdf)
    }

    pub(crate) fn support_sheet(
        &self,
        sheet: &Printable,
        created: chrono::DateTime<chrono::Utc>,
    ) -> Result<Rendered, PdfError> {
        self.render(TEMPLATE, sheet, created)
    }
}
