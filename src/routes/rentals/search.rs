//! `GET /rentals`: search the register. The in-memory index picks and orders the ids;
//! the rows shown are read from the database, which stays the truth.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::view::RentalView;
use crate::auth::policy::reads_all_rentals;
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::rentals;
use crate::domain::rental::query::SearchParams;
use crate::domain::time::today_tokyo;
use crate::domain::validate::{Fields, collected};
use crate::error::{ApiResult, Problem};
use crate::search::Scope;
use crate::state::AppState;

/// One page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct RentalSearchPage {
    pub items: Vec<RentalView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many rentals match in all.
    pub total: usize,
}

/// Searches the register with filters and, with `near` and `radius_m`, by distance
/// (nearest first). Landlords and agents search only their own rentals.
#[utoipa::path(tag = "rentals", params(SearchParams), responses(
    (status = 200, body = RentalSearchPage),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
    (status = 503, body = Problem, content_type = "application/problem+json", description = "the search index is still loading"),
), security(("bearer" = [])))]
#[get("/rentals")]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<SearchParams>,
) -> ApiResult<web::Json<RentalSearchPage>> {
    authorize(&caller, Action::List, Resource::Rentals)?;
    let mut f = Fields::new();
    let query = params.into_inner().parse(today_tokyo(), &mut f);
    f.finish()?;
    let query = collected(query)?;
    let scope = if reads_all_rentals(caller.org_kind) {
        Scope::All
    } else {
        state
            .rentals
            .scope_for_org(caller.organization_id.as_uuid())
    };
    let hits = state.rentals.search(&query, scope)?;
    let ids: Vec<String> = hits
        .items
        .iter()
        .map(|(id, _)| uuid::Uuid::from_u128(*id).to_string())
        .collect();
    let mut rows = state
        .db
        .run(move |conn| Ok(rentals::find_many(conn, &ids)?))
        .await?;
    // Back into the index's order; a row deleted since the index saw it is skipped.
    let mut items = Vec::with_capacity(hits.items.len());
    for (id, distance) in &hits.items {
        let id = uuid::Uuid::from_u128(*id).to_string();
        if let Some(i) = rows.iter().position(|r| r.id == id) {
            items.push(RentalView::from_row(rows.swap_remove(i), *distance)?);
        }
    }
    Ok(web::Json(RentalSearchPage {
        items,
        next_cursor: hits.next_cursor.map(|c| c.encode()),
        total: hits.total,
    }))
}
