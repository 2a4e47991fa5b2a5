//! `/api/v1/clients`: a support office's clients (要配慮個人情報). Only the owning office
//! sees them — and a 居住支援法人 only while the client's consent naming it is active;
//! everyone else gets 404. Lists show pseudonyms, not names. Needs and consents are kept
//! per client, every provision to another organisation is logged for three years, and
//! every read and write is audit-logged without the person's name.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};
use crate::rentals::{all_pages, etag_of, str_of, with};

/// The name of every client these tests create: it must never show up where only the
/// pseudonym may (lists, problems, the audit log).
pub const NAME: &str = "試験 花子";

pub fn today() -> NaiveDate {
    sumai_link::domain::time::today_tokyo()
}

fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).to_string()
}

/// A valid client of office@'s 相談支援専門員 `responsible` (a user id).
pub fn client_body(code: &str, responsible: &str) -> Value {
    json!({
        "display_code": code,
        "name": NAME,
        "name_kana": "シケン ハナコ",
        "date_of_birth": "1979-06-15",
        "categories": ["disability_mental"],
        "current_place": "hospital",
        "current_place_note": "精神科病院に入院中(3年)",
        "target_move_date": day(60),
        "responsible_user_id": responsible,
        "services": [{
            "service": "community_transition",
            "starts_on": day(-30),
            "ends_on": day(150),
        }],
    })
}

