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

/// What an integrator (and a client generator) relies on in every operation: an id, a
/// summary, a tag, examples of the JSON it sends and receives, problem documents for
/// its errors; and the YAML reads the same in YAML 1.1 (PyYAML) as in 1.2.
#[test]
fn every_operation_is_described_for_client_generators() {
    let doc = sumai_link::openapi::document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["servers"][0]["url"].is_string());
    assert_eq!(doc["info"]["license"]["identifier"], "MIT OR Apache-2.0");
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !id.is_empty(),
                "{at}: operationId {id:?}"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{at}: no summary"
            );
            let op_tags = op["tags"].as_array().unwrap();
            assert!(
                op_tags.len() == 1 && tags.contains(&op_tags[0].as_str().unwrap()),
                "{at}: tags {op_tags:?}"
            );
            let mut contents = vec![];
            if let Some(c) = op["requestBody"]["content"].as_object() {
                contents.push(("request", c));
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let Some(c) = response["content"].as_object() else {
                    continue;
                };
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        c.contains_key("application/problem+json"),
                        "{at}: {status} is not a problem document"
                    );
                }
                contents.push((status.as_str(), c));
            }
            for (which, content) in contents {
                for (media_type, body) in content {
                    if media_type.ends_with("json") {
                        assert!(
                            body.get("example").is_some() || body.get("examples").is_some(),
                            "{at}: {which} {media_type} has no example"
                        );
                        bodies += 1;
                    }
                }
            }
        }
    }
    assert!(bodies > 300, "{bodies} JSON bodies");
}

#[test]
fn lists_refer_to_their_items_schema_and_unions_name_their_variants() {
    let doc = sumai_link::openapi::document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        if let Some(item) = name.strip_prefix("Page_") {
            assert_eq!(
                schema["properties"]["items"]["items"]["$ref"],
                format!("#/components/schemas/{item}"),
                "{name}"
            );
        }
    }
    let titles: Vec<&str> = schemas["TokenRequest"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "TokenRequestPassword",
            "TokenRequestApiKey",
            "TokenRequestRefreshToken"
        ]
    );
}

#[test]
fn the_yaml_quotes_what_yaml_1_1_would_read_as_a_boolean() {
    let yaml = sumai_link::openapi::yaml().unwrap();
    // `Evidence` has a property named `on`; unquoted, PyYAML reads it as `true`.
    assert!(yaml.contains("\n        - \"on\"\n") || yaml.contains("- \"on\""));
    assert!(
        !yaml
            .lines()
            .any(|l| l.trim() == "- on" || l.trim() == "on:")
    );
    let back: serde_json::Value = yaml_serde::from_str(&yaml).unwrap();
    assert_eq!(back, sumai_link::openapi::document());
}

/// Two types with one schema name become one component, and the document then describes
/// one of them wrongly (the inquiries' client as the meetings' one, found by
/// Schemathesis). Every `ToSchema` type's name, or its `#[schema(as = …)]`, is unique.
#[test]
fn no_two_schema_types_share_a_component_name() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen = std::collections::HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            let mut renamed = None;
            for next in lines.iter().skip(i + 1).take(8) {
                let next = next.trim();
                if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                    renamed = rest.split([')', ',']).next().map(str::to_owned);
                }
                let item = next
                    .strip_prefix("pub struct ")
                    .or_else(|| next.strip_prefix("pub enum "));
                if let Some(item) = item {
                    let name: String = item
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    // `pub enum $name` of a macro: its uses are not checked here.
                    if name.is_empty() {
                        break;
                    }
                    let name = renamed.take().unwrap_or(name);
                    let here = format!("{}:{}", file.display(), i + 1);
                    if let Some(other) = seen.insert(name.clone(), here.clone()) {
                        panic!("schema {name} is defined twice: {other} and {here}");
                    }
                    break;
                }
            }
        }
    }
    assert!(seen.len() > 100, "{} schema types found", seen.len());
}
