//! `/users`: an organisation's admin manages its users; members see their colleagues.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{IfMatch, etag, utc};
use crate::auth::policy::{Scope, list_scope};
use crate::auth::{Action, Caller, Resource, authorize, password};
use crate::db::users::{User, UserChanges};
use crate::db::{self, DbConn, audit, organizations, refresh_tokens, users};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::{Email, NewPassword, Role};
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub is_active: bool,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<User> for UserView {
    type Error = ApiError;
    fn try_from(u: User) -> ApiResult<Self> {
        Ok(Self {
            id: UserId::from_db(&u.id).map_err(ApiError::internal)?,
            organization_id: OrganizationId::from_db(&u.organization_id)
                .map_err(ApiError::internal)?,
            email: u.email,
            display_name: u.display_name,
            role: Role::parse(&u.role).map_err(ApiError::internal)?,
            is_active: u.is_active,
            last_login_at: u.last_login_at.map(utc),
            version: u.version,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        })
    }
}

/// The fields of a new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserFields {
    pub email: String,
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
}

impl std::fmt::Debug for NewUserFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserFields")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

pub struct ParsedNewUser {
    email: Email,
    display_name: String,
    password: NewPassword,
}

pub struct HashedNewUser {
    email: Email,
    display_name: String,
    password_hash: String,
}

impl NewUserFields {
    /// Records field errors under `prefix` and returns the parsed fields only when
    /// all are valid.
    pub fn parse(self, f: &mut Fields, prefix: &str) -> Option<ParsedNewUser> {
        let email = f.check(&format!("{prefix}email"), Email::parse(&self.email));
        let display_name = f.check(
            &format!("{prefix}display_name"),
            text(&self.display_name, 100),
        );
        let password = f.check(
            &format!("{prefix}password"),
            NewPassword::parse(&self.password),
        );
        Some(ParsedNewUser {
            email: email?,
            display_name: display_name?,
            password: password?,
        })
    }
}

impl ParsedNewUser {
    pub async fn hash(self) -> ApiResult<HashedNewUser> {
        let pw = self.password;
        let password_hash = web::block(move || password::hash(pw.expose())).await??;
        Ok(HashedNewUser {
            email: self.email,
            display_name: self.display_name,
            password_hash,
        })
    }
}

