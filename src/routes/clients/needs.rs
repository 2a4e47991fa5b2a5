//! `/clients/{id}/needs`: what the person needs of a home — budget, areas, the places
//! that matter, accessibility — and, in their own words, what they want and why
//! (意思決定支援: the person decides; the record says what they chose).

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, Schema};

use super::{load_authorized, record_access};
use crate::auth::{Action, Caller};
use crate::db::clients::NeedsRow;
use crate::db::{self, clients};
use crate::domain::matching::{Needs, Place, PlaceKind};
use crate::domain::organization::MunicipalityCode;
use crate::domain::rental::{Accessibility, Coordinates, Layout, yen};
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::{etag, utc};
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub lat: f64,
    pub lon: f64,
    /// 100 m to 30 km.
    pub radius_m: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlaceInput {
    pub kind: PlaceKind,
    /// e.g. さっぽろ駅前クリニック (a place, not a person)
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// How much it matters, 1 to 5.
    pub weight: u8,
}

/// The client's needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsInput {
    /// Ceiling of rent + 共益費, yen per month.
    pub max_monthly_total: i64,
    /// 生活保護の住宅扶助 limit on the rent, when it applies.
    pub housing_allowance_limit: Option<i64>,
    /// Municipality codes where the person wants to live.
    #[serde(default)]
    pub municipalities: Vec<String>,
    /// And/or a point with a radius.
    pub around: Option<Area>,
    /// Places that matter: clinic, day program, workplace, family.
    #[serde(default)]
    pub places: Vec<PlaceInput>,
    /// Accessibility features the person cannot do without.
    #[serde(default)]
    #[schema(value_type = Vec<Accessibility>)]
    pub accessibility_musts: Vec<String>,
    pub min_area_m2: Option<f64>,
    /// Layouts the person would like (1K, 1DK, …).
    #[serde(default)]
    pub preferred_layouts: Vec<String>,
    #[serde(default)]
    pub needs_pets: bool,
    #[serde(default)]
    pub ground_floor_or_elevator: bool,
    /// The person's own words: what they want and why.
    pub own_words: Option<String>,
}

/// The client's needs as recorded: every field of [`NeedsInput`] and the record's version.
#[derive(Debug, Serialize)]
pub struct NeedsView {
    #[serde(flatten)]
    pub needs: NeedsInput,
    #[serde(flatten)]
    pub record: NeedsRecord,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NeedsRecord {
    pub version: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub updated_by_user_id: Option<String>,
}

/// One object with the properties of both parts. The derived schema would be `allOf`
/// [`NeedsInput`] and the rest, and as `NeedsInput` refuses unknown fields no answer
/// could match it.
impl utoipa::PartialSchema for NeedsView {
    fn schema() -> RefOr<Schema> {
        let (RefOr::T(Schema::Object(mut view)), RefOr::T(Schema::Object(record))) =
            (NeedsInput::schema(), NeedsRecord::schema())
        else {
            return RefOr::T(Schema::Object(Object::new()));
        };
        view.additional_properties = None;
        view.description = Some("The client's needs as recorded, with their version.".into());
        view.properties.extend(record.properties);
        view.required.extend(record.required);
        RefOr::T(Schema::Object(view))
    }
}

impl ToSchema for NeedsView {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <NeedsInput as ToSchema>::schemas(schemas);
    }
}

