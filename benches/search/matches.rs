//! The match benchmark (issue 5 point 7), run by the search benchmark after its own
//! parts, on the same SQLite file and PostgreSQL database. The target (DESIGN.md): the
//! whole match request over HTTP (auth, filters, scoring with reasons, 50 results) has a
//! p95 no higher than the p95 of the PostGIS query alone doing the same filtering and
//! ordering, on the same data, in the same run.
//!
//! - `BENCH_CLIENTS` (200) clients of the support office are created through the API
//!   (`POST /clients`, `PUT /clients/{id}/needs`) on each server, with needs like the
//!   typical query: rent + 共益費 ≤ 70,000, a mental disability (so the landlord must
//!   accept it), 3 km around a point within 1 km of a city centre, ≥ 20 m² and two or
//!   three preferred layouts (scored, not filtered: the matcher ranks by them), two places
//!   that matter with weights, a move date 7 to 60 days ahead; one in ten must have
//!   handrails, one in twenty-five needs pets. The first 62 clients go one to each city,
//!   the rest to cities weighted by population, as the rentals are.
//! - m1, m2: `GET /api/v1/clients/{id}/matches` (the default page: 50) with a bearer
//!   token over one keep-alive connection, on the server on the SQLite file, then on
//!   the server on PostgreSQL.
//! - m3: PostGIS, the same hard filters (vacant by the move date, budget, the client's
//!   categories, accessibility musts, pets, `ST_DWithin` on the geography column with its
//!   partial GiST index) and the same ordering: the matcher's score, computed in SQL
//!   part by part as `domain::matching::score` does, rounded to 0.1, then the id; top 50.
//! - m4: PostGIS, the same filters ordered by distance (`<->` KNN, LIMIT 50): the
//!   cheapest query on the same candidate set, for reference; distance is only a part
//!   of the score (to the places that matter, not to the search point), so its order is
//!   not the matcher's.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::Value;
use sumai_link::domain::time::today_tokyo;

use crate::match_clients::{ClientSpec, clients, knn_sql, scored_sql};
use crate::{
    Bind, Config, IdHit, MAX_MONTHLY_TOTAL, MIN_AREA_M2, Measured, PgPlanRow, Prepared, Server,
    inline, measure_each, runtime, secs, table,
};

/// CPU time (user + system) of a process so far, in microseconds, from /proc (Linux);
/// 0 when it cannot be read.
fn cpu_micros(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) in parentheses; utime and
    // stime are fields 14 and 15 of the line, in clock ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    ticks as f64 * 10_000.0
}