impl HashedNewUser {
    pub fn insert(self, conn: &mut DbConn, organization_id: &str, role: Role) -> ApiResult<User> {
        if users::find_by_email(conn, self.email.as_str())?.is_some() {
            return Err(ApiError::field(
                "email",
                "is already used by another account",
            ));
        }
        let now = db::now();
        let user = User {
            id: db::new_id(),
            organization_id: organization_id.to_owned(),
            email: self.email.as_str().to_owned(),
            display_name: self.display_name,
            role: role.as_str().to_owned(),
            password_hash: self.password_hash,
            is_active: true,
            last_login_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        users::insert(conn, &user)?;
        Ok(user)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Defaults to the caller's organisation; only the operator names another.
    pub organization_id: Option<OrganizationId>,
    pub role: String,
    pub email: String,
    pub display_name: String,
    /// At least 10 characters.
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<String>,
    pub is_active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub new_password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    /// The organisation whose users to list; defaults to the caller's (the operator may
    /// omit it to list everyone).
    pub organization_id: Option<OrganizationId>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists users of an organisation the caller belongs to (any, for the operator).
#[utoipa::path(tag = "users", params(UserListQuery), responses(
    (status = 200, body = Page<UserView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<UserListQuery>,
) -> ApiResult<web::Json<Page<UserView>>> {
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let org = match (q.organization_id, list_scope(&caller)) {
        (Some(org), _) => Some(org),
        (None, Scope::All) => None,
        (None, Scope::Only(own)) => Some(own),
    };
    if let Some(org) = org {
        authorize(
            &caller,
            Action::List,
            Resource::Users {
                organization_id: org,
            },
        )?;
    }
    let limit = page.limit;
    let rows = state
        .db
        .run(move |conn| {
            if let Some(o) = org {
                // Listing an organisation that does not exist is a 404, not an empty page.
                organizations::find(conn, &o.to_string())?;
            }
            Ok(users::list(
                conn,
                org.map(|o| o.to_string()).as_deref(),
                &page,
            )?)
        })
        .await?;
    let page = Page::from_rows(rows, limit, |u| u.id.clone());
    let items = page
        .items
        .into_iter()
        .map(UserView::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Creates a user in the caller's organisation (admins), or in any (operator admins).
#[utoipa::path(tag = "users", request_body = NewUser, responses(
    (status = 201, body = UserView, headers(("ETag" = String), ("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewUser>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let org = b.organization_id.unwrap_or(caller.organization_id);
    authorize(
        &caller,
        Action::Create,
        Resource::Users {
            organization_id: org,
        },
    )?;
    let mut f = Fields::new();
    let role = f.check("role", Role::parse(&b.role));
    let fields = NewUserFields {
        email: b.email,
        display_name: b.display_name,
        password: b.password,
    }
    .parse(&mut f, "");
    f.finish()?;
    let (role, fields) = (collected(role)?, collected(fields)?);
    let hashed = fields.hash().await?;
    let user = state
        .db
        .transaction(move |conn| {
            // The organisation must exist (the operator may name any id).
            organizations::find(conn, &org.to_string())?;
            let user = hashed.insert(conn, &org.to_string(), role)?;
            audit::write(conn, audit::Entry {
                actor: Some(&caller),
                action: "create",
                object_type: "user",
                object_id: Some(user.id.clone()),
                outcome: "ok",
                detail: serde_json::json!({ "role": user.role, "organization_id": user.organization_id }),
            })?;
            Ok(user)
        })
        .await?;
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", view.id)))
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Loads a user and checks the caller may do `action` to it.
pub async fn load_authorized(
    state: &AppState,
    caller: &Caller,
    id: UserId,
    action: Action,
) -> ApiResult<User> {
    let user = state
        .db
        .run(move |conn| Ok(users::find(conn, &id.to_string())?))
        .await?;
    let org = OrganizationId::from_db(&user.organization_id).map_err(ApiError::internal)?;
    authorize(
        caller,
        action,
        Resource::Users {
            organization_id: org,
        },
    )?;
    Ok(user)
}

/// Reads one user of the caller's organisation.
#[utoipa::path(tag = "users", params(("id" = UserId, Path)), responses(
    (status = 200, body = UserView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/users/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    let user = load_authorized(&state, &caller, id.into_inner(), Action::Read).await?;
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Changes a user's name, role or active state (admins); needs `If-Match`.
/// Deactivating ends the user's logins. The last active admin cannot be demoted.
#[utoipa::path(tag = "users", request_body = UserPatch,
    params(("id" = UserId, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = UserView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
    if_match: IfMatch,
    body: web::Json<UserPatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    load_authorized(&state, &caller, id, Action::Update).await?;
    let b = body.into_inner();
    let mut f = Fields::new();
    let display_name = f.check_opt("display_name", b.display_name, |n| text(&n, 100));
    let role = f.check_opt("role", b.role, |r| Role::parse(&r));
    f.finish()?;
    let changes = UserChanges {
        display_name: collected(display_name)?,
        role: collected(role)?.map(|r| r.as_str().to_owned()),
        is_active: b.is_active,
        password_hash: None,
    };
    let user = state
        .db
        .transaction(move |conn| {
            apply_user_change(conn, &caller, id, if_match.0, changes, "update")
        })
        .await?;
    let view = UserView::try_from(user)?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Deactivates a user (the account and its history stay; its logins end).
#[utoipa::path(tag = "users", params(("id" = UserId, Path)), responses(
    (status = 204, description = "deactivated"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[delete("/users/{id}")]
pub async fn deactivate(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let user = load_authorized(&state, &caller, id, Action::Delete).await?;
    let changes = UserChanges {
        is_active: Some(false),
        ..Default::default()
    };
    state
        .db
        .transaction(move |conn| {
            apply_user_change(conn, &caller, id, user.version, changes, "deactivate")
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a new password for a user of the organisation (admins), e.g. when it was
/// forgotten; the user's logins end.
#[utoipa::path(tag = "users", request_body = PasswordReset, params(("id" = UserId, Path)), responses(
    (status = 204, description = "password set"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
    body: web::Json<PasswordReset>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let user = load_authorized(&state, &caller, id, Action::Update).await?;
    let new =
        NewPassword::parse(&body.new_password).map_err(|m| ApiError::field("new_password", m))?;
    super::me::set_password(&state, &caller, id, user.version, new).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn apply_user_change(
    conn: &mut DbConn,
    caller: &Caller,
    id: UserId,
    expected_version: i32,
    changes: UserChanges,
    action: &str,
) -> ApiResult<User> {
    let key = id.to_string();
    let current = users::find(conn, &key)?;
    let demotes =
        changes.role.as_deref().is_some_and(|r| r != "admin") || changes.is_active == Some(false);
    if demotes && current.role == "admin" && current.is_active {
        // Serialise demotions within the organisation, or two admins demoted at once
        // would each see the other and leave none.
        organizations::lock(conn, &current.organization_id)?;
    }
    if demotes
        && current.role == "admin"
        && current.is_active
        && users::active_admins_of(conn, &current.organization_id)? <= 1
    {
        return Err(ApiError::Conflict(
            "this is the organisation's last active administrator; make another administrator first".into(),
        ));
    }
    if current.version != expected_version
        || !users::update(conn, &key, expected_version, &changes, db::now())?
    {
        return Err(ApiError::PreconditionFailed);
    }
    if changes.is_active == Some(false) || changes.role.is_some() {
        refresh_tokens::revoke_all_of_user(conn, &key, db::now())?;
        crate::db::portal_sessions::delete_for_user(conn, &key, None)?;
    }
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: "user",
            object_id: Some(key.clone()),
            outcome: "ok",
            detail: serde_json::json!({ "role": changes.role, "is_active": changes.is_active }),
        },
    )?;
    Ok(users::find(conn, &key)?)
}
