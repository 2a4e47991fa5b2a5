//! `GET /api/v1/councils/{id}/reports/meetings`: council@'s report on the meetings of
//! the offices in 札幌市 (office@, and office2@ which only plans) over April-June 2024,
//! seeded through the API (set-up, clients, consents, meetings, a written report) with
//! the refusals and the report's submission day moved into the period in the database.
//! Figures are checked in JSON, CSV and the PDF's text; a client who did not consent to
//! be named never appears.

mod exports;

use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sumai_link::db::schema::{council_reports, inquiries, inquiry_events};

use crate::clients::{client_body, create_client};
use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};
use crate::meetings::{create_meeting, meeting_body, send};
use crate::rentals::{etag_of, str_of};

pub const PERIOD: &str = "from=2024-04&to=2024-06";
/// Consented to be named in council reports.
pub const NAMED: &str = "青山 美和";
/// Did not: must never reach the council.
pub const WITHHELD: &str = "北村 千尋";
pub const OFFICE_NAME: &str = "相談支援事業所 ひだまり";

pub struct Seeded {
    pub council: String,
    /// The landlords' reasons of the refusals moved into the period, as stored.
    pub declines: Vec<String>,
}

pub fn report_path(council: &str, query: &str) -> String {
    format!("/api/v1/councils/{council}/reports/meetings?{query}")
}

