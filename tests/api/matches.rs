//! `GET /api/v1/clients/{id}/matches`: rentals ranked for a client. Every match passes
//! every hard filter (checked here against the demo rentals with a distance computed
//! independently), the score is the sum of its parts as returned, and a rental that
//! misses by a little comes back as a near-miss saying by how much.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sumai_link::db::schema::{audit_log, rentals};

use crate::clients::{client_path, consent_to_corp, needs_body, new_client, put_needs, today};
use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::rentals::{DEMO_RENTALS, all_pages, ids, str_of, wait_for_demo_index, with};

const CENTRE: (f64, f64) = (43.0621, 141.3544);
const CLINIC: (f64, f64) = (43.068, 141.35);
const CLINIC_NAME: &str = "さっぽろ駅前クリニック";
/// The clients made by `new_client` want to move in this many days from today.
const MOVE_IN_DAYS: i64 = 60;
/// The search index keeps points in single precision: under a metre off here.
const POINT_PRECISION_M: f64 = 1.0;

async fn demo_app() -> TestApp {
    let app = spawn_app().await;
    wait_for_demo_index(&app).await;
    app
}

/// Every demo rental, as the API shows it.
async fn all_demo(app: &TestApp) -> Vec<Value> {
    let mut all = all_pages(app, "/api/v1/rentals/mine?limit=200", "landlord").await;
    all.extend(all_pages(app, "/api/v1/rentals/mine?limit=200", "landlord2").await);
    assert_eq!(ids(&all).len(), DEMO_RENTALS);
    all
}

/// Great-circle distance in metres (haversine, mean Earth radius), computed here
/// independently of the service.
fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

/// Distance from a rental to a point; `f64::INFINITY` without coordinates.
fn distance(r: &Value, (lat, lon): (f64, f64)) -> f64 {
    match (r["latitude"].as_f64(), r["longitude"].as_f64()) {
        (Some(a), Some(b)) => haversine_m(lat, lon, a, b),
        _ => f64::INFINITY,
    }
}

