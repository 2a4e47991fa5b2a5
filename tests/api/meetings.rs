//! `/api/v1/meetings`: office@'s information-sharing meetings with corp@ (and hsc@).
//! Clients are shared only under a discuss_at_meetings consent that covers the meeting
//! day, each sharing is a provision to each partner, the partners read what they
//! attended and nobody else does, minutes are versioned, and a closed month (closed by
//! the office, or from the 11th of the next month) takes only amendments.

mod reports;

use chrono::Duration;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sumai_link::domain::year_month::YearMonth;

use crate::clients::{new_client, today};
use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};
use crate::rentals::{etag_of, str_of};

/// 00:00 of today in Tokyo (always in the current month, never in the future).
pub fn today_start() -> String {
    format!("{}T00:00:00+09:00", today())
}

/// 14:00 on the 15th of the month `back` months ago, in Tokyo.
pub fn months_ago(back: u32) -> String {
    let mut m = YearMonth::of(today());
    for _ in 0..back {
        m = m.prev();
    }
    format!("{}T14:00:00+09:00", m.first_day() + Duration::days(14))
}

pub fn meeting_body(app_corp: &str, held_at: &str, clients: &[&str]) -> Value {
    json!({
        "held_at": held_at,
        "format": "in_person",
        "partner_org_ids": [app_corp],
        "attendees": [
            {"name": "鈴木 健", "organization": "相談支援事業所 ひだまり", "role": "相談支援専門員"},
            {"name": "伊藤 直子", "organization": "NPO法人 すまいサポート札幌", "organization_id": app_corp, "role": "居住支援法人 担当"},
        ],
        "agenda": "住まい探しの状況",
        "client_ids": clients,
        "issue_categories": ["lack_of_vacancies", "guarantor"],
        "issues_note": "保証人のいない方の審査が厳しい",
        "minutes": "第1版の議事録",
    })
}

/// A client of office@ who consented `days_ago` days ago to be discussed at meetings.
pub async fn consenting_client(app: &TestApp, code: &str, days_ago: i64) -> String {
    let id = str_of(&new_client(app, code).await, "id").to_owned();
    let res = app
        .post(
            &format!("/api/v1/clients/{id}/consents"),
            "office-staff",
            json!({"purpose": "discuss_at_meetings", "method": "written",
                   "given_on": (today() - Duration::days(days_ago)).to_string()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    id
}

/// Records a meeting as office-staff@, expecting 201; returns (body, ETag).
pub async fn create_meeting(app: &TestApp, body: Value) -> (Value, String) {
    let res = app.post("/api/v1/meetings", "office-staff", body).await;
    let status = res.status();
    let etag = res
        .headers()
        .get("etag")
        .map(|e| e.to_str().unwrap().to_owned());
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body, etag.unwrap())
}

/// A request with an optional If-Match.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    account: &str,
    etag: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(app.token(account).await);
    if let Some(e) = etag {
        req = req.header("If-Match", e);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_meeting_shares_consented_clients_with_its_partners_only() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let client = consenting_client(&app, "MT-0001", 30).await;
    let (m, etag) = create_meeting(&app, meeting_body(&corp, &today_start(), &[&client])).await;
    assert_eq!(etag, "\"1\"");
    assert_eq!(m["clients"][0]["display_code"], "MT-0001");
    assert_eq!(m["minutes"], "第1版の議事録");
    assert_eq!(m["minutes_version"], 1);
    assert_eq!(m["locked"], false);
    assert_eq!(m["month"], YearMonth::of(today()).to_string());
    assert_eq!(
        m["issue_categories"],
        json!(["lack_of_vacancies", "guarantor"])
    );
    let path = format!("/api/v1/meetings/{}", str_of(&m, "id"));

    // The partner received the client's data: one provision, under the consent.
    let res = app
        .get(&format!("/api/v1/clients/{client}/provisions"), "office")
        .await;
    let provisions: Vec<Value> = res.json().await.unwrap();
    let to_corp: Vec<&Value> = provisions
        .iter()
        .filter(|p| p["recipient_org_id"] == corp.as_str() && p["items"] == "meeting")
        .collect();
    assert_eq!(to_corp.len(), 1, "{provisions:?}");
    assert_eq!(to_corp[0]["purpose"], "discuss_at_meetings");

    for who in ["office", "office-viewer", "corp"] {
        let res = app.get(&path, who).await;
        assert_eq!(res.status(), StatusCode::OK, "{who}");
    }
    for who in ["hsc", "office2", "council", "landlord", "operator"] {
        assert_problem(app.get(&path, who).await, 404).await;
    }
    let mut body = meeting_body(&corp, &today_start(), &[]);
    body["minutes"] = Value::Null;
    let res = send(&app, Method::PATCH, &path, "corp", Some(&etag), Some(body)).await;
    assert_problem(res, 403).await;

    // The partner's list shows it, a third organisation's does not.
    let list: Value = app
        .get("/api/v1/meetings?limit=200", "corp")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == m["id"])
    );
    let list: Value = app
        .get("/api/v1/meetings?limit=200", "hsc")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == m["id"])
    );
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let landlord = app.org_of("landlord").await;
    let before = (
        app.count("meetings").await,
        app.count("provision_log").await,
    );
    let res = app
        .post(
            "/api/v1/meetings",
            "office",
            json!({
                "held_at": "2026-05-14 14:00",
                "format": "video",
                "partner_org_ids": [],
                "attendees": [{"name": " ", "organization": "x", "role": "y"}],
                "client_ids": ["nope"],
                "issue_categories": ["rent_level", "weather"],
            }),
        )
        .await;
    let p = assert_problem(res, 422).await;
    let fields = problem_fields(&p);
    for f in [
        "held_at",
        "format",
        "partner_org_ids",
        "attendees[0].name",
        "client_ids[0]",
        "issue_categories[1]",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    // A landlord is no meeting partner; `other` needs words.
    let mut body = meeting_body(&landlord, &today_start(), &[]);
    body["issue_categories"] = json!(["other"]);
    body["issues_note"] = Value::Null;
    let p = assert_problem(app.post("/api/v1/meetings", "office", body).await, 422).await;
    assert_eq!(problem_fields(&p), vec!["issues_note"]);
    let body = meeting_body(&landlord, &today_start(), &[]);
    let p = assert_problem(app.post("/api/v1/meetings", "office", body).await, 422).await;
    assert_eq!(problem_fields(&p), vec!["partner_org_ids[0]"]);
    // Unknown fields are refused.
    let mut body = meeting_body(&corp, &today_start(), &[]);
    body["room"] = json!("会議室A");
    assert_problem(app.post("/api/v1/meetings", "office", body).await, 400).await;
    assert_eq!(
        before,
        (
            app.count("meetings").await,
            app.count("provision_log").await
        )
    );
}

