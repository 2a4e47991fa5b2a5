//! Joint guidance sessions with a 居住支援法人, written reports to a council, and the
//! office's set-up for the add-ons.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{create_meeting, meeting_body, send, today_start};
use crate::clients::{consent_to_corp, new_client, today};
use crate::helpers::{assert_problem, problem_fields, spawn_app};
use crate::rentals::{etag_of, str_of};

#[tokio::test]
async fn meetings_lead_to_joint_guidance_and_a_report_the_council_reads_once_submitted() {
    let app = spawn_app().await;
    let corp = app.org_of("corp").await;
    let council = app.org_of("council").await;
    let client = str_of(&new_client(&app, "GS-0001").await, "id").to_owned();
    let session = json!({"client_id": client, "corp_org_id": corp, "held_on": today().to_string(),
                         "explained": "家賃の支払い方法と緊急時の連絡先を説明した"});

    // Without the client's consent to share with the corp there is no joint session.
    let before = (
        app.count("guidance_sessions").await,
        app.count("provision_log").await,
    );
    let p = assert_problem(
        app.post("/api/v1/guidance-sessions", "office", session.clone())
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["client_id"]);
    let bad =
        json!({"client_id": "x", "corp_org_id": council, "held_on": "2999-01-01", "explained": ""});
    let p = assert_problem(
        app.post("/api/v1/guidance-sessions", "office", bad).await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&p),
        vec!["client_id", "held_on", "explained"]
    );
    let mut wrong_corp = session.clone();
    wrong_corp["corp_org_id"] = json!(council);
    let p = assert_problem(
        app.post("/api/v1/guidance-sessions", "office", wrong_corp)
            .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["corp_org_id"]);
    assert_eq!(
        before,
        (
            app.count("guidance_sessions").await,
            app.count("provision_log").await
        )
    );

    consent_to_corp(&app, &client).await;
    let res = app
        .post("/api/v1/guidance-sessions", "office-staff", session)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let s: Value = res.json().await.unwrap();
    assert_eq!(s["client_display_code"], "GS-0001");
    let s_path = format!("/api/v1/guidance-sessions/{}", str_of(&s, "id"));
    assert_eq!(app.get(&s_path, "corp").await.status(), StatusCode::OK);
    for who in ["hsc", "office2", "council"] {
        assert_problem(app.get(&s_path, who).await, 404).await;
    }
    let provisions: Vec<Value> = app
        .get(&format!("/api/v1/clients/{client}/provisions"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        provisions
            .iter()
            .any(|p| p["items"] == "guidance_session" && p["recipient_org_id"] == corp.as_str())
    );

    let (m, _) = create_meeting(&app, meeting_body(&corp, &today_start(), &[])).await;
    let report = json!({
        "council_org_id": council,
        "title": "住まい確保の課題",
        "issue_categories": ["lack_of_vacancies"],
        "issues_text": "単身向け物件が不足している",
        "meeting_ids": [m["id"]],
        "guidance_session_ids": [s["id"]],
    });
    let mut bad = report.clone();
    bad["council_org_id"] = json!(corp);
    bad["issue_categories"] = json!([]);
    bad["meeting_ids"] = json!([str_of(&s, "id")]);
    let before = app.count("council_reports").await;
    let p = assert_problem(
        app.post("/api/v1/council-reports", "office", bad).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["issue_categories"]);
    let mut bad = report.clone();
    bad["council_org_id"] = json!(corp);
    bad["meeting_ids"] = json!([str_of(&s, "id")]);
    let p = assert_problem(
        app.post("/api/v1/council-reports", "office", bad).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["council_org_id", "meeting_ids[0]"]);
    assert_eq!(before, app.count("council_reports").await);

    let res = app
        .post("/api/v1/council-reports", "office-staff", report.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let etag = etag_of(&res);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        (r["status"].clone(), r["submitted_on"].clone()),
        (json!("draft"), Value::Null)
    );
    assert_eq!(r["meeting_ids"], json!([m["id"]]));
    let path = format!("/api/v1/council-reports/{}", str_of(&r, "id"));
    assert_problem(app.get(&path, "council").await, 404).await;

    let mut edited = report.clone();
    edited["title"] = json!("住まい確保の課題(改訂)");
    assert_problem(
        send(
            &app,
            Method::PATCH,
            &path,
            "office",
            Some("\"7\""),
            Some(edited.clone()),
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
        Some(&etag),
        Some(edited.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = etag_of(&res);
    let submit = format!("{path}/submit");
    assert_problem(
        send(
            &app,
            Method::POST,
            &submit,
            "office-viewer",
            Some(&etag),
            None,
        )
        .await,
        403,
    )
    .await;
    let res = send(&app, Method::POST, &submit, "office", Some(&etag), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = etag_of(&res);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["status"], "submitted");
    assert_eq!(done["submitted_on"], today().to_string());
    assert_problem(
        send(
            &app,
            Method::PATCH,
            &path,
            "office",
            Some(&etag),
            Some(edited),
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        send(&app, Method::POST, &submit, "office", Some(&etag), None).await,
        409,
    )
    .await;

    let read: Value = app.get(&path, "council").await.json().await.unwrap();
    assert_eq!(read["title"], "住まい確保の課題(改訂)");
    let list: Value = app
        .get("/api/v1/council-reports?limit=200", "council")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == r["id"])
    );
    for who in ["corp", "hsc", "office2"] {
        assert_problem(app.get(&path, who).await, 404).await;
    }
}

#[tokio::test]
async fn the_demo_report_and_sessions_are_there_for_their_readers() {
    let app = spawn_app().await;
    let list: Value = app
        .get("/api/v1/council-reports?limit=200", "council")
        .await
        .json()
        .await
        .unwrap();
    // The demo's further offices in the area report to council@ too.
    let office = app.org_of("office").await;
    let items: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["office_org_id"] == office.as_str())
        .collect();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["status"], "submitted");
    assert_eq!(
        items[0]["guidance_session_ids"].as_array().unwrap().len(),
        2
    );
    let sessions: Value = app
        .get("/api/v1/guidance-sessions", "corp")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2);
    assert_problem(app.get("/api/v1/guidance-sessions", "council").await, 403).await;
}

