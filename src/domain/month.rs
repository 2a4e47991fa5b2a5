//! Calendar months (YYYY-MM) as fee rules count them: a claim, a meeting requirement and
//! the rules in force are all judged per month, and the month of an instant is the month
//! in Asia/Tokyo, whatever the server's own zone.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::domain::time::{date_in_tokyo, tokyo};

/// A calendar month, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ToSchema)]
#[schema(value_type = String, example = "2021-04")]
pub struct Month(NaiveDate); // always the first day, so ordering is chronological

/// Where a month stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum MonthPhase {
    /// The month has ended in Tokyo: what is missing can no longer be made up.
    Past,
    /// The month is under way; `days_left` counts today.
    Open { days_left: u32 },
    /// The month has not begun.
    Future,
}

impl Month {
    /// The month `month` (1-12) of `year`; years are limited to four digits.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        if !(1..=9999).contains(&year) {
            return None;
        }
        NaiveDate::from_ymd_opt(year, month, 1).map(Month)
    }

    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self, String> {
        const SHAPE: &str = "must be a month written YYYY-MM, e.g. 2021-04";
        let s = s.trim();
        let b = s.as_bytes();
        let shaped = b.len() == 7
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        if !shaped {
            return Err(SHAPE.into());
        }
        let year: i32 = s[..4].parse().map_err(|_| SHAPE.to_owned())?;
        let month: u32 = s[5..].parse().map_err(|_| SHAPE.to_owned())?;
        if !(1..=12).contains(&month) {
            return Err("the month must be 01 to 12".into());
        }
        Month::new(year, month).ok_or_else(|| "the year must be 0001 to 9999".into())
    }

    /// The month a calendar date falls in.
    pub fn of(date: NaiveDate) -> Self {
        Month(date.with_day(1).unwrap_or(date))
    }

    /// The month an instant falls in, judged in Tokyo: 2021-03-31T15:00Z is already April.
    pub fn containing(instant: DateTime<Utc>) -> Self {
        Month::of(date_in_tokyo(instant))
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    pub fn month(self) -> u32 {
        self.0.month()
    }

    pub fn first_day(self) -> NaiveDate {
        self.0
    }

    pub fn last_day(self) -> NaiveDate {
        self.next()
            .and_then(|n| n.0.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// The number of days in the month.
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Month::of(date) == self
    }

    /// Whether the instant falls in this month in Tokyo.
    pub fn contains_instant(self, instant: DateTime<Utc>) -> bool {
        Month::containing(instant) == self
    }

    /// The following month; `None` only past the end of the calendar chrono supports.
    pub fn next(self) -> Option<Month> {
        self.0.checked_add_months(Months::new(1)).map(Month)
    }

    pub fn prev(self) -> Option<Month> {
        self.0.checked_sub_months(Months::new(1)).map(Month)
    }

    /// The instant the month begins (00:00 in Tokyo on the first day) in UTC: the lower
    /// bound, inclusive, for a query on UTC timestamps.
    pub fn start_utc(self) -> DateTime<Utc> {
        tokyo_midnight(self.0)
    }

    /// The instant the month ends, exclusive (00:00 in Tokyo on the next month's first day).
    pub fn end_utc(self) -> DateTime<Utc> {
        tokyo_midnight(self.last_day() + Days::new(1))
    }

    /// Every month from `self` to `last`, both included; empty when `last` is earlier.
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        std::iter::successors(Some(self), |m| m.next()).take_while(move |m| *m <= last)
    }

    /// Where the month stands at `now`, in Tokyo.
    pub fn phase(self, now: DateTime<Utc>) -> MonthPhase {
        let today = date_in_tokyo(now);
        if today < self.first_day() {
            MonthPhase::Future
        } else if today > self.last_day() {
            MonthPhase::Past
        } else {
            MonthPhase::Open {
                days_left: self.last_day().day() - today.day() + 1,
            }
        }
    }

    /// Days left at `now`, today included: 0 once the month is over, all of them before it
    /// begins.
    pub fn days_left(self, now: DateTime<Utc>) -> u32 {
        match self.phase(now) {
            MonthPhase::Past => 0,
            MonthPhase::Open { days_left } => days_left,
            MonthPhase::Future => self.days(),
        }
    }
}

