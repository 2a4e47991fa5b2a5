//! `/support-sheets`: each client's 生活サポートシート. The office writes it with the
//! client (and its 居住支援法人 contributes); every save is a new version; one version is
//! published, and only that one reaches the organisations the client consented to share
//! sections with — each section by its own consent. `format=html|pdf` draws the same
//! content as a page or an A4 form (`render`).

mod access;
pub mod concerns;
mod render;
mod versions;

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{IfMatch, etag, utc};
use crate::auth::{Action, Caller, Resource, SheetAccess, authorize};
use crate::db::support_sheets::{self, SheetRow, VersionRow};
use crate::db::{self, DbConn, clients};
use crate::domain::ids::OrganizationId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::support_sheet::{Section, Sections, SharedSections, normalize};
use crate::domain::time::today_tokyo;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::state::AppState;
pub use access::Loaded;
pub use render::SheetFormat;

/// The first version of a client's sheet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSheet {
    #[schema(value_type = String, format = Uuid)]
    pub client_id: uuid::Uuid,
    pub sections: Sections,
    /// What this version is (見直し, 初版, …).
    pub note: Option<String>,
}

/// A new version of the sheet (`If-Match`: the sheet's ETag, its latest version).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SheetUpdate {
    pub sections: Sections,
    pub note: Option<String>,
}

/// Which version to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub version: i32,
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// Never published: the office's (and its partner's) work in progress.
    Draft,
    /// What the recipients see now.
    Published,
    /// Was published; a later version replaced it.
    Superseded,
}

pub fn state_of(version: i32, published_at: bool, current: Option<i32>) -> VersionState {
    if current == Some(version) {
        VersionState::Published
    } else if published_at {
        VersionState::Superseded
    } else {
        VersionState::Draft
    }
}

/// One version of a sheet as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetDocument {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    #[schema(value_type = String, format = Uuid)]
    pub client_id: String,
    pub display_code: String,
    pub version: i32,
    pub state: VersionState,
    /// The newest version (for the office and its partner; absent for recipients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<i32>,
    pub published_version: Option<i32>,
    pub note: Option<String>,
    pub author_org_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub sections: SharedSections,
    /// The sections not shared with the caller.
    pub withheld: Vec<Section>,
}

/// A sheet in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    #[schema(value_type = String, format = Uuid)]
    pub client_id: String,
    pub display_code: String,
    pub latest_version: Option<i32>,
    pub published_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

/// Reads a JSON body into `T`, naming the exact field serde refused
/// (`sections.network[2].kind`) as a 422 field error.
pub fn parse_body<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let named = crate::startup::field_of_serde_error(&message);
        let field = match (path.as_str(), named) {
            (".", Some(n)) => n,
            (".", None) => "body".to_owned(),
            (p, Some(n)) if message.starts_with("missing field") => format!("{p}.{n}"),
            (p, _) => p.to_owned(),
        };
        ApiError::Validation(vec![FieldError::new(field, message)])
    })
}

/// The domain's checks, with each field named from the body's root.
fn checked(sections: Sections) -> ApiResult<Sections> {
    normalize(sections, today_tokyo()).map_err(|e| match e {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|f| FieldError::new(format!("sections.{}", f.field), f.message))
                .collect(),
        ),
        other => other,
    })
}

fn note_of(note: Option<String>) -> ApiResult<Option<String>> {
    note.filter(|n| !n.trim().is_empty())
        .map(|n| crate::domain::validate::text(&n, 200).map_err(|m| ApiError::field("note", m)))
        .transpose()
}

fn sections_of(v: &VersionRow) -> ApiResult<Sections> {
    serde_json::from_str(&v.sections).map_err(ApiError::internal)
}

pub fn document(loaded: &Loaded, v: &VersionRow) -> ApiResult<SheetDocument> {
    let allowed = loaded.sections();
    let sections = if loaded.full() {
        SharedSections::all(sections_of(v)?)
    } else {
        SharedSections::only(sections_of(v)?, &allowed)
    };
    Ok(SheetDocument {
        id: loaded.sheet.id.clone(),
        client_id: loaded.client.id.clone(),
        display_code: loaded.client.display_code.clone(),
        version: v.version,
        state: state_of(
            v.version,
            v.published_at.is_some(),
            loaded.sheet.published_version,
        ),
        latest_version: loaded.full().then_some(loaded.sheet.latest_version),
        published_version: loaded.sheet.published_version,
        note: v.note.clone(),
        author_org_id: OrganizationId::from_db(&v.author_org_id).map_err(ApiError::internal)?,
        created_at: utc(v.created_at),
        published_at: v.published_at.map(utc),
        withheld: sections.withheld(),
        sections,
    })
}

