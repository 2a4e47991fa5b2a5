//! `/api/v1/organizations`: the operator creates them, members read their own, admins
//! maintain their details with If-Match.

use std::collections::HashSet;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{DEMO_PASSWORD, TestApp, assert_problem, email, problem_fields, spawn_app};

const NEW_ADMIN_PASSWORD: &str = "new-admin-pass-2026";

/// Logs in with an e-mail and password and returns the access token.
async fn token_of(app: &TestApp, email: &str, password: &str) -> String {
    let res = app.login_response(email, password).await;
    assert_eq!(res.status(), StatusCode::OK, "login of {email}");
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get_with_token(app: &TestApp, path: &str, token: &str) -> Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post_with_token(app: &TestApp, path: &str, token: &str, body: Value) -> Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn etag_of(res: &Response) -> String {
    res.headers()
        .get("etag")
        .expect("ETag header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// A valid new organisation; tests break one field at a time.
fn valid_org() -> Value {
    json!({
        "kind": "support_office",
        "name": "相談支援事業所 あおぞら",
        "prefecture_code": "01",
        "municipality_code": "01100",
        "contact_email": "info@aozora.example",
        "phone": "011-222-3333",
    })
}

async fn org_ids_of_page(res: Response) -> (Vec<Value>, Option<String>) {
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let items = body["items"].as_array().unwrap().clone();
    let next = body["next_cursor"].as_str().map(str::to_owned);
    (items, next)
}

#[tokio::test]
async fn the_operator_creates_an_organisation_whose_first_admin_can_then_log_in() {
    let app = spawn_app().await;
    let mut body = valid_org();
    body["first_admin"] = json!({
        "email": "Admin@Aozora.Example",
        "display_name": "青空 太郎",
        "password": NEW_ADMIN_PASSWORD,
    });

    let res = app.post("/api/v1/organizations", "operator", body).await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let etag = etag_of(&res);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/organizations/{id}"));
    assert_eq!(etag, format!("\"{}\"", created["version"]));
    assert_eq!(created["kind"], "support_office");
    assert_eq!(created["name"], "相談支援事業所 あおぞら");
    assert_eq!(created["prefecture_code"], "01");
    // The five-digit code is stored with its check digit.
    assert_eq!(created["municipality_code"], "011002");
    assert_eq!(created["is_active"], true);
    assert_eq!(created["first_admin"]["role"], "admin");
    assert_eq!(created["first_admin"]["organization_id"], id.as_str());
    assert_eq!(created["first_admin"]["email"], "admin@aozora.example");
    assert!(created["first_admin"].get("password").is_none());
    assert!(created["first_admin"].get("password_hash").is_none());

    // The Location leads to the organisation.
    let res = app.get(&location, "operator").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), etag);

    let token = token_of(&app, "admin@aozora.example", NEW_ADMIN_PASSWORD).await;
    let res = get_with_token(&app, "/api/v1/me", &token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["organization_id"], id.as_str());
    assert_eq!(me["organization_kind"], "support_office");
    assert_eq!(me["organization_name"], "相談支援事業所 あおぞら");
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn only_an_operator_administrator_creates_organisations() {
    let app = spawn_app().await;
    let before = app.count("organizations").await;

    for account in ["office", "landlord", "council", "office-staff"] {
        let res = app
            .post("/api/v1/organizations", account, valid_org())
            .await;
        assert_problem(res, 403).await;
    }

    // A staff member of the operator organisation may not either.
    let operator_org = app.org_of("operator").await;
    let res = app
        .post(
            "/api/v1/users",
            "operator",
            json!({
                "organization_id": operator_org,
                "role": "staff",
                "email": "op-staff@demo.example",
                "display_name": "運営 スタッフ",
                "password": "operator-staff-pass",
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = token_of(&app, "op-staff@demo.example", "operator-staff-pass").await;
    let res = post_with_token(&app, "/api/v1/organizations", &token, valid_org()).await;
    assert_problem(res, 403).await;

    assert_eq!(app.count("organizations").await, before);
}

#[tokio::test]
async fn invalid_organisation_fields_are_each_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let orgs = app.count("organizations").await;
    let users = app.count("users").await;

    let cases: &[(&str, Value, &str)] = &[
        ("an unknown kind", json!({"kind": "bakery"}), "kind"),
        ("the operator kind", json!({"kind": "operator"}), "kind"),
        ("an empty name", json!({"name": "   "}), "name"),
        (
            "a wrong check digit",
            json!({"prefecture_code": "13", "municipality_code": "131017"}),
            "municipality_code",
        ),
        (
            "a municipality of another prefecture",
            json!({"prefecture_code": "01", "municipality_code": "13101"}),
            "municipality_code",
        ),
        (
            "an unknown prefecture",
            json!({"prefecture_code": "48", "municipality_code": null}),
            "prefecture_code",
        ),
        ("a bad phone", json!({"phone": "12-34"}), "phone"),
        (
            "a bad contact e-mail",
            json!({"contact_email": "not-an-address"}),
            "contact_email",
        ),
        (
            "a first admin with a short password",
            json!({"first_admin": {"email": "a@aozora.example", "display_name": "A", "password": "short"}}),
            "first_admin.password",
        ),
    ];
    for (what, change, field) in cases {
        let mut body = valid_org();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        let res = app.post("/api/v1/organizations", "operator", body).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["type"], "/problems/validation", "{what}");
        assert_eq!(problem_fields(&problem), vec![field.to_string()], "{what}");
    }

    // Every bad field of one request is reported at once.
    let res = app
        .post(
            "/api/v1/organizations",
            "operator",
            json!({
                "kind": "bakery",
                "name": "",
                "prefecture_code": "01",
                "municipality_code": "131017",
                "contact_email": "nope",
                "phone": "abc",
            }),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    let fields = problem_fields(&problem);
    for field in [
        "kind",
        "name",
        "municipality_code",
        "contact_email",
        "phone",
    ] {
        assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
    }

    assert_eq!(app.count("organizations").await, orgs);
    assert_eq!(app.count("users").await, users);
}

#[tokio::test]
async fn an_organisation_whose_first_admin_email_is_taken_is_not_stored() {
    let app = spawn_app().await;
    let orgs = app.count("organizations").await;
    let users = app.count("users").await;
    let mut body = valid_org();
    body["first_admin"] = json!({
        "email": email("office"),
        "display_name": "重複 太郎",
        "password": NEW_ADMIN_PASSWORD,
    });

    let res = app.post("/api/v1/organizations", "operator", body).await;

    let problem = assert_problem(res, 422).await;
    // Named as it is in the request: the body's own `email` would be ambiguous.
    assert_eq!(problem_fields(&problem), ["first_admin.email"]);
    assert_eq!(app.count("organizations").await, orgs);
    assert_eq!(app.count("users").await, users);
    // The existing account is untouched.
    assert_eq!(
        app.login_response(&email("office"), DEMO_PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_operator_pages_through_every_organisation_without_duplicates() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organizations?limit=3&cursor={c}"),
            None => "/api/v1/organizations?limit=3".to_owned(),
        };
        let (items, next) = org_ids_of_page(app.get(&path, "operator").await).await;
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        pages += 1;
        assert!(pages <= 10, "pagination does not end");
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    // The demo's accounts' 9, the area's 居住支援法人 and its offices.
    let total = 10 + sumai_link::demo::DEMO_AREA_OFFICES;
    assert_eq!(seen.len(), total, "{seen:?}");
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), total);
    assert_eq!(pages, total.div_ceil(3));
    for account in ["operator", "office", "office2", "landlord", "agent"] {
        assert!(seen.contains(&app.org_of(account).await), "{account}");
    }
}

#[tokio::test]
async fn members_list_only_their_own_organisation() {
    let app = spawn_app().await;
    for account in ["office", "office-viewer", "landlord"] {
        let (items, next) = org_ids_of_page(app.get("/api/v1/organizations", account).await).await;
        assert_eq!(items.len(), 1, "{account}");
        assert_eq!(items[0]["id"], app.org_of(account).await.as_str());
        assert_eq!(next, None);
    }
}

#[tokio::test]
async fn organisations_can_be_filtered_by_kind() {
    let app = spawn_app().await;
    let (items, _) = org_ids_of_page(
        app.get("/api/v1/organizations?kind=landlord", "operator")
            .await,
    )
    .await;
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|o| o["kind"] == "landlord"));
    let ids: HashSet<_> = items.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(ids.contains(app.org_of("landlord").await.as_str()));
    assert!(ids.contains(app.org_of("landlord2").await.as_str()));

    // An office filtering by another kind sees nothing, not other organisations.
    let (items, _) = org_ids_of_page(
        app.get("/api/v1/organizations?kind=landlord", "office")
            .await,
    )
    .await;
    assert!(items.is_empty());

    let res = app
        .get("/api/v1/organizations?kind=bakery", "operator")
        .await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem_fields(&problem), ["kind"]);
}

