//! Idempotency keys (`Idempotency-Key`, draft-ietf-httpapi-idempotency-key-header): the
//! key itself, the fingerprint of the request it was first used with, and what a later
//! request with the same key gets. No I/O.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

/// A request that claimed its key but has not answered for this long is taken to have
/// died with its server (requests are cut off well before).
pub const ABANDONED_AFTER: Duration = Duration::minutes(5);

/// A client's key: 1-255 visible ASCII characters (a UUID is the usual choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() || raw.len() > 255 {
            return Err("must be 1-255 characters long (a UUID is a good key)".into());
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be visible ASCII characters without spaces".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a request is, for telling a retry from another request under the same key:
/// method, path with query, and the body's bytes.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Where an earlier request with the same key got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Claimed the key; nothing committed yet.
    InProgress,
    /// Its write transaction committed; its answer is not stored yet.
    Committed,
    /// Answered; the answer is stored.
    Done,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::InProgress => "in_progress",
            Stage::Committed => "committed",
            Stage::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in_progress" => Some(Stage::InProgress),
            "committed" => Some(Stage::Committed),
            "done" => Some(Stage::Done),
            _ => None,
        }
    }
}

/// What to do with a request whose key was used before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the stored answer again.
    Replay,
    /// The first request is still running: try again shortly (409).
    StillRunning,
    /// The key was used for a different request (422).
    KeyReused,
    /// The first request's server died before it had written anything: run this one.
    TakeOver,
    /// The first request's server died after its write committed but before it
    /// answered: the object exists, the answer is lost (409).
    OutcomeUnknown,
}

pub fn judge(
    stage: Stage,
    stored_fingerprint: &str,
    fingerprint: &str,
    claimed_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Verdict {
    if stored_fingerprint != fingerprint {
        return Verdict::KeyReused;
    }
    let abandoned = now - claimed_at >= ABANDONED_AFTER;
    match (stage, abandoned) {
        (Stage::Done, _) => Verdict::Replay,
        (Stage::InProgress, false) | (Stage::Committed, false) => Verdict::StillRunning,
        (Stage::InProgress, true) => Verdict::TakeOver,
        (Stage::Committed, true) => Verdict::OutcomeUnknown,
    }
}

/// Whether an answer is kept for retries. A 5xx, a rate limit or an overloaded server
/// says nothing about the request itself, so a retry must run it again.
pub fn keeps_answer(status: u16) -> bool {
    status < 500 && status != 429
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(min: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_780_000_000 + min * 60, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn keys_are_visible_ascii_of_sane_length() {
        assert!(IdempotencyKey::parse("0190f1c2-7d3e-7abc-8def-0123456789ab").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
        assert!(IdempotencyKey::parse("with space").is_err());
        assert!(IdempotencyKey::parse("キー").is_err());
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let a = fingerprint("POST", "/api/v1/clients", b"{}");
        assert_eq!(a, fingerprint("POST", "/api/v1/clients", b"{}"));
        assert_ne!(a, fingerprint("PUT", "/api/v1/clients", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/clients?x=1", b"{}"));
        assert_ne!(a, fingerprint("POST", "/api/v1/clients", b"{ }"));
    }

    #[test]
    fn a_retry_is_judged_by_where_the_first_request_got_to() {
        let j = |stage, fp: &str, min| judge(stage, "a", fp, t(0), t(min));
        assert_eq!(j(Stage::Done, "a", 60), Verdict::Replay);
        assert_eq!(j(Stage::Done, "b", 0), Verdict::KeyReused);
        assert_eq!(j(Stage::InProgress, "a", 1), Verdict::StillRunning);
        assert_eq!(j(Stage::Committed, "a", 1), Verdict::StillRunning);
        assert_eq!(j(Stage::InProgress, "a", 5), Verdict::TakeOver);
        assert_eq!(j(Stage::Committed, "a", 5), Verdict::OutcomeUnknown);
    }

    #[test]
    fn only_answers_about_the_request_itself_are_kept() {
        for s in [200, 201, 204, 400, 404, 409, 412, 422] {
            assert!(keeps_answer(s), "{s}");
        }
        for s in [429, 500, 503] {
            assert!(!keeps_answer(s), "{s}");
        }
    }
}
