//! `GET /clients/{id}/matches`: rentals ranked for a client, each with its score part by
//! part and the reasons, plus near-misses with what they miss by ("rent 3,000 yen over
//! budget"). The search index applies the filters that never bend (categories,
//! accessibility, pets, step-free access) and loose versions of the ones that can miss
//! by a little (budget, area, date); the pure matcher in `domain::matching` decides the
//! rest, so only the rentals shown are read from the database.

use std::collections::HashMap;

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::load_for_record;
use super::needs::needs_for_matching;
use super::record_access;
use crate::auth::{Caller, ClientRecord};
use crate::db::rentals::RentalRow;
use crate::db::{DbConn, clients, rentals};
use crate::domain::matching::{Candidate, Miss, Needs, PlaceDistance, ScorePart, Support, rank};
use crate::domain::rental::query::{RentalQuery, days_since_epoch};
use crate::domain::rental::{Condition, Coordinates};
use crate::domain::time::today_tokyo;
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::rentals::view::RentalView;
use crate::search::{Entry, RentalIndex, Scope, index};
use crate::state::AppState;

/// How much looser than the needs the candidate search is, so near-misses are found.
const BUDGET_SLACK: u32 = 5_000;
const RADIUS_SLACK_M: f64 = 1_000.0;
const DATE_SLACK_DAYS: i32 = 30;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    /// How many matches, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// A rental ranked for the client.
#[derive(Debug, Serialize, ToSchema)]
pub struct Match {
    pub rental: RentalView,
    /// 0-100.
    pub score: f64,
    /// Each part of the score with its points, maximum and reason.
    pub parts: Vec<ScorePart>,
    /// Distances to the places that matter to the client.
    pub distances: Vec<PlaceDistance>,
}

/// A rental that misses by a little, with what it misses.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearMissView {
    pub rental: RentalView,
    pub misses: Vec<Miss>,
    /// The misses in words (Japanese).
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResult {
    pub matches: Vec<Match>,
    pub near_misses: Vec<NearMissView>,
    /// How many rentals the candidate search looked at.
    pub candidates: usize,
    /// What the office can offer a landlord's conditions (with a consenting
    /// 居住支援法人: 見守り and rent guarantee too).
    pub conditions_met: Vec<Condition>,
}

/// The loose candidate queries for the needs: one around the point, one over the
/// municipalities (a rental in either qualifies).
fn candidate_queries(n: &Needs, today: i32) -> Vec<RentalQuery> {
    let base = RentalQuery {
        max_monthly_total: Some(n.max_monthly_total + BUDGET_SLACK),
        accepts: n.categories,
        accessibility: n.accessibility_musts,
        pets: n.needs_pets.then_some(true),
        step_free_access: n.ground_floor_or_elevator,
        vacant_by: Some(n.move_by.unwrap_or(today).max(today) + DATE_SLACK_DAYS),
        limit: usize::MAX,
        ..Default::default()
    };
    let mut out = Vec::new();
    if let Some((lat, lon, r)) = n.around
        && let Ok(c) = Coordinates::parse(lat, lon)
    {
        out.push(RentalQuery {
            near: Some((c, r + RADIUS_SLACK_M)),
            ..base.clone()
        });
    }
    if !n.municipalities.is_empty() {
        out.push(RentalQuery {
            municipalities: n.municipalities.clone(),
            ..base.clone()
        });
    }
    if out.is_empty() {
        out.push(base);
    }
    out
}

fn candidate_of(e: &Entry) -> Candidate {
    let flag = |f: u8| e.flags & f != 0;
    Candidate {
        id: uuid::Uuid::from_u128(e.id).to_string(),
        rent: e.rent,
        common_fee: e.monthly_total.saturating_sub(e.rent),
        floor_area_m2: f64::from(e.area_dm2) / 100.0,
        layout_rank: e.layout_rank,
        unit_floor: i32::from(e.floor),
        elevator: flag(index::ELEVATOR),
        accessibility: u32::from(e.accessibility),
        categories: u32::from(e.categories),
        conditions: u32::from(e.conditions),
        pets_allowed: flag(index::PETS),
        vacant_from: (e.vacant_from != index::OCCUPIED).then_some(e.vacant_from),
        support_housing: flag(index::SUPPORT_HOUSING),
        guarantee_company_accepted: flag(index::GUARANTEE_COMPANY),
        rent_reduction: flag(index::RENT_REDUCTION),
        point: flag(index::HAS_POINT).then(|| (f64::from(e.lat), f64::from(e.lon))),
        municipality: e.municipality,
    }
}