fn tokyo_midnight(date: NaiveDate) -> DateTime<Utc> {
    // A fixed offset has no gaps or folds, so local midnight always maps to one instant.
    tokyo()
        .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_time(chrono::NaiveTime::MIN).and_utc())
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl std::str::FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Month::parse(s)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn months_parse_only_in_the_yyyy_mm_form() {
        assert_eq!(m("2021-04").to_string(), "2021-04");
        assert_eq!(m(" 2024-12 ").month(), 12);
        for bad in [
            "2021-4",
            "2021/04",
            "21-04",
            "2021-13",
            "2021-00",
            "0000-01",
            "２０２１-04",
            "",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn first_and_last_days_follow_the_calendar() {
        assert_eq!(
            m("2024-02").last_day(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(m("2023-02").days(), 28);
        assert_eq!(m("2021-12").next(), Some(m("2022-01")));
        assert_eq!(m("2022-01").prev(), Some(m("2021-12")));
    }

    #[test]
    fn the_tokyo_month_begins_at_15_00_utc_the_day_before() {
        assert_eq!(Month::containing(utc("2021-03-31T14:59:59Z")), m("2021-03"));
        assert_eq!(Month::containing(utc("2021-03-31T15:00:00Z")), m("2021-04"));
        assert_eq!(m("2021-04").start_utc(), utc("2021-03-31T15:00:00Z"));
        assert_eq!(m("2021-04").end_utc(), utc("2021-04-30T15:00:00Z"));
    }

    #[test]
    fn days_left_count_today_in_tokyo() {
        let april = m("2021-04");
        // 2021-04-30 08:00 in Tokyo: the last day, still open.
        assert_eq!(
            april.phase(utc("2021-04-29T23:00:00Z")),
            MonthPhase::Open { days_left: 1 }
        );
        assert_eq!(april.phase(utc("2021-04-30T15:00:00Z")), MonthPhase::Past);
        assert_eq!(april.phase(utc("2021-03-31T14:00:00Z")), MonthPhase::Future);
        assert_eq!(april.days_left(utc("2021-03-31T15:00:00Z")), 30);
        assert_eq!(april.days_left(utc("2021-06-01T00:00:00Z")), 0);
    }

    #[test]
    fn a_range_of_months_crosses_years_and_may_be_empty() {
        let all: Vec<_> = m("2021-11")
            .through(m("2022-02"))
            .map(|x| x.to_string())
            .collect();
        assert_eq!(all, ["2021-11", "2021-12", "2022-01", "2022-02"]);
        assert_eq!(m("2022-02").through(m("2021-11")).count(), 0);
    }

    #[test]
    fn months_travel_as_text_in_json() {
        let json = serde_json::to_string(&m("2021-04")).unwrap();
        assert_eq!(json, "\"2021-04\"");
        assert_eq!(serde_json::from_str::<Month>(&json).unwrap(), m("2021-04"));
        assert!(serde_json::from_str::<Month>("\"2021-4\"").is_err());
    }

    proptest! {
        #[test]
        fn a_month_judged_in_tokyo_contains_the_instants_tokyo_date(secs in 0i64..4_102_444_800) {
            let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
            let month = Month::containing(t);
            prop_assert!(month.contains(date_in_tokyo(t)));
            prop_assert!(month.start_utc() <= t && t < month.end_utc());
            let left = month.days_left(t);
            prop_assert!((1..=month.days()).contains(&left));
        }

        #[test]
        fn months_round_trip_through_text(year in 1i32..=9999, month in 1u32..=12) {
            let mo = Month::new(year, month).unwrap();
            prop_assert_eq!(Month::parse(&mo.to_string()).unwrap(), mo);
            prop_assert!(mo.first_day() <= mo.last_day());
            prop_assert_eq!(mo.next().and_then(Month::prev), Some(mo));
        }
    }
}
