//! `/rentals`: the register. Landlords and their agents write; support offices,
//! 居住支援法人, councils and the operator read and search.

pub mod import;
pub mod search;
pub mod view;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{IfMatch, PageQuery, etag, utc};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::rentals::{HistoryRow, RentalRow};
use crate::db::{self, DbConn, audit, organizations, rentals};
use crate::domain::ids::OrganizationId;
use crate::domain::organization::OrgKind;
use crate::domain::page::{Page, PageRequest};
use crate::domain::rental::{Placement, RentalInput, ValidRental};
use crate::domain::time::today_tokyo;
use crate::domain::validate::{Fields, collected};
use crate::error::{ApiError, ApiResult, Problem};
use crate::notify::saved_search;
use crate::state::AppState;
use view::{RentalView, RowMeta, input_from_row, row_from_valid};

/// Checks the organisations a rental names and decides its owner and agent: a landlord
/// owns what it registers; an agent registers for a landlord it names and manages it.
pub fn resolve_parties(
    conn: &mut DbConn,
    caller: &Caller,
    v: &ValidRental,
) -> ApiResult<(String, Option<String>)> {
    let mut f = Fields::new();
    let me = caller.organization_id.to_string();
    let kind_of = |conn: &mut DbConn, id: &str| -> ApiResult<Option<OrgKind>> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Ok(None);
        }
        match organizations::find(conn, id) {
            Ok(o) if o.is_active => Ok(OrgKind::parse(&o.kind).ok()),
            Ok(_) | Err(diesel::result::Error::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    };
    let (owner, agent) = match caller.org_kind {
        OrgKind::Landlord => {
            if v.owner_org_id.as_deref().is_some_and(|o| o != me) {
                f.push(
                    "owner_org_id",
                    "a landlord registers its own rentals; leave this out",
                );
            }
            (me.clone(), v.agent_org_id.clone())
        }
        OrgKind::RealEstateAgent => {
            if v.agent_org_id.as_deref().is_some_and(|a| a != me) {
                f.push(
                    "agent_org_id",
                    "an agent registers the rentals it manages itself; leave this out",
                );
            }
            match &v.owner_org_id {
                Some(o) => (o.clone(), Some(me.clone())),
                None => {
                    f.push("owner_org_id", "name the landlord organisation you act for");
                    (String::new(), Some(me.clone()))
                }
            }
        }
        _ => {
            return Err(ApiError::Forbidden(
                "only landlords and real-estate agents register rentals".into(),
            ));
        }
    };
    if !owner.is_empty() && kind_of(conn, &owner)? != Some(OrgKind::Landlord) {
        f.push("owner_org_id", "is not an active landlord organisation");
    }
    // An agent registering names itself; anyone else named must be an agent (a
    // landlord naming itself is not).
    let caller_is_agent = caller.org_kind == OrgKind::RealEstateAgent;
    if let Some(a) = &agent
        && !(caller_is_agent && a == &me)
        && kind_of(conn, a)? != Some(OrgKind::RealEstateAgent)
    {
        f.push(
            "agent_org_id",
            "is not an active real-estate agent organisation",
        );
    }
    if let Some(s) = &v.support_housing
        && kind_of(conn, &s.corp_org_id)? != Some(OrgKind::HousingSupportCorp)
    {
        f.push(
            "support_housing.corp_org_id",
            "is not an active 居住支援法人",
        );
    }
    f.finish()?;
    Ok((owner, agent))
}

fn history_row(row: &RentalRow, action: &str, caller: Option<&Caller>) -> HistoryRow {
    HistoryRow {
        id: db::new_id(),
        rental_id: row.id.clone(),
        version: row.version,
        action: action.to_owned(),
        changed_by_user_id: caller.and_then(|c| c.user_id()).map(|u| u.to_string()),
        changed_by_org_id: caller.map(|c| c.organization_id.to_string()),
        changed_at: row.updated_at,
        snapshot: serde_json::to_string(row).unwrap_or_default(),
    }
}

/// Places a rental that came without coordinates.
async fn placement(state: &AppState, v: &ValidRental) -> Placement {
    if v.coordinates.is_some() {
        return Placement::Provided;
    }
    state
        .geocoder
        .place(
            &v.prefecture_code,
            &v.municipality_code,
            &v.municipality_name,
            &v.address_line,
        )
        .await
}