#[tokio::test]
async fn a_client_without_a_consent_covering_the_meeting_day_is_refused() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let late = consenting_client(&app, "MT-0002", 5).await;
    let none = str_of(&new_client(&app, "MT-0003").await, "id").to_owned();
    let office2_client = app
        .get("/api/v1/clients?limit=1", "office2")
        .await
        .json::<Value>()
        .await
        .unwrap()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = (
        app.count("meetings").await,
        app.count("provision_log").await,
    );
    let held = format!("{}T10:00:00+09:00", today() - Duration::days(10));
    let body = meeting_body(&corp, &held, &[&late, &none, &office2_client]);
    let p = assert_problem(app.post("/api/v1/meetings", "office", body).await, 422).await;
    assert_eq!(
        problem_fields(&p),
        vec!["client_ids[0]", "client_ids[1]", "client_ids[2]"]
    );
    assert!(p["detail"].as_str().unwrap().contains("consent"), "{p}");
    assert_eq!(
        before,
        (
            app.count("meetings").await,
            app.count("provision_log").await
        )
    );
    // A withdrawn consent stops covering later meetings.
    let consents: Vec<Value> = app
        .get(&format!("/api/v1/clients/{late}/consents"), "office")
        .await
        .json()
        .await
        .unwrap();
    let cid = str_of(&consents[0], "id");
    let res = app
        .post(
            &format!("/api/v1/clients/{late}/consents/{cid}/withdraw"),
            "office",
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = meeting_body(&corp, &today_start(), &[&late]);
    let p = assert_problem(app.post("/api/v1/meetings", "office", body).await, 422).await;
    assert_eq!(problem_fields(&p), vec!["client_ids[0]"]);
}

