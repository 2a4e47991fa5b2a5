//! `/clients`: a support office's clients (利用者). Everything here is 要配慮個人情報:
//! each read and write is audit-logged, and each read by another organisation is also
//! written to the provision log under the consent that allowed it.

pub mod consents;
pub mod matches;
pub mod needs;

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{IfMatch, etag, utc};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::clients::{ClientRow, ProvisionRow, ServiceRow};
use crate::db::{self, DbConn, audit, clients, users};
use crate::domain::client::{
    ClientStatus, CurrentPlace, ServiceType, display_code, keep_provision_until,
};
use crate::domain::ids::OrganizationId;
use crate::domain::organization::OrgKind;
use crate::domain::page::{Page, PageRequest};
use crate::domain::rental::Category;
use crate::domain::rental::date as parse_date;
use crate::domain::time::today_tokyo;
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// A service the client uses, with its period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePeriod {
    pub service: ServiceType,
    /// YYYY-MM-DD
    pub starts_on: String,
    /// YYYY-MM-DD; open-ended when absent.
    pub ends_on: Option<String>,
}

/// A client as its office (or a 居住支援法人 with consent) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub office_org_id: OrganizationId,
    /// The pseudonym shown in lists and logs.
    pub display_code: String,
    pub name: String,
    pub name_kana: Option<String>,
    pub date_of_birth: NaiveDate,
    /// The categories of 住宅確保要配慮者 the client falls under.
    pub categories: Vec<Category>,
    pub current_place: CurrentPlace,
    pub current_place_note: Option<String>,
    pub target_move_date: Option<NaiveDate>,
    /// The responsible 相談支援専門員 (a user of the office).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub responsible_user_id: Option<String>,
    pub status: ClientStatus,
    pub services: Vec<ServicePeriod>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What lists show: the pseudonym, not the name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub office_org_id: OrganizationId,
    pub display_code: String,
    pub current_place: CurrentPlace,
    pub target_move_date: Option<NaiveDate>,
    pub status: ClientStatus,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub responsible_user_id: Option<String>,
}

/// A new client, or (PUT) the whole record that replaces it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub display_code: String,
    pub name: String,
    pub name_kana: Option<String>,
    /// YYYY-MM-DD
    #[schema(value_type = String, format = Date)]
    pub date_of_birth: String,
    /// Categories from the rental register's list (disability_mental, elderly, …).
    #[schema(value_type = Vec<Category>)]
    pub categories: Vec<String>,
    #[schema(value_type = CurrentPlace)]
    pub current_place: String,
    pub current_place_note: Option<String>,
    /// YYYY-MM-DD
    #[schema(value_type = Option<String>, format = Date)]
    pub target_move_date: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub responsible_user_id: Option<String>,
    /// searching (default), housed or closed.
    #[schema(value_type = Option<ClientStatus>)]
    pub status: Option<String>,
    #[serde(default)]
    pub services: Vec<ServicePeriod>,
}

struct ValidClient {
    display_code: String,
    name: String,
    name_kana: Option<String>,
    date_of_birth: NaiveDate,
    categories: u32,
    current_place: CurrentPlace,
    current_place_note: Option<String>,
    target_move_date: Option<NaiveDate>,
    responsible_user_id: Option<String>,
    status: ClientStatus,
    services: Vec<(ServiceType, NaiveDate, Option<NaiveDate>)>,
}

