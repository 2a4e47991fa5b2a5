//! `/api/v1/rentals`: the register of rentals. Landlords and their agents write; support
//! offices, 居住支援法人, councils and the operator read; other landlords see nothing.
//! Validation names every bad field, updates are JSON merge patches under `If-Match`,
//! deletes are soft and keep the history, and rentals without coordinates are geocoded
//! through a local server that answers like GSI's address search.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use chrono::Months;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app, spawn_app_with};

/// The demo data holds this many rentals.
pub const DEMO_RENTALS: usize = 300;

const SEARCH_PATH: &str = "/address-search/AddressSearch";
/// What the geocoder is asked for the sample's address: prefecture + municipality +
/// street part.
const SAMPLE_QUERY: &str = "北海道札幌市中央区北1条西2丁目1-1";

/// A valid rental in 札幌市 with coordinates (the domain's own test sample).
pub fn sample() -> Value {
    json!({
        "registration_number": "01-000123",
        "registration_date": "2024-04-01",
        "postal_code": "060-0001",
        "prefecture_code": "01",
        "municipality_code": "01100",
        "municipality_name": "札幌市",
        "address_line": "中央区北1条西2丁目1-1",
        "latitude": 43.0621,
        "longitude": 141.3544,
        "building_name": "メゾン北一条",
        "unit_number": "203",
        "structure": "rc",
        "year_built": 1998,
        "quake_resistant": true,
        "floors_total": 5,
        "unit_floor": 2,
        "elevator": true,
        "accessibility": ["step_free_entrance", "handrails"],
        "floor_area_m2": 25.5,
        "layout": "1K",
        "rent": 42000,
        "common_fee": 3000,
        "deposit": 42000,
        "key_money": 0,
        "guarantor_accepted": false,
        "guarantee_company_accepted": true,
        "guarantee_companies": ["全国賃貸保証"],
        "accepted_categories": ["disability_mental", "disability_physical"],
        "conditions": ["watch_service"],
        "vacancy": "vacant"
    })
}

/// The sample with its fields replaced (`null` removes a field).
pub fn with(mut body: Value, changes: Value) -> Value {
    let obj = body.as_object_mut().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            obj.remove(k);
        } else {
            obj.insert(k.clone(), v.clone());
        }
    }
    body
}

/// The sample without coordinates (to be geocoded).
fn without_point() -> Value {
    with(sample(), json!({"latitude": null, "longitude": null}))
}

pub fn etag_of(res: &Response) -> String {
    res.headers()
        .get("etag")
        .expect("ETag header")
        .to_str()
        .unwrap()
        .to_owned()
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

/// Registers a rental as `account`, expecting 201; returns the body.
pub async fn create(app: &TestApp, account: &str, body: Value) -> Value {
    let res = app.post("/api/v1/rentals", account, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Reads a rental as `account`, expecting 200.
pub async fn read(app: &TestApp, id: &str, account: &str) -> Value {
    let res = app.get(&format!("/api/v1/rentals/{id}"), account).await;
    assert_eq!(res.status(), StatusCode::OK, "read {id} as {account}");
    res.json().await.unwrap()
}

/// Every item of a paginated list, following `next_cursor` to the end.
pub async fn all_pages(app: &TestApp, path_and_query: &str, account: &str) -> Vec<Value> {
    let sep = if path_and_query.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path_and_query}{sep}cursor={c}"),
            None => path_and_query.to_owned(),
        };
        let res = app.get(&url, account).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
    panic!("{path_and_query} did not end");
}

pub fn ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|i| str_of(i, "id").to_owned()).collect()
}

