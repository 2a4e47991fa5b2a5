//! `/me`: who the caller is, and changing one's own password.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Subject, password};
use crate::db::{self, api_keys, audit, organizations, refresh_tokens, users};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::organization::OrgKind;
use crate::domain::user::{NewPassword, Role};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    User,
    ApiKey,
}

/// The caller: a user, or an API key of an organisation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub subject_type: SubjectType,
    /// The user's or API key's id.
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// The user's e-mail address (absent for an API key).
    pub email: Option<String>,
    /// The user's display name, or the API key's name.
    pub display_name: String,
    pub role: Role,
    pub organization_id: OrganizationId,
    pub organization_kind: OrgKind,
    pub organization_name: String,
}

/// Returns the caller, its organisation's id and kind, and its role.
#[utoipa::path(tag = "me", operation_id = "me_read", responses(
    (status = 200, body = Me),
    (status = 401, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, caller: Caller) -> ApiResult<web::Json<Me>> {
    let me = state
        .db
        .run(move |conn| {
            let org = organizations::find(conn, &caller.organization_id.to_string())?;
            let (subject_type, id, email, display_name) = match caller.subject {
                Subject::User(id) => {
                    let u = users::find(conn, &id.to_string())?;
                    (SubjectType::User, u.id, Some(u.email), u.display_name)
                }
                Subject::ApiKey(id) => {
                    let k = api_keys::find(conn, &id.to_string())?;
                    (SubjectType::ApiKey, k.id, None, k.name)
                }
            };
            Ok(Me {
                subject_type,
                id,
                email,
                display_name,
                role: caller.role,
                organization_id: caller.organization_id,
                organization_kind: caller.org_kind,
                organization_name: org.name,
            })
        })
        .await?;
    Ok(web::Json(me))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's own password; every other login of the user is ended.
#[utoipa::path(tag = "me", request_body = ChangePassword, responses(
    (status = 204, description = "changed"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<ChangePassword>,
) -> ApiResult<HttpResponse> {
    let Some(user_id) = caller.user_id() else {
        return Err(ApiError::Forbidden("an API key has no password".into()));
    };
    let body = body.into_inner();
    let new =
        NewPassword::parse(&body.new_password).map_err(|m| ApiError::field("new_password", m))?;
    let user = state
        .db
        .run(move |conn| Ok(users::find(conn, &user_id.to_string())?))
        .await?;
    let phc = user.password_hash.clone();
    let current = body.current_password;
    if !web::block(move || password::verify(&current, &phc)).await? {
        return Err(ApiError::field("current_password", "is wrong"));
    }
    set_password(&state, &caller, user_id, user.version, new).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Stores a new password hash and ends every login of the user.
pub async fn set_password(
    state: &AppState,
    caller: &Caller,
    user_id: UserId,
    version: i32,
    new: NewPassword,
) -> ApiResult<()> {
    let hash = web::block(move || password::hash(new.expose())).await??;
    let caller = *caller;
    state
        .db
        .transaction(move |conn| {
            let id = user_id.to_string();
            let changes = users::UserChanges {
                password_hash: Some(hash),
                ..Default::default()
            };
            if !users::update(conn, &id, version, &changes, db::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            refresh_tokens::revoke_all_of_user(conn, &id, db::now())?;
            crate::db::portal_sessions::delete_for_user(conn, &id, None)?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "password_change",
                    object_type: "user",
                    object_id: Some(id),
                    outcome: "ok",
                    detail: serde_json::json!({}),
                },
            )?;
            Ok(())
        })
        .await
}
