//! Search benchmark (issue 4 point 8): loads BENCH_ROWS (default 1,000,000) generated
//! rentals into a fresh SQLite file and a fresh PostgreSQL database, then times the
//! typical query of `shared/data/README.md` (3 km around a point near a city centre,
//! vacant, rent + 共益費 ≤ 70,000, accepts mental disability, ≥ 20 m², nearest 50) on:
//!
//! a) the service's in-memory index (`RentalIndex`, loaded from the SQLite file);
//! b) SQLite SQL on the covering btree `rentals_vacant_geo_idx`;
//! c) PostgreSQL SQL, the same btree query;
//! d) PostGIS: `ST_DWithin` + `<->` KNN on a geography column with a partial GiST index;
//! e) the whole HTTP search (`GET /api/v1/rentals`) of the real server on the SQLite file.
//!
//! Then, on the same data, the match benchmark (issue 5 point 7, `search/matches.rs`):
//! `GET /api/v1/clients/{id}/matches` of the real server on SQLite and on PostgreSQL
//! beside the PostGIS query doing the same filtering and ordering.
//!
//! Run through `bench/search.sh` (it installs PostGIS). Settings, all optional:
//! BENCH_ROWS, BENCH_QUERIES (200), BENCH_PASSES (10), BENCH_PG_URL (an admin URL,
//! default `postgres://postgres@127.0.0.1:5432/postgres`), BENCH_DIR (where the SQLite
//! file and the match table go, default `target/bench-search`), BENCH_KEEP=1 (keep the
//! SQLite file), BENCH_HTTP=0 (skip the HTTP search), BENCH_MATCH=0 (skip the match
//! benchmark), BENCH_CLIENTS (clients matched, 200).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "search/match_clients.rs"]
mod match_clients;
#[path = "search/matches.rs"]
mod matches;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Double, HasSqlType, Integer, Text, Untyped};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult, QueryableByName, RunQueryDsl};
use sumai_link::accounts;
use sumai_link::auth::password;
use sumai_link::datagen::{self, Generator, Rng};
use sumai_link::db::{self, DatabaseUrl, Db, DbConn, organizations};
use sumai_link::domain::organization::OrgKind;
use sumai_link::domain::rental::query::RentalQuery;
use sumai_link::domain::rental::{Category, Coordinates, Placement};
use sumai_link::domain::user::{Email, Role};
use sumai_link::domain::validate::Fields;
use sumai_link::routes::rentals::view::{RentalView, RowMeta, row_from_valid};
use sumai_link::search::index::haversine_m;
use sumai_link::search::{RentalIndex, Scope};

const SEED: u64 = 20_261_123;
const QUERY_SEED: u64 = 7;
const RADIUS_M: f64 = 3000.0;
const MAX_MONTHLY_TOTAL: i32 = 70_000;
const MIN_AREA_M2: f64 = 20.0;
const LIMIT: usize = 50;
/// Rows generated and inserted at a time; a commit every `COMMIT_EVERY` rows.
const CHUNK: usize = 10_000;
const COMMIT_EVERY: usize = 100_000;
const OFFICE_EMAIL: &str = "office@demo.example";
const OFFICE_PASSWORD: &str = "demo-pass-2026";
const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123";

struct Config {
    rows: usize,
    queries: usize,
    passes: usize,
    pg_admin_url: String,
    dir: PathBuf,
    keep: bool,
    http: bool,
    matches: bool,
    clients: usize,
}

fn env_num(key: &str, default: usize) -> usize {
    match std::env::var(key) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{key} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}

impl Config {
    fn from_env() -> Self {
        let dir = std::env::var("BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-search"));
        Self {
            rows: env_num("BENCH_ROWS", 1_000_000),
            queries: env_num("BENCH_QUERIES", 200).max(1),
            passes: env_num("BENCH_PASSES", 10).max(1),
            pg_admin_url: std::env::var("BENCH_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            dir,
            keep: std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1"),
            http: std::env::var("BENCH_HTTP").map_or(true, |v| v != "0"),
            matches: std::env::var("BENCH_MATCH").map_or(true, |v| v != "0"),
            clients: env_num("BENCH_CLIENTS", 200).max(1),
        }
    }
}

/// `url` with its database name replaced.
fn with_db_name(url: &str, name: &str) -> String {
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

/// The PostgreSQL bench database, dropped when this goes (also on a panic).
struct PgBenchDb {
    admin_url: String,
    name: String,
    url: String,
}

impl PgBenchDb {
    fn create(admin_url: &str) -> Self {
        let name = format!("sumai_bench_{}", std::process::id());
        let mut admin = PgConnection::establish(admin_url).expect("connect to BENCH_PG_URL");
        // One statement each: several in one go would run as one transaction.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .expect("drop a leftover bench database");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create the bench database");
        Self {
            admin_url: admin_url.to_owned(),
            url: with_db_name(admin_url, &name),
            name,
        }
    }
}

impl Drop for PgBenchDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            match admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )) {
                Ok(()) => eprintln!("dropped database {}", self.name),
                Err(e) => eprintln!("could not drop database {}: {e}", self.name),
            }
        }
    }
}

