//! `sumai-link backup` while the server is serving, then `restore` into a new database:
//! every table holds the same rows, the API answers the same, and the audit chain of
//! the copy verifies.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::clients::new_client;
use crate::helpers::{TestApp, TestDatabase, spawn_app, spawn_app_on, sumai_command};

fn sumai(args: &[&str], database_url: &str) -> Output {
    sumai_command(database_url)
        .args(args)
        .output()
        .expect("run sumai-link")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every table and its number of rows.
async fn table_counts(app: &TestApp) -> Vec<(String, i64)> {
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let pg = app.database.is_postgres();
    app.db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            let sql = if pg {
                "SELECT table_name AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            } else {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            };
            let names: Vec<Name> = diesel::sql_query(sql).load(conn)?;
            let mut out = Vec::new();
            for Name { name } in names {
                let n: Vec<N> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM \"{name}\""))
                    .load(conn)?;
                out.push((name, n[0].n));
            }
            Ok(out)
        })
        .await
        .unwrap()
}

async fn json(app: &TestApp, path: &str, account: &str) -> Value {
    let res = app.get(path, account).await;
    assert_eq!(res.status().as_u16(), 200, "{path}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_to_the_same_data() {
    let app = spawn_app().await;
    let client = new_client(&app, "BK-0001").await;
    let client_id = client["id"].as_str().unwrap().to_owned();
    let dir = std::env::temp_dir().join(format!("sumai-backup-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sumai.backup");
    let file_str = file.to_str().unwrap();

    let out = sumai(&["backup", "--output", file_str], &app.database.url);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("backed up"), "{}", text(&out));
    assert!(Path::new(&file).metadata().unwrap().len() > 10_000);
    // A backup never overwrites a file.
    let again = sumai(&["backup", "--output", file_str], &app.database.url);
    assert!(!again.status.success());
    assert!(text(&again).contains("exists already"), "{}", text(&again));

    let target = TestDatabase::new();
    let url = target.url.clone();
    let out = sumai(&["restore", "--input", file_str], &url);
    assert!(out.status.success(), "{}", text(&out));
    // A database that holds accounts is not replaced without --force.
    let refused = sumai(&["restore", "--input", file_str], &url);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    let forced = sumai(&["restore", "--input", file_str, "--force"], &url);
    assert!(forced.status.success(), "{}", text(&forced));

    // The copy's audit chain verifies (the CLI seals what the source had not sealed).
    let verified = sumai(&["audit", "verify"], &url);
    assert!(verified.status.success(), "{}", text(&verified));

    let copy = spawn_app_on(target, &[]).await;
    let (a, b) = (table_counts(&app).await, table_counts(&copy).await);
    let skip = |t: &str| t == "audit_log" || t == "audit_chain" || t == "idempotency_keys";
    let strip = |v: &[(String, i64)]| {
        v.iter()
            .filter(|(t, _)| !skip(t))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
    assert!(a.iter().any(|(t, n)| t == "rentals" && *n >= 300));
    // The copy has at least the audit records the source had when it was backed up.
    let audit = |v: &[(String, i64)]| v.iter().find(|(t, _)| t == "audit_log").unwrap().1;
    assert!(
        audit(&b) > 0 && audit(&b) <= audit(&a),
        "{} {}",
        audit(&b),
        audit(&a)
    );

    for (path, account) in [
        ("/api/v1/clients?limit=200".to_owned(), "office"),
        (format!("/api/v1/clients/{client_id}"), "office"),
        ("/api/v1/rentals?limit=200".to_owned(), "office"),
        ("/api/v1/rentals/mine?limit=200".to_owned(), "landlord"),
        ("/api/v1/support-sheets".to_owned(), "landlord"),
        ("/api/v1/meetings?limit=200".to_owned(), "office"),
    ] {
        assert_eq!(
            json(&app, &path, account).await,
            json(&copy, &path, account).await,
            "{path}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
