//! What a caller asks for: a period of whole Tokyo months and a format.

use chrono::NaiveDate;

use super::MAX_MONTHS;
use crate::domain::month::Month;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
    Pdf,
}

impl ReportFormat {
    /// `json` (also when absent), `csv` or `pdf`.
    pub fn parse(s: Option<&str>) -> Result<Self, String> {
        match s.map(str::trim) {
            None | Some("json") => Ok(Self::Json),
            Some("csv") => Ok(Self::Csv),
            Some("pdf") => Ok(Self::Pdf),
            Some(_) => Err("must be json, csv or pdf".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Pdf => "pdf",
        }
    }
}

/// `from..=to`, both required; `to` not before `from`, not after the current month in
/// Tokyo (`today`), and at most [`MAX_MONTHS`] months in all. An error names its field.
pub fn parse_period(
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(Month, Month), (&'static str, String)> {
    let month = |field: &'static str, s: Option<&str>| {
        let s = s.ok_or((field, "is required (YYYY-MM)".to_owned()))?;
        let m = Month::parse(s).map_err(|e| (field, e))?;
        if m.year() < 2000 {
            return Err((field, "must not be before 2000-01".to_owned()));
        }
        Ok(m)
    };
    let from = month("from", from)?;
    let to = month("to", to)?;
    if to < from {
        return Err(("to", "must not be before from".into()));
    }
    if to > Month::of(today) {
        return Err(("to", "must not be after the current month".into()));
    }
    if from.through(to).nth(MAX_MONTHS).is_some() {
        return Err((
            "from",
            format!("the period must not exceed {MAX_MONTHS} months"),
        ));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-05-14".parse().unwrap()
    }

    fn field(from: Option<&str>, to: Option<&str>) -> &'static str {
        parse_period(from, to, today()).unwrap_err().0
    }

    #[test]
    fn a_period_is_two_months_in_order_up_to_this_month() {
        let (f, t) = parse_period(Some("2025-04"), Some("2026-05"), today()).unwrap();
        assert_eq!(
            (f.to_string(), t.to_string()),
            ("2025-04".into(), "2026-05".into())
        );
        assert_eq!(field(Some("2026-03"), Some("2026-02")), "to");
        assert_eq!(field(Some("2026-03"), Some("2026-06")), "to");
        assert_eq!(field(Some("2026-13"), Some("2026-02")), "from");
        assert_eq!(field(None, Some("2026-02")), "from");
        assert_eq!(field(Some("2026-01"), Some("26-02")), "to");
        assert_eq!(field(Some("1999-12"), Some("2000-02")), "from");
        assert_eq!(field(Some("2023-04"), Some("2026-04")), "from");
        assert!(parse_period(Some("2023-05"), Some("2026-04"), today()).is_ok());
    }

    #[test]
    fn the_format_defaults_to_json() {
        assert_eq!(ReportFormat::parse(None), Ok(ReportFormat::Json));
        assert_eq!(ReportFormat::parse(Some("pdf")), Ok(ReportFormat::Pdf));
        assert!(ReportFormat::parse(Some("xlsx")).is_err());
    }
}
