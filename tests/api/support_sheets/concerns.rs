//! A landlord reports a concern against the sheet: it reaches the contact the sheet
//! names for that situation as a signed webhook event, and the office sees it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::demo_sheet;
use crate::helpers::{assert_problem, problem_fields};
use crate::webhooks::{app, hook_url, received, receiver, subscribe};

#[tokio::test]
async fn a_landlords_concern_reaches_the_contact_the_sheet_names_and_the_office() {
    let app = app().await;
    let id = demo_sheet(&app).await;
    let corp_hooks = receiver(204).await;
    let office_hooks = receiver(204).await;
    subscribe(
        &app,
        "corp",
        &hook_url(&corp_hooks),
        json!(["support_sheet.concern"]),
    )
    .await;
    subscribe(
        &app,
        "office",
        &hook_url(&office_hooks),
        json!(["support_sheet.concern"]),
    )
    .await;
    let concerns = app.count("support_sheet_concerns").await;

    // Bad input first: nothing is stored, nothing is sent.
    let path = format!("/api/v1/support-sheets/{id}/concerns");
    let res = app.post(&path, "landlord", json!({"kind": "fire"})).await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["kind"]
    );
    let res = app
        .post(
            &path,
            "landlord",
            json!({"kind": "no_answer", "observed_on": "2999-01-01"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["observed_on"]
    );
    let res = app
        .post(
            &path,
            "landlord",
            json!({"kind": "no_answer", "note": "x".repeat(501)}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(res, 422).await),
        vec!["note"]
    );
    for account in ["landlord2", "agent", "office2"] {
        assert_problem(
            app.post(&path, account, json!({"kind": "rent_late"})).await,
            404,
        )
        .await;
    }
    // The office acts on its own sheet; it does not report to itself.
    assert_problem(
        app.post(&path, "office", json!({"kind": "rent_late"}))
            .await,
        403,
    )
    .await;
    assert_eq!(app.count("support_sheet_concerns").await, concerns);

    let res = app
        .post(
            &path,
            "landlord",
            json!({"kind": "no_answer", "note": "3日前から新聞がたまっています。"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let concern: Value = res.json().await.unwrap();
    assert_eq!(concern["label"], "訪問しても応答がない");
    // The no-contact scenario's first step: the 居住支援法人, with its night number.
    assert_eq!(concern["routed_to"]["contact_key"], "corp");
    assert_eq!(concern["routed_to"]["scenario"], "no_contact");
    assert_eq!(concern["routed_to"]["night_phone"], "080-9876-5432");

    for server in [&corp_hooks, &office_hooks] {
        let got = received(server, 1).await;
        let event: Value = serde_json::from_slice(&got[0].body).unwrap();
        assert_eq!(event["type"], "support_sheet.concern");
        assert_eq!(event["data"]["concern_id"], concern["id"]);
        assert_eq!(event["data"]["kind"], "no_answer");
        assert_eq!(
            event["data"]["routed_to"]["organization"],
            "NPO法人 すまいサポート札幌"
        );
        assert!(got[0].headers.get("webhook-signature").is_some());
    }

    // The office sees it (and the demo's earlier one), newest first, until acknowledged.
    let list: Value = app.get(&path, "office").await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], concern["id"]);
    assert_eq!(items[0]["acknowledged_at"], Value::Null);
    let office = app.org_of("office").await;
    let dashboard = format!("/api/v1/offices/{office}/dashboard");
    let d: Value = app.get(&dashboard, "office").await.json().await.unwrap();
    assert_eq!(d["open_concerns"], 2);
    assert!(
        d["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "sheet_concerns_open"),
        "{d}"
    );
    let cid = concern["id"].as_str().unwrap();
    let ack = format!("{path}/{cid}/acknowledge");
    assert_problem(app.post(&ack, "office-viewer", json!({})).await, 403).await;
    assert_problem(app.post(&ack, "landlord", json!({})).await, 403).await;
    let res = app.post(&ack, "office", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let acked: Value = res.json().await.unwrap();
    assert!(acked["acknowledged_at"].is_string());
    assert_problem(app.post(&ack, "office", json!({})).await, 409).await;
    let d: Value = app.get(&dashboard, "office").await.json().await.unwrap();
    assert_eq!(d["open_concerns"], 1);
    let unknown = format!("{path}/{}/acknowledge", uuid::Uuid::now_v7());
    assert_problem(app.post(&unknown, "office", json!({})).await, 404).await;

    // A reporter sees its own concerns only.
    let corp_concern = app
        .post(
            &path,
            "corp",
            json!({"kind": "other", "note": "転居の相談あり"}),
        )
        .await;
    assert_eq!(corp_concern.status(), StatusCode::CREATED);
    let mine: Value = app.get(&path, "landlord").await.json().await.unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let landlord = app.org_of("landlord").await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["reported_by_org_id"] == landlord.as_str())
    );
}

/// A sheet may name any organisation as a contact, but the concern (the client's
/// pseudonym and the landlord's note) only goes to one the client consented to share
/// the sheet with; the office still hears of it.
#[tokio::test]
async fn a_concern_reaches_a_contacts_organisation_only_under_the_clients_consent() {
    let app = app().await;
    let id = demo_sheet(&app).await;
    let hsc = app.org_of("hsc").await;
    let hsc_hooks = receiver(204).await;
    let office_hooks = receiver(204).await;
    subscribe(
        &app,
        "hsc",
        &hook_url(&hsc_hooks),
        json!(["support_sheet.concern"]),
    )
    .await;
    subscribe(
        &app,
        "office",
        &hook_url(&office_hooks),
        json!(["support_sheet.concern"]),
    )
    .await;

    // A new version whose 居住支援法人 contact names the 居住支援協議会 (no consent).
    let sheet: Value = app
        .get(&format!("/api/v1/support-sheets/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    let mut sections = sheet["sections"].clone();
    let network = sections["network"].as_array_mut().unwrap();
    let corp = network.iter_mut().find(|c| c["key"] == "corp").unwrap();
    corp["organization_id"] = json!(hsc);
    let etag = format!("\"{}\"", sheet["latest_version"].as_i64().unwrap_or(2));
    let res = super::put(
        &app,
        &id,
        "office",
        Some(&etag),
        json!({"sections": sections, "note": "連絡先の法人を変更"}),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let version: Value = app
        .get(&format!("/api/v1/support-sheets/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/publish"),
            "office",
            json!({"version": version["version"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let provisions = super::provisions_to(&app, &hsc).await;

    let res = app
        .post(
            &format!("/api/v1/support-sheets/{id}/concerns"),
            "landlord",
            json!({"kind": "no_answer", "note": "応答がありません"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let concern: Value = res.json().await.unwrap();
    assert_eq!(concern["routed_to"]["contact_key"], "corp");

    let got = received(&office_hooks, 1).await;
    let event: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(event["data"]["concern_id"], concern["id"]);
    // Give a wrong delivery time to arrive, then check none did.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let wrong = hsc_hooks.received_requests().await.unwrap_or_default();
    assert!(
        wrong.is_empty(),
        "the 協議会 has no consent: it must not receive the concern"
    );
    assert_eq!(super::provisions_to(&app, &hsc).await, provisions);
}