/// Registers a client as `account`, expecting 201; returns the body.
pub async fn create_client(app: &TestApp, account: &str, body: Value) -> Value {
    let res = app.post("/api/v1/clients", account, body).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// A new client of office@ registered by office-staff@, with `code` as its pseudonym.
pub async fn new_client(app: &TestApp, code: &str) -> Value {
    let staff = app.user_id_of("office-staff").await;
    create_client(app, "office-staff", client_body(code, &staff)).await
}

pub fn client_path(id: &str) -> String {
    format!("/api/v1/clients/{id}")
}

/// Generous needs around the demo centre in 札幌市.
pub fn needs_body() -> Value {
    json!({
        "max_monthly_total": 80000,
        "housing_allowance_limit": null,
        "municipalities": ["01100"],
        "around": {"lat": 43.0621, "lon": 141.3544, "radius_m": 3000},
        "places": [{
            "kind": "clinic",
            "name": "さっぽろ駅前クリニック",
            "lat": 43.068,
            "lon": 141.35,
            "weight": 5,
        }],
        "accessibility_musts": [],
        "min_area_m2": 20.0,
        "preferred_layouts": ["1K", "1DK"],
        "needs_pets": false,
        "ground_floor_or_elevator": false,
        "own_words": "病院の近くで、静かなところに一人で住みたい。",
    })
}

/// `PUT /clients/{id}/needs` as `account`, with `If-Match` when given.
pub async fn put_needs(
    app: &TestApp,
    id: &str,
    account: &str,
    if_match: Option<&str>,
    body: Value,
) -> Response {
    let mut req = app
        .client
        .put(app.url(&format!("{}/needs", client_path(id))))
        .bearer_auth(app.token(account).await)
        .json(&body);
    if let Some(e) = if_match {
        req = req.header("If-Match", e);
    }
    req.send().await.expect("request")
}

/// Records a written consent (given today) to share the client with corp@, as
/// office-staff@; returns the consent.
pub async fn consent_to_corp(app: &TestApp, id: &str) -> Value {
    let corp = app.org_of("corp").await;
    let res = app
        .post(
            &format!("{}/consents", client_path(id)),
            "office-staff",
            json!({
                "purpose": "share_with_corp",
                "recipient_org_id": corp,
                "method": "written",
                "given_on": today().to_string(),
                "note": "本人が署名",
            }),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Asserts a 404 problem that says nothing about the client.
async fn assert_hidden(res: Response, who: &str) {
    let body = assert_problem(res, 404).await;
    assert!(!body.to_string().contains(NAME), "{who}: {body}");
}

// --- registering and reading ------------------------------------------------------------

#[tokio::test]
async fn a_client_is_registered_by_staff_and_seen_by_its_office_only() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let office = app.org_of("office").await;
    let res = app
        .post(
            "/api/v1/clients",
            "office-staff",
            client_body("A-0001", &staff),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(etag_of(&res), "\"1\"");
    let location = res
        .headers()
        .get("location")
        .expect("Location")
        .to_str()
        .unwrap()
        .to_owned();
    let created: Value = res.json().await.unwrap();
    let id = str_of(&created, "id").to_owned();
    assert_eq!(location, client_path(&id));
    assert_eq!(created["office_org_id"], office.as_str());
    assert_eq!(created["display_code"], "A-0001");
    assert_eq!(created["name"], NAME);
    assert_eq!(created["date_of_birth"], "1979-06-15");
    assert_eq!(created["categories"], json!(["disability_mental"]));
    assert_eq!(created["current_place"], "hospital");
    assert_eq!(created["target_move_date"], day(60));
    assert_eq!(created["responsible_user_id"], staff.as_str());
    assert_eq!(created["status"], "searching");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["services"],
        json!([{"service": "community_transition", "starts_on": day(-30), "ends_on": day(150)}])
    );

    for account in ["office", "office-staff", "office-viewer"] {
        let res = app.get(&client_path(&id), account).await;
        assert_eq!(res.status(), StatusCode::OK, "{account}");
        assert_eq!(etag_of(&res), "\"1\"");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, created, "{account}");
    }
    for account in ["office2", "corp", "landlord", "council", "hsc", "operator"] {
        let res = app.get(&client_path(&id), account).await;
        assert_hidden(res, account).await;
    }
    // Nor can they change or remove it, or see its parts.
    for account in ["office2", "corp", "landlord", "operator"] {
        let res = app
            .patch(
                &client_path(&id),
                account,
                Some("\"1\""),
                client_body("A-0001", &staff),
            )
            .await;
        assert_hidden(res, account).await;
        let res = app.delete(&client_path(&id), account).await;
        assert_hidden(res, account).await;
        for part in ["consents", "provisions", "matches"] {
            let res = app
                .get(&format!("{}/{part}", client_path(&id)), account)
                .await;
            assert_hidden(res, account).await;
        }
    }
    // A client that does not exist is the same 404.
    let res = app
        .get(&client_path(&uuid::Uuid::now_v7().to_string()), "office")
        .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn viewers_do_not_write_staff_do_not_delete_and_lists_show_pseudonyms_only() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let office = app.org_of("office").await;
    let before = app.count("clients").await;
    let res = app
        .post(
            "/api/v1/clients",
            "office-viewer",
            client_body("V-0001", &staff),
        )
        .await;
    assert_problem(res, 403).await;
    assert_eq!(app.count("clients").await, before);

    let a = new_client(&app, "L-0001").await;
    let b = new_client(&app, "L-0002").await;
    let (a_id, b_id) = (str_of(&a, "id").to_owned(), str_of(&b, "id").to_owned());
    let res = app
        .patch(
            &client_path(&a_id),
            "office-viewer",
            Some("\"1\""),
            client_body("L-0001", &staff),
        )
        .await;
    assert_problem(res, 403).await;
    let other = create_client(
        &app,
        "office2",
        with(
            client_body("L-0001", &staff),
            json!({"responsible_user_id": null}),
        ),
    )
    .await;
    let other_id = str_of(&other, "id").to_owned();

    // The office's list: pseudonyms, never names; its own clients only.
    for account in ["office", "office-staff", "office-viewer"] {
        let items = all_pages(&app, "/api/v1/clients?limit=1", account).await;
        let ids: Vec<&str> = items.iter().map(|i| str_of(i, "id")).collect();
        assert!(ids.contains(&a_id.as_str()), "{account}: {ids:?}");
        assert!(ids.contains(&b_id.as_str()), "{account}: {ids:?}");
        assert!(!ids.contains(&other_id.as_str()), "{account}: {ids:?}");
        for item in &items {
            assert!(item.get("name").is_none(), "{item}");
            assert!(item.get("name_kana").is_none(), "{item}");
            assert!(item.get("date_of_birth").is_none(), "{item}");
            assert_eq!(item["office_org_id"], office.as_str());
            assert!(!item.to_string().contains(NAME), "{item}");
        }
        let mine = items.iter().find(|i| i["id"] == a_id.as_str()).unwrap();
        assert_eq!(mine["display_code"], "L-0001");
    }
    let theirs = all_pages(&app, "/api/v1/clients", "office2").await;
    let ids: Vec<&str> = theirs.iter().map(|i| str_of(i, "id")).collect();
    assert!(ids.contains(&other_id.as_str()));
    assert!(!ids.contains(&a_id.as_str()) && !ids.contains(&b_id.as_str()));
    for account in ["landlord", "council", "operator"] {
        let res = app.get("/api/v1/clients", account).await;
        assert_problem(res, 403).await;
    }
    // The 居住支援法人 lists only what is shared with it: nothing yet.
    let shared = all_pages(&app, "/api/v1/clients", "corp").await;
    assert!(
        shared
            .iter()
            .all(|i| i["id"] != a_id.as_str() && i["id"] != b_id.as_str())
    );

    // Staff do not remove clients; the office's admin does, and then it is gone.
    let res = app.delete(&client_path(&a_id), "office-staff").await;
    assert_problem(res, 403).await;
    let res = app.delete(&client_path(&a_id), "office-viewer").await;
    assert_problem(res, 403).await;
    let res = app.get(&client_path(&a_id), "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.delete(&client_path(&a_id), "office").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get(&client_path(&a_id), "office").await;
    assert_problem(res, 404).await;
    let res = app.delete(&client_path(&a_id), "office").await;
    assert_problem(res, 404).await;
    let items = all_pages(&app, "/api/v1/clients", "office").await;
    assert!(items.iter().all(|i| i["id"] != a_id.as_str()));
    assert!(items.iter().any(|i| i["id"] == b_id.as_str()));
}

#[tokio::test]
async fn a_status_filter_finds_every_client_in_that_state_page_by_page() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let (mut housed, mut searching) = (BTreeSet::new(), BTreeSet::new());
    for i in 0..3 {
        let s = new_client(&app, &format!("P-S{i}")).await;
        searching.insert(str_of(&s, "id").to_owned());
        let h = create_client(
            &app,
            "office-staff",
            with(
                client_body(&format!("P-H{i}"), &staff),
                json!({"status": "housed"}),
            ),
        )
        .await;
        assert_eq!(h["status"], "housed");
        housed.insert(str_of(&h, "id").to_owned());
    }
    let everything = all_pages(&app, "/api/v1/clients?limit=200", "office").await;
    for (status, mine) in [("housed", &housed), ("searching", &searching)] {
        let expected: BTreeSet<String> = everything
            .iter()
            .filter(|c| c["status"] == status)
            .map(|c| str_of(c, "id").to_owned())
            .collect();
        assert!(mine.is_subset(&expected));
        for limit in [1, 2, 200] {
            let items = all_pages(
                &app,
                &format!("/api/v1/clients?status={status}&limit={limit}"),
                "office",
            )
            .await;
            assert!(items.iter().all(|c| c["status"] == status), "{items:?}");
            let found: BTreeSet<String> =
                items.iter().map(|c| str_of(c, "id").to_owned()).collect();
            assert_eq!(found, expected, "status={status}&limit={limit}");
            assert_eq!(found.len(), items.len());
        }
    }
    let res = app.get("/api/v1/clients?status=moved", "office").await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem_fields(&problem), vec!["status"]);
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let office2_user = app.user_id_of("office2").await;
    let good = client_body("B-0001", &staff);
    create_client(&app, "office-staff", good.clone()).await;
    let before = app.count("clients").await;
    let services_before = app.count("client_services").await;

    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "born tomorrow",
            json!({"date_of_birth": day(1), "display_code": "B-0002"}),
            "date_of_birth",
        ),
        (
            "not a date",
            json!({"date_of_birth": "1979-02-30", "display_code": "B-0002"}),
            "date_of_birth",
        ),
        (
            "no category",
            json!({"categories": [], "display_code": "B-0002"}),
            "categories",
        ),
        (
            "unknown category",
            json!({"categories": ["disability_mental", "dragons"], "display_code": "B-0002"}),
            "categories[1]",
        ),
        (
            "unknown place",
            json!({"current_place": "moon", "display_code": "B-0002"}),
            "current_place",
        ),
        (
            "a name as the code",
            json!({"display_code": "山田花子"}),
            "display_code",
        ),
        (
            "a space in the code",
            json!({"display_code": "B 0002"}),
            "display_code",
        ),
        ("an empty code", json!({"display_code": ""}), "display_code"),
        ("a duplicate code", json!({}), "display_code"),
        (
            "another office's worker",
            json!({"responsible_user_id": office2_user, "display_code": "B-0002"}),
            "responsible_user_id",
        ),
        (
            "no such worker",
            json!({"responsible_user_id": "not-a-uuid", "display_code": "B-0002"}),
            "responsible_user_id",
        ),
        (
            "a service ending before it starts",
            json!({"display_code": "B-0002", "services": [
                {"service": "community_transition", "starts_on": day(-30), "ends_on": day(-31)}
            ]}),
            "services[0].ends_on",
        ),
        (
            "a service starting on no date",
            json!({"display_code": "B-0002", "services": [
                {"service": "community_settlement", "starts_on": "someday", "ends_on": null}
            ]}),
            "services[0].starts_on",
        ),
    ];
    for (what, changes, field) in cases {
        let res = app
            .post(
                "/api/v1/clients",
                "office-staff",
                with(good.clone(), changes),
            )
            .await;
        let problem = assert_problem(res, 422).await;
        assert!(
            problem_fields(&problem).contains(&field.to_owned()),
            "{what}: {problem}"
        );
        assert!(!problem.to_string().contains(NAME), "{what}: {problem}");
        assert_eq!(app.count("clients").await, before, "{what}");
        assert_eq!(
            app.count("client_services").await,
            services_before,
            "{what}"
        );
    }

    // All the bad fields at once are all named.
    let res = app
        .post(
            "/api/v1/clients",
            "office-staff",
            with(
                good.clone(),
                json!({"date_of_birth": day(1), "categories": [], "current_place": "moon",
                       "display_code": "B 1"}),
            ),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    let fields = problem_fields(&problem);
    for f in [
        "date_of_birth",
        "categories",
        "current_place",
        "display_code",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    assert_eq!(app.count("clients").await, before);

    // The same pseudonym in another office is no clash.
    let theirs = create_client(
        &app,
        "office2",
        with(good.clone(), json!({"responsible_user_id": office2_user})),
    )
    .await;
    assert_eq!(theirs["display_code"], "B-0001");
    assert_eq!(app.count("clients").await, before + 1);
}

#[tokio::test]
async fn an_update_replaces_the_record_under_if_match() {
    let app = spawn_app().await;
    let staff = app.user_id_of("office-staff").await;
    let admin = app.user_id_of("office").await;
    let created = new_client(&app, "C-0001").await;
    let id = str_of(&created, "id").to_owned();
    let changed = with(
        client_body("C-0001", &admin),
        json!({
            "current_place": "group_home",
            "current_place_note": null,
            "target_move_date": day(90),
            "status": "searching",
            "services": [
                {"service": "planning_consultation", "starts_on": day(-400), "ends_on": null},
                {"service": "community_settlement", "starts_on": day(100), "ends_on": day(465)},
            ],
        }),
    );

    let res = app
        .patch(&client_path(&id), "office-staff", None, changed.clone())
        .await;
    assert_problem(res, 428).await;
    let res = app
        .patch(
            &client_path(&id),
            "office-staff",
            Some("\"7\""),
            changed.clone(),
        )
        .await;
    assert_problem(res, 412).await;
    let res = app.get(&client_path(&id), "office").await;
    let unchanged: Value = res.json().await.unwrap();
    assert_eq!(unchanged, created);

    let res = app
        .patch(
            &client_path(&id),
            "office-staff",
            Some("\"1\""),
            changed.clone(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), "\"2\"");
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["current_place"], "group_home");
    assert!(updated["current_place_note"].is_null());
    assert_eq!(updated["target_move_date"], day(90));
    assert_eq!(updated["responsible_user_id"], admin.as_str());
    assert_eq!(
        updated["services"],
        json!([
            {"service": "planning_consultation", "starts_on": day(-400), "ends_on": null},
            {"service": "community_settlement", "starts_on": day(100), "ends_on": day(465)},
        ])
    );
    assert_eq!(updated["created_at"], created["created_at"]);
    let res = app.get(&client_path(&id), "office-viewer").await;
    assert_eq!(etag_of(&res), "\"2\"");
    let read: Value = res.json().await.unwrap();
    assert_eq!(read, updated);

    // The ETag read before the update is stale now.
    let res = app
        .patch(&client_path(&id), "office", Some("\"1\""), changed.clone())
        .await;
    assert_problem(res, 412).await;
    // An update is validated like a registration, and a bad one changes nothing.
    let res = app
        .patch(
            &client_path(&id),
            "office",
            Some("\"2\""),
            with(changed.clone(), json!({"categories": []})),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), vec!["categories"]);
    let other = new_client(&app, "C-0002").await;
    let res = app
        .patch(
            &client_path(str_of(&other, "id")),
            "office",
            Some("\"1\""),
            with(
                changed.clone(),
                json!({"responsible_user_id": staff, "display_code": "C-0001"}),
            ),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), vec!["display_code"]);
    let res = app.get(&client_path(&id), "office").await;
    let still: Value = res.json().await.unwrap();
    assert_eq!(still, updated);
}

