//! `/api/v1/webhooks`: an organisation's admins subscribe to events; deliveries are
//! written to the outbox with the change, signed with HMAC-SHA256 over timestamp and
//! body, retried with back-off and listed with their status. Every test delivers to a
//! real local HTTP receiver (wiremock) and checks the signature as a receiver would.

use std::time::Duration;

use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use sumai_link::db::schema::webhook_deliveries;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app_with};
use crate::rentals::{create, etag_of, sample, str_of, with};

const HOOK_PATH: &str = "/hooks";

pub async fn app() -> TestApp {
    spawn_app_with(&[("SUMAI_WEBHOOK_POLL_MS", "100")]).await
}

/// A local receiver answering every POST with `status`.
pub async fn receiver(status: u16) -> MockServer {
    let server = MockServer::start().await;
    answer(&server, status).await;
    server
}

async fn answer(server: &MockServer, status: u16) {
    server.reset().await;
    Mock::given(method("POST"))
        .and(path(HOOK_PATH))
        .respond_with(ResponseTemplate::new(status))
        .mount(server)
        .await;
}

pub fn hook_url(server: &MockServer) -> String {
    format!("{}{HOOK_PATH}", server.uri())
}

/// Subscribes as `account`, expecting 201; returns the body (with the secret).
pub async fn subscribe(app: &TestApp, account: &str, url: &str, events: Value) -> Value {
    let res = app
        .post(
            "/api/v1/webhooks",
            account,
            json!({"url": url, "events": events}),
        )
        .await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn deliveries(app: &TestApp, account: &str, sub: &str, query: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/webhooks/{sub}/deliveries{query}"),
            account,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// Polls the deliveries until one satisfies `done` (at most 10 s).
async fn wait_for_delivery(
    app: &TestApp,
    account: &str,
    sub: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        if let Some(d) = deliveries(app, account, sub, "")
            .await
            .into_iter()
            .find(&done)
        {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no such delivery: {:?}",
        deliveries(app, account, sub, "").await
    );
}

/// The requests the receiver got, once at least `n` arrived (at most 10 s).
pub async fn received(server: &MockServer, n: usize) -> Vec<Request> {
    for _ in 0..200 {
        let got = server.received_requests().await.unwrap_or_default();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver got {} requests, expected {n}",
        server.received_requests().await.unwrap_or_default().len()
    );
}

fn header<'a>(req: &'a Request, name: &str) -> &'a str {
    req.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// What a receiver does: recompute the HMAC over "{timestamp}.{raw body}" and compare
/// (in constant time), and refuse old timestamps.
fn assert_signed(req: &Request, secret: &str) {
    let ts = header(req, "webhook-timestamp");
    let sig = header(req, "webhook-signature");
    let hex_sig = sig.strip_prefix("v1=").expect("v1= signature");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&req.body);
    mac.verify_slice(&hex::decode(hex_sig).unwrap())
        .expect("the signature verifies with the secret");
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap();
    assert!(age.abs() <= 60, "timestamp {age} s off");
    assert_eq!(header(req, "content-type"), "application/json");
}

fn body_of(req: &Request) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

