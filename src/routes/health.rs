//! Liveness, readiness and metrics for load balancers and Prometheus.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Problem;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)), security(()))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers; 503 when it does not, so a load balancer stops sending
/// traffic here.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Health),
    (status = 503, body = Problem, content_type = "application/problem+json"),
), security(()))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, crate::error::ApiError> {
    state.db.ping().await?;
    if !state.rentals.is_ready() {
        return Err(crate::error::ApiError::Unavailable(
            "the search index is still loading".into(),
        ));
    }
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Prometheus text: request counts and latency histograms by route and status.
#[utoipa::path(tag = "operations", operation_id = "metrics", responses((status = 200, content_type = "text/plain", body = String)), security(()))]
#[get("/metrics")]
pub async fn get_metrics(metrics: web::Data<crate::metrics::Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(metrics.render())
}