/// Resident set and its peak, in MiB, from /proc/self/status.
fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A statement whose SQL is a template with `{}` where each bind goes (binds in order,
/// repeated as often as used): `?` on SQLite, `$n` on PostgreSQL. Unlike `sql_query`
/// it is safe to cache, so diesel prepares it once per connection and reuses it.
#[derive(Debug, Clone)]
enum Bind {
    Int(i32),
    Float(f64),
    Text(String),
}

struct Prepared<'a> {
    template: &'a str,
    binds: &'a [Bind],
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Prepared<'_> {}

impl<DB> QueryFragment<DB> for Prepared<'_>
where
    DB: Backend + HasSqlType<Integer> + HasSqlType<Double> + HasSqlType<Text>,
    i32: diesel::serialize::ToSql<Integer, DB>,
    f64: diesel::serialize::ToSql<Double, DB>,
    String: diesel::serialize::ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut parts = self.template.split("{}");
        out.push_sql(parts.next().unwrap_or_default());
        for (part, bind) in parts.zip(self.binds.iter()) {
            match bind {
                Bind::Int(v) => out.push_bind_param::<Integer, i32>(v)?,
                Bind::Float(v) => out.push_bind_param::<Double, f64>(v)?,
                Bind::Text(v) => out.push_bind_param::<Text, String>(v)?,
            }
            out.push_sql(part);
        }
        Ok(())
    }
}

/// The template with the binds written in as literals (for EXPLAIN).
fn inline(template: &str, binds: &[Bind]) -> String {
    let mut parts = template.split("{}");
    let mut sql = parts.next().unwrap_or_default().to_owned();
    for (part, bind) in parts.zip(binds) {
        match bind {
            Bind::Int(v) => sql.push_str(&v.to_string()),
            Bind::Float(v) => sql.push_str(&format!("{v:?}::float8")),
            Bind::Text(v) => sql.push_str(&format!("'{}'", v.replace('\'', "''"))),
        }
        sql.push_str(part);
    }
    sql
}

#[derive(QueryableByName)]
struct GeoHit {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Double)]
    latitude: f64,
    #[diesel(sql_type = Double)]
    longitude: f64,
}