#[tokio::test]
async fn a_ping_reaches_the_receiver_signed_with_the_secret_shown_once() {
    let app = app().await;
    let server = receiver(204).await;
    let res = app
        .post(
            "/api/v1/webhooks",
            "office",
            json!({"url": hook_url(&server), "events": ["rental.matches_client", "inquiry.changed"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.unwrap();
    let secret = str_of(&created, "secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = str_of(&created, "id").to_owned();
    assert_eq!(created["is_active"], true);
    assert_eq!(created["url"], hook_url(&server));
    assert_eq!(
        created["events"],
        json!(["rental.matches_client", "inquiry.changed"])
    );

    // The secret is never shown again.
    let read: Value = app
        .get(&format!("/api/v1/webhooks/{id}"), "office")
        .await
        .json()
        .await
        .unwrap();
    assert!(read.get("secret").is_none(), "{read}");
    let list: Value = app
        .get("/api/v1/webhooks", "office")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&secret));

    let res = app
        .post(&format!("/api/v1/webhooks/{id}/ping"), "office", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let ping: Value = res.json().await.unwrap();
    assert_eq!(ping["status"], "pending");
    assert_eq!(ping["event_type"], "ping");

    let got = received(&server, 1).await;
    let req = &got[0];
    assert_signed(req, &secret);
    assert_eq!(header(req, "webhook-id"), str_of(&ping, "id"));
    let body = body_of(req);
    assert_eq!(body["type"], "ping");
    assert_eq!(body["data"]["subscription_id"], id.as_str());

    let d = wait_for_delivery(&app, "office", &id, |d| d["status"] == "delivered").await;
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], 204);
    assert!(d["delivered_at"].is_string());
    assert!(d["next_attempt_at"].is_null());
    let delivered = deliveries(&app, "office", &id, "?status=delivered").await;
    assert_eq!(delivered.len(), 1);
    assert!(
        deliveries(&app, "office", &id, "?status=failed")
            .await
            .is_empty()
    );

    // A rotated secret signs from then on; the old one no longer verifies.
    let res = app
        .post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            "office",
            json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated: Value = res.json().await.unwrap();
    let new_secret = str_of(&rotated, "secret");
    assert_ne!(new_secret, secret);
    app.post(&format!("/api/v1/webhooks/{id}/ping"), "office", json!({}))
        .await;
    let got = received(&server, 2).await;
    assert_signed(&got[1], new_secret);
}

#[tokio::test]
async fn receivers_and_event_types_are_checked() {
    let app = app().await;
    for (url, events, field) in [
        ("ftp://x", json!(["*"]), "url"),
        ("http://example.com/hooks", json!(["*"]), "url"),
        ("https://user:pw@example.jp/hooks", json!(["*"]), "url"),
        (
            "https://example.jp/hooks",
            json!(["rental.sold"]),
            "events[0]",
        ),
        ("https://example.jp/hooks", json!([]), "events"),
        (
            "https://example.jp/hooks",
            json!(["*", "rental.vacant"]),
            "events[0]",
        ),
    ] {
        let res = app
            .post(
                "/api/v1/webhooks",
                "office",
                json!({"url": url, "events": events}),
            )
            .await;
        let problem = assert_problem(res, 422).await;
        assert!(
            problem_fields(&problem).contains(&field.to_owned()),
            "{url} {events}: {problem}"
        );
    }
    assert_eq!(app.count("webhook_subscriptions").await, 0);
    for url in [
        "https://example.jp/hooks",
        "http://localhost:9/x",
        "http://[::1]:9/x",
    ] {
        subscribe(&app, "office", url, json!(["*"])).await;
    }
    // Only administrators manage webhooks.
    let res = app
        .post(
            "/api/v1/webhooks",
            "office-staff",
            json!({"url": "https://example.jp/hooks", "events": ["*"]}),
        )
        .await;
    assert_problem(res, 403).await;
}

#[tokio::test]
async fn another_organisations_subscriptions_answer_404() {
    let app = app().await;
    let sub = subscribe(&app, "office", "https://example.jp/hooks", json!(["*"])).await;
    let id = str_of(&sub, "id");
    let ping: Value = app
        .post(&format!("/api/v1/webhooks/{id}/ping"), "office", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let delivery = str_of(&ping, "id");
    for account in ["office2", "landlord", "operator"] {
        let res = app.get(&format!("/api/v1/webhooks/{id}"), account).await;
        assert_problem(res, 404).await;
        let res = app
            .get(&format!("/api/v1/webhooks/{id}/deliveries"), account)
            .await;
        assert_problem(res, 404).await;
        for p in [
            format!("/api/v1/webhooks/{id}/ping"),
            format!("/api/v1/webhooks/{id}/rotate-secret"),
            format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver"),
        ] {
            assert_problem(app.post(&p, account, json!({})).await, 404).await;
        }
        let res = app.delete(&format!("/api/v1/webhooks/{id}"), account).await;
        assert_problem(res, 404).await;
        let list: Value = app
            .get("/api/v1/webhooks", account)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["items"], json!([]), "{account}");
    }
    let res = app
        .get(&format!("/api/v1/webhooks/{id}"), "office-staff")
        .await;
    assert_problem(res, 403).await;
    let res = app
        .get(
            "/api/v1/webhooks/00000000-0000-7000-8000-000000000000",
            "office",
        )
        .await;
    assert_problem(res, 404).await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_later_and_can_be_redelivered() {
    let app = app().await;
    let server = receiver(500).await;
    let sub = subscribe(&app, "office", &hook_url(&server), json!(["*"])).await;
    let id = str_of(&sub, "id").to_owned();
    app.post(&format!("/api/v1/webhooks/{id}/ping"), "office", json!({}))
        .await;
    let d = wait_for_delivery(&app, "office", &id, |d| d["attempts"].as_i64() >= Some(1)).await;
    assert_eq!(d["status"], "pending");
    assert_eq!(d["last_status_code"], 500);
    assert!(d["last_error"].as_str().unwrap().contains("500"), "{d}");
    let next: chrono::DateTime<chrono::Utc> =
        d["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let wait = next - chrono::Utc::now();
    assert!(
        wait > chrono::TimeDelta::seconds(20) && wait <= chrono::TimeDelta::seconds(34),
        "first retry in {wait}"
    );
    assert!(d["delivered_at"].is_null());
    // Not retried before its time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );

    // After the tenth failure it is given up; redeliver queues it again.
    let delivery = str_of(&d, "id").to_owned();
    let failed_id = delivery.clone();
    app.db
        .run(move |conn| {
            diesel::update(webhook_deliveries::table.find(failed_id))
                .set((
                    webhook_deliveries::status.eq("failed"),
                    webhook_deliveries::attempts.eq(10),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let failed = deliveries(&app, "office", &id, "?status=failed").await;
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["next_attempt_at"].is_null());
    answer(&server, 200).await;
    let redeliver = format!("/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver");
    let res = app.post(&redeliver, "office", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let again: Value = res.json().await.unwrap();
    assert_eq!(again["status"], "pending");
    assert_eq!(again["attempts"], 0);
    let d = wait_for_delivery(&app, "office", &id, |d| d["status"] == "delivered").await;
    assert_eq!(d["id"], delivery.as_str());
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], 200);
    let got = received(&server, 1).await;
    assert_eq!(header(&got[0], "webhook-id"), delivery);
    assert_signed(&got[0], str_of(&sub, "secret"));
    // A delivered one is not sent again.
    assert_problem(app.post(&redeliver, "office", json!({})).await, 409).await;
}

#[tokio::test]
async fn a_deactivated_subscription_gets_nothing() {
    let app = app().await;
    let server = receiver(503).await;
    let sub = subscribe(&app, "landlord", &hook_url(&server), json!(["*"])).await;
    let id = str_of(&sub, "id").to_owned();
    app.post(
        &format!("/api/v1/webhooks/{id}/ping"),
        "landlord",
        json!({}),
    )
    .await;
    received(&server, 1).await;
    let res = app
        .delete(&format!("/api/v1/webhooks/{id}"), "landlord")
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let read: Value = app
        .get(&format!("/api/v1/webhooks/{id}"), "landlord")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["is_active"], false);
    // The waiting retry stops, and says why.
    let ds = deliveries(&app, "landlord", &id, "").await;
    assert_eq!(ds[0]["status"], "failed");
    assert_eq!(ds[0]["last_error"], "subscription deactivated");
    let redeliver = format!(
        "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
        str_of(&ds[0], "id")
    );
    assert_problem(app.post(&redeliver, "landlord", json!({})).await, 409).await;
    assert_problem(
        app.post(
            &format!("/api/v1/webhooks/{id}/ping"),
            "landlord",
            json!({}),
        )
        .await,
        409,
    )
    .await;
    // Its events are no longer queued…
    create(&app, "landlord", sample()).await;
    // …and a delivery queued anyway (a race with the deactivation) is not sent.
    let sub_id = id.clone();
    app.db
        .run(move |conn| {
            let now = sumai_link::db::now();
            diesel::insert_into(webhook_deliveries::table)
                .values((
                    webhook_deliveries::id.eq(sumai_link::db::new_id()),
                    webhook_deliveries::subscription_id.eq(sub_id),
                    webhook_deliveries::event_type.eq("rental.vacant"),
                    webhook_deliveries::payload.eq("{}"),
                    webhook_deliveries::status.eq("pending"),
                    webhook_deliveries::attempts.eq(0),
                    webhook_deliveries::next_attempt_at.eq(now),
                    webhook_deliveries::created_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    for _ in 0..100 {
        let ds = deliveries(&app, "landlord", &id, "?status=pending").await;
        if ds.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ds = deliveries(&app, "landlord", &id, "").await;
    assert_eq!(ds.len(), 2, "{ds:?}");
    assert!(
        ds.iter()
            .all(|d| d["status"] == "failed" && d["last_error"] == "subscription deactivated"),
        "{ds:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap_or_default().len(),
        1
    );
}

#[tokio::test]
async fn the_event_is_stored_with_the_change_or_not_at_all() {
    let app = app().await;
    let server = receiver(200).await;
    let sub = subscribe(
        &app,
        "landlord",
        &hook_url(&server),
        json!(["rental.vacant"]),
    )
    .await;
    let id = str_of(&sub, "id").to_owned();
    let res = app
        .post(
            "/api/v1/rentals",
            "landlord",
            with(sample(), json!({"vacancy": "occupied"})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let etag = etag_of(&res);
    let rental: Value = res.json().await.unwrap();
    let path = format!("/api/v1/rentals/{}", str_of(&rental, "id"));
    assert_eq!(app.count("webhook_deliveries").await, 0);

    // Freed, but the change is refused (an agent that is not one): no event.
    let res = app
        .patch(
            &path,
            "landlord",
            Some(&etag),
            json!({"vacancy": "vacant", "agent_org_id": app.org_of("office").await}),
        )
        .await;
    assert_problem(res, 422).await;
    assert_eq!(app.count("webhook_deliveries").await, 0);

    // Freed for real: the landlord's receiver hears of it.
    let res = app
        .patch(&path, "landlord", Some(&etag), json!({"vacancy": "vacant"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let got = received(&server, 1).await;
    assert_signed(&got[0], str_of(&sub, "secret"));
    let body = body_of(&got[0]);
    assert_eq!(body["type"], "rental.vacant");
    assert_eq!(body["data"]["rental_id"], rental["id"]);
    wait_for_delivery(&app, "landlord", &id, |d| d["status"] == "delivered").await;

    // The outbox insert is part of the caller's transaction: rolled back with it.
    let row = {
        let rid = str_of(&rental, "id").to_owned();
        app.db
            .run(move |conn| Ok(sumai_link::db::rentals::find(conn, &rid)?))
            .await
            .unwrap()
    };
    let before = app.count("webhook_deliveries").await;
    let failed = app
        .db
        .transaction(move |conn| {
            let queued = sumai_link::notify::saved_search::rental_available(conn, &row)?;
            Err::<(), _>(sumai_link::error::ApiError::Conflict(format!(
                "{queued} queued, then the change failed"
            )))
        })
        .await;
    assert_eq!(
        failed.unwrap_err().to_string(),
        "1 queued, then the change failed"
    );
    assert_eq!(app.count("webhook_deliveries").await, before);
}

/// Registers a searching client of office@ with needs around the demo centre.
async fn client_with_needs(app: &TestApp, code: &str) -> String {
    let res = app
        .post(
            "/api/v1/clients",
            "office",
            json!({
                "display_code": code,
                "name": "試験 太郎",
                "date_of_birth": "1980-01-01",
                "categories": ["disability_mental"],
                "current_place": "hospital",
            }),
        )
        .await;
    let status = res.status();
    let client: Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{client}");
    let id = str_of(&client, "id").to_owned();
    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/clients/{id}/needs"),
            Some("office"),
            Some(json!({
                "max_monthly_total": 60000,
                "around": {"lat": 43.0621, "lon": 141.3544, "radius_m": 2000},
            })),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    id
}

/// The events the receiver got, as JSON.
async fn events_received(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(body_of)
        .collect()
}

fn about<'a>(events: &'a [Value], rental: &Value) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["data"]["rental_id"] == rental["id"])
        .collect()
}

// The demo data has clients of its own, which may fit the rentals registered here:
// the checks are about this test's client and rentals.
#[tokio::test]
async fn an_office_hears_of_a_new_rental_that_fits_its_client() {
    let app = app().await;
    let server = receiver(200).await;
    let sub = subscribe(
        &app,
        "office",
        &hook_url(&server),
        json!(["rental.matches_client", "rental.vacant"]),
    )
    .await;
    // office2 listens to everything, but the client is not its own.
    let other = receiver(200).await;
    subscribe(&app, "office2", &hook_url(&other), json!(["*"])).await;
    let client = client_with_needs(&app, "C-0001").await;

    // Outside the area, and inside it but over budget: not for this client.
    let far = with(
        sample(),
        json!({"registration_number": "01-000201", "latitude": 43.2, "longitude": 141.0}),
    );
    let far = create(&app, "landlord", far).await;
    let dear = with(
        sample(),
        json!({"registration_number": "01-000202", "rent": 70000}),
    );
    let dear = create(&app, "landlord", dear).await;

    // Inside the area and the budget: the office is told, with the client's id.
    let rental = create(&app, "landlord", sample()).await;
    let mut events = Vec::new();
    for _ in 0..200 {
        events = events_received(&server).await;
        if about(&events, &rental)
            .iter()
            .any(|e| e["type"] == "rental.matches_client")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mine: Vec<&Value> = about(&events, &rental)
        .into_iter()
        .filter(|e| {
            e["type"] == "rental.matches_client" && e["data"]["client_id"] == client.as_str()
        })
        .collect();
    assert_eq!(mine.len(), 1, "{events:?}");
    let vacant: Vec<&Value> = about(&events, &rental)
        .into_iter()
        .filter(|e| e["type"] == "rental.vacant")
        .collect();
    assert_eq!(vacant.len(), 1, "one rental.vacant per office: {events:?}");
    assert_eq!(vacant[0]["data"]["rent"], 42000);
    for req in server.received_requests().await.unwrap_or_default() {
        assert_signed(&req, str_of(&sub, "secret"));
        // Nothing about the person travels: the office looks the client up itself.
        assert!(!String::from_utf8_lossy(&req.body).contains("試験"));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = events_received(&server).await;
    for miss in [&far, &dear] {
        assert!(
            !about(&events, miss)
                .iter()
                .any(|e| e["data"]["client_id"] == client.as_str()),
            "{miss}: {events:?}"
        );
    }
    let to_other = events_received(&other).await;
    assert!(
        !to_other
            .iter()
            .any(|e| e["data"]["client_id"] == client.as_str()),
        "{to_other:?}"
    );
}

// Replicas each run a worker: deliveries are claimed (FOR UPDATE SKIP LOCKED on
// PostgreSQL, one writer on SQLite) so that none is sent twice.
#[tokio::test]
async fn workers_running_at_once_never_send_a_delivery_twice() {
    // The app's own worker polls once at start, then not for a minute.
    let app = spawn_app_with(&[("SUMAI_WEBHOOK_POLL_MS", "60000")]).await;
    let server = receiver(200).await;
    let sub = subscribe(&app, "office", &hook_url(&server), json!(["*"])).await;
    let id = str_of(&sub, "id");
    for _ in 0..24 {
        let res = app
            .post(&format!("/api/v1/webhooks/{id}/ping"), "office", json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
    }
    let client = sumai_link::notify::delivery::http_client().unwrap();
    let workers = (0..4).map(|_| {
        let (db, client) = (app.db.clone(), client.clone());
        tokio::spawn(async move {
            let mut sent = 0;
            for _ in 0..10 {
                sent += sumai_link::notify::delivery::deliver_due(&db, &client, 5)
                    .await
                    .unwrap();
            }
            sent
        })
    });
    let mut sent = 0;
    for w in workers.collect::<Vec<_>>() {
        sent += w.await.unwrap();
    }
    assert_eq!(sent, 24);
    let got = server.received_requests().await.unwrap_or_default();
    let ids: std::collections::HashSet<&str> =
        got.iter().map(|r| header(r, "webhook-id")).collect();
    assert_eq!((got.len(), ids.len()), (24, 24));
    assert_eq!(
        deliveries(&app, "office", id, "?status=delivered&limit=200")
            .await
            .len(),
        24
    );
}