/// The demo rentals are stored after the server started; its search index picks them
/// up at its next poll. Waits until it holds all of them.
pub async fn wait_for_demo_index(app: &TestApp) {
    let started = Instant::now();
    loop {
        let res = app.get("/api/v1/rentals?limit=1", "operator").await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        if body["total"].as_u64() == Some(DEMO_RENTALS as u64) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the index never held the demo rentals: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A request with a token of a user that is not a demo account.
async fn send_as(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(e) = if_match {
        req = req.header("If-Match", e);
    }
    req.send().await.unwrap()
}

fn date_in(days: i64) -> String {
    (sumai_link::domain::time::today_tokyo() + chrono::Duration::days(days)).to_string()
}

// ---------------------------------------------------------------------------------------
// Reading and ownership
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_landlord_registers_a_rental_that_readers_see_and_other_landlords_do_not() {
    let app = spawn_app().await;
    let landlord_org = app.org_of("landlord").await;

    let res = app.post("/api/v1/rentals", "landlord", sample()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(etag_of(&res), "\"1\"");
    let location = res
        .headers()
        .get("location")
        .expect("Location")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = res.json().await.unwrap();
    let id = str_of(&body, "id").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(location, format!("/api/v1/rentals/{id}"));

    assert_eq!(body["owner_org_id"], json!(landlord_org));
    assert_eq!(body["agent_org_id"], Value::Null);
    assert_eq!(body["version"], 1);
    assert_eq!(body["rent"], 42000);
    assert_eq!(body["common_fee"], 3000);
    assert_eq!(body["monthly_total"], 45000);
    assert_eq!(
        body["municipality_code"], "011002",
        "6 digits with check digit"
    );
    assert_eq!(body["prefecture_code"], "01");
    assert_eq!(body["layout"], "1K");
    assert_eq!(body["registration_number"], "01-000123");
    assert_eq!(body["unit_number"], "203");
    let categories: HashSet<&str> = body["accepted_categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        HashSet::from(["disability_mental", "disability_physical"])
    );
    let access: HashSet<&str> = body["accessibility"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(access, HashSet::from(["step_free_entrance", "handrails"]));
    assert_eq!(body["conditions"], json!(["watch_service"]));
    assert_eq!(body["geocode_status"], "provided");
    assert_eq!(body["geocode_detail"], Value::Null);
    assert_eq!(body["latitude"], 43.0621);
    assert_eq!(body["longitude"], 141.3544);
    assert_eq!(body["vacancy"], "vacant");
    assert_eq!(body["support_housing"], Value::Null);
    assert!(
        body.get("distance_m").is_none(),
        "no distance outside a search"
    );

    for account in [
        "landlord",
        "office",
        "office-staff",
        "office-viewer",
        "office2",
        "corp",
        "council",
        "hsc",
        "operator",
    ] {
        let res = app.get(&format!("/api/v1/rentals/{id}"), account).await;
        assert_eq!(res.status(), StatusCode::OK, "{account}");
        assert_eq!(etag_of(&res), "\"1\"", "{account}");
        let seen: Value = res.json().await.unwrap();
        assert_eq!(seen, body, "{account} reads what was stored");
    }

    for account in ["landlord2", "agent"] {
        let res = app.get(&format!("/api/v1/rentals/{id}"), account).await;
        let problem = assert_problem(res, 404).await;
        let text = problem.to_string();
        for secret in ["01-000123", "メゾン北一条", "中央区北1条", &landlord_org] {
            assert!(!text.contains(secret), "{account} learns {secret}: {text}");
        }
    }
    // A rental that does not exist looks the same.
    let missing = uuid::Uuid::now_v7();
    let res = app
        .get(&format!("/api/v1/rentals/{missing}"), "landlord2")
        .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn an_agent_registers_for_a_landlord_it_names_and_then_manages_the_rental() {
    let app = spawn_app().await;
    let landlord_org = app.org_of("landlord").await;
    let agent_org = app.org_of("agent").await;

    let body = create(
        &app,
        "agent",
        with(sample(), json!({"owner_org_id": landlord_org})),
    )
    .await;
    let id = str_of(&body, "id").to_owned();
    assert_eq!(body["owner_org_id"], json!(landlord_org));
    assert_eq!(body["agent_org_id"], json!(agent_org));

    // The landlord reads it; another landlord does not.
    assert_eq!(read(&app, &id, "landlord").await["id"], json!(id));
    assert_problem(
        app.get(&format!("/api/v1/rentals/{id}"), "landlord2").await,
        404,
    )
    .await;

    // The agent changes it.
    let res = app
        .patch(
            &format!("/api/v1/rentals/{id}"),
            "agent",
            Some("\"1\""),
            json!({"rent": 50000, "vacancy": "occupied"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), "\"2\"");
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["rent"], 50000);
    assert_eq!(patched["vacancy"], "occupied");
    assert_eq!(patched["owner_org_id"], json!(landlord_org));
    assert_eq!(patched["agent_org_id"], json!(agent_org));

    // And the landlord can still change what its agent registered.
    let res = app
        .patch(
            &format!("/api/v1/rentals/{id}"),
            "landlord",
            Some("\"2\""),
            json!({"rent": 51000}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // An agent cannot hand the rental over to another agent or drop itself.
    let res = app
        .patch(
            &format!("/api/v1/rentals/{id}"),
            "agent",
            Some("\"3\""),
            json!({"agent_org_id": null}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert!(problem_fields(&problem).contains(&"agent_org_id".to_owned()));
}

#[tokio::test]
async fn parties_a_caller_may_not_name_are_field_errors() {
    let app = spawn_app().await;
    let landlord_org = app.org_of("landlord").await;
    let landlord2_org = app.org_of("landlord2").await;
    let agent_org = app.org_of("agent").await;
    let office_org = app.org_of("office").await;
    let before = app.count("rentals").await;

    let cases: Vec<(&str, Value, &str)> = vec![
        // A landlord is not an agent, not even of itself.
        (
            "landlord2",
            json!({"agent_org_id": landlord2_org}),
            "agent_org_id",
        ),
        // A landlord registers only its own rentals.
        (
            "landlord2",
            json!({"owner_org_id": landlord_org}),
            "owner_org_id",
        ),
        // The agent named must be a real-estate agent.
        (
            "landlord",
            json!({"agent_org_id": office_org}),
            "agent_org_id",
        ),
        (
            "landlord",
            json!({"agent_org_id": uuid::Uuid::now_v7().to_string()}),
            "agent_org_id",
        ),
        // An agent names the landlord it acts for…
        ("agent", json!({}), "owner_org_id"),
        // …which must be a landlord…
        ("agent", json!({"owner_org_id": office_org}), "owner_org_id"),
        ("agent", json!({"owner_org_id": agent_org}), "owner_org_id"),
        ("agent", json!({"owner_org_id": "yamada"}), "owner_org_id"),
        // …and registers as itself.
        (
            "agent",
            json!({"owner_org_id": landlord_org, "agent_org_id": landlord2_org}),
            "agent_org_id",
        ),
    ];
    for (account, changes, field) in cases {
        let body = with(sample(), changes.clone());
        let res = app.post("/api/v1/rentals", account, body).await;
        let problem = assert_problem(res, 422).await;
        let fields = problem_fields(&problem);
        assert!(
            fields.contains(&field.to_owned()),
            "{account} {changes}: {field} not in {fields:?}"
        );
    }
    assert_eq!(app.count("rentals").await, before, "nothing was stored");

    // A landlord may name a real agent that manages the rental.
    let body = create(
        &app,
        "landlord",
        with(sample(), json!({"agent_org_id": agent_org})),
    )
    .await;
    assert_eq!(body["owner_org_id"], json!(landlord_org));
    assert_eq!(body["agent_org_id"], json!(agent_org));
}

#[tokio::test]
async fn only_landlord_and_agent_staff_register_and_viewers_do_not_change() {
    let app = spawn_app().await;
    let before = app.count("rentals").await;
    for account in [
        "office",
        "office-staff",
        "office-viewer",
        "office2",
        "corp",
        "hsc",
        "council",
        "operator",
    ] {
        let res = app.post("/api/v1/rentals", account, sample()).await;
        assert_problem(res, 403).await;
    }

    // A viewer of the landlord's organisation.
    let res = app
        .post(
            "/api/v1/users",
            "landlord",
            json!({
                "role": "viewer",
                "email": "viewer@yamada.example",
                "display_name": "山田 花子",
                "password": "a-viewer-password-2026",
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .login_response("viewer@yamada.example", "a-viewer-password-2026")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = send_as(
        &app,
        &token,
        Method::POST,
        "/api/v1/rentals",
        Some(sample()),
        None,
    )
    .await;
    assert_problem(res, 403).await;
    assert_eq!(app.count("rentals").await, before, "nothing was stored");

    let rental = create(&app, "landlord", sample()).await;
    let path = format!("/api/v1/rentals/{}", str_of(&rental, "id"));
    let res = send_as(&app, &token, Method::GET, &path, None, None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a viewer reads its own rentals"
    );
    let res = send_as(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"rent": 1000})),
        Some("\"1\""),
    )
    .await;
    assert_problem(res, 403).await;
    let res = send_as(&app, &token, Method::DELETE, &path, None, None).await;
    assert_problem(res, 403).await;
    let res = send_as(
        &app,
        &token,
        Method::GET,
        &format!("{path}/history"),
        None,
        None,
    )
    .await;
    assert_problem(res, 403).await;

    // Readers of the register do not write either; other landlords do not see it.
    let res = app
        .patch(&path, "office", Some("\"1\""), json!({"rent": 1000}))
        .await;
    assert_problem(res, 403).await;
    assert_problem(app.delete(&path, "corp").await, 403).await;
    let res = app
        .patch(&path, "landlord2", Some("\"1\""), json!({"rent": 1000}))
        .await;
    assert_problem(res, 404).await;
    assert_problem(app.delete(&path, "agent").await, 404).await;

    let stored = read(&app, str_of(&rental, "id"), "landlord").await;
    assert_eq!(stored, rental, "unchanged");
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn each_bad_field_is_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let before = app.count("rentals").await;
    let history_before = app.count("rental_history").await;
    let three_years = sumai_link::domain::time::today_tokyo()
        .checked_add_months(Months::new(36))
        .unwrap()
        .to_string();
    let cases: Vec<(Value, &str)> = vec![
        (json!({"rent": 0}), "rent"),
        (json!({"rent": -42000}), "rent"),
        (json!({"rent": 100_000_000}), "rent"),
        (json!({"floor_area_m2": 0}), "floor_area_m2"),
        (json!({"floor_area_m2": 12345.0}), "floor_area_m2"),
        (json!({"unit_floor": 6, "floors_total": 5}), "unit_floor"),
        (json!({"latitude": 51.5, "longitude": -0.1}), "latitude"),
        (json!({"latitude": 43.06, "longitude": -0.1}), "longitude"),
        (json!({"registration_number": "123"}), "registration_number"),
        (
            json!({"registration_number": "13-000001"}),
            "registration_number",
        ),
        (
            json!({"registration_date": date_in(30)}),
            "registration_date",
        ),
        (
            json!({"registration_date": "2024-02-30"}),
            "registration_date",
        ),
        (
            json!({"vacancy": "vacant", "vacant_from": three_years}),
            "vacant_from",
        ),
        (json!({"layout": "7LDK"}), "layout"),
        (
            json!({"accepted_categories": ["pirates"]}),
            "accepted_categories[0]",
        ),
        (
            json!({"accepted_categories": ["elderly", "pirates"]}),
            "accepted_categories[1]",
        ),
        (json!({"accepted_categories": []}), "accepted_categories"),
        (json!({"accessibility": ["lift"]}), "accessibility[0]"),
        (json!({"municipality_code": "13101"}), "municipality_code"),
        (json!({"municipality_code": "011009"}), "municipality_code"),
        (json!({"longitude": null}), "longitude"),
        (json!({"latitude": null}), "latitude"),
        (json!({"structure": "straw"}), "structure"),
        (json!({"postal_code": "060-001"}), "postal_code"),
        (json!({"year_built": 1800}), "year_built"),
    ];
    for (changes, field) in cases {
        let res = app
            .post(
                "/api/v1/rentals",
                "landlord",
                with(sample(), changes.clone()),
            )
            .await;
        let problem = assert_problem(res, 422).await;
        let fields = problem_fields(&problem);
        assert!(
            fields.contains(&field.to_owned()),
            "{changes}: {field} not in {fields:?}"
        );
        for e in problem["errors"].as_array().unwrap() {
            assert!(!e["message"].as_str().unwrap_or_default().is_empty(), "{e}");
        }
    }

    // Every problem at once.
    let res = app
        .post(
            "/api/v1/rentals",
            "landlord",
            with(
                sample(),
                json!({"rent": 0, "layout": "7LDK", "unit_floor": 9, "accepted_categories": ["pirates"]}),
            ),
        )
        .await;
    let fields: BTreeSet<String> = problem_fields(&assert_problem(res, 422).await)
        .into_iter()
        .collect();
    for f in ["rent", "layout", "unit_floor", "accepted_categories[0]"] {
        assert!(fields.contains(f), "{f} not in {fields:?}");
    }

    // A field the API does not know, or a value of the wrong type, is a bad request.
    let res = app
        .post(
            "/api/v1/rentals",
            "landlord",
            with(sample(), json!({"colour": "red"})),
        )
        .await;
    let problem = assert_problem(res, 400).await;
    assert!(problem.to_string().contains("colour"), "{problem}");
    let res = app
        .post(
            "/api/v1/rentals",
            "landlord",
            with(sample(), json!({"rent": "42000円"})),
        )
        .await;
    assert_problem(res, 400).await;

    assert_eq!(app.count("rentals").await, before, "nothing was stored");
    assert_eq!(app.count("rental_history").await, history_before);

    // A registration number and unit number are registered once.
    create(&app, "landlord", sample()).await;
    for account in ["landlord", "landlord2"] {
        let res = app.post("/api/v1/rentals", account, sample()).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem_fields(&problem), vec!["registration_number"]);
    }
    // Another unit under the same number is fine.
    create(
        &app,
        "landlord",
        with(sample(), json!({"unit_number": "204"})),
    )
    .await;
    assert_eq!(app.count("rentals").await, before + 2);
}

// ---------------------------------------------------------------------------------------
// Updates
// ---------------------------------------------------------------------------------------

/// The fields a change of rent leaves as they were.
fn without_changing(v: &Value) -> Value {
    with(
        v.clone(),
        json!({"rent": null, "monthly_total": null, "version": null, "updated_at": null}),
    )
}

#[tokio::test]
async fn a_patch_is_a_merge_patch_under_if_match() {
    let app = spawn_app().await;
    let landlord2_org = app.org_of("landlord2").await;
    let created = create(&app, "landlord", sample()).await;
    let id = str_of(&created, "id").to_owned();
    let path = format!("/api/v1/rentals/{id}");

    let res = app
        .patch(&path, "landlord", Some("\"1\""), json!({"rent": 45000}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), "\"2\"");
    let patched: Value = res.json().await.unwrap();
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["rent"], 45000);
    assert_eq!(patched["monthly_total"], 48000);
    assert_eq!(
        without_changing(&patched),
        without_changing(&created),
        "the other fields stay"
    );
    assert!(str_of(&patched, "updated_at") >= str_of(&created, "updated_at"));
    let res = app.get(&path, "office").await;
    assert_eq!(etag_of(&res), "\"2\"");
    assert_eq!(res.json::<Value>().await.unwrap(), patched);

    // Without If-Match: 428; with a stale one: 412; with garbage: 400.
    let res = app
        .patch(&path, "landlord", None, json!({"rent": 46000}))
        .await;
    assert_problem(res, 428).await;
    let res = app
        .patch(&path, "landlord", Some("\"1\""), json!({"rent": 46000}))
        .await;
    assert_problem(res, 412).await;
    let res = app
        .patch(&path, "landlord", Some("yesterday"), json!({"rent": 46000}))
        .await;
    assert_problem(res, 400).await;

    // An invalid result is refused whole and nothing changes.
    for (changes, field) in [
        (json!({"rent": -5}), "rent"),
        (json!({"unit_floor": 12}), "unit_floor"),
        (json!({"layout": "7LDK", "rent": 47000}), "layout"),
        (json!({"latitude": 51.5}), "latitude"),
        (json!({"owner_org_id": landlord2_org}), "owner_org_id"),
    ] {
        let res = app
            .patch(&path, "landlord", Some("\"2\""), changes.clone())
            .await;
        let problem = assert_problem(res, 422).await;
        let fields = problem_fields(&problem);
        assert!(
            fields.contains(&field.to_owned()),
            "{changes}: {field} not in {fields:?}"
        );
    }
    let res = app
        .patch(&path, "landlord", Some("\"2\""), json!({"colour": "red"}))
        .await;
    assert_problem(res, 400).await;
    let res = app
        .patch(&path, "landlord", Some("\"2\""), json!(["rent", 1]))
        .await;
    assert_problem(res, 400).await;
    let stored = read(&app, &id, "landlord").await;
    assert_eq!(stored, patched, "unchanged by the refused patches");

    // `null` clears an optional field; an absent one stays.
    let res = app
        .patch(
            &path,
            "landlord",
            Some("\"2\""),
            json!({"notes": "角部屋、日当たり良好", "building_name": null}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["notes"], "角部屋、日当たり良好");
    assert_eq!(body["building_name"], Value::Null);
    assert_eq!(body["rent"], 45000);
    assert_eq!(body["version"], 3);
    let res = app
        .patch(&path, "landlord", Some("\"3\""), json!({"notes": null}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["notes"], Value::Null);
}

// ---------------------------------------------------------------------------------------
// Deletion and history
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_deleted_rental_is_gone_but_its_history_stays_with_the_landlord() {
    let app = spawn_app().await;
    wait_for_demo_index(&app).await;
    let landlord_user = app.user_id_of("landlord").await;
    let landlord_org = app.org_of("landlord").await;
    let created = create(&app, "landlord", sample()).await;
    let id = str_of(&created, "id").to_owned();
    let path = format!("/api/v1/rentals/{id}");
    let res = app
        .patch(&path, "landlord", Some("\"1\""), json!({"rent": 45000}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let search = "/api/v1/rentals?municipality_code=011002&limit=200";
    for account in ["landlord", "office"] {
        let found = ids(&all_pages(&app, search, account).await);
        assert!(found.contains(&id), "{account} finds it before");
    }

    // Readers and other landlords do not delete it.
    assert_problem(app.delete(&path, "office").await, 403).await;
    assert_problem(app.delete(&path, "landlord2").await, 404).await;

    let res = app.delete(&path, "landlord").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(res.bytes().await.unwrap().is_empty());

    for account in ["landlord", "office", "operator"] {
        assert_problem(app.get(&path, account).await, 404).await;
        let found = ids(&all_pages(&app, search, account).await);
        assert!(!found.contains(&id), "{account} still finds it");
    }
    let mine = ids(&all_pages(&app, "/api/v1/rentals/mine?limit=200", "landlord").await);
    assert!(!mine.contains(&id));
    assert_problem(app.delete(&path, "landlord").await, 404).await;
    let res = app
        .patch(&path, "landlord", Some("\"3\""), json!({"rent": 1000}))
        .await;
    assert_problem(res, 404).await;
    // Still stored (soft delete).
    assert_eq!(
        app.count("rentals").await,
        i64::try_from(DEMO_RENTALS).unwrap() + 1
    );

    let res = app.get(&format!("{path}/history"), "landlord").await;
    assert_eq!(res.status(), StatusCode::OK);
    let history: Vec<Value> = res.json().await.unwrap();
    let versions: Vec<i64> = history
        .iter()
        .map(|h| h["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2, 3]);
    let actions: Vec<&str> = history.iter().map(|h| str_of(h, "action")).collect();
    assert_eq!(actions, vec!["create", "update", "delete"]);
    for h in &history {
        assert_eq!(h["changed_by_user_id"], json!(landlord_user));
        assert_eq!(h["changed_by_org_id"], json!(landlord_org));
        assert_eq!(h["rental"]["id"], json!(id));
        assert_eq!(h["rental"]["version"], h["version"]);
    }
    assert_eq!(history[0]["rental"]["rent"], 42000);
    assert_eq!(
        history[0]["rental"], created,
        "the first snapshot is what was created"
    );
    assert_eq!(history[1]["rental"]["rent"], 45000);
    assert_eq!(history[2]["rental"]["rent"], 45000);
    let times: Vec<&str> = history.iter().map(|h| str_of(h, "changed_at")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // Readers of the register do not get the history; other landlords see nothing.
    for account in ["office", "corp", "council"] {
        assert_problem(app.get(&format!("{path}/history"), account).await, 403).await;
    }
    for account in ["landlord2", "agent"] {
        assert_problem(app.get(&format!("{path}/history"), account).await, 404).await;
    }
    let missing = uuid::Uuid::now_v7();
    assert_problem(
        app.get(&format!("/api/v1/rentals/{missing}/history"), "landlord")
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn mine_lists_what_an_organisation_owns_or_manages() {
    let app = spawn_app().await;
    let landlord_org = app.org_of("landlord").await;
    let landlord2_org = app.org_of("landlord2").await;
    let agent_org = app.org_of("agent").await;

    let walk = |account: &'static str| {
        let app = &app;
        async move {
            let items = all_pages(app, "/api/v1/rentals/mine?limit=37", account).await;
            let list: Vec<String> = items.iter().map(|i| str_of(i, "id").to_owned()).collect();
            let mut sorted = list.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(list, sorted, "{account}: in id order, no duplicates");
            items
        }
    };

    let landlord = walk("landlord").await;
    assert_eq!(landlord.len(), DEMO_RENTALS / 2);
    for r in &landlord {
        assert!(
            r["owner_org_id"] == json!(landlord_org) || r["agent_org_id"] == json!(landlord_org)
        );
    }
    let landlord2 = walk("landlord2").await;
    assert_eq!(landlord2.len(), DEMO_RENTALS / 2);
    for r in &landlord2 {
        assert_eq!(r["owner_org_id"], json!(landlord2_org));
    }
    assert!(ids(&landlord).is_disjoint(&ids(&landlord2)));

    let agent = walk("agent").await;
    assert_eq!(agent.len(), DEMO_RENTALS / 3);
    for r in &agent {
        assert_eq!(r["agent_org_id"], json!(agent_org));
    }
    let owned: BTreeSet<String> = ids(&landlord).union(&ids(&landlord2)).cloned().collect();
    assert!(ids(&agent).is_subset(&owned));

    // An agent's registration shows for both the landlord and the agent.
    let new = create(
        &app,
        "agent",
        with(sample(), json!({"owner_org_id": landlord_org})),
    )
    .await;
    let id = str_of(&new, "id").to_owned();
    assert!(ids(&walk("landlord").await).contains(&id));
    assert!(ids(&walk("agent").await).contains(&id));
    assert!(!ids(&walk("landlord2").await).contains(&id));

    // Organisations that own nothing list nothing.
    let res = app.get("/api/v1/rentals/mine", "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["next_cursor"], Value::Null);

    assert_problem(
        app.get("/api/v1/rentals/mine?limit=0", "landlord").await,
        400,
    )
    .await;
    assert_problem(
        app.get("/api/v1/rentals/mine?cursor=abc", "landlord").await,
        400,
    )
    .await;
}

// ---------------------------------------------------------------------------------------
// Geocoding
// ---------------------------------------------------------------------------------------

fn feature(code: &str, title: &str, lon: f64, lat: f64) -> Value {
    json!({
        "geometry": {"coordinates": [lon, lat], "type": "Point"},
        "type": "Feature",
        "properties": {"addressCode": code, "title": title}
    })
}

async fn geocoding_app(server: &MockServer) -> TestApp {
    let url = format!("{}{SEARCH_PATH}", server.uri());
    spawn_app_with(&[("SUMAI_GEOCODER_URL", url.as_str())]).await
}

#[tokio::test]
async fn a_rental_without_coordinates_is_geocoded_and_again_when_its_address_changes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .and(query_param("q", SAMPLE_QUERY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([feature(
            "01101",
            "北海道札幌市中央区北一条西二丁目",
            141.35437,
            43.06197
        )])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .and(query_param("q", "北海道札幌市中央区北3条西4丁目1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([feature(
            "01101",
            "北海道札幌市中央区北三条西四丁目",
            141.35069,
            43.06588
        )])))
        .expect(1)
        .mount(&server)
        .await;
    let app = geocoding_app(&server).await;

    let created = create(&app, "landlord", without_point()).await;
    assert_eq!(created["geocode_status"], "geocoded");
    assert_eq!(
        created["latitude"], 43.06197,
        "latitude is GeoJSON's second"
    );
    assert_eq!(created["longitude"], 141.35437);
    assert_eq!(created["geocode_detail"], Value::Null);
    let id = str_of(&created, "id").to_owned();
    let path = format!("/api/v1/rentals/{id}");

    // A change that leaves the address keeps the point without asking again.
    let res = app
        .patch(&path, "landlord", Some("\"1\""), json!({"rent": 43000}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["geocode_status"], "geocoded");
    assert_eq!(body["latitude"], 43.06197);

    // A new address is placed anew.
    let res = app
        .patch(
            &path,
            "landlord",
            Some("\"2\""),
            json!({"address_line": "中央区北3条西4丁目1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["geocode_status"], "geocoded");
    assert_eq!(body["latitude"], 43.06588);
    assert_eq!(body["longitude"], 141.35069);
    assert_eq!(read(&app, &id, "office").await, body);

    // Coordinates given by the landlord win, and are not geocoded.
    let res = app
        .patch(
            &path,
            "landlord",
            Some("\"3\""),
            json!({"latitude": 43.07, "longitude": 141.36}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["geocode_status"], "provided");
    assert_eq!(body["latitude"], 43.07);

    // The geocoded rental is found near its point.
    let near = all_pages(
        &app,
        "/api/v1/rentals?near=43.07,141.36&radius_m=50&limit=200",
        "landlord",
    )
    .await;
    assert!(ids(&near).contains(&id));
    server.verify().await;
}

#[tokio::test]
async fn an_address_the_geocoder_cannot_place_is_saved_without_a_point() {
    let server = MockServer::start().await;
    // The second address is known; everything else is not.
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .and(query_param("q", "北海道札幌市中央区北3条西4丁目1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([feature(
            "01101",
            "北海道札幌市中央区北三条西四丁目",
            141.35069,
            43.06588
        )])))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let app = geocoding_app(&server).await;
    wait_for_demo_index(&app).await;

    let created = create(&app, "landlord", without_point()).await;
    assert_eq!(created["geocode_status"], "failed");
    assert_eq!(created["latitude"], Value::Null);
    assert_eq!(created["longitude"], Value::Null);
    assert_eq!(created["geocode_detail"], "the address was not found");
    let id = str_of(&created, "id").to_owned();
    assert_eq!(
        read(&app, &id, "office").await,
        created,
        "stored as it was shown"
    );

    // Not found near any point, found by its municipality.
    for account in ["landlord", "office"] {
        let near = all_pages(
            &app,
            "/api/v1/rentals?near=43.0621,141.3544&radius_m=50000&limit=200",
            account,
        )
        .await;
        assert!(!near.is_empty());
        assert!(!ids(&near).contains(&id), "{account}: found near a point");
        let by_municipality = all_pages(
            &app,
            "/api/v1/rentals?municipality_code=011002&limit=200",
            account,
        )
        .await;
        assert!(ids(&by_municipality).contains(&id), "{account}");
        let item = by_municipality
            .iter()
            .find(|i| i["id"] == json!(id))
            .unwrap();
        assert_eq!(item["geocode_status"], "failed");
    }

    // A change of something else keeps the failure (no point appears from nowhere).
    let path = format!("/api/v1/rentals/{id}");
    let res = app
        .patch(&path, "landlord", Some("\"1\""), json!({"rent": 43000}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["geocode_status"], "failed");
    assert_eq!(body["latitude"], Value::Null);

    // A corrected address is placed.
    let res = app
        .patch(
            &path,
            "landlord",
            Some("\"2\""),
            json!({"address_line": "中央区北3条西4丁目1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["geocode_status"], "geocoded");
    assert_eq!(body["latitude"], 43.06588);
    assert_eq!(body["geocode_detail"], Value::Null);
    let near = all_pages(
        &app,
        "/api/v1/rentals?near=43.06588,141.35069&radius_m=100&limit=200",
        "office",
    )
    .await;
    assert!(ids(&near).contains(&id));
}

#[tokio::test]
async fn a_geocoder_that_fails_leaves_the_rental_failed_never_placed_wrongly() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_string("maintenance"))
        .mount(&server)
        .await;
    let app = geocoding_app(&server).await;
    let created = create(&app, "landlord", without_point()).await;
    assert_eq!(created["geocode_status"], "failed");
    assert_eq!(created["latitude"], Value::Null);
    assert_eq!(created["longitude"], Value::Null);
    let detail = str_of(&created, "geocode_detail");
    assert!(
        detail.starts_with("the geocoder did not answer"),
        "{detail}"
    );
    assert!(!detail.contains("127.0.0.1"), "{detail}");

    // A point in another city is refused too.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([feature(
            "01203",
            "北海道小樽市稲穂二丁目",
            140.99,
            43.19
        )])))
        .mount(&server)
        .await;
    let other = create(
        &app,
        "landlord",
        with(without_point(), json!({"unit_number": "204"})),
    )
    .await;
    assert_eq!(other["geocode_status"], "failed");
    assert_eq!(other["latitude"], Value::Null);
    assert!(
        str_of(&other, "geocode_detail").contains("小樽市"),
        "{other}"
    );
}

#[tokio::test]
async fn without_a_geocoder_a_rental_without_coordinates_waits_as_pending() {
    let app = spawn_app().await; // SUMAI_GEOCODER_URL=off
    let created = create(&app, "landlord", without_point()).await;
    assert_eq!(created["geocode_status"], "pending");
    assert_eq!(created["latitude"], Value::Null);
}

// ---------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_audit_log_records_each_change_of_a_rental() {
    let app = spawn_app().await;
    let landlord_user = app.user_id_of("landlord").await;
    let landlord_org = app.org_of("landlord").await;
    let created = create(&app, "landlord", sample()).await;
    let id = str_of(&created, "id").to_owned();
    let path = format!("/api/v1/rentals/{id}");
    let res = app
        .patch(&path, "landlord", Some("\"1\""), json!({"rent": 45000}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A refused change leaves no "ok" row.
    let res = app
        .patch(&path, "landlord", Some("\"2\""), json!({"rent": -5}))
        .await;
    assert_problem(res, 422).await;
    assert_eq!(
        app.delete(&path, "landlord").await.status(),
        StatusCode::NO_CONTENT
    );

    let object = id.clone();
    let mut rows = app
        .db
        .run(move |conn| Ok(sumai_link::db::audit::for_object(conn, "rental", &object)?))
        .await
        .unwrap();
    rows.sort_by_key(|r| r.occurred_at);
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, vec!["create", "update", "delete"]);
    for r in &rows {
        assert_eq!(r.object_type, "rental");
        assert_eq!(r.object_id.as_deref(), Some(id.as_str()));
        assert_eq!(r.outcome, "ok");
        assert_eq!(r.actor_user_id.as_deref(), Some(landlord_user.as_str()));
        assert_eq!(
            r.actor_organization_id.as_deref(),
            Some(landlord_org.as_str())
        );
        let detail = &r.detail;
        assert!(
            !detail.contains("中央区"),
            "no address in the audit: {detail}"
        );
    }
}
