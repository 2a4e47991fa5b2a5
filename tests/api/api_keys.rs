//! `/api/v1/api-keys`: an organisation's admins create keys for machine clients; the
//! secret is shown once and never again.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::DEMO_API_KEYS;
use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};

/// Logs in with an API key and returns the access token.
async fn token_of_key(app: &TestApp, key: &str) -> String {
    let res = app
        .post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "login with the API key");
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn send_as_key(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// Asserts a body shows a key without its secret, and returns it as JSON.
async fn assert_no_secret(res: Response, key: &str) -> Value {
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let secret = key.rsplit('_').next().unwrap();
    assert!(!text.contains(key), "the key leaks: {text}");
    assert!(!text.contains(secret), "the secret leaks: {text}");
    assert!(!text.contains("secret_hash"), "the hash leaks: {text}");
    assert!(!text.contains("$argon2"), "the hash leaks: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    body
}

#[tokio::test]
async fn an_admin_creates_a_key_that_is_shown_only_once() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/api-keys",
            "office",
            json!({"name": "ケース記録システム連携", "role": "staff"}),
        )
        .await;

    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let key = created["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("slk_"), "{key}");
    assert_eq!(location, format!("/api/v1/api-keys/{id}"));
    assert_eq!(created["role"], "staff");
    assert_eq!(created["name"], "ケース記録システム連携");
    assert_eq!(
        created["organization_id"],
        app.org_of("office").await.as_str()
    );
    assert_eq!(
        created["created_by"],
        app.user_id_of("office").await.as_str()
    );
    let prefix = created["prefix"].as_str().unwrap();
    assert!(
        key.starts_with(&format!("slk_{prefix}_")),
        "{key} / {prefix}"
    );
    assert_eq!(created["revoked_at"], Value::Null);

    let one = assert_no_secret(app.get(&location, "office").await, &key).await;
    assert!(one.get("api_key").is_none());
    assert_eq!(one["id"], id.as_str());
    assert_eq!(one["prefix"], prefix);

    let list = assert_no_secret(app.get("/api/v1/api-keys", "office").await, &key).await;
    let items = beside_the_demo_key(&list);
    assert_eq!(items.len(), 1);
    assert!(items.iter().all(|k| k.get("api_key").is_none()));
    assert_eq!(items[0]["id"], id.as_str());

    // The key signs in as the office, with the key's role.
    let token = token_of_key(&app, &key).await;
    let res = send_as_key(&app, reqwest::Method::GET, "/api/v1/me", &token, None).await;
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["subject_type"], "api_key");
    assert_eq!(me["role"], "staff");
    assert_eq!(me["organization_id"], app.org_of("office").await.as_str());
}

