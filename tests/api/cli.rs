//! The real binary, as an operator runs it: `admin create`, `serve` (with `--demo`, with
//! a bootstrap admin, stopped by SIGTERM), `migrate`, `openapi`, and bad settings. Each
//! test has its own SQLite file; the server process is killed if a test fails midway.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{DEMO_PASSWORD, JWT_SECRET};

const BIN: &str = env!("CARGO_BIN_EXE_sumai-link");

/// A temp directory with the database file, removed at the end.
struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("sumai-cli-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}/x.db", self.dir.display())
    }

    /// The binary with this workspace's database and nothing inherited that could change
    /// its settings.
    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(&self.dir);
        for (k, _) in std::env::vars() {
            if k.starts_with("SUMAI_") || k == "DATABASE_URL" || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        cmd.env("DATABASE_URL", self.database_url())
            .env("SUMAI_JWT_SECRET", JWT_SECRET);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a command to its end (at most a minute: a command that should fail must
    /// not hang the suite by serving instead).
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut child = self
            .command(args, env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sumai-link");
        let read = |mut r: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let _ = r.read_to_end(&mut buf);
                buf
            })
        };
        let out = read(Box::new(child.stdout.take().unwrap()));
        let err = read(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("sumai-link {args:?} did not finish within 60 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        }
    }

    /// Starts `serve` with JSON logs and waits for it to say which port it listens on.
    fn serve(&self, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut all = vec!["serve", "--bind", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut env = env.to_vec();
        env.push(("SUMAI_LOG_FORMAT", "json"));
        let mut child = self
            .command(&all, &env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sumai-link serve");
        let (tx, lines) = mpsc::channel::<String>();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(line);
            }
        });
        let mut server = Server {
            child,
            port: 0,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.port == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(port) = listening_port(&line) {
                        server.port = port;
                    }
                    server.seen.push(line);
                }
                Err(_) => panic!(
                    "serve did not report its port within 60 s; it said:\n{}",
                    server.seen.join("\n")
                ),
            }
        }
        // Keep draining so that the process never blocks on a full pipe.
        std::thread::spawn(move || while lines.recv().is_ok() {});
        server
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The port of the JSON log line `sumai-link listening`.
fn listening_port(line: &str) -> Option<u16> {
    let v: Value = serde_json::from_str(line).ok()?;
    let fields = &v["fields"];
    if fields["message"] != "sumai-link listening" {
        return None;
    }
    fields["port"].as_u64().and_then(|p| u16::try_from(p).ok())
}

