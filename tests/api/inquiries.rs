//! `/api/v1/inquiries`: a client's application to a rental. The office proposes (only
//! with the client's consent to share with that landlord), the landlord or agent
//! answers; every step is timestamped with who took it; a decline keeps the landlord's
//! reason and a withdrawal the client's own, apart; a move-in marks the rental occupied
//! and the client housed. A step the caller's side may not take is 422 (field `to`),
//! a step on an ended inquiry 409, a viewer's step 403, a stranger's 404.

use std::collections::BTreeSet;

use diesel::prelude::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app};

const CLIENT_NAME: &str = "北川 さくら";
const CLIENT_KANA: &str = "キタガワ サクラ";
const OWN_WORDS: &str = "海の見える街で、猫と静かに暮らしたい。";

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// A client of `office` (born 1990: in their thirties) with needs in their own words.
async fn new_client(app: &TestApp, office: &str, code: &str) -> String {
    let res = app
        .post(
            "/api/v1/clients",
            office,
            json!({
                "display_code": code,
                "name": CLIENT_NAME,
                "name_kana": CLIENT_KANA,
                "date_of_birth": "1990-05-01",
                "categories": ["disability_mental"],
                "current_place": "hospital",
                "target_move_date": "2027-03-01",
            }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/clients/{id}/needs")))
        .bearer_auth(app.token(office).await)
        .json(&json!({"max_monthly_total": 60000, "own_words": OWN_WORDS}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    id
}

/// Records the client's consent to share with `recipient_org`; returns the consent id.
async fn consent(app: &TestApp, office: &str, client: &str, recipient_org: &str) -> String {
    let res = app
        .post(
            &format!("/api/v1/clients/{client}/consents"),
            office,
            json!({
                "purpose": "share_with_landlord",
                "recipient_org_id": recipient_org,
                "method": "written",
                "given_on": "2026-01-15",
            }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// landlord@'s vacant rentals (free today), in the order the register lists them.
async fn vacant_rentals(app: &TestApp, account: &str) -> Vec<Value> {
    let res = app.get("/api/v1/rentals/mine?limit=200", account).await;
    assert_eq!(res.status(), StatusCode::OK);
    let today = chrono::Utc::now().date_naive().to_string();
    res.json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["vacancy"] == "vacant"
                && r["latitude"].is_f64()
                && r["vacant_from"]
                    .as_str()
                    .is_none_or(|d| d <= today.as_str())
        })
        .cloned()
        .collect()
}

/// A client of office@ with consent to share with landlord@, and a vacant rental of
/// landlord@ (one not managed by an agent unless `managed`).
async fn client_and_rental(app: &TestApp, code: &str, managed: bool) -> (String, Value) {
    let client = new_client(app, "office", code).await;
    consent(app, "office", &client, &app.org_of("landlord").await).await;
    let rental = vacant_rentals(app, "landlord")
        .await
        .into_iter()
        .find(|r| r["agent_org_id"].is_null() != managed)
        .expect("a vacant rental of landlord@");
    (client, rental)
}

async fn propose(app: &TestApp, client: &str, rental: &str) -> Response {
    app.post(
        "/api/v1/inquiries",
        "office",
        json!({"client_id": client, "rental_id": rental, "note": "ご本人が希望しています"}),
    )
    .await
}

/// Proposes and returns the inquiry.
async fn proposed(app: &TestApp, client: &str, rental: &str) -> Value {
    let res = propose(app, client, rental).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

async fn step_with(
    app: &TestApp,
    account: &str,
    id: &str,
    if_match: Option<&str>,
    body: Value,
) -> Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/inquiries/{id}/steps")))
        .bearer_auth(app.token(account).await)
        .json(&body);
    if let Some(e) = if_match {
        req = req.header("If-Match", e);
    }
    req.send().await.unwrap()
}

/// Takes a step over the inquiry's current version; returns the response.
async fn step(app: &TestApp, account: &str, inquiry: &Value, body: Value) -> Response {
    let id = inquiry["id"].as_str().unwrap();
    let etag = format!("\"{}\"", inquiry["version"]);
    step_with(app, account, id, Some(&etag), body).await
}

/// Takes a step that must succeed; returns the inquiry after it.
async fn step_ok(app: &TestApp, account: &str, inquiry: &Value, body: Value) -> Value {
    let res = step(app, account, inquiry, body).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

async fn read(app: &TestApp, account: &str, id: &str) -> Response {
    app.get(&format!("/api/v1/inquiries/{id}"), account).await
}

/// One text column of an inquiry, straight from the database.
async fn column(app: &TestApp, id: &str, name: &'static str) -> Option<String> {
    use sumai_link::db::schema::inquiries::dsl as i;
    let id = id.to_owned();
    app.db
        .run(move |conn| {
            let (decline, withdraw): (Option<String>, Option<String>) = i::inquiries
                .find(id)
                .select((i::decline_reason, i::withdraw_reason))
                .first(conn)?;
            Ok(if name == "decline_reason" {
                decline
            } else {
                withdraw
            })
        })
        .await
        .unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_rental_runs_from_proposal_to_move_in_and_is_then_occupied() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0001", false).await;
    let rental_id = rental["id"].as_str().unwrap();
    let (lat, lon) = (
        rental["latitude"].as_f64().unwrap(),
        rental["longitude"].as_f64().unwrap(),
    );
    let vacant_search =
        format!("/api/v1/rentals?near={lat},{lon}&radius_m=100&vacant=true&limit=200");
    let found = app
        .get(&vacant_search, "office")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(ids(&found).contains(&rental_id.to_owned()), "vacant before");

    let res = propose(&app, &client, rental_id).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let i: Value = res.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/inquiries/{}", i["id"].as_str().unwrap())
    );
    assert_eq!(i["status"], "proposed");
    assert_eq!(i["stalled"], false);
    assert_eq!(i["client"]["id"], client.as_str());
    assert_eq!(i["landlord_org_id"], app.org_of("landlord").await.as_str());

    let viewing = in_days(3);
    let i = step_ok(
        &app,
        "landlord",
        &i,
        json!({"to": "viewing_scheduled", "viewing_at": viewing}),
    )
    .await;
    assert_eq!(i["status"], "viewing_scheduled");
    assert!(i["viewing_at"].is_string());
    let i = step_ok(
        &app,
        "office",
        &i,
        json!({"to": "applied", "note": "内見して気に入りました"}),
    )
    .await;
    let i = step_ok(&app, "landlord", &i, json!({"to": "accepted"})).await;
    assert_eq!(i["status"], "accepted");
    let i = step_ok(&app, "office", &i, json!({"to": "moved_in"})).await;
    assert_eq!(i["status"], "moved_in");
    assert_eq!(i["version"], 5);
    assert_eq!(i["client"]["status"], "housed");

    let r: Value = app
        .get(&format!("/api/v1/rentals/{rental_id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["vacancy"], "occupied");
    assert_eq!(r["version"], rental["version"].as_i64().unwrap() + 1);
    let found = app
        .get(&vacant_search, "office")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        !ids(&found).contains(&rental_id.to_owned()),
        "still found as vacant"
    );
    let history: Value = app
        .get(&format!("/api/v1/rentals/{rental_id}/history"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["changed_by_org_id"],
        app.org_of("office").await.as_str()
    );
    assert_eq!(last["rental"]["vacancy"], "occupied");

    let c: Value = app
        .get(&format!("/api/v1/clients/{client}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["status"], "housed");

    let res = app
        .get(
            &format!("/api/v1/inquiries/{}/events", i["id"].as_str().unwrap()),
            "landlord",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let events: Vec<Value> = res.json().await.unwrap();
    let to: Vec<&str> = events
        .iter()
        .map(|e| e["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(
        to,
        [
            "proposed",
            "viewing_scheduled",
            "applied",
            "accepted",
            "moved_in"
        ]
    );
    let sides: Vec<&str> = events
        .iter()
        .map(|e| e["by_side"].as_str().unwrap())
        .collect();
    assert_eq!(
        sides,
        ["office", "landlord", "office", "landlord", "office"]
    );
    let (office_user, landlord_user) = (
        app.user_id_of("office").await,
        app.user_id_of("landlord").await,
    );
    for (e, side) in events.iter().zip(&sides) {
        let who = if *side == "office" {
            &office_user
        } else {
            &landlord_user
        };
        assert_eq!(e["by_user_id"], who.as_str(), "{e}");
        assert!(e["at"].is_string());
    }
    assert!(events[0]["from_status"].is_null());
    assert_eq!(events[2]["from_status"], "viewing_scheduled");
    assert_eq!(events[2]["note"], "内見して気に入りました");
    let times: Vec<&str> = events.iter().map(|e| e["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "events come oldest first");
}

#[tokio::test]
async fn a_landlord_declines_with_a_reason_from_the_concern_list() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0002", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let i = step_ok(
        &app,
        "landlord",
        &i,
        json!({"to": "declined", "decline_reason": "unpaid_rent", "decline_note": "保証会社の審査が心配"}),
    )
    .await;
    assert_eq!(i["status"], "declined");
    assert_eq!(i["decline_reason"], "unpaid_rent");
    let id = i["id"].as_str().unwrap();
    let seen: Value = read(&app, "office", id).await.json().await.unwrap();
    assert_eq!(seen["decline_reason"], "unpaid_rent");
    assert_eq!(seen["decline_reason_label_ja"], "家賃の支払いへの不安");
    assert_eq!(seen["decline_note"], "保証会社の審査が心配");
    assert!(seen["withdraw_reason"].is_null());
    assert_eq!(
        column(&app, id, "decline_reason").await.as_deref(),
        Some("unpaid_rent")
    );
    assert_eq!(column(&app, id, "withdraw_reason").await, None);
    // The rental stays vacant and the client searching.
    let r: Value = app
        .get(
            &format!("/api/v1/rentals/{}", rental["id"].as_str().unwrap()),
            "office",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["vacancy"], "vacant");
}

#[tokio::test]
async fn a_client_withdraws_with_their_own_reason_kept_apart_from_the_landlords() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0003", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let i = step_ok(
        &app,
        "office",
        &i,
        json!({"to": "withdrawn", "withdraw_reason": "location"}),
    )
    .await;
    assert_eq!(i["status"], "withdrawn");
    assert_eq!(i["withdraw_reason"], "location");
    assert!(i["decline_reason"].is_null());
    let id = i["id"].as_str().unwrap();
    assert_eq!(
        column(&app, id, "withdraw_reason").await.as_deref(),
        Some("location")
    );
    assert_eq!(column(&app, id, "decline_reason").await, None);
    // The person's reason is theirs: the landlord learns only that it was withdrawn.
    let seen: Value = read(&app, "landlord", id).await.json().await.unwrap();
    assert_eq!(seen["status"], "withdrawn");
    assert!(seen["withdraw_reason"].is_null());
    // And a new inquiry for the same rental may follow.
    proposed(&app, &client, rental["id"].as_str().unwrap()).await;
}

#[tokio::test]
async fn steps_of_the_wrong_side_are_refused_with_422_on_to() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0004", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    for (account, body) in [
        ("office", json!({"to": "accepted"})),
        (
            "office",
            json!({"to": "declined", "decline_reason": "unpaid_rent"}),
        ),
        ("landlord", json!({"to": "applied"})),
        (
            "landlord",
            json!({"to": "withdrawn", "withdraw_reason": "cost"}),
        ),
        ("office", json!({"to": "moved_in"})),
        ("landlord", json!({"to": "moved_in"})),
        ("office", json!({"to": "proposed"})),
    ] {
        let res = step(&app, account, &i, body.clone()).await;
        let p = assert_problem(res, 422).await;
        assert_eq!(problem_fields(&p), ["to"], "{account} {body}: {p}");
    }
    let now: Value = read(&app, "office", i["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["status"], "proposed");
    assert_eq!(now["version"], 1);
}

#[tokio::test]
async fn an_ended_inquiry_takes_no_more_steps() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0005", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let i = step_ok(
        &app,
        "landlord",
        &i,
        json!({"to": "declined", "decline_reason": "neighbour_trouble"}),
    )
    .await;
    for (account, body) in [
        ("landlord", json!({"to": "accepted"})),
        (
            "office",
            json!({"to": "withdrawn", "withdraw_reason": "changed_mind"}),
        ),
        ("office", json!({"to": "applied"})),
    ] {
        assert_problem(step(&app, account, &i, body).await, 409).await;
    }
}

#[tokio::test]
async fn missing_or_misplaced_reasons_and_times_are_422() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0006", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    for (account, body, field) in [
        ("landlord", json!({"to": "declined"}), "decline_reason"),
        (
            "landlord",
            json!({"to": "declined", "decline_reason": "other"}),
            "decline_note",
        ),
        ("office", json!({"to": "withdrawn"}), "withdraw_reason"),
        ("landlord", json!({"to": "viewing_scheduled"}), "viewing_at"),
        (
            "landlord",
            json!({"to": "viewing_scheduled", "viewing_at": in_days(-1)}),
            "viewing_at",
        ),
        (
            "landlord",
            json!({"to": "accepted", "decline_reason": "unpaid_rent"}),
            "decline_reason",
        ),
        (
            "landlord",
            json!({"to": "declined", "decline_reason": "unpaid_rent", "withdraw_reason": "cost"}),
            "withdraw_reason",
        ),
        (
            "office",
            json!({"to": "applied", "viewing_at": in_days(2)}),
            "viewing_at",
        ),
    ] {
        let p = assert_problem(step(&app, account, &i, body.clone()).await, 422).await;
        assert!(
            problem_fields(&p).contains(&field.to_owned()),
            "{body}: {p}"
        );
    }
    // A reason that is not on the list is not a request this API understands.
    let res = step(
        &app,
        "landlord",
        &i,
        json!({"to": "declined", "decline_reason": "too_poor"}),
    )
    .await;
    assert_problem(res, 400).await;
    assert_eq!(
        column(&app, i["id"].as_str().unwrap(), "decline_reason").await,
        None
    );
}

#[tokio::test]
async fn without_consent_to_share_with_the_landlord_nothing_is_proposed() {
    let app = spawn_app().await;
    let client = new_client(&app, "office", "T-0007").await;
    let rental = vacant_rentals(&app, "landlord").await.remove(0);
    let rental_id = rental["id"].as_str().unwrap();
    let before = (
        app.count("inquiries").await,
        app.count("inquiry_events").await,
        app.count("provision_log").await,
        app.count("webhook_deliveries").await,
    );
    let expect_refusal = |p: Value| {
        assert_eq!(problem_fields(&p), ["client_id"], "{p}");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("the client has not consented to share with this landlord"),
            "{p}"
        );
    };
    expect_refusal(assert_problem(propose(&app, &client, rental_id).await, 422).await);
    // A consent to another landlord does not count.
    consent(&app, "office", &client, &app.org_of("landlord2").await).await;
    expect_refusal(assert_problem(propose(&app, &client, rental_id).await, 422).await);
    // Nor does a withdrawn one.
    let c = consent(&app, "office", &client, &app.org_of("landlord").await).await;
    let res = app
        .post(
            &format!("/api/v1/clients/{client}/consents/{c}/withdraw"),
            "office",
            json!({}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    expect_refusal(assert_problem(propose(&app, &client, rental_id).await, 422).await);
    let after = (
        app.count("inquiries").await,
        app.count("inquiry_events").await,
        app.count("provision_log").await,
        app.count("webhook_deliveries").await,
    );
    assert_eq!(before, after, "nothing stored");
}

#[tokio::test]
async fn a_proposal_needs_a_vacant_rental_and_the_offices_own_client() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0008", false).await;
    let rental_id = rental["id"].as_str().unwrap();
    // Another office's client.
    let theirs = new_client(&app, "office2", "T-0008").await;
    let p = assert_problem(
        app.post(
            "/api/v1/inquiries",
            "office",
            json!({"client_id": theirs, "rental_id": rental_id}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["client_id"]);
    // An occupied rental.
    let res = app
        .patch(
            &format!("/api/v1/rentals/{rental_id}"),
            "landlord",
            Some(&format!("\"{}\"", rental["version"])),
            json!({"vacancy": "occupied", "vacant_from": null}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let p = assert_problem(propose(&app, &client, rental_id).await, 422).await;
    assert_eq!(problem_fields(&p), ["rental_id"]);
    let p = assert_problem(
        propose(&app, &client, &uuid::Uuid::now_v7().to_string()).await,
        422,
    )
    .await;
    assert_eq!(problem_fields(&p), ["rental_id"]);
    // Only support offices propose.
    assert_problem(
        app.post(
            "/api/v1/inquiries",
            "landlord",
            json!({"client_id": client, "rental_id": rental_id}),
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn a_second_open_inquiry_for_the_same_client_and_rental_is_a_conflict() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0009", false).await;
    let rental_id = rental["id"].as_str().unwrap();
    proposed(&app, &client, rental_id).await;
    assert_problem(propose(&app, &client, rental_id).await, 409).await;
}

#[tokio::test]
async fn the_landlord_sees_only_what_the_consent_allows_and_that_read_is_recorded() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0010", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let id = i["id"].as_str().unwrap();
    let res = read(&app, "landlord", id).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    for secret in [
        CLIENT_NAME,
        CLIENT_KANA,
        "1990-05-01",
        "date_of_birth",
        OWN_WORDS,
        "own_words",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} shown to the landlord: {text}"
        );
    }
    let seen: Value = serde_json::from_str(&text).unwrap();
    assert!(seen["client"].is_null());
    let shared = &seen["shared_client"];
    assert_eq!(shared["display_code"], "T-0010");
    assert_eq!(shared["age_band"], "30代");
    assert_eq!(shared["categories"], json!(["disability_mental"]));
    assert_eq!(shared["current_place"], "hospital");
    assert_eq!(shared.as_object().unwrap().len(), 4, "{shared}");

    // The proposal and the landlord's read are in the provision log, under the consent.
    let provisions: Vec<Value> = app
        .get(&format!("/api/v1/clients/{client}/provisions"), "office")
        .await
        .json()
        .await
        .unwrap();
    let landlord = app.org_of("landlord").await;
    let to_landlord = provisions
        .iter()
        .filter(|p| p["recipient_org_id"] == landlord.as_str() && p["items"] == "inquiry")
        .count();
    assert_eq!(to_landlord, 2, "{provisions:?}");

    // The office sees the client's summary (and still no needs).
    let office_text = read(&app, "office", id).await.text().await.unwrap();
    let office_view: Value = serde_json::from_str(&office_text).unwrap();
    assert_eq!(office_view["client"]["display_code"], "T-0010");
    assert!(!office_text.contains(OWN_WORDS));
}

#[tokio::test]
async fn the_agent_of_a_managed_rental_reads_and_answers_for_the_landlord() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0011", true).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    assert_eq!(i["agent_org_id"], app.org_of("agent").await.as_str());
    let seen: Value = read(&app, "agent", i["id"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["shared_client"]["display_code"], "T-0011");
    let i = step_ok(
        &app,
        "agent",
        &i,
        json!({"to": "accepted", "note": "管理会社として承諾します"}),
    )
    .await;
    assert_eq!(i["status"], "accepted");
    let listed: Value = app
        .get("/api/v1/inquiries", "agent")
        .await
        .json()
        .await
        .unwrap();
    assert!(ids(&listed).contains(&i["id"].as_str().unwrap().to_owned()));
}

#[tokio::test]
async fn other_landlords_offices_and_organisations_learn_nothing_of_an_inquiry() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0012", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let id = i["id"].as_str().unwrap();
    for account in ["landlord2", "office2", "corp", "council", "operator", "hsc"] {
        assert_problem(read(&app, account, id).await, 404).await;
        assert_problem(
            app.get(&format!("/api/v1/inquiries/{id}/events"), account)
                .await,
            404,
        )
        .await;
        assert_problem(
            step(&app, account, &i, json!({"to": "accepted"})).await,
            404,
        )
        .await;
    }
    for account in ["corp", "council", "operator", "hsc"] {
        assert_problem(app.get("/api/v1/inquiries", account).await, 403).await;
    }
    for account in ["landlord2", "office2"] {
        let page: Value = app
            .get("/api/v1/inquiries?limit=200", account)
            .await
            .json()
            .await
            .unwrap();
        assert!(!ids(&page).contains(&id.to_owned()), "{account}");
    }
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_take_steps_or_propose() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0013", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    assert_eq!(
        read(&app, "office-viewer", i["id"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
    assert_problem(
        step(
            &app,
            "office-viewer",
            &i,
            json!({"to": "withdrawn", "withdraw_reason": "cost"}),
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/inquiries",
            "office-viewer",
            json!({"client_id": client, "rental_id": rental["id"]}),
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn steps_need_the_current_etag() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0014", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let id = i["id"].as_str().unwrap();
    let body = json!({"to": "accepted"});
    assert_problem(
        step_with(&app, "landlord", id, None, body.clone()).await,
        428,
    )
    .await;
    assert_problem(
        step_with(&app, "landlord", id, Some("\"7\""), body.clone()).await,
        412,
    )
    .await;
    let res = step_with(&app, "landlord", id, Some("\"1\""), body.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
}

#[tokio::test]
async fn lists_show_each_side_its_own_inquiries_filtered_by_status_and_paginated() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0015", false).await;
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let id = i["id"].as_str().unwrap().to_owned();
    let page: Value = app
        .get("/api/v1/inquiries?status=proposed&limit=200", "office")
        .await
        .json()
        .await
        .unwrap();
    assert!(ids(&page).contains(&id));
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "proposed")
    );
    let mine = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["client"]["display_code"], "T-0015");
    let page: Value = app
        .get("/api/v1/inquiries?status=applied&limit=200", "office")
        .await
        .json()
        .await
        .unwrap();
    assert!(!ids(&page).contains(&id));
    let page: Value = app
        .get("/api/v1/inquiries?limit=200", "landlord")
        .await
        .json()
        .await
        .unwrap();
    let theirs = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(
        theirs["client"].is_null() && theirs["shared_client"].is_null(),
        "{theirs}"
    );
    // Pages follow the cursor to the end without repeats.
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/inquiries?limit=2&cursor={c}"),
            None => "/api/v1/inquiries?limit=2".into(),
        };
        let page: Value = app.get(&url, "office").await.json().await.unwrap();
        for x in ids(&page) {
            assert!(seen.insert(x));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(seen.contains(&id) && seen.len() > 2);
    assert_problem(
        app.get("/api/v1/inquiries?status=maybe", "office").await,
        400,
    )
    .await;
}

/// How many `inquiry.stalled` deliveries name the inquiry.
async fn stalled_deliveries(app: &TestApp, id: &str) -> usize {
    use sumai_link::db::schema::webhook_deliveries::dsl as d;
    let id = id.to_owned();
    app.db
        .run(move |conn| {
            let payloads: Vec<String> = d::webhook_deliveries
                .filter(d::event_type.eq("inquiry.stalled"))
                .select(d::payload)
                .load(conn)?;
            Ok(payloads.iter().filter(|p| p.contains(&id)).count())
        })
        .await
        .unwrap()
}

/// Runs the stalled scan as if it were `days_ahead` days later (stall after 14 days).
async fn flag_stalled(app: &TestApp, days_ahead: i64) -> usize {
    app.db
        .run(move |conn| {
            let now = sumai_link::db::now() + chrono::Duration::days(days_ahead);
            Ok(sumai_link::db::inquiries::flag_stalled(conn, now, 14)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_inquiry_without_a_step_for_too_long_is_flagged_stalled_and_announced() {
    let app = spawn_app().await;
    let (client, rental) = client_and_rental(&app, "T-0016", false).await;
    let office = app.org_of("office").await;
    {
        use sumai_link::db::schema::webhook_subscriptions::dsl as w;
        let office = office.clone();
        app.db
            .run(move |conn| {
                diesel::insert_into(w::webhook_subscriptions)
                    .values((
                        w::id.eq(uuid::Uuid::now_v7().to_string()),
                        w::org_id.eq(office),
                        w::url.eq("http://127.0.0.1:9/hooks/sumai"),
                        w::secret.eq("test-webhook-secret-0123456789abcdef"),
                        w::events.eq("[\"*\"]"),
                        w::is_active.eq(true),
                        w::created_at.eq(sumai_link::db::now()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
    }
    let i = proposed(&app, &client, rental["id"].as_str().unwrap()).await;
    let id = i["id"].as_str().unwrap().to_owned();
    // Thirteen days on, nothing is stalled yet.
    flag_stalled(&app, 13).await;
    let seen: Value = read(&app, "office", &id).await.json().await.unwrap();
    assert_eq!(seen["stalled"], false);
    assert_eq!(stalled_deliveries(&app, &id).await, 0);

    assert!(flag_stalled(&app, 15).await >= 1);
    let seen: Value = read(&app, "office", &id).await.json().await.unwrap();
    assert_eq!(seen["stalled"], true);
    assert!(seen["stalled_at"].is_string());
    assert_eq!(stalled_deliveries(&app, &id).await, 1);
    // Flagged once, not again on the next scan.
    flag_stalled(&app, 16).await;
    assert_eq!(stalled_deliveries(&app, &id).await, 1);
    let landlord_view: Value = read(&app, "landlord", &id).await.json().await.unwrap();
    assert_eq!(landlord_view["stalled"], true);

    // The next step clears it.
    let after = step_ok(
        &app,
        "landlord",
        &seen,
        json!({"to": "viewing_scheduled", "viewing_at": in_days(2)}),
    )
    .await;
    assert_eq!(after["stalled"], false);
    assert!(after["stalled_at"].is_null());
}

#[tokio::test]
async fn the_demo_has_clients_and_inquiries_in_every_state() {
    let app = spawn_app().await;
    let page: Value = app
        .get("/api/v1/inquiries?limit=200", "office")
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    let statuses: BTreeSet<&str> = items
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    for s in [
        "proposed",
        "viewing_scheduled",
        "applied",
        "declined",
        "withdrawn",
        "moved_in",
    ] {
        assert!(statuses.contains(s), "no demo inquiry {s}: {statuses:?}");
    }
    let find = |s: &str| items.iter().find(|i| i["status"] == s).unwrap();
    assert_eq!(find("declined")["decline_reason"], "unpaid_rent");
    assert!(find("declined")["withdraw_reason"].is_null());
    assert_eq!(find("withdrawn")["withdraw_reason"], "location");
    assert!(find("withdrawn")["decline_reason"].is_null());
    assert!(items.iter().any(|i| i["stalled"] == true));
    assert_eq!(find("moved_in")["client"]["status"], "housed");
    let moved = find("moved_in")["rental_id"].as_str().unwrap();
    let r: Value = app
        .get(&format!("/api/v1/rentals/{moved}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["vacancy"], "occupied");
    let events: Vec<Value> = app
        .get(
            &format!(
                "/api/v1/inquiries/{}/events",
                find("moved_in")["id"].as_str().unwrap()
            ),
            "landlord",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events.len(), 5);
    // The landlord sees the same inquiries, the other landlord none.
    let theirs: Value = app
        .get("/api/v1/inquiries?limit=200", "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&theirs).len(), items.len());
    let none: Value = app
        .get("/api/v1/inquiries?limit=200", "landlord2")
        .await
        .json()
        .await
        .unwrap();
    assert!(ids(&none).is_empty());

    // Clients of both offices, with needs to match on.
    let clients: Value = app
        .get("/api/v1/clients?limit=200", "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clients["items"].as_array().unwrap().len(), 4);
    let clients2: Value = app
        .get("/api/v1/clients?limit=200", "office2")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clients2["items"].as_array().unwrap().len(), 2);
    let searching = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["display_code"] == "HM-0002")
        .unwrap();
    let res = app
        .get(
            &format!(
                "/api/v1/clients/{}/matches",
                searching["id"].as_str().unwrap()
            ),
            "office",
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let matches: Value = res.json().await.unwrap();
    assert!(
        !matches["matches"].as_array().unwrap().is_empty(),
        "{matches}"
    );
}