// --- needs ------------------------------------------------------------------------------

#[tokio::test]
async fn needs_are_saved_first_without_and_then_with_if_match() {
    let app = spawn_app().await;
    let client = new_client(&app, "N-0001").await;
    let id = str_of(&client, "id").to_owned();
    let needs_path = format!("{}/needs", client_path(&id));

    let res = app.get(&needs_path, "office").await;
    assert_problem(res, 404).await;

    let res = put_needs(&app, &id, "office-staff", None, needs_body()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), "\"1\"");
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["max_monthly_total"], 80000);
    // The municipality code is stored with its check digit.
    assert_eq!(saved["municipalities"], json!(["011002"]));
    assert_eq!(saved["around"], needs_body()["around"]);
    assert_eq!(saved["places"], needs_body()["places"]);
    assert_eq!(saved["preferred_layouts"], json!(["1K", "1DK"]));
    assert_eq!(saved["own_words"], needs_body()["own_words"]);
    assert_eq!(
        saved["updated_by_user_id"],
        app.user_id_of("office-staff").await.as_str()
    );
    for account in ["office", "office-staff", "office-viewer"] {
        let res = app.get(&needs_path, account).await;
        assert_eq!(res.status(), StatusCode::OK, "{account}");
        assert_eq!(etag_of(&res), "\"1\"");
        let read: Value = res.json().await.unwrap();
        assert_eq!(read, saved);
    }
    for account in ["office2", "corp", "landlord", "council", "operator"] {
        let res = app.get(&needs_path, account).await;
        assert_hidden(res, account).await;
        let res = put_needs(&app, &id, account, Some("\"1\""), needs_body()).await;
        assert_hidden(res, account).await;
    }
    let res = put_needs(&app, &id, "office-viewer", Some("\"1\""), needs_body()).await;
    assert_problem(res, 403).await;

    let changed = with(
        needs_body(),
        json!({
            "max_monthly_total": 46000,
            "housing_allowance_limit": 36000,
            "accessibility_musts": ["handrails"],
            "ground_floor_or_elevator": true,
            "needs_pets": true,
        }),
    );
    let res = put_needs(&app, &id, "office-staff", None, changed.clone()).await;
    assert_problem(res, 428).await;
    let res = put_needs(&app, &id, "office-staff", Some("\"5\""), changed.clone()).await;
    assert_problem(res, 412).await;
    let res = app.get(&needs_path, "office").await;
    let unchanged: Value = res.json().await.unwrap();
    assert_eq!(unchanged, saved);

    let res = put_needs(&app, &id, "office-staff", Some("\"1\""), changed.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), "\"2\"");
    let saved2: Value = res.json().await.unwrap();
    assert_eq!(saved2["version"], 2);
    assert_eq!(saved2["max_monthly_total"], 46000);
    assert_eq!(saved2["housing_allowance_limit"], 36000);
    assert_eq!(saved2["accessibility_musts"], json!(["handrails"]));
    assert_eq!(saved2["ground_floor_or_elevator"], true);
    assert_eq!(saved2["needs_pets"], true);
    let res = put_needs(&app, &id, "office-staff", Some("\"1\""), changed).await;
    assert_problem(res, 412).await;

    // No needs for a client that is not there.
    let res = put_needs(
        &app,
        &uuid::Uuid::now_v7().to_string(),
        "office",
        None,
        needs_body(),
    )
    .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn every_bad_need_is_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let client = new_client(&app, "N-0002").await;
    let id = str_of(&client, "id").to_owned();
    let good = needs_body();
    let needs_before = app.count("client_needs").await;
    let place = |changes: Value| json!([with(good["places"][0].clone(), changes)]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no budget",
            json!({"max_monthly_total": 0}),
            "max_monthly_total",
        ),
        (
            "a housing allowance limit of a million",
            json!({"housing_allowance_limit": 1_000_000}),
            "housing_allowance_limit",
        ),
        (
            "a radius of 50 m",
            json!({"around": {"lat": 43.0621, "lon": 141.3544, "radius_m": 50}}),
            "around.radius_m",
        ),
        (
            "a centre in the sea",
            json!({"around": {"lat": 10.0, "lon": 141.3544, "radius_m": 3000}}),
            "around.lat",
        ),
        (
            "a weight of 9",
            json!({"places": place(json!({"weight": 9}))}),
            "places[0].weight",
        ),
        (
            "a weight of 0",
            json!({"places": place(json!({"weight": 0}))}),
            "places[0].weight",
        ),
        (
            "a clinic in London",
            json!({"places": place(json!({"lat": 51.5, "lon": -0.12}))}),
            "places[0].lat",
        ),
        (
            "a clinic west of Japan",
            json!({"places": place(json!({"lon": 100.0}))}),
            "places[0].lon",
        ),
        (
            "a place without a name",
            json!({"places": place(json!({"name": ""}))}),
            "places[0].name",
        ),
        (
            "an unknown feature",
            json!({"accessibility_musts": ["handrails", "escalator"]}),
            "accessibility_musts[1]",
        ),
        (
            "a bad layout",
            json!({"preferred_layouts": ["1K", "9Q"]}),
            "preferred_layouts[1]",
        ),
        (
            "a bad municipality",
            json!({"municipalities": ["abc"]}),
            "municipalities[0]",
        ),
        (
            "a municipality with the wrong check digit",
            json!({"municipalities": ["011001"]}),
            "municipalities[0]",
        ),
        ("a tiny flat", json!({"min_area_m2": 1.0}), "min_area_m2"),
    ];
    for (what, changes, field) in cases {
        let res = put_needs(&app, &id, "office-staff", None, with(good.clone(), changes)).await;
        let problem = assert_problem(res, 422).await;
        assert!(
            problem_fields(&problem).contains(&field.to_owned()),
            "{what}: {problem}"
        );
        assert_eq!(app.count("client_needs").await, needs_before, "{what}");
    }
    let res = app
        .get(&format!("{}/needs", client_path(&id)), "office")
        .await;
    assert_problem(res, 404).await;
    // And the good ones are still saved.
    let res = put_needs(&app, &id, "office-staff", None, good).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count("client_needs").await, needs_before + 1);
}

