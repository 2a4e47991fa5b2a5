//! What the middleware adds to the API's contract, written into the OpenAPI document
//! after the handlers' own annotations: the `Idempotency-Key` header on writes, and
//! 429 with `Retry-After` on the rate-limited operations.

use actix_web::http::Method;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr, Required};

use super::idempotency::takes_key;
use super::rate_limit::classify;

pub fn describe(api: &mut OpenApi) {
    api.components
        .get_or_insert_with(Default::default)
        .parameters
        .insert(KEY_PARAM.to_owned(), RefOr::T(idempotency_key()));
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, op) in [
            (Method::GET, item.get.as_mut()),
            (Method::POST, item.post.as_mut()),
            (Method::PUT, item.put.as_mut()),
            (Method::PATCH, item.patch.as_mut()),
            (Method::DELETE, item.delete.as_mut()),
        ] {
            let Some(op) = op else { continue };
            if takes_key(&method, path) {
                add_idempotency_key(op);
            }
            let limited =
                classify(&method, path, "").or_else(|| classify(&method, path, "format=pdf"));
            if limited.is_some() {
                add_problem(
                    op,
                    "429",
                    "Too many requests of this kind from this caller or address; retry after Retry-After seconds",
                    true,
                );
            }
        }
    }
}

const KEY_PARAM: &str = "IdempotencyKey";

fn idempotency_key() -> Parameter {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some("^[\\x21-\\x7E]+$"));
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "A key of your choice (a UUID) that makes a retry safe: a request repeated with the same key, method, path and body within 24 h gets the first answer again (with `Idempotent-Replayed: true`) instead of acting twice. Keys are per caller.",
        ))
        .schema(Some(schema))
        .build()
}

fn add_idempotency_key(op: &mut Operation) {
    op.parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::Ref(Ref::new(format!(
            "#/components/parameters/{KEY_PARAM}"
        ))));
    add_problem(
        op,
        "409",
        "Conflict; with an Idempotency-Key: the first request with this key is still running (retry after Retry-After), or it was carried out but its answer was lost",
        false,
    );
    add_problem(
        op,
        "422",
        "Invalid fields; with an Idempotency-Key: the key was used for a different request",
        false,
    );
}

/// Adds a problem+json response unless the operation documents that status already.
fn add_problem(op: &mut Operation, status: &str, description: &str, retry_after: bool) {
    if op.responses.responses.contains_key(status) {
        return;
    }
    let mut res = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if retry_after {
        res = res.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some("Seconds to wait"))
                .build(),
        );
    }
    op.responses
        .responses
        .insert(status.to_owned(), RefOr::T(res.build()));
}
