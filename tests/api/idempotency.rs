//! `Idempotency-Key` on writes: a retried POST creates one object only, also when the
//! retries race; the same key for another request, a bad key, keys of another caller;
//! a key whose first request died before or after its write.

use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::clients::client_body;
use crate::helpers::{TestApp, assert_problem, spawn_app};

/// POSTs `body` as `account` with `Idempotency-Key: key`, sending the exact bytes of
/// `body` so that the fingerprint of a retry is the same.
async fn post_with_key(app: &TestApp, account: &str, key: &str, body: &str) -> Response {
    app.client
        .post(app.url("/api/v1/clients"))
        .bearer_auth(app.token(account).await)
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn body_for(app: &TestApp, code: &str) -> String {
    let staff = app.user_id_of("office-staff").await;
    client_body(code, &staff).to_string()
}

fn replayed(res: &Response) -> bool {
    res.headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retried_post_creates_one_client_and_gets_the_same_answer() {
    let app = spawn_app().await;
    let body = body_for(&app, "IK-0001").await;
    let before = app.count("clients").await;

    let first = post_with_key(&app, "office", "key-0001", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(!replayed(&first));
    let location = first.headers().get("location").cloned();
    let first: Value = first.json().await.unwrap();

    let retry = post_with_key(&app, "office", "key-0001", &body).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert!(replayed(&retry));
    assert_eq!(retry.headers().get("location").cloned(), location);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry, first, "the same answer, the same client id");
    assert_eq!(app.count("clients").await, before + 1);

    // Without a key the same body is a second request (and here a duplicate code).
    let other = post_with_key(&app, "office", "key-0002", &body).await;
    assert_ne!(other.status(), StatusCode::CREATED);
    assert_eq!(app.count("clients").await, before + 1);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_client() {
    let app = spawn_app().await;
    let body = body_for(&app, "IK-0002").await;
    app.token("office").await;
    let before = app.count("clients").await;

    let sends = (0..8).map(|_| post_with_key(&app, "office", "race-key", &body));
    let answers = futures_util::future::join_all(sends).await;
    let mut created = Vec::new();
    for res in answers {
        match res.status() {
            StatusCode::CREATED => created.push(res.json::<Value>().await.unwrap()["id"].clone()),
            StatusCode::CONFLICT => {
                assert_eq!(res.headers().get("retry-after").unwrap(), "1");
                let p = assert_problem(res, 409).await;
                assert_eq!(p["type"], "/problems/idempotency-key-in-use");
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(!created.is_empty());
    assert!(created.iter().all(|id| *id == created[0]), "{created:?}");
    assert_eq!(app.count("clients").await, before + 1);

    // Once the first has answered, a retry gets its answer.
    let retry = post_with_key(&app, "office", "race-key", &body).await;
    assert!(replayed(&retry));
    assert_eq!(retry.json::<Value>().await.unwrap()["id"], created[0]);
    assert_eq!(app.count("clients").await, before + 1);
}

#[tokio::test]
async fn a_key_used_for_another_request_or_malformed_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let body = body_for(&app, "IK-0003").await;
    assert_eq!(
        post_with_key(&app, "office", "key-x", &body).await.status(),
        StatusCode::CREATED
    );
    let before = app.count("clients").await;

    let other_body = body_for(&app, "IK-0004").await;
    let p = assert_problem(
        post_with_key(&app, "office", "key-x", &other_body).await,
        422,
    )
    .await;
    assert_eq!(p["type"], "/problems/idempotency-key-reused");
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");

    let p = assert_problem(
        post_with_key(&app, "office", "a key with spaces", &other_body).await,
        400,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");
    let long = "k".repeat(256);
    assert_problem(post_with_key(&app, "office", &long, &other_body).await, 400).await;
    assert_eq!(app.count("clients").await, before);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = spawn_app().await;
    let body = body_for(&app, "IK-0005").await;
    let first = post_with_key(&app, "office", "shared-key", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    // office-staff@ is another caller of the same office: the key is not theirs, so
    // the request runs (and finds the code taken) rather than replaying office@'s answer.
    let theirs = post_with_key(&app, "office-staff", "shared-key", &body).await;
    assert!(!replayed(&theirs));
    assert!(theirs.status().is_client_error(), "{}", theirs.status());
}

#[tokio::test]
async fn an_answer_about_bad_input_is_replayed_too() {
    let app = spawn_app().await;
    let before = app.count("clients").await;
    let bad = r#"{"display_code": ""}"#;
    let first = post_with_key(&app, "office", "bad-key", bad).await;
    let status = first.status();
    assert!(status.is_client_error(), "{status}");
    let retry = post_with_key(&app, "office", "bad-key", bad).await;
    assert_eq!(retry.status(), status);
    assert!(replayed(&retry));
    assert_eq!(app.count("clients").await, before);
}

/// Plants the row a request left behind when its server was killed.
async fn plant(app: &TestApp, key: &str, body: &str, state: &str, minutes_ago: i64) {
    use diesel::prelude::*;
    use sumai_link::db::schema::idempotency_keys as ik;
    let principal = format!("user:{}", app.user_id_of("office").await);
    let print =
        sumai_link::domain::idempotency::fingerprint("POST", "/api/v1/clients", body.as_bytes());
    let (key, state) = (key.to_owned(), state.to_owned());
    app.db
        .run(move |c| {
            let at = sumai_link::db::now() - chrono::Duration::minutes(minutes_ago);
            diesel::insert_into(ik::table)
                .values((
                    ik::id.eq(sumai_link::db::new_id()),
                    ik::principal.eq(principal),
                    ik::key.eq(key),
                    ik::fingerprint.eq(print),
                    ik::state.eq(state),
                    ik::created_at.eq(at),
                    ik::expires_at.eq(at + chrono::Duration::hours(24)),
                ))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_key_left_by_a_dead_server_is_taken_over_or_reported() {
    let app = spawn_app().await;
    let before = app.count("clients").await;

    // Died before writing anything, ten minutes ago: the retry runs.
    let body = body_for(&app, "IK-0006").await;
    plant(&app, "dead-before", &body, "in_progress", 10).await;
    let res = post_with_key(&app, "office", "dead-before", &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(!replayed(&res));
    assert_eq!(app.count("clients").await, before + 1);

    // Died after its write committed: the retry must not write again.
    let body = body_for(&app, "IK-0007").await;
    plant(&app, "dead-after", &body, "committed", 10).await;
    let p = assert_problem(
        post_with_key(&app, "office", "dead-after", &body).await,
        409,
    )
    .await;
    assert_eq!(p["type"], "/problems/idempotency-outcome-unknown");

    // Still running (claimed a moment ago): come back later.
    let body = body_for(&app, "IK-0008").await;
    plant(&app, "running", &body, "in_progress", 0).await;
    let p = assert_problem(post_with_key(&app, "office", "running", &body).await, 409).await;
    assert_eq!(p["type"], "/problems/idempotency-key-in-use");
    assert_eq!(app.count("clients").await, before + 1);
}

#[tokio::test]
async fn a_successful_write_leaves_its_key_done_with_the_answer() {
    use diesel::prelude::*;
    use sumai_link::db::schema::idempotency_keys as ik;
    let app = spawn_app().await;
    let body = body_for(&app, "IK-0009").await;
    assert_eq!(
        post_with_key(&app, "office", "done-key", &body)
            .await
            .status(),
        StatusCode::CREATED
    );
    let (state, status): (String, Option<i32>) = app
        .db
        .run(|c| {
            Ok(ik::table
                .filter(ik::key.eq("done-key"))
                .select((ik::state, ik::response_status))
                .first(c)?)
        })
        .await
        .unwrap();
    assert_eq!((state.as_str(), status), ("done", Some(201)));
}
