//! アカウント: the user's own password, and for the organisation's administrator its
//! users with a password reset each. Both are the API's operations (`routes::me`,
//! `routes::users`): a new password ends every login of the user, portal sessions
//! included.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::Form;
use super::session::{self, Nav, Session};
use super::{PortalResult, messages, page, page_with, see_other};
use crate::auth::{Action, Resource, authorize, password};
use crate::db::{self, users};
use crate::domain::ids::UserId;
use crate::domain::page::PageRequest;
use crate::domain::user::NewPassword;
use crate::error::ApiError;
use crate::routes::me::set_password;
use crate::routes::users::load_authorized;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(show))
        .route("/account/password", web::post().to(change))
        .route("/users/{id}/password", web::post().to(reset));
}

pub struct Member {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub active: bool,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "portal/account.html")]
struct AccountPage {
    nav: Nav,
    section: &'static str,
    email: String,
    members: Vec<Member>,
    /// Errors of the own-password form, by field.
    errors: Vec<(String, String)>,
    /// A reset that failed: the user and why.
    reset_error: Option<(String, String)>,
    done: Option<String>,
}

#[derive(Deserialize)]
struct ShowQuery {
    done: Option<String>,
}

fn role_label(role: &str) -> &'static str {
    match role {
        "admin" => "管理者",
        "staff" => "担当者",
        _ => "閲覧のみ",
    }
}

async fn members(state: &AppState, s: &Session) -> PortalResult<Vec<Member>> {
    if !s.is_admin() {
        return Ok(Vec::new());
    }
    authorize(
        &s.caller,
        Action::List,
        Resource::Users {
            organization_id: s.caller.organization_id,
        },
    )?;
    let org = s.caller.organization_id.to_string();
    let rows = state
        .db
        .run(move |conn| {
            let page = PageRequest::parse(Some(200), None)?;
            Ok(users::list(conn, Some(&org), &page)?)
        })
        .await?;
    Ok(rows
        .into_iter()
        .map(|u| Member {
            me: u.id == s.user_id,
            role: role_label(&u.role),
            active: u.is_active,
            name: u.display_name,
            email: u.email,
            id: u.id,
        })
        .collect())
}

async fn account_page(
    state: &AppState,
    s: &Session,
    errors: Vec<(String, String)>,
    reset_error: Option<(String, String)>,
    done: Option<String>,
) -> PortalResult<AccountPage> {
    Ok(AccountPage {
        nav: s.nav(),
        section: "account",
        email: s.email.clone(),
        members: members(state, s).await?,
        errors,
        reset_error,
        done,
    })
}

async fn show(
    state: web::Data<AppState>,
    s: Session,
    q: web::Query<ShowQuery>,
) -> PortalResult<HttpResponse> {
    let done = match q.done.as_deref() {
        Some("password") => Some("パスワードを変更しました。".to_owned()),
        Some("reset") => {
            Some("パスワードを再設定しました。新しいパスワードを本人に伝えてください。".to_owned())
        }
        _ => None,
    };
    page(&account_page(&state, &s, Vec::new(), None, done).await?)
}

/// The user's own password: the current one, the new one twice.
async fn change(
    req: HttpRequest,
    state: web::Data<AppState>,
    s: Session,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let current = form.raw("current_password");
    let new = form.raw("new_password");
    let mut errors = Vec::new();
    let parsed = match NewPassword::parse(&new) {
        Ok(p) => Some(p),
        Err(m) => {
            errors.push((
                "new_password".to_owned(),
                messages::for_field("new_password", &m),
            ));
            None
        }
    };
    if new != form.raw("new_password_again") {
        errors.push((
            "new_password_again".to_owned(),
            "確認のため、同じパスワードをもう一度入力してください。".to_owned(),
        ));
    }
    let user_id: UserId = s.user_id.parse().map_err(ApiError::internal)?;
    let id = s.user_id.clone();
    let user = state
        .db
        .run(move |conn| Ok(users::find(conn, &id)?))
        .await?;
    let phc = user.password_hash.clone();
    if !web::block(move || password::verify(&current, &phc))
        .await
        .map_err(ApiError::from)?
    {
        errors.insert(
            0,
            (
                "current_password".to_owned(),
                "現在のパスワードが正しくありません。".to_owned(),
            ),
        );
    }
    let (Some(new), true) = (parsed, errors.is_empty()) else {
        return page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &account_page(&state, &s, errors, None, None).await?,
        );
    };
    set_password(&state, &s.caller, user_id, user.version, new).await?;
    // Every session of the user has ended with the change; this one goes on anew.
    let uid = s.user_id.clone();
    let token = state
        .db
        .transaction(move |conn| session::open(conn, &uid, db::now()))
        .await?;
    let mut res = see_other("/portal/account?done=password");
    res.add_cookie(&session::session_cookie(&req, token))
        .map_err(ApiError::internal)?;
    Ok(res)
}

/// The administrator sets a new password for a user of the organisation.
async fn reset(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<UserId>,
    form: Form,
) -> PortalResult<HttpResponse> {
    s.check_csrf(&form.csrf())?;
    let id = id.into_inner();
    let user = load_authorized(&state, &s.caller, id, Action::Update).await?;
    let new = match NewPassword::parse(&form.raw("new_password")) {
        Ok(p) => p,
        Err(m) => {
            let e = Some((user.id.clone(), messages::for_field("new_password", &m)));
            return page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &account_page(&state, &s, Vec::new(), e, None).await?,
            );
        }
    };
    set_password(&state, &s.caller, id, user.version, new).await?;
    if user.id == s.user_id {
        return Ok(see_other("/portal/login?done=password"));
    }
    Ok(see_other("/portal/account?done=reset"))
}