fn validate(input: ClientInput) -> ApiResult<ValidClient> {
    let today = today_tokyo();
    let mut f = Fields::new();
    let code = f.check("display_code", display_code(&input.display_code));
    let name = f.check("name", text(&input.name, 100));
    let kana = f.check_opt(
        "name_kana",
        input.name_kana.filter(|s| !s.trim().is_empty()),
        |s| text(&s, 100),
    );
    let dob = f.check(
        "date_of_birth",
        parse_date(&input.date_of_birth).and_then(|d| {
            if d > today || crate::domain::client::age_on(d, today) > 120 {
                Err("must be a real date of birth".into())
            } else {
                Ok(d)
            }
        }),
    );
    let mut categories = 0;
    for (i, c) in input.categories.iter().enumerate() {
        match Category::parse(c) {
            Ok(c) => categories |= c.bit(),
            Err(m) => f.push(&format!("categories[{i}]"), m),
        }
    }
    if input.categories.is_empty() {
        f.push(
            "categories",
            "name at least one category (e.g. disability_mental)",
        );
    }
    let place = f.check("current_place", CurrentPlace::parse(&input.current_place));
    let note = f.check_opt(
        "current_place_note",
        input.current_place_note.filter(|s| !s.trim().is_empty()),
        |s| text(&s, 200),
    );
    let move_date = f.check_opt("target_move_date", input.target_move_date, |s| {
        parse_date(&s).and_then(|d| {
            if d > today + chrono::Duration::days(3 * 366) {
                Err("must be within three years".into())
            } else {
                Ok(d)
            }
        })
    });
    let status = f.check_opt("status", input.status, |s| ClientStatus::parse(&s));
    let mut services = Vec::new();
    for (i, s) in input.services.iter().enumerate() {
        let start = f.check(
            &format!("services[{i}].starts_on"),
            parse_date(&s.starts_on),
        );
        let end = f.check_opt(&format!("services[{i}].ends_on"), s.ends_on.clone(), |e| {
            parse_date(&e)
        });
        if let (Some(a), Some(Some(b))) = (start, end)
            && b < a
        {
            f.push(
                &format!("services[{i}].ends_on"),
                "must not be before starts_on",
            );
        }
        if let (Some(a), Some(b)) = (start, end) {
            services.push((s.service, a, b));
        }
    }
    f.finish()?;
    Ok(ValidClient {
        display_code: collected(code)?,
        name: collected(name)?,
        name_kana: collected(kana)?,
        date_of_birth: collected(dob)?,
        categories,
        current_place: collected(place)?,
        current_place_note: collected(note)?,
        target_move_date: collected(move_date)?,
        responsible_user_id: input.responsible_user_id,
        status: collected(status)?.unwrap_or(ClientStatus::Searching),
        services,
    })
}

fn service_rows(client_id: &str, v: &ValidClient) -> Vec<ServiceRow> {
    let now = db::now();
    v.services
        .iter()
        .map(|(s, a, b)| ServiceRow {
            id: db::new_id(),
            client_id: client_id.to_owned(),
            service: s.as_str().to_owned(),
            starts_on: *a,
            ends_on: *b,
            created_at: now,
        })
        .collect()
}

/// The responsible person must be an active user of the office.
fn check_responsible(conn: &mut DbConn, office: &str, user: Option<&str>) -> ApiResult<()> {
    let Some(u) = user else { return Ok(()) };
    let ok = uuid::Uuid::parse_str(u).is_ok()
        && users::find(conn, u)
            .ok()
            .is_some_and(|u| u.is_active && u.organization_id == office);
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            "responsible_user_id",
            "is not an active user of this office",
        ))
    }
}

