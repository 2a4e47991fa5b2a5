//! Clients' needs as saved searches: when a rental becomes available (registered
//! vacant, or changed from occupied to vacant), the support offices whose searching
//! clients it fits are told, through the outbox, in the same transaction as the change.
//!
//! Events:
//! - `rental.vacant` `{rental_id, municipality_code, rent, common_fee, vacant_from}` to the
//!   rental's landlord and agent, and to each support office with at least one client
//!   the rental fits;
//! - `rental.matches_client` `{rental_id, client_id}` to the office, once per client it
//!   fits (the client's id only: the office looks the person up in its own records).
//!
//! "Fits" is the matcher's hard filters (`domain::matching::misses`): area (a listed
//! municipality or within the radius), budget and 住宅扶助 limit, categories,
//! accessibility, pets, step-free access and the move date. Only clients still
//! `searching` count, and only offices subscribed to one of the two events are looked
//! at, so a rental write costs nothing more when nobody listens.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use serde_json::json;

use super::outbox;
use crate::db::DbConn;
use crate::db::clients::{ClientRow, NeedsRow};
use crate::db::rentals::RentalRow;
use crate::db::schema::{client_needs, clients, organizations, webhook_subscriptions};
use crate::domain::matching::{Candidate, misses};
use crate::domain::organization::OrgKind;
use crate::domain::rental::Layout;
use crate::domain::rental::query::days_since_epoch;
use crate::error::ApiResult;
use crate::routes::clients::needs::needs_for_matching;

pub const RENTAL_VACANT: &str = "rental.vacant";
pub const RENTAL_MATCHES_CLIENT: &str = "rental.matches_client";

/// The matcher's view of a stored rental (as the search index builds it).
pub fn candidate_of(row: &RentalRow) -> Candidate {
    let vacant = row.vacancy == "vacant";
    Candidate {
        id: row.id.clone(),
        rent: u32::try_from(row.rent).unwrap_or(0),
        common_fee: u32::try_from(row.common_fee).unwrap_or(0),
        floor_area_m2: row.floor_area_m2,
        layout_rank: Layout::parse(&row.layout).map(|l| l.rank()).unwrap_or(0),
        unit_floor: row.unit_floor,
        elevator: row.elevator,
        accessibility: row.accessibility as u32,
        categories: row.accepted_categories as u32,
        conditions: row.conditions as u32,
        pets_allowed: row.pets_allowed,
        // Vacant without a date: free now.
        vacant_from: vacant.then(|| row.vacant_from.map_or(i32::MIN, days_since_epoch)),
        support_housing: row.support_housing,
        guarantee_company_accepted: row.guarantee_company_accepted,
        rent_reduction: row.rent_reduction,
        point: row.latitude.zip(row.longitude),
        municipality: row.municipality_code.parse().unwrap_or(0),
    }
}

/// Whether a change from `before` (None: newly registered) to `after` makes the rental
/// available.
pub fn became_available(before: Option<&RentalRow>, after: &RentalRow) -> bool {
    after.deleted_at.is_none()
        && after.vacancy == "vacant"
        && before.is_none_or(|b| b.vacancy != "vacant")
}

/// Queues the events for a rental that just became available; returns how many
/// deliveries were queued. Call it inside the rental's transaction.
pub fn rental_available(conn: &mut DbConn, row: &RentalRow) -> ApiResult<usize> {
    let vacant = json!({
        "rental_id": row.id,
        "municipality_code": row.municipality_code,
        "rent": row.rent,
        "common_fee": row.common_fee,
        "vacant_from": row.vacant_from,
    });
    let parties: Vec<String> = std::iter::once(row.owner_org_id.clone())
        .chain(row.agent_org_id.clone())
        .collect();
    let mut queued = outbox::enqueue(conn, &parties, RENTAL_VACANT, vacant.clone())?;
    let offices = listening_offices(conn)?;
    if offices.is_empty() {
        return Ok(queued);
    }
    let candidate = candidate_of(row);
    let mut fits: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (client, needs) in searching_clients(conn, &offices, &candidate)? {
        let move_by = client.target_move_date.map(days_since_epoch);
        let needs = needs_for_matching(&needs, client.categories as u32, move_by)?;
        if misses(&needs, &candidate).is_empty() {
            fits.entry(client.office_org_id)
                .or_default()
                .push(client.id);
        }
    }
    for (office, client_ids) in fits {
        let office = [office];
        queued += outbox::enqueue(conn, &office, RENTAL_VACANT, vacant.clone())?;
        for client_id in client_ids {
            queued += outbox::enqueue(
                conn,
                &office,
                RENTAL_MATCHES_CLIENT,
                json!({ "rental_id": row.id, "client_id": client_id }),
            )?;
        }
    }
    Ok(queued)
}

