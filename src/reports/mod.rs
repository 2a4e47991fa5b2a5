//! Council reports (`GET /councils/{id}/reports/meetings`): the facts read from the
//! store for the council's area ([`council`]), and the CSV layout ([`csv`]). The report
//! itself is `domain::council_report`; its PDF is `pdf`.
//!
//! Errors: store access returns [`crate::error::ApiError`] like the handlers; the CSV
//! writer returns `std::io::Error` (it only fails on a broken writer).

pub mod council;
pub mod csv;
