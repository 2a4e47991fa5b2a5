//! Operations on their way out. Each stays as it was until its sunset, and every answer
//! it gives says so: `Deprecation` (RFC 9745, the date it was deprecated), `Sunset`
//! (RFC 8594, when it may stop answering) and `Link`s to its successor and to the
//! policy. The OpenAPI document marks the same operations `deprecated` (see
//! README, Versioning and deprecation).

use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::ApiError;

/// How long, at least, a deprecated operation keeps answering after it was deprecated.
pub const MIN_NOTICE_DAYS: i64 = 365;

/// Where the policy is described; RFC 9745's `rel="deprecation"` points here.
pub const POLICY: &str = "/docs#section/Versioning-and-deprecation";

pub struct Deprecated {
    pub method: Method,
    /// The route pattern, as the router and the OpenAPI document write it.
    pub path: &'static str,
    pub deprecated_on: &'static str,
    pub sunset_on: &'static str,
    /// The operationId that replaces it.
    pub successor: &'static str,
    pub why: &'static str,
}

const WHY: &str = "PATCH here replaced the whole record, which is what PUT means; \
                       clients that send PATCH as a partial change (RFC 7396) would clear the \
                       optional fields they left out.";

/// Every deprecated operation; an entry is removed together with its operation, after
/// its sunset.
static ALL: [Deprecated; 3] = [
    Deprecated {
        method: Method::PATCH,
        path: "/api/v1/clients/{id}",
        deprecated_on: "2026-12-07",
        sunset_on: "2027-12-31",
        successor: "clients_replace",
        why: WHY,
    },
    Deprecated {
        method: Method::PATCH,
        path: "/api/v1/meetings/{id}",
        deprecated_on: "2026-12-07",
        sunset_on: "2027-12-31",
        successor: "meetings_replace",
        why: WHY,
    },
    Deprecated {
        method: Method::PATCH,
        path: "/api/v1/council-reports/{id}",
        deprecated_on: "2026-12-07",
        sunset_on: "2027-12-31",
        successor: "council_reports_replace",
        why: WHY,
    },
];

pub fn all() -> &'static [Deprecated] {
    &ALL
}

impl Deprecated {
    fn day(date: &str) -> Option<DateTime<Utc>> {
        let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
        Some(day.and_hms_opt(0, 0, 0)?.and_utc())
    }

    /// RFC 9745: a structured-field date, seconds since the epoch.
    pub fn deprecation_header(&self) -> Option<String> {
        Some(format!("@{}", Self::day(self.deprecated_on)?.timestamp()))
    }

    /// RFC 8594: an HTTP-date, the end of the sunset day (midnight after it, UTC).
    pub fn sunset_header(&self) -> Option<String> {
        let end = Self::day(self.sunset_on)? + chrono::Duration::days(1);
        Some(end.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
    }

    pub fn link_header(&self) -> String {
        format!(
            "</docs#operation/{}>; rel=\"successor-version\", <{POLICY}>; rel=\"deprecation\"; type=\"text/html\"",
            self.successor
        )
    }

    /// After the sunset day the operation answers 410 (README, Versioning and
    /// deprecation); until then exactly as before.
    pub fn is_past_sunset(&self, now: DateTime<Utc>) -> bool {
        Self::day(self.sunset_on).is_some_and(|day| now >= day + chrono::Duration::days(1))
    }

    pub fn notice_days(&self) -> Option<i64> {
        Some((Self::day(self.sunset_on)? - Self::day(self.deprecated_on)?).num_days())
    }
}

pub async fn deprecation(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // Most requests use a method no entry has: no route lookup for them.
    let entry = if ALL.iter().any(|d| d.method == req.method()) {
        req.match_pattern().and_then(|pattern| {
            ALL.iter()
                .find(|d| d.method == req.method() && d.path == pattern)
        })
    } else {
        None
    };
    let Some(entry) = entry else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let mut res = if entry.is_past_sunset(Utc::now()) {
        let gone = ApiError::Gone(format!(
            "{} {} was retired on {}; use {} instead",
            entry.method, entry.path, entry.sunset_on, entry.successor
        ));
        req.error_response(gone)
    } else {
        next.call(req).await?.map_into_boxed_body()
    };
    {
        let headers = res.headers_mut();
        let pairs = [
            ("deprecation", entry.deprecation_header()),
            ("sunset", entry.sunset_header()),
            ("link", Some(entry.link_header())),
        ];
        for (name, value) in pairs {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.append(HeaderName::from_static(name), value);
            }
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deprecation_gives_at_least_the_promised_notice_and_valid_headers() {
        for d in all() {
            let days = d.notice_days().expect("dates parse");
            assert!(
                days >= MIN_NOTICE_DAYS,
                "{} {}: {days} days",
                d.method,
                d.path
            );
            assert!(d.deprecation_header().is_some_and(|h| h.starts_with('@')));
            assert!(d.sunset_header().is_some());
        }
    }

    #[test]
    fn an_operation_answers_through_its_sunset_day_and_not_after() {
        let d = &all()[0];
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!d.is_past_sunset(at("2027-12-31T23:59:59Z")));
        assert!(d.is_past_sunset(at("2028-01-01T00:00:00Z")));
        assert!(!d.is_past_sunset(at("2026-12-07T00:00:00Z")));
    }

    #[test]
    fn headers_have_the_rfc_forms() {
        let d = Deprecated {
            method: Method::PATCH,
            path: "/x",
            deprecated_on: "2026-12-07",
            sunset_on: "2027-12-31",
            successor: "x_replace",
            why: "",
        };
        assert_eq!(d.deprecation_header().as_deref(), Some("@1796601600"));
        assert_eq!(
            d.sunset_header().as_deref(),
            Some("Sat, 01 Jan 2028 00:00:00 GMT")
        );
        assert!(
            d.link_header()
                .starts_with("</docs#operation/x_replace>; rel=\"successor-version\"")
        );
    }
}
