//! The landlord portal under `/portal`: Japanese, server-rendered pages (askama) with
//! plain forms, for landlords and the real-estate agents acting for them. It works
//! without JavaScript. A portal session makes the same `Caller` an API token does, and
//! every page goes through the same access policy, queries and audit records as the API
//! (`routes::*` hold the shared operations).
//!
//! Errors: handlers return [`PortalError`]; a form's field errors are shown next to
//! their fields in Japanese (`messages`), anything else becomes an error page here.

mod account;
mod form;
mod import;
mod inquiries;
mod login;
mod messages;
mod rental_form;
mod rentals;
pub mod session;
mod tenants;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;

use crate::error::ApiError;
pub use session::Session;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/portal")
            .wrap(
                actix_web::middleware::DefaultHeaders::new()
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                         form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
                         object-src 'none'",
                    ))
                    .add((
                        header::HeaderName::from_static("permissions-policy"),
                        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
                    ))
                    .add((
                        header::HeaderName::from_static("cross-origin-opener-policy"),
                        "same-origin",
                    ))
                    .add((
                        header::HeaderName::from_static("cross-origin-resource-policy"),
                        "same-origin",
                    )),
            )
            .route("", web::get().to(home))
            .route("/", web::get().to(home))
            .route("/static/portal.css", web::get().to(stylesheet))
            .configure(login::configure)
            .configure(account::configure)
            .configure(rentals::configure)
            .configure(inquiries::configure)
            .configure(tenants::configure),
    );
}

async fn home(_s: Session) -> HttpResponse {
    see_other("/portal/rentals")
}

const CSS: &str = include_str!("../../templates/portal/portal.css");

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(CSS)
}

/// 303 to `path` (after a form post, so a reload does not post again).
pub fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, path))
        .finish()
}

/// A rendered page; pages with personal data are never cached.
pub fn page(t: &impl Template) -> Result<HttpResponse, PortalError> {
    page_with(StatusCode::OK, t)
}

pub fn page_with(status: StatusCode, t: &impl Template) -> Result<HttpResponse, PortalError> {
    let body = t.render().map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// What a portal handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    /// No (live) session: to the login page, then back to `next`.
    #[error("login required")]
    LoginRequired(String),
    /// A form without this session's CSRF token.
    #[error("the form's security token is missing or out of date")]
    Csrf,
    #[error(transparent)]
    Api(#[from] ApiError),
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
}

impl ResponseError for PortalError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired(_) => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, message) = match self {
            Self::LoginRequired(next) => {
                let next = if login::safe_next(next) {
                    next.as_str()
                } else {
                    "/portal"
                };
                let to = format!(
                    "/portal/login?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return see_other(&to);
            }
            Self::Csrf => (
                "フォームの有効期限が切れました",
                "ページを開き直してから、もう一度送信してください。".to_owned(),
            ),
            Self::Api(e) => match e {
                ApiError::NotFound => (
                    "ページが見つかりません",
                    "お探しのページは存在しないか、表示する権限がありません。".to_owned(),
                ),
                ApiError::Forbidden(_) => (
                    "この操作はできません",
                    "あなたのアカウントの権限では、この操作はできません。組織の管理者にお問い合わせください。"
                        .to_owned(),
                ),
                ApiError::Conflict(_) | ApiError::PreconditionFailed => (
                    "ほかの方が先に変更しました",
                    "最新の内容を開き直してから、もう一度操作してください。".to_owned(),
                ),
                ApiError::TooManyRequests { .. } => (
                    "しばらくお待ちください",
                    "短い時間に多くの操作がありました。少し待ってからもう一度お試しください。"
                        .to_owned(),
                ),
                ApiError::PayloadTooLarge(_) => (
                    "ファイルが大きすぎます",
                    "ファイルを分けて、もう一度送信してください。".to_owned(),
                ),
                ApiError::Validation(errors) => (
                    "入力内容に誤りがあります",
                    errors
                        .iter()
                        .map(|f| messages::for_field(&f.field, &f.message))
                        .collect::<Vec<_>>()
                        .join(" / "),
                ),
                ApiError::Unavailable(_) => (
                    "ただいま混み合っています",
                    "少し待ってからもう一度お試しください。".to_owned(),
                ),
                ApiError::Internal(cause) => {
                    tracing::error!(error = %cause, "portal request failed");
                    (
                        "エラーが発生しました",
                        "申し訳ありません。時間をおいてもう一度お試しください。".to_owned(),
                    )
                }
                _ => (
                    "リクエストを処理できません",
                    "入力内容を確認して、もう一度お試しください。".to_owned(),
                ),
            },
        };
        let body = ErrorPage { title, message }
            .render()
            .unwrap_or_else(|_| title.to_owned());
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if let Self::Api(ApiError::TooManyRequests {
            retry_after_secs, ..
        }) = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            res.insert_header((header::RETRY_AFTER, v));
        }
        res.body(body)
    }
}

pub type PortalResult<T> = Result<T, PortalError>;