#[tokio::test]
async fn an_office_keeps_its_own_set_up_for_the_add_ons() {
    let app = spawn_app().await;
    let office = app.org_of("office").await;
    let corp = app.org_of("corp").await;
    let hsc = app.org_of("hsc").await;
    let path = format!("/api/v1/offices/{office}/setup");
    let res = app.get(&path, "office-viewer").await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = etag_of(&res);
    let demo: Value = res.json().await.unwrap();
    assert_eq!(demo["partner_org_id"], corp.as_str());
    assert_eq!(demo["partner_kind"], "housing_support_corp");
    assert_eq!(
        demo["services"],
        json!(["community_transition", "community_settlement"])
    );
    assert!(demo["published_on"].is_string() && demo["notified_on"].is_string());
    let office2 = app.org_of("office2").await;
    let other: Value = app
        .get(&format!("/api/v1/offices/{office2}/setup"), "office2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["services"], json!(["planning_consultation"]));
    for who in ["office2", "corp", "council", "operator"] {
        assert_problem(app.get(&path, who).await, 404).await;
    }

    let body = json!({"partner_org_id": hsc, "partnership_since": "2025-04-01",
                      "published_on": "2025-04-10", "notified_on": "2025-04-15",
                      "services": ["community_transition", "independent_living_assistance"]});
    assert_problem(
        send(&app, Method::PUT, &path, "office", None, Some(body.clone())).await,
        428,
    )
    .await;
    assert_problem(
        send(
            &app,
            Method::PUT,
            &path,
            "office-viewer",
            Some(&etag),
            Some(body.clone()),
        )
        .await,
        403,
    )
    .await;
    let landlord = app.org_of("landlord").await;
    let bad = json!({"partner_org_id": landlord, "partnership_since": "2999-01-01",
                     "services": ["planning_consultation", "cooking"]});
    let p = assert_problem(
        send(&app, Method::PUT, &path, "office", Some(&etag), Some(bad)).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["partnership_since", "services[1]"]);
    let bad = json!({"partner_org_id": landlord, "partnership_since": "2025-04-01", "services": ["planning_consultation"]});
    let p = assert_problem(
        send(&app, Method::PUT, &path, "office", Some(&etag), Some(bad)).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), vec!["partner_org_id"]);
    let res = send(
        &app,
        Method::PUT,
        &path,
        "office-staff",
        Some(&etag),
        Some(body),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(etag_of(&res), "\"2\"");
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["partner_kind"], "housing_support_council");
    assert_eq!(
        saved["updated_by_user_id"],
        app.user_id_of("office-staff").await.as_str()
    );
}
