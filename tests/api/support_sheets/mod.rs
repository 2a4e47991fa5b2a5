//! `/api/v1/support-sheets`: the office writes versions and publishes one; recipients
//! see only the sections the client consented to share with them, in that version;
//! every view by another organisation is in the provision log. The demo's sheet
//! (HM-0001, moved into landlord@'s flat) is shared with landlord@ (network, schedule,
//! scenarios, review) and with corp@ (everything, and it co-writes).

mod concerns;
mod output;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};
use sumai_link::demo::support_sheets::sample_sections;
use sumai_link::domain::time::today_tokyo;

/// The id of a demo client, as its office sees it.
pub async fn client_id(app: &TestApp, office: &str, code: &str) -> String {
    let list: Value = app
        .get("/api/v1/clients?limit=200", office)
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["display_code"] == code)
        .unwrap_or_else(|| panic!("no client {code}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The demo's sheet (of HM-0001).
pub async fn demo_sheet(app: &TestApp) -> String {
    let client = client_id(app, "office", "HM-0001").await;
    let list: Value = app
        .get(
            &format!("/api/v1/support-sheets?client_id={client}"),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_str().unwrap().to_owned()
}

pub fn sections() -> Value {
    serde_json::to_value(sample_sections(
        None,
        None,
        today_tokyo() - Duration::days(3),
    ))
    .unwrap()
}

pub async fn put(
    app: &TestApp,
    id: &str,
    account: &str,
    etag: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(
            Method::PUT,
            app.url(&format!("/api/v1/support-sheets/{id}")),
        )
        .bearer_auth(app.token(account).await)
        .json(&body);
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    req.send().await.unwrap()
}

pub async fn provisions_to(app: &TestApp, org: &str) -> i64 {
    use diesel::prelude::*;
    use sumai_link::db::schema::provision_log;
    let org = org.to_owned();
    app.db
        .run(move |conn| {
            Ok(provision_log::table
                .filter(provision_log::recipient_org_id.eq(org))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_office_writes_versions_publishes_one_and_compares_them() {
    let app = spawn_app().await;
    let client = client_id(&app, "office", "HM-0002").await;
    let res = app
        .post(
            "/api/v1/support-sheets",
            "office-staff",
            json!({"client_id": client, "sections": sections(), "note": "初版"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let doc: Value = res.json().await.unwrap();
    let id = doc["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/support-sheets/{id}"));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["state"], "draft");
    assert_eq!(doc["withheld"], json!([]));
    assert_eq!(doc["sections"]["network"][0]["phone"], "011-211-0000");

    // One sheet per client.
    let again = app
        .post(
            "/api/v1/support-sheets",
            "office",
            json!({"client_id": client, "sections": sections()}),
        )
        .await;
    assert_problem(again, 409).await;

    // Every save is a version, and only on top of the latest one.
    let mut changed = sections();
    changed["network"][1]["phone"] = json!("０１１－９９９－００００");
    changed["person"]["wishes"] = json!(["猫と暮らす"]);
    let body = json!({"sections": changed, "note": "主治医の電話番号の変更"});
    assert_problem(put(&app, &id, "office", None, body.clone()).await, 428).await;
    assert_problem(
        put(&app, &id, "office", Some("\"0\""), body.clone()).await,
        412,
    )
    .await;
    let res = put(&app, &id, "office", Some("\"1\""), body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let v2: Value = res.json().await.unwrap();
    assert_eq!(
        (v2["version"].clone(), v2["state"].clone()),
        (json!(2), json!("draft"))
    );
    assert_eq!(v2["sections"]["network"][1]["phone"], "011-999-0000");
    assert_problem(put(&app, &id, "office", Some("\"1\""), body).await, 412).await;

    let versions: Value = app
        .get(&format!("/api/v1/support-sheets/{id}/versions"), "office")
        .await
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![2, 1]);
    assert_eq!(versions["items"][0]["note"], "主治医の電話番号の変更");

    let diff: Value = app
        .get(
            &format!("/api/v1/support-sheets/{id}/diff?from=1&to=2"),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    let paths: Vec<&str> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        vec![
            "network[clinic].phone",
            "person.wishes[0]",
            "person.wishes[1]",
            "person.wishes[2]"
        ]
    );
    assert_eq!(diff["changes"][0]["before"], "011-222-3344");
    assert_eq!(diff["changes"][0]["after"], "011-999-0000");
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}/diff?from=1&to=9"),
            "office",
        )
        .await;
    assert_eq!(problem_fields(&assert_problem(res, 400).await), vec!["to"]);

    // Reading an older version; publishing one.
    let v1: Value = app
        .get(&format!("/api/v1/support-sheets/{id}?version=1"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v1["sections"]["network"][1]["phone"], "011-222-3344");
    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/publish"),
            "office-viewer",
            json!({"version": 2}),
        )
        .await;
    assert_problem(res, 403).await;
    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/publish"),
            "office",
            json!({"version": 3}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["version"]
    );
    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/publish"),
            "office",
            json!({"version": 2}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let published: Value = res.json().await.unwrap();
    assert_eq!(published["state"], "published");
    assert_eq!(published["published_version"], 2);
}

#[tokio::test]
async fn bad_sheets_are_refused_field_by_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let client = client_id(&app, "office", "HM-0002").await;
    let (sheets, versions) = (
        app.count("support_sheets").await,
        app.count("support_sheet_versions").await,
    );

    let mut s = sections();
    s["network"][0]["kind"] = json!("fortune_teller");
    let res = app
        .post(
            "/api/v1/support-sheets",
            "office",
            json!({"client_id": client, "sections": s}),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(problem_fields(&p), vec!["sections.network[0].kind"], "{p}");

    let mut s = sections();
    s["payment"].as_object_mut().unwrap().remove("due_day");
    let res = app
        .post(
            "/api/v1/support-sheets",
            "office",
            json!({"client_id": client, "sections": s}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["sections.payment.due_day"]
    );

    let mut s = sections();
    s["network"][1]["phone"] = json!("12-34");
    s["network"][2]["hours"] = json!([{"days": ["mon"], "from": "18:00", "to": "09:00"}]);
    s["scenarios"]
        .as_array_mut()
        .unwrap()
        .retain(|x| x["kind"] != "disaster");
    s["review"]["reviewed_on"] = json!((today_tokyo() + Duration::days(2)).to_string());
    let res = app
        .post(
            "/api/v1/support-sheets",
            "office",
            json!({"client_id": client, "sections": s}),
        )
        .await;
    let fields = problem_fields(&assert_problem(res, 422).await);
    for f in [
        "sections.network[1].phone",
        "sections.network[2].hours[0].to",
        "sections.scenarios",
        "sections.review.reviewed_on",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }

    // A client of another office is not one to write for.
    let other = client_id(&app, "office2", "MN-0001").await;
    let res = app
        .post(
            "/api/v1/support-sheets",
            "office",
            json!({"client_id": other, "sections": sections()}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["client_id"]
    );
    // Landlords, councils and viewers write no sheets.
    for account in ["landlord", "council", "office-viewer", "corp"] {
        let res = app
            .post(
                "/api/v1/support-sheets",
                account,
                json!({"client_id": client, "sections": sections()}),
            )
            .await;
        assert_problem(res, 403).await;
    }
    assert_eq!(app.count("support_sheets").await, sheets);
    assert_eq!(app.count("support_sheet_versions").await, versions);

    // A bad new version keeps the sheet as it was.
    let id = demo_sheet(&app).await;
    let mut s = sections();
    s["schedule"][0]["contact"] = json!("nobody");
    let res = put(&app, &id, "office", Some("\"2\""), json!({"sections": s})).await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["sections.schedule[0].contact"]
    );
    let doc: Value = app
        .get(&format!("/api/v1/support-sheets/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["latest_version"], 2);
    assert_eq!(app.count("support_sheet_versions").await, versions);
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}?format=docx"),
            "office",
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(res, 400).await),
        vec!["format"]
    );
}

#[tokio::test]
async fn a_landlord_sees_only_the_consented_sections_of_the_published_version() {
    let app = spawn_app().await;
    let id = demo_sheet(&app).await;
    let landlord = app.org_of("landlord").await;
    let before = provisions_to(&app, &landlord).await;

    let list: Value = app
        .get("/api/v1/support-sheets", "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], id.as_str());
    assert_eq!(list["items"][0]["latest_version"], Value::Null);

    let res = app
        .get(&format!("/api/v1/support-sheets/{id}"), "landlord")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("etag").is_none());
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["version"], 1, "the published version, not the draft");
    assert_eq!(doc["latest_version"], Value::Null);
    assert_eq!(doc["withheld"], json!(["person", "payment"]));
    let shown: Vec<&String> = doc["sections"].as_object().unwrap().keys().collect();
    assert_eq!(shown, vec!["network", "review", "scenarios", "schedule"]);
    let text = doc.to_string();
    assert!(
        !text.contains("障害年金") && !text.contains("通院先の近くで"),
        "{text}"
    );
    // Four sections went to the landlord: four provision records.
    assert_eq!(provisions_to(&app, &landlord).await, before + 4);

    // Drafts and other versions are the office's.
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}?version=2"),
            "landlord",
        )
        .await;
    assert_problem(res, 404).await;
    let versions: Value = app
        .get(&format!("/api/v1/support-sheets/{id}/versions"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(versions["items"].as_array().unwrap().len(), 1);
    let res = app
        .get(
            &format!("/api/v1/support-sheets/{id}/diff?from=1&to=2"),
            "landlord",
        )
        .await;
    assert_problem(res, 403).await;
    let res = put(
        &app,
        &id,
        "landlord",
        Some("\"2\""),
        json!({"sections": sections()}),
    )
    .await;
    assert_problem(res, 403).await;

    // Organisations the client shared nothing with see nothing, not even that it exists.
    for account in [
        "landlord2",
        "agent",
        "office2",
        "council",
        "hsc",
        "operator",
    ] {
        let res = app
            .get(&format!("/api/v1/support-sheets/{id}"), account)
            .await;
        assert_problem(res, 404).await;
        let res = app
            .get(&format!("/api/v1/support-sheets/{id}/concerns"), account)
            .await;
        assert_problem(res, 404).await;
        let list: Value = app
            .get("/api/v1/support-sheets", account)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"], json!([]), "{account}");
    }

    // The client withdraws the network section: the landlord no longer gets it.
    let client = client_id(&app, "office", "HM-0001").await;
    let consents: Value = app
        .get(&format!("/api/v1/clients/{client}/consents"), "office")
        .await
        .json()
        .await
        .unwrap();
    let network = consents
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["sheet_section"] == "network" && c["recipient_org_id"] == landlord.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post(
            &format!("/api/v1/clients/{client}/consents/{network}/withdraw"),
            "office",
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = app
        .get(&format!("/api/v1/support-sheets/{id}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["withheld"], json!(["person", "network", "payment"]));
    assert!(!doc.to_string().contains("090-1234-5678"));
}

#[tokio::test]
async fn the_partner_corp_reads_drafts_and_contributes_a_version_but_does_not_publish() {
    let app = spawn_app().await;
    let id = demo_sheet(&app).await;
    let corp = app.org_of("corp").await;
    let res = app
        .get(&format!("/api/v1/support-sheets/{id}"), "corp")
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(
        (doc["version"].clone(), doc["state"].clone()),
        (json!(2), json!("draft"))
    );
    assert_eq!(doc["withheld"], json!([]));

    let mut s = doc["sections"].clone();
    s["schedule"][1]["time"] = json!("19:00");
    let res = put(
        &app,
        &id,
        "corp",
        Some("\"2\""),
        json!({"sections": s, "note": "見守り電話の時間を変更"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v3: Value = res.json().await.unwrap();
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["author_org_id"], corp.as_str());

    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/publish"),
            "corp",
            json!({"version": 3}),
        )
        .await;
    assert_problem(res, 403).await;
    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/publish"),
            "office",
            json!({"version": 3}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The landlord now gets version 3.
    let doc: Value = app
        .get(&format!("/api/v1/support-sheets/{id}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["version"], 3);
    assert_eq!(doc["sections"]["schedule"][1]["time"], "19:00");
}
