//! Rate limits on logins and on the expensive endpoints (matching, reports, PDFs, CSV
//! imports): per caller and per client IP, 429 with `Retry-After` when over.
//!
//! Buckets live in each replica's memory: these limits protect a replica's CPU, which
//! is per replica anyway. Failed logins are also counted per account in the database
//! (`login_throttle`), shared by every replica.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::domain::rate_limit::{Quota, Tat, check, retry_after_secs};
use crate::error::ApiError;
use crate::state::AppState;

/// What a limit is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Login,
    Match,
    Report,
    Pdf,
    Import,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Login,
        Class::Match,
        Class::Report,
        Class::Pdf,
        Class::Import,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Login => "login",
            Class::Match => "match",
            Class::Report => "report",
            Class::Pdf => "pdf",
            Class::Import => "import",
        }
    }
}

/// Which limit a request falls under, by its route pattern.
pub fn classify(method: &Method, pattern: &str, query: &str) -> Option<Class> {
    let pdf = query.split('&').any(|p| p == "format=pdf");
    match (method.as_str(), pattern) {
        ("POST", "/api/v1/auth/token" | "/portal/login") => Some(Class::Login),
        ("POST", "/api/v1/rentals/import" | "/portal/rentals/import") => Some(Class::Import),
        ("GET", "/api/v1/clients/{id}/matches") => Some(Class::Match),
        ("GET", "/api/v1/support-sheets/{id}") if pdf => Some(Class::Pdf),
        ("GET", "/portal/sheets/{id}/pdf") => Some(Class::Pdf),
        (
            "GET",
            "/api/v1/councils/{id}/reports/meetings"
            | "/api/v1/offices/{id}/add-ons"
            | "/api/v1/offices/{id}/compliance",
        ) => Some(Class::Report),
        _ => None,
    }
}

/// The quotas: per caller (per client IP for logins), `None` for no limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub login: Option<Quota>,
    pub matches: Option<Quota>,
    pub report: Option<Quota>,
    pub pdf: Option<Quota>,
    pub import: Option<Quota>,
    /// A client IP may send this many times a caller's quota (an office's staff share
    /// one address behind its router).
    pub per_ip_factor: u32,
    /// Take the client's address from `X-Forwarded-For`/`Forwarded` (behind a proxy
    /// that sets them) rather than from the connection.
    pub trust_proxy: bool,
}