fn new_version(
    caller: &Caller,
    sheet_id: &str,
    version: i32,
    sections: &Sections,
    note: Option<String>,
) -> ApiResult<VersionRow> {
    let author = caller.user_id().ok_or_else(|| {
        ApiError::Forbidden("a sheet is written by a person, not an API key".into())
    })?;
    Ok(VersionRow {
        sheet_id: sheet_id.to_owned(),
        version,
        sections: serde_json::to_string(sections).map_err(ApiError::internal)?,
        note,
        author_user_id: author.to_string(),
        author_org_id: caller.organization_id.to_string(),
        created_at: db::now(),
        published_at: None,
        published_by_user_id: None,
    })
}

/// Writes the first version of a client's sheet (a draft), for a client of the
/// caller's office that has no sheet yet.
///
/// A sheet is written by a person, who is recorded as its author: an API key gets 403.
#[utoipa::path(tag = "support-sheets", request_body = NewSheet, responses(
    (status = 201, body = SheetDocument, headers(("ETag" = String), ("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the client has a sheet already"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/support-sheets")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::SupportSheets)?;
    let b: NewSheet = parse_body(body.into_inner())?;
    let note = note_of(b.note)?;
    let sections = checked(b.sections)?;
    let client_id = b.client_id.to_string();
    let doc = state
        .db
        .transaction(move |conn| {
            let client = match clients::find(conn, &client_id) {
                Ok(c)
                    if c.office_org_id == caller.organization_id.to_string()
                        && c.deleted_at.is_none() =>
                {
                    c
                }
                Ok(_) | Err(diesel::result::Error::NotFound) => {
                    return Err(ApiError::field(
                        "client_id",
                        "no client of your office has this id",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if support_sheets::of_client(conn, &client.id)?.is_some() {
                return Err(ApiError::Conflict(
                    "the client has a sheet already: save a new version of it".into(),
                ));
            }
            let now = db::now();
            let sheet = SheetRow {
                id: db::new_id(),
                client_id: client.id.clone(),
                office_org_id: client.office_org_id.clone(),
                latest_version: 1,
                published_version: None,
                created_at: now,
                updated_at: now,
            };
            let v = new_version(&caller, &sheet.id, 1, &sections, note)?;
            support_sheets::insert(conn, &sheet, &v)?;
            let loaded = Loaded {
                sheet,
                client,
                access: SheetAccess::Office,
                corp_consent: None,
                section_consents: Vec::new(),
            };
            access::record(
                conn,
                &caller,
                &loaded,
                "support_sheet_written",
                1,
                Section::ALL,
                "json",
            )?;
            document(&loaded, &v)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::ETAG, etag(1)))
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/support-sheets/{}", doc.id),
        ))
        .json(doc))
}

/// `?client_id=&limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the sheet of this client.
    pub client_id: Option<uuid::Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The sheets the caller may read: an office's own, a 居住支援法人's partners', and the
/// sheets whose published version shares a section with a landlord, agent or other
/// organisation. Newest first.
#[utoipa::path(tag = "support-sheets", params(ListQuery), responses(
    (status = 200, body = Page<SheetSummary>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/support-sheets")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ListQuery>,
) -> ApiResult<web::Json<Page<SheetSummary>>> {
    authorize(&caller, Action::List, Resource::SupportSheets)?;
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let only = q.client_id.map(|c| c.to_string());
    let rows = state
        .db
        .run(move |conn| {
            let candidates = support_sheets::page(conn, &caller, only.as_deref(), &page)?;
            let mut out = Vec::new();
            for (sheet, display_code) in candidates {
                let loaded = access::load(conn, &caller, &sheet.id)?;
                if loaded.access == SheetAccess::None {
                    continue;
                }
                out.push(SheetSummary {
                    id: sheet.id,
                    client_id: sheet.client_id,
                    display_code,
                    latest_version: loaded.full().then_some(sheet.latest_version),
                    published_version: sheet.published_version,
                    updated_at: utc(sheet.updated_at),
                });
            }
            Ok((out, page.limit))
        })
        .await?;
    let (items, limit) = rows;
    Ok(web::Json(Page::from_rows(items, limit, |s| s.id.clone())))
}

/// `?format=json|html|pdf&version=`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReadQuery {
    /// `json` (default), `html` (a page to print or read on a phone) or `pdf` (A4, the
    /// emergency table on page one).
    pub format: Option<String>,
    /// A version number (the office and its partner; others see the published one
    /// only). Default: the latest for the office, the published one for others.
    pub version: Option<i32>,
}

/// One version of the sheet, with only the sections the caller may see. Each read by
/// another organisation is written to the client's provision log, per section.
#[utoipa::path(tag = "support-sheets", params(("id" = uuid::Uuid, Path), ReadQuery), responses(
    (status = 200, description = "The sheet in the format asked for", headers(("ETag" = String, description = "Only to the sheet's office, which may save a new version")), content(
        (SheetDocument = "application/json"),
        (String = "text/html"),
        (crate::routes::councils::PdfFile = "application/pdf"),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/support-sheets/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    q: web::Query<ReadQuery>,
) -> ApiResult<HttpResponse> {
    let format = SheetFormat::parse(q.format.as_deref())?;
    read_response(
        &state,
        caller,
        id.into_inner().to_string(),
        format,
        q.version,
    )
    .await
}

/// Sheet `id` in `format`, as the caller may see it, with its audit and provision
/// records written before anything leaves (API and portal).
pub async fn read_response(
    state: &AppState,
    caller: Caller,
    id: String,
    format: SheetFormat,
    wanted: Option<i32>,
) -> ApiResult<HttpResponse> {
    let (loaded, v, recipient_name) = state
        .db
        .run(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::Read,
                Resource::SupportSheet {
                    access: loaded.access,
                },
            )?;
            let v = pick_version(conn, &loaded, wanted)?;
            // Printed on the HTML page and the PDF only.
            let recipient = if format == SheetFormat::Json {
                String::new()
            } else {
                crate::db::organizations::find(conn, &caller.organization_id.to_string())?.name
            };
            Ok((loaded, v, recipient))
        })
        .await?;
    let doc = document(&loaded, &v)?;
    let body = render::body(state, format, &loaded, doc, recipient_name).await?;
    let shown = loaded.sections();
    let version = v.version;
    let action = if format == SheetFormat::Json {
        "support_sheet_read"
    } else {
        "support_sheet_export"
    };
    // Recorded before anything leaves: no sheet without its audit and provision records.
    state
        .db
        .transaction(move |conn| {
            access::record(
                conn,
                &caller,
                &loaded,
                action,
                version,
                &shown,
                format.as_str(),
            )?;
            Ok(loaded)
        })
        .await
        .map(|loaded| render::respond(format, &loaded, version, body))
}

/// The published sheet as a landlord's page shows it (the emergency table and the
/// shared sections), recorded like any read; `None` when nothing of it is shared with
/// the caller.
pub async fn read_printable(
    state: &AppState,
    caller: Caller,
    id: String,
) -> ApiResult<Option<crate::domain::support_sheet::print::Printable>> {
    let opened = state
        .db
        .run(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            if loaded.access == SheetAccess::None {
                return Ok(None);
            }
            authorize(
                &caller,
                Action::Read,
                Resource::SupportSheet {
                    access: loaded.access,
                },
            )?;
            let Some(published) = loaded.sheet.published_version else {
                return Ok(None);
            };
            let v = support_sheets::version(conn, &loaded.sheet.id, published)?;
            let recipient =
                crate::db::organizations::find(conn, &caller.organization_id.to_string())?.name;
            Ok(Some((loaded, v, recipient)))
        })
        .await?;
    let Some((loaded, v, recipient)) = opened else {
        return Ok(None);
    };
    let doc = document(&loaded, &v)?;
    let printable = render::printable_of(&loaded, doc, recipient);
    let shown = loaded.sections();
    let version = v.version;
    state
        .db
        .transaction(move |conn| {
            access::record(
                conn,
                &caller,
                &loaded,
                "support_sheet_read",
                version,
                &shown,
                "portal",
            )
        })
        .await?;
    Ok(Some(printable))
}

