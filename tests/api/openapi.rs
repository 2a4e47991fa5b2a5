use reqwest::StatusCode;

use crate::helpers::spawn_bare_app;

#[test]
fn the_committed_openapi_yaml_is_the_generated_one() {
    let generated = sumai_link::openapi::yaml().unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    assert!(
        generated == committed,
        "openapi.yaml is stale: run `cargo run -- openapi --output openapi.yaml` and commit it"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let doc = sumai_link::openapi::document();
    let value = serde_json::to_value(&doc).unwrap();
    let paths = value["paths"].as_object().unwrap();
    for must in [
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(must),
            "{must} missing from the OpenAPI document"
        );
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/") {
                assert!(
                    op.get("security").is_some(),
                    "{method} {path} has no security"
                );
                assert!(
                    responses.keys().any(|k| k.starts_with('4')),
                    "{method} {path} documents no 4xx"
                );
            }
        }
    }
    assert!(value["components"]["securitySchemes"]["bearer"].is_object());
    assert!(value["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn the_server_serves_its_openapi_document() {
    let app = spawn_bare_app(&[]).await;
    let res = app
        .client
        .get(app.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        sumai_link::openapi::yaml().unwrap()
    );
}

#[test]
fn operation_ids_are_unique_and_every_link_names_one() {
    let value = serde_json::to_value(sumai_link::openapi::document()).unwrap();
    let mut ids = std::collections::HashMap::new();
    for (path, item) in value["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            let other = ids.insert(id.clone(), format!("{method} {path}"));
            assert!(other.is_none(), "operationId {id} used twice: {other:?}");
        }
    }
    let mut links = 0;
    for item in value["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"].as_object().unwrap().values() {
                let Some(map) = response.get("links").and_then(|l| l.as_object()) else {
                    continue;
                };
                for link in map.values() {
                    let target = link["operationId"].as_str().unwrap();
                    assert!(ids.contains_key(target), "a link names {target}");
                    links += 1;
                }
            }
        }
    }
    // The stateful flows the fuzzer follows: rental create → read → update,
    // client → needs → matches → inquiry.
    assert!(links >= 7, "{links} links");
}
