//! CSV import benchmark: `cargo bench --bench import`.
//!
//! Generates `BENCH_ROWS` rentals (default 1,000,000) with `datagen::Generator` — the
//! mix of `shared/data/README.md` — into a CSV file (Japanese header, UTF-8), then, for
//! each database, runs itself again as a child process that starts the real server
//! in-process on a fresh database (SQLite; and PostgreSQL when `BENCH_PG_URL` is set,
//! e.g. `postgres://postgres@127.0.0.1:5432/test`), loads the demo data, logs in as
//! landlord@ and streams the file to `POST /api/v1/rentals/import`. Prints rows,
//! seconds, rows/s and the child's RSS: before the upload, its peak (VmHWM, reset just
//! before the upload) and after the answer. `BENCH_SQLITE=off` skips SQLite;
//! `BENCH_TRACE_RSS=1` prints the RSS every second (every `BENCH_TRACE_MS`). The server logs the phases of the
//! import (received, checked, stored, indexed).
//!
//! Target (DESIGN.md): 1,000,000 rows in ≤ 60 s with ≤ 300 MB RSS.

use std::collections::HashMap;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};
use sumai_link::config::{LogFormat, Settings};
use sumai_link::datagen::Generator;
use sumai_link::domain::rental::csv::{header_row, record_of};
use sumai_link::startup::Application;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PASSWORD: &str = "demo-pass-2026";

