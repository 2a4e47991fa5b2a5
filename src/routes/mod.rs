//! HTTP handlers, one module per resource. Handlers are thin: extract, authorize, call
//! the domain and the store, map to a view.

pub mod add_ons;
pub mod add_ons_csv;
pub mod api_keys;
pub mod auth;
pub mod clients;
pub mod compliance;
pub mod council_reports;
pub mod councils;
pub mod guidance_sessions;
pub mod health;
pub mod inquiries;
pub mod me;
pub mod meetings;
pub mod offices;
pub mod organizations;
pub mod problems;
pub mod rentals;
pub mod support_sheets;
pub mod users;
pub mod webhooks;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// The version named by `If-Match`; updates without one are refused (428), so that no
/// one overwrites a change they have not seen.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i32);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get(header::IF_MATCH) {
            None => Err(ApiError::PreconditionRequired),
            Some(v) => v
                .to_str()
                .ok()
                .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|s| s.parse::<i32>().ok())
                .map(IfMatch)
                .ok_or_else(|| ApiError::BadRequest {
                    slug: "invalid-header",
                    detail: "If-Match must be the ETag this API returned, such as \"3\"".into(),
                    field: Some("If-Match".into()),
                }),
        };
        std::future::ready(parsed)
    }
}

/// `?limit=&cursor=` on every list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// For PATCH bodies: an absent field is `None` (leave it), `null` is `Some(None)` (clear
/// it), a value is `Some(Some(v))`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Registers every route; the server and the OpenAPI document both come from this, so
/// they cannot drift apart.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::get_metrics)
        .service(problems::problem_type)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(auth::post_token)
                .service(auth::post_refresh)
                .service(auth::post_logout)
                .service(me::get_me)
                .service(me::change_password)
                .service(organizations::list)
                .service(organizations::create)
                .service(organizations::read)
                .service(organizations::update)
                .service(users::list)
                .service(users::create)
                .service(users::read)
                .service(users::update)
                .service(users::deactivate)
                .service(users::reset_password)
                .service(api_keys::list)
                .service(api_keys::create)
                .service(api_keys::read)
                .service(api_keys::revoke)
                .service(clients::create)
                .service(clients::list)
                .service(clients::read)
                .service(clients::replace)
                .service(clients::update)
                .service(clients::remove)
                .service(clients::needs::read)
                .service(clients::needs::put)
                .service(clients::consents::create)
                .service(clients::consents::list)
                .service(clients::consents::withdraw)
                .service(clients::consents::provisions)
                .service(clients::matches::matches)
                .service(inquiries::create)
                .service(inquiries::list)
                .service(inquiries::read)
                .service(inquiries::events)
                .service(inquiries::steps::step)
                .service(meetings::create)
                .service(meetings::list)
                .service(meetings::read)
                .service(meetings::replace)
                .service(meetings::update)
                .service(meetings::minutes::put_minutes)
                .service(meetings::minutes::list_minutes)
                .service(meetings::amendments::create)
                .service(guidance_sessions::create)
                .service(guidance_sessions::list)
                .service(guidance_sessions::read)
                .service(council_reports::create)
                .service(council_reports::list)
                .service(council_reports::read)
                .service(council_reports::replace)
                .service(council_reports::update)
                .service(council_reports::submit)
                .service(councils::meetings_report)
                .service(offices::read_setup)
                .service(offices::put_setup)
                .service(offices::close_month)
                .service(compliance::compliance)
                .service(compliance::dashboard)
                .service(add_ons::add_ons)
                .service(support_sheets::create)
                .service(support_sheets::list)
                .service(support_sheets::read)
                .service(support_sheets::update)
                .service(support_sheets::publish)
                .service(support_sheets::list_versions)
                .service(support_sheets::diff)
                .service(support_sheets::concerns::report)
                .service(support_sheets::concerns::list)
                .service(support_sheets::concerns::acknowledge)
                .service(rentals::search::search)
                .service(rentals::create)
                .service(rentals::mine)
                .service(rentals::history)
                .service(rentals::import::import)
                .service(rentals::read)
                .service(rentals::update)
                .service(rentals::remove)
                .service(webhooks::create)
                .service(webhooks::list)
                .service(webhooks::read)
                .service(webhooks::deactivate)
                .service(webhooks::rotate_secret)
                .service(webhooks::deliveries::list)
                .service(webhooks::deliveries::redeliver)
                .service(webhooks::deliveries::ping),
        );
}