#[tokio::test]
async fn invalid_key_requests_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let far = (chrono::Utc::now() + chrono::Duration::days(800)).to_rfc3339();
    let cases = [
        (json!({"name": "連携", "role": "admin"}), "role"),
        (json!({"name": "連携", "role": "owner"}), "role"),
        (json!({"name": "", "role": "staff"}), "name"),
        (json!({"name": "   ", "role": "viewer"}), "name"),
        (
            json!({"name": "連携", "role": "staff", "expires_at": past}),
            "expires_at",
        ),
        (
            json!({"name": "連携", "role": "staff", "expires_at": far}),
            "expires_at",
        ),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/api-keys", "office", body.clone()).await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(problem["type"], "/problems/validation");
        assert_eq!(problem_fields(&problem), [field], "{body}");
    }
    assert_eq!(app.count("api_keys").await, DEMO_API_KEYS);

    // A future expiry within two years is fine.
    let soon = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let res = app
        .post(
            "/api/v1/api-keys",
            "office",
            json!({"name": "連携", "role": "viewer", "expires_at": soon}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert!(body["expires_at"].is_string());
}

#[tokio::test]
async fn staff_and_viewers_cannot_manage_keys() {
    let app = spawn_app().await;
    let (id, _) = app.create_api_key("office", "viewer").await;
    for account in ["office-staff", "office-viewer"] {
        let res = app
            .post(
                "/api/v1/api-keys",
                account,
                json!({"name": "連携", "role": "viewer"}),
            )
            .await;
        assert_problem(res, 403).await;
        assert_problem(app.get("/api/v1/api-keys", account).await, 403).await;
        assert_problem(
            app.get(&format!("/api/v1/api-keys/{id}"), account).await,
            403,
        )
        .await;
        assert_problem(
            app.delete(&format!("/api/v1/api-keys/{id}"), account).await,
            403,
        )
        .await;
    }
    assert_eq!(app.count("api_keys").await, DEMO_API_KEYS + 1);
}

#[tokio::test]
async fn another_office_cannot_see_or_revoke_an_offices_key() {
    let app = spawn_app().await;
    let (id, key) = app.create_api_key("office", "staff").await;
    let path = format!("/api/v1/api-keys/{id}");

    let problem = assert_problem(app.get(&path, "office2").await, 404).await;
    assert_eq!(problem["type"], "/problems/not-found");
    assert_problem(app.delete(&path, "office2").await, 404).await;
    let office = app.org_of("office").await;
    assert_problem(
        app.get(
            &format!("/api/v1/api-keys?organization_id={office}"),
            "office2",
        )
        .await,
        404,
    )
    .await;
    // office2's own list does not include it.
    let body: Value = app
        .get("/api/v1/api-keys", "office2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 0);

    // The key still works.
    token_of_key(&app, &key).await;
}

#[tokio::test]
async fn the_operator_lists_and_revokes_another_organisations_key() {
    let app = spawn_app().await;
    let (id, key) = app.create_api_key("office", "staff").await;
    let refresh = app
        .post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await
        .json::<Value>()
        .await
        .unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let office = app.org_of("office").await;
    let list_path = format!("/api/v1/api-keys?organization_id={office}");

    let list = assert_no_secret(app.get(&list_path, "operator").await, &key).await;
    let items = beside_the_demo_key(&list);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    // Its own list (no organisation named) is the operator's own keys.
    let own: Value = app
        .get("/api/v1/api-keys", "operator")
        .await
        .json()
        .await
        .unwrap();
    assert!(own["items"].as_array().unwrap().is_empty());

    let res = app
        .delete(&format!("/api/v1/api-keys/{id}"), "operator")
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let list: Value = app.get(&list_path, "operator").await.json().await.unwrap();
    assert!(beside_the_demo_key(&list)[0]["revoked_at"].is_string());
    let one: Value = app
        .get(&format!("/api/v1/api-keys/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert!(one["revoked_at"].is_string());

    // A revoked key signs in no more, and its refresh tokens end.
    let res = app
        .post_token(json!({"grant_type": "api_key", "api_key": key}))
        .await;
    assert_problem(res, 401).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn the_operator_cannot_create_a_key_for_another_organisation() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/api-keys",
            "operator",
            json!({"name": "連携", "role": "staff", "organization_id": app.org_of("office").await}),
        )
        .await;
    // The body has no such field: a key is always for the caller's organisation.
    assert_problem(res, 400).await;
    assert_eq!(app.count("api_keys").await, DEMO_API_KEYS);
}

#[tokio::test]
async fn an_api_key_caller_cannot_create_users_or_keys() {
    let app = spawn_app().await;
    let (_, key) = app.create_api_key("office", "staff").await;
    let token = token_of_key(&app, &key).await;
    let users = app.count("users").await;

    let res = send_as_key(
        &app,
        reqwest::Method::POST,
        "/api/v1/users",
        &token,
        Some(json!({
            "role": "staff",
            "email": "bot@hidamari.example",
            "display_name": "ボット",
            "password": "bot-password-2026",
        })),
    )
    .await;
    let problem = assert_problem(res, 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("API key"),
        "{problem}"
    );

    let res = send_as_key(
        &app,
        reqwest::Method::POST,
        "/api/v1/api-keys",
        &token,
        Some(json!({"name": "子キー", "role": "viewer"})),
    )
    .await;
    let problem = assert_problem(res, 403).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("API key"),
        "{problem}"
    );
    let res = send_as_key(&app, reqwest::Method::GET, "/api/v1/api-keys", &token, None).await;
    assert_problem(res, 403).await;

    assert_eq!(app.count("users").await, users);
    assert_eq!(app.count("api_keys").await, DEMO_API_KEYS + 1);

    // It may still read its colleagues.
    let res = send_as_key(&app, reqwest::Method::GET, "/api/v1/users", &token, None).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// The keys of a list but office@'s demo key (examples/office-sync's).
fn beside_the_demo_key(list: &Value) -> Vec<&Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["prefix"] != sumai_link::demo::DEMO_API_KEY_PREFIX)
        .collect()
}

#[tokio::test]
async fn the_demo_key_signs_in_as_office_staff_and_is_listed_without_its_secret() {
    let app = spawn_app().await;
    let key = sumai_link::demo::demo_api_key(crate::helpers::DEMO_PASSWORD);
    // README names it for the default demo password.
    assert_eq!(
        key,
        "slk_0ff1ce5e0001_5470fd1b90b9205c2865baa2c757b7d567e0c426113ca5a8"
    );
    let token = token_of_key(&app, &key).await;
    let res = send_as_key(&app, reqwest::Method::GET, "/api/v1/me", &token, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["organization_id"], app.org_of("office").await.as_str());
    assert_eq!(me["role"], "staff");
    assert_eq!(me["subject_type"], "api_key");
    let list = assert_no_secret(app.get("/api/v1/api-keys", "office").await, &key).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["prefix"] == sumai_link::demo::DEMO_API_KEY_PREFIX)
    );
    // Another password, another key: the demo's key is only as known as its password.
    assert_ne!(sumai_link::demo::demo_api_key("another"), key);
    let res = app
        .post_token(
            json!({"grant_type": "api_key", "api_key": sumai_link::demo::demo_api_key("another")}),
        )
        .await;
    assert_problem(res, 401).await;
}
