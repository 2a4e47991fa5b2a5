//! Rate limits: quotas (`30/min`) and the generic cell rate algorithm (GCRA) that
//! enforces them. A quota of N per period is a bucket of N requests, refilled at N per
//! period (one every period/N); whoever finds it empty is told how long to wait. No I/O, no clock: the
//! caller passes the time.

use std::time::Duration;

/// At most `count` requests per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub count: u32,
    pub period: Duration,
}

impl Quota {
    /// `30/min`, `10/hour`, `5/s`, or `120/60s`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (n, per) = raw
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("{raw:?} is not N/period (like 30/min)"))?;
        let count: u32 = n
            .trim()
            .parse()
            .ok()
            .filter(|c| *c >= 1)
            .ok_or_else(|| format!("{raw:?}: the count must be a whole number from 1"))?;
        let period = match per.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            "day" => Duration::from_secs(86_400),
            other => other
                .strip_suffix('s')
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|s| (1..=86_400).contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    format!("{raw:?}: the period must be s, min, hour, day or a number of seconds like 90s")
                })?,
        };
        Ok(Self { count, period })
    }

    /// The same quota `factor` times as large.
    pub fn times(self, factor: u32) -> Self {
        Self {
            count: self.count.saturating_mul(factor),
            period: self.period,
        }
    }

    fn interval(self) -> Duration {
        self.period / self.count
    }
}

/// The state of one caller's bucket: its theoretical arrival time, as time since an
/// origin the caller chooses.
pub type Tat = Duration;

/// Decides one request at `now`: `Ok(new state)` lets it through, `Err(wait)` refuses it
/// with the time after which it would pass.
pub fn check(quota: Quota, state: Option<Tat>, now: Duration) -> Result<Tat, Duration> {
    let interval = quota.interval();
    let tolerance = quota.period.saturating_sub(interval);
    let tat = state.map_or(now, |t| t.max(now));
    let ahead = tat - now;
    if ahead > tolerance {
        return Err(ahead - tolerance);
    }
    Ok(tat + interval)
}

/// Whole seconds for `Retry-After`, never 0 (a client told 0 would retry at once).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn quotas_parse() {
        assert_eq!(
            Quota::parse("30/min").unwrap(),
            Quota {
                count: 30,
                period: S(60)
            }
        );
        assert_eq!(Quota::parse("10/hour").unwrap().period, S(3600));
        assert_eq!(
            Quota::parse(" 5 / s ").unwrap(),
            Quota {
                count: 5,
                period: S(1)
            }
        );
        assert_eq!(Quota::parse("120/90s").unwrap().period, S(90));
        for bad in ["", "30", "0/min", "x/min", "30/week", "30/0s", "-1/min"] {
            assert!(Quota::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_of_the_quota_passes_then_one_per_interval() {
        let q = Quota::parse("3/min").unwrap();
        let mut state = None;
        for _ in 0..3 {
            state = Some(check(q, state, S(100)).unwrap());
        }
        let wait = check(q, state, S(100)).unwrap_err();
        assert_eq!(wait, S(20));
        assert_eq!(retry_after_secs(wait), 20);
        assert!(check(q, state, S(119)).is_err());
        let after = check(q, state, S(120)).unwrap();
        assert!(check(q, Some(after), S(120)).is_err());
    }

    #[test]
    fn a_caller_keeping_to_the_rate_is_never_refused() {
        let q = Quota::parse("6/min").unwrap();
        let mut state = None;
        for i in 0..100 {
            state = Some(check(q, state, S(10 * i)).unwrap());
        }
    }

    #[test]
    fn retry_after_is_never_zero() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(S(2)), 2);
    }

    proptest! {
        /// However requests arrive, no window of one period lets through more than the
        /// burst plus one period's refill.
        #[test]
        fn no_period_passes_more_than_the_quota(
            count in 1u32..20,
            gaps in proptest::collection::vec(0u64..5_000, 1..200),
        ) {
            let q = Quota { count, period: S(60) };
            let mut state = None;
            let mut now = S(1_000);
            let mut passed = Vec::new();
            for gap in gaps {
                now += Duration::from_millis(gap);
                if let Ok(s) = check(q, state, now) {
                    state = Some(s);
                    passed.push(now);
                }
            }
            for (i, start) in passed.iter().enumerate() {
                let within = passed[i..].iter().take_while(|t| **t < *start + q.period).count();
                prop_assert!(within <= 2 * count as usize, "{within} > 2 × {count}");
            }
        }
    }
}
