//! Versioning and deprecation (README): the `PUT`s that replace whole records, the
//! deprecated `PATCH`es of the same paths with their `Deprecation`, `Sunset` and `Link`
//! headers, and the OpenAPI document saying the same.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::clients::{client_body, client_path, new_client};
use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};
use crate::meetings::{create_meeting, meeting_body, send, today_start};
use crate::rentals::{etag_of, str_of};

const DEPRECATION: &str = "@1796601600"; // 2026-12-07T00:00:00Z
const SUNSET: &str = "Sat, 01 Jan 2028 00:00:00 GMT"; // the end of 2027-12-31

fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .reduce(|a, b| format!("{a}, {b}"))
}

fn assert_deprecated(res: &Response, successor: &str) {
    assert_eq!(header(res, "deprecation").as_deref(), Some(DEPRECATION));
    assert_eq!(header(res, "sunset").as_deref(), Some(SUNSET));
    let link = header(res, "link").unwrap();
    assert!(
        link.contains(&format!(
            "</docs#operation/{successor}>; rel=\"successor-version\""
        )),
        "{link}"
    );
    assert!(
        link.contains("</docs#section/Versioning-and-deprecation>; rel=\"deprecation\""),
        "{link}"
    );
}

fn assert_not_deprecated(res: &Response) {
    for name in ["deprecation", "sunset"] {
        assert!(res.headers().get(name).is_none(), "{name} on {}", res.url());
    }
}

async fn read(app: &TestApp, path: &str, account: &str) -> (Value, String) {
    let res = app.get(path, account).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = etag_of(&res);
    (res.json().await.unwrap(), etag)
}

#[tokio::test]
async fn put_replaces_a_client_and_the_deprecated_patch_still_does_saying_so() {
    let app = spawn_app().await;
    let client = new_client(&app, "VR-0001").await;
    let id = str_of(&client, "id").to_owned();
    let path = client_path(&id);
    let staff = app.user_id_of("office-staff").await;
    let (_, etag) = read(&app, &path, "office").await;

    let mut body = client_body("VR-0001", &staff);
    body["current_place_note"] = json!("退院日が決まった");
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some(&etag),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_not_deprecated(&res);
    let put_etag = etag_of(&res);
    assert_ne!(put_etag, etag);
    let (stored, _) = read(&app, &path, "office").await;
    assert_eq!(stored["current_place_note"], "退院日が決まった");

    // The same through the deprecated PATCH: the same answer, and the headers.
    body["current_place_note"] = json!("グループホームに移った");
    let res = app
        .patch(&path, "office-staff", Some(&put_etag), body.clone())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_deprecated(&res, "clients_replace");
    let answered: Value = res.json().await.unwrap();
    let (stored, current) = read(&app, &path, "office").await;
    assert_eq!(answered, stored);
    assert_eq!(stored["current_place_note"], "グループホームに移った");

    // Refusals are the PUT's own, and store nothing.
    let mut bad = body.clone();
    bad["date_of_birth"] = json!("1979-13-40");
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some(&current),
        Some(bad),
    )
    .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&problem), ["date_of_birth"]);
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        None,
        Some(body.clone()),
    )
    .await;
    assert_problem(res, 428).await;
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some("\"1\""),
        Some(body.clone()),
    )
    .await;
    assert_problem(res, 412).await;
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office2",
        Some(&current),
        Some(body.clone()),
    )
    .await;
    let problem = assert_problem(res, 404).await;
    assert!(!problem.to_string().contains("VR-0001"));
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-viewer",
        Some(&current),
        Some(body),
    )
    .await;
    assert_problem(res, 403).await;
    let (after, etag_after) = read(&app, &path, "office").await;
    assert_eq!(after, stored);
    assert_eq!(etag_after, current);
}

#[tokio::test]
async fn a_replayed_deprecated_patch_carries_the_headers_too() {
    let app = spawn_app().await;
    let client = new_client(&app, "VR-0002").await;
    let path = client_path(str_of(&client, "id"));
    let staff = app.user_id_of("office-staff").await;
    let (_, etag) = read(&app, &path, "office").await;
    let mut body = client_body("VR-0002", &staff);
    body["current_place_note"] = json!("再送しても一度だけ");
    let token = app.token("office-staff").await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&token)
            .header("If-Match", &etag)
            .header("Idempotency-Key", "versioning-replay-0001")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_deprecated(&res, "clients_replace");
        answers.push(header(&res, "idempotent-replayed"));
    }
    assert_eq!(answers, [None, Some("true".to_owned())]);
}

