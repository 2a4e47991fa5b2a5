//! `/offices/{id}/compliance`, `/offices/{id}/add-ons` and `/offices/{id}/dashboard`
//! on the demo's year of meetings of office@ with corp@ (one month missed, nothing yet
//! this month), the event `compliance.month_ending`, and who may see any of it.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sumai_link::domain::year_month::YearMonth;

use crate::clients::today;
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::meetings::{consenting_client, create_meeting, meeting_body, months_ago, today_start};
use crate::webhooks::{hook_url, received, receiver, subscribe};

const COLLAB: &str = "housing_support_collaboration";

fn month_back(back: u32) -> String {
    months_ago(back)[..7].to_owned()
}

/// Days left in this Tokyo month, today included.
fn days_left_today() -> u64 {
    let t = today();
    let next = YearMonth::of(t).next().first_day();
    (next - t).num_days() as u64
}

async fn json_of(app: &TestApp, path: &str, account: &str) -> Value {
    let res = app.get(path, account).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn statuses(c: &Value) -> Vec<(String, String)> {
    c["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_owned(),
                m["status"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_demo_year_shows_eleven_months_met_one_missed_and_this_month_not_yet() {
    let app = spawn_app().await;
    let office = app.org_of("office").await;
    let (from, to) = (month_back(12), month_back(1));
    let c = json_of(
        &app,
        &format!("/api/v1/offices/{office}/compliance?from={from}&to={to}"),
        "office-viewer",
    )
    .await;
    assert_eq!(c["setup_recorded"], true);
    assert!(c["cannot_claim"].is_null());
    assert_eq!(c["summary"]["months"], 12, "{c}");
    assert_eq!(c["summary"]["met"], 11, "{c}");
    assert_eq!(c["summary"]["missed"], 1, "{c}");
    let missed = month_back(5);
    for m in c["months"].as_array().unwrap() {
        assert_eq!(m["revision"], "fy2021");
        assert_eq!(m["add_on"], COLLAB);
        if m["month"] == missed.as_str() {
            assert_eq!(m["status"]["status"], "missed");
            assert_eq!(m["problems"][0]["code"], "no_qualifying_meeting", "{m}");
            assert!(m["qualifying_meetings"].as_array().unwrap().is_empty());
        } else {
            assert_eq!(m["status"]["status"], "met", "{m}");
            let q = &m["qualifying_meetings"][0];
            // The meeting counted is the one the office recorded that month.
            let meeting = json_of(
                &app,
                &format!("/api/v1/meetings/{}", q["id"].as_str().unwrap()),
                "office",
            )
            .await;
            assert_eq!(meeting["month"], m["month"]);
        }
        // Months older than the billing deadline are closed.
        assert_eq!(m["phase"]["phase"], "past");
    }
    assert_eq!(c["months"][0]["closed"], true);

    // This month: nothing held yet, with the days left counted in Tokyo.
    let this = YearMonth::of(today()).to_string();
    let now = json_of(
        &app,
        &format!("/api/v1/offices/{office}/compliance?from={this}&to={this}"),
        "office",
    )
    .await;
    let m = &now["months"][0];
    assert_eq!(m["status"]["status"], "not_yet", "{m}");
    assert_eq!(m["status"]["days_left"], days_left_today());
    assert_eq!(m["closed"], false);
    assert!(
        m["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{} day(s) left", days_left_today()))
    );

    // A meeting today meets it.
    let corp = app.org_of("corp").await;
    let client = consenting_client(&app, "CMP-1", 3).await;
    let (held, _) = create_meeting(&app, meeting_body(&corp, &today_start(), &[&client])).await;
    let now = json_of(
        &app,
        &format!("/api/v1/offices/{office}/compliance?to={this}"),
        "office",
    )
    .await;
    // Without `from`, the span is the twelve months up to `to`.
    assert_eq!(now["months"].as_array().unwrap().len(), 12);
    let m = now["months"].as_array().unwrap().last().unwrap();
    assert_eq!(m["status"]["status"], "met", "{m}");
    assert_eq!(m["qualifying_meetings"][0]["id"], held["id"]);

    // Under the 論点６ proposal instead of the rules in force.
    let p = json_of(
        &app,
        &format!(
            "/api/v1/offices/{office}/compliance?from={from}&to={to}&revision=ronten6_proposal"
        ),
        "office",
    )
    .await;
    assert!(
        p["months"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["revision"] == "ronten6_proposal")
    );
    assert_eq!(statuses(&p).len(), 12);
}

#[tokio::test]
async fn an_office_providing_only_plan_consultation_is_told_it_cannot_claim() {
    let app = spawn_app().await;
    let office2 = app.org_of("office2").await;
    let c = json_of(
        &app,
        &format!("/api/v1/offices/{office2}/compliance"),
        "office2",
    )
    .await;
    assert_eq!(c["cannot_claim"]["code"], "only_plan_consultation", "{c}");
    assert!(
        c["cannot_claim"]["message"]
            .as_str()
            .unwrap()
            .contains("計画相談支援")
    );
    assert_eq!(c["summary"]["not_required"], 12);
    assert_eq!(c["summary"]["met"], 0);
    let a = json_of(
        &app,
        &format!("/api/v1/offices/{office2}/add-ons?month={}", month_back(1)),
        "office2",
    )
    .await;
    assert_eq!(a["cannot_claim"]["code"], "only_plan_consultation");
    for c in a["clients"].as_array().unwrap() {
        for l in c["add_ons"].as_array().unwrap() {
            assert_eq!(l["claimable"], false);
            assert_eq!(l["reasons"][0]["code"], "only_plan_consultation");
        }
    }
}

#[tokio::test]
async fn bad_parameters_are_named_and_other_organisations_see_nothing() {
    let app = spawn_app().await;
    let office = app.org_of("office").await;
    let base = format!("/api/v1/offices/{office}");
    for (query, field) in [
        ("compliance?from=2026-13", "from"),
        ("compliance?to=26-01", "to"),
        ("compliance?from=2026-05&to=2026-04", "to"),
        ("compliance?from=2015-01&to=2026-01", "from"),
        ("compliance?revision=fy1999", "revision"),
        ("add-ons?month=2026-1", "month"),
        ("add-ons?month=2020-04", "month"),
        ("add-ons?month=2999-01", "month"),
        ("add-ons?month=2026-01&format=xlsx", "format"),
        ("add-ons?month=2026-01&revision=x", "revision"),
    ] {
        let p = assert_problem(app.get(&format!("{base}/{query}"), "office").await, 400).await;
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    assert_problem(app.get(&format!("{base}/add-ons"), "office").await, 400).await;
    assert_problem(
        app.get(&format!("{base}/compliance?color=red"), "office")
            .await,
        400,
    )
    .await;
    for who in [
        "office2", "corp", "hsc", "council", "landlord", "agent", "operator",
    ] {
        for path in [
            format!("{base}/compliance"),
            format!("{base}/dashboard"),
            format!("{base}/add-ons?month={}", month_back(1)),
            format!("{base}/add-ons?month={}&format=csv", month_back(1)),
        ] {
            let res = app.get(&path, who).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{who} {path}");
            let body = res.text().await.unwrap();
            assert!(!body.contains(COLLAB), "{who} {path}: {body}");
        }
    }
}

#[tokio::test]
async fn add_ons_name_each_client_with_units_and_evidence_and_export_as_csv() {
    let app = spawn_app().await;
    let office = app.org_of("office").await;
    let last = month_back(1);
    let a = json_of(
        &app,
        &format!("/api/v1/offices/{office}/add-ons?month={last}"),
        "office-viewer",
    )
    .await;
    assert_eq!(a["revision"], "fy2021");
    assert_eq!(a["revision_kind"], "enacted");
    assert!(a["cannot_claim"].is_null());
    let meetings = json_of(
        &app,
        &format!("/api/v1/meetings?from={last}&to={last}"),
        "office",
    )
    .await;
    let held = meetings["items"][0]["id"].clone();
    let clients = a["clients"].as_array().unwrap();
    assert!(!clients.is_empty());
    let mut claimable = 0;
    for c in clients {
        let collab = c["add_ons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["add_on"] == COLLAB)
            .unwrap();
        if collab["claimable"] == true {
            claimable += 1;
            assert_eq!(collab["units"], 35);
            assert_eq!(collab["evidence_ids"]["meetings"], json!([held]));
            assert!(collab["reasons"].as_array().unwrap().is_empty());
        } else {
            // The demo's office@ clients on 計画相談支援 alone are not claimed for.
            assert_eq!(
                collab["reasons"][0]["code"], "client_not_using_service",
                "{c}"
            );
        }
    }
    assert!(claimable >= 1, "{a}");
    let total = a["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["add_on"] == COLLAB)
        .unwrap();
    assert_eq!(total["claimable_clients"], claimable);
    assert_eq!(total["units"], 35 * claimable);

    // The missed month: nobody can be claimed for.
    let missed = json_of(
        &app,
        &format!("/api/v1/offices/{office}/add-ons?month={}", month_back(5)),
        "office",
    )
    .await;
    for c in missed["clients"].as_array().unwrap() {
        let collab = &c["add_ons"][0];
        assert_eq!(collab["claimable"], false);
        let codes: Vec<&str> = collab["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"no_qualifying_meeting") || codes.contains(&"client_not_using_service"),
            "{codes:?}"
        );
    }

    let res = app
        .get(
            &format!("/api/v1/offices/{office}/add-ons?month={last}&format=csv"),
            "office",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&last)
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "no BOM");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header[0], "対象月");
    assert_eq!(header[5], "算定可否");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let lines: usize = clients
        .iter()
        .map(|c| c["add_ons"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.len(), lines);
    let csv_claimable = rows
        .iter()
        .filter(|r| &r[3] == COLLAB && &r[5] == "可")
        .count();
    assert_eq!(csv_claimable, claimable);
    let row = rows
        .iter()
        .find(|r| &r[3] == COLLAB && &r[5] == "可")
        .unwrap();
    assert_eq!(&row[0], last.as_str());
    assert_eq!(&row[6], "35");
    assert_eq!(&row[8], held.as_str().unwrap());

    // Both reads are in the audit log, the CSV as an export.
    let actions: Vec<String> = app
        .db
        .run(|conn| {
            use diesel::prelude::*;
            use sumai_link::db::schema::audit_log;
            Ok(audit_log::table
                .filter(audit_log::object_type.eq("office_add_ons"))
                .order(audit_log::id.asc())
                .select(audit_log::action)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(actions, ["read", "read", "export"]);
}

#[tokio::test]
async fn a_month_ending_without_a_meeting_warns_the_office_once_by_webhook_and_dashboard() {
    let app = spawn_app_with(&[
        ("SUMAI_WEBHOOK_POLL_MS", "100"),
        ("SUMAI_COMPLIANCE_WARN_DAYS", "31"),
    ])
    .await;
    let office = app.org_of("office").await;
    // The dashboard: this month has no meeting yet, and every day of it is within 31.
    let d = json_of(
        &app,
        &format!("/api/v1/offices/{office}/dashboard"),
        "office-viewer",
    )
    .await;
    let w = d["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "month_ending_without_meeting")
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(w["days_left"], days_left_today());
    let t = today();
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{}年{}月", t.year(), t.month())),
        "{w}"
    );
    assert_eq!(d["this_month"]["status"]["status"], "not_yet");
    assert_eq!(d["last_twelve_months"]["missed"], 1);
    assert!(d["clients"].as_i64().unwrap() >= 3);

    // The scan, on the last day of next month in Tokyo (so it does not depend on today):
    // office@ is warned once, office2@ (plan consultation only) never.
    let server = receiver(204).await;
    subscribe(
        &app,
        "office",
        &hook_url(&server),
        json!(["compliance.month_ending"]),
    )
    .await;
    let other = receiver(204).await;
    subscribe(
        &app,
        "office2",
        &hook_url(&other),
        json!(["compliance.month_ending"]),
    )
    .await;
    let next = YearMonth::of(t).next();
    let last_day: NaiveDate = next.next().first_day() - Duration::days(1);
    let at = last_day.and_hms_opt(3, 0, 0).unwrap().and_utc(); // 12:00 in Tokyo
    let rules = sumai_link::domain::add_on::RuleBook::embedded().unwrap();
    let scan = |rules: sumai_link::domain::add_on::RuleBook| {
        app.db.transaction(move |conn| {
            sumai_link::notify::month_ending::warn_offices(conn, &rules, at, 7)
        })
    };
    // The demo's other offices with a set-up and no meeting next month are warned too.
    assert!(scan(rules.clone()).await.unwrap() >= 1);
    assert_eq!(scan(rules.clone()).await.unwrap(), 0, "warned twice");
    let got = received(&server, 1).await;
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "compliance.month_ending");
    assert_eq!(body["data"]["office_org_id"], office.as_str());
    assert_eq!(body["data"]["month"], next.to_string());
    assert_eq!(body["data"]["days_left"], 1);
    assert_eq!(body["data"]["problems"][0]["code"], "no_qualifying_meeting");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(other.received_requests().await.unwrap().is_empty());
    // The month after: eight days before its end is outside a 7-day warning, seven is in.
    let after = next.next();
    let end = after.next().first_day() - Duration::days(1);
    for (before_end, warned) in [(7, false), (6, true)] {
        let at = (end - Duration::days(before_end))
            .and_hms_opt(3, 0, 0)
            .unwrap()
            .and_utc();
        let rules = rules.clone();
        let n = app
            .db
            .transaction(move |conn| {
                sumai_link::notify::month_ending::warn_offices(conn, &rules, at, 7)
            })
            .await
            .unwrap();
        assert_eq!(n > 0, warned, "{before_end} days before the end");
    }
}