#[tokio::test]
async fn minutes_are_versioned_and_every_update_needs_the_current_etag() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let (m, etag) = create_meeting(&app, meeting_body(&corp, &today_start(), &[])).await;
    let path = format!("/api/v1/meetings/{}", str_of(&m, "id"));
    let minutes = format!("{path}/minutes");
    let v2 = json!({"text": "第2版: 出席者の発言を追記"});
    assert_problem(
        send(
            &app,
            Method::PUT,
            &minutes,
            "office",
            None,
            Some(v2.clone()),
        )
        .await,
        428,
    )
    .await;
    assert_problem(
        send(
            &app,
            Method::PUT,
            &minutes,
            "office",
            Some("\"9\""),
            Some(v2.clone()),
        )
        .await,
        412,
    )
    .await;
    let p = assert_problem(
        send(
            &app,
            Method::PUT,
            &minutes,
            "office",
            Some(&etag),
            Some(json!({"text": ""})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["text"]);
    let res = send(&app, Method::PUT, &minutes, "office", Some(&etag), Some(v2)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag2 = etag_of(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["minutes_version"].clone(), etag2.as_str()),
        (json!(2), "\"2\"")
    );
    assert_problem(
        send(
            &app,
            Method::PUT,
            &minutes,
            "office-viewer",
            Some(&etag2),
            Some(json!({"text": "x"})),
        )
        .await,
        403,
    )
    .await;

    let versions: Vec<Value> = app.get(&minutes, "corp").await.json().await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["text"], "第1版の議事録");
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(
        versions[1]["written_by_user_id"],
        app.user_id_of("office").await.as_str()
    );

    // The whole record is replaced under If-Match; the old ETag is stale.
    let mut body = meeting_body(&corp, &today_start(), &[]);
    body["minutes"] = Value::Null;
    body["format"] = json!("online");
    assert_problem(
        send(
            &app,
            Method::PATCH,
            &path,
            "office",
            Some(&etag),
            Some(body.clone()),
        )
        .await,
        412,
    )
    .await;
    let res = send(
        &app,
        Method::PATCH,
        &path,
        "office",
        Some(&etag2),
        Some(body.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after: Value = res.json().await.unwrap();
    assert_eq!(
        (after["format"].clone(), after["version"].clone()),
        (json!("online"), json!(3))
    );
    assert_eq!(after["minutes"], "第2版: 出席者の発言を追記");
    body["minutes"] = json!("PATCH では議事録を変えない");
    let p = assert_problem(
        send(
            &app,
            Method::PATCH,
            &path,
            "office",
            Some("\"3\""),
            Some(body),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["minutes"]);
}

#[tokio::test]
async fn a_month_past_its_billing_deadline_takes_only_amendments() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let client = consenting_client(&app, "MT-0004", 200).await;
    let (m, etag) = create_meeting(&app, meeting_body(&corp, &months_ago(2), &[&client])).await;
    assert_eq!(m["locked"], true);
    let path = format!("/api/v1/meetings/{}", str_of(&m, "id"));
    let mut body = meeting_body(&corp, &months_ago(2), &[]);
    body["minutes"] = Value::Null;
    let p = assert_problem(
        send(
            &app,
            Method::PATCH,
            &path,
            "office",
            Some(&etag),
            Some(body.clone()),
        )
        .await,
        409,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("amendments"), "{p}");
    let text = json!({"text": "直したい"});
    assert_problem(
        send(
            &app,
            Method::PUT,
            &format!("{path}/minutes"),
            "office",
            Some(&etag),
            Some(text),
        )
        .await,
        409,
    )
    .await;
    // Nor can an open meeting be moved into the closed month.
    let (open, open_etag) = create_meeting(&app, meeting_body(&corp, &today_start(), &[])).await;
    let open_path = format!("/api/v1/meetings/{}", str_of(&open, "id"));
    assert_problem(
        send(
            &app,
            Method::PATCH,
            &open_path,
            "office",
            Some(&open_etag),
            Some(body),
        )
        .await,
        409,
    )
    .await;

    let amendments = format!("{path}/amendments");
    let p = assert_problem(
        app.post(
            &amendments,
            "office",
            json!({"fields": ["weather"], "change": " ", "reason": "x"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["fields[0]", "change"]);
    assert_problem(
        app.post(
            &amendments,
            "corp",
            json!({"fields": ["minutes"], "change": "x", "reason": "y"}),
        )
        .await,
        403,
    )
    .await;
    let res = app
        .post(&amendments, "office-staff", json!({"fields": ["attendees", "minutes"], "change": "出席者に小川氏を追加", "reason": "記載漏れ"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let read: Value = app.get(&path, "corp").await.json().await.unwrap();
    let listed = read["amendments"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["fields"], json!(["attendees", "minutes"]));
    assert_eq!(
        listed[0]["made_by_user_id"],
        app.user_id_of("office-staff").await.as_str()
    );
    assert_eq!(
        read["version"], 1,
        "an amendment leaves the record as it was"
    );
    // While the month is open, the meeting is edited instead.
    let res = app
        .post(
            &format!("{open_path}/amendments"),
            "office",
            json!({"fields": ["agenda"], "change": "x", "reason": "y"}),
        )
        .await;
    assert_problem(res, 409).await;
}

#[tokio::test]
async fn an_office_closes_a_month_itself() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let office = app.org_of("office").await;
    let (m, etag) = create_meeting(&app, meeting_body(&corp, &today_start(), &[])).await;
    let path = format!("/api/v1/meetings/{}", str_of(&m, "id"));
    let this = YearMonth::of(today());
    let close = |month: String| format!("/api/v1/offices/{office}/months/{month}/close");
    assert_problem(
        app.post(&close(this.to_string()), "office-viewer", json!({}))
            .await,
        403,
    )
    .await;
    assert_problem(
        app.post(&close(this.to_string()), "corp", json!({})).await,
        404,
    )
    .await;
    assert_problem(
        app.post(&close(this.next().to_string()), "office", json!({}))
            .await,
        400,
    )
    .await;
    let p = assert_problem(
        app.post(&close("2026-13".into()), "office", json!({}))
            .await,
        400,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["month"]);
    let res = app
        .post(&close(this.to_string()), "office-staff", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let closed: Value = res.json().await.unwrap();
    assert_eq!(
        (closed["closed"].clone(), closed["month"].clone()),
        (json!(true), json!(this.to_string()))
    );
    let again: Value = app
        .post(&close(this.to_string()), "office", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["closed_at"], closed["closed_at"],
        "closing twice changes nothing"
    );

    let read: Value = app.get(&path, "office").await.json().await.unwrap();
    assert_eq!(read["locked"], true);
    let mut body = meeting_body(&corp, &today_start(), &[]);
    body["minutes"] = Value::Null;
    assert_problem(
        send(
            &app,
            Method::PATCH,
            &path,
            "office",
            Some(&etag),
            Some(body),
        )
        .await,
        409,
    )
    .await;
    let res = app
        .post(
            &format!("{path}/amendments"),
            "office",
            json!({"fields": ["agenda"], "change": "議題を追加", "reason": "漏れ"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn lists_filter_by_month_and_the_demo_has_a_year_with_one_month_missed() {
    let app = spawn_app().await;
    let this = YearMonth::of(today());
    let (from, to) = (YearMonth::parse(&months_ago(12)[..7]).unwrap(), this.prev());
    let q = format!("/api/v1/meetings?from={from}&to={to}&limit=200");
    let office: Value = app.get(&q, "office").await.json().await.unwrap();
    let items = office["items"].as_array().unwrap();
    assert_eq!(items.len(), 11, "{office}");
    let months: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i["month"].as_str().unwrap()).collect();
    assert_eq!(months.len(), 11);
    assert!(
        items
            .iter()
            .all(|i| i["client_count"].as_u64().unwrap() >= 2)
    );
    let corp: Value = app.get(&q, "corp").await.json().await.unwrap();
    assert_eq!(corp["items"].as_array().unwrap().len(), 11);
    let hsc: Value = app.get(&q, "hsc").await.json().await.unwrap();
    let n = hsc["items"].as_array().map_or(0, Vec::len);
    assert!((3..=4).contains(&n), "{hsc}");
    let one: Value = app
        .get(&format!("/api/v1/meetings?from={to}&to={to}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let page: Value = app
        .get(
            &format!("/api/v1/meetings?from={from}&to={to}&limit=5"),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(page["next_cursor"].is_string());
    for bad in [
        "from=2026-5",
        "to=x",
        "from=2026-05&to=2026-04",
        "month=2026-05",
    ] {
        let res = app.get(&format!("/api/v1/meetings?{bad}"), "office").await;
        assert_problem(res, 400).await;
    }
    assert_problem(app.get("/api/v1/meetings", "landlord").await, 403).await;
}
