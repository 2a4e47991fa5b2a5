//! The audit log as a hash chain: every audited request ends up sealed in one chain that
//! verifies; the database refuses to change or delete a record; a change or deletion
//! made behind its back (triggers off) is found by the walk; retention trims the chain's
//! start without breaking it.

use diesel::RunQueryDsl;
use serde_json::json;
use sumai_link::db::audit_chain::{self, Report, VerifyError};
use sumai_link::domain::audit_chain::Break;

use crate::helpers::{DEMO_PASSWORD, TestApp, email, spawn_app};

/// Logins (good and bad), a client list, a client read and a consent list: each writes
/// audit records.
async fn audited_traffic(app: &TestApp) {
    let res = app
        .login_response(&email("office"), "not-the-password")
        .await;
    assert_eq!(res.status().as_u16(), 401);
    let res = app.login_response(&email("office"), DEMO_PASSWORD).await;
    assert_eq!(res.status().as_u16(), 200);
    let clients: serde_json::Value = app
        .get("/api/v1/clients", "office")
        .await
        .json()
        .await
        .unwrap();
    let id = clients["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/api/v1/clients/{id}"), "office")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.get(&format!("/api/v1/clients/{id}/consents"), "office")
            .await
            .status()
            .as_u16(),
        200
    );
}

async fn seal(app: &TestApp) {
    audit_chain::seal_all(&app.db).await.unwrap();
}

async fn verify(app: &TestApp) -> Result<Report, String> {
    app.db
        .run(|conn| {
            Ok(audit_chain::verify(conn).map_err(|e| match e {
                VerifyError::Broken(b) => format!("{b:?}"),
                other => panic!("verify could not run: {other}"),
            }))
        })
        .await
        .unwrap()
}

async fn exec(app: &TestApp, sql: String) -> Result<usize, String> {
    app.db
        .run(move |conn| {
            Ok(diesel::sql_query(sql)
                .execute(conn)
                .map_err(|e| e.to_string()))
        })
        .await
        .unwrap()
}

/// Runs `sql` with the append-only triggers out of the way, as someone with direct
/// access to the database could.
async fn tamper(app: &TestApp, sql: String) {
    if app.database.is_postgres() {
        exec(app, "ALTER TABLE audit_log DISABLE TRIGGER USER".into())
            .await
            .unwrap();
    } else {
        for t in [
            "audit_log_append_only_update",
            "audit_log_append_only_delete",
        ] {
            exec(app, format!("DROP TRIGGER IF EXISTS {t}"))
                .await
                .unwrap();
        }
    }
    assert_eq!(exec(app, sql).await, Ok(1), "the tampering touched one row");
}