fn validate(client_id: &str, n: NeedsInput, f: &mut Fields) -> Option<NeedsRow> {
    let budget = f.check(
        "max_monthly_total",
        yen(n.max_monthly_total, 10_000, 1_000_000),
    );
    let allowance = f.check_opt("housing_allowance_limit", n.housing_allowance_limit, |v| {
        yen(v, 10_000, 200_000)
    });
    let mut munis = Vec::new();
    for (i, m) in n.municipalities.iter().enumerate() {
        match MunicipalityCode::parse(m) {
            Ok(m) => munis.push(m.as_str().to_owned()),
            Err(e) => f.push(&format!("municipalities[{i}]"), e),
        }
    }
    if let Some(a) = &n.around {
        if let Err((field, m)) = Coordinates::parse(a.lat, a.lon) {
            f.push(
                &format!("around.{}", if field == "latitude" { "lat" } else { "lon" }),
                m,
            );
        }
        if !(100..=30_000).contains(&a.radius_m) {
            f.push("around.radius_m", "must be between 100 and 30000 metres");
        }
    }
    if n.places.len() > 10 {
        f.push("places", "at most 10 places");
    }
    for (i, p) in n.places.iter().enumerate() {
        if let Err(m) = text(&p.name, 100) {
            f.push(&format!("places[{i}].name"), m);
        }
        if let Err((field, m)) = Coordinates::parse(p.lat, p.lon) {
            f.push(
                &format!(
                    "places[{i}].{}",
                    if field == "latitude" { "lat" } else { "lon" }
                ),
                m,
            );
        }
        if !(1..=5).contains(&p.weight) {
            f.push(&format!("places[{i}].weight"), "must be 1 to 5");
        }
    }
    let mut access = 0;
    for (i, a) in n.accessibility_musts.iter().enumerate() {
        match Accessibility::parse(a) {
            Ok(a) => access |= a.bit(),
            Err(m) => f.push(&format!("accessibility_musts[{i}]"), m),
        }
    }
    if let Some(a) = n.min_area_m2
        && !(a.is_finite() && (5.0..=200.0).contains(&a))
    {
        f.push("min_area_m2", "must be between 5 and 200");
    }
    let mut layouts = Vec::new();
    for (i, l) in n.preferred_layouts.iter().enumerate() {
        match Layout::parse(l) {
            Ok(l) => layouts.push(l.to_string()),
            Err(m) => f.push(&format!("preferred_layouts[{i}]"), m),
        }
    }
    let words = f.check_opt(
        "own_words",
        n.own_words.clone().filter(|s| !s.trim().is_empty()),
        |s| {
            if s.chars().count() > 2000 {
                Err("must be at most 2000 characters".into())
            } else {
                Ok(s.trim().to_owned())
            }
        },
    );
    if !f.is_empty() {
        return None;
    }
    Some(NeedsRow {
        client_id: client_id.to_owned(),
        max_monthly_total: budget?,
        housing_allowance_limit: allowance?,
        municipalities: serde_json::to_string(&munis).ok()?,
        around_lat: n.around.as_ref().map(|a| a.lat),
        around_lon: n.around.as_ref().map(|a| a.lon),
        around_radius_m: n.around.as_ref().map(|a| a.radius_m),
        places: serde_json::to_string(&n.places).ok()?,
        accessibility_musts: access as i32,
        min_area_m2: n.min_area_m2,
        preferred_layouts: serde_json::to_string(&layouts).ok()?,
        needs_pets: n.needs_pets,
        ground_floor_or_elevator: n.ground_floor_or_elevator,
        own_words: words?,
        version: 1,
        updated_at: db::now(),
        updated_by_user_id: None,
    })
}

fn json<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

pub fn view_of(row: &NeedsRow) -> ApiResult<NeedsView> {
    Ok(NeedsView {
        needs: NeedsInput {
            max_monthly_total: i64::from(row.max_monthly_total),
            housing_allowance_limit: row.housing_allowance_limit.map(i64::from),
            municipalities: json(&row.municipalities)?,
            around: match (row.around_lat, row.around_lon, row.around_radius_m) {
                (Some(lat), Some(lon), Some(radius_m)) => Some(Area { lat, lon, radius_m }),
                _ => None,
            },
            places: json(&row.places)?,
            accessibility_musts: Accessibility::from_mask(row.accessibility_musts as u32)
                .iter()
                .map(|a| a.as_str().to_owned())
                .collect(),
            min_area_m2: row.min_area_m2,
            preferred_layouts: json(&row.preferred_layouts)?,
            needs_pets: row.needs_pets,
            ground_floor_or_elevator: row.ground_floor_or_elevator,
            own_words: row.own_words.clone(),
        },
        record: NeedsRecord {
            version: row.version,
            updated_at: utc(row.updated_at),
            updated_by_user_id: row.updated_by_user_id.clone(),
        },
    })
}

