//! A month as offices close it (`YYYY-MM`). Offices bill a month to the 国保連 by
//! the 10th of the next one, so from the 11th the month's records are final; an office
//! may also close a month earlier. Days are Tokyo days (see `time`).
//! (Kept apart from [`super::month::Month`], which the fee rules use, until the two are
//! folded into one type.)

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// The day of the following month from which a month counts as closed.
pub const CLOSES_ON_DAY: u32 = 11;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// `YYYY-MM`, with a year from 2000 to 2100.
    pub fn parse(s: &str) -> Result<Self, String> {
        let err = || "must be a month as YYYY-MM".to_owned();
        let (y, m) = s.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
            return Err(err());
        }
        Ok(Self { year, month })
    }

    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// The first day on which the month is closed whatever the office did: the 11th of
    /// the following month.
    pub fn deadline_closes_on(self) -> NaiveDate {
        self.next()
            .first_day()
            .with_day(CLOSES_ON_DAY)
            .unwrap_or(NaiveDate::MAX)
    }

    /// Is the month closed on `today`, given whether the office closed it itself?
    pub fn is_closed(self, today: NaiveDate, closed_by_office: bool) -> bool {
        closed_by_office || today >= self.deadline_closes_on()
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// An inclusive range of months from `from` to `to`, either end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonthRange {
    pub from: Option<YearMonth>,
    pub to: Option<YearMonth>,
}

impl MonthRange {
    /// `?from=YYYY-MM&to=YYYY-MM`; returns the field in error with its message.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, (&'static str, String)> {
        let from = from
            .map(|s| YearMonth::parse(s).map_err(|m| ("from", m)))
            .transpose()?;
        let to = to
            .map(|s| YearMonth::parse(s).map_err(|m| ("to", m)))
            .transpose()?;
        if let (Some(a), Some(b)) = (from, to)
            && b < a
        {
            return Err(("to", "must not be before from".into()));
        }
        Ok(Self { from, to })
    }

    /// The first and last day covered (open ends stay open).
    pub fn days(self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        (
            self.from.map(YearMonth::first_day),
            self.to.map(YearMonth::last_day),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_parse_only_as_yyyy_mm() {
        assert_eq!(YearMonth::parse("2026-05").unwrap().to_string(), "2026-05");
        for bad in [
            "2026-5", "2026-13", "26-05", "2026/05", "", "2026-00", "1999-12",
        ] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_closes_on_the_eleventh_of_the_next_one() {
        let may = YearMonth::parse("2026-05").unwrap();
        assert!(!may.is_closed(d(2026, 6, 10), false));
        assert!(may.is_closed(d(2026, 6, 11), false));
        assert!(may.is_closed(d(2026, 5, 20), true));
        let dec = YearMonth::parse("2026-12").unwrap();
        assert_eq!(dec.deadline_closes_on(), d(2027, 1, 11));
        assert_eq!(dec.last_day(), d(2026, 12, 31));
        assert_eq!(dec.next().prev(), dec);
        assert_eq!(dec.next().to_string(), "2027-01");
        assert_eq!(
            YearMonth::parse("2028-02").unwrap().last_day(),
            d(2028, 2, 29)
        );
    }

    #[test]
    fn a_range_ends_after_it_starts() {
        assert!(MonthRange::parse(Some("2026-05"), Some("2026-04")).is_err());
        let r = MonthRange::parse(Some("2026-04"), Some("2026-05")).unwrap();
        assert_eq!(r.days(), (Some(d(2026, 4, 1)), Some(d(2026, 5, 31))));
        assert_eq!(MonthRange::parse(Some("x"), None).unwrap_err().0, "from");
    }
}
