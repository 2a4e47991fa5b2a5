//! `POST /api/v1/rentals/import`: CSV files in UTF-8 and Shift_JIS, all or nothing by
//! default with a report of every bad cell, `?mode=partial` to keep the good rows.

use reqwest::{Response, StatusCode};
use serde_json::Value;
use sumai_link::search::RentalIndex;

use crate::helpers::{TestApp, assert_problem, problem_fields, spawn_app, spawn_app_with};

const CSV: &str = "text/csv";
const CSV_SJIS: &str = "text/csv; charset=shift_jis";

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn example_text() -> String {
    String::from_utf8(example("rentals.csv")).unwrap()
}

/// The example's header and its rows, split into cells (the example has no quoted
/// commas).
fn example_rows() -> (String, Vec<Vec<String>>) {
    let text = example_text();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_owned();
    let rows = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn column(header: &str, name: &str) -> usize {
    header.split(',').position(|c| c == name).unwrap()
}

fn file_of(header: &str, rows: &[Vec<String>]) -> String {
    let mut out = format!("{header}\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out
}

async fn import(
    app: &TestApp,
    account: &str,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> Response {
    app.client
        .post(app.url(&format!("/api/v1/rentals/import{query}")))
        .bearer_auth(app.token(account).await)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(got, status, "{body}");
    body
}

/// (row, column) of every entry of a report.
fn cells(report: &Value) -> Vec<(u64, String)> {
    report["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["row"].as_u64().unwrap(),
                i["column"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn registration_numbers_of_mine(app: &TestApp, account: &str) -> Vec<String> {
    let body = json_of(
        app.get("/api/v1/rentals/mine?limit=200", account).await,
        StatusCode::OK,
    )
    .await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["registration_number"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_total(app: &TestApp, account: &str) -> u64 {
    let body = json_of(
        app.get("/api/v1/rentals?limit=1", account).await,
        StatusCode::OK,
    )
    .await;
    body["total"].as_u64().unwrap()
}

async fn audit_imports(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.db
        .run(|conn| {
            use diesel::RunQueryDsl;
            let rows: Vec<N> = diesel::sql_query(
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'import' AND object_type = 'rental'",
            )
            .load(conn)?;
            Ok(rows.first().map_or(0, |r| r.n))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_landlord_imports_the_example_file_and_finds_its_rentals_at_once() {
    let app = spawn_app().await;
    let before = app.count("rentals").await;
    let mine_before = registration_numbers_of_mine(&app, "landlord").await.len() as u64;
    // The index of another replica, loaded before the import.
    let other = std::sync::Arc::new(RentalIndex::new());
    let loading = other.clone();
    let loaded = app
        .db
        .run(move |conn| Ok(loading.load_all(conn)?))
        .await
        .unwrap();

    let res = import(&app, "landlord", "", CSV, example("rentals.csv")).await;
    let body = json_of(res, StatusCode::CREATED).await;
    assert_eq!(body["imported"], 10, "{body}");
    assert_eq!(body["rejected"], 0);
    assert_eq!(body["searchable"], true);
    assert_eq!(app.count("rentals").await, before + 10);
    assert_eq!(audit_imports(&app).await, 1);

    let mine = registration_numbers_of_mine(&app, "landlord").await;
    for n in 1..=10 {
        let number = format!("01-{:07}", 1_000_000 + n);
        assert!(mine.contains(&number), "{number} not in mine");
    }
    // The importing replica's search index has them as soon as the import answers;
    // another replica's at its next poll of the change log (one entry for the import).
    assert_eq!(search_total(&app, "landlord").await, mine_before + 10);
    let polling = other.clone();
    app.db
        .run(move |conn| Ok(polling.poll(conn)?))
        .await
        .unwrap();
    assert_eq!(other.len(), loaded + 10);

    // Stored as the landlord's, with an "import" history entry; the row without
    // coordinates waits for the geocoder.
    let items = json_of(
        app.get("/api/v1/rentals/mine?limit=200", "landlord").await,
        StatusCode::OK,
    )
    .await;
    let last = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["registration_number"] == "01-1000010")
        .unwrap()
        .clone();
    assert_eq!(last["geocode_status"], "pending");
    assert_eq!(last["owner_org_id"], app.org_of("landlord").await.as_str());
    assert_eq!(last["structure"], "src");
    assert_eq!(last["accepted_categories"][0], "disability_intellectual");
    let id = last["id"].as_str().unwrap();
    let history = json_of(
        app.get(&format!("/api/v1/rentals/{id}/history"), "landlord")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history[0]["action"], "import");
    assert_eq!(history[0]["version"], 1);
    let imported_rent = history[0]["rental"]["rent"].clone();
    assert_eq!(imported_rent, last["rent"]);

    // The imported version keeps its state in the history once it is replaced.
    let res = app
        .patch(
            &format!("/api/v1/rentals/{id}"),
            "landlord",
            Some("\"1\""),
            serde_json::json!({"rent": 45_678}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let history = json_of(
        app.get(&format!("/api/v1/rentals/{id}/history"), "landlord")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    assert_eq!(history[0]["action"], "import");
    assert_eq!(history[0]["rental"]["rent"], imported_rent);
    assert_eq!(history[0]["rental"]["version"], 1);
    assert_eq!(history[1]["action"], "update");
    assert_eq!(history[1]["rental"]["rent"], 45_678);
}

#[tokio::test]
async fn a_shift_jis_file_is_imported_by_its_charset_or_recognised_without_one() {
    let app = spawn_app().await;
    let sjis = example("rentals-sjis.csv");
    assert!(std::str::from_utf8(&sjis).is_err());
    let body = json_of(
        import(&app, "landlord", "", CSV_SJIS, sjis.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(body["imported"], 10);
    let names = json_of(
        app.get("/api/v1/rentals/mine?limit=200", "landlord").await,
        StatusCode::OK,
    )
    .await;
    assert!(
        names["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["building_name"] == "緑ヶ丘ハイツ"
                && r["registration_number"] == "01-1000005"),
        "the names were decoded"
    );

    // Without a charset the same bytes are recognised as Shift_JIS: the header reads
    // (no unknown columns) and every row is the one just stored.
    let problem = assert_problem(import(&app, "landlord", "", CSV, sjis).await, 422).await;
    let report = cells(&problem);
    assert_eq!(report.len(), 10, "{problem}");
    assert!(report.iter().all(|(_, c)| c == "登録番号"), "{problem}");
}

fn three_bad_rows() -> String {
    let (header, mut rows) = example_rows();
    rows[1][column(&header, "家賃")] = "四万二千".into();
    rows[4][column(&header, "間取り")] = "7LDK".into();
    rows[7][column(&header, "登録日")] = "2024-13-01".into();
    file_of(&header, &rows)
}

#[tokio::test]
async fn bad_rows_fail_the_whole_import_and_each_bad_cell_is_reported() {
    let app = spawn_app().await;
    let (rentals, history) = (
        app.count("rentals").await,
        app.count("rental_history").await,
    );
    let problem = assert_problem(
        import(&app, "landlord", "?mode=all", CSV, three_bad_rows()).await,
        422,
    )
    .await;
    assert_eq!(problem["type"], "/problems/validation");
    assert_eq!(problem["rejected"], 3);
    assert_eq!(problem["unlisted"], 0);
    assert_eq!(
        cells(&problem),
        [
            (2, "家賃".to_owned()),
            (5, "間取り".to_owned()),
            (8, "登録日".to_owned())
        ]
    );
    assert_eq!(
        problem_fields(&problem),
        ["row 2: 家賃", "row 5: 間取り", "row 8: 登録日"]
    );
    // Row n is on line n + 1 (no line breaks inside cells).
    assert_eq!(problem["report"][0]["line"], 3);
    assert!(
        problem["report"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("layout"),
        "{problem}"
    );
    assert_eq!(app.count("rentals").await, rentals, "nothing was stored");
    assert_eq!(app.count("rental_history").await, history);
    assert_eq!(audit_imports(&app).await, 0);
}

#[tokio::test]
async fn partial_mode_keeps_the_good_rows_and_reports_the_others() {
    let app = spawn_app().await;
    let before = app.count("rentals").await;
    let body = json_of(
        import(&app, "landlord", "?mode=partial", CSV, three_bad_rows()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["imported"], 7, "{body}");
    assert_eq!(body["rejected"], 3);
    assert_eq!(
        cells(&body),
        [
            (2, "家賃".to_owned()),
            (5, "間取り".to_owned()),
            (8, "登録日".to_owned())
        ]
    );
    assert_eq!(app.count("rentals").await, before + 7);
    let mine = registration_numbers_of_mine(&app, "landlord").await;
    assert!(mine.contains(&"01-1000001".to_owned()));
    assert!(!mine.contains(&"01-1000002".to_owned()));
}

#[tokio::test]
async fn duplicate_registrations_in_the_file_and_in_the_register_are_reported() {
    let app = spawn_app().await;
    let (header, rows) = example_rows();
    json_of(
        import(&app, "landlord", "", CSV, file_of(&header, &rows[..3])).await,
        StatusCode::CREATED,
    )
    .await;
    // Row 1 is registered already; row 5 repeats row 2 (same number and unit).
    let again = vec![
        rows[0].clone(),
        rows[5].clone(),
        rows[6].clone(),
        rows[7].clone(),
        rows[5].clone(),
    ];
    let before = app.count("rentals").await;
    let problem = assert_problem(
        import(&app, "landlord", "", CSV, file_of(&header, &again)).await,
        422,
    )
    .await;
    assert_eq!(
        cells(&problem),
        [(1, "登録番号".to_owned()), (5, "登録番号".to_owned())],
        "{problem}"
    );
    let reasons: Vec<&str> = problem["report"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("already registered"), "{reasons:?}");
    assert!(reasons[1].contains("row 2"), "{reasons:?}");
    assert_eq!(app.count("rentals").await, before);
}

#[tokio::test]
async fn only_csv_is_accepted() {
    let app = spawn_app().await;
    for ct in ["application/json", "text/plain", "text/csv; charset=euc-jp"] {
        let res = import(&app, "landlord", "", ct, example("rentals.csv")).await;
        assert_problem(res, 415).await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/rentals/import"))
        .bearer_auth(app.token("landlord").await)
        .body(example("rentals.csv"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 415).await;
}

#[tokio::test]
async fn a_file_over_the_import_limit_is_refused_whether_its_length_is_known_or_not() {
    let app = spawn_app_with(&[("SUMAI_IMPORT_MAX_BYTES", "2048")]).await;
    let before = app.count("rentals").await;
    let file = example("rentals.csv");
    assert!(file.len() > 2048);
    assert_problem(import(&app, "landlord", "", CSV, file.clone()).await, 413).await;
    // Chunked, without Content-Length: cut off while streaming.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        file.chunks(500).map(|c| Ok(c.to_vec())).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    assert_problem(import(&app, "landlord", "", CSV, body).await, 413).await;
    assert_eq!(app.count("rentals").await, before);
    // A small file is fine: the limit is the import's own, not the JSON body limit.
    let (header, rows) = example_rows();
    json_of(
        import(&app, "landlord", "", CSV, file_of(&header, &rows[..2])).await,
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn the_import_limit_is_not_the_json_body_limit() {
    let app = spawn_app_with(&[("SUMAI_BODY_LIMIT_BYTES", "1024")]).await;
    let body = json_of(
        import(&app, "landlord", "", CSV, example("rentals.csv")).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(body["imported"], 10);
}

#[tokio::test]
async fn support_offices_and_viewers_may_not_import() {
    let app = spawn_app().await;
    for account in ["office", "office-viewer", "corp", "council"] {
        let res = import(&app, account, "", CSV, example("rentals.csv")).await;
        assert_problem(res, 403).await;
    }
    let res = app
        .client
        .post(app.url("/api/v1/rentals/import"))
        .header("Content-Type", CSV)
        .body(example("rentals.csv"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 401).await;
}

#[tokio::test]
async fn an_agent_names_the_owner_on_every_row() {
    let app = spawn_app().await;
    let problem = assert_problem(
        import(&app, "agent", "", CSV, example("rentals.csv")).await,
        422,
    )
    .await;
    assert_eq!(problem["rejected"], 10);
    assert!(
        cells(&problem).iter().all(|(_, c)| c == "所有者ID"),
        "{problem}"
    );

    let (header, mut rows) = example_rows();
    let owner = app.org_of("landlord2").await;
    let office = app.org_of("office").await;
    for (i, r) in rows.iter_mut().enumerate() {
        r[column(&header, "所有者ID")] = if i == 3 {
            office.clone()
        } else {
            owner.clone()
        };
    }
    let body = json_of(
        import(&app, "agent", "?mode=partial", CSV, file_of(&header, &rows)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["imported"], 9, "{body}");
    assert_eq!(cells(&body), [(4, "所有者ID".to_owned())]);
    assert!(
        body["report"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("landlord"),
        "{body}"
    );
    let agent = app.org_of("agent").await;
    let managed = json_of(
        app.get("/api/v1/rentals/mine?limit=200", "landlord2").await,
        StatusCode::OK,
    )
    .await;
    let imported: Vec<&Value> = managed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["registration_number"]
                .as_str()
                .unwrap()
                .starts_with("01-10000")
        })
        .collect();
    assert_eq!(imported.len(), 9);
    assert!(imported.iter().all(|r| r["agent_org_id"] == agent.as_str()));
}

#[tokio::test]
async fn a_bad_header_is_reported_before_any_row() {
    let app = spawn_app().await;
    let (header, rows) = example_rows();
    let header = header.replace("家賃", "賃料").replace("備考", "colour");
    let problem = assert_problem(
        import(&app, "landlord", "", CSV, file_of(&header, &rows)).await,
        422,
    )
    .await;
    let fields = problem_fields(&problem);
    assert!(fields.contains(&"header: 賃料".to_owned()), "{fields:?}");
    assert!(fields.contains(&"header: colour".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"header: rent".to_owned()),
        "missing 家賃: {fields:?}"
    );
    assert_problem(import(&app, "landlord", "", CSV, "").await, 422).await;
    let only_header = format!("{}\n", example_rows().0);
    assert_problem(import(&app, "landlord", "", CSV, only_header).await, 422).await;
}

/// Good rows are stored batch by batch as the file is read; in `all` mode a bad row
/// far down the file rolls back the batches already written.
#[tokio::test]
async fn a_bad_row_after_thousands_of_good_ones_rolls_back_the_whole_import() {
    let app = spawn_app().await;
    let (header, rows) = example_rows();
    let number = column(&header, "登録番号");
    let rent = column(&header, "家賃");
    let many: Vec<Vec<String>> = (0..12_000)
        .map(|i| {
            let mut r = rows[0].clone();
            r[number] = format!("01-{:07}", 3_000_000 + i);
            if i == 11_500 {
                r[rent] = "-1".into();
            }
            r
        })
        .collect();
    let before = app.count("rentals").await;
    let problem = assert_problem(
        import(&app, "landlord", "", CSV, file_of(&header, &many)).await,
        422,
    )
    .await;
    assert_eq!(problem["rejected"], 1);
    assert_eq!(cells(&problem), [(11_501, "家賃".to_owned())]);
    assert_eq!(app.count("rentals").await, before, "nothing was kept");
    assert_eq!(app.count("rental_imports").await, 0);
    assert_eq!(audit_imports(&app).await, 0);

    // The same rows without the bad one: all stored, found by their registrations.
    let good: Vec<Vec<String>> = many
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != 11_500)
        .map(|(_, r)| r)
        .collect();
    let res = import(&app, "landlord", "", CSV, file_of(&header, &good)).await;
    let body = json_of(res, StatusCode::CREATED).await;
    assert_eq!(body["imported"], 11_999);
    assert_eq!(app.count("rentals").await, before + 11_999);
    assert_eq!(app.count("rental_imports").await, 1);
}