#[tokio::test]
async fn bad_paging_parameters_are_refused() {
    let app = spawn_app().await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("cursor=garbage", "cursor"),
    ] {
        let res = app
            .get(&format!("/api/v1/organizations?{query}"), "operator")
            .await;
        let problem = assert_problem(res, 400).await;
        assert_eq!(problem["type"], "/problems/invalid-parameter", "{query}");
        assert_eq!(problem_fields(&problem), [field], "{query}");
    }
    let res = app.get("/api/v1/organizations?limit=200", "operator").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_member_reads_its_own_organisation_but_not_another() {
    let app = spawn_app().await;
    let own = app.org_of("office").await;
    let res = app
        .get(&format!("/api/v1/organizations/{own}"), "office")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = etag_of(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["id"], own.as_str());
    assert_eq!(body["kind"], "support_office");
    assert_eq!(etag, format!("\"{}\"", body["version"]));

    let other = app.org_of("office2").await;
    let res = app
        .get(&format!("/api/v1/organizations/{other}"), "office")
        .await;
    let problem = assert_problem(res, 404).await;
    assert_eq!(problem["type"], "/problems/not-found");

    // The operator reads any organisation.
    let res = app
        .get(&format!("/api/v1/organizations/{other}"), "operator")
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    let random = uuid::Uuid::now_v7();
    for account in ["office", "operator"] {
        let res = app
            .get(&format!("/api/v1/organizations/{random}"), account)
            .await;
        assert_problem(res, 404).await;
    }
}

