//! What the Schemathesis run (`.ci/schemathesis.sh`) found, each kept as a test: answers
//! the OpenAPI document did not describe, and the server errors and wrong answers behind
//! them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app};
use crate::support_sheets::client_id;

fn document() -> Value {
    serde_json::to_value(sumai_link::openapi::document()).unwrap()
}

fn responses(doc: &Value, method: &str, path: &str) -> Vec<String> {
    doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path}"))
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn removing_a_client_with_a_sheet_leaves_the_sheet_list_readable() {
    // The list used to answer 404 once a listed sheet's client had been removed.
    let app = spawn_app().await;
    let client = client_id(&app, "office", "HM-0001").await;
    let res = app
        .delete(&format!("/api/v1/clients/{client}"), "office")
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    for account in ["office", "corp", "landlord"] {
        let res = app.get("/api/v1/support-sheets", account).await;
        assert_eq!(res.status(), StatusCode::OK, "{account}");
        let list: Value = res.json().await.unwrap();
        let listed = list["items"].as_array().unwrap();
        assert!(
            listed.iter().all(|s| s["client_id"] != client.as_str()),
            "{account} still lists the removed client's sheet"
        );
    }
}

#[tokio::test]
async fn the_needs_answer_matches_its_documented_schema() {
    // NeedsView was documented as allOf [NeedsInput (no other properties), the version],
    // which no answer can match.
    let doc = document();
    let view = &doc["components"]["schemas"]["NeedsView"];
    assert!(view.get("allOf").is_none(), "{view}");
    let props = view["properties"].as_object().unwrap();

    let app = spawn_app().await;
    let client = client_id(&app, "office", "HM-0002").await;
    let res = app
        .get(&format!("/api/v1/clients/{client}/needs"), "office")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    for key in body.as_object().unwrap().keys() {
        assert!(props.contains_key(key), "{key} is not documented");
    }
    for required in view["required"].as_array().unwrap() {
        assert!(body.get(required.as_str().unwrap()).is_some(), "{required}");
    }
}

#[test]
fn no_schema_is_all_of_a_schema_that_refuses_other_properties() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        for part in schema["allOf"].as_array().into_iter().flatten() {
            let Some(target) = part["$ref"].as_str() else {
                continue;
            };
            let target = target.trim_start_matches("#/components/schemas/");
            assert_ne!(
                schemas[target]["additionalProperties"],
                json!(false),
                "{name} is allOf {target}, which refuses the other properties"
            );
        }
    }
}

#[tokio::test]
async fn the_answers_of_the_extractors_are_documented() {
    let app = spawn_app().await;
    let doc = document();

    // A path id that is not a UUID: 400.
    let res = app.get("/api/v1/clients/not-a-uuid", "office").await;
    assert_problem(res, 400).await;
    assert!(responses(&doc, "get", "/api/v1/clients/{id}").contains(&"400".into()));

    // No token: 401, on every secured operation.
    let res = app
        .client
        .get(app.url("/api/v1/clients"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let needs_token = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            });
            if needs_token {
                assert!(
                    op["responses"].get("401").is_some(),
                    "{method} {path} does not document 401"
                );
            }
        }
    }

    // A body that is not JSON: 415.
    let res = app
        .client
        .post(app.url("/api/v1/clients"))
        .bearer_auth(app.token("office").await)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
    assert!(responses(&doc, "post", "/api/v1/clients").contains(&"415".into()));

    // An update without If-Match: 428 (council reports did not document it).
    for (method, path) in [
        ("patch", "/api/v1/council-reports/{id}"),
        ("post", "/api/v1/council-reports/{id}/submit"),
    ] {
        let documented = responses(&doc, method, path);
        assert!(documented.contains(&"428".into()), "{method} {path}");
        assert!(documented.contains(&"412".into()), "{method} {path}");
    }
}

#[tokio::test]
async fn a_sheet_read_by_the_landlord_has_no_etag_and_the_document_says_so() {
    // Followed from the list by the stateful phase: the document required an ETag on
    // every read of a sheet, but only the sheet's office gets one.
    let app = spawn_app().await;
    let list: Value = app
        .get("/api/v1/support-sheets", "landlord")
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let res = app
        .get(&format!("/api/v1/support-sheets/{id}"), "landlord")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("etag").is_none());
    let res = app
        .get(&format!("/api/v1/support-sheets/{id}"), "office")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("etag").is_some());
    let doc = document();
    let etag =
        &doc["paths"]["/api/v1/support-sheets/{id}"]["get"]["responses"]["200"]["headers"]["ETag"];
    assert_eq!(etag["required"], json!(false));
    // Everywhere else an ETag is promised, it is required.
    let required = doc["paths"]["/api/v1/clients/{id}"]["get"]["responses"]["200"]["headers"]["ETag"]["required"].clone();
    assert_eq!(required, json!(true));
}
