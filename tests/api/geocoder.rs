//! The GSI geocoder client and the worker that places pending rentals, against a local
//! HTTP server (wiremock) that answers like GSI's address search. Nothing here calls
//! the real service.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::{Value, json};
use sumai_link::accounts::new_org;
use sumai_link::db::rentals::{self, RentalRow};
use sumai_link::db::{Db, organizations};
use sumai_link::domain::organization::OrgKind;
use sumai_link::domain::rental::Placement;
use sumai_link::notify::geocoder::{Geocoder, geocode_pending};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::spawn_bare_app;

const SEARCH_PATH: &str = "/address-search/AddressSearch";
const FULL_ADDRESS: &str = "北海道札幌市中央区北1条西2丁目1-1";
const TIMEOUT: Duration = Duration::from_millis(500);

fn feature(code: &str, title: &str, lon: f64, lat: f64) -> Value {
    json!({
        "geometry": {"coordinates": [lon, lat], "type": "Point"},
        "type": "Feature",
        "properties": {"addressCode": code, "title": title}
    })
}

fn chuo_feature() -> Value {
    feature(
        "01101",
        "北海道札幌市中央区北一条西二丁目",
        141.35437,
        43.06197,
    )
}

fn geocoder_for(server: &MockServer) -> Geocoder {
    Geocoder::new(Some(format!("{}{SEARCH_PATH}", server.uri())), TIMEOUT)
}

/// Places the Sapporo test address.
async fn place_chuo(geocoder: &Geocoder) -> Placement {
    geocoder
        .place("01", "011011", "札幌市中央区", "北1条西2丁目1-1")
        .await
}

/// A server answering every search with `template`.
async fn server_answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

fn failure(p: Placement) -> String {
    match p {
        Placement::Failed(reason) => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_answer_is_placed_with_latitude_and_longitude_in_order() {
    let server = MockServer::start().await;
    // The matcher decodes `q`: the Japanese address must arrive whole and exact.
    Mock::given(method("GET"))
        .and(path(SEARCH_PATH))
        .and(query_param("q", FULL_ADDRESS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([chuo_feature()])))
        .expect(1)
        .mount(&server)
        .await;
    let placement = place_chuo(&geocoder_for(&server)).await;
    assert_eq!(
        placement,
        Placement::Geocoded {
            lat: 43.06197,
            lon: 141.35437
        }
    );
    let requests = server.received_requests().await.unwrap();
    let raw_query = requests[0].url.query().unwrap_or_default();
    assert!(
        raw_query.starts_with("q=%E5%8C%97%E6%B5%B7%E9%81%93"),
        "{raw_query}"
    );
}

#[tokio::test]
async fn an_unknown_address_is_not_found() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!([]))).await;
    let reason = failure(place_chuo(&geocoder_for(&server)).await);
    assert_eq!(reason, "the address was not found");
}

#[tokio::test]
async fn a_point_in_another_municipality_is_refused() {
    let otaru = feature("01203", "北海道小樽市稲穂二丁目", 140.99, 43.19);
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!([otaru]))).await;
    let reason = failure(place_chuo(&geocoder_for(&server)).await);
    assert_eq!(
        reason,
        "the geocoder placed the address outside 札幌市中央区 (at 北海道小樽市稲穂二丁目)"
    );
}