// --- consents and the provision log -------------------------------------------------------

/// Three years on (a 29 February becomes the 28th).
fn three_years_after(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year() + 3, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(d.year() + 3, d.month(), d.day() - 1))
        .unwrap()
}

#[tokio::test]
async fn a_consent_shares_the_client_with_the_named_corp_until_it_is_withdrawn() {
    let app = spawn_app().await;
    let corp_org = app.org_of("corp").await;
    let client = new_client(&app, "S-0001").await;
    let id = str_of(&client, "id").to_owned();
    let res = put_needs(&app, &id, "office-staff", None, needs_body()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let consents_path = format!("{}/consents", client_path(&id));
    let consents_before = app.count("consents").await;
    let provisions_path = format!("{}/provisions", client_path(&id));

    // Before the consent: nothing for the corp, and nothing has gone out.
    let res = app.get(&client_path(&id), "corp").await;
    assert_hidden(res, "corp").await;
    let res = app.get(&provisions_path, "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!([]));

    let consent = consent_to_corp(&app, &id).await;
    let consent_id = str_of(&consent, "id").to_owned();
    assert_eq!(consent["purpose"], "share_with_corp");
    assert_eq!(consent["recipient_org_id"], corp_org.as_str());
    assert_eq!(consent["method"], "written");
    assert_eq!(consent["given_on"], today().to_string());
    assert_eq!(consent["active"], true);
    assert!(consent["withdrawn_at"].is_null());
    assert_eq!(
        consent["recorded_by_user_id"],
        app.user_id_of("office-staff").await.as_str()
    );
    let res = app.get(&consents_path, "office-viewer").await;
    assert_eq!(res.status(), StatusCode::OK);
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed, json!([consent]));

    // The corp reads the client and its needs, and each read is a provision.
    let res = app.get(&client_path(&id), "corp").await;
    assert_eq!(res.status(), StatusCode::OK);
    let seen: Value = res.json().await.unwrap();
    assert_eq!(seen["name"], NAME);
    let res = app
        .get(&format!("{}/needs", client_path(&id)), "corp")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let needs: Value = res.json().await.unwrap();
    assert_eq!(needs["max_monthly_total"], 80000);
    let res = app.get(&provisions_path, "office").await;
    let before_list = res.json::<Vec<Value>>().await.unwrap().len();
    let shared = all_pages(&app, "/api/v1/clients", "corp").await;
    let mine: Vec<&Value> = shared.iter().filter(|c| c["id"] == id.as_str()).collect();
    assert_eq!(mine.len(), 1, "{shared:?}");
    assert!(mine[0].get("name").is_none());
    assert_eq!(mine[0]["display_code"], "S-0001");
    // What the list shows of the client went out too: it is a provision as well.
    let res = app.get(&provisions_path, "office").await;
    assert_eq!(
        res.json::<Vec<Value>>().await.unwrap().len(),
        before_list + 1
    );

    // It reads; it does not write, nor see the office's own records.
    let staff = app.user_id_of("office-staff").await;
    let res = app
        .patch(
            &client_path(&id),
            "corp",
            Some("\"1\""),
            client_body("S-0001", &staff),
        )
        .await;
    assert_problem(res, 403).await;
    let res = put_needs(&app, &id, "corp", Some("\"1\""), needs_body()).await;
    assert_problem(res, 403).await;
    let res = app.delete(&client_path(&id), "corp").await;
    assert_problem(res, 403).await;
    let res = app.get(&consents_path, "corp").await;
    assert_problem(res, 403).await;
    let res = app.get(&provisions_path, "corp").await;
    assert_problem(res, 403).await;
    let res = app
        .post(
            &consents_path,
            "corp",
            json!({"purpose": "share_with_corp", "recipient_org_id": corp_org,
                   "method": "oral", "given_on": today().to_string()}),
        )
        .await;
    assert_problem(res, 403).await;
    assert_eq!(app.count("consents").await, consents_before + 1);
    // Others still see nothing.
    for account in ["office2", "landlord", "hsc", "council", "operator"] {
        let res = app.get(&client_path(&id), account).await;
        assert_hidden(res, account).await;
    }

    let res = app.get(&provisions_path, "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    let provisions: Vec<Value> = res.json().await.unwrap();
    let items: Vec<&str> = provisions.iter().map(|p| str_of(p, "items")).collect();
    assert!(items.contains(&"client"), "{items:?}");
    assert!(items.contains(&"needs"), "{items:?}");
    assert!(items.contains(&"client_summary"), "{items:?}");
    let corp_user = app.user_id_of("corp").await;
    let keep = three_years_after(today()).to_string();
    for p in &provisions {
        assert_eq!(p["recipient_org_id"], corp_org.as_str(), "{p}");
        assert_eq!(p["consent_id"], consent_id.as_str(), "{p}");
        assert_eq!(p["purpose"], "share_with_corp", "{p}");
        assert_eq!(p["provided_by_user_id"], corp_user.as_str(), "{p}");
        assert_eq!(p["keep_until"], keep.as_str(), "{p}");
    }
    // The office's own reads are not provisions.
    let n = provisions.len();
    let res = app.get(&client_path(&id), "office").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get(&provisions_path, "office").await;
    assert_eq!(res.json::<Vec<Value>>().await.unwrap().len(), n);

    // Withdrawn: nothing more goes out, and what went out stays on record.
    let withdraw_path = format!("{consents_path}/{consent_id}/withdraw");
    let res = app.post(&withdraw_path, "office-viewer", json!({})).await;
    assert_problem(res, 403).await;
    let res = app.post(&withdraw_path, "office-staff", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let withdrawn: Value = res.json().await.unwrap();
    assert_eq!(withdrawn["id"], consent_id.as_str());
    assert_eq!(withdrawn["active"], false);
    assert!(withdrawn["withdrawn_at"].is_string());
    assert_eq!(withdrawn["withdrawn_by_user_id"], staff.as_str());
    let res = app.get(&client_path(&id), "corp").await;
    assert_hidden(res, "corp").await;
    let res = app
        .get(&format!("{}/needs", client_path(&id)), "corp")
        .await;
    assert_hidden(res, "corp").await;
    let shared = all_pages(&app, "/api/v1/clients", "corp").await;
    assert!(shared.iter().all(|c| c["id"] != id.as_str()));
    let res = app.post(&withdraw_path, "office", json!({})).await;
    assert_problem(res, 409).await;
    let res = app.get(&provisions_path, "office").await;
    assert_eq!(res.json::<Vec<Value>>().await.unwrap().len(), n);
    let res = app.get(&consents_path, "office").await;
    let listed: Vec<Value> = res.json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["active"], false);
    // A consent of another client is not found under this one.
    let other = new_client(&app, "S-0002").await;
    let res = app
        .post(
            &format!(
                "{}/consents/{consent_id}/withdraw",
                client_path(str_of(&other, "id"))
            ),
            "office",
            json!({}),
        )
        .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn a_consent_names_what_its_purpose_needs_and_is_recorded_by_a_person() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let landlord = app.org_of("landlord").await;
    let client = new_client(&app, "S-0003").await;
    let id = str_of(&client, "id").to_owned();
    let path = format!("{}/consents", client_path(&id));
    let consents_before = app.count("consents").await;
    let good = json!({
        "purpose": "share_with_corp",
        "recipient_org_id": corp,
        "method": "oral",
        "given_on": today().to_string(),
    });
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "no recipient",
            json!({"recipient_org_id": null}),
            "recipient_org_id",
        ),
        (
            "a landlord as the corp",
            json!({"recipient_org_id": landlord}),
            "recipient_org_id",
        ),
        (
            "no such organisation",
            json!({"recipient_org_id": uuid::Uuid::now_v7().to_string()}),
            "recipient_org_id",
        ),
        (
            "a recipient for meetings",
            json!({"purpose": "discuss_at_meetings"}),
            "recipient_org_id",
        ),
        (
            "a sheet consent without a section",
            json!({"purpose": "support_sheet_section", "recipient_org_id": landlord}),
            "sheet_section",
        ),
        (
            "a sheet consent for no such section",
            json!({"purpose": "support_sheet_section", "recipient_org_id": landlord,
                   "sheet_section": "diagnosis"}),
            "sheet_section",
        ),
        (
            "a section on another purpose",
            json!({"sheet_section": "person"}),
            "sheet_section",
        ),
        ("given tomorrow", json!({"given_on": day(1)}), "given_on"),
        (
            "given on no day",
            json!({"given_on": "yesterday"}),
            "given_on",
        ),
    ];
    for (what, changes, field) in cases {
        let res = app
            .post(&path, "office-staff", with(good.clone(), changes))
            .await;
        let problem = assert_problem(res, 422).await;
        assert!(
            problem_fields(&problem).contains(&field.to_owned()),
            "{what}: {problem}"
        );
        assert_eq!(app.count("consents").await, consents_before, "{what}");
    }

    // Recorded by a person, not a program.
    let (_, key) = app.create_api_key("office", "staff").await;
    let res = app
        .post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_problem(res, 403).await;
    assert_eq!(app.count("consents").await, consents_before);
    // Viewers record none, other offices find no client.
    let res = app.post(&path, "office-viewer", good.clone()).await;
    assert_problem(res, 403).await;
    let res = app.post(&path, "office2", good.clone()).await;
    assert_problem(res, 404).await;
    assert_eq!(app.count("consents").await, consents_before);

    // The other purposes, each as it should be.
    for body in [
        json!({"purpose": "discuss_at_meetings", "method": "written", "given_on": day(-3)}),
        json!({"purpose": "council_reports", "method": "oral", "given_on": day(0)}),
        json!({"purpose": "share_with_landlord", "recipient_org_id": landlord,
               "method": "written", "given_on": day(0)}),
        json!({"purpose": "support_sheet_section", "recipient_org_id": landlord,
               "sheet_section": "scenarios", "method": "written", "given_on": day(0)}),
        json!({"purpose": "share_with_landlord", "recipient_org_id": app.org_of("agent").await,
               "method": "written", "given_on": day(0)}),
    ] {
        let res = app.post(&path, "office", body.clone()).await;
        let status = res.status();
        let got: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}: {got}");
        assert_eq!(got["purpose"], body["purpose"]);
        assert_eq!(got["active"], true);
    }
    assert_eq!(app.count("consents").await, consents_before + 5);
    // None of them lets the corp in, nor the landlord read the client record.
    for account in ["corp", "landlord", "agent", "council"] {
        let res = app.get(&client_path(&id), account).await;
        assert_hidden(res, account).await;
    }
}

