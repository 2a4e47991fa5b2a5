//! Builds the application: database, migrations, the actix server bound to its
//! listener. `serve` and the tests share this, so tests run the real server (on port 0).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpResponse, web};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;

use crate::auth::jwt::TokenIssuer;
use crate::config::Settings;
use crate::db::{self, Db};
use crate::domain::add_on::RuleBook;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::pdf::PdfRenderer;
use crate::search::RentalIndex;
use crate::state::AppState;
use crate::{accounts, openapi, routes};

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    rentals: Arc<RentalIndex>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// Opens the pool and applies pending migrations.
pub async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let db = Db::connect(&settings.database_url, settings.db_pool_size)
        .map_err(|e| StartupError::Database(e.to_string()))?;
    let migrate = db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = migrate.get().map_err(|e| e.to_string())?;
        db::run_migrations(&mut conn)
    })
    .await
    .map_err(|e| StartupError::Database(e.to_string()))?
    .map_err(|e| StartupError::Database(format!("migrations failed: {e}")))?;
    Ok(db)
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = open_database(&settings).await?;
        if let Some((email, password)) = &settings.bootstrap_admin {
            let created = accounts::bootstrap_operator(&db, email.clone(), password.clone())
                .await
                .map_err(|e| StartupError::Other(format!("bootstrap admin: {e}")))?;
            if created {
                tracing::info!(email = email.as_str(), "created the first operator account");
            }
        }
        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?
            .port();
        let rentals = Arc::new(RentalIndex::new());
        let server = run(listener, db.clone(), rentals.clone(), &settings)?;
        Ok(Self {
            port,
            server,
            db,
            rentals,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The search index (ready once loaded from the database).
    pub fn rentals(&self) -> Arc<RentalIndex> {
        self.rentals.clone()
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests then get the shutdown timeout
    /// to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

fn run(
    listener: TcpListener,
    db: Db,
    rentals: Arc<RentalIndex>,
    settings: &Settings,
) -> Result<Server, StartupError> {
    tokio::spawn(crate::search::keep_current(
        db.clone(),
        rentals.clone(),
        std::time::Duration::from_millis(settings.index_poll_ms),
    ));
    tokio::spawn(crate::notify::delivery::keep_delivering(
        db.clone(),
        std::time::Duration::from_millis(settings.webhook_poll_ms),
    ));
    tokio::spawn(crate::db::audit_chain::keep_sealing(
        db.clone(),
        std::time::Duration::from_millis(settings.audit_seal_ms),
        settings.audit_retention_days,
    ));
    tokio::spawn(keep_purging_idempotency_keys(db.clone()));
    tokio::spawn(crate::db::inquiries::keep_flagging_stalled(
        db.clone(),
        settings.inquiry_stall_days,
    ));
    let rules =
        Arc::new(RuleBook::embedded().map_err(|e| StartupError::Other(format!("fee rules: {e}")))?);
    tokio::spawn(crate::notify::month_ending::keep_warning(
        db.clone(),
        rules.clone(),
        settings.compliance_warn_days,
    ));
    let geocoder = Arc::new(crate::notify::geocoder::Geocoder::new(
        settings.geocoder_url.clone(),
        std::time::Duration::from_millis(settings.geocoder_timeout_ms),
    ));
    if geocoder.is_enabled() {
        tokio::spawn(crate::notify::geocoder::keep_placing(
            db.clone(),
            geocoder.clone(),
        ));
    }
    let state = AppState {
        db,
        tokens: Arc::new(TokenIssuer::new(&settings.jwt)),
        rentals,
        geocoder,
        rules,
        compliance_warn_days: settings.compliance_warn_days,
        login_max_failures: settings.login_max_failures,
        login_lockout_secs: settings.login_lockout_secs,
        import_max_bytes: settings.import_max_bytes,
        pdf: Arc::new(PdfRenderer::new()),
        idempotency_ttl_hours: settings.idempotency_ttl_hours,
        body_limit_bytes: settings.body_limit_bytes,
        body_idle_timeout: std::time::Duration::from_secs(settings.body_idle_timeout_secs),
        rate_limiter: Arc::new(crate::middleware::rate_limit::RateLimiter::new(
            settings.rate_limits.clone(),
        )),
    };
    let metrics = web::Data::new(Metrics::new().map_err(|e| StartupError::Other(e.to_string()))?);
    let issuer = web::Data::from(state.tokens.clone());
    let state = web::Data::new(state);
    let body_limit = settings.body_limit_bytes;
    let spec = web::Data::new(openapi::yaml().map_err(StartupError::Other)?);

    let server = actix_web::HttpServer::new(move || {
        let metrics_mw = metrics.clone();
        let (app, _api) = App::new()
            .into_utoipa_app()
            .app_data(state.clone())
            .app_data(issuer.clone())
            .app_data(metrics.clone())
            .app_data(spec.clone())
            .app_data(json_config(body_limit))
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(path_config())
            .app_data(query_config())
            .configure(routes::configure)
            .split_for_parts();
        // The portal's pages are not part of the API's contract (openapi.yaml).
        app.route("/openapi.yaml", web::get().to(serve_spec))
            .configure(crate::api_docs::configure)
            .configure(crate::portal::configure)
            .default_service(web::to(not_found))
            .wrap(actix_web::middleware::from_fn(
                crate::middleware::idempotency::idempotency,
            ))
            // Outside the idempotency layer, so a replayed answer says it too.
            .wrap(actix_web::middleware::from_fn(
                crate::middleware::deprecation::deprecation,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::middleware::rate_limit::rate_limit,
            ))
            .wrap(actix_web::middleware::from_fn(
                crate::middleware::body_timeout::body_timeout,
            ))
            .wrap_fn(move |req, srv| {
                let start = Instant::now();
                let method = req.method().to_string();
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let fut = crate::db::audit::with_request_id(request_id.clone(), srv.call(req));
                let metrics = metrics_mw.clone();
                async move {
                    let mut res = fut.await?;
                    let route = res
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "<unmatched>".into());
                    let seconds = start.elapsed().as_secs_f64();
                    metrics.observe(&method, &route, res.status().as_u16(), seconds);
                    // The access log: one line per request, inside the request's span
                    // (so it carries the request id). Paths are route patterns: no ids.
                    tracing::info!(
                        http.method = %method,
                        http.route = %route,
                        http.status_code = res.status().as_u16(),
                        latency_ms = seconds * 1000.0,
                        "request"
                    );
                    // Behind TLS (directly or through a proxy that says so), browsers
                    // are told to use nothing else for a year.
                    if res.request().connection_info().scheme() == "https" {
                        res.headers_mut().insert(
                            actix_web::http::header::STRICT_TRANSPORT_SECURITY,
                            HeaderValue::from_static("max-age=31536000"),
                        );
                    }
                    if let Some(id) =
                        request_id.and_then(|id: String| HeaderValue::from_str(&id).ok())
                    {
                        res.headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(res)
                }
            })
            // Defaults for every answer that does not set its own: nothing here is to be
            // cached on the way (client data is 要配慮個人情報) or sniffed as another type.
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((actix_web::http::header::CACHE_CONTROL, "no-store"))
                    .add((actix_web::http::header::REFERRER_POLICY, "no-referrer")),
            )
            .wrap(TracingLogger::default())
    })
    .listen(listener)
    .map_err(|source| StartupError::Bind {
        addr: "listener".into(),
        source,
    })?
    .shutdown_timeout(settings.shutdown_timeout_secs)
    .run();
    Ok(server)
}

/// Drops expired idempotency keys once an hour.
async fn keep_purging_idempotency_keys(db: Db) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        let now = crate::db::now();
        if let Err(e) = db
            .transaction(move |c| Ok(crate::db::idempotency::purge_expired(c, now)?))
            .await
        {
            tracing::warn!(error = %e, "purging expired idempotency keys failed");
        }
    }
}

