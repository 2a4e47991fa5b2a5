//! Webhook delivery: the worker that sends the outbox (`notify::outbox`) to the
//! organisations' receivers, signed, retried with back-off, each attempt's result
//! stored on the delivery so that `GET /webhooks/{id}/deliveries` shows it.
//!
//! # What a receiver gets
//!
//! Each delivery is one `POST` to the subscription's URL, body the event as JSON
//! (`{"id","type","occurred_at","data"}`), with these headers:
//!
//! | header | value |
//! |---|---|
//! | `Content-Type` | `application/json` |
//! | `Webhook-Id` | the delivery's id: the same on every retry, so drop duplicates by it |
//! | `Webhook-Timestamp` | when this attempt was sent, Unix seconds |
//! | `Webhook-Signature` | `v1=` + lowercase hex of HMAC-SHA256(secret, `"{timestamp}.{body}"`) |
//!
//! The HMAC key is the whole secret string as shown at creation (`whsec_…`, its UTF-8
//! bytes); the message is the timestamp header, a dot, and the raw body bytes. A
//! receiver recomputes it over the body as received (before parsing it), compares in
//! constant time, and refuses timestamps more than a few minutes from its clock (a
//! replayed old delivery). Answer 2xx within 10 seconds to acknowledge; anything else
//! (another status, a redirect, a timeout, no connection) is retried.
//!
//! # Retries
//!
//! A failed attempt waits 30 s × 2^(attempts − 1), capped at 6 h, plus up to 10 %
//! random jitter (so receivers coming back are not hit all at once); after 10 attempts
//! the delivery is `failed`. `POST …/redeliver` queues a failed one again. Delivery is
//! at least once: a process that dies mid-send retries after the lease (5 minutes).
//!
//! # Secrets
//!
//! The secret is a shared secret: the service must be able to sign with it, so it is
//! stored as is (not hashed) in `webhook_subscriptions.secret`. Anyone who can read the
//! database can forge deliveries: protect the database and its backups as the JWT key.

pub mod store;

use std::time::Duration;

use chrono::TimeDelta;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::db::{self, Db};
use crate::error::ApiError;
use store::{AttemptResult, Due};

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts before a delivery is given up as `failed`.
pub const MAX_ATTEMPTS: i32 = 10;
/// The first retry's wait; each further one doubles it.
const BASE_BACKOFF_SECS: f64 = 30.0;
const MAX_BACKOFF_SECS: f64 = 6.0 * 3600.0;
/// How long a claimed delivery is hidden from other workers while it is sent.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Deliveries sent at once by one worker.
const CONCURRENCY: usize = 8;
/// Deliveries claimed per round.
const BATCH: i64 = 32;
/// The longest error text stored on a delivery.
const MAX_ERROR_CHARS: usize = 500;

/// `v1=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`, the `Webhook-Signature` value.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .map_err(|e| format!("cannot sign: {e}"))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1={}", hex::encode(mac.finalize().into_bytes())))
}

/// The wait after the `attempts`-th failed attempt: 30 s × 2^(attempts − 1), at most
/// 6 h, plus `jitter` (0 to 1) times 10 %.
pub fn backoff(attempts: i32, jitter: f64) -> TimeDelta {
    let doublings = attempts.clamp(1, 31) - 1;
    let base = (BASE_BACKOFF_SECS * 2f64.powi(doublings)).min(MAX_BACKOFF_SECS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    TimeDelta::milliseconds((base * (1.0 + 0.1 * jitter) * 1000.0).round() as i64)
}

/// A random number in [0, 1) for the jitter; 0 if the system has no randomness.
fn jitter() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.0,
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered { status: u16 },
    Failed { status: Option<u16>, error: String },
}

/// What to store after an attempt that followed `attempts_before` earlier ones.
pub fn after_attempt(
    attempts_before: i32,
    outcome: &Outcome,
    now: chrono::NaiveDateTime,
    jitter: f64,
) -> AttemptResult {
    let attempts = attempts_before.saturating_add(1);
    match outcome {
        Outcome::Delivered { status } => AttemptResult {
            status: "delivered",
            attempts,
            next_attempt_at: now,
            last_error: None,
            last_status_code: Some(i32::from(*status)),
            delivered_at: Some(now),
        },
        Outcome::Failed { status, error } => AttemptResult {
            status: if attempts >= MAX_ATTEMPTS {
                "failed"
            } else {
                "pending"
            },
            attempts,
            next_attempt_at: now + backoff(attempts, jitter),
            last_error: Some(error.chars().take(MAX_ERROR_CHARS).collect()),
            last_status_code: status.map(i32::from),
            delivered_at: None,
        },
    }
}

/// The HTTP client deliveries go out with: 10 s timeouts, no redirects (a receiver
/// must answer at the URL it registered, which was checked).
pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("sumai-link-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("the webhook HTTP client could not be built: {e}"))
}

/// Sends one delivery, signed now; never errors: a failure is `Outcome::Failed`.
pub async fn send(client: &reqwest::Client, due: &Due) -> Outcome {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match signature(&due.secret, timestamp, due.payload.as_bytes()) {
        Ok(s) => s,
        Err(error) => {
            return Outcome::Failed {
                status: None,
                error,
            };
        }
    };
    let res = client
        .post(&due.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Webhook-Id", &due.id)
        .header("Webhook-Timestamp", timestamp.to_string())
        .header("Webhook-Signature", signature)
        .timeout(TIMEOUT)
        .body(due.payload.clone())
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Outcome::Delivered {
            status: r.status().as_u16(),
        },
        Ok(r) => Outcome::Failed {
            status: Some(r.status().as_u16()),
            error: format!("the receiver answered HTTP {}", r.status()),
        },
        Err(e) => Outcome::Failed {
            status: None,
            error: no_answer(e),
        },
    }
}

