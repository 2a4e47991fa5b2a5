//! One error type for the HTTP layer, mapped to RFC 9457 problem+json here and nowhere
//! else.
//!
//! Layers: `domain` returns [`FieldError`]s from its parsers; `db` functions return
//! `diesel::QueryResult`; handlers and the `db::Db` runner return [`ApiError`], which
//! converts from both. Anything unexpected becomes an opaque 500 whose cause chain is
//! logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a JSON path into the request (`email`, `items[2].rent`), or the
    /// query/path parameter or header name.
    pub field: String,
    /// What is wrong with it, for a person.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem; resolve it against the API's base
    /// URL to read its description.
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field errors; empty when the problem is not about a field.
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    BadRequest {
        slug: &'static str,
        detail: String,
        field: Option<String>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A deprecated operation after its sunset.
    #[error("{0}")]
    Gone(String),
    #[error("this update needs an If-Match header with the resource's ETag")]
    PreconditionRequired,
    #[error("the resource was changed since it was read; read it again and retry")]
    PreconditionFailed,
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body stopped arriving; send it again without pauses")]
    RequestTimeout,
    #[error("{detail}")]
    TooManyRequests {
        retry_after_secs: u64,
        detail: String,
    },
    #[error("{0}")]
    Unavailable(String),
    #[error(
        "a request with this Idempotency-Key is still being processed; retry after Retry-After"
    )]
    IdempotencyKeyInUse,
    #[error("this Idempotency-Key was used for a different request (method, path or body)")]
    IdempotencyKeyReused,
    #[error(
        "the request with this Idempotency-Key was carried out but its answer was lost; look the object up instead of retrying"
    )]
    IdempotencyOutcomeUnknown,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_request(slug: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            slug,
            detail: detail.into(),
            field: None,
        }
    }

    /// The stable slug of the problem type; `/problems/{slug}` describes it.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::BadRequest { slug, .. } => slug,
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not-found",
            Self::Conflict(_) => "conflict",
            Self::Gone(_) => "gone",
            Self::PreconditionRequired => "precondition-required",
            Self::PreconditionFailed => "precondition-failed",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::RequestTimeout => "request-timeout",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable(_) => "unavailable",
            Self::IdempotencyKeyInUse => "idempotency-key-in-use",
            Self::IdempotencyKeyReused => "idempotency-key-reused",
            Self::IdempotencyOutcomeUnknown => "idempotency-outcome-unknown",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        PROBLEM_TYPES
            .iter()
            .find(|p| p.slug == self.slug())
            .map_or("Error", |p| p.title)
    }

    pub fn to_problem(&self) -> Problem {
        let errors = match self {
            Self::Validation(errors) => errors.clone(),
            Self::BadRequest {
                field: Some(field),
                detail,
                ..
            } => vec![FieldError::new(field.clone(), detail.clone())],
            Self::IdempotencyKeyReused => {
                vec![FieldError::new("Idempotency-Key", self.to_string())]
            }
            _ => Vec::new(),
        };
        let detail = match self {
            Self::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Self::NotFound => "no such resource, or you may not see it".to_owned(),
            other => other.to_string(),
        };
        Problem {
            type_: format!("/problems/{}", self.slug()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::IdempotencyKeyInUse | Self::IdempotencyOutcomeUnknown => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => {
                let chain = error_chain(cause.as_ref());
                tracing::error!(error.cause_chain = %chain, "internal error");
            }
            Self::Unavailable(detail) => tracing::warn!(%detail, "service unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::IdempotencyKeyInUse => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&self.to_problem()).unwrap_or_default())
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("an object with the same unique value already exists".into())
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => Self::Conflict(
                "the change refers to an object that does not exist or is still referenced".into(),
            ),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Self::Unavailable("the database connection was lost".into())
            }
            other => Self::internal(other),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        Self::Unavailable(format!("the database is not reachable: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::Unavailable("the server is shutting down".into())
    }
}

/// Description of a problem type, served at `/problems/{slug}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemType {
    pub slug: &'static str,
    pub status: u16,
    pub title: &'static str,
    pub description: &'static str,
}

pub const PROBLEM_TYPES: &[ProblemType] = &[
    ProblemType {
        slug: "validation",
        status: 422,
        title: "Invalid fields",
        description: "One or more fields are invalid; `errors` lists each field and what is wrong with it. Nothing was stored.",
    },
    ProblemType {
        slug: "malformed-json",
        status: 400,
        title: "Malformed JSON",
        description: "The body is not valid JSON, or does not have the shape of the request (unknown or missing fields, wrong types).",
    },
    ProblemType {
        slug: "invalid-parameter",
        status: 400,
        title: "Invalid parameter",
        description: "A path or query parameter (an id, a date, a limit, a cursor) cannot be read.",
    },
    ProblemType {
        slug: "invalid-header",
        status: 400,
        title: "Invalid header",
        description: "A header such as If-Match or Authorization cannot be read.",
    },
    ProblemType {
        slug: "unauthorized",
        status: 401,
        title: "Not authenticated",
        description: "The credentials or the bearer token are missing, wrong or expired.",
    },
    ProblemType {
        slug: "forbidden",
        status: 403,
        title: "Not allowed",
        description: "You are authenticated but your organisation or role may not do this.",
    },
    ProblemType {
        slug: "not-found",
        status: 404,
        title: "Not found",
        description: "No such resource, or it belongs to another organisation.",
    },
    ProblemType {
        slug: "method-not-allowed",
        status: 405,
        title: "Method not allowed",
        description: "The resource exists but does not accept this HTTP method.",
    },
    ProblemType {
        slug: "conflict",
        status: 409,
        title: "Conflict",
        description: "The change conflicts with the stored state (a duplicate unique value, or an object still referenced).",
    },
    ProblemType {
        slug: "gone",
        status: 410,
        title: "Operation retired",
        description: "The operation was deprecated and has passed its sunset date; the detail names the operation that replaces it (README, Versioning and deprecation).",
    },
    ProblemType {
        slug: "precondition-failed",
        status: 412,
        title: "Stale ETag",
        description: "The resource changed since you read it. Read it again, then retry with the new ETag in If-Match.",
    },
    ProblemType {
        slug: "request-timeout",
        status: 408,
        title: "Body too slow",
        description: "The request body stopped arriving for longer than the server waits (SUMAI_BODY_IDLE_TIMEOUT_SECS). Send it again.",
    },
    ProblemType {
        slug: "payload-too-large",
        status: 413,
        title: "Body too large",
        description: "The request body is larger than the server accepts.",
    },
    ProblemType {
        slug: "unsupported-media-type",
        status: 415,
        title: "Unsupported media type",
        description: "The body must be sent as application/json.",
    },
    ProblemType {
        slug: "precondition-required",
        status: 428,
        title: "If-Match required",
        description: "Updates need an If-Match header with the ETag of the version you read.",
    },
    ProblemType {
        slug: "too-many-requests",
        status: 429,
        title: "Too many requests",
        description: "Slow down: retry after the number of seconds in Retry-After.",
    },
    ProblemType {
        slug: "idempotency-key-in-use",
        status: 409,
        title: "Idempotency-Key in use",
        description: "Another request with the same Idempotency-Key is still being processed. Retry after the seconds in Retry-After: you will then get its answer.",
    },
    ProblemType {
        slug: "idempotency-key-reused",
        status: 422,
        title: "Idempotency-Key reused",
        description: "The Idempotency-Key was already used for a different request (another method, path or body). Use a new key for a new request.",
    },
    ProblemType {
        slug: "idempotency-outcome-unknown",
        status: 409,
        title: "Outcome unknown",
        description: "The request with this Idempotency-Key was carried out, but the server stopped before it could answer. Look the object up (list or read it) rather than sending it again with a new key.",
    },
    ProblemType {
        slug: "internal",
        status: 500,
        title: "Internal error",
        description: "Something unexpected failed on the server; it has been logged. Nothing was half-written.",
    },
    ProblemType {
        slug: "unavailable",
        status: 503,
        title: "Unavailable",
        description: "The database is not reachable or the server is shutting down. Retry later.",
    },
];

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_slug_has_a_documented_problem_type() {
        let errors = [
            ApiError::Validation(vec![]),
            ApiError::bad_request("malformed-json", "x"),
            ApiError::Unauthorized("x".into()),
            ApiError::Forbidden("x".into()),
            ApiError::NotFound,
            ApiError::Conflict("x".into()),
            ApiError::Gone("x".into()),
            ApiError::PreconditionRequired,
            ApiError::PreconditionFailed,
            ApiError::PayloadTooLarge(1),
            ApiError::UnsupportedMediaType("x".into()),
            ApiError::RequestTimeout,
            ApiError::TooManyRequests {
                retry_after_secs: 1,
                detail: "x".into(),
            },
            ApiError::Unavailable("x".into()),
            ApiError::IdempotencyKeyInUse,
            ApiError::IdempotencyKeyReused,
            ApiError::IdempotencyOutcomeUnknown,
            ApiError::internal("x"),
        ];
        for e in errors {
            let ty = PROBLEM_TYPES.iter().find(|p| p.slug == e.slug());
            let ty = ty.map(|t| t.status);
            assert_eq!(ty, Some(e.status_code().as_u16()), "{}", e.slug());
        }
    }

    #[test]
    fn an_internal_error_does_not_leak_its_cause() {
        let p = ApiError::internal("password=hunter2").to_problem();
        assert!(!p.detail.contains("hunter2"));
        assert_eq!(p.status, 500);
    }
}
