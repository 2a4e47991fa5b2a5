//! Days and months are judged in Asia/Tokyo (UTC+9, no daylight saving) whatever the
//! server's own time zone.

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};

/// Asia/Tokyo as a fixed +09:00. Japan has kept no daylight saving since 1951, so a
/// fixed offset is exact for every date this service handles and needs no tz database
/// (which a container may lack).
pub fn tokyo() -> FixedOffset {
    // 9 hours is always a valid offset; the fallback is never taken.
    FixedOffset::east_opt(9 * 3600).unwrap_or(Utc.fix())
}

/// The calendar date in Tokyo at instant `now`.
pub fn date_in_tokyo(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tokyo()).date_naive()
}

/// Today in Tokyo.
pub fn today_tokyo() -> NaiveDate {
    date_in_tokyo(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn late_evening_utc_is_already_tomorrow_in_tokyo() {
        let t = Utc.with_ymd_and_hms(2026, 3, 31, 15, 30, 0).unwrap();
        assert_eq!(
            date_in_tokyo(t),
            NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
        );
        let t = Utc.with_ymd_and_hms(2026, 3, 31, 14, 59, 59).unwrap();
        assert_eq!(
            date_in_tokyo(t),
            NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
        );
    }
}
