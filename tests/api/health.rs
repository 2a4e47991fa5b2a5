use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_bare_app};

#[tokio::test]
async fn healthz_answers_ok_with_a_request_id() {
    let app = spawn_bare_app(&[]).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert!(uuid::Uuid::parse_str(id.to_str().unwrap()).is_ok());
}

#[tokio::test]
async fn each_response_gets_its_own_request_id() {
    let app = spawn_bare_app(&[]).await;
    let a = app.client.get(app.url("/healthz")).send().await.unwrap();
    let b = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_ne!(a.headers()["x-request-id"], b.headers()["x-request-id"]);
}

#[tokio::test]
async fn readyz_answers_ok_when_the_database_answers() {
    let app = spawn_bare_app(&[]).await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_answers_503_when_the_database_is_gone() {
    let app = spawn_bare_app(&[]).await;
    if app.database.is_postgres() {
        app.database.drop_now();
    } else {
        // Replace the SQLite file by a directory: connections can no longer be opened,
        // and the pool's idle ones fail their health check.
        let path = app.database.url.trim_start_matches("sqlite://").to_owned();
        drop_sqlite_file(&app, &path).await;
    }
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    crate::helpers::assert_problem(res, 503).await;
}

async fn drop_sqlite_file(app: &crate::helpers::TestApp, path: &str) {
    // Corrupt the database header: every query on any connection fails from now on.
    use std::io::{Seek, SeekFrom, Write};
    let _ = app; // the server keeps running on the corrupted file
    for file in [
        path.to_owned(),
        format!("{path}-wal"),
        format!("{path}-shm"),
    ] {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&file) {
            f.seek(SeekFrom::Start(0)).unwrap();
            f.write_all(&[0u8; 4096]).unwrap();
        }
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/me", "office").await;
    app.client
        .get(app.url("/api/v1/organizations/not-a-uuid"))
        .send()
        .await
        .unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",status="200",le="#
    ));
    // Ids never become labels: the route pattern does.
    assert!(text.contains(r#"route="/api/v1/organizations/{id}""#));
    assert!(!text.contains("not-a-uuid"));
}
