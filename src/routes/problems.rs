//! `/problems/{slug}`: what each problem `type` means, so the URIs in error bodies lead
//! somewhere.

use actix_web::{HttpResponse, get, web};

use crate::error::{ApiError, PROBLEM_TYPES, ProblemType};

/// Describes one problem type.
#[utoipa::path(tag = "operations", params(("slug" = String, Path, description = "the slug of a problem type")),
    responses((status = 200, body = ProblemType), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")), security(()))]
#[get("/problems/{slug}")]
pub async fn problem_type(slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    PROBLEM_TYPES
        .iter()
        .find(|p| p.slug == slug.as_str())
        .map(|p| HttpResponse::Ok().json(p))
        .ok_or(ApiError::NotFound)
}