/// The version a read asks for, as far as the caller may see it.
fn pick_version(conn: &mut DbConn, loaded: &Loaded, wanted: Option<i32>) -> ApiResult<VersionRow> {
    let published = loaded.sheet.published_version;
    let n = match (loaded.full(), wanted) {
        (true, Some(n)) => n,
        (true, None) => loaded.sheet.latest_version,
        // Recipients see the published version and no other.
        (false, Some(n)) if Some(n) == published => n,
        (false, Some(_)) => return Err(ApiError::NotFound),
        (false, None) => published.ok_or(ApiError::NotFound)?,
    };
    Ok(support_sheets::version(conn, &loaded.sheet.id, n)?)
}

/// Saves a new version of the sheet (a draft until published). `If-Match` must name
/// the latest version, so that no one overwrites a version they have not seen.
///
/// A sheet is written by a person, who is recorded as its author: an API key gets 403.
#[utoipa::path(tag = "support-sheets", request_body = SheetUpdate, params(("id" = uuid::Uuid, Path),
    ("If-Match" = String, Header, description = "the sheet's ETag (its latest version)")), responses(
    (status = 200, body = SheetDocument, headers(("ETag" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 412, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 428, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[put("/support-sheets/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let b: SheetUpdate = parse_body(body.into_inner())?;
    let note = note_of(b.note)?;
    let sections = checked(b.sections)?;
    let doc = state
        .db
        .transaction(move |conn| {
            let mut loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::Update,
                Resource::SupportSheet {
                    access: loaded.access,
                },
            )?;
            let expected = loaded.sheet.latest_version;
            if if_match.0 != expected {
                return Err(ApiError::PreconditionFailed);
            }
            let next = expected + 1;
            let now = db::now();
            let published = loaded.sheet.published_version;
            if !support_sheets::advance(conn, &loaded.sheet.id, expected, next, published, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            let v = new_version(&caller, &loaded.sheet.id, next, &sections, note)?;
            support_sheets::insert_version(conn, &v)?;
            loaded.sheet.latest_version = next;
            loaded.sheet.updated_at = now;
            access::record(
                conn,
                &caller,
                &loaded,
                "support_sheet_written",
                next,
                Section::ALL,
                "json",
            )?;
            document(&loaded, &v)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(doc.version)))
        .json(doc))
}

/// Publishes a version (the office only): from now on it is what the recipients see.
/// An older version may be published again to step back.
#[utoipa::path(tag = "support-sheets", request_body = Publication, params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = SheetDocument),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/support-sheets/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let b: Publication = parse_body(body.into_inner())?;
    let doc = state
        .db
        .transaction(move |conn| {
            let mut loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::Create,
                Resource::SupportSheet {
                    access: loaded.access,
                },
            )?;
            let user = caller
                .user_id()
                .ok_or_else(|| ApiError::Forbidden("a person publishes the sheet".into()))?;
            let latest = loaded.sheet.latest_version;
            if !(1..=latest).contains(&b.version) {
                return Err(ApiError::field(
                    "version",
                    format!("must be a version of this sheet, 1 to {latest}"),
                ));
            }
            let now = db::now();
            if !support_sheets::advance(
                conn,
                &loaded.sheet.id,
                latest,
                latest,
                Some(b.version),
                now,
            )? {
                return Err(ApiError::Conflict(
                    "the sheet changed meanwhile; try again".into(),
                ));
            }
            support_sheets::mark_published(
                conn,
                &loaded.sheet.id,
                b.version,
                &user.to_string(),
                now,
            )?;
            loaded.sheet.published_version = Some(b.version);
            loaded.sheet.updated_at = now;
            let v = support_sheets::version(conn, &loaded.sheet.id, b.version)?;
            access::record(
                conn,
                &caller,
                &loaded,
                "support_sheet_published",
                b.version,
                &[],
                "json",
            )?;
            document(&loaded, &v)
        })
        .await?;
    Ok(HttpResponse::Ok().json(doc))
}

pub use versions::{diff, list_versions};