/// The domain's checks of a whole rental, as one validation error listing every field.
pub fn validate(input: RentalInput) -> ApiResult<ValidRental> {
    let mut f = Fields::new();
    let v = input.validate(today_tokyo(), &mut f);
    f.finish()?;
    collected(v)
}

fn resource_of(row: &RentalRow) -> ApiResult<Resource> {
    Ok(Resource::Rental {
        owner: OrganizationId::from_db(&row.owner_org_id).map_err(ApiError::internal)?,
        agent: row
            .agent_org_id
            .as_deref()
            .map(OrganizationId::from_db)
            .transpose()
            .map_err(ApiError::internal)?,
    })
}

fn with_etag(status: actix_web::http::StatusCode, view: RentalView) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(view.version)));
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/rentals/{}", view.id)));
    }
    res.json(view)
}

/// Registers a rental for the caller (API and portal): checks, geocoding, the parties,
/// history, the vacancy events and the audit record in one transaction; then the
/// search index.
pub async fn register(
    state: &AppState,
    caller: Caller,
    input: RentalInput,
) -> ApiResult<RentalRow> {
    authorize(&caller, Action::Create, Resource::Rentals)?;
    let v = validate(input)?;
    let place = placement(state, &v).await;
    let row = state
        .db
        .transaction(move |conn| {
            let (owner, agent) = resolve_parties(conn, &caller, &v)?;
            if rentals::registration_taken(conn, &v.registration_number, &v.unit_number, None)? {
                return Err(ApiError::field(
                    "registration_number",
                    "a rental with this registration number and unit number is already registered",
                ));
            }
            let now = db::now();
            let row = row_from_valid(
                v,
                RowMeta {
                    id: db::new_id(),
                    owner,
                    agent,
                    placement: place,
                    version: 1,
                    created_at: now,
                    now,
                },
            );
            rentals::insert(conn, &row)?;
            rentals::insert_history(conn, &history_row(&row, "create", Some(&caller)))?;
            if saved_search::became_available(None, &row) {
                saved_search::rental_available(conn, &row)?;
            }
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "create",
                    object_type: "rental",
                    object_id: Some(row.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "geocode_status": row.geocode_status }),
                },
            )?;
            Ok(row)
        })
        .await?;
    state.rentals.apply_row(&row);
    Ok(row)
}

/// Registers a rental. Without coordinates the address is geocoded; if that fails the
/// rental is still saved, with `geocode_status` `failed` and no point.
#[utoipa::path(tag = "rentals", request_body = RentalInput, responses(
    (status = 201, body = RentalView, headers(("ETag" = String), ("Location" = String)), links(
        ("read" = (operation_id = "rentals_read", parameters(("id" = "$response.body#/id")),
            description = "Read the rental just registered")),
        ("update" = (operation_id = "rentals_update",
            parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")),
            description = "Change the rental just registered, with the ETag of the answer")),
    )),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/rentals")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<RentalInput>,
) -> ApiResult<HttpResponse> {
    let row = register(&state, caller, body.into_inner()).await?;
    Ok(with_etag(
        actix_web::http::StatusCode::CREATED,
        RentalView::from_row(row, None)?,
    ))
}

pub async fn load_authorized(
    state: &AppState,
    caller: &Caller,
    id: uuid::Uuid,
    action: Action,
) -> ApiResult<RentalRow> {
    let row = state
        .db
        .run(move |conn| Ok(rentals::find(conn, &id.to_string())?))
        .await?;
    authorize(caller, action, resource_of(&row)?)?;
    Ok(row)
}

/// Reads one rental.
#[utoipa::path(tag = "rentals", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = RentalView, headers(("ETag" = String)), links(
        ("update" = (operation_id = "rentals_update",
            parameters(("id" = "$request.path.id"), ("header.If-Match" = "$response.header.ETag")),
            description = "Change the rental just read, with its ETag")),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/rentals/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let row = load_authorized(&state, &caller, id.into_inner(), Action::Read).await?;
    Ok(with_etag(
        actix_web::http::StatusCode::OK,
        RentalView::from_row(row, None)?,
    ))
}