async fn serve_spec(spec: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(spec.get_ref().clone())
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .error_handler(move |err, _req| {
            use actix_web::error::JsonPayloadError;
            let e = match &err {
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
                    "the body must be sent with Content-Type: application/json".into(),
                ),
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge(limit),
                JsonPayloadError::Payload(p) if crate::middleware::body_timeout::is_timeout(p) => {
                    ApiError::RequestTimeout
                }
                JsonPayloadError::Deserialize(de) => ApiError::BadRequest {
                    slug: "malformed-json",
                    detail: format!("the body is not a valid request: {de}"),
                    field: field_of_serde_error(&de.to_string()),
                },
                other => ApiError::BadRequest {
                    slug: "malformed-json",
                    detail: format!("the body could not be read: {other}"),
                    field: None,
                },
            };
            e.into()
        })
}

/// serde names the field in its messages (`unknown field `x``, `missing field `y``);
/// surface it as the problem's field.
pub fn field_of_serde_error(msg: &str) -> Option<String> {
    let start = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|m| msg.find(m).map(|i| i + m.len()))?;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest {
            slug: "invalid-parameter",
            detail: format!("a path parameter is invalid (ids are UUIDs): {err}"),
            field: Some("id".into()),
        }
        .into()
    })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest {
            slug: "invalid-parameter",
            detail: format!("a query parameter is invalid: {err}"),
            field: field_of_serde_error(&err.to_string()),
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::field_of_serde_error;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_of_serde_error("unknown field `colour`, expected one of `name`").as_deref(),
            Some("colour")
        );
        assert_eq!(
            field_of_serde_error("missing field `email` at line 1").as_deref(),
            Some("email")
        );
        assert_eq!(field_of_serde_error("invalid type: string `x`"), None);
    }
}
