//! `/portal/login` and `/portal/logout`. The password check is the API's (the same
//! throttle, lockout and audit records); a success opens a portal session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::Form;
use super::session::{self, LOGIN_CSRF_COOKIE, Session, portal_kind, tokens_match};
use super::{PortalError, PortalResult, page_with, see_other};
use crate::auth::secret_token::random_hex;
use crate::db::{self, audit, login_throttle, portal_sessions, users};
use crate::domain::organization::OrgKind;
use crate::error::ApiError;
use crate::routes::auth::check_password;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(show))
        .route("/login", web::post().to(submit))
        .route("/logout", web::post().to(logout));
}

/// Only a path inside the portal is a place to go back to after the login.
pub fn safe_next(next: &str) -> bool {
    next.starts_with("/portal")
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.starts_with("/portal/login")
        && !next.starts_with("/portal/logout")
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    email_error: Option<String>,
    password_error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

fn login_page(
    req: &HttpRequest,
    status: StatusCode,
    mut page: LoginPage,
) -> PortalResult<HttpResponse> {
    let token = random_hex(16)?;
    page.csrf = token.clone();
    let mut res = page_with(status, &page)?;
    res.add_cookie(&session::login_csrf_cookie(req, token))
        .map_err(ApiError::internal)?;
    Ok(res)
}

async fn show(req: HttpRequest, q: web::Query<LoginQuery>) -> PortalResult<HttpResponse> {
    let q = q.into_inner();
    let next = q.next.filter(|n| safe_next(n)).unwrap_or_default();
    let notice = match q.done.as_deref() {
        Some("logout") => Some("ログアウトしました。".to_owned()),
        Some("password") => {
            Some("パスワードを変更しました。新しいパスワードでログインしてください。".to_owned())
        }
        _ => None,
    };
    login_page(
        &req,
        StatusCode::OK,
        LoginPage {
            csrf: String::new(),
            next,
            email: String::new(),
            error: None,
            email_error: None,
            password_error: None,
            notice,
        },
    )
}

async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: Form,
) -> PortalResult<HttpResponse> {
    let cookie = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !tokens_match(&cookie, &form.csrf()) {
        return Err(PortalError::Csrf);
    }
    let email = form.text("email");
    let password = form.raw("password");
    let next = Some(form.text("next"))
        .filter(|n| safe_next(n))
        .unwrap_or_default();
    let again = |status, error: Option<String>, email_error, password_error| {
        login_page(
            &req,
            status,
            LoginPage {
                csrf: String::new(),
                next: next.clone(),
                email: email.clone(),
                error,
                email_error,
                password_error,
                notice: None,
            },
        )
    };
    if email.is_empty() || password.is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("メールアドレスとパスワードを入力してください。".into()),
            email
                .is_empty()
                .then(|| "メールアドレスを入力してください。".to_owned()),
            password
                .is_empty()
                .then(|| "パスワードを入力してください。".to_owned()),
        );
    }
    let (user, org) = match check_password(&state, email.clone(), password).await {
        Ok(found) => found,
        Err(ApiError::Unauthorized(_)) => {
            return again(
                StatusCode::UNAUTHORIZED,
                Some("メールアドレスまたはパスワードが違います。".into()),
                None,
                None,
            );
        }
        Err(ApiError::TooManyRequests {
            retry_after_secs, ..
        }) => {
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                Some(format!(
                    "ログインの失敗が続いたため、一時的にロックしています。約{}秒後にもう一度お試しください。",
                    retry_after_secs
                )),
                None,
                None,
            )?;
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(retry_after_secs),
            );
            return Ok(res);
        }
        Err(e) => return Err(e.into()),
    };
    let kind = OrgKind::parse(&org.kind).map_err(ApiError::internal)?;
    let allowed = portal_kind(kind);
    let user_id = user.id.clone();
    let login_email = user.email.clone();
    let token = state
        .db
        .transaction(move |conn| {
            audit::write(
                conn,
                audit::Entry {
                    actor: None,
                    action: if allowed { "login" } else { "login_refused" },
                    object_type: "user",
                    object_id: Some(user_id.clone()),
                    outcome: if allowed { "ok" } else { "denied" },
                    detail: serde_json::json!({ "grant": "portal" }),
                },
            )?;
            if !allowed {
                return Ok(None);
            }
            login_throttle::clear(conn, &login_email)?;
            users::record_login(conn, &user_id, db::now())?;
            Ok(Some(session::open(conn, &user_id, db::now())?))
        })
        .await?;
    let Some(token) = token else {
        return again(
            StatusCode::FORBIDDEN,
            Some("このポータルは家主・管理会社（宅建業者）の方のためのものです。相談支援事業所・居住支援法人・協議会の方は API をお使いください。".into()),
            None,
            None,
        );
    };
    let to = if next.is_empty() {
        "/portal/rentals".to_owned()
    } else {
        next
    };
    let mut res = see_other(&to);
    res.add_cookie(&session::session_cookie(&req, token))
        .map_err(ApiError::internal)?;
    res.add_cookie(&session::expired(&req, LOGIN_CSRF_COOKIE))
        .map_err(ApiError::internal)?;
    Ok(res)
}

async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    s: Session,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let caller = s.caller;
    let id = s.id.clone();
    state
        .db
        .transaction(move |conn| {
            portal_sessions::delete(conn, &id)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "logout",
                    object_type: "user",
                    object_id: caller.user_id().map(|u| u.to_string()),
                    outcome: "ok",
                    detail: serde_json::json!({ "grant": "portal" }),
                },
            )?;
            Ok(())
        })
        .await?;
    let mut res = see_other("/portal/login?done=logout");
    res.add_cookie(&session::expired(&req, session::COOKIE))
        .map_err(ApiError::internal)?;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_portal_paths_are_followed_after_login() {
        assert!(safe_next("/portal/inquiries/1"));
        assert!(!safe_next("https://evil.example/portal"));
        assert!(!safe_next("//evil.example/portal"));
        assert!(!safe_next("/api/v1/me"));
        assert!(!safe_next("/portal/login?next=/portal"));
        assert!(!safe_next("/portal\\..\\x"));
    }
}