impl Limits {
    pub fn quota(&self, class: Class) -> Option<Quota> {
        match class {
            Class::Login => self.login,
            Class::Match => self.matches,
            Class::Report => self.report,
            Class::Pdf => self.pdf,
            Class::Import => self.import,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    Caller(String),
    Ip(IpAddr),
}

/// Past this many buckets, the ones that are full again are dropped.
const PRUNE_AT: usize = 50_000;

pub struct RateLimiter {
    limits: Limits,
    origin: Instant,
    buckets: Mutex<HashMap<(Class, Who), Tat>>,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            origin: Instant::now(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `class` by `caller` from `ip`; `Err(wait)` when either
    /// bucket is empty (then neither is charged).
    pub fn admit(
        &self,
        class: Class,
        caller: Option<String>,
        ip: Option<IpAddr>,
    ) -> Result<(), Duration> {
        let Some(quota) = self.limits.quota(class) else {
            return Ok(());
        };
        let now = self.origin.elapsed();
        let mut keys = Vec::with_capacity(2);
        match (class, caller) {
            (Class::Login, _) | (_, None) => {}
            (_, Some(c)) => keys.push(((class, Who::Caller(c)), quota)),
        }
        if let Some(ip) = ip {
            let q = match class {
                Class::Login => quota,
                _ => quota.times(self.limits.per_ip_factor),
            };
            keys.push(((class, Who::Ip(ip)), q));
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let mut next = Vec::with_capacity(keys.len());
        let mut wait = Duration::ZERO;
        for (key, q) in &keys {
            match check(*q, buckets.get(key).copied(), now) {
                Ok(tat) => next.push(tat),
                Err(w) => wait = wait.max(w),
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, tat| *tat > now);
        }
        for ((key, _), tat) in keys.into_iter().zip(next) {
            buckets.insert(key, tat);
        }
        Ok(())
    }

    fn client_ip(&self, req: &ServiceRequest) -> Option<IpAddr> {
        if self.limits.trust_proxy
            && let Some(ip) = req
                .connection_info()
                .realip_remote_addr()
                .and_then(parse_ip)
        {
            return Some(ip);
        }
        req.peer_addr().map(|a| a.ip())
    }
}

/// `203.0.113.7`, `203.0.113.7:5678`, `[2001:db8::1]:80` or `2001:db8::1`.
fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let class = req
        .match_pattern()
        .and_then(|p| classify(req.method(), &p, req.query_string()));
    let limiter = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.rate_limiter.clone());
    if let (Some(class), Some(limiter)) = (class, limiter) {
        let caller = Caller::from_request_sync(req.request())
            .ok()
            .map(|c| c.subject.to_claim());
        let ip = limiter.client_ip(&req);
        if let Err(wait) = limiter.admit(class, caller, ip) {
            let secs = retry_after_secs(wait);
            tracing::info!(limit = class.name(), retry_after = secs, "rate limited");
            let res = if req.path().starts_with("/portal") {
                portal_refusal(secs)
            } else {
                actix_web::ResponseError::error_response(&ApiError::TooManyRequests {
                    retry_after_secs: secs,
                    detail: format!("too many {} requests; retry after {secs} s", class.name()),
                })
            };
            return Ok(req.into_response(res));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The portal's pages are Japanese HTML, so is its refusal.
fn portal_refusal(secs: u64) -> HttpResponse {
    HttpResponse::build(StatusCode::TOO_MANY_REQUESTS)
        .insert_header((header::RETRY_AFTER, secs.to_string()))
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>しばらくお待ちください</title>\
             <h1>しばらくお待ちください</h1><p>短い時間に多くの操作がありました。{secs}秒ほど待ってから、もう一度お試しください。</p></html>"
        ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn limits() -> Limits {
        Limits {
            login: Some(Quota::parse("2/min").unwrap()),
            matches: Some(Quota::parse("2/min").unwrap()),
            report: None,
            pdf: None,
            import: None,
            per_ip_factor: 2,
            trust_proxy: false,
        }
    }

    #[test]
    fn routes_fall_under_their_limits() {
        let get = Method::GET;
        assert_eq!(
            classify(&Method::POST, "/api/v1/auth/token", ""),
            Some(Class::Login)
        );
        assert_eq!(
            classify(&get, "/api/v1/clients/{id}/matches", "limit=5"),
            Some(Class::Match)
        );
        assert_eq!(
            classify(&get, "/api/v1/support-sheets/{id}", "format=pdf"),
            Some(Class::Pdf)
        );
        assert_eq!(
            classify(&get, "/api/v1/support-sheets/{id}", "format=html"),
            None
        );
        assert_eq!(classify(&get, "/api/v1/rentals", ""), None);
        assert_eq!(
            classify(&Method::POST, "/portal/rentals/import", ""),
            Some(Class::Import)
        );
    }

    #[test]
    fn a_caller_and_an_address_each_have_a_bucket() {
        let l = RateLimiter::new(limits());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = || Some("user:a".to_owned());
        assert!(l.admit(Class::Match, a(), Some(ip)).is_ok());
        assert!(l.admit(Class::Match, a(), Some(ip)).is_ok());
        assert!(l.admit(Class::Match, a(), Some(ip)).is_err());
        // Another caller behind the same address still has the address's remainder.
        let b = || Some("user:b".to_owned());
        assert!(l.admit(Class::Match, b(), Some(ip)).is_ok());
        assert!(l.admit(Class::Match, b(), Some(ip)).is_ok());
        assert!(l.admit(Class::Match, b(), Some(ip)).is_err());
        let c = Some("user:c".to_owned());
        assert!(
            l.admit(Class::Match, c, Some(ip)).is_err(),
            "the address is spent"
        );
        // Logins count per address only; unlimited classes always pass.
        assert!(l.admit(Class::Login, a(), Some(ip)).is_ok());
        assert!(l.admit(Class::Login, b(), Some(ip)).is_ok());
        assert!(l.admit(Class::Login, None, Some(ip)).is_err());
        assert!(l.admit(Class::Report, a(), Some(ip)).is_ok());
    }

    #[test]
    fn forwarded_addresses_parse() {
        assert_eq!(parse_ip("203.0.113.7"), "203.0.113.7".parse().ok());
        assert_eq!(parse_ip("203.0.113.7:5678"), "203.0.113.7".parse().ok());
        assert_eq!(parse_ip("[2001:db8::1]:80"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("unknown"), None);
    }
}