pub fn view(conn: &mut DbConn, row: ClientRow) -> ApiResult<ClientView> {
    let services = clients::services_of(conn, &row.id)?
        .into_iter()
        .map(|s| {
            Ok(ServicePeriod {
                service: ServiceType::parse(&s.service).map_err(ApiError::internal)?,
                starts_on: s.starts_on.to_string(),
                ends_on: s.ends_on.map(|d| d.to_string()),
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(ClientView {
        office_org_id: OrganizationId::from_db(&row.office_org_id).map_err(ApiError::internal)?,
        categories: Category::from_mask(row.categories as u32),
        current_place: CurrentPlace::parse(&row.current_place).map_err(ApiError::internal)?,
        status: ClientStatus::parse(&row.status).map_err(ApiError::internal)?,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        services,
        id: row.id,
        display_code: row.display_code,
        name: row.name,
        name_kana: row.name_kana,
        date_of_birth: row.date_of_birth,
        current_place_note: row.current_place_note,
        target_move_date: row.target_move_date,
        responsible_user_id: row.responsible_user_id,
        version: row.version,
    })
}

fn summary(row: ClientRow) -> ApiResult<ClientSummary> {
    Ok(ClientSummary {
        office_org_id: OrganizationId::from_db(&row.office_org_id).map_err(ApiError::internal)?,
        current_place: CurrentPlace::parse(&row.current_place).map_err(ApiError::internal)?,
        status: ClientStatus::parse(&row.status).map_err(ApiError::internal)?,
        id: row.id,
        display_code: row.display_code,
        target_move_date: row.target_move_date,
        responsible_user_id: row.responsible_user_id,
    })
}

/// Loads a live client and checks access; the consent that shares it with the caller's
/// organisation, if that is how the caller sees it, comes back too.
pub fn load_authorized(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    action: Action,
) -> ApiResult<(ClientRow, Option<crate::db::clients::ConsentRow>)> {
    let row = clients::find(conn, id)?;
    let office = OrganizationId::from_db(&row.office_org_id).map_err(ApiError::internal)?;
    let consent =
        if office != caller.organization_id && caller.org_kind == OrgKind::HousingSupportCorp {
            clients::active_consent(
                conn,
                id,
                "share_with_corp",
                Some(&caller.organization_id.to_string()),
            )?
        } else {
            None
        };
    authorize(
        caller,
        action,
        Resource::Client {
            office,
            shared_with_caller: consent.is_some(),
        },
    )?;
    Ok((row, consent))
}

/// Loads a live client to read one of the records its office keeps for itself
/// (consents, provisions, matching): the policy decides, as for the client.
pub fn load_for_record(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    record: crate::auth::ClientRecord,
) -> ApiResult<ClientRow> {
    let (row, consent) = load_authorized(conn, caller, id, Action::Read)?;
    authorize(
        caller,
        Action::Read,
        Resource::ClientRecords {
            office: OrganizationId::from_db(&row.office_org_id).map_err(ApiError::internal)?,
            shared_with_caller: consent.is_some(),
            record,
        },
    )?;
    Ok(row)
}

/// Audit-logs an access to a client's data, and writes the provision log when the data
/// goes to another organisation (under `consent`).
pub fn record_access(
    conn: &mut DbConn,
    caller: &Caller,
    client: &ClientRow,
    action: &str,
    items: &str,
    consent: Option<&crate::db::clients::ConsentRow>,
) -> ApiResult<()> {
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: "client",
            object_id: Some(client.id.clone()),
            outcome: "ok",
            detail: serde_json::json!({ "items": items, "consent_id": consent.map(|c| c.id.clone()) }),
        },
    )?;
    if let Some(c) = consent
        && caller.organization_id.to_string() != client.office_org_id
    {
        let now = db::now();
        clients::log_provision(
            conn,
            &ProvisionRow {
                id: db::new_id(),
                client_id: client.id.clone(),
                recipient_org_id: caller.organization_id.to_string(),
                consent_id: c.id.clone(),
                purpose: c.purpose.clone(),
                items: items.to_owned(),
                provided_at: now,
                provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                keep_until: keep_provision_until(crate::domain::time::date_in_tokyo(utc(now))),
            },
        )?;
    }
    Ok(())
}

/// Registers a client of the caller's office (staff or admin).
#[utoipa::path(tag = "clients", request_body = ClientInput, responses(
    (status = 201, body = ClientView, headers(("ETag" = String), ("Location" = String)), links(
        ("read" = (operation_id = "clients_read", parameters(("id" = "$response.body#/id")),
            description = "Read the client just created")),
        ("needs" = (operation_id = "clients_needs_put", parameters(("id" = "$response.body#/id")),
            description = "Record the new client's needs (the first save needs no If-Match)")),
        ("matches" = (operation_id = "clients_matches", parameters(("id" = "$response.body#/id")),
            description = "Rank rentals for the new client (409 until its needs are recorded)")),
    )),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/clients")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<ClientInput>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::Clients)?;
    let v = validate(body.into_inner())?;
    let view = state
        .db
        .transaction(move |conn| {
            let office = caller.organization_id.to_string();
            check_responsible(conn, &office, v.responsible_user_id.as_deref())?;
            if clients::display_code_taken(conn, &office, &v.display_code, None)? {
                return Err(ApiError::field(
                    "display_code",
                    "is already used by another client of this office",
                ));
            }
            let now = db::now();
            let row = ClientRow {
                id: db::new_id(),
                office_org_id: office,
                display_code: v.display_code.clone(),
                name: v.name.clone(),
                name_kana: v.name_kana.clone(),
                date_of_birth: v.date_of_birth,
                categories: v.categories as i32,
                current_place: v.current_place.as_str().to_owned(),
                current_place_note: v.current_place_note.clone(),
                target_move_date: v.target_move_date,
                responsible_user_id: v.responsible_user_id.clone(),
                status: v.status.as_str().to_owned(),
                version: 1,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            };
            clients::insert(conn, &row)?;
            clients::set_services(conn, &row.id, &service_rows(&row.id, &v))?;
            record_access(conn, &caller, &row, "create", "client", None)?;
            view(conn, row)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("ETag", etag(view.version)))
        .insert_header(("Location", format!("/api/v1/clients/{}", view.id)))
        .json(view))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ClientListQuery {
    /// Only clients in this state.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Lists the office's clients (pseudonyms only), or for a 居住支援法人 the clients whose
/// data was shared with it by consent.
#[utoipa::path(tag = "clients", params(ClientListQuery), responses(
    (status = 200, body = Page<ClientSummary>, links(
        ("matches" = (operation_id = "clients_matches", parameters(("id" = "$response.body#/items/0/id")),
            description = "Rank rentals for the first client of the page")),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/clients")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ClientListQuery>,
) -> ApiResult<web::Json<Page<ClientSummary>>> {
    authorize(&caller, Action::List, Resource::Clients)?;
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let status = q
        .status
        .map(|s| {
            ClientStatus::parse(&s).map_err(|m| ApiError::BadRequest {
                slug: "invalid-parameter",
                detail: format!("status {m}"),
                field: Some("status".into()),
            })
        })
        .transpose()?;
    let limit = page.limit;
    let rows = state
        .db
        .transaction(move |conn| {
            let org = caller.organization_id.to_string();
            let status = status.map(ClientStatus::as_str);
            let rows = if caller.org_kind == OrgKind::SupportOffice {
                clients::list(conn, Some(&org), None, status, &page)?
            } else {
                let ids = clients::shared_with(conn, &org)?;
                let rows = clients::list(conn, None, Some(&ids), status, &page)?;
                // What the list shows of each client goes to another organisation: a
                // provision under the consent that shares it.
                for row in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
                    if let Some(c) =
                        clients::active_consent(conn, &row.id, "share_with_corp", Some(&org))?
                    {
                        record_access(conn, &caller, row, "list", "client_summary", Some(&c))?;
                    }
                }
                rows
            };
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "list",
                    object_type: "client",
                    object_id: None,
                    outcome: "ok",
                    detail: serde_json::json!({ "count": rows.len() }),
                },
            )?;
            Ok(rows)
        })
        .await?;
    let page = Page::from_rows(rows, limit, |r| r.id.clone());
    let items = page
        .items
        .into_iter()
        .map(summary)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Reads a client: its office, or a 居住支援法人 the client consented to share with (that
/// read is written to the provision log).
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ClientView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/clients/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let view = state
        .db
        .transaction(move |conn| {
            let (row, consent) = load_authorized(conn, &caller, &id, Action::Read)?;
            record_access(conn, &caller, &row, "read", "client", consent.as_ref())?;
            view(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Replaces a client's record (all fields, as on creation); needs `If-Match`.
#[utoipa::path(operation_id = "clients_replace", tag = "clients", request_body = ClientInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = ClientView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[put("/clients/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<ClientInput>,
) -> ApiResult<HttpResponse> {
    replace_record(state, caller, id, if_match, body).await
}

/// The same as `PUT /clients/{id}`, under the method it first had: deprecated, with the
/// `Deprecation` and `Sunset` headers (README, Versioning and deprecation).
#[utoipa::path(operation_id = "clients_update", tag = "clients", request_body = ClientInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = ClientView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[patch("/clients/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<ClientInput>,
) -> ApiResult<HttpResponse> {
    replace_record(state, caller, id, if_match, body).await
}

async fn replace_record(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<ClientInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let v = validate(body.into_inner())?;
    let view = state
        .db
        .transaction(move |conn| {
            let (current, _) = load_authorized(conn, &caller, &id, Action::Update)?;
            if current.version != if_match.0 {
                return Err(ApiError::PreconditionFailed);
            }
            check_responsible(
                conn,
                &current.office_org_id,
                v.responsible_user_id.as_deref(),
            )?;
            if clients::display_code_taken(
                conn,
                &current.office_org_id,
                &v.display_code,
                Some(&id),
            )? {
                return Err(ApiError::field(
                    "display_code",
                    "is already used by another client of this office",
                ));
            }
            let row = ClientRow {
                display_code: v.display_code.clone(),
                name: v.name.clone(),
                name_kana: v.name_kana.clone(),
                date_of_birth: v.date_of_birth,
                categories: v.categories as i32,
                current_place: v.current_place.as_str().to_owned(),
                current_place_note: v.current_place_note.clone(),
                target_move_date: v.target_move_date,
                responsible_user_id: v.responsible_user_id.clone(),
                status: v.status.as_str().to_owned(),
                version: current.version + 1,
                updated_at: db::now(),
                ..current.clone()
            };
            if !clients::replace(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            clients::set_services(conn, &row.id, &service_rows(&row.id, &v))?;
            record_access(conn, &caller, &row, "update", "client", None)?;
            view(conn, row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.version)))
        .json(view))
}

/// Removes a client from the office's lists (admins). The record is kept (welfare
/// records are kept five years) but no longer shown.
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "removed"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[delete("/clients/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    state
        .db
        .transaction(move |conn| {
            let (current, _) = load_authorized(conn, &caller, &id, Action::Delete)?;
            let now = db::now();
            let row = ClientRow {
                version: current.version + 1,
                updated_at: now,
                deleted_at: Some(now),
                ..current.clone()
            };
            if !clients::replace(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            record_access(conn, &caller, &row, "delete", "client", None)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
