//! What the API shows of a rental, and the mapping between the API's shape, the
//! validated value and the stored row.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::rentals::RentalRow;
use crate::domain::ids::OrganizationId;
use crate::domain::rental::{
    Accessibility, Category, Condition, GeocodeStatus, Placement, RentalInput, Structure,
    SupportHousingInput, Vacancy, ValidRental,
};
use crate::error::{ApiError, ApiResult};
use crate::routes::utc;

/// A registered rental (セーフティネット登録住宅).
#[derive(Debug, Serialize, ToSchema)]
pub struct RentalView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub owner_org_id: OrganizationId,
    pub agent_org_id: Option<OrganizationId>,
    pub registration_number: String,
    pub registration_date: NaiveDate,
    pub postal_code: Option<String>,
    pub prefecture_code: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address_line: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Where the point came from; `failed`/`pending` rentals have no point and are not
    /// found by `near=` searches.
    pub geocode_status: GeocodeStatus,
    pub geocode_detail: Option<String>,
    pub building_name: Option<String>,
    pub unit_number: String,
    pub structure: Structure,
    pub year_built: i32,
    pub quake_resistant: bool,
    pub floors_total: i32,
    pub unit_floor: i32,
    pub elevator: bool,
    pub accessibility: Vec<Accessibility>,
    pub floor_area_m2: f64,
    pub layout: String,
    pub rent: i32,
    pub common_fee: i32,
    /// rent + common_fee: what the tenant pays each month.
    pub monthly_total: i32,
    pub deposit: i32,
    pub key_money: i32,
    pub guarantor_accepted: bool,
    pub guarantee_company_accepted: bool,
    pub guarantee_companies: Vec<String>,
    pub rent_reduction: bool,
    pub rent_reduction_yen: Option<i32>,
    pub accepted_categories: Vec<Category>,
    pub conditions: Vec<Condition>,
    pub pets_allowed: bool,
    /// Present when the rental is a certified 居住サポート住宅.
    pub support_housing: Option<SupportHousingInput>,
    pub vacancy: Vacancy,
    pub vacant_from: Option<NaiveDate>,
    pub photos: Vec<String>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Distance from the `near` point of a search, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

fn json_list(s: &str) -> ApiResult<Vec<String>> {
    serde_json::from_str(s).map_err(ApiError::internal)
}

fn mask(v: i32) -> u32 {
    v as u32
}

impl RentalView {
    pub fn from_row(r: RentalRow, distance_m: Option<f64>) -> ApiResult<Self> {
        let support_housing = if r.support_housing {
            Some(serde_json::from_str(&r.support_housing_services).map_err(ApiError::internal)?)
        } else {
            None
        };
        Ok(Self {
            owner_org_id: OrganizationId::from_db(&r.owner_org_id).map_err(ApiError::internal)?,
            agent_org_id: r
                .agent_org_id
                .as_deref()
                .map(OrganizationId::from_db)
                .transpose()
                .map_err(ApiError::internal)?,
            geocode_status: GeocodeStatus::parse(&r.geocode_status).map_err(ApiError::internal)?,
            structure: Structure::parse(&r.structure).map_err(ApiError::internal)?,
            accessibility: Accessibility::from_mask(mask(r.accessibility)),
            accepted_categories: Category::from_mask(mask(r.accepted_categories)),
            conditions: Condition::from_mask(mask(r.conditions)),
            guarantee_companies: json_list(&r.guarantee_companies)?,
            photos: json_list(&r.photos)?,
            vacancy: Vacancy::parse(&r.vacancy).map_err(ApiError::internal)?,
            monthly_total: r.rent + r.common_fee,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            support_housing,
            distance_m: distance_m.map(|d| d.round()),
            id: r.id,
            registration_number: r.registration_number,
            registration_date: r.registration_date,
            postal_code: r.postal_code,
            prefecture_code: r.prefecture_code,
            municipality_code: r.municipality_code,
            municipality_name: r.municipality_name,
            address_line: r.address_line,
            latitude: r.latitude,
            longitude: r.longitude,
            geocode_detail: r.geocode_detail,
            building_name: r.building_name,
            unit_number: r.unit_number,
            year_built: r.year_built,
            quake_resistant: r.quake_resistant,
            floors_total: r.floors_total,
            unit_floor: r.unit_floor,
            elevator: r.elevator,
            floor_area_m2: r.floor_area_m2,
            layout: r.layout,
            rent: r.rent,
            common_fee: r.common_fee,
            deposit: r.deposit,
            key_money: r.key_money,
            guarantor_accepted: r.guarantor_accepted,
            guarantee_company_accepted: r.guarantee_company_accepted,
            rent_reduction: r.rent_reduction,
            rent_reduction_yen: r.rent_reduction_yen,
            pets_allowed: r.pets_allowed,
            vacant_from: r.vacant_from,
            notes: r.notes,
            version: r.version,
        })
    }
}

/// What a stored row has besides the landlord's fields.
pub struct RowMeta {
    pub id: String,
    /// Already checked: an active landlord, and an active agent.
    pub owner: String,
    pub agent: Option<String>,
    pub placement: Placement,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub now: NaiveDateTime,
}