#[derive(QueryableByName)]
struct IdHit {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct SqlitePlanRow {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanRow {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// The btree query (b, c): the bounding box of the radius on the covering index, the
/// filters, nearest first by squared equirectangular distance.
const BTREE_SQL: &str = "SELECT id, latitude, longitude FROM rentals \
     WHERE vacancy = 'vacant' AND latitude BETWEEN {} AND {} AND longitude BETWEEN {} AND {} \
     AND rent + common_fee <= {} AND (accepted_categories & 4) <> 0 AND floor_area_m2 >= {} \
     AND deleted_at IS NULL \
     ORDER BY (latitude - {}) * (latitude - {}) + (longitude - {}) * (longitude - {}) * {} \
     LIMIT 50";

/// The PostGIS query (d).
const POSTGIS_SQL: &str = "SELECT id FROM rentals \
     WHERE vacancy = 'vacant' AND deleted_at IS NULL AND rent + common_fee <= {} \
     AND (accepted_categories & 4) <> 0 AND floor_area_m2 >= {} \
     AND ST_DWithin(geog, ST_MakePoint({}, {})::geography, {}) \
     ORDER BY geog <-> ST_MakePoint({}, {})::geography LIMIT 50";

fn btree_binds(lat: f64, lon: f64) -> [Bind; 11] {
    let cos = lat.to_radians().cos();
    let dlat = RADIUS_M / 111_320.0;
    let dlon = RADIUS_M / (111_320.0 * cos.max(0.01));
    [
        Bind::Float(lat - dlat),
        Bind::Float(lat + dlat),
        Bind::Float(lon - dlon),
        Bind::Float(lon + dlon),
        Bind::Int(MAX_MONTHLY_TOTAL),
        Bind::Float(MIN_AREA_M2),
        Bind::Float(lat),
        Bind::Float(lat),
        Bind::Float(lon),
        Bind::Float(lon),
        Bind::Float(cos * cos),
    ]
}

fn postgis_binds(lat: f64, lon: f64) -> [Bind; 7] {
    [
        Bind::Int(MAX_MONTHLY_TOTAL),
        Bind::Float(MIN_AREA_M2),
        Bind::Float(lon),
        Bind::Float(lat),
        Bind::Float(RADIUS_M),
        Bind::Float(lon),
        Bind::Float(lat),
    ]
}

/// The btree query's rows, cut to the radius by exact (haversine) distance.
fn within_radius(lat: f64, lon: f64, hits: Vec<GeoHit>) -> Vec<String> {
    hits.into_iter()
        .filter(|h| haversine_m(lat, lon, h.latitude, h.longitude) <= RADIUS_M)
        .map(|h| h.id)
        .collect()
}

fn btree_sqlite(conn: &mut SqliteConnection, lat: f64, lon: f64) -> Vec<String> {
    let binds = btree_binds(lat, lon);
    let q = Prepared {
        template: BTREE_SQL,
        binds: &binds,
    };
    within_radius(lat, lon, q.load::<GeoHit>(conn).expect("sqlite query"))
}

fn btree_pg(conn: &mut PgConnection, lat: f64, lon: f64) -> Vec<String> {
    let binds = btree_binds(lat, lon);
    let q = Prepared {
        template: BTREE_SQL,
        binds: &binds,
    };
    within_radius(lat, lon, q.load::<GeoHit>(conn).expect("postgres query"))
}

fn postgis(conn: &mut PgConnection, lat: f64, lon: f64) -> Vec<String> {
    let binds = postgis_binds(lat, lon);
    let q = Prepared {
        template: POSTGIS_SQL,
        binds: &binds,
    };
    q.load::<IdHit>(conn)
        .expect("postgis query")
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn typical_query(lat: f64, lon: f64) -> RentalQuery {
    RentalQuery {
        near: Some((
            Coordinates::parse(lat, lon).expect("point in Japan"),
            RADIUS_M,
        )),
        // vacancy = 'vacant', like the SQL (vacant_by would also look at vacant_from).
        vacant: Some(true),
        max_monthly_total: Some(MAX_MONTHLY_TOTAL as u32),
        accepts: Category::DisabilityMental.bit(),
        min_area_m2: Some(MIN_AREA_M2 as f32),
        limit: LIMIT,
        ..Default::default()
    }
}

fn memory_ids(index: &RentalIndex, lat: f64, lon: f64) -> Vec<String> {
    index
        .search(&typical_query(lat, lon), Scope::All)
        .expect("index ready")
        .items
        .iter()
        .map(|(id, _)| uuid::Uuid::from_u128(*id).to_string())
        .collect()
}

/// Points within about 1 km of a city centre, cities weighted by population as the
/// data is.
fn query_points(n: usize) -> Vec<(f64, f64)> {
    let cities = datagen::cities();
    let total: f64 = cities.iter().map(|c| c.population_thousands).sum();
    let mut rng = Rng::new(QUERY_SEED);
    (0..n)
        .map(|_| {
            let mut x = rng.unit() * total;
            let city = cities
                .iter()
                .find(|c| {
                    x -= c.population_thousands;
                    x < 0.0
                })
                .unwrap_or(&cities[cities.len() - 1]);
            let r = 1000.0 * rng.unit().sqrt();
            let th = 2.0 * std::f64::consts::PI * rng.unit();
            let lat = city.lat + r * th.cos() / 111_320.0;
            let lon = city.lon + r * th.sin() / (111_320.0 * city.lat.to_radians().cos());
            ((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6)
        })
        .collect()
}

/// A query point as a map key (the bits of latitude and longitude).
type PointKey = (u64, u64);

/// Latencies of one engine and the mean number of results.
struct Measured {
    engine: String,
    micros: Vec<f64>,
    mean_hits: f64,
}

impl Measured {
    fn percentile(&self, p: f64) -> f64 {
        let mut v = self.micros.clone();
        v.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1]
    }

    fn report(&self) {
        eprintln!(
            "  {}: p50 {:.1} µs, p95 {:.1} µs, p99 {:.1} µs over {} runs",
            self.engine,
            self.percentile(50.0),
            self.percentile(95.0),
            self.percentile(99.0),
            self.micros.len()
        );
    }
}

/// A table of latencies, one row per engine, as the benchmark prints it.
fn table(rows: &[Measured]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| {:<40} | {:>9} | {:>9} | {:>9} | {:>9} |",
        "engine", "p50 µs", "p95 µs", "p99 µs", "mean hits"
    );
    let _ = writeln!(
        out,
        "|{:-<42}|{:->11}|{:->11}|{:->11}|{:->11}|",
        "", "", "", "", ""
    );
    for m in rows {
        let _ = writeln!(
            out,
            "| {:<40} | {:>9.1} | {:>9.1} | {:>9.1} | {:>9.1} |",
            m.engine,
            m.percentile(50.0),
            m.percentile(95.0),
            m.percentile(99.0),
            m.mean_hits
        );
    }
    out
}

/// One warm-up pass over the points, then `passes` timed passes.
fn measure(
    engine: &str,
    points: &[(f64, f64)],
    passes: usize,
    mut run: impl FnMut(f64, f64) -> usize,
) -> Measured {
    measure_each(engine, points, passes, |&(lat, lon)| run(lat, lon))
}

/// One warm-up pass over the items, then `passes` timed passes; `run` returns the
/// number of results.
fn measure_each<T>(
    engine: &str,
    items: &[T],
    passes: usize,
    mut run: impl FnMut(&T) -> usize,
) -> Measured {
    for item in items {
        black_box(run(item));
    }
    let mut micros = Vec::with_capacity(items.len() * passes);
    let mut hits = 0usize;
    for _ in 0..passes {
        for item in items {
            let t = Instant::now();
            let n = black_box(run(item));
            micros.push(t.elapsed().as_secs_f64() * 1e6);
            hits += n;
        }
    }
    let m = Measured {
        engine: engine.to_owned(),
        mean_hits: hits as f64 / micros.len().max(1) as f64,
        micros,
    };
    m.report();
    m
}

/// Agreement of two engines' result sets over the points: the share of queries with
/// the same set of ids, and the mean overlap |A ∩ B| / max(|A|, |B|).
fn agreement(
    points: &[(f64, f64)],
    mut a: impl FnMut(f64, f64) -> Vec<String>,
    mut b: impl FnMut(f64, f64) -> Vec<String>,
) -> (f64, f64) {
    let (mut same, mut overlap) = (0usize, 0.0);
    for &(lat, lon) in points {
        let mut x = a(lat, lon);
        let mut y = b(lat, lon);
        x.sort_unstable();
        y.sort_unstable();
        if x == y {
            same += 1;
        }
        let common = x.iter().filter(|id| y.binary_search(id).is_ok()).count();
        let larger = x.len().max(y.len());
        overlap += if larger == 0 {
            1.0
        } else {
            common as f64 / larger as f64
        };
    }
    let n = points.len().max(1) as f64;
    (100.0 * same as f64 / n, 100.0 * overlap / n)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn exec_pg(conn: &mut PgConnection, what: &str, sql: &str, notes: &mut Vec<String>) {
    let t = Instant::now();
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let line = format!("PostgreSQL {what}: {}", secs(t.elapsed()));
    eprintln!("  {line}");
    notes.push(line);
}

fn pg(conn: &mut DbConn) -> &mut PgConnection {
    match conn {
        DbConn::Postgres(c) => c,
        DbConn::Sqlite(_) => panic!("expected PostgreSQL"),
    }
}

fn sqlite(conn: &mut DbConn) -> &mut SqliteConnection {
    match conn {
        DbConn::Sqlite(c) => c,
        DbConn::Postgres(_) => panic!("expected SQLite"),
    }
}

struct Loaded {
    generate: Duration,
    sqlite: Duration,
    postgres: Duration,
}

/// Generates the rentals chunk by chunk and inserts each chunk into both databases
/// (same rows, same ids), timing generation and each database apart.
fn load(cfg: &Config, lite: &mut DbConn, pgc: &mut DbConn, owner: &str) -> Loaded {
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let mut g = Generator::new(SEED);
    let mut loaded = Loaded {
        generate: Duration::ZERO,
        sqlite: Duration::ZERO,
        postgres: Duration::ZERO,
    };
    // Through diesel's transaction manager: insert_batch opens a transaction of its own
    // on SQLite (diesel inserts a batch there row by row), which then nests as a savepoint.
    type Tm = <DbConn as Connection>::TransactionManager;
    let begin = |c: &mut DbConn| Tm::begin_transaction(c).expect("begin");
    let commit = |c: &mut DbConn| Tm::commit_transaction(c).expect("commit");
    begin(lite);
    begin(pgc);
    let mut done = 0;
    let started = Instant::now();
    while done < cfg.rows {
        let n = CHUNK.min(cfg.rows - done);
        let t = Instant::now();
        let rows: Vec<_> = (0..n)
            .map(|_| {
                let mut f = Fields::new();
                let v = g
                    .next_input()
                    .validate(today, &mut f)
                    .expect("valid rental");
                let now = db::now();
                row_from_valid(
                    v,
                    RowMeta {
                        id: db::new_id(),
                        owner: owner.to_owned(),
                        agent: None,
                        placement: Placement::Provided,
                        version: 1,
                        created_at: now,
                        now,
                    },
                )
            })
            .collect();
        loaded.generate += t.elapsed();
        let t = Instant::now();
        db::rentals::insert_batch(lite, &rows).expect("sqlite insert");
        loaded.sqlite += t.elapsed();
        let t = Instant::now();
        db::rentals::insert_batch(pgc, &rows).expect("postgres insert");
        loaded.postgres += t.elapsed();
        done += n;
        if done % COMMIT_EVERY == 0 || done == cfg.rows {
            let t = Instant::now();
            commit(lite);
            loaded.sqlite += t.elapsed();
            let t = Instant::now();
            commit(pgc);
            loaded.postgres += t.elapsed();
            eprintln!(
                "  {done} rows ({:.0} s): generate {:.1} s, SQLite {:.1} s, PostgreSQL {:.1} s",
                started.elapsed().as_secs_f64(),
                loaded.generate.as_secs_f64(),
                loaded.sqlite.as_secs_f64(),
                loaded.postgres.as_secs_f64()
            );
            if done < cfg.rows {
                begin(lite);
                begin(pgc);
            }
        }
    }
    loaded
}

/// The real server, started in this process (on the caller's tokio runtime) on a
/// database, with a keep-alive HTTP client of one connection.
struct Server {
    base: String,
    handle: actix_web::dev::ServerHandle,
    client: reqwest::Client,
    /// From build to `/readyz` answering 200 (the search index loaded).
    ready_in: Duration,
}

impl Server {
    async fn start(database_url: &str) -> Self {
        let env: HashMap<&str, String> = HashMap::from([
            ("DATABASE_URL", database_url.to_owned()),
            ("SUMAI_BIND", "127.0.0.1:0".into()),
            ("SUMAI_JWT_SECRET", JWT_SECRET.into()),
            ("SUMAI_GEOCODER_URL", "off".into()),
            ("SUMAI_DB_POOL_SIZE", "4".into()),
            ("SUMAI_SHUTDOWN_TIMEOUT_SECS", "2".into()),
        ]);
        let settings =
            sumai_link::config::Settings::load_from(|k| env.get(k).cloned()).expect("settings");
        let started = Instant::now();
        let app = sumai_link::startup::Application::build(settings)
            .await
            .expect("application");
        let base = format!("http://127.0.0.1:{}", app.port());
        let server = app.into_server();
        let handle = server.handle();
        tokio::spawn(server);
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let mut ready = false;
        for _ in 0..1200 {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "/readyz did not answer 200 within 120 s");
        Self {
            base,
            handle,
            client,
            ready_in: started.elapsed(),
        }
    }

    /// An access token of the support office's user.
    async fn login(&self) -> String {
        let token: serde_json::Value = self
            .client
            .post(format!("{}/api/v1/auth/token", self.base))
            .json(&serde_json::json!({
                "grant_type": "password",
                "email": OFFICE_EMAIL,
                "password": OFFICE_PASSWORD,
            }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("token json");
        token["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Times one GET with the bearer token; panics unless it answers 2xx.
    async fn timed_get(&self, url: &str, token: &str) -> (f64, actix_web::web::Bytes) {
        let req = self.client.get(url).bearer_auth(token);
        let t = Instant::now();
        let res = req.send().await.expect("request");
        let status = res.status();
        let body = res.bytes().await.expect("body");
        let micros = t.elapsed().as_secs_f64() * 1e6;
        assert!(
            status.is_success(),
            "GET {url}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        (micros, body)
    }

    async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// A tokio runtime for the in-process server and its client.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Starts the real server on the SQLite file, logs in as the support office and runs
/// the typical search over HTTP; also reports the process's memory with the server's
/// own index loaded.
fn http_bench(
    sqlite_path: &Path,
    points: &[(f64, f64)],
    passes: usize,
    notes: &mut Vec<String>,
) -> Measured {
    runtime().block_on(async {
        let (rss_before, _) = rss_mib();
        let server = Server::start(&format!("sqlite://{}", sqlite_path.display())).await;
        let (rss_after, hwm) = rss_mib();
        let line = format!(
            "HTTP server ready (index loaded) in {}; process RSS {:.0} MiB -> {:.0} MiB (+{:.0}), peak {:.0} MiB",
            secs(server.ready_in),
            rss_before,
            rss_after,
            rss_after - rss_before,
            hwm
        );
        eprintln!("  {line}");
        notes.push(line);
        let token = server.login().await;
        let base = &server.base;
        let urls: Vec<String> = points
            .iter()
            .map(|(lat, lon)| {
                format!(
                    "{base}/api/v1/rentals?near={lat:.6},{lon:.6}&radius_m={RADIUS_M}&vacant=true\
                     &max_monthly_total={MAX_MONTHLY_TOTAL}&accepts=disability_mental\
                     &min_area_m2={MIN_AREA_M2}&limit={LIMIT}"
                )
            })
            .collect();
        for url in &urls {
            black_box(server.timed_get(url, &token).await);
        }
        let mut micros = Vec::with_capacity(urls.len() * passes);
        let mut hits = 0usize;
        for _ in 0..passes {
            for url in &urls {
                let (us, body) = server.timed_get(url, &token).await;
                micros.push(us);
                let page: serde_json::Value = serde_json::from_slice(&body).expect("page json");
                hits += page["items"].as_array().map_or(0, Vec::len);
            }
        }
        server.stop().await;
        let m = Measured {
            engine: "e) HTTP GET /api/v1/rentals (SQLite)".into(),
            mean_hits: hits as f64 / micros.len().max(1) as f64,
            micros,
        };
        m.report();
        m
    })
}

fn main() {
    let cfg = Config::from_env();
    let all_started = Instant::now();
    let mut notes: Vec<String> = Vec::new();
    eprintln!(
        "search benchmark: {} rentals, {} query points x {} passes",
        cfg.rows, cfg.queries, cfg.passes
    );

    // Fresh databases.
    std::fs::create_dir_all(&cfg.dir).expect("bench dir");
    let sqlite_path = cfg.dir.join(format!("search-{}.db", cfg.rows));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
    }
    let pg_db = PgBenchDb::create(&cfg.pg_admin_url);
    eprintln!(
        "SQLite file {}; PostgreSQL database {}",
        sqlite_path.display(),
        pg_db.name
    );
    let lite_db = Db::connect(&DatabaseUrl::Sqlite(sqlite_path.display().to_string()), 2)
        .expect("sqlite pool");
    let pg_pool = Db::connect(&DatabaseUrl::Postgres(pg_db.url.clone()), 2).expect("pg pool");
    let mut lite = lite_db.get().expect("sqlite connection");
    let mut pgc = pg_pool.get().expect("pg connection");
    db::run_migrations(&mut lite).expect("sqlite migrations");
    db::run_migrations(&mut pgc).expect("postgres migrations");
    // The covering btree of the SQL comparators b) and c); not a migration: the service
    // searches its in-memory index, and the index only slowed every insert.
    for conn in [&mut *lite, &mut *pgc] {
        diesel::sql_query(
            "CREATE INDEX rentals_vacant_geo_idx ON rentals \
             (vacancy, latitude, longitude, rent, common_fee, floor_area_m2, accepted_categories)",
        )
        .execute(conn)
        .expect("covering index");
    }

    // The landlord that owns every rental, and a support office whose user searches and
    // matches over HTTP (in both: the servers run on each).
    let landlord = accounts::new_org(OrgKind::Landlord, "ベンチマーク家主", Some("13"), None);
    organizations::insert(&mut lite, &landlord).expect("landlord org");
    organizations::insert(&mut pgc, &landlord).expect("landlord org");
    let office = accounts::new_org(
        OrgKind::SupportOffice,
        "相談支援事業所 ベンチ",
        Some("01"),
        Some("011002"),
    );
    let office_hash = password::hash(OFFICE_PASSWORD).expect("hash");
    for conn in [&mut lite, &mut pgc] {
        organizations::insert(conn, &office).expect("office org");
        accounts::insert_user(
            conn,
            &office.id,
            &Email::parse(OFFICE_EMAIL).expect("email"),
            "ベンチ 利用者",
            Role::Admin,
            office_hash.clone(),
        )
        .expect("office user");
    }

    // Loads. A bigger page cache for the bulk load only (reset to the default after).
    eprintln!("loading {} rentals", cfg.rows);
    sqlite(&mut lite)
        .batch_execute("PRAGMA cache_size = -262144")
        .expect("pragma");
    let loaded = load(&cfg, &mut lite, &mut pgc, &landlord.id);
    sqlite(&mut lite)
        .batch_execute("PRAGMA cache_size = -2000")
        .expect("pragma");
    let t = Instant::now();
    sqlite(&mut lite).batch_execute("ANALYZE").expect("analyze");
    let sqlite_analyze = t.elapsed();
    let sqlite_mib = std::fs::metadata(&sqlite_path).map_or(0.0, |m| m.len() as f64 / 1048576.0);
    notes.push(format!(
        "generate {} rentals: {} (not part of the loads)",
        cfg.rows,
        secs(loaded.generate)
    ));
    notes.push(format!(
        "SQLite load (insert_batch, commit every {COMMIT_EVERY}): {} ({:.0} rows/s), ANALYZE {}; file {sqlite_mib:.0} MiB",
        secs(loaded.sqlite),
        cfg.rows as f64 / loaded.sqlite.as_secs_f64(),
        secs(sqlite_analyze)
    ));
    notes.push(format!(
        "PostgreSQL load (insert_batch, commit every {COMMIT_EVERY}): {} ({:.0} rows/s)",
        secs(loaded.postgres),
        cfg.rows as f64 / loaded.postgres.as_secs_f64()
    ));

    // PostGIS on the same rows (bench only, not a migration).
    eprintln!("PostGIS setup");
    {
        let c = pg(&mut pgc);
        exec_pg(
            c,
            "CREATE EXTENSION postgis",
            "CREATE EXTENSION IF NOT EXISTS postgis",
            &mut notes,
        );
        exec_pg(
            c,
            "ADD COLUMN geog",
            "ALTER TABLE rentals ADD COLUMN geog geography(Point, 4326)",
            &mut notes,
        );
        exec_pg(
            c,
            "UPDATE geog of every row",
            "UPDATE rentals SET geog = ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography \
             WHERE latitude IS NOT NULL AND longitude IS NOT NULL",
            &mut notes,
        );
        exec_pg(
            c,
            "CREATE INDEX partial GiST (vacant, live)",
            "CREATE INDEX rentals_vacant_geog_gist ON rentals USING GIST (geog) \
             WHERE vacancy = 'vacant' AND deleted_at IS NULL",
            &mut notes,
        );
        exec_pg(
            c,
            "VACUUM ANALYZE rentals",
            "VACUUM ANALYZE rentals",
            &mut notes,
        );
    }

    let points = query_points(cfg.queries);
    let (plat, plon) = points[0];

    // a) in-memory index, loaded from the SQLite file.
    eprintln!("a) in-memory index");
    let (rss_before, _) = rss_mib();
    let index = RentalIndex::new();
    let t = Instant::now();
    let n = index.load_all(&mut lite).expect("index load");
    let index_load = t.elapsed();
    let (rss_after, hwm) = rss_mib();
    notes.push(format!(
        "RentalIndex::load_all from SQLite: {n} rentals in {}; RSS {rss_before:.0} -> {rss_after:.0} MiB (+{:.0} MiB for the index), peak {hwm:.0} MiB",
        secs(index_load),
        rss_after - rss_before
    ));
    let mut totals = 0usize;
    for &(lat, lon) in &points {
        totals += index
            .search(&typical_query(lat, lon), Scope::All)
            .expect("index ready")
            .total;
    }
    notes.push(format!(
        "typical query: {:.1} matching rentals within 3 km on average (before LIMIT 50)",
        totals as f64 / points.len() as f64
    ));
    let mut results = vec![measure(
        "a) in-memory RentalIndex",
        &points,
        cfg.passes,
        |lat, lon| {
            index
                .search(&typical_query(lat, lon), Scope::All)
                .expect("index ready")
                .items
                .len()
        },
    )];

    // What the HTTP search does after the index: read the page's 50 rows back from
    // SQLite (`find_many`), then turn them into views and JSON.
    let pages: HashMap<PointKey, Vec<(String, Option<f64>)>> = points
        .iter()
        .map(|&(lat, lon)| {
            let hits = index
                .search(&typical_query(lat, lon), Scope::All)
                .expect("index ready");
            let page = hits
                .items
                .iter()
                .map(|(id, d)| (uuid::Uuid::from_u128(*id).to_string(), *d))
                .collect();
            ((lat.to_bits(), lon.to_bits()), page)
        })
        .collect();
    let page_of = |lat: f64, lon: f64| &pages[&(lat.to_bits(), lon.to_bits())];
    results.push(measure(
        "a+) find_many of the 50 rows (SQLite)",
        &points,
        cfg.passes,
        |lat, lon| {
            let ids: Vec<String> = page_of(lat, lon).iter().map(|p| p.0.clone()).collect();
            db::rentals::find_many(&mut lite, &ids)
                .expect("find_many")
                .len()
        },
    ));
    let rows_of: HashMap<PointKey, Vec<db::rentals::RentalRow>> = points
        .iter()
        .map(|&(lat, lon)| {
            let ids: Vec<String> = page_of(lat, lon).iter().map(|p| p.0.clone()).collect();
            let rows = db::rentals::find_many(&mut lite, &ids).expect("find_many");
            ((lat.to_bits(), lon.to_bits()), rows)
        })
        .collect();
    results.push(measure(
        "a++) 50 rows to views + JSON",
        &points,
        cfg.passes,
        |lat, lon| {
            let key = (lat.to_bits(), lon.to_bits());
            let views: Vec<RentalView> = rows_of[&key]
                .iter()
                .zip(&pages[&key])
                .map(|(r, p)| RentalView::from_row(r.clone(), p.1).expect("view"))
                .collect();
            serde_json::to_vec(&views).expect("json").len() / 1000
        },
    ));
    notes.push(
        "a+) and a++) are the parts of e) after the index (mean hits column: rows read; KB of JSON)"
            .into(),
    );

    // b) SQLite btree.
    eprintln!("b) SQLite btree");
    {
        let binds = btree_binds(plat, plon);
        let explain = format!("EXPLAIN QUERY PLAN {BTREE_SQL}");
        let plan = Prepared {
            template: &explain,
            binds: &binds,
        }
        .load::<SqlitePlanRow>(sqlite(&mut lite))
        .expect("explain");
        let plan: Vec<String> = plan.into_iter().map(|r| r.detail).collect();
        notes.push(format!("SQLite plan: {}", plan.join(" / ")));
    }
    results.push(measure(
        "b) SQLite btree (covering idx)",
        &points,
        cfg.passes,
        |lat, lon| btree_sqlite(sqlite(&mut lite), lat, lon).len(),
    ));

    // c) PostgreSQL btree, d) PostGIS.
    let mut pg_plan = |name: &str, template: &str, binds: &[Bind], notes: &mut Vec<String>| {
        let explain = format!("EXPLAIN (ANALYZE, BUFFERS) {}", inline(template, binds));
        let plan = diesel::sql_query(explain)
            .load::<PgPlanRow>(pg(&mut pgc))
            .expect("explain");
        let mut text = format!("{name} plan:");
        for r in plan {
            let _ = write!(text, "\n      {}", r.line);
        }
        notes.push(text);
    };
    pg_plan(
        "PostgreSQL btree",
        BTREE_SQL,
        &btree_binds(plat, plon),
        &mut notes,
    );
    pg_plan(
        "PostGIS",
        POSTGIS_SQL,
        &postgis_binds(plat, plon),
        &mut notes,
    );
    eprintln!("c) PostgreSQL btree");
    results.push(measure(
        "c) PostgreSQL btree (covering idx)",
        &points,
        cfg.passes,
        |lat, lon| btree_pg(pg(&mut pgc), lat, lon).len(),
    ));
    eprintln!("d) PostGIS");
    results.push(measure(
        "d) PostGIS ST_DWithin + <-> (GiST)",
        &points,
        cfg.passes,
        |lat, lon| postgis(pg(&mut pgc), lat, lon).len(),
    ));

    // Correctness: the same filters must find the same rentals (ties and the sphere
    // vs spheroid difference at the 3 km edge aside).
    eprintln!("agreement");
    let (same, overlap) = agreement(
        &points,
        |lat, lon| memory_ids(&index, lat, lon),
        |lat, lon| postgis(pg(&mut pgc), lat, lon),
    );
    notes.push(format!(
        "agreement in-memory vs PostGIS over {} queries: identical id sets {same:.1}%, mean overlap {overlap:.2}%",
        points.len()
    ));
    let (same, overlap) = agreement(
        &points,
        |lat, lon| memory_ids(&index, lat, lon),
        |lat, lon| btree_sqlite(sqlite(&mut lite), lat, lon),
    );
    notes.push(format!(
        "agreement in-memory vs SQLite btree: identical id sets {same:.1}%, mean overlap {overlap:.2}%"
    ));
    let (same, overlap) = agreement(
        &points,
        |lat, lon| btree_sqlite(sqlite(&mut lite), lat, lon),
        |lat, lon| btree_pg(pg(&mut pgc), lat, lon),
    );
    notes.push(format!(
        "agreement SQLite btree vs PostgreSQL btree: identical id sets {same:.1}%, mean overlap {overlap:.2}%"
    ));

    // e) HTTP, on the SQLite file, without the bench's own index in memory.
    drop(index);
    drop(lite);
    drop(pgc);
    if cfg.http {
        eprintln!("e) HTTP");
        results.push(http_bench(&sqlite_path, &points, cfg.passes, &mut notes));
        notes.push(
            "HTTP uses vacant=true, which the API reads as vacant_by=today (vacant_from <= today), \
             so it finds a little fewer rentals than a)-d) (vacancy = 'vacant' only)"
                .into(),
        );
    }

    // The table.
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## search benchmark: {} rentals, {} query points x {} passes (+1 warm-up pass), typical query",
        cfg.rows, cfg.queries, cfg.passes
    );
    out.push_str(&table(&results));
    let _ = writeln!(out);
    for n in &notes {
        let _ = writeln!(out, "- {n}");
    }
    let _ = writeln!(out, "- total run time: {}", secs(all_started.elapsed()));
    println!("{out}");

    // The match benchmark, on the same data.
    if cfg.matches {
        eprintln!("match benchmark");
        let started = Instant::now();
        let mut out = matches::run(&cfg, &sqlite_path, &pg_db.url);
        let _ = writeln!(
            out,
            "- match benchmark run time: {}",
            secs(started.elapsed())
        );
        println!("{out}");
        let file = cfg.dir.join(format!("matches-{}.txt", cfg.rows));
        match std::fs::write(&file, &out) {
            Ok(()) => eprintln!("match table written to {}", file.display()),
            Err(e) => eprintln!("could not write {}: {e}", file.display()),
        }
    }

    drop(lite_db);
    drop(pg_pool);
    drop(pg_db);
    if !cfg.keep {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
        }
    }
}