/// Ranks rentals for one of the office's clients.
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path), MatchQuery), responses(
    (status = 200, body = MatchResult, links(
        ("propose" = (operation_id = "inquiries_create",
            request_body = json!({"client_id": "$request.path.id", "rental_id": "$response.body#/matches/0/rental/id"}),
            description = "Propose the best-ranked rental to the client")),
    )),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "the client's needs are not recorded yet"),
    (status = 503, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/clients/{id}/matches")]
pub async fn matches(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    q: web::Query<MatchQuery>,
) -> ApiResult<web::Json<MatchResult>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::BadRequest {
            slug: "invalid-parameter",
            detail: "limit must be between 1 and 200".into(),
            field: Some("limit".into()),
        });
    }
    let id = id.into_inner().to_string();
    let index = state.rentals.clone();
    // One trip to the database thread: the authorised read of the needs with its audit
    // entry in one transaction, then the ranking and the rows shown.
    let result = state
        .db
        .transaction_then(
            move |conn| {
                let client = load_for_record(conn, &caller, &id, ClientRecord::Matching)?;
                let row = clients::needs_of(conn, &id)?.ok_or_else(|| {
                    ApiError::Conflict(
                        "record the client's needs first (PUT /api/v1/clients/{id}/needs)".into(),
                    )
                })?;
                // Free by the target date; with none (or one already past), free today.
                let today = days_since_epoch(today_tokyo());
                let move_by = Some(
                    client
                        .target_move_date
                        .map_or(today, days_since_epoch)
                        .max(today),
                );
                let needs = needs_for_matching(&row, client.categories as u32, move_by)?;
                // The office supports the tenant and writes the sheet; a 居住支援法人 the
                // client agreed to share with brings 見守り and a rent guarantee.
                let mut support = Condition::SupportOffice.bit()
                    | Condition::SupportSheet.bit()
                    | Condition::EmergencyContact.bit();
                if clients::active_consent(conn, &id, "share_with_corp", None)?.is_some() {
                    support |= Condition::WatchService.bit() | Condition::RentGuarantee.bit();
                }
                record_access(conn, &caller, &client, "match", "needs", None)?;
                Ok((
                    needs,
                    Support {
                        conditions: support,
                    },
                ))
            },
            move |conn, (needs, support)| rank_and_read(conn, &index, &needs, support, limit),
        )
        .await?;
    Ok(web::Json(result))
}

/// Ranks the candidates the index finds for the needs and reads the rows shown.
fn rank_and_read(
    conn: &mut DbConn,
    index: &RentalIndex,
    needs: &Needs,
    support: Support,
    limit: usize,
) -> ApiResult<MatchResult> {
    let today = days_since_epoch(today_tokyo());
    let queries = candidate_queries(needs, today);
    let mut entries: Vec<Entry> = Vec::new();
    for query in &queries {
        entries.extend(
            index
                .matching(query, Scope::All)?
                .into_iter()
                .map(|(e, _)| e),
        );
    }
    if queries.len() > 1 || queries.iter().any(|q| q.municipalities.len() > 1) {
        // A rental found twice (around the point and in a listed municipality, or in a
        // municipality listed twice) is one candidate.
        entries.sort_unstable_by_key(|e| e.id);
        entries.dedup_by_key(|e| e.id);
    }
    let candidates: Vec<Candidate> = entries.iter().map(candidate_of).collect();
    let (ranked, near) = rank(needs, support, &candidates, limit);

    let ids: Vec<String> = ranked
        .iter()
        .map(|r| r.id.clone())
        .chain(near.iter().map(|n| n.id.clone()))
        .collect();
    let mut rows: HashMap<String, RentalRow> = rentals::find_many(conn, &ids)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    // A rental deleted since the index saw it is left out.
    let mut shown = Vec::with_capacity(ranked.len());
    for r in ranked {
        if let Some(row) = rows.remove(&r.id) {
            shown.push(Match {
                rental: RentalView::from_row(row, None)?,
                score: r.scored.score,
                parts: r.scored.parts,
                distances: r.scored.distances,
            });
        }
    }
    let mut near_misses = Vec::with_capacity(near.len());
    for n in near {
        if let Some(row) = rows.remove(&n.id) {
            near_misses.push(NearMissView {
                rental: RentalView::from_row(row, None)?,
                reasons: n.misses.iter().map(Miss::reason_ja).collect(),
                misses: n.misses,
            });
        }
    }
    Ok(MatchResult {
        matches: shown,
        near_misses,
        candidates: candidates.len(),
        conditions_met: Condition::from_mask(support.conditions),
    })
}