/// A running `serve`; killed when dropped unless it was stopped.
struct Server {
    child: Child,
    port: u16,
    seen: Vec<String>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"grant_type": "password", "email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns `/me`.
    async fn me(&self, email: &str, password: &str) -> Value {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        let token: Value = res.json().await.unwrap();
        let res = reqwest::Client::new()
            .get(self.url("/api/v1/me"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "/me of {email}");
        res.json().await.unwrap()
    }

    /// Sends SIGTERM and returns the exit status, waiting at most `limit`.
    async fn terminate(&mut self, limit: Duration) -> std::process::ExitStatus {
        let killed = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(killed.success(), "kill -TERM failed");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit within {limit:?} of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn admin_create_prints_a_password_once_that_signs_in_to_a_server_stopped_by_sigterm() {
    let ws = Workspace::new();
    let out = ws.run(&["admin", "create", "--email", "root@example.jp"], &[]);
    assert!(
        out.status.success(),
        "admin create failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("password (shown once):"))
        .collect();
    assert_eq!(lines.len(), 1, "one password line in: {text}");
    let password = lines[0]
        .split("password (shown once):")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    assert!(password.len() >= 10, "a strong password: {password:?}");
    let everything = format!("{text}{}", stderr(&out));
    assert_eq!(
        everything.matches(password.as_str()).count(),
        1,
        "the password is printed exactly once"
    );

    let mut server = ws.serve(&[], &[]);
    let me = server.me("root@example.jp", &password).await;
    assert_eq!(me["organization_kind"], "operator");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["email"], "root@example.jp");
    let wrong = server.login("root@example.jp", "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let status = server.terminate(Duration::from_secs(10)).await;
    assert_eq!(
        status.code(),
        Some(0),
        "serve exits cleanly on SIGTERM: {status}"
    );
}

#[tokio::test]
async fn serve_demo_signs_in_every_demo_account_with_the_default_password() {
    let ws = Workspace::new();
    let server = ws.serve(&["--demo"], &[]);
    for (account, kind) in [
        ("operator", "operator"),
        ("office", "support_office"),
        ("office2", "support_office"),
        ("corp", "housing_support_corp"),
        ("hsc", "housing_support_council"),
        ("council", "council"),
        ("landlord", "landlord"),
        ("landlord2", "landlord"),
        ("agent", "real_estate_agent"),
    ] {
        let email = format!("{account}@demo.example");
        let me = server.me(&email, DEMO_PASSWORD).await;
        assert_eq!(me["organization_kind"], kind, "{email}");
        assert_eq!(me["email"], email.as_str());
    }
    // office and office2 are two different offices.
    let a = server.me("office@demo.example", DEMO_PASSWORD).await;
    let b = server.me("office2@demo.example", DEMO_PASSWORD).await;
    assert_ne!(a["organization_id"], b["organization_id"]);
}

#[tokio::test]
async fn the_bootstrap_admin_is_created_on_the_first_serve_only() {
    let ws = Workspace::new();
    let first = [
        ("SUMAI_BOOTSTRAP_ADMIN_EMAIL", "boot@example.jp"),
        ("SUMAI_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap-pass-2026"),
    ];
    let mut server = ws.serve(&[], &first);
    let me = server.me("boot@example.jp", "bootstrap-pass-2026").await;
    assert_eq!(me["organization_kind"], "operator");
    assert_eq!(me["role"], "admin");
    let status = server.terminate(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0));

    let second = [
        ("SUMAI_BOOTSTRAP_ADMIN_EMAIL", "other@example.jp"),
        ("SUMAI_BOOTSTRAP_ADMIN_PASSWORD", "another-pass-2026"),
    ];
    let server = ws.serve(&[], &second);
    let res = server.login("other@example.jp", "another-pass-2026").await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "no second admin was made"
    );
    // The first one still signs in, and is the only account there is.
    let res = server.login("boot@example.jp", "bootstrap-pass-2026").await;
    assert_eq!(res.status(), StatusCode::OK);
    let token: Value = res.json().await.unwrap();
    let users: Value = reqwest::Client::new()
        .get(server.url("/api/v1/users"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert_eq!(emails, ["boot@example.jp"]);
}

#[test]
fn migrate_exits_zero_and_openapi_prints_the_document() {
    let ws = Workspace::new();
    let out = ws.run(&["migrate"], &[]);
    assert!(
        out.status.success(),
        "migrate failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    // Again: nothing to do, still fine.
    let out = ws.run(&["migrate"], &[]);
    assert!(out.status.success(), "second migrate: {}", stderr(&out));

    let out = ws.run(&["openapi"], &[]);
    assert!(out.status.success(), "openapi failed: {}", stderr(&out));
    let yaml = stdout(&out);
    assert!(
        yaml.starts_with("openapi: 3.1"),
        "not an OpenAPI 3.1 document: {}",
        &yaml[..yaml.len().min(200)]
    );
    assert!(yaml.contains("/api/v1/auth/token"));
}

#[test]
fn invalid_settings_stop_the_binary_with_a_message_naming_the_variable() {
    let ws = Workspace::new();
    let out = ws.run(
        &["serve", "--bind", "127.0.0.1:0"],
        &[("SUMAI_LOG_FORMAT", "xml")],
    );
    assert!(
        !out.status.success(),
        "serve started with SUMAI_LOG_FORMAT=xml"
    );
    let msg = format!("{}{}", stderr(&out), stdout(&out));
    assert!(
        msg.contains("SUMAI_LOG_FORMAT"),
        "the message does not name the variable: {msg}"
    );
}

#[tokio::test]
async fn audit_verify_passes_an_intact_log_and_fails_on_a_changed_record() {
    let ws = Workspace::new();
    let mut server = ws.serve(&["--demo"], &[]);
    assert_eq!(
        server
            .login("office@demo.example", "wrong-password")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    server.me("office@demo.example", DEMO_PASSWORD).await;
    assert!(server.terminate(Duration::from_secs(30)).await.success());

    let ok = ws.run(&["audit", "verify"], &[]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).starts_with("audit log intact: "),
        "{}",
        stdout(&ok)
    );

    // Someone with the file changes a failed login into a good one.
    let path = ws.dir.join("x.db");
    let mut conn =
        <diesel::SqliteConnection as diesel::Connection>::establish(path.to_str().unwrap())
            .unwrap();
    use diesel::RunQueryDsl;
    diesel::sql_query("DROP TRIGGER audit_log_append_only_update")
        .execute(&mut conn)
        .unwrap();
    let changed = diesel::sql_query(
        "UPDATE audit_log SET action = 'login', outcome = 'ok' WHERE action = 'login_failed'",
    )
    .execute(&mut conn)
    .unwrap();
    assert_eq!(changed, 1);
    drop(conn);

    let broken = ws.run(&["audit", "verify"], &[]);
    assert_eq!(broken.status.code(), Some(1), "{}", stdout(&broken));
    assert!(
        stderr(&broken).contains("contents do not match its hash (changed)"),
        "{}",
        stderr(&broken)
    );
}