#[derive(diesel::QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The PostgreSQL backends serving the bench database (the server's pool), but not
/// `conn` itself.
fn pg_backends(conn: &mut PgConnection) -> Vec<u32> {
    diesel::sql_query(
        "SELECT pid FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .load::<Pid>(conn)
    .expect("pg_stat_activity")
    .into_iter()
    .map(|p| p.pid as u32)
    .collect()
}

/// CPU used meanwhile by this process and by some PostgreSQL backends, in µs.
struct CpuMeter {
    own: f64,
    backends: Vec<(u32, f64)>,
}

impl CpuMeter {
    fn start(backends: &[u32]) -> Self {
        Self {
            own: cpu_micros(std::process::id()),
            backends: backends.iter().map(|&p| (p, cpu_micros(p))).collect(),
        }
    }

    /// (this process, the backends) since `start`.
    fn used(&self) -> (f64, f64) {
        let own = cpu_micros(std::process::id()) - self.own;
        let db = self
            .backends
            .iter()
            .map(|&(p, before)| cpu_micros(p) - before)
            .sum();
        (own, db)
    }
}

/// One server's run: the latencies, and per client the ids of the matches.
struct HttpRun {
    measured: Measured,
    ids: Vec<Vec<String>>,
    candidates: f64,
    near_misses: f64,
    kib: f64,
    ready: String,
    /// CPU per request, µs: this process (server and client), the database's backends.
    cpu: (f64, f64),
}

/// Starts the server on `database_url`, creates the clients through the API, then times
/// their match requests.
async fn http_matches(
    engine: &str,
    database_url: &str,
    specs: &[ClientSpec],
    passes: usize,
    pg: Option<&mut PgConnection>,
) -> HttpRun {
    let server = Server::start(database_url).await;
    let ready = secs(server.ready_in);
    let token = server.login().await;
    let base = server.base.clone();
    let me: Value = server
        .client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("me json");
    let responsible = me["id"].as_str().expect("user id").to_owned();
    let t = std::time::Instant::now();
    let mut urls = Vec::with_capacity(specs.len());
    for spec in specs {
        let res = server
            .client
            .post(format!("{base}/api/v1/clients"))
            .bearer_auth(&token)
            .json(&spec.client_body(&responsible))
            .send()
            .await
            .expect("create client");
        let status = res.status();
        let body: Value = res.json().await.expect("client json");
        assert!(status.is_success(), "create client: {status} {body}");
        let id = body["id"].as_str().expect("client id").to_owned();
        let res = server
            .client
            .put(format!("{base}/api/v1/clients/{id}/needs"))
            .bearer_auth(&token)
            .json(&spec.needs_body())
            .send()
            .await
            .expect("put needs");
        let status = res.status();
        assert!(
            status.is_success(),
            "put needs: {status} {}",
            res.text().await.unwrap_or_default()
        );
        urls.push(format!("{base}/api/v1/clients/{id}/matches"));
    }
    eprintln!(
        "  {} clients created through the API in {}",
        specs.len(),
        secs(t.elapsed())
    );
    // The warm-up pass reads the answers (the same in every pass: nothing changes the
    // data meanwhile), so the timed passes only time.
    let (mut hits, mut candidates, mut near, mut bytes) = (0usize, 0usize, 0usize, 0usize);
    let mut ids = Vec::with_capacity(urls.len());
    for url in &urls {
        let (_, body) = server.timed_get(url, &token).await;
        bytes += body.len();
        let v: Value = serde_json::from_slice(&body).expect("match json");
        let matches = v["matches"].as_array().expect("matches");
        hits += matches.len();
        candidates += v["candidates"].as_u64().unwrap_or(0) as usize;
        near += v["near_misses"].as_array().map_or(0, Vec::len);
        ids.push(
            matches
                .iter()
                .map(|m| m["rental"]["id"].as_str().unwrap_or_default().to_owned())
                .collect(),
        );
    }
    let backends = pg.map(pg_backends).unwrap_or_default();
    let cpu = CpuMeter::start(&backends);
    let mut micros = Vec::with_capacity(urls.len() * passes);
    for _ in 0..passes {
        for url in &urls {
            let (us, body) = server.timed_get(url, &token).await;
            micros.push(us);
            black_box(body);
        }
    }
    let (own, db) = cpu.used();
    server.stop().await;
    let n = urls.len().max(1) as f64;
    let runs = micros.len().max(1) as f64;
    let measured = Measured {
        engine: engine.to_owned(),
        mean_hits: hits as f64 / n,
        micros,
    };
    measured.report();
    HttpRun {
        measured,
        ids,
        candidates: candidates as f64 / n,
        near_misses: near as f64 / n,
        kib: bytes as f64 / n / 1024.0,
        ready,
        cpu: (own / runs, db / runs),
    }
}

fn load_ids(conn: &mut PgConnection, template: &str, binds: &[Bind]) -> Vec<String> {
    Prepared { template, binds }
        .load::<IdHit>(conn)
        .expect("postgis match query")
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn explain(conn: &mut PgConnection, name: &str, template: &str, binds: &[Bind]) -> String {
    let plan = diesel::sql_query(format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        inline(template, binds)
    ))
    .load::<PgPlanRow>(conn)
    .expect("explain");
    let mut text = format!("{name} plan (client 0):");
    for r in plan {
        let _ = write!(text, "\n      {}", r.line);
    }
    text
}

/// Share of clients whose two lists are identical (in order), and the mean overlap of
/// the two as sets, |A ∩ B| / max(|A|, |B|), in percent.
fn agreement(a: &[Vec<String>], b: &[Vec<String>]) -> (f64, f64) {
    let (mut same, mut overlap) = (0usize, 0.0);
    for (x, y) in a.iter().zip(b) {
        if x == y {
            same += 1;
        }
        let common = x.iter().filter(|id| y.contains(id)).count();
        let larger = x.len().max(y.len());
        overlap += if larger == 0 {
            1.0
        } else {
            common as f64 / larger as f64
        };
    }
    let n = a.len().min(b.len()).max(1) as f64;
    (100.0 * same as f64 / n, 100.0 * overlap / n)
}

fn verdict(http: &Measured, postgis: &Measured) -> String {
    let (h, p) = (http.percentile(95.0), postgis.percentile(95.0));
    format!(
        "{}: p95 {h:.0} µs vs {p:.0} µs: {}",
        http.engine,
        if h <= p { "met" } else { "NOT met" }
    )
}

/// Runs the match benchmark; returns its table and notes.
pub(crate) fn run(cfg: &Config, sqlite_path: &Path, pg_url: &str) -> String {
    let today = today_tokyo();
    let specs = clients(cfg.clients, today);
    let mut notes = Vec::new();
    let mut conn = PgConnection::establish(pg_url).expect("connect to the bench database");
    let (lite, pg) = runtime().block_on(async {
        eprintln!("m1) HTTP matches on SQLite");
        let lite = http_matches(
            "m1) HTTP GET …/matches (SQLite)",
            &format!("sqlite://{}", sqlite_path.display()),
            &specs,
            cfg.passes,
            None,
        )
        .await;
        eprintln!("m2) HTTP matches on PostgreSQL");
        let pg = http_matches(
            "m2) HTTP GET …/matches (PostgreSQL)",
            pg_url,
            &specs,
            cfg.passes,
            Some(&mut conn),
        )
        .await;
        (lite, pg)
    });

    let scored = scored_sql();
    let knn = knn_sql();
    notes.push(explain(
        &mut conn,
        "m3) PostGIS, scored",
        &scored,
        &specs[0].scored_binds(today),
    ));
    notes.push(explain(
        &mut conn,
        "m4) PostGIS, KNN",
        &knn,
        &specs[0].knn_binds(today),
    ));
    eprintln!("m3) PostGIS, same filters and score");
    let binds: HashMap<&str, (Vec<Bind>, Vec<Bind>)> = specs
        .iter()
        .map(|s| (s.code.as_str(), (s.scored_binds(today), s.knn_binds(today))))
        .collect();
    let backend = diesel::sql_query("SELECT pg_backend_pid() AS pid")
        .get_result::<Pid>(&mut conn)
        .expect("backend pid")
        .pid as u32;
    let runs = (specs.len() * (cfg.passes + 1)) as f64;
    let cpu = CpuMeter::start(&[backend]);
    let m3 = measure_each(
        "m3) PostGIS same filters + score, top 50",
        &specs,
        cfg.passes,
        |s| load_ids(&mut conn, &scored, &binds[s.code.as_str()].0).len(),
    );
    let m3_cpu = cpu.used();
    eprintln!("m4) PostGIS, same filters, nearest");
    let cpu = CpuMeter::start(&[backend]);
    let m4 = measure_each(
        "m4) PostGIS same filters, nearest 50",
        &specs,
        cfg.passes,
        |s| load_ids(&mut conn, &knn, &binds[s.code.as_str()].1).len(),
    );
    let m4_cpu = cpu.used();
    let sql_ids: Vec<Vec<String>> = specs
        .iter()
        .map(|s| load_ids(&mut conn, &scored, &binds[s.code.as_str()].0))
        .collect();

    let (same, overlap) = agreement(&lite.ids, &pg.ids);
    notes.push(format!(
        "agreement m1 vs m2 (the service on SQLite and on PostgreSQL): identical ranked lists {same:.1}%, mean overlap {overlap:.2}%"
    ));
    let (same, overlap) = agreement(&lite.ids, &sql_ids);
    notes.push(format!(
        "agreement m1 vs m3 (the service's ranking vs the score in SQL): identical ranked lists {same:.1}%, mean overlap {overlap:.2}% \
         (points are single precision in the index: a score on a 0.1 boundary may round the other way)"
    ));
    let cities: std::collections::BTreeSet<&str> = specs.iter().map(|s| s.city.as_str()).collect();
    notes.push(format!(
        "{} clients in {} cities, 3 km around a point within 1 km of the centre, rent + 共益費 ≤ {MAX_MONTHLY_TOTAL}, \
         mental disability, ≥ {MIN_AREA_M2} m² and layouts scored, 2 weighted places; 10% need handrails, 4% pets",
        specs.len(),
        cities.len()
    ));
    for run in [&lite, &pg] {
        notes.push(format!(
            "{}: server ready in {}; per response {:.1} candidates, {:.1} matches, {:.1} near-misses, {:.0} KiB of JSON",
            run.measured.engine,
            run.ready,
            run.candidates,
            run.measured.mean_hits,
            run.near_misses,
            run.kib
        ));
    }
    notes.push(format!(
        "CPU per request (µs; less sensitive than latency to the other load on the machine; \
         this process = server and client, clock ticks of 10 ms over all the runs): \
         m1 {:.0} in this process; m2 {:.0} in this process + {:.0} in PostgreSQL; \
         m3 {:.0} + {:.0}; m4 {:.0} + {:.0}",
        lite.cpu.0,
        pg.cpu.0,
        pg.cpu.1,
        m3_cpu.0 / runs,
        m3_cpu.1 / runs,
        m4_cpu.0 / runs,
        m4_cpu.1 / runs
    ));
    notes.push(format!(
        "target (DESIGN.md): HTTP match p95 ≤ PostGIS p95 of the same filtering and ordering (m3); {}; {}",
        verdict(&lite.measured, &m3),
        verdict(&pg.measured, &m3)
    ));
    notes.push(format!(
        "against the cheaper nearest-50 query (m4): {}; {}",
        verdict(&lite.measured, &m4),
        verdict(&pg.measured, &m4)
    ));

    let rows = [lite.measured, pg.measured, m3, m4];
    let mut out = format!(
        "\n## match benchmark: {} rentals, {} clients x {} passes (+1 warm-up pass)\n",
        cfg.rows,
        specs.len(),
        cfg.passes
    );
    out.push_str(&table(&rows));
    out.push('\n');
    for n in &notes {
        let _ = writeln!(out, "- {n}");
    }
    out
}