#[tokio::test]
async fn put_replaces_a_meeting_and_a_council_report_drafts() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let (meeting, etag) = create_meeting(&app, meeting_body(&corp, &today_start(), &[])).await;
    let path = format!("/api/v1/meetings/{}", str_of(&meeting, "id"));
    let mut body = meeting_body(&corp, &today_start(), &[]);
    body.as_object_mut().unwrap().remove("minutes");
    body["agenda"] = json!("空き家の活用");
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some(&etag),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_not_deprecated(&res);
    let etag = etag_of(&res);
    assert_eq!(
        read(&app, &path, "office").await.0["agenda"],
        "空き家の活用"
    );
    body["agenda"] = json!("家賃債務保証");
    let res = send(
        &app,
        Method::PATCH,
        &path,
        "office-staff",
        Some(&etag),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_deprecated(&res, "meetings_replace");
    let etag = etag_of(&res);
    // A partner that attended reads it, but replaces nothing; another office sees nothing.
    let res = send(
        &app,
        Method::PUT,
        &path,
        "corp",
        Some(&etag),
        Some(body.clone()),
    )
    .await;
    assert_problem(res, 403).await;
    let res = send(&app, Method::PUT, &path, "office2", Some(&etag), Some(body)).await;
    assert_problem(res, 404).await;
    assert_eq!(
        read(&app, &path, "office").await.0["agenda"],
        "家賃債務保証"
    );

    let council = app.org_of("council").await;
    let draft = json!({"council_org_id": council, "title": "住まいの課題", "issue_categories": ["rent_level"],
                       "issues_text": "家賃水準が高い"});
    let res = app
        .post("/api/v1/council-reports", "office-staff", draft.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let etag = etag_of(&res);
    let report: Value = res.json().await.unwrap();
    let path = format!("/api/v1/council-reports/{}", str_of(&report, "id"));
    let mut body = draft.clone();
    body["title"] = json!("単身者向け住宅の不足");
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some(&etag),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_not_deprecated(&res);
    let etag = etag_of(&res);
    let mut bad = body.clone();
    bad["council_org_id"] = json!("not-a-uuid");
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some(&etag),
        Some(bad),
    )
    .await;
    assert!(res.status().is_client_error());
    let res = send(
        &app,
        Method::PATCH,
        &path,
        "office-staff",
        Some(&etag),
        Some(body),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_deprecated(&res, "council_reports_replace");
    assert_eq!(
        read(&app, &path, "office").await.0["title"],
        "単身者向け住宅の不足"
    );
}

#[test]
fn the_document_marks_each_deprecated_operation_and_its_successor_takes_the_same() {
    let doc = sumai_link::openapi::document();
    let by_id = |wanted: &str| -> Value {
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if op["operationId"] == wanted {
                    return op.clone();
                }
            }
        }
        panic!("no operation {wanted}");
    };
    let deprecated: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .iter()
                .filter(|(_, op)| op["deprecated"] == true)
                .map(move |(method, _)| (method.clone(), path.clone()))
        })
        .collect();
    let mut listed: Vec<(String, String)> = sumai_link::middleware::deprecation::all()
        .iter()
        .map(|d| (d.method.as_str().to_ascii_lowercase(), d.path.to_owned()))
        .collect();
    listed.sort();
    let mut found = deprecated.clone();
    found.sort();
    assert_eq!(found, listed);
    for entry in sumai_link::middleware::deprecation::all() {
        let method = entry.method.as_str().to_ascii_lowercase();
        let op = &doc["paths"][entry.path][&method];
        let successor = by_id(entry.successor);
        assert!(successor.get("deprecated").is_none());
        assert_eq!(
            op["requestBody"], successor["requestBody"],
            "{}",
            entry.path
        );
        let statuses = |o: &Value| {
            let mut s: Vec<String> = o["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            s.sort();
            s
        };
        assert_eq!(statuses(op), statuses(&successor));
        let headers = &op["responses"]["200"]["headers"];
        for name in ["Deprecation", "Sunset", "Link", "ETag"] {
            assert!(
                headers[name].is_object(),
                "{name} of {method} {}",
                entry.path
            );
        }
        assert!(
            op["description"]
                .as_str()
                .unwrap()
                .contains(entry.sunset_on)
        );
    }
}

#[test]
fn readme_carries_the_versioning_policy_that_docs_serves() {
    let root = env!("CARGO_MANIFEST_DIR");
    let policy = std::fs::read_to_string(format!("{root}/docs/api-versioning.md")).unwrap();
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    assert!(
        readme.contains(policy.trim()),
        "README's section must be docs/api-versioning.md word for word"
    );
    let doc = sumai_link::openapi::document();
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains(policy.trim())
    );
    let changelog = std::fs::read_to_string(format!("{root}/CHANGELOG.md")).unwrap();
    for entry in sumai_link::middleware::deprecation::all() {
        assert!(
            changelog.contains(&format!("{} {}", entry.method, entry.path)),
            "CHANGELOG.md says nothing of the deprecation of {} {}",
            entry.method,
            entry.path
        );
    }
}
