//! Crash durability: the real binary takes writes from several clients at once and is
//! killed with SIGKILL in the middle of them; after a restart every acknowledged write
//! is there, nothing is half-written, and the requests that were cut off can be retried
//! with their Idempotency-Key without creating anything twice. On SQLite (WAL) and on
//! PostgreSQL, whichever the suite runs on.

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{DEMO_PASSWORD, TestDatabase, email, sumai_command};
use crate::rentals::{sample, with};

struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn serve(database_url: &str) -> Served {
    let port = free_port();
    let child = sumai_command(database_url)
        .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{port}")])
        .env("SUMAI_GEOCODER_URL", "off")
        .env("SUMAI_RATE_LIMIT_LOGIN", "off")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sumai-link serve");
    let served = Served {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(res) = reqwest::get(format!("{}/readyz", served.base)).await
            && res.status() == StatusCode::OK
        {
            return served;
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn token(base: &str, account: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(
            &json!({"grant_type": "password", "email": email(account), "password": DEMO_PASSWORD}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One write the load sends: where, as whom, what, under which key.
#[derive(Clone)]
struct Write {
    path: &'static str,
    account: &'static str,
    key: String,
    body: String,
}

/// What became of a write before the kill.
#[derive(Default)]
struct Ledger {
    /// key → id of the object, for writes answered 201.
    acknowledged: BTreeMap<String, String>,
    /// Writes sent but not answered (cut off by the kill).
    unanswered: Vec<Write>,
}

fn client_write(n: usize, responsible: &str) -> Write {
    let body = crate::clients::client_body(&format!("DK-{n:05}"), responsible);
    Write {
        path: "/api/v1/clients",
        account: "office",
        key: format!("client-{n}"),
        body: body.to_string(),
    }
}

fn rental_write(n: usize) -> Write {
    let body = with(
        sample(),
        json!({
            "registration_number": format!("01-{:06}", 700_000 + n),
            "building_name": format!("耐久テスト荘 {n}"),
        }),
    );
    Write {
        path: "/api/v1/rentals",
        account: "landlord",
        key: format!("rental-{n}"),
        body: body.to_string(),
    }
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    tokens: &BTreeMap<&'static str, String>,
    w: &Write,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}{}", w.path))
        .bearer_auth(&tokens[w.account])
        .header("content-type", "application/json")
        .header("idempotency-key", &w.key)
        .body(w.body.clone())
        .send()
        .await
}

#[tokio::test]
async fn every_acknowledged_write_survives_a_sigkill_and_nothing_is_half_written() {
    let database = TestDatabase::new();
    let mut server = serve(&database.url).await;
    let base = server.base.clone();
    let mut tokens = BTreeMap::new();
    for a in ["office", "landlord"] {
        tokens.insert(a, token(&base, a).await);
    }
    let me: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&tokens["office"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let responsible = me["id"].as_str().unwrap().to_owned();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let tokens = Arc::new(tokens);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut writers = Vec::new();
    for w in 0..4usize {
        let (ledger, tokens, http, base, responsible) = (
            ledger.clone(),
            tokens.clone(),
            http.clone(),
            base.clone(),
            responsible.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let n = i * 4 + w;
                let write = if n % 2 == 0 {
                    client_write(n, &responsible)
                } else {
                    rental_write(n)
                };
                match send(&http, &base, &tokens, &write).await {
                    Ok(res) if res.status() == StatusCode::CREATED => {
                        let v: Value = res.json().await.unwrap();
                        let id = v["id"].as_str().unwrap().to_owned();
                        ledger.lock().await.acknowledged.insert(write.key, id);
                    }
                    Ok(res) => panic!("{} answered {}", write.path, res.status()),
                    Err(_) => {
                        // The server died under this request: its outcome is unknown.
                        ledger.lock().await.unanswered.push(write);
                        return;
                    }
                }
            }
        }));
    }
    // Let the load run, then kill the server without warning.
    let started = Instant::now();
    while ledger.lock().await.acknowledged.len() < 40 && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    drop(server);

    let server = serve(&database.url).await;
    let base = server.base.clone();
    let mut tokens = BTreeMap::new();
    for a in ["office", "landlord"] {
        tokens.insert(a, token(&base, a).await);
    }
    let http = reqwest::Client::new();
    let ledger = ledger.lock().await;
    assert!(ledger.acknowledged.len() >= 40, "the load ran");

    // Every acknowledged object is there, whole.
    for (key, id) in &ledger.acknowledged {
        let (path, account) = if key.starts_with("client-") {
            (format!("/api/v1/clients/{id}"), "office")
        } else {
            (format!("/api/v1/rentals/{id}"), "landlord")
        };
        let res = http
            .get(format!("{base}{path}"))
            .bearer_auth(&tokens[account])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{key} was acknowledged but is gone"
        );
        let v: Value = res.json().await.unwrap();
        if key.starts_with("client-") {
            assert_eq!(
                v["services"].as_array().map(Vec::len),
                Some(1),
                "{key}: {v}"
            );
        }
    }

    // A retry of each cut-off request, with its key, ends with exactly one object.
    for w in &ledger.unanswered {
        let res = send(&http, &base, &tokens, w).await.unwrap();
        let status = res.status();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::CONFLICT,
            "{}: {status}",
            w.key
        );
    }
    let db = sumai_link::db::Db::connect(
        &sumai_link::db::DatabaseUrl::parse(&database.url).unwrap(),
        2,
    )
    .unwrap();
    let (clients, services, rentals, unlogged) = db
        .run(|conn| {
            use diesel::prelude::*;
            use sumai_link::db::schema::{client_services, clients, rentals};
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let c: i64 = clients::table
                .filter(clients::display_code.like("DK-%"))
                .count()
                .get_result(conn)?;
            let s: i64 = client_services::table
                .inner_join(clients::table)
                .filter(clients::display_code.like("DK-%"))
                .count()
                .get_result(conn)?;
            let r: i64 = rentals::table
                .filter(rentals::building_name.like("耐久テスト荘%"))
                .count()
                .get_result(conn)?;
            let unlogged: Vec<N> = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM rentals r WHERE r.building_name LIKE '耐久テスト荘%' \
                 AND NOT EXISTS (SELECT 1 FROM rental_changes c \
                                 WHERE r.id BETWEEN c.first_id AND c.last_id)",
            )
            .load(conn)?;
            Ok((c, s, r, unlogged[0].n))
        })
        .await
        .unwrap();
    // No client without its service period, no rental without its change-log entry.
    assert_eq!(services, clients, "every client has its one service period");
    assert_eq!(unlogged, 0, "every rental reached the change log");
    let acknowledged_clients = ledger
        .acknowledged
        .keys()
        .filter(|k| k.starts_with("client-"))
        .count() as i64;
    let acknowledged_rentals = ledger.acknowledged.len() as i64 - acknowledged_clients;
    let retried = ledger.unanswered.len() as i64;
    assert!(clients >= acknowledged_clients && clients <= acknowledged_clients + retried);
    assert!(rentals >= acknowledged_rentals && rentals <= acknowledged_rentals + retried);
    drop(server);
}
