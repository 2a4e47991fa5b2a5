//! Council report benchmark over HTTP: `cargo bench --bench council_report`.
//!
//! Starts the real server in-process on a fresh database (SQLite; and PostgreSQL when
//! `BENCH_PG_URL` is set, e.g. `postgres://postgres@127.0.0.1:5432/test`; `BENCH_SQLITE=off`
//! skips SQLite), loads the demo, then seeds support offices in council@'s city until
//! the area holds `BENCH_OFFICES` (default 200), each with 12 months of meetings,
//! clients, consents, written reports and refusals (`demo::area`, the same mix as the
//! PDF sample). Then, as council@, it asks `BENCH_RUNS` times (default 20) for the report
//! over the last 12 complete months in each format and prints p50/p95/max and the size.
//! Before each run one meeting is added, so every PDF is of new data (typst memoises
//! layouts: the same report again would cost a fraction and flatter the figures).
//!
//! Target (DESIGN.md): a council's one-year report ≤ 1 s.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Duration as Days;
use diesel::prelude::*;
use sumai_link::config::Settings;
use sumai_link::db::meetings::MeetingRow;
use sumai_link::db::schema::{organizations, rentals};
use sumai_link::db::{self, Db, meetings};
use sumai_link::demo::{self, DEMO_AREA_OFFICES, area};
use sumai_link::domain::month::Month;
use sumai_link::domain::time::today_tokyo;
use sumai_link::startup::Application;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PASSWORD: &str = "demo-pass-2026";
/// office@, office2@ and the demo's further offices.
const DEMO_OFFICES: usize = 2 + DEMO_AREA_OFFICES;

fn env_usize(name: &str, default: usize) -> Result<usize> {
    Ok(match std::env::var(name) {
        Ok(v) => v.parse()?,
        Err(_) => default,
    })
}

fn main() -> Result<()> {
    let offices = env_usize("BENCH_OFFICES", 200)?.max(DEMO_OFFICES);
    let runs = env_usize("BENCH_RUNS", 20)?.max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut results = Vec::new();
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("off") {
        let dir =
            std::env::temp_dir().join(format!("sumai-bench-council-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)?;
        let url = format!("sqlite://{}/bench.db", dir.display());
        let r = rt.block_on(bench("SQLite", &url, offices, runs));
        let _ = std::fs::remove_dir_all(&dir);
        results.push(("SQLite", r?));
    }
    if let Ok(base) = std::env::var("BENCH_PG_URL") {
        let name = format!("sumai_bench_{}", uuid::Uuid::now_v7().simple());
        let mut admin = diesel::PgConnection::establish(&base)?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin)?;
        let r = rt.block_on(bench(
            "PostgreSQL",
            &with_db_name(&base, &name),
            offices,
            runs,
        ));
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)?;
        results.push(("PostgreSQL", r?));
    }
    println!();
    println!(
        "council report, {offices} offices × 12 months, {runs} runs each (new data every run)"
    );
    println!("| database   | format | first ms | p50 ms | p95 ms | max ms |    size |");
    println!("|------------|--------|----------|--------|--------|--------|---------|");
    for (database, rows) in &results {
        for r in rows {
            println!(
                "| {database:<10} | {:<6} | {:>8.1} | {:>6.1} | {:>6.1} | {:>6.1} | {:>7} |",
                r.format,
                r.first,
                r.p50,
                r.p95,
                r.max,
                size(r.bytes)
            );
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average at the end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("target: ≤ 1000 ms per report (DESIGN.md)");
    Ok(())
}

struct Row {
    format: &'static str,
    first: f64,
    p50: f64,
    p95: f64,
    max: f64,
    bytes: usize,
}

fn size(bytes: usize) -> String {
    if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

async fn bench(database: &str, url: &str, offices: usize, runs: usize) -> Result<Vec<Row>> {
    println!("== {database}");
    let env: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", url.to_owned()),
        ("SUMAI_BIND", "127.0.0.1:0".to_owned()),
        (
            "SUMAI_JWT_SECRET",
            "bench-secret-bench-secret-bench-secret-0".to_owned(),
        ),
        ("SUMAI_GEOCODER_URL", "off".to_owned()),
    ]);
    let settings = Settings::load_from(|k| env.get(k).cloned())?;
    let app = Application::build(settings).await?;
    let port = app.port();
    let db = app.db().clone();
    demo::load(&db, &secrecy::SecretString::from(PASSWORD)).await?;
    let server = app.into_server();
    let handle = server.handle();
    tokio::spawn(server);

    let started = Instant::now();
    let (council, corp) = seed(&db, offices).await?;
    println!(
        "seeded {} offices in {:.1} s",
        offices - DEMO_OFFICES,
        started.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"grant_type": "password", "email": "council@demo.example", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned();
    let this_month = Month::of(today_tokyo());
    let to = this_month.prev().ok_or("no month")?;
    let from = (0..11).try_fold(to, |m, _| m.prev()).ok_or("no month")?;
    let path = |format: &str| {
        format!(
            "{base}/api/v1/councils/{council}/reports/meetings?from={from}&to={to}&format={format}"
        )
    };
    let get = |format: &'static str| {
        let (client, url, token) = (client.clone(), path(format), token.clone());
        async move {
            let t = Instant::now();
            let res = client.get(url).bearer_auth(token).send().await?;
            let status = res.status();
            let body = res.bytes().await?;
            if !status.is_success() {
                return Err(
                    format!("{format}: {status} {}", String::from_utf8_lossy(&body)).into(),
                );
            }
            Result::Ok((t.elapsed(), body.len()))
        }
    };
    let formats = ["json", "csv", "pdf"];
    let mut first = Vec::new();
    for f in formats {
        first.push(get(f).await?);
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); formats.len()];
    let mut sizes = vec![0; formats.len()];
    for run in 0..runs {
        add_meeting(&db, &council_office(&db, run).await?, &corp, from).await?;
        for (i, f) in formats.iter().enumerate() {
            let (t, bytes) = get(f).await?;
            times[i].push(ms(t));
            sizes[i] = sizes[i].max(bytes);
        }
    }
    handle.stop(true).await;
    Ok(formats
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut t = times[i].clone();
            t.sort_by(f64::total_cmp);
            Row {
                format: f,
                first: ms(first[i].0),
                p50: percentile(&t, 0.5),
                p95: percentile(&t, 0.95),
                max: t[t.len() - 1],
                bytes: sizes[i],
            }
        })
        .collect())
}