#[tokio::test]
async fn a_point_in_another_prefecture_is_refused() {
    let tokyo = feature("13101", "東京都千代田区丸の内一丁目", 139.76, 35.68);
    let server = server_answering(ResponseTemplate::new(200).set_body_json(json!([tokyo]))).await;
    let reason = failure(place_chuo(&geocoder_for(&server)).await);
    assert!(
        reason.starts_with("the geocoder placed the address outside 北海道"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_server_error_is_a_failure() {
    let server = server_answering(ResponseTemplate::new(500).set_body_string("oops")).await;
    let reason = failure(place_chuo(&geocoder_for(&server)).await);
    assert!(
        reason.starts_with("the geocoder did not answer: HTTP status 500"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_slow_answer_fails_after_about_the_timeout() {
    let slow = ResponseTemplate::new(200)
        .set_body_json(json!([chuo_feature()]))
        .set_delay(Duration::from_secs(10));
    let server = server_answering(slow).await;
    let started = Instant::now();
    let reason = failure(place_chuo(&geocoder_for(&server)).await);
    let took = started.elapsed();
    assert_eq!(
        reason,
        "the geocoder did not answer: no answer within 500 ms"
    );
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_millis(1500),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_garbage_answer_is_a_failure() {
    let garbage =
        ResponseTemplate::new(200).set_body_raw("<html>メンテナンス中</html>", "text/html");
    let server = server_answering(garbage).await;
    let reason = failure(place_chuo(&geocoder_for(&server)).await);
    assert_eq!(reason, "the geocoder's answer is not a list of places");
}

#[tokio::test]
async fn an_unreachable_geocoder_is_a_failure() {
    // A port nobody listens on (wiremock keeps dropped servers listening in a pool).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}{SEARCH_PATH}");
    let reason = failure(place_chuo(&Geocoder::new(Some(url), TIMEOUT)).await);
    assert!(
        reason.starts_with("the geocoder did not answer: "),
        "{reason}"
    );
    assert!(
        !reason.contains("127.0.0.1"),
        "the URL stays out of the reason: {reason}"
    );
    assert!(reason.to_lowercase().contains("connect"), "{reason}");
}

#[tokio::test]
async fn a_disabled_geocoder_leaves_the_rental_pending() {
    let geocoder = Geocoder::new(None, TIMEOUT);
    assert!(!geocoder.is_enabled());
    assert_eq!(place_chuo(&geocoder).await, Placement::Pending);
}

/// A rental in 札幌市中央区 as the register stores it.
fn rental(org_id: &str, n: u32, address_line: &str, status: &str) -> RentalRow {
    let now = sumai_link::db::now();
    let provided = status == "provided";
    RentalRow {
        id: sumai_link::db::new_id(),
        owner_org_id: org_id.to_owned(),
        agent_org_id: None,
        registration_number: format!("01-{n:06}"),
        registration_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        postal_code: Some("060-0001".into()),
        prefecture_code: "01".into(),
        municipality_code: "011011".into(),
        municipality_name: "札幌市中央区".into(),
        address_line: address_line.to_owned(),
        latitude: provided.then_some(43.05),
        longitude: provided.then_some(141.34),
        geocode_status: status.to_owned(),
        geocode_detail: None,
        building_name: None,
        structure: "rc".into(),
        year_built: 1998,
        quake_resistant: true,
        floors_total: 5,
        unit_floor: 2,
        unit_number: "201".into(),
        elevator: true,
        accessibility: 0,
        floor_area_m2: 25.5,
        layout: "1K".into(),
        rent: 42_000,
        common_fee: 3_000,
        deposit: 0,
        key_money: 0,
        guarantor_accepted: true,
        guarantee_company_accepted: true,
        guarantee_companies: "[]".into(),
        rent_reduction: false,
        rent_reduction_yen: None,
        accepted_categories: 0,
        conditions: 0,
        pets_allowed: false,
        support_housing: false,
        support_housing_corp_id: None,
        support_housing_services: "{}".into(),
        vacancy: "vacant".into(),
        vacant_from: None,
        photos: "[]".into(),
        notes: None,
        version: 3,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

/// Stores a landlord organisation and `rows` (made for its id) in one transaction.
async fn store_rentals(db: &Db, rows: impl FnOnce(&str) -> Vec<RentalRow>) -> Vec<RentalRow> {
    let org = new_org(
        OrgKind::Landlord,
        "札幌住宅株式会社",
        Some("01"),
        Some("011002"),
    );
    let rows = rows(&org.id);
    let stored = rows.clone();
    db.transaction(move |conn| {
        organizations::insert(conn, &org)?;
        for row in &rows {
            rentals::insert(conn, row)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    stored
}

async fn read(db: &Db, id: &str) -> RentalRow {
    let id = id.to_owned();
    db.run(move |conn| Ok(rentals::find_any(conn, &id)?))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_worker_stores_points_and_failures_and_leaves_the_rest_alone() {
    let app = spawn_bare_app(&[]).await;
    let server = MockServer::start().await;
    Mock::given(query_param("q", FULL_ADDRESS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([chuo_feature()])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(query_param("q", "北海道札幌市中央区どこにもない町9-9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let rows = store_rentals(&app.db, |org| {
        let mut deleted = rental(org, 4, "北1条西2丁目1-1", "pending");
        deleted.deleted_at = Some(sumai_link::db::now());
        vec![
            rental(org, 1, "北1条西2丁目1-1", "pending"),
            rental(org, 2, "どこにもない町9-9", "pending"),
            rental(org, 3, "北1条西2丁目1-1", "provided"),
            deleted,
        ]
    })
    .await;

    let geocoder = geocoder_for(&server);
    assert_eq!(geocode_pending(&app.db, &geocoder, 10).await.unwrap(), 2);

    let placed = read(&app.db, &rows[0].id).await;
    assert_eq!(placed.geocode_status, "geocoded");
    assert_eq!(
        (placed.latitude, placed.longitude),
        (Some(43.06197), Some(141.35437))
    );
    assert_eq!(placed.geocode_detail, None);
    assert_eq!(placed.version, 3, "the landlord's version stays");
    assert!(placed.updated_at >= rows[0].updated_at);

    let failed = read(&app.db, &rows[1].id).await;
    assert_eq!(failed.geocode_status, "failed");
    assert_eq!((failed.latitude, failed.longitude), (None, None));
    assert_eq!(
        failed.geocode_detail.as_deref(),
        Some("the address was not found")
    );
    assert_eq!(failed.version, 3);

    assert_eq!(
        read(&app.db, &rows[2].id).await,
        rows[2],
        "provided: untouched"
    );
    assert_eq!(
        read(&app.db, &rows[3].id).await,
        rows[3],
        "deleted: untouched"
    );

    // Nothing is pending any more: no further calls (the mocks expect one each).
    assert_eq!(geocode_pending(&app.db, &geocoder, 10).await.unwrap(), 0);
    server.verify().await;
}

#[tokio::test]
async fn the_worker_takes_a_batch_at_a_time_and_does_nothing_when_disabled() {
    let app = spawn_bare_app(&[]).await;
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(json!([chuo_feature()]))).await;
    let rows = store_rentals(&app.db, |org| {
        (1..=3)
            .map(|n| rental(org, n, &format!("北1条西2丁目{n}"), "pending"))
            .collect()
    })
    .await;

    let off = Geocoder::new(None, TIMEOUT);
    assert_eq!(geocode_pending(&app.db, &off, 10).await.unwrap(), 0);
    assert_eq!(read(&app.db, &rows[0].id).await.geocode_status, "pending");
    assert!(server.received_requests().await.unwrap().is_empty());

    let geocoder = geocoder_for(&server);
    assert_eq!(geocode_pending(&app.db, &geocoder, 2).await.unwrap(), 2);
    assert_eq!(geocode_pending(&app.db, &geocoder, 2).await.unwrap(), 1);
    assert_eq!(geocode_pending(&app.db, &geocoder, 2).await.unwrap(), 0);
    for row in &rows {
        let stored = read(&app.db, &row.id).await;
        assert_eq!(stored.geocode_status, "geocoded");
        assert_eq!(stored.version, row.version);
    }
}

/// On PostgreSQL two workers (two replicas) split the pending rows between them
/// (`FOR UPDATE SKIP LOCKED`); on SQLite they may read the same rows but a row is
/// stored once.
#[tokio::test]
async fn concurrent_workers_place_each_rental_once() {
    let app = spawn_bare_app(&[]).await;
    let slowish = ResponseTemplate::new(200)
        .set_body_json(json!([chuo_feature()]))
        .set_delay(Duration::from_millis(200));
    let server = server_answering(slowish).await;
    let rows = store_rentals(&app.db, |org| {
        (1..=8)
            .map(|n| rental(org, n, &format!("北1条西2丁目{n}"), "pending"))
            .collect()
    })
    .await;
    let (a, b) = (geocoder_for(&server), geocoder_for(&server));
    let (x, y) = tokio::join!(
        geocode_pending(&app.db, &a, 4),
        geocode_pending(&app.db, &b, 4)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    if app.database.is_postgres() {
        assert_eq!((x, y), (4, 4), "the second worker skipped the claimed rows");
        let mut asked: HashMap<String, usize> = HashMap::new();
        for r in server.received_requests().await.unwrap() {
            let q = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.into_owned());
            *asked.entry(q.unwrap_or_default()).or_default() += 1;
        }
        assert_eq!(asked.len(), rows.len());
        assert!(asked.values().all(|n| *n == 1), "{asked:?}");
    } else {
        assert_eq!(
            x + y,
            4,
            "both read the same four rows; each is stored once"
        );
        assert_eq!(geocode_pending(&app.db, &a, 4).await.unwrap(), 4);
    }
    for row in &rows {
        let stored = read(&app.db, &row.id).await;
        assert_eq!(stored.geocode_status, "geocoded");
        assert_eq!(stored.version, row.version);
    }
}

/// Rows another worker holds are skipped, not waited for (PostgreSQL only: SQLite has
/// one writer and no row locks).
#[tokio::test]
async fn rows_locked_by_another_worker_are_skipped() {
    use diesel::connection::SimpleConnection;

    let app = spawn_bare_app(&[]).await;
    if !app.database.is_postgres() {
        return;
    }
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(json!([chuo_feature()]))).await;
    let rows = store_rentals(&app.db, |org| {
        (1..=4)
            .map(|n| rental(org, n, &format!("北1条西2丁目{n}"), "pending"))
            .collect()
    })
    .await;
    let held: Vec<String> = rows[..2].iter().map(|r| format!("'{}'", r.id)).collect();
    let mut other_worker = app.db.get().unwrap();
    other_worker
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM rentals WHERE id IN ({}) FOR UPDATE;",
            held.join(",")
        ))
        .unwrap();

    let geocoder = geocoder_for(&server);
    let worker = geocode_pending(&app.db, &geocoder, 4);
    let stored = tokio::time::timeout(Duration::from_secs(10), worker)
        .await
        .expect("the worker waited for locked rows instead of skipping them")
        .unwrap();
    assert_eq!(stored, 2);
    other_worker.batch_execute("ROLLBACK;").unwrap();
    for (i, row) in rows.iter().enumerate() {
        let expected = if i < 2 { "pending" } else { "geocoded" };
        assert_eq!(read(&app.db, &row.id).await.geocode_status, expected);
    }
}
