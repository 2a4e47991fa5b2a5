//! `Idempotency-Key` on the API's writes: a retried request (same caller, same key, same
//! method, path and body) gets the first request's answer again, with
//! `Idempotent-Replayed: true`, instead of creating a second object.
//!
//! The key is claimed before the handler runs, marked committed inside the handler's
//! own write transaction, and the answer stored once it is sent. A retry while the
//! first is running gets 409 with `Retry-After`; the same key with another request
//! gets 422. Keys are kept `SUMAI_IDEMPOTENCY_TTL_HOURS` (24).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::db::idempotency::{self, Answer, Claim};
use crate::domain::idempotency::{IdempotencyKey, Verdict, fingerprint, keeps_answer};
use crate::error::ApiError;
use crate::state::AppState;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// Whether a request may carry a key: the API's writes, except logins (tokens are not
/// to be replayed) and the CSV import (its body is streamed, never held; an import is
/// all-or-nothing and refuses registration numbers already in the register).
pub fn takes_key(method: &Method, path: &str) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/auth/")
        && path != "/api/v1/rentals/import"
}

pub async fn idempotency(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let raw = match req.headers().get(HEADER) {
        Some(v) if takes_key(req.method(), req.path()) => v.to_str().unwrap_or("\u{0}").to_owned(),
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let key = match IdempotencyKey::parse(&raw) {
        Ok(k) => k,
        Err(msg) => {
            return Ok(refuse(
                req,
                ApiError::BadRequest {
                    slug: "invalid-header",
                    detail: format!("Idempotency-Key {msg}"),
                    field: Some("Idempotency-Key".into()),
                },
            ));
        }
    };
    // Without a valid token the handler answers 401; keys are per caller.
    let Ok(caller) = Caller::from_request_sync(req.request()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(b) => b,
        Err(e) => {
            let timed_out = e
                .as_error::<actix_web::error::PayloadError>()
                .is_some_and(crate::middleware::body_timeout::is_timeout);
            let e = if timed_out {
                ApiError::RequestTimeout
            } else {
                ApiError::PayloadTooLarge(state.body_limit_bytes)
            };
            return Ok(refuse(req, e));
        }
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned());
    let print = fingerprint(req.method().as_str(), &path, &body);
    req.set_payload(actix_web::dev::Payload::from(body));

    let claim = idempotency::claim(
        &state.db,
        caller.subject.to_claim(),
        key.as_str().to_owned(),
        print,
        chrono::Duration::hours(state.idempotency_ttl_hours),
    )
    .await;
    let held = match claim {
        Ok(Claim::Held(held)) => held,
        Ok(Claim::Replay(answer)) => return Ok(replay(req, answer)),
        Ok(Claim::Refused(verdict)) => return Ok(refuse(req, refusal(verdict))),
        Err(e) => return Ok(refuse(req, e)),
    };

    let id = held.id.clone();
    let res = match idempotency::holding(held, next.call(req)).await {
        Ok(res) => res,
        Err(e) => {
            let _ = idempotency::release(&state.db, id).await;
            return Err(e);
        }
    };
    let status = res.status();
    if !keeps_answer(status.as_u16()) {
        if let Err(e) = idempotency::release(&state.db, id).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| ApiError::internal("the response body could not be read"))?;
    let answer = Answer {
        status: status.as_u16(),
        headers: kept_headers(head.headers()),
        body: bytes.to_vec(),
    };
    if let Err(e) = idempotency::store(&state.db, id, answer).await {
        // The write stands; a retry will learn that its answer was lost.
        tracing::warn!(error = %e, "could not store an idempotent answer");
    }
    let res = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, res))
}

/// The headers a replay repeats.
fn kept_headers(h: &header::HeaderMap) -> Vec<(String, String)> {
    [header::CONTENT_TYPE, header::LOCATION, header::ETAG]
        .iter()
        .filter_map(|name| {
            let v = h.get(name)?.to_str().ok()?;
            Some((name.as_str().to_owned(), v.to_owned()))
        })
        .collect()
}

fn replay(req: ServiceRequest, answer: Answer) -> ServiceResponse<BoxBody> {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    for (name, value) in &answer.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            res.insert_header((n, v));
        }
    }
    res.insert_header((HeaderName::from_static(REPLAYED), "true"));
    req.into_response(res.body(answer.body))
}

fn refusal(verdict: Verdict) -> ApiError {
    match verdict {
        Verdict::KeyReused => ApiError::IdempotencyKeyReused,
        Verdict::OutcomeUnknown => ApiError::IdempotencyOutcomeUnknown,
        _ => ApiError::IdempotencyKeyInUse,
    }
}

fn refuse(req: ServiceRequest, e: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(actix_web::ResponseError::error_response(&e))
}