fn int(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn float(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn accepts_mental(r: &Value) -> bool {
    r["accepted_categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "disability_mental")
}

/// Vacant on `day`: a vacant unit whose move-in date (if any) is on or before it.
fn vacant_by(r: &Value, day: NaiveDate) -> bool {
    r["vacancy"] == "vacant"
        && r["vacant_from"]
            .as_str()
            .is_none_or(|d| d.parse::<NaiveDate>().unwrap() <= day)
}

fn move_by() -> NaiveDate {
    today() + Duration::days(MOVE_IN_DAYS)
}

/// Needs of a client with a mental disability around the demo centre.
fn needs(radius_m: i64, budget: i64) -> Value {
    with(
        needs_body(),
        json!({
            "max_monthly_total": budget,
            "municipalities": [],
            "around": {"lat": CENTRE.0, "lon": CENTRE.1, "radius_m": radius_m},
            "places": [{"kind": "clinic", "name": CLINIC_NAME,
                        "lat": CLINIC.0, "lon": CLINIC.1, "weight": 5}],
            "min_area_m2": 20.0,
            "preferred_layouts": [],
        }),
    )
}

/// A new client of office@ with `needs`; returns its id.
async fn client_with_needs(app: &TestApp, code: &str, needs: Value) -> String {
    let client = new_client(app, code).await;
    assert_eq!(client["target_move_date"], move_by().to_string());
    let id = str_of(&client, "id").to_owned();
    let res = put_needs(app, &id, "office-staff", None, needs).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

async fn matches_of(app: &TestApp, id: &str, account: &str, query: &str) -> Value {
    let res = app
        .get(&format!("{}/matches{query}", client_path(id)), account)
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn part<'a>(m: &'a Value, name: &str) -> &'a Value {
    list(m, "parts")
        .iter()
        .find(|p| p["part"] == name)
        .unwrap_or_else(|| panic!("no {name} part in {m}"))
}

fn rental_id(m: &Value) -> String {
    str_of(&m["rental"], "id").to_owned()
}

#[tokio::test]
async fn matches_pass_every_hard_filter_and_are_ranked_by_a_score_shown_part_by_part() {
    let app = demo_app().await;
    let all = all_demo(&app).await;
    let budget = 80_000;
    let fits = |r: &Value| {
        accepts_mental(r) && vacant_by(r, move_by()) && int(r, "monthly_total") <= budget
    };
    // The demo data has fitting rentals within 3 km of the centre; if not, look wider.
    let radius = [3_000, 6_000, 12_000, 25_000]
        .into_iter()
        .find(|r| {
            all.iter()
                .any(|x| fits(x) && distance(x, CENTRE) <= *r as f64 - 5.0)
        })
        .expect("the demo data has a rental for a client with a mental disability");
    let r = radius as f64;
    let id = client_with_needs(&app, "M-0001", needs(radius, budget)).await;

    let body = matches_of(&app, &id, "office", "?limit=200").await;
    let matches = list(&body, "matches");
    assert!(!matches.is_empty(), "{body}");
    let mut last = f64::INFINITY;
    for m in matches {
        let rental = &m["rental"];
        assert!(accepts_mental(rental), "{rental}");
        assert!(vacant_by(rental, move_by()), "{rental}");
        assert!(int(rental, "monthly_total") <= budget, "{rental}");
        assert_eq!(
            int(rental, "monthly_total"),
            int(rental, "rent") + int(rental, "common_fee")
        );
        let d = distance(rental, CENTRE);
        assert!(
            d <= r + POINT_PRECISION_M,
            "{d} m from the centre: {rental}"
        );

        // In descending order of the score, which is the sum of its parts.
        let score = float(m, "score");
        assert!(score <= last, "{score} after {last}");
        last = score;
        assert!((0.0..=100.0).contains(&score));
        let parts = list(m, "parts");
        let points: f64 = parts.iter().map(|p| float(p, "points")).sum();
        let max: f64 = parts.iter().map(|p| float(p, "max")).sum();
        assert!(
            (score - (100.0 * points / max * 10.0).round() / 10.0).abs() < 1e-9,
            "{score} vs {points}/{max}: {m}"
        );
        for p in parts {
            assert!(float(p, "points") >= 0.0, "{p}");
            assert!(float(p, "points") <= float(p, "max") + 1e-9, "{p}");
            assert!(!str_of(p, "reason").is_empty(), "{p}");
        }

        // The distance to the clinic, in metres and in the reason.
        let distances = list(m, "distances");
        assert_eq!(distances.len(), 1, "{m}");
        assert_eq!(distances[0]["name"], CLINIC_NAME);
        assert_eq!(distances[0]["kind"], "clinic");
        let to_clinic = distance(rental, CLINIC);
        let metres = int(&distances[0], "metres") as f64;
        assert!(
            (metres - to_clinic).abs() <= 1.0 + POINT_PRECISION_M,
            "{metres} vs {to_clinic}"
        );
        let dist = part(m, "distance");
        assert!(str_of(dist, "reason").contains(CLINIC_NAME), "{dist}");
        assert!(str_of(dist, "reason").contains("km"), "{dist}");
        // Full marks at the door, half at 1.5 km.
        let expected = float(dist, "max") / (1.0 + metres / 1500.0);
        assert!((float(dist, "points") - expected).abs() < 0.05, "{dist}");

        // The budget: the more headroom, the more points.
        let b = part(m, "budget");
        let total = int(rental, "monthly_total") as f64;
        let headroom = (budget as f64 - total) / budget as f64;
        let expected = float(b, "max") * (0.5 + headroom).min(1.0);
        assert!((float(b, "points") - expected).abs() < 1e-9, "{b}");
        assert!(str_of(b, "reason").contains("予算"), "{b}");
        assert!(str_of(b, "reason").contains("80,000円"), "{b}");
        let area = part(m, "area");
        assert!(str_of(area, "reason").contains("㎡"), "{area}");
        for name in ["step_free", "landlord_conditions", "support"] {
            part(m, name);
        }
    }

    // Exactly what a scan of all rentals finds (those within a metre of the edge may go
    // either way).
    let found: BTreeSet<String> = matches.iter().map(rental_id).collect();
    assert_eq!(found.len(), matches.len(), "a rental is listed twice");
    let sure: BTreeSet<String> = all
        .iter()
        .filter(|x| fits(x) && distance(x, CENTRE) <= r - POINT_PRECISION_M)
        .map(|x| str_of(x, "id").to_owned())
        .collect();
    let maybe: BTreeSet<String> = all
        .iter()
        .filter(|x| fits(x) && distance(x, CENTRE) <= r + POINT_PRECISION_M)
        .map(|x| str_of(x, "id").to_owned())
        .collect();
    assert!(
        sure.is_subset(&found),
        "missing {:?}",
        sure.difference(&found)
    );
    assert!(
        found.is_subset(&maybe),
        "extra {:?}",
        found.difference(&maybe)
    );
    let near = list(&body, "near_misses");
    assert!(
        int(&body, "candidates") as usize >= matches.len() + near.len(),
        "{}",
        body["candidates"]
    );
    for n in near {
        assert!(!found.contains(&rental_id(n)), "{n}");
    }

    // A smaller limit gives the top of the same ranking.
    let top = matches_of(&app, &id, "office", "?limit=3").await;
    let top_ids: Vec<String> = list(&top, "matches").iter().map(rental_id).collect();
    let all_ids: Vec<String> = matches.iter().map(rental_id).collect();
    assert_eq!(top_ids, all_ids[..all_ids.len().min(3)]);
}

#[tokio::test]
async fn a_rental_a_little_over_budget_is_a_near_miss_saying_by_how_much() {
    let app = demo_app().await;
    let mut all = all_demo(&app).await;
    all.sort_by(|a, b| str_of(a, "id").cmp(str_of(b, "id")));
    let radius = 3_000.0;
    let by = move_by();
    let inside = |x: &Value| distance(x, CENTRE) <= radius - 10.0;
    // Near-misses are listed by how many filters they miss, then by id, ten at most: pick
    // a rental that no more than nine others can precede in that list.
    let pick = all
        .iter()
        .filter(|x| accepts_mental(x) && vacant_by(x, by) && inside(x))
        .filter(|x| int(x, "monthly_total") >= 12_000)
        .find(|x| {
            let budget = int(x, "monthly_total") - 2_000;
            let ahead = all
                .iter()
                .filter(|y| str_of(y, "id") < str_of(x, "id"))
                .filter(|y| {
                    accepts_mental(y)
                        && vacant_by(y, by + Duration::days(31))
                        && distance(y, CENTRE) <= radius + 1_000.0 + 10.0
                        && int(y, "monthly_total") <= budget + 5_000
                })
                .filter(|y| {
                    // Surely a match, so not a near-miss.
                    !(vacant_by(y, by) && inside(y) && int(y, "monthly_total") <= budget)
                })
                .count();
            ahead <= 9
        })
        .expect("a vacant rental for a client with a mental disability near the centre");
    let over = str_of(pick, "id").to_owned();
    let budget = int(pick, "monthly_total") - 2_000;
    let id = client_with_needs(&app, "M-0002", needs(3_000, budget)).await;

    let body = matches_of(&app, &id, "office", "?limit=200").await;
    let matches = list(&body, "matches");
    assert!(matches.iter().all(|m| rental_id(m) != over), "{body}");
    for m in matches {
        assert!(int(&m["rental"], "monthly_total") <= budget, "{m}");
    }
    let near = list(&body, "near_misses");
    assert!(near.len() <= 10);
    let miss = near
        .iter()
        .find(|n| rental_id(n) == over)
        .unwrap_or_else(|| panic!("{over} is not a near-miss: {body}"));
    assert_eq!(
        miss["misses"],
        json!([{"filter": "over_budget", "yen_over": 2000}])
    );
    let reasons = list(miss, "reasons");
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].as_str().unwrap().contains("2,000円"), "{miss}");
    assert!(reasons[0].as_str().unwrap().contains("予算"), "{miss}");

    // Every near-miss misses only by a little, and says so.
    let found: BTreeSet<String> = matches.iter().map(rental_id).collect();
    for n in near {
        assert!(!found.contains(&rental_id(n)), "{n}");
        let misses = list(n, "misses");
        assert!(!misses.is_empty(), "{n}");
        assert_eq!(list(n, "reasons").len(), misses.len(), "{n}");
        for m in misses {
            match str_of(m, "filter") {
                "over_budget" | "over_housing_allowance" => {
                    assert!((1..=5_000).contains(&int(m, "yen_over")), "{n}");
                }
                "vacant_too_late" => assert!((1..=30).contains(&int(m, "days_late")), "{n}"),
                "outside_area" => {
                    assert!((0..=1_000).contains(&int(m, "metres_outside")), "{n}");
                }
                other => panic!("{other} is not a near miss: {n}"),
            }
        }
        let rental = &n["rental"];
        assert!(accepts_mental(rental), "{n}");
    }
}

#[tokio::test]
async fn without_a_move_date_or_with_one_past_a_match_is_vacant_today() {
    let app = demo_app().await;
    let all = all_demo(&app).await;
    let staff = app.user_id_of("office-staff").await;
    let budget = 90_000;
    let past = (today() - Duration::days(20)).to_string();
    for (code, target) in [("M-0006", Value::Null), ("M-0007", json!(past))] {
        let body = with(
            crate::clients::client_body(code, &staff),
            json!({"target_move_date": target}),
        );
        let client = crate::clients::create_client(&app, "office-staff", body).await;
        assert_eq!(client["target_move_date"], target);
        let id = str_of(&client, "id").to_owned();
        let res = put_needs(&app, &id, "office-staff", None, needs(6_000, budget)).await;
        assert_eq!(res.status(), StatusCode::OK);

        let body = matches_of(&app, &id, "office", "?limit=200").await;
        let matches = list(&body, "matches");
        assert!(!matches.is_empty(), "{code}: {body}");
        for m in matches {
            assert!(
                vacant_by(&m["rental"], today()),
                "{code}: not vacant today: {m}"
            );
        }
        let found: BTreeSet<String> = matches.iter().map(rental_id).collect();
        let sure: BTreeSet<String> = all
            .iter()
            .filter(|x| {
                accepts_mental(x)
                    && vacant_by(x, today())
                    && int(x, "monthly_total") <= budget
                    && distance(x, CENTRE) <= 6_000.0 - POINT_PRECISION_M
            })
            .map(|x| str_of(x, "id").to_owned())
            .collect();
        assert!(
            sure.is_subset(&found),
            "{code}: missing {:?}",
            sure.difference(&found)
        );
        // A rental free in a few days is not a match yet; if shown, it says how late.
        for n in list(&body, "near_misses") {
            let rental = &n["rental"];
            if !vacant_by(rental, today()) {
                let from: NaiveDate = str_of(rental, "vacant_from").parse().unwrap();
                let late = (from - today()).num_days();
                assert!(
                    list(n, "misses")
                        .iter()
                        .any(|m| m["filter"] == "vacant_too_late" && int(m, "days_late") == late),
                    "{code}: {n}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_municipality_qualifies_rentals_outside_the_radius() {
    let app = demo_app().await;
    let all = all_demo(&app).await;
    let budget = 80_000;
    let id = client_with_needs(
        &app,
        "M-0003",
        with(needs(100, budget), json!({"municipalities": ["011002"]})),
    )
    .await;
    let body = matches_of(&app, &id, "office", "?limit=200").await;
    let found: BTreeSet<String> = list(&body, "matches").iter().map(rental_id).collect();
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|x| {
            accepts_mental(x)
                && vacant_by(x, move_by())
                && int(x, "monthly_total") <= budget
                && (x["municipality_code"] == "011002"
                    || distance(x, CENTRE) <= 100.0 - POINT_PRECISION_M)
        })
        .map(|x| str_of(x, "id").to_owned())
        .collect();
    assert!(!expected.is_empty());
    if expected.len() <= 200 {
        assert_eq!(found, expected);
    } else {
        assert_eq!(found.len(), 200);
        assert!(found.is_subset(&expected));
    }
}

#[tokio::test]
async fn only_the_office_matches_and_only_once_needs_are_recorded() {
    let app = demo_app().await;
    let client = new_client(&app, "M-0004").await;
    let id = str_of(&client, "id").to_owned();
    let path = format!("{}/matches", client_path(&id));

    let res = app.get(&path, "office").await;
    assert_problem(res, 409).await;
    let res = put_needs(&app, &id, "office-staff", None, needs(3_000, 80_000)).await;
    assert_eq!(res.status(), StatusCode::OK);

    for bad in ["0", "201", "-1", "many"] {
        let res = app.get(&format!("{path}?limit={bad}"), "office").await;
        assert_problem(res, 400).await;
    }
    let res = app.get(&format!("{path}?radius=5"), "office").await;
    assert_problem(res, 400).await;

    for account in ["office", "office-staff", "office-viewer"] {
        matches_of(&app, &id, account, "").await;
    }
    for account in [
        "office2",
        "corp",
        "landlord",
        "landlord2",
        "agent",
        "hsc",
        "council",
        "operator",
    ] {
        let res = app.get(&path, account).await;
        assert_problem(res, 404).await;
    }
    // A 居住支援法人 the client shares with reads the client, but the office matches.
    consent_to_corp(&app, &id).await;
    let res = app.get(&client_path(&id), "corp").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get(&path, "corp").await;
    assert_problem(res, 403).await;
    for account in ["office2", "landlord"] {
        let res = app.get(&path, account).await;
        assert_problem(res, 404).await;
    }
    // A client that is not there has no matches.
    let res = app
        .get(
            &format!("{}/matches", client_path(&uuid::Uuid::now_v7().to_string())),
            "office",
        )
        .await;
    assert_problem(res, 404).await;
}

fn conditions_met(body: &Value) -> Vec<String> {
    list(body, "conditions_met")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_consenting_corp_brings_watch_service_and_rent_guarantee() {
    let app = demo_app().await;
    let id = client_with_needs(&app, "M-0005", needs(6_000, 90_000)).await;

    let before = matches_of(&app, &id, "office", "?limit=200").await;
    let met = conditions_met(&before);
    for c in ["support_office", "support_sheet", "emergency_contact"] {
        assert!(met.contains(&c.to_owned()), "{c} in {met:?}");
    }
    assert!(!met.contains(&"watch_service".to_owned()), "{met:?}");
    assert!(!met.contains(&"rent_guarantee".to_owned()), "{met:?}");
    // A landlord asking for 見守り is not fully satisfied yet.
    let asks_watch = |m: &Value| {
        list(&m["rental"], "conditions")
            .iter()
            .any(|c| c == "watch_service")
    };
    for m in list(&before, "matches").iter().filter(|m| asks_watch(m)) {
        let p = part(m, "landlord_conditions");
        assert!(float(p, "points") < float(p, "max"), "{p}");
        assert!(str_of(p, "reason").contains("見守り"), "{p}");
    }

    let consent = consent_to_corp(&app, &id).await;
    let after = matches_of(&app, &id, "office", "?limit=200").await;
    let met = conditions_met(&after);
    assert!(met.contains(&"watch_service".to_owned()), "{met:?}");
    assert!(met.contains(&"rent_guarantee".to_owned()), "{met:?}");
    // Every condition a landlord may ask is now met.
    for m in list(&after, "matches") {
        let p = part(m, "landlord_conditions");
        assert!((float(p, "points") - float(p, "max")).abs() < 1e-9, "{p}");
    }
    assert_eq!(
        list(&after, "matches").len(),
        list(&before, "matches").len(),
        "the consent changes scores, not the hard filters"
    );

    // Withdrawn, the corp's support is gone again.
    let res = app
        .post(
            &format!(
                "{}/consents/{}/withdraw",
                client_path(&id),
                str_of(&consent, "id")
            ),
            "office-staff",
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let withdrawn = matches_of(&app, &id, "office", "?limit=200").await;
    assert!(!conditions_met(&withdrawn).contains(&"watch_service".to_owned()));
}

/// How many `match` entries the audit log has for a client.
async fn match_entries(app: &TestApp, client: &str) -> i64 {
    let client = client.to_owned();
    app.db
        .run(move |conn| {
            Ok(audit_log::table
                .filter(audit_log::action.eq("match"))
                .filter(audit_log::object_id.eq(client))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap()
}

/// Each match is audited, in the read's own transaction. The rows shown are read back
/// from the database: a rental deleted there that the search index still offers
/// (another replica deleted it, and this one has not seen the change yet) is left out,
/// and the others keep their ranks.
#[tokio::test]
async fn each_match_is_audited_and_a_rental_deleted_meanwhile_is_left_out() {
    let app = demo_app().await;
    let id = client_with_needs(&app, "M-0008", needs(6_000, 90_000)).await;
    assert_eq!(match_entries(&app, &id).await, 0);
    let before = matches_of(&app, &id, "office", "?limit=200").await;
    assert_eq!(match_entries(&app, &id).await, 1);
    let ranked: Vec<String> = list(&before, "matches").iter().map(rental_id).collect();
    assert!(ranked.len() >= 3, "{before}");

    // Deleted in the database without an entry in the change log, so that the index's
    // poll never sees the change and keeps offering the rental.
    let gone = ranked[1].clone();
    let target = gone.clone();
    app.db
        .run(move |conn| {
            let now = sumai_link::db::now();
            diesel::update(rentals::table.find(&target))
                .set((
                    rentals::deleted_at.eq(Some(now)),
                    rentals::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let after = matches_of(&app, &id, "office", "?limit=200").await;
    assert_eq!(match_entries(&app, &id).await, 2);
    assert_eq!(
        after["candidates"], before["candidates"],
        "the index still offers the deleted rental"
    );
    let expected: Vec<String> = ranked.iter().filter(|r| **r != gone).cloned().collect();
    let shown: Vec<String> = list(&after, "matches").iter().map(rental_id).collect();
    assert_eq!(shown, expected);
    assert!(
        list(&after, "near_misses")
            .iter()
            .all(|n| rental_id(n) != gone)
    );
    for (a, b) in list(&before, "matches")
        .iter()
        .filter(|m| rental_id(m) != gone)
        .zip(list(&after, "matches"))
    {
        assert_eq!(a, b, "a match other than the deleted rental changed");
    }
}