async fn client(app: &TestApp, code: &str, name: &str, council_consent: bool) -> String {
    let staff = app.user_id_of("office-staff").await;
    let mut body = client_body(code, &staff);
    body["name"] = json!(name);
    body["name_kana"] = Value::Null;
    let id = str_of(&create_client(app, "office-staff", body).await, "id").to_owned();
    let mut purposes = vec!["discuss_at_meetings"];
    if council_consent {
        purposes.push("council_reports");
    }
    for purpose in purposes {
        let res = app
            .post(
                &format!("/api/v1/clients/{id}/consents"),
                "office-staff",
                json!({"purpose": purpose, "method": "written", "given_on": "2024-01-05"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    id
}

async fn meeting(
    app: &TestApp,
    corp: &str,
    at: &str,
    clients: &[&str],
    issues: Value,
    note: &str,
) -> String {
    let mut body = meeting_body(corp, at, clients);
    body["issue_categories"] = issues;
    body["issues_note"] = json!(note);
    str_of(&create_meeting(app, body).await.0, "id").to_owned()
}

/// April met, May missed, June met only because months are Tokyo months (its meeting is
/// at 00:30 on 1 June in Tokyo, still 31 May in UTC).
pub async fn seed(app: &TestApp) -> Seeded {
    let office = app.org_of("office").await;
    let corp = app.org_of("corp").await;
    let council = app.org_of("council").await;
    let setup = format!("/api/v1/offices/{office}/setup");
    let res = app.get(&setup, "office").await;
    let etag = etag_of(&res);
    let body = json!({"partner_org_id": corp, "partnership_since": "2024-01-01",
        "published_on": "2024-01-15", "notified_on": "2024-01-20",
        "services": ["community_transition", "community_settlement"]});
    let res = send(app, Method::PUT, &setup, "office", Some(&etag), Some(body)).await;
    assert_eq!(res.status(), StatusCode::OK);

    let named = client(app, "CR-0001", NAMED, true).await;
    let withheld = client(app, "CR-0002", WITHHELD, false).await;
    let m1 = meeting(
        app,
        &corp,
        "2024-04-10T14:00:00+09:00",
        &[&named, &withheld],
        json!(["guarantor", "lack_of_vacancies"]),
        &format!("{WITHHELD}さんの保証人が見つからない"),
    )
    .await;
    meeting(
        app,
        &corp,
        "2024-06-01T00:30:00+09:00",
        &[&named],
        json!(["guarantor"]),
        "保証会社の審査に時間がかかる",
    )
    .await;

    let report = json!({"council_org_id": council, "title": format!("{WITHHELD}さんの住まい探しの課題"),
        "issue_categories": ["guarantor"], "issues_text": "保証人がいない", "meeting_ids": [m1]});
    let res = app
        .post("/api/v1/council-reports", "office-staff", report)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let (etag, id) = (
        etag_of(&res),
        str_of(&res.json::<Value>().await.unwrap(), "id").to_owned(),
    );
    let submit = format!("/api/v1/council-reports/{id}/submit");
    let res = send(app, Method::POST, &submit, "office", Some(&etag), None).await;
    assert_eq!(res.status(), StatusCode::OK);

    let declines = app
        .db
        .run(move |conn| {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 5, 20).unwrap();
            diesel::update(council_reports::table.find(id))
                .set(council_reports::submitted_on.eq(Some(day)))
                .execute(conn)?;
            let at = day.and_hms_opt(3, 0, 0).unwrap();
            diesel::update(inquiry_events::table.filter(inquiry_events::to_status.eq("declined")))
                .set(inquiry_events::at.eq(at))
                .execute(conn)?;
            let reasons: Vec<Option<String>> = inquiries::table
                .filter(inquiries::status.eq("declined"))
                .select(inquiries::decline_reason)
                .load(conn)?;
            Ok(reasons.into_iter().flatten().collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert!(!declines.is_empty(), "the demo has refusals");
    Seeded { council, declines }
}

pub async fn report_json(app: &TestApp, council: &str) -> (Value, String) {
    let res = app.get(&report_path(council, PERIOD), "council").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

#[tokio::test]
async fn a_councils_report_counts_its_offices_meetings_by_tokyo_month_and_names_only_consenting_clients()
 {
    let app = spawn_app().await;
    let s = seed(&app).await;
    let (r, text) = report_json(&app, &s.council).await;

    assert!(!text.contains(WITHHELD), "a withheld name leaked: {text}");
    assert_eq!(r["council"]["area"]["municipality_code"], "011002");
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("2024-04"), Some("2024-06"))
    );
    let month_rows: Vec<(String, u64, u64, u64, u64, Value)> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["offices_bound"].as_u64().unwrap(),
                m["met"].as_u64().unwrap(),
                m["missed"].as_u64().unwrap(),
                m["meetings"].as_u64().unwrap(),
                m["rate_percent"].clone(),
            )
        })
        .collect();
    assert_eq!(
        month_rows,
        [
            ("2024-04".to_owned(), 1, 1, 0, 1, json!(100)),
            ("2024-05".to_owned(), 1, 0, 1, 0, json!(0)),
            ("2024-06".to_owned(), 1, 1, 0, 1, json!(100)),
        ]
    );
    let summary = &r["summary"];
    assert_eq!(summary["offices_bound"], 1);
    assert_eq!(summary["meetings"], 2);
    assert_eq!(summary["compliance_rate_percent"], 67);
    assert_eq!(summary["written_reports"], 1);
    assert_eq!(summary["clients_discussed"], 2);

    let offices = r["offices"].as_array().unwrap();
    let office = offices.iter().find(|o| o["name"] == OFFICE_NAME).unwrap();
    let statuses: Vec<&str> = office["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["met", "missed", "met"]);
    assert_eq!(
        (office["met"].as_u64(), office["bound"].as_u64()),
        (Some(2), Some(3))
    );
    // office2@ provides only 計画相談支援: never bound.
    let other = offices.iter().find(|o| o["name"] != OFFICE_NAME).unwrap();
    assert_eq!(other["bound"], 0);

    let issues: Vec<(&str, u64)> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["category"].as_str().unwrap(),
                i["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(issues, [("guarantor", 2), ("lack_of_vacancies", 1)]);
    assert_eq!(r["issues"][0]["label"], "保証人・家賃債務保証");
    assert_eq!(
        r["issues"][0]["examples"],
        json!([
            "保証会社の審査に時間がかかる",
            "〇〇さんの保証人が見つからない"
        ])
    );
    assert_eq!(
        r["written_reports"][0]["title"],
        "〇〇さんの住まい探しの課題"
    );
    assert_eq!(r["written_reports"][0]["submitted_on"], "2024-05-20");

    let mut expected: Vec<(String, u64)> = Vec::new();
    for reason in &s.declines {
        match expected.iter_mut().find(|(r, _)| r == reason) {
            Some((_, n)) => *n += 1,
            None => expected.push((reason.clone(), 1)),
        }
    }
    let mut got: Vec<(String, u64)> = r["declines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["reason"].as_str().unwrap().to_owned(),
                d["count"].as_u64().unwrap(),
            )
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(summary["declines"], s.declines.len() as u64);

    assert_eq!(
        r["clients"]["named"],
        json!([{"name": NAMED, "office_name": OFFICE_NAME, "meetings": 2}])
    );
    assert_eq!(r["clients"]["withheld"], 1);
}

#[tokio::test]
async fn only_the_council_itself_reads_its_report() {
    let app = spawn_app().await;
    let council = app.org_of("council").await;
    let path = report_path(&council, PERIOD);
    for who in ["office", "corp", "hsc", "operator", "landlord", "agent"] {
        assert_problem(app.get(&path, who).await, 404).await;
    }
    let hsc = app.org_of("hsc").await;
    assert_problem(app.get(&report_path(&hsc, PERIOD), "council").await, 404).await;
    let res = app.request(Method::GET, &path, None, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get(&path, "council").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_bad_period_or_format_is_a_problem_naming_the_parameter() {
    let app = spawn_app().await;
    let council = app.org_of("council").await;
    for (query, field) in [
        ("from=2024-06&to=2024-04", "to"),
        ("from=2024-13&to=2024-04", "from"),
        ("from=2024-4&to=2024-06", "from"),
        ("to=2024-06", "from"),
        ("from=2024-04&to=2999-01", "to"),
        ("from=2020-01&to=2024-06", "from"),
        ("from=2024-04&to=2024-06&format=xlsx", "format"),
        ("from=2024-04&to=2024-06&colour=red", "colour"),
    ] {
        let p = assert_problem(app.get(&report_path(&council, query), "council").await, 400).await;
        assert_eq!(problem_fields(&p), [field], "{query}");
    }
}