/// The matcher's view of stored needs, with the client's categories and move date.
pub fn needs_for_matching(
    row: &NeedsRow,
    categories: u32,
    move_by: Option<i32>,
) -> ApiResult<Needs> {
    let munis: Vec<String> = json(&row.municipalities)?;
    let places: Vec<PlaceInput> = json(&row.places)?;
    let layouts: Vec<String> = json(&row.preferred_layouts)?;
    Ok(Needs {
        max_monthly_total: row.max_monthly_total as u32,
        housing_allowance_limit: row.housing_allowance_limit.map(|v| v as u32),
        categories,
        municipalities: munis.iter().filter_map(|m| m.parse().ok()).collect(),
        around: match (row.around_lat, row.around_lon, row.around_radius_m) {
            (Some(lat), Some(lon), Some(r)) => Some((lat, lon, f64::from(r))),
            _ => None,
        },
        places: places
            .into_iter()
            .map(|p| Place {
                kind: p.kind,
                name: p.name,
                lat: p.lat,
                lon: p.lon,
                weight: p.weight,
            })
            .collect(),
        accessibility_musts: row.accessibility_musts as u32,
        min_area_m2: row.min_area_m2,
        preferred_layouts: layouts
            .iter()
            .filter_map(|l| Layout::parse(l).ok())
            .map(|l| l.rank())
            .collect(),
        needs_pets: row.needs_pets,
        ground_floor_or_elevator: row.ground_floor_or_elevator,
        move_by,
    })
}

/// Reads the client's needs.
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = NeedsView, headers(("ETag" = String))),
    (status = 404, body = Problem, content_type = "application/problem+json", description = "no such client, or no needs recorded yet"),
), security(("bearer" = [])))]
#[get("/clients/{id}/needs")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let view = state
        .db
        .transaction(move |conn| {
            let (client, consent) = load_authorized(conn, &caller, &id, Action::Read)?;
            let row = clients::needs_of(conn, &id)?.ok_or(ApiError::NotFound)?;
            record_access(conn, &caller, &client, "read", "needs", consent.as_ref())?;
            view_of(&row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.record.version)))
        .json(view))
}

/// Records the client's needs (the whole set). The first time needs no `If-Match`;
/// after that it must carry the ETag read.
#[utoipa::path(tag = "clients", request_body = NeedsInput,
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "the ETag you read (not on the first save)")),
    responses(
        (status = 200, body = NeedsView, headers(("ETag" = String)), links(
            ("matches" = (operation_id = "clients_matches", parameters(("id" = "$request.path.id")),
                description = "Rank rentals for the client whose needs were just saved")),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, body = Problem, content_type = "application/problem+json"),
    ), security(("bearer" = [])))]
#[put("/clients/{id}/needs")]
pub async fn put(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Json<NeedsInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner().to_string();
    let if_match = match req.headers().get(actix_web::http::header::IF_MATCH) {
        None => None,
        Some(_) => Some(
            <crate::routes::IfMatch as actix_web::FromRequest>::extract(&req)
                .await?
                .0,
        ),
    };
    let mut f = Fields::new();
    let row = validate(&id, body.into_inner(), &mut f);
    f.finish()?;
    let mut row = collected(row)?;
    let view = state
        .db
        .transaction(move |conn| {
            let (client, _) = load_authorized(conn, &caller, &id, Action::Update)?;
            let current = clients::needs_of(conn, &id)?;
            let expected = match (&current, if_match) {
                (None, _) => None,
                (Some(_), None) => return Err(ApiError::PreconditionRequired),
                (Some(c), Some(v)) if c.version != v => return Err(ApiError::PreconditionFailed),
                (Some(c), Some(_)) => Some(c.version),
            };
            row.version = expected.map_or(1, |v| v + 1);
            row.updated_by_user_id = caller.user_id().map(|u| u.to_string());
            if !clients::put_needs(conn, &row, expected)? {
                return Err(ApiError::PreconditionFailed);
            }
            record_access(conn, &caller, &client, "update", "needs", None)?;
            view_of(&row)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(view.record.version)))
        .json(view))
}
