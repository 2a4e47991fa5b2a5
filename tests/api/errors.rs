//! Every error is an RFC 9457 problem: bodies of the wrong type, size or shape, bad
//! parameters and headers, unknown paths.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::DEMO_API_KEYS;
use crate::helpers::{assert_problem, problem_fields, spawn_app, spawn_app_with};

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_with_415() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("Content-Type", "text/plain")
        .body(r#"{"grant_type":"password","email":"office@demo.example","password":"demo-pass-2026"}"#)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 415).await;
    assert_eq!(problem["type"], "/problems/unsupported-media-type");

    // No Content-Type at all is refused the same way.
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let app = spawn_app_with(&[("SUMAI_BODY_LIMIT_BYTES", "2048")]).await;
    let body = json!({
        "grant_type": "password",
        "email": "office@demo.example",
        "password": "x".repeat(10 * 1024),
    });
    let res = app.post_token(body).await;
    let problem = assert_problem(res, 413).await;
    assert_eq!(problem["type"], "/problems/payload-too-large");
    assert!(
        problem["detail"].as_str().unwrap().contains("2048"),
        "{problem}"
    );

    // A body within the limit is read.
    let res = app
        .login_response("office@demo.example", crate::helpers::DEMO_PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .header("Content-Type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/malformed-json");
    assert_eq!(problem["title"], "Malformed JSON");
}

#[tokio::test]
async fn an_unknown_field_is_named_in_the_problem() {
    let app = spawn_app().await;
    let before = app.count("organizations").await;
    let res = app
        .post(
            "/api/v1/organizations",
            "operator",
            json!({"kind": "landlord", "name": "大家 太郎", "colour": "blue"}),
        )
        .await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/malformed-json");
    assert_eq!(problem["errors"][0]["field"], "colour", "{problem}");
    assert_eq!(app.count("organizations").await, before);

    // A missing required field is named too.
    let res = app
        .post(
            "/api/v1/organizations",
            "operator",
            json!({"name": "大家 太郎"}),
        )
        .await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem_fields(&problem), ["kind"]);
}

#[tokio::test]
async fn a_path_id_that_is_not_a_uuid_is_an_invalid_parameter() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/users/not-a-uuid", "office").await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/invalid-parameter");
    assert_eq!(problem_fields(&problem), ["id"]);
}

#[tokio::test]
async fn a_query_parameter_of_the_wrong_type_is_an_invalid_parameter() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/users?limit=abc", "office").await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/invalid-parameter");

    let res = app.get("/api/v1/users?colour=blue", "office").await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/invalid-parameter");
    assert_eq!(problem_fields(&problem), ["colour"]);
}

#[tokio::test]
async fn an_unknown_path_is_a_404_problem() {
    let app = spawn_app().await;
    for path in ["/api/v1/nothing-here", "/nope", "/api/v2/organizations"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        let problem = assert_problem(res, 404).await;
        assert_eq!(problem["type"], "/problems/not-found", "{path}");
    }
}

#[tokio::test]
async fn problem_types_describe_themselves() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/problems/validation"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["slug"], "validation");
    assert_eq!(body["status"], 422);
    assert!(!body["title"].as_str().unwrap().is_empty());
    assert!(!body["description"].as_str().unwrap().is_empty());

    // Every type a problem above can carry leads somewhere.
    for slug in [
        "malformed-json",
        "invalid-parameter",
        "invalid-header",
        "not-found",
        "forbidden",
        "conflict",
        "precondition-failed",
        "precondition-required",
        "payload-too-large",
        "unsupported-media-type",
    ] {
        let res = app
            .client
            .get(app.url(&format!("/problems/{slug}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{slug}");
    }
    let res = app
        .client
        .get(app.url("/problems/no-such-problem"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn an_if_match_that_is_not_an_etag_is_an_invalid_header() {
    let app = spawn_app().await;
    let path = format!("/api/v1/organizations/{}", app.org_of("office").await);
    let res = app
        .patch(&path, "office", Some("abc"), json!({"name": "新しい名前"}))
        .await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/invalid-header");
    assert_eq!(problem_fields(&problem), ["If-Match"]);
    let body: Value = app.get(&path, "office").await.json().await.unwrap();
    assert_eq!(body["name"], "相談支援事業所 ひだまり");
}

#[tokio::test]
async fn a_missing_or_bad_bearer_token_is_a_401_problem() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let problem = assert_problem(res, 401).await;
    assert_eq!(problem["type"], "/problems/unauthorized");
    let res = app
        .client
        .get(app.url("/api/v1/users"))
        .bearer_auth("not-a-jwt")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn a_date_that_is_not_rfc_3339_is_a_400_naming_the_problem() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/v1/api-keys",
            "office",
            serde_json::json!({"name": "連携", "role": "staff", "expires_at": "next tuesday"}),
        )
        .await;
    let problem = assert_problem(res, 400).await;
    assert_eq!(problem["type"], "/problems/malformed-json");
    assert_eq!(app.count("api_keys").await, DEMO_API_KEYS);
}