async fn seq_of_action(app: &TestApp, action: &'static str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
    }
    app.db
        .run(move |conn| {
            let rows: Vec<S> = diesel::sql_query(format!(
                "SELECT seq FROM audit_log WHERE action = '{action}' ORDER BY seq LIMIT 1"
            ))
            .load(conn)?;
            Ok(rows[0].seq)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn every_audited_request_is_sealed_into_a_chain_that_verifies() {
    let app = spawn_app().await;
    audited_traffic(&app).await;
    seal(&app).await;
    let report = verify(&app).await.expect("intact");
    let total = app.count("audit_log").await;
    assert!(
        total >= 5,
        "logins, reads and consents were audited: {total}"
    );
    assert_eq!(report.checked as i64, total);
    assert_eq!(report.head_seq, total);
    assert_eq!(report.unsealed, 0);
    for action in ["login", "login_failed", "read"] {
        assert!(seq_of_action(&app, action).await >= 1, "{action} audited");
    }

    // More traffic extends the same chain.
    audited_traffic(&app).await;
    seal(&app).await;
    let again = verify(&app).await.expect("intact");
    assert!(again.head_seq > report.head_seq);
    assert_eq!(again.checked as i64, app.count("audit_log").await);
}

#[tokio::test]
async fn the_running_server_seals_new_records_by_itself() {
    let app = spawn_app().await;
    audited_traffic(&app).await;
    let mut unsealed = i64::MAX;
    for _ in 0..100 {
        unsealed = verify(&app).await.unwrap().unsealed;
        if unsealed == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(unsealed, 0, "the sealer (SUMAI_AUDIT_SEAL_MS) sealed them");
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_an_audit_record() {
    let app = spawn_app().await;
    audited_traffic(&app).await;
    seal(&app).await;
    let before = app.count("audit_log").await;
    let changed = exec(&app, "UPDATE audit_log SET detail = '{}'".into()).await;
    assert!(
        changed.as_ref().is_err_and(|e| e.contains("append-only")),
        "{changed:?}"
    );
    let deleted = exec(&app, "DELETE FROM audit_log".into()).await;
    assert!(
        deleted.as_ref().is_err_and(|e| e.contains("append-only")),
        "{deleted:?}"
    );
    // Not even a record waiting for its seal may be edited.
    app.db
        .run(|conn| {
            sumai_link::db::audit::write(
                conn,
                sumai_link::db::audit::Entry {
                    actor: None,
                    action: "test",
                    object_type: "test",
                    object_id: None,
                    outcome: "ok",
                    detail: json!({}),
                },
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let unsealed = exec(
        &app,
        "UPDATE audit_log SET outcome = 'denied' WHERE seq IS NULL".into(),
    )
    .await;
    assert!(unsealed.is_err(), "{unsealed:?}");
    let chain_back = exec(&app, "UPDATE audit_chain SET head_seq = 0".into()).await;
    assert!(chain_back.is_err(), "{chain_back:?}");
    assert_eq!(app.count("audit_log").await, before + 1);
    seal(&app).await;
    verify(&app).await.expect("still intact");
}

#[tokio::test]
async fn verify_finds_a_record_changed_behind_the_databases_back() {
    let app = spawn_app().await;
    audited_traffic(&app).await;
    seal(&app).await;
    let seq = seq_of_action(&app, "login_failed").await;
    tamper(
        &app,
        format!("UPDATE audit_log SET outcome = 'ok', action = 'login' WHERE seq = {seq}"),
    )
    .await;
    let err = verify(&app).await.unwrap_err();
    assert!(err.starts_with(&format!("Changed {{ seq: {seq},")), "{err}");
}

#[tokio::test]
async fn verify_finds_a_record_deleted_from_the_middle_or_the_end() {
    let app = spawn_app().await;
    audited_traffic(&app).await;
    seal(&app).await;
    let head = verify(&app).await.unwrap().head_seq;
    tamper(&app, format!("DELETE FROM audit_log WHERE seq = {head}")).await;
    let err = verify(&app).await.unwrap_err();
    assert_eq!(
        err,
        format!(
            "{:?}",
            Break::Truncated {
                last: head - 1,
                head
            }
        )
    );
    tamper(&app, "DELETE FROM audit_log WHERE seq = 2".into()).await;
    let err = verify(&app).await.unwrap_err();
    assert_eq!(
        err,
        format!(
            "{:?}",
            Break::Missing {
                expected: 2,
                found: 3
            }
        )
    );
}

#[tokio::test]
async fn retention_drops_only_records_past_their_time_and_the_chain_still_verifies() {
    let app = spawn_app().await;
    audited_traffic(&app).await;
    seal(&app).await;
    let old = app.count("audit_log").await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let cutoff = sumai_link::db::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    audited_traffic(&app).await;
    seal(&app).await;
    let all = app.count("audit_log").await;

    let dropped = app
        .db
        .transaction(move |c| Ok(audit_chain::purge_before(c, cutoff)?))
        .await
        .unwrap();
    assert_eq!(dropped as i64, old);
    assert_eq!(app.count("audit_log").await, all - old);
    let report = verify(&app)
        .await
        .expect("a trimmed chain verifies from its anchor");
    assert_eq!(report.anchor_seq, old);
    assert_eq!(report.checked as i64, all - old);

    // The anchor now guards the rest: a newer record still cannot be deleted.
    let deleted = exec(
        &app,
        format!("DELETE FROM audit_log WHERE seq = {}", old + 1),
    )
    .await;
    assert!(deleted.is_err(), "{deleted:?}");
    // Purging again with the same cutoff drops nothing.
    let again = app
        .db
        .transaction(move |c| Ok(audit_chain::purge_before(c, cutoff)?))
        .await
        .unwrap();
    assert_eq!(again, 0);
}