#[tokio::test]
async fn an_update_needs_the_current_etag() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("office").await);
    let res = app.get(&path, "office").await;
    let first = etag_of(&res);

    let res = app
        .patch(&path, "office", None, json!({"name": "ひだまり 新"}))
        .await;
    let problem = assert_problem(res, 428).await;
    assert_eq!(problem["type"], "/problems/precondition-required");

    let res = app
        .patch(
            &path,
            "office",
            Some(&first),
            json!({"name": "相談支援事業所 ひだまり 北", "phone": "011-999-0000"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = etag_of(&res);
    assert_ne!(second, first);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "相談支援事業所 ひだまり 北");
    assert_eq!(body["phone"], "011-999-0000");

    let res = app.get(&path, "office").await;
    assert_eq!(etag_of(&res), second);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "相談支援事業所 ひだまり 北");

    // The first ETag is stale now.
    let res = app
        .patch(&path, "office", Some(&first), json!({"name": "上書き"}))
        .await;
    let problem = assert_problem(res, 412).await;
    assert_eq!(problem["type"], "/problems/precondition-failed");
    let body: Value = app.get(&path, "office").await.json().await.unwrap();
    assert_eq!(body["name"], "相談支援事業所 ひだまり 北");

    // null clears an optional field.
    let res = app
        .patch(&path, "office", Some(&second), json!({"phone": null}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["phone"], Value::Null);
}

#[tokio::test]
async fn an_update_into_another_prefecture_is_refused() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("office").await);
    let etag = etag_of(&app.get(&path, "office").await);
    // The stored prefecture is 01; a Tokyo municipality does not fit it.
    let res = app
        .patch(
            &path,
            "office",
            Some(&etag),
            json!({"municipality_code": "131016"}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["municipality_code"]);
    assert_eq!(etag_of(&app.get(&path, "office").await), etag);
}

#[tokio::test]
async fn only_the_operator_activates_or_deactivates_an_organisation() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("office").await);
    let etag = etag_of(&app.get(&path, "office").await);
    let res = app
        .patch(&path, "office", Some(&etag), json!({"is_active": false}))
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["is_active"]);
    let body: Value = app.get(&path, "office").await.json().await.unwrap();
    assert_eq!(body["is_active"], true);
    assert_eq!(etag_of(&app.get(&path, "office").await), etag);
}

#[tokio::test]
async fn staff_and_viewers_cannot_change_their_organisation() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("office").await);
    let etag = etag_of(&app.get(&path, "office").await);
    for account in ["office-staff", "office-viewer"] {
        let res = app
            .patch(&path, account, Some(&etag), json!({"name": "乗っ取り"}))
            .await;
        assert_problem(res, 403).await;
    }
    // Another organisation's admin does not even learn it exists.
    let res = app
        .patch(&path, "office2", Some(&etag), json!({"name": "乗っ取り"}))
        .await;
    assert_problem(res, 404).await;
    let body: Value = app.get(&path, "office").await.json().await.unwrap();
    assert_eq!(body["name"], "相談支援事業所 ひだまり");
}

#[tokio::test]
async fn users_of_an_organisation_the_operator_deactivated_can_no_longer_log_in() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("landlord").await);
    let etag = etag_of(&app.get(&path, "operator").await);
    let refresh = app.login_tokens("landlord").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, key) = app.create_api_key("landlord", "staff").await;

    let res = app
        .patch(&path, "operator", Some(&etag), json!({"is_active": false}))
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["is_active"], false);
    let res = app.login_response(&email("landlord"), DEMO_PASSWORD).await;
    assert_problem(res, 401).await;
    // Nor keep a session going, nor sign in with the organisation's API key.
    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
    let res = app
        .post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await;
    assert_problem(res, 401).await;
    // Other organisations are unaffected.
    let res = app.login_response(&email("landlord2"), DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Reactivated, its users log in again.
    let etag = etag_of(&app.get(&path, "operator").await);
    let res = app
        .patch(&path, "operator", Some(&etag), json!({"is_active": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.login_response(&email("landlord"), DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_operator_cannot_deactivate_its_own_organisation() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("operator").await);
    let etag = etag_of(&app.get(&path, "operator").await);
    let res = app
        .patch(&path, "operator", Some(&etag), json!({"is_active": false}))
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["is_active"]);
    assert_eq!(etag_of(&app.get(&path, "operator").await), etag);
}