/// Support offices with an active subscription to either event.
fn listening_offices(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let subs: Vec<(String, String)> = webhook_subscriptions::table
        .inner_join(organizations::table.on(organizations::id.eq(webhook_subscriptions::org_id)))
        .filter(webhook_subscriptions::is_active.eq(true))
        .filter(organizations::kind.eq(OrgKind::SupportOffice.as_str()))
        .select((webhook_subscriptions::org_id, webhook_subscriptions::events))
        .load(conn)?;
    let offices: BTreeSet<String> = subs
        .into_iter()
        .filter(|(_, events)| {
            let events: Vec<String> = serde_json::from_str(events).unwrap_or_default();
            events
                .iter()
                .any(|e| e == "*" || e == RENTAL_VACANT || e == RENTAL_MATCHES_CLIENT)
        })
        .map(|(org, _)| org)
        .collect();
    Ok(offices.into_iter().collect())
}

/// The offices' searching clients with needs whose budget covers the rental (the
/// cheap filter in SQL; the matcher decides the rest).
fn searching_clients(
    conn: &mut DbConn,
    offices: &[String],
    c: &Candidate,
) -> QueryResult<Vec<(ClientRow, NeedsRow)>> {
    let total = i32::try_from(u64::from(c.rent) + u64::from(c.common_fee)).unwrap_or(i32::MAX);
    clients::table
        .inner_join(client_needs::table)
        .filter(clients::office_org_id.eq_any(offices))
        .filter(clients::status.eq("searching"))
        .filter(clients::deleted_at.is_null())
        .filter(client_needs::max_monthly_total.ge(total))
        .order(clients::id.asc())
        .select((ClientRow::as_select(), NeedsRow::as_select()))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::matching::{Miss, Needs};

    fn row() -> RentalRow {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 4, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        RentalRow {
            id: "r".into(),
            owner_org_id: "o".into(),
            agent_org_id: None,
            registration_number: "01-000001".into(),
            registration_date: now.date(),
            postal_code: None,
            prefecture_code: "01".into(),
            municipality_code: "011002".into(),
            municipality_name: "札幌市".into(),
            address_line: "中央区北1条西2丁目".into(),
            latitude: Some(43.0621),
            longitude: Some(141.3544),
            geocode_status: "provided".into(),
            geocode_detail: None,
            building_name: None,
            structure: "rc".into(),
            year_built: 1998,
            quake_resistant: true,
            floors_total: 5,
            unit_floor: 2,
            unit_number: "203".into(),
            elevator: true,
            accessibility: 0,
            floor_area_m2: 25.5,
            layout: "1K".into(),
            rent: 42_000,
            common_fee: 3_000,
            deposit: 0,
            key_money: 0,
            guarantor_accepted: false,
            guarantee_company_accepted: true,
            guarantee_companies: "[]".into(),
            rent_reduction: false,
            rent_reduction_yen: None,
            accepted_categories: 0b11,
            conditions: 0,
            pets_allowed: false,
            support_housing: false,
            support_housing_corp_id: None,
            support_housing_services: "{}".into(),
            vacancy: "vacant".into(),
            vacant_from: None,
            photos: "[]".into(),
            notes: None,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    #[test]
    fn a_rental_becomes_available_when_registered_or_freed() {
        let vacant = row();
        let occupied = RentalRow {
            vacancy: "occupied".into(),
            ..row()
        };
        assert!(became_available(None, &vacant));
        assert!(!became_available(None, &occupied));
        assert!(became_available(Some(&occupied), &vacant));
        assert!(!became_available(Some(&vacant), &vacant));
        assert!(!became_available(Some(&vacant), &occupied));
        let deleted = RentalRow {
            deleted_at: Some(vacant.updated_at),
            ..row()
        };
        assert!(!became_available(Some(&occupied), &deleted));
    }

    #[test]
    fn the_candidate_carries_what_the_hard_filters_read() {
        let c = candidate_of(&row());
        assert_eq!((c.rent, c.common_fee), (42_000, 3_000));
        assert_eq!(c.municipality, 11002);
        assert_eq!(c.point, Some((43.0621, 141.3544)));
        assert_eq!(c.vacant_from, Some(i32::MIN));
        let occupied = candidate_of(&RentalRow {
            vacancy: "occupied".into(),
            ..row()
        });
        assert_eq!(occupied.vacant_from, None);
    }

    #[test]
    fn area_and_budget_decide_the_fit() {
        let c = candidate_of(&row());
        let near = Needs {
            max_monthly_total: 50_000,
            around: Some((43.0621, 141.3544, 1_000.0)),
            ..Default::default()
        };
        assert!(misses(&near, &c).is_empty());
        let poor = Needs {
            max_monthly_total: 40_000,
            ..near.clone()
        };
        assert!(matches!(
            misses(&poor, &c)[..],
            [Miss::OverBudget { yen_over: 5_000 }]
        ));
        let far = Needs {
            around: Some((42.0, 140.0, 1_000.0)),
            ..near
        };
        assert!(matches!(misses(&far, &c)[..], [Miss::OutsideArea { .. }]));
    }
}
