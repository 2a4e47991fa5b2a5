//! CSV import benchmark: `cargo bench --bench import`.
//!
//! Generates `BENCH_ROWS` rentals (default 1,000,000) with `datagen::Generator` — the
//! mix of `shared/data/README.md` — into a CSV file (Japanese header, UTF-8), starts
//! the real server in this process on a fresh SQLite file (and, when `BENCH_PG_URL` is
//! set, e.g. `postgres://postgres@127.0.0.1:5432/test`, on a fresh PostgreSQL
//! database), loads the demo data, logs in as landlord@ and streams the file to
//! `POST /api/v1/rentals/import`. Prints rows, seconds, rows/s and the process's peak
//! RSS (VmHWM, reset before each run) for each database. Target (DESIGN.md): 1,000,000
//! rows in ≤ 60 s with ≤ 300 MB RSS.

use std::collections::HashMap;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use diesel::{Connection, RunQueryDsl};
use sumai_link::config::{LogFormat, Settings};
use sumai_link::datagen::Generator;
use sumai_link::domain::rental::csv::{header_row, record_of};
use sumai_link::startup::Application;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PASSWORD: &str = "demo-pass-2026";

fn main() -> Result<()> {
    if std::env::var_os("RUST_LOG").is_none() {
        // The server logs the phases of the import (received, checked, stored, indexed).
        // SAFETY: set before any other thread exists.
        unsafe { std::env::set_var("RUST_LOG", "warn,sumai_link::routes::rentals=info") };
    }
    sumai_link::telemetry::init(LogFormat::Text);
    let rows: u64 = match std::env::var("BENCH_ROWS") {
        Ok(v) => v.parse()?,
        Err(_) => 1_000_000,
    };
    let dir = std::env::temp_dir().join(format!("sumai-bench-import-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(rows, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

struct Figures {
    database: &'static str,
    rows: u64,
    seconds: f64,
    peak_rss_mb: f64,
    rss_after_mb: f64,
    stored: i64,
}

async fn run(rows: u64, dir: &Path) -> Result<()> {
    let started = Instant::now();
    let file = dir.join("rentals.csv");
    let bytes = write_csv(&file, rows)?;
    println!(
        "generated {rows} rows, {:.1} MB, in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mut figures = Vec::new();
    let sqlite = format!("sqlite://{}/bench.db", dir.display());
    figures.push(import_into("SQLite", &sqlite, &file, rows, bytes).await?);
    if let Ok(base) = std::env::var("BENCH_PG_URL") {
        let name = format!("sumai_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&base)?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin)?;
        let outcome = import_into(
            "PostgreSQL",
            &with_db_name(&base, &name),
            &file,
            rows,
            bytes,
        )
        .await;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)?;
        figures.push(outcome?);
    }
    println!();
    println!(
        "| database   |      rows | stored    | seconds |  rows/s | peak RSS MB | RSS after MB |"
    );
    println!(
        "|------------|-----------|-----------|---------|---------|-------------|--------------|"
    );
    for f in &figures {
        println!(
            "| {:<10} | {:>9} | {:>9} | {:>7.1} | {:>7.0} | {:>11.0} | {:>12.0} |",
            f.database,
            f.rows,
            f.stored,
            f.seconds,
            f.rows as f64 / f.seconds,
            f.peak_rss_mb,
            f.rss_after_mb
        );
    }
    println!("target: 1,000,000 rows ≤ 60 s, ≤ 300 MB RSS");
    Ok(())
}

/// The rentals as a CSV file with Japanese headers; returns its size.
fn write_csv(path: &Path, rows: u64) -> Result<u64> {
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path)?,
    ));
    w.write_record(header_row(true))?;
    let mut g = Generator::new(20_261_123);
    for i in 0..rows {
        let mut input = g.next_input();
        // Numbers of their own, so that none clashes with the demo rentals.
        input.registration_number = format!("{}-9{i:08}", input.prefecture_code);
        w.write_record(record_of(&input))?;
    }
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn with_db_name(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].rfind('/') {
        Some(i) => format!("{}/{name}", &url[..scheme_end + i]),
        None => format!("{url}/{name}"),
    }
}

/// (VmHWM, VmRSS) of this process in MB.
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

async fn import_into(
    database: &'static str,
    url: &str,
    file: &Path,
    rows: u64,
    bytes: u64,
) -> Result<Figures> {
    let env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", url.to_owned()),
        ("SUMAI_BIND", "127.0.0.1:0".to_owned()),
        (
            "SUMAI_JWT_SECRET",
            "bench-secret-bench-secret-bench-secret-0".to_owned(),
        ),
        ("SUMAI_GEOCODER_URL", "off".to_owned()),
        (
            "SUMAI_IMPORT_MAX_BYTES",
            (bytes + (1 << 20)).max(512 << 20).to_string(),
        ),
    ]);
    let settings = Settings::load_from(|k| env.get(k).cloned())?;
    let app = Application::build(settings).await?;
    let port = app.port();
    let db = app.db().clone();
    let index = app.rentals();
    sumai_link::demo::load(&db, &secrecy::SecretString::from(PASSWORD)).await?;
    let server = app.into_server();
    let handle = server.handle();
    tokio::spawn(server);

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({
            "grant_type": "password",
            "email": "landlord@demo.example",
            "password": PASSWORD,
        }))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned();
    // Wait for the index to hold the demo rentals, so that the import's own refresh is
    // what is measured.
    while index.len() < sumai_link::demo::DEMO_RENTALS {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Peak RSS from here on (Linux: writing 5 to clear_refs resets VmHWM).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/rentals/import"))
        .bearer_auth(&token)
        .header("Content-Type", "text/csv")
        .header("Content-Length", bytes)
        .body(reqwest::Body::wrap_stream(file_stream(file.to_path_buf())))
        .send()
        .await?;
    let status = res.status();
    let body: serde_json::Value = res.json().await?;
    let seconds = started.elapsed().as_secs_f64();
    let (peak_rss_mb, rss_after_mb) = rss_mb();
    if status != reqwest::StatusCode::CREATED || body["imported"].as_u64() != Some(rows) {
        return Err(format!("{database}: import answered {status}: {body}").into());
    }
    let stored = db
        .run(|conn| {
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let n: Vec<N> = diesel::sql_query("SELECT COUNT(*) AS n FROM rentals").load(conn)?;
            Ok(n.first().map_or(0, |r| r.n))
        })
        .await?;
    println!(
        "{database}: {rows} rows in {seconds:.1} s; index holds {}; peak RSS {peak_rss_mb:.0} MB",
        index.len()
    );
    handle.stop(true).await;
    Ok(Figures {
        database,
        rows,
        seconds,
        peak_rss_mb,
        rss_after_mb,
        stored,
    })
}

/// The file as a stream of 256 KiB chunks (read synchronously: it is in the page
/// cache, and this is the client side).
fn file_stream(
    path: PathBuf,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
    let file = std::fs::File::open(path);
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = match state? {
            Ok(f) => f,
            Err(e) => return Some((Err(e), None)),
        };
        let mut buf = vec![0; 256 * 1024];
        match file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(Ok(file))))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
