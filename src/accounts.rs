//! Creating accounts outside the API: the first operator (from env vars or
//! `sumai-link admin create`) and the organisations of the demo data.

use secrecy::{ExposeSecret, SecretString};

use crate::auth::password;
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::db::{self, Db, DbConn, organizations, users};
use crate::domain::organization::OrgKind;
use crate::domain::user::{Email, Role};
use crate::error::{ApiError, ApiResult};

pub const OPERATOR_ORG_NAME: &str = "住まいリンク運営事務局";

/// Creates the first operator administrator, only if no user exists yet. Returns
/// whether it did.
pub async fn bootstrap_operator(db: &Db, email: Email, pw: SecretString) -> ApiResult<bool> {
    let hash = actix_web::web::block(move || password::hash(pw.expose_secret())).await??;
    db.transaction(move |conn| {
        if users::count(conn)? > 0 {
            return Ok(false);
        }
        let org = ensure_operator_org(conn)?;
        insert_user(conn, &org, &email, "運営管理者", Role::Admin, hash)?;
        Ok(true)
    })
    .await
}

/// Creates an operator administrator whether or not users exist (`admin create`).
pub async fn create_operator_admin(
    db: &Db,
    email: Email,
    name: String,
    pw: SecretString,
) -> ApiResult<()> {
    let hash = actix_web::web::block(move || password::hash(pw.expose_secret())).await??;
    db.transaction(move |conn| {
        if users::find_by_email(conn, email.as_str())?.is_some() {
            return Err(ApiError::field(
                "email",
                "is already used by another account",
            ));
        }
        let org = ensure_operator_org(conn)?;
        insert_user(conn, &org, &email, &name, Role::Admin, hash)?;
        Ok(())
    })
    .await
}

/// The one operator organisation, made on first use.
pub fn ensure_operator_org(conn: &mut DbConn) -> ApiResult<String> {
    use crate::db::schema::organizations::dsl;
    use diesel::prelude::*;
    let existing: Option<String> = dsl::organizations
        .filter(dsl::kind.eq(OrgKind::Operator.as_str()))
        .select(dsl::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let org = new_org(OrgKind::Operator, OPERATOR_ORG_NAME, None, None);
    organizations::insert(conn, &org)?;
    Ok(org.id)
}

pub fn new_org(
    kind: OrgKind,
    name: &str,
    prefecture: Option<&str>,
    municipality: Option<&str>,
) -> Organization {
    let now = db::now();
    Organization {
        id: db::new_id(),
        kind: kind.as_str().to_owned(),
        name: name.to_owned(),
        prefecture_code: prefecture.map(str::to_owned),
        municipality_code: municipality.map(str::to_owned),
        contact_email: None,
        phone: None,
        is_active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

pub fn insert_user(
    conn: &mut DbConn,
    org_id: &str,
    email: &Email,
    name: &str,
    role: Role,
    hash: String,
) -> ApiResult<User> {
    let now = db::now();
    let user = User {
        id: db::new_id(),
        organization_id: org_id.to_owned(),
        email: email.as_str().to_owned(),
        display_name: name.to_owned(),
        role: role.as_str().to_owned(),
        password_hash: hash,
        is_active: true,
        last_login_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    users::insert(conn, &user)?;
    Ok(user)
}