fn no_answer(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", TIMEOUT.as_secs());
    }
    let e = e.without_url();
    let mut why = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        why = format!("{why}: {s}");
        source = s.source();
    }
    format!("the receiver could not be reached: {why}")
}

/// Claims up to `batch` due deliveries, sends them (a few at a time) and stores each
/// result. Returns how many were attempted. Safe with many replicas: see
/// [`store::claim_due`].
pub async fn deliver_due(db: &Db, client: &reqwest::Client, batch: i64) -> Result<usize, ApiError> {
    use futures_util::stream::{self, StreamExt};
    if batch <= 0 {
        return Ok(0);
    }
    let claimed = db
        .transaction(move |conn| {
            let now = db::now();
            Ok(store::claim_due(conn, now, batch, now + LEASE)?)
        })
        .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let sent: Vec<(Due, Outcome)> = stream::iter(claimed)
        .map(|due| async move {
            let outcome = send(client, &due).await;
            (due, outcome)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let n = sent.len();
    db.transaction(move |conn| {
        let now = db::now();
        for (due, outcome) in &sent {
            let result = after_attempt(due.attempts, outcome, now, jitter());
            if let Outcome::Failed { error, .. } = outcome {
                tracing::info!(delivery = %due.id, attempts = result.attempts, %error, "a webhook delivery failed");
            }
            store::record_attempt(conn, &due.id, &result)?;
        }
        Ok(())
    })
    .await?;
    Ok(n)
}

/// Sends due deliveries every `every` until the process ends; a full batch is followed
/// by the next at once.
pub async fn keep_delivering(db: Db, every: Duration) {
    let client = match http_client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook delivery is off");
            return;
        }
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match deliver_due(&db, &client, BATCH).await {
                Ok(n) if i64::try_from(n).unwrap_or(0) >= BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery round failed");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> chrono::NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 4, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, br#"{"a":1}"#).unwrap();
        assert_eq!(
            sig,
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn the_signature_changes_with_secret_timestamp_and_body() {
        let base = signature("whsec_a", 1, b"{}").unwrap();
        assert_ne!(base, signature("whsec_b", 1, b"{}").unwrap());
        assert_ne!(base, signature("whsec_a", 2, b"{}").unwrap());
        assert_ne!(base, signature("whsec_a", 1, b"{ }").unwrap());
        assert_eq!(base.len(), 3 + 64);
    }

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff(1, 0.0), TimeDelta::seconds(30));
        assert_eq!(backoff(2, 0.0), TimeDelta::seconds(60));
        assert_eq!(backoff(3, 0.0), TimeDelta::seconds(120));
        assert_eq!(backoff(10, 0.0), TimeDelta::seconds(30 * 512));
        assert_eq!(backoff(11, 0.0), TimeDelta::hours(6));
        assert_eq!(backoff(1000, 0.0), TimeDelta::hours(6));
        assert_eq!(backoff(0, 0.0), TimeDelta::seconds(30));
    }

    #[test]
    fn jitter_adds_at_most_ten_percent() {
        assert_eq!(backoff(1, 1.0), TimeDelta::seconds(33));
        assert_eq!(backoff(1, 0.5), TimeDelta::milliseconds(31_500));
        assert_eq!(backoff(1, 7.0), TimeDelta::seconds(33));
        assert_eq!(backoff(1, f64::NAN), TimeDelta::seconds(30));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn a_failure_waits_and_the_tenth_gives_up() {
        let fail = Outcome::Failed {
            status: Some(500),
            error: "the receiver answered HTTP 500".into(),
        };
        let r = after_attempt(0, &fail, t0(), 0.0);
        assert_eq!(r.status, "pending");
        assert_eq!(r.attempts, 1);
        assert_eq!(r.next_attempt_at, t0() + TimeDelta::seconds(30));
        assert_eq!(r.last_status_code, Some(500));
        let r = after_attempt(8, &fail, t0(), 0.0);
        assert_eq!((r.status, r.attempts), ("pending", 9));
        let r = after_attempt(9, &fail, t0(), 0.0);
        assert_eq!((r.status, r.attempts), ("failed", 10));
    }

    #[test]
    fn a_success_is_delivered_and_clears_the_error() {
        let r = after_attempt(3, &Outcome::Delivered { status: 204 }, t0(), 0.5);
        assert_eq!(r.status, "delivered");
        assert_eq!(r.attempts, 4);
        assert_eq!(r.delivered_at, Some(t0()));
        assert_eq!(r.last_status_code, Some(204));
        assert_eq!(r.last_error, None);
    }

    #[test]
    fn long_errors_are_cut() {
        let fail = Outcome::Failed {
            status: None,
            error: "x".repeat(5000),
        };
        let r = after_attempt(0, &fail, t0(), 0.0);
        assert_eq!(r.last_error.map(|e| e.len()), Some(MAX_ERROR_CHARS));
        assert_eq!(r.last_status_code, None);
    }
}
