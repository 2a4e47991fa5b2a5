//! Limits: rate limits on logins and expensive endpoints (429 with Retry-After, per
//! caller and per address), bodies that stop arriving (408), page sizes and body sizes.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{DEMO_PASSWORD, TestApp, assert_problem, email, spawn_app_with};

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn logins_past_the_quota_of_an_address_get_429_with_retry_after() {
    let app = spawn_app_with(&[("SUMAI_RATE_LIMIT_LOGIN", "3/min")]).await;
    // Good and bad passwords, and several accounts, all count for the address.
    assert_eq!(
        app.login_response(&email("office"), "wrong").await.status(),
        StatusCode::UNAUTHORIZED
    );
    for account in ["office", "landlord"] {
        let res = app.login_response(&email(account), DEMO_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = app.login_response(&email("corp"), DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!((1..=20).contains(&wait), "{wait}");
    let p = assert_problem(res, 429).await;
    assert_eq!(p["type"], "/problems/too-many-requests");

    // The portal's login form shares the bucket, and answers in Japanese.
    let res = app
        .client
        .post(app.url("/portal/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email=landlord%40demo.example&password={DEMO_PASSWORD}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) >= 1);
    assert!(res.text().await.unwrap().contains("しばらくお待ちください"));
}

async fn first_client(app: &TestApp, account: &str) -> String {
    let list: Value = app
        .get("/api/v1/clients", account)
        .await
        .json()
        .await
        .unwrap();
    list["items"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn matches_are_limited_per_caller_and_per_address() {
    let app = spawn_app_with(&[
        ("SUMAI_RATE_LIMIT_MATCH", "2/min"),
        ("SUMAI_RATE_LIMIT_PER_IP_FACTOR", "2"),
    ])
    .await;
    let mine = first_client(&app, "office").await;
    let theirs = first_client(&app, "office2").await;
    let path = |id: &str| format!("/api/v1/clients/{id}/matches?limit=5");
    for _ in 0..2 {
        assert_eq!(
            app.get(&path(&mine), "office").await.status(),
            StatusCode::OK
        );
    }
    let res = app.get(&path(&mine), "office").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) >= 1);
    // Cheap reads are not limited.
    assert_eq!(
        app.get(&format!("/api/v1/clients/{mine}"), "office")
            .await
            .status(),
        StatusCode::OK
    );
    // Another caller on the same address has the address's remaining two…
    for _ in 0..2 {
        assert_eq!(
            app.get(&path(&theirs), "office2").await.status(),
            StatusCode::OK
        );
    }
    // …and then the address is spent for everyone.
    let res = app.get(&path(&theirs), "office2").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sheet_pdfs_are_limited_but_the_same_sheet_as_json_is_not() {
    let app = spawn_app_with(&[("SUMAI_RATE_LIMIT_PDF", "1/min")]).await;
    let list: Value = app
        .get("/api/v1/support-sheets", "landlord")
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let pdf = format!("/api/v1/support-sheets/{id}?format=pdf");
    assert_eq!(app.get(&pdf, "landlord").await.status(), StatusCode::OK);
    let res = app.get(&pdf, "landlord").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_problem(res, 429).await;
    let json = format!("/api/v1/support-sheets/{id}?format=json");
    assert_eq!(app.get(&json, "landlord").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off_with_408_and_nothing_is_stored() {
    let app = spawn_app_with(&[("SUMAI_BODY_IDLE_TIMEOUT_SECS", "1")]).await;
    let token = app.token("office").await;
    let before = app.count("clients").await;
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/clients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{{\"display_code\":"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server did not give up on the body");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert_eq!(app.count("clients").await, before);
}

#[tokio::test]
async fn page_sizes_and_bodies_are_bounded() {
    let app = spawn_app_with(&[("SUMAI_BODY_LIMIT_BYTES", "4096")]).await;
    let p = assert_problem(app.get("/api/v1/rentals?limit=201", "office").await, 422).await;
    assert_eq!(p["errors"][0]["field"], "limit", "{p}");
    let before = app.count("clients").await;
    let big = json!({ "display_code": "X".repeat(10_000) });
    assert_problem(app.post("/api/v1/clients", "office", big).await, 413).await;
    assert_eq!(app.count("clients").await, before);
}

#[tokio::test]
async fn the_default_limits_let_ordinary_use_through() {
    // The suite's other tests switch the limits off; here they are as shipped.
    let app = spawn_app_with(&[
        ("SUMAI_RATE_LIMIT_LOGIN", "30/min"),
        ("SUMAI_RATE_LIMIT_MATCH", "120/min"),
    ])
    .await;
    let id = first_client(&app, "office").await;
    for _ in 0..20 {
        let res = app
            .get(&format!("/api/v1/clients/{id}/matches?limit=5"), "office")
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
}
