//! `/organizations`: the operator creates them; each organisation's admin maintains its
//! own details.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::users::{NewUserFields, UserView};
use super::{IfMatch, etag, utc};
use crate::auth::policy::list_scope;
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::organizations::{Organization, OrganizationChanges};
use crate::db::{self, audit, organizations};
use crate::domain::ids::OrganizationId;
use crate::domain::organization::{MunicipalityCode, OrgKind, PhoneNumber, PrefectureCode};
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::Email;
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: OrganizationId,
    pub kind: OrgKind,
    pub name: String,
    /// 都道府県コード (01-47)
    pub prefecture_code: Option<String>,
    /// 全国地方公共団体コード, six digits with the check digit
    pub municipality_code: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub is_active: bool,
    /// Send as If-Match (quoted) to update.
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<Organization> for OrganizationView {
    type Error = ApiError;
    fn try_from(o: Organization) -> ApiResult<Self> {
        Ok(Self {
            id: OrganizationId::from_db(&o.id).map_err(ApiError::internal)?,
            kind: OrgKind::parse(&o.kind).map_err(ApiError::internal)?,
            name: o.name,
            prefecture_code: o.prefecture_code,
            municipality_code: o.municipality_code,
            contact_email: o.contact_email,
            phone: o.phone,
            is_active: o.is_active,
            version: o.version,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub kind: String,
    pub name: String,
    pub prefecture_code: Option<String>,
    pub municipality_code: Option<String>,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    /// The organisation's first administrator, created with it.
    pub first_admin: Option<NewUserFields>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub prefecture_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub municipality_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub contact_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Only the operator (de)activates an organisation.
    pub is_active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOrganization {
    #[serde(flatten)]
    pub organization: OrganizationView,
    pub first_admin: Option<UserView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrganizationListQuery {
    /// Only organisations of this kind.
    pub kind: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

struct ParsedContact {
    prefecture_code: Option<Option<String>>,
    municipality_code: Option<Option<String>>,
    contact_email: Option<Option<String>>,
    phone: Option<Option<String>>,
}

/// Parses the optional contact fields; `Some(None)` clears a field.
fn parse_contact(
    f: &mut Fields,
    prefecture_code: Option<Option<String>>,
    municipality_code: Option<Option<String>>,
    contact_email: Option<Option<String>>,
    phone: Option<Option<String>>,
) -> ParsedContact {
    fn opt<T>(
        f: &mut Fields,
        field: &str,
        v: Option<Option<String>>,
        parse: impl Fn(&str) -> Result<T, String>,
        out: impl Fn(T) -> String,
    ) -> Option<Option<String>> {
        match v {
            None => None,
            Some(None) => Some(None),
            Some(Some(s)) => f.check(field, parse(&s)).map(|t| Some(out(t))),
        }
    }
    let prefecture_code = opt(
        f,
        "prefecture_code",
        prefecture_code,
        PrefectureCode::parse,
        |p| p.as_str().to_owned(),
    );
    let municipality_code = opt(
        f,
        "municipality_code",
        municipality_code,
        MunicipalityCode::parse,
        |m| m.as_str().to_owned(),
    );
    let contact_email = opt(f, "contact_email", contact_email, Email::parse, |e| {
        e.as_str().to_owned()
    });
    let phone = opt(f, "phone", phone, PhoneNumber::parse, |p| {
        p.as_str().to_owned()
    });
    ParsedContact {
        prefecture_code,
        municipality_code,
        contact_email,
        phone,
    }
}

fn check_area(f: &mut Fields, prefecture: Option<&str>, municipality: Option<&str>) {
    if let (Some(p), Some(m)) = (prefecture, municipality)
        && !m.starts_with(p)
    {
        f.push("municipality_code", format!("is not in prefecture {p}"));
    }
}

/// Lists the organisations the caller may see: all for the operator, its own for others.
#[utoipa::path(tag = "organizations", params(OrganizationListQuery), responses(
    (status = 200, body = Page<OrganizationView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<OrganizationListQuery>,
) -> ApiResult<web::Json<Page<OrganizationView>>> {
    authorize(&caller, Action::List, Resource::Organizations)?;
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let kind = q
        .kind
        .map(|k| {
            OrgKind::parse(&k).map_err(|m| ApiError::BadRequest {
                slug: "invalid-parameter",
                detail: format!("kind {m}"),
                field: Some("kind".into()),
            })
        })
        .transpose()?;
    let scope = list_scope(&caller);
    let limit = page.limit;
    let rows = state
        .db
        .run(move |conn| {
            Ok(organizations::list(
                conn,
                scope,
                kind.map(OrgKind::as_str),
                &page,
            )?)
        })
        .await?;
    let page = Page::from_rows(rows, limit, |o| o.id.clone());
    let items = page
        .items
        .into_iter()
        .map(OrganizationView::try_from)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Creates an organisation, optionally with its first administrator (operator only).
#[utoipa::path(tag = "organizations", request_body = NewOrganization, responses(
    (status = 201, body = CreatedOrganization, headers(("ETag" = String), ("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewOrganization>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::Organizations)?;
    let b = body.into_inner();
    let mut f = Fields::new();
    let kind = f.check("kind", OrgKind::parse(&b.kind));
    let name = f.check("name", text(&b.name, 200));
    let c = parse_contact(
        &mut f,
        b.prefecture_code.map(Some),
        b.municipality_code.map(Some),
        b.contact_email.map(Some),
        b.phone.map(Some),
    );
    check_area(
        &mut f,
        c.prefecture_code.clone().flatten().as_deref(),
        c.municipality_code.clone().flatten().as_deref(),
    );
    if kind == Some(OrgKind::Operator) {
        f.push(
            "kind",
            "there is one operator organisation; it is made with `sumai-link admin create`",
        );
    }
    let admin = b.first_admin.map(|a| a.parse(&mut f, "first_admin."));
    f.finish()?;
    let (kind, name) = (collected(kind)?, collected(name)?);
    let admin = match admin {
        Some(a) => Some(collected(a)?.hash().await?),
        None => None,
    };

    let now = db::now();
    let org = Organization {
        id: db::new_id(),
        kind: kind.as_str().to_owned(),
        name,
        prefecture_code: c.prefecture_code.flatten(),
        municipality_code: c.municipality_code.flatten(),
        contact_email: c.contact_email.flatten(),
        phone: c.phone.flatten(),
        is_active: true,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let (org, admin) = state
        .db
        .transaction(move |conn| {
            organizations::insert(conn, &org)?;
            let admin = match admin {
                Some(a) => Some(
                    a.insert(conn, &org.id, crate::domain::user::Role::Admin)
                        .map_err(|e| match e {
                            // Name the field as it is in this request's body.
                            ApiError::Validation(errors) => ApiError::Validation(
                                errors
                                    .into_iter()
                                    .map(|e| {
                                        FieldError::new(
                                            format!("first_admin.{}", e.field),
                                            e.message,
                                        )
                                    })
                                    .collect(),
                            ),
                            other => other,
                        })?,
                ),
                None => None,
            };
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "create",
                    object_type: "organization",
                    object_id: Some(org.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "kind": org.kind, "with_admin": admin.is_some() }),
                },
            )?;
            Ok((org, admin))
        })
        .await?;
    let view = OrganizationView::try_from(org)?;
    let location = format!("/api/v1/organizations/{}", view.id);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .insert_header(("ETag", etag(view.version)))
        .json(CreatedOrganization {
            organization: view,
            first_admin: admin.map(UserView::try_from).transpose()?,
        }))
}

/// Reads one organisation (its own for members; any for the operator).
#[utoipa::path(tag = "organizations", params(("id" = OrganizationId, Path)), responses(
    (status = 200, body = OrganizationView, headers(("ETag" = String))),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/organizations/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    authorize(&caller, Action::Read, Resource::Organization(id))?;
    let org = state
        .db
        .run(move |conn| Ok(organizations::find(conn, &id.to_string())?))
        .await?;
    let view = OrganizationView::try_from(org)?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Updates an organisation's details; needs `If-Match`.
#[utoipa::path(tag = "organizations", request_body = OrganizationPatch,
    params(("id" = OrganizationId, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = OrganizationView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[patch("/organizations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    if_match: IfMatch,
    body: web::Json<OrganizationPatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    authorize(&caller, Action::Update, Resource::Organization(id))?;
    let b = body.into_inner();
    let mut f = Fields::new();
    let name = f.check_opt("name", b.name, |n| text(&n, 200));
    let c = parse_contact(
        &mut f,
        b.prefecture_code,
        b.municipality_code,
        b.contact_email,
        b.phone,
    );
    if b.is_active.is_some() && !caller.is_operator() {
        f.push(
            "is_active",
            "only the operator activates or deactivates an organisation",
        );
    }
    if caller.is_operator() && b.is_active == Some(false) && id == caller.organization_id {
        f.push(
            "is_active",
            "the operator cannot deactivate its own organisation (every operator account would be locked out)",
        );
    }
    f.finish()?;
    let changes = OrganizationChanges {
        name: collected(name)?,
        prefecture_code: c.prefecture_code,
        municipality_code: c.municipality_code,
        contact_email: c.contact_email,
        phone: c.phone,
        is_active: b.is_active,
    };
    let org = state
        .db
        .transaction(move |conn| {
            let key = id.to_string();
            let current = organizations::find(conn, &key)?;
            let mut f = Fields::new();
            let pref = changes
                .prefecture_code
                .clone()
                .unwrap_or(current.prefecture_code.clone());
            let muni = changes
                .municipality_code
                .clone()
                .unwrap_or(current.municipality_code.clone());
            check_area(&mut f, pref.as_deref(), muni.as_deref());
            f.finish()?;
            if current.version != if_match.0
                || !organizations::update(conn, &key, if_match.0, &changes, db::now())?
            {
                return Err(ApiError::PreconditionFailed);
            }
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "update",
                    object_type: "organization",
                    object_id: Some(key.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "is_active": changes.is_active }),
                },
            )?;
            Ok(organizations::find(conn, &key)?)
        })
        .await?;
    let view = OrganizationView::try_from(org)?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}