/// Seeds offices until the council's city has `offices`; returns (council id, the
/// offices' 居住支援法人).
async fn seed(db: &Db, offices: usize) -> Result<(String, String)> {
    let ids = db
        .transaction(move |conn| {
            let mut org = |name: &str| -> QueryResult<String> {
                organizations::table
                    .filter(organizations::name.eq(name))
                    .select(organizations::id)
                    .first(conn)
            };
            let council = org("札幌市自立支援協議会")?;
            let corp = org(demo::DEMO_AREA_CORP)?;
            let landlord = org("山田ハイツ(家主 山田 一郎)")?;
            let user = "bench".to_owned();
            let rentals: Vec<String> = rentals::table
                .filter(rentals::owner_org_id.eq(&landlord))
                .select(rentals::id)
                .limit(100)
                .load(conn)?;
            area::seed(
                conn,
                &area::AreaParties {
                    corp: &corp,
                    council: &council,
                    landlord: &landlord,
                    rentals: &rentals,
                    user: &user,
                    prefecture: demo::DEMO_PREFECTURE,
                    municipality: demo::DEMO_MUNICIPALITY,
                },
                DEMO_AREA_OFFICES..(DEMO_AREA_OFFICES + offices - DEMO_OFFICES),
                db::now(),
            )?;
            Ok((council, corp))
        })
        .await?;
    Ok(ids)
}

/// The `n`th seeded office (they vary so that each run changes another row).
async fn council_office(db: &Db, n: usize) -> Result<String> {
    let name = sumai_link::pdf::sample::office_name(DEMO_AREA_OFFICES + n);
    Ok(db
        .run(move |conn| {
            Ok(organizations::table
                .filter(organizations::name.eq(name))
                .select(organizations::id)
                .first::<String>(conn)?)
        })
        .await?)
}

/// One more meeting in the period's first month: new figures for the next report.
async fn add_meeting(db: &Db, office: &str, corp: &str, month: Month) -> Result<()> {
    let (office, corp) = (office.to_owned(), corp.to_owned());
    db.transaction(move |conn| {
        let held_on = month.first_day() + Days::days(20);
        let held_at = held_on.and_hms_opt(5, 0, 0).unwrap_or_default();
        let row = MeetingRow {
            id: db::new_id(),
            office_org_id: office,
            held_at,
            held_on,
            format: "online".into(),
            attendees: "[]".into(),
            agenda: None,
            issue_categories: r#"["rent_level"]"#.into(),
            issues_note: Some("追加の情報連携".into()),
            minutes_version: 0,
            version: 1,
            created_at: held_at,
            created_by_user_id: None,
            updated_at: held_at,
        };
        meetings::insert(conn, &row)?;
        meetings::set_partners(conn, &row.id, &[corp])?;
        Ok(())
    })
    .await?;
    Ok(())
}

fn with_db_name(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].rfind('/') {
        Some(i) => format!("{}/{name}", &url[..scheme_end + i]),
        None => format!("{url}/{name}"),
    }
}