// --- the audit log ----------------------------------------------------------------------

#[derive(diesel::QueryableByName, Debug)]
struct AuditRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    object_type: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    object_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    actor_organization_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    actor_user_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    outcome: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

async fn audit_rows(app: &TestApp) -> Vec<AuditRow> {
    use diesel::RunQueryDsl;
    app.db
        .run(|conn| {
            Ok(diesel::sql_query(
                "SELECT action, object_type, object_id, actor_organization_id, actor_user_id, \
                 outcome, detail FROM audit_log",
            )
            .load(conn)?)
        })
        .await
        .expect("audit rows")
}

#[tokio::test]
async fn every_read_and_write_of_a_client_is_audited_without_the_name() {
    let app = spawn_app().await;
    let office = app.org_of("office").await;
    let corp = app.org_of("corp").await;
    let staff = app.user_id_of("office-staff").await;
    let client = new_client(&app, "U-0001").await;
    let id = str_of(&client, "id").to_owned();
    let res = app.get(&client_path(&id), "office-viewer").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .patch(
            &client_path(&id),
            "office-staff",
            Some("\"1\""),
            with(
                client_body("U-0001", &staff),
                json!({"current_place": "institution"}),
            ),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = put_needs(&app, &id, "office-staff", None, needs_body()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let consent = consent_to_corp(&app, &id).await;
    let res = app.get(&client_path(&id), "corp").await;
    assert_eq!(res.status(), StatusCode::OK);
    // A refused read is no provision of data: it must not show up as a read.
    let res = app.get(&client_path(&id), "office2").await;
    assert_problem(res, 404).await;

    let rows = audit_rows(&app).await;
    let of_client: Vec<&AuditRow> = rows
        .iter()
        .filter(|r| r.object_type == "client" && r.object_id.as_deref() == Some(id.as_str()))
        .collect();
    let has = |action: &str, org: &str, item: &str| {
        of_client.iter().any(|r| {
            r.action == action
                && r.actor_organization_id.as_deref() == Some(org)
                && r.outcome == "ok"
                && r.detail.contains(item)
        })
    };
    assert!(has("create", &office, "client"), "{of_client:#?}");
    assert!(has("read", &office, "client"), "{of_client:#?}");
    assert!(has("update", &office, "\"client\""), "{of_client:#?}");
    assert!(has("update", &office, "needs"), "{of_client:#?}");
    assert!(
        has("consent_given", &office, "share_with_corp"),
        "{of_client:#?}"
    );
    assert!(has("read", &corp, str_of(&consent, "id")), "{of_client:#?}");
    assert!(
        of_client
            .iter()
            .filter(|r| r.action == "create")
            .all(|r| r.actor_user_id.as_deref() == Some(staff.as_str())),
        "{of_client:#?}"
    );
    let office2 = app.org_of("office2").await;
    assert!(
        !of_client.iter().any(
            |r| r.actor_organization_id.as_deref() == Some(office2.as_str()) && r.outcome == "ok"
        ),
        "{of_client:#?}"
    );
    // The list is audited too.
    let items = all_pages(&app, "/api/v1/clients", "office").await;
    assert!(items.iter().any(|i| i["id"] == id.as_str()));
    let rows = audit_rows(&app).await;
    assert!(
        rows.iter()
            .any(|r| r.object_type == "client" && r.action == "list"),
        "{rows:#?}"
    );

    // The name is nowhere in the log, nor the date of birth.
    for r in &rows {
        for text in [&r.detail, &r.action, &r.object_type] {
            assert!(!text.contains(NAME), "{r:#?}");
            assert!(!text.contains("シケン"), "{r:#?}");
            assert!(!text.contains("1979-06-15"), "{r:#?}");
        }
    }
}
