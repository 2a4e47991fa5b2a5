//! `spawn_app()`: the real server on a random port against a fresh database of its own —
//! a new SQLite file, or a new PostgreSQL database when `SUMAI_TEST_POSTGRES_URL` is set.

use std::collections::HashMap;

use diesel::{Connection, RunQueryDsl};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use sumai_link::config::Settings;
use sumai_link::db::Db;
use sumai_link::startup::Application;

pub const DEMO_PASSWORD: &str = "demo-pass-2026";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Every demo account, by the short name the tests use.
pub const ACCOUNTS: &[&str] = &[
    "operator",
    "office",
    "office-staff",
    "office-viewer",
    "office2",
    "corp",
    "hsc",
    "council",
    "landlord",
    "landlord2",
    "agent",
];

/// API keys in the demo data: office@'s, for the integration example.
pub const DEMO_API_KEYS: i64 = 1;

pub fn email(account: &str) -> String {
    format!("{account}@demo.example")
}

/// A fresh database for one test, removed when the test ends.
pub struct TestDatabase {
    pub url: String,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
    sqlite_dir: Option<std::path::PathBuf>,
}

impl TestDatabase {
    pub fn new() -> Self {
        match std::env::var("SUMAI_TEST_POSTGRES_URL")
            .ok()
            .filter(|s| !s.is_empty())
        {
            Some(base) => Self::postgres(&base),
            None => Self::sqlite(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_name.is_some()
    }

    pub fn sqlite() -> Self {
        let dir =
            std::env::temp_dir().join(format!("sumai-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self {
            url: format!("sqlite://{}/test.db", dir.display()),
            pg_admin_url: None,
            pg_name: None,
            sqlite_dir: Some(dir),
        }
    }

    pub fn postgres(base: &str) -> Self {
        let name = format!("sumai_t_{}", uuid::Uuid::now_v7().simple());
        let mut admin =
            diesel::PgConnection::establish(base).expect("connect to SUMAI_TEST_POSTGRES_URL");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .expect("create test database");
        Self {
            url: replace_db_name(base, &name),
            pg_admin_url: Some(base.to_owned()),
            pg_name: Some(name),
            sqlite_dir: None,
        }
    }

    /// Drops a PostgreSQL test database at once, cutting the server's connections
    /// (used to test readiness).
    pub fn drop_now(&self) {
        if let (Some(admin), Some(name)) = (&self.pg_admin_url, &self.pg_name)
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.drop_now();
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn replace_db_name(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    match head[scheme_end..].rfind('/') {
        Some(i) => format!("{}/{name}{query}", &head[..scheme_end + i]),
        None => format!("{head}/{name}{query}"),
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub db: Db,
    pub handle: actix_web::dev::ServerHandle,
    pub index: std::sync::Arc<sumai_link::search::RentalIndex>,
    pub database: TestDatabase,
    tokens: tokio::sync::Mutex<HashMap<String, String>>,
}

/// The server with the demo accounts loaded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The server with extra settings (as environment variables) and the demo accounts.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let app = spawn_bare_app(extra).await;
    sumai_link::demo::load(&app.db, &secrecy::SecretString::from(DEMO_PASSWORD))
        .await
        .expect("demo data");
    // The demo rentals reach the search index with its next poll.
    for _ in 0..200 {
        if app.index.len() >= sumai_link::demo::DEMO_RENTALS {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        app.index.len() >= sumai_link::demo::DEMO_RENTALS,
        "demo rentals not indexed"
    );
    app
}

/// The real `sumai-link` binary on `database_url`, with nothing inherited from this
/// process's environment that could change its settings.
pub fn sumai_command(database_url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sumai-link"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SUMAI_") || k == "DATABASE_URL" || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd.env("DATABASE_URL", database_url)
        .env("SUMAI_JWT_SECRET", JWT_SECRET);
    cmd
}

/// The server on an empty database.
pub async fn spawn_bare_app(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDatabase::new(), extra).await
}

/// The server on a database of the test's own (a restored backup, say).
pub async fn spawn_app_on(database: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database.url.clone()),
        ("SUMAI_BIND".into(), "127.0.0.1:0".into()),
        ("SUMAI_JWT_SECRET".into(), JWT_SECRET.into()),
        ("SUMAI_DB_POOL_SIZE".into(), "8".into()),
        ("SUMAI_SHUTDOWN_TIMEOUT_SECS".into(), "5".into()),
        // Tests never reach the real GSI service; geocoder tests point this at their own.
        ("SUMAI_GEOCODER_URL".into(), "off".into()),
        ("SUMAI_INDEX_POLL_MS".into(), "100".into()),
        // Tests log in and match far faster than people; the rate-limit tests set their own.
        ("SUMAI_RATE_LIMIT_LOGIN".into(), "off".into()),
        ("SUMAI_RATE_LIMIT_MATCH".into(), "off".into()),
        ("SUMAI_RATE_LIMIT_REPORT".into(), "off".into()),
        ("SUMAI_RATE_LIMIT_PDF".into(), "off".into()),
        ("SUMAI_RATE_LIMIT_IMPORT".into(), "off".into()),
    ]);
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = Settings::load_from(|k| env.get(k).cloned()).expect("settings");
    let app = Application::build(settings).await.expect("application");
    let port = app.port();
    let db = app.db().clone();
    let index = app.rentals();
    for _ in 0..200 {
        if index.is_ready() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(index.is_ready(), "the search index did not load");
    let server = app.into_server();
    let handle = server.handle();
    tokio::spawn(server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        handle,
        index,
        database,
        tokens: tokio::sync::Mutex::new(HashMap::new()),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_token(&self, body: Value) -> Response {
        self.client
            .post(self.url("/api/v1/auth/token"))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn login_response(&self, email: &str, password: &str) -> Response {
        self.post_token(json!({"grant_type": "password", "email": email, "password": password}))
            .await
    }

    /// Full token response of a demo account (logs in anew).
    pub async fn login_tokens(&self, account: &str) -> Value {
        let res = self.login_response(&email(account), DEMO_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {account}");
        res.json().await.expect("json")
    }

    /// An access token of a demo account, cached per test.
    pub async fn token(&self, account: &str) -> String {
        let mut tokens = self.tokens.lock().await;
        if let Some(t) = tokens.get(account) {
            return t.clone();
        }
        let t = self.login_tokens(account).await["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        tokens.insert(account.to_owned(), t.clone());
        t
    }

    /// A request as a demo account (`None`: anonymous).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        account: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(a) = account {
            req = req.bearer_auth(self.token(a).await);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, account: &str) -> Response {
        self.request(Method::GET, path, Some(account), None).await
    }

    pub async fn post(&self, path: &str, account: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(account), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, account: &str) -> Response {
        self.request(Method::DELETE, path, Some(account), None)
            .await
    }

    pub async fn patch(
        &self,
        path: &str,
        account: &str,
        etag: Option<&str>,
        body: Value,
    ) -> Response {
        let mut req = self
            .client
            .patch(self.url(path))
            .bearer_auth(self.token(account).await)
            .json(&body);
        if let Some(e) = etag {
            req = req.header("If-Match", e);
        }
        req.send().await.expect("request")
    }

    pub async fn me(&self, account: &str) -> Value {
        let res = self.get("/api/v1/me", account).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("json")
    }

    /// The organisation id of a demo account.
    pub async fn org_of(&self, account: &str) -> String {
        self.me(account).await["organization_id"]
            .as_str()
            .expect("org")
            .to_owned()
    }

    /// The user id of a demo account.
    pub async fn user_id_of(&self, account: &str) -> String {
        self.me(account).await["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Creates an API key as `account` and returns (id, key).
    pub async fn create_api_key(&self, account: &str, role: &str) -> (String, String) {
        let res = self
            .post(
                "/api/v1/api-keys",
                account,
                json!({"name": "連携テスト", "role": role}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        (
            body["id"].as_str().expect("id").to_owned(),
            body["api_key"].as_str().expect("key").to_owned(),
        )
    }

    /// Counts rows of a table straight from the database (to prove nothing was stored).
    pub async fn count(&self, table: &'static str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.db
            .run(move |conn| {
                let rows: Vec<N> =
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).load(conn)?;
                Ok(rows.first().map_or(0, |r| r.n))
            })
            .await
            .expect("count")
    }
}

/// Asserts an RFC 9457 problem response and returns its body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = res.json().await.expect("problem json");
    for key in ["type", "title", "status", "detail", "errors"] {
        assert!(body.get(key).is_some(), "problem lacks {key}: {body}");
    }
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)));
    body
}

/// The field names of a problem's `errors`.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a poppler tool (Debian's poppler-utils, installed by `.ci/run`) and returns its
/// output.
pub fn poppler(tool: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by .ci/run) is needed: {e}"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Text without whitespace: typst spaces Latin and Japanese apart, and pdftotext turns
/// that spacing (and table cells) into blanks.
pub fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