fn main() -> Result<()> {
    let rows: u64 = match std::env::var("BENCH_ROWS") {
        Ok(v) => v.parse()?,
        Err(_) => 1_000_000,
    };
    if let (Ok(url), Ok(file)) = (
        std::env::var("BENCH_CHILD_URL"),
        std::env::var("BENCH_CHILD_FILE"),
    ) {
        return child_run(&url, Path::new(&file), rows);
    }
    let dir = std::env::temp_dir().join(format!("sumai-bench-import-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let result = run(rows, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// What a child reports, on one line of its standard output.
struct Figures {
    rows: u64,
    stored: i64,
    /// Until the answer (the rows are stored).
    seconds: f64,
    /// Until this replica's search index holds them too.
    searchable_seconds: f64,
    rss_before_mb: f64,
    peak_rss_mb: f64,
    rss_after_mb: f64,
}

impl Figures {
    const TAG: &str = "FIGURES";

    fn to_line(&self) -> String {
        format!(
            "{} {} {} {} {} {} {} {}",
            Self::TAG,
            self.rows,
            self.stored,
            self.seconds,
            self.searchable_seconds,
            self.rss_before_mb,
            self.peak_rss_mb,
            self.rss_after_mb
        )
    }

    fn from_line(line: &str) -> Option<Self> {
        let mut f = line.strip_prefix(Self::TAG)?.split_whitespace();
        Some(Self {
            rows: f.next()?.parse().ok()?,
            stored: f.next()?.parse().ok()?,
            seconds: f.next()?.parse().ok()?,
            searchable_seconds: f.next()?.parse().ok()?,
            rss_before_mb: f.next()?.parse().ok()?,
            peak_rss_mb: f.next()?.parse().ok()?,
            rss_after_mb: f.next()?.parse().ok()?,
        })
    }
}

fn run(rows: u64, dir: &Path) -> Result<()> {
    let started = Instant::now();
    let file = dir.join("rentals.csv");
    let bytes = write_csv(&file, rows)?;
    println!(
        "generated {rows} rows, {:.1} MB, in {:.1} s",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let mut figures = Vec::new();
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("off") {
        let url = format!("sqlite://{}/bench.db", dir.display());
        figures.push(("SQLite", child("SQLite", &url, &file, rows)?));
    }
    if let Ok(base) = std::env::var("BENCH_PG_URL") {
        let name = format!("sumai_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&base)?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin)?;
        let outcome = child("PostgreSQL", &with_db_name(&base, &name), &file, rows);
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)?;
        figures.push(("PostgreSQL", outcome?));
    }
    println!();
    println!(
        "| database   |      rows |    stored | answered s |  rows/s | searchable s | RSS before MB | peak RSS MB | RSS after MB |"
    );
    println!(
        "|------------|-----------|-----------|------------|---------|--------------|---------------|-------------|--------------|"
    );
    for (database, f) in &figures {
        println!(
            "| {database:<10} | {:>9} | {:>9} | {:>10.1} | {:>7.0} | {:>12.1} | {:>13.0} | {:>11.0} | {:>12.0} |",
            f.rows,
            f.stored,
            f.seconds,
            f.rows as f64 / f.seconds,
            f.searchable_seconds,
            f.rss_before_mb,
            f.peak_rss_mb,
            f.rss_after_mb
        );
    }
    println!("target: 1,000,000 rows ≤ 60 s, ≤ 300 MB RSS ({bytes} bytes of CSV)");
    Ok(())
}

/// Runs this benchmark again to import `file` into `url`: each database gets a fresh
/// process, so that the peak RSS is that of one server and one import.
fn child(database: &str, url: &str, file: &Path, rows: u64) -> Result<Figures> {
    println!("== {database}");
    let out = std::process::Command::new(std::env::current_exe()?)
        .env("BENCH_CHILD_URL", url)
        .env("BENCH_CHILD_FILE", file)
        .env("BENCH_ROWS", rows.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines().filter(|l| !l.starts_with(Figures::TAG)) {
        println!("{line}");
    }
    if !out.status.success() {
        return Err(format!("{database}: the run failed ({})", out.status).into());
    }
    stdout
        .lines()
        .find_map(Figures::from_line)
        .ok_or_else(|| format!("{database}: the run printed no figures").into())
}

fn child_run(url: &str, file: &Path, rows: u64) -> Result<()> {
    if std::env::var_os("RUST_LOG").is_none() {
        // The server logs the phases of the import (received, checked, stored, indexed).
        // SAFETY: set before any other thread exists.
        unsafe { std::env::set_var("RUST_LOG", "warn,sumai_link::routes::rentals=info") };
    }
    sumai_link::telemetry::init(LogFormat::Text);
    let bytes = std::fs::metadata(file)?.len();
    let figures = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(import_into(url, file, rows, bytes))?;
    println!("{}", figures.to_line());
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

/// Prints the RSS every `BENCH_TRACE_MS` (default 1000) until `on` is cleared.
fn trace_rss(on: Arc<AtomicBool>, started: Instant) {
    let every = std::env::var("BENCH_TRACE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000u64);
    std::thread::spawn(move || {
        while on.load(Ordering::Relaxed) {
            let (peak, now) = rss_mb();
            eprintln!(
                "rss t={:.1}s now={now:.0} MB peak={peak:.0} MB",
                started.elapsed().as_secs_f64()
            );
            std::thread::sleep(Duration::from_millis(every));
        }
    });
}

async fn import_into(url: &str, file: &Path, rows: u64, bytes: u64) -> Result<Figures> {
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
    let trace = std::env::var_os("BENCH_TRACE_RSS").is_some();
    let stage = |name: &str| {
        if trace {
            eprintln!("rss {name}: {:.0} MB", rss_mb().1);
        }
    };
    stage("start");
    let app = Application::build(settings).await?;
    stage("server built");
    let port = app.port();
    let db = app.db().clone();
    let index = app.rentals();
    sumai_link::demo::load(&db, &secrecy::SecretString::from(PASSWORD)).await?;
    stage("demo loaded");
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
    // Wait until the index holds the demo rentals, so that the import's own refresh is
    // what is measured.
    while index.len() < sumai_link::demo::DEMO_RENTALS {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    stage("logged in, index ready");
    // Peak RSS from here on (Linux: writing 5 to clear_refs resets VmHWM).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before_mb = rss_mb().1;
    let started = Instant::now();
    let tracing = Arc::new(AtomicBool::new(true));
    if trace {
        trace_rss(tracing.clone(), started);
    }
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
    if status != reqwest::StatusCode::CREATED || body["imported"].as_u64() != Some(rows) {
        return Err(format!("the import answered {status}: {body}").into());
    }
    // A large import is indexed in the background after the answer.
    let expected = sumai_link::demo::DEMO_RENTALS + rows as usize;
    while index.len() < expected {
        if started.elapsed() > Duration::from_secs(900) {
            return Err(
                format!("the index holds {} of {expected} after 900 s", index.len()).into(),
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let searchable_seconds = started.elapsed().as_secs_f64();
    let (peak_rss_mb, rss_after_mb) = rss_mb();
    tracing.store(false, Ordering::Relaxed);
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
    eprintln!(
        "{rows} rows in {seconds:.1} s, searchable after {searchable_seconds:.1} s; the index holds {}; peak RSS {peak_rss_mb:.0} MB",
        index.len()
    );
    handle.stop(true).await;
    Ok(Figures {
        rows,
        stored,
        seconds,
        searchable_seconds,
        rss_before_mb,
        peak_rss_mb,
        rss_after_mb,
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