/// Changes a rental with a JSON merge patch (RFC 7396): the fields sent replace the
/// stored ones (`null` clears an optional field) and the result is validated whole.
/// Needs `If-Match`. Changing the address without coordinates geocodes it anew.
#[utoipa::path(tag = "rentals", request_body(content = Object, description = "the fields of RentalInput to change"),
    params(("id" = uuid::Uuid, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    responses(
        (status = 200, body = RentalView, headers(("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[patch("/rentals/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    if_match: IfMatch,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let current = load_authorized(&state, &caller, id.into_inner(), Action::Update).await?;
    if current.version != if_match.0 {
        return Err(ApiError::PreconditionFailed);
    }
    let patch = body.into_inner();
    if !patch.is_object() {
        return Err(ApiError::bad_request(
            "malformed-json",
            "a merge patch must be a JSON object",
        ));
    }
    let mut merged = serde_json::to_value(input_from_row(&current)?).map_err(ApiError::internal)?;
    merge_patch(&mut merged, &patch);
    let input: RentalInput = serde_json::from_value(merged).map_err(|e| ApiError::BadRequest {
        slug: "malformed-json",
        detail: format!("the patch does not fit a rental: {e}"),
        field: crate::startup::field_of_serde_error(&e.to_string()),
    })?;
    let row = replace(&state, caller, current, input).await?;
    Ok(with_etag(
        actix_web::http::StatusCode::OK,
        RentalView::from_row(row, None)?,
    ))
}

/// Replaces a stored rental (read by the caller with `Action::Update`) with `input`,
/// validated whole (API merge patches and portal forms alike). Changing the address
/// without coordinates geocodes it anew.
pub async fn replace(
    state: &AppState,
    caller: Caller,
    current: RentalRow,
    input: RentalInput,
) -> ApiResult<RentalRow> {
    let v = validate(input)?;
    let address_changed = v.municipality_code != current.municipality_code
        || v.municipality_name != current.municipality_name
        || v.address_line != current.address_line
        || v.prefecture_code != current.prefecture_code;
    let place = match (
        v.coordinates,
        address_changed,
        current.latitude.zip(current.longitude),
    ) {
        (Some(_), _, _) => Placement::Provided,
        (None, false, Some((lat, lon))) if current.geocode_status == "geocoded" => {
            Placement::Geocoded { lat, lon }
        }
        (None, false, _) if current.geocode_status == "failed" => {
            Placement::Failed(current.geocode_detail.clone().unwrap_or_default())
        }
        _ => placement(state, &v).await,
    };
    let row = state
        .db
        .transaction(move |conn| {
            let (owner, agent) = resolve_parties_for_update(conn, &caller, &current, &v)?;
            if rentals::registration_taken(
                conn,
                &v.registration_number,
                &v.unit_number,
                Some(&current.id),
            )? {
                return Err(ApiError::field(
                    "registration_number",
                    "a rental with this registration number and unit number is already registered",
                ));
            }
            let row = row_from_valid(
                v,
                RowMeta {
                    id: current.id.clone(),
                    owner,
                    agent,
                    placement: place,
                    version: current.version + 1,
                    created_at: current.created_at,
                    now: db::now(),
                },
            );
            if !rentals::replace(conn, &row, &current)? {
                return Err(ApiError::PreconditionFailed);
            }
            rentals::insert_history(conn, &history_row(&row, "update", Some(&caller)))?;
            if saved_search::became_available(Some(&current), &row) {
                saved_search::rental_available(conn, &row)?;
            }
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "update",
                    object_type: "rental",
                    object_id: Some(row.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({ "version": row.version }),
                },
            )?;
            Ok(row)
        })
        .await?;
    state.rentals.apply_row(&row);
    Ok(row)
}

/// On update the owner stays; the landlord may change or remove the agent, an agent may
/// not hand the rental to someone else.
fn resolve_parties_for_update(
    conn: &mut DbConn,
    caller: &Caller,
    current: &RentalRow,
    v: &ValidRental,
) -> ApiResult<(String, Option<String>)> {
    let mut f = Fields::new();
    if v.owner_org_id.as_deref() != Some(current.owner_org_id.as_str()) {
        f.push("owner_org_id", "the owner of a rental cannot be changed");
    }
    let me = caller.organization_id.to_string();
    if me != current.owner_org_id && v.agent_org_id != current.agent_org_id {
        f.push(
            "agent_org_id",
            "only the landlord changes who manages its rental",
        );
    }
    if let Some(a) = &v.agent_org_id
        && Some(a) != current.agent_org_id.as_ref()
    {
        let ok = uuid::Uuid::parse_str(a).is_ok()
            && organizations::find(conn, a)
                .ok()
                .is_some_and(|o| o.is_active && o.kind == OrgKind::RealEstateAgent.as_str());
        if !ok {
            f.push(
                "agent_org_id",
                "is not an active real-estate agent organisation",
            );
        }
    }
    if let Some(s) = &v.support_housing {
        let ok = uuid::Uuid::parse_str(&s.corp_org_id).is_ok()
            && organizations::find(conn, &s.corp_org_id)
                .ok()
                .is_some_and(|o| o.is_active && o.kind == OrgKind::HousingSupportCorp.as_str());
        if !ok {
            f.push(
                "support_housing.corp_org_id",
                "is not an active 居住支援法人",
            );
        }
    }
    f.finish()?;
    Ok((current.owner_org_id.clone(), v.agent_org_id.clone()))
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Removes a rental from the register. It stays in the history; searches no longer find
/// it.
#[utoipa::path(tag = "rentals", params(("id" = uuid::Uuid, Path)), responses(
    (status = 204, description = "removed"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[delete("/rentals/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let current = load_authorized(&state, &caller, id.into_inner(), Action::Delete).await?;
    let row = state
        .db
        .transaction(move |conn| {
            let now = db::now();
            let row = RentalRow {
                version: current.version + 1,
                updated_at: now,
                deleted_at: Some(now),
                ..current.clone()
            };
            if !rentals::replace(conn, &row, &current)? {
                return Err(ApiError::PreconditionFailed);
            }
            rentals::insert_history(conn, &history_row(&row, "delete", Some(&caller)))?;
            audit::write(
                conn,
                audit::Entry {
                    actor: Some(&caller),
                    action: "delete",
                    object_type: "rental",
                    object_id: Some(row.id.clone()),
                    outcome: "ok",
                    detail: serde_json::json!({}),
                },
            )?;
            Ok(row)
        })
        .await?;
    state.rentals.apply_row(&row);
    Ok(HttpResponse::NoContent().finish())
}

/// One stored version of a rental.
#[derive(Debug, Serialize, ToSchema)]
pub struct RentalVersion {
    pub version: i32,
    /// create, update, delete or import
    pub action: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub changed_by_user_id: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub changed_by_org_id: Option<String>,
    pub changed_at: chrono::DateTime<chrono::Utc>,
    /// The rental as it was after this change.
    pub rental: RentalView,
}

/// Every version of a rental, oldest first (the owner and its agent only).
#[utoipa::path(tag = "rentals", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = Vec<RentalVersion>),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/rentals/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<Vec<RentalVersion>>> {
    let id = id.into_inner().to_string();
    let (row, versions) = state
        .db
        .run(move |conn| {
            let row = rentals::find_any(conn, &id)?;
            let versions = rentals::history(conn, &row)?;
            Ok((row, versions))
        })
        .await?;
    // The history is the landlord's record: readers of the register do not need it.
    authorize(&caller, Action::Update, resource_of(&row)?)?;
    let out = versions
        .into_iter()
        .map(|h| {
            let snapshot: RentalRow = if h.snapshot == rentals::PENDING_SNAPSHOT {
                // An imported version that is still the current state.
                if h.version != row.version {
                    return Err(ApiError::internal(format!(
                        "rental {} version {} has no snapshot",
                        row.id, h.version
                    )));
                }
                row.clone()
            } else {
                serde_json::from_str(&h.snapshot).map_err(ApiError::internal)?
            };
            Ok(RentalVersion {
                version: h.version,
                action: h.action,
                changed_by_user_id: h.changed_by_user_id,
                changed_by_org_id: h.changed_by_org_id,
                changed_at: utc(h.changed_at),
                rental: RentalView::from_row(snapshot, None)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(out))
}

/// The rentals the caller's organisation owns or manages, in registration order.
#[utoipa::path(tag = "rentals", params(PageQuery), responses(
    (status = 200, body = Page<RentalView>, links(
        ("read" = (operation_id = "rentals_read", parameters(("id" = "$response.body#/items/0/id")),
            description = "Read the first rental of the page (then change it with its ETag)")),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/rentals/mine")]
pub async fn mine(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<Page<RentalView>>> {
    let q = q.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let limit = page.limit;
    let org = caller.organization_id.to_string();
    let rows = state
        .db
        .run(move |conn| Ok(rentals::list_for_org(conn, &org, &page)?))
        .await?;
    let page = Page::from_rows(rows, limit, |r| r.id.clone());
    let items = page
        .items
        .into_iter()
        .map(|r| RentalView::from_row(r, None))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}