/// The stored row for a validated rental.
pub fn row_from_valid(v: ValidRental, meta: RowMeta) -> RentalRow {
    let RowMeta {
        id,
        owner,
        agent,
        placement,
        version,
        created_at,
        now,
    } = meta;
    let (lat, lon, status, detail) = match (&placement, v.coordinates) {
        (_, Some(c)) => (Some(c.lat), Some(c.lon), GeocodeStatus::Provided, None),
        (Placement::Geocoded { lat, lon }, None) => {
            (Some(*lat), Some(*lon), GeocodeStatus::Geocoded, None)
        }
        (Placement::Failed(why), None) => (None, None, GeocodeStatus::Failed, Some(why.clone())),
        (_, None) => (None, None, GeocodeStatus::Pending, None),
    };
    RentalRow {
        id,
        owner_org_id: owner,
        agent_org_id: agent,
        registration_number: v.registration_number,
        registration_date: v.registration_date,
        postal_code: v.postal_code,
        prefecture_code: v.prefecture_code,
        municipality_code: v.municipality_code,
        municipality_name: v.municipality_name,
        address_line: v.address_line,
        latitude: lat,
        longitude: lon,
        geocode_status: status.as_str().to_owned(),
        geocode_detail: detail,
        building_name: v.building_name,
        structure: v.structure.as_str().to_owned(),
        year_built: v.year_built,
        quake_resistant: v.quake_resistant,
        floors_total: v.floors_total,
        unit_floor: v.unit_floor,
        unit_number: v.unit_number,
        elevator: v.elevator,
        accessibility: v.accessibility as i32,
        floor_area_m2: v.floor_area_m2,
        layout: v.layout.to_string(),
        rent: v.rent,
        common_fee: v.common_fee,
        deposit: v.deposit,
        key_money: v.key_money,
        guarantor_accepted: v.guarantor_accepted,
        guarantee_company_accepted: v.guarantee_company_accepted,
        guarantee_companies: serde_json::to_string(&v.guarantee_companies)
            .unwrap_or_else(|_| "[]".into()),
        rent_reduction: v.rent_reduction,
        rent_reduction_yen: v.rent_reduction_yen,
        accepted_categories: v.accepted_categories as i32,
        conditions: v.conditions as i32,
        pets_allowed: v.pets_allowed,
        support_housing: v.support_housing.is_some(),
        support_housing_corp_id: v.support_housing.as_ref().map(|s| s.corp_org_id.clone()),
        support_housing_services: v
            .support_housing
            .as_ref()
            .and_then(|s| serde_json::to_string(s).ok())
            .unwrap_or_else(|| "{}".into()),
        vacancy: v.vacancy.as_str().to_owned(),
        vacant_from: v.vacant_from,
        photos: serde_json::to_string(&v.photos).unwrap_or_else(|_| "[]".into()),
        notes: v.notes,
        version,
        created_at,
        updated_at: now,
        deleted_at: None,
    }
}

/// The input a stored rental was made from, so that a PATCH can be merged onto it and
/// validated whole. A geocoded point is not the landlord's: it is left out so that a
/// changed address is geocoded anew.
pub fn input_from_row(r: &RentalRow) -> ApiResult<RentalInput> {
    let view = RentalView::from_row(r.clone(), None)?;
    let provided = view.geocode_status == GeocodeStatus::Provided;
    Ok(RentalInput {
        owner_org_id: Some(r.owner_org_id.clone()),
        agent_org_id: r.agent_org_id.clone(),
        registration_number: view.registration_number,
        registration_date: view.registration_date.to_string(),
        postal_code: view.postal_code,
        prefecture_code: view.prefecture_code,
        municipality_code: view.municipality_code,
        municipality_name: view.municipality_name,
        address_line: view.address_line,
        latitude: view.latitude.filter(|_| provided),
        longitude: view.longitude.filter(|_| provided),
        building_name: view.building_name,
        unit_number: Some(view.unit_number),
        structure: view.structure.as_str().to_owned(),
        year_built: view.year_built,
        quake_resistant: view.quake_resistant,
        floors_total: view.floors_total,
        unit_floor: view.unit_floor,
        elevator: view.elevator,
        accessibility: view
            .accessibility
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        floor_area_m2: view.floor_area_m2,
        layout: view.layout,
        rent: i64::from(view.rent),
        common_fee: i64::from(view.common_fee),
        deposit: i64::from(view.deposit),
        key_money: i64::from(view.key_money),
        guarantor_accepted: view.guarantor_accepted,
        guarantee_company_accepted: view.guarantee_company_accepted,
        guarantee_companies: view.guarantee_companies,
        rent_reduction: view.rent_reduction,
        rent_reduction_yen: view.rent_reduction_yen.map(i64::from),
        accepted_categories: view
            .accepted_categories
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        conditions: view
            .conditions
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        pets_allowed: view.pets_allowed,
        support_housing: view.support_housing,
        vacancy: view.vacancy.as_str().to_owned(),
        vacant_from: view.vacant_from.map(|d| d.to_string()),
        photos: view.photos,
        notes: view.notes,
    })
}
