//! The client of the GSI (国土地理院) address search that places a rental registered
//! without coordinates, and the background worker that places the pending ones.
//!
//! A wrong point is worse than none: matching measures distances from it. So an answer
//! is used only when it lies in the rental's prefecture and municipality, names more
//! than the municipality itself, and is inside Japan; anything else is
//! [`Placement::Failed`] with the reason, and the rental keeps no point.

use std::time::Duration;

use serde::Deserialize;

use crate::db::rentals::{self, GeocodeOutcome, PendingGeocode};
use crate::db::{self, Backend, Db, DbConn};
use crate::domain::organization::prefecture_name;
use crate::domain::rental::{Coordinates, GeocodeStatus, Placement};
use crate::error::{ApiError, ApiResult};

/// GSI's address search: `GET ?q=<address>` → a JSON array of GeoJSON point features.
pub const GSI_ADDRESS_SEARCH: &str = "https://msearch.gsi.go.jp/address-search/AddressSearch";

/// The largest answer read; GSI's lists are a few kilobytes.
const MAX_BODY: usize = 1 << 20;
/// Addresses the worker places at once: GSI is a free public service, and on
/// PostgreSQL the claimed rows stay locked until the whole batch is stored.
const CONCURRENCY: usize = 4;

/// The GSI address-search client; cheap to clone (the HTTP client's pool is shared).
#[derive(Debug, Clone)]
pub struct Geocoder {
    base_url: Option<String>,
    client: Result<reqwest::Client, String>,
    timeout: Duration,
}

impl Geocoder {
    /// None = geocoding switched off (every call answers Placement::Pending).
    pub fn new(base_url: Option<String>, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("sumai-link/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the geocoder's HTTP client could not be built: {e}"));
        Self {
            base_url: base_url.filter(|u| !u.trim().is_empty()),
            client,
            timeout,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.base_url.is_some()
    }

    /// Places an address; never errors: failure is Placement::Failed(reason).
    pub async fn place(
        &self,
        prefecture_code: &str,
        municipality_code: &str,
        municipality_name: &str,
        address_line: &str,
    ) -> Placement {
        let Some(base) = &self.base_url else {
            return Placement::Pending;
        };
        let target = match Target::new(
            prefecture_code,
            municipality_code,
            municipality_name,
            address_line,
        ) {
            Ok(t) => t,
            Err(reason) => return Placement::Failed(reason),
        };
        let found = self.search(base, &target.query()).await;
        match found.and_then(|features| choose(&features, &target)) {
            Ok(c) => Placement::Geocoded {
                lat: c.lat,
                lon: c.lon,
            },
            Err(reason) => {
                // The address of a rental is not personal data; the reason names it.
                tracing::info!(%reason, "an address could not be geocoded");
                Placement::Failed(reason)
            }
        }
    }

    async fn search(&self, base: &str, query: &str) -> Result<Vec<Feature>, String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let mut url = reqwest::Url::parse(base)
            .map_err(|e| format!("the geocoder URL {base} is not a URL: {e}"))?;
        url.query_pairs_mut().append_pair("q", query);
        let mut res = client
            .get(url)
            .send()
            .await
            .map_err(|e| self.no_answer(e))?;
        if !res.status().is_success() {
            return Err(format!(
                "the geocoder did not answer: HTTP status {}",
                res.status()
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| self.no_answer(e))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY {
                return Err("the geocoder's answer is larger than 1 MiB".into());
            }
        }
        parse_features(&body)
    }

    fn no_answer(&self, e: reqwest::Error) -> String {
        let why = if e.is_timeout() {
            format!("no answer within {} ms", self.timeout.as_millis())
        } else {
            // The source chain says what happened (refused, reset, DNS); the URL (with
            // the address) is left out: the reason is stored and shown as it is.
            let e = e.without_url();
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            why
        };
        format!("the geocoder did not answer: {why}")
    }
}

/// One GeoJSON feature of GSI's answer.
#[derive(Debug, Deserialize)]
struct Feature {
    geometry: Geometry,
    #[serde(default)]
    properties: Properties,
}

#[derive(Debug, Deserialize)]
struct Geometry {
    /// [longitude, latitude]
    coordinates: Vec<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct Properties {
    /// The 5-digit municipality code (no check digit), sometimes empty.
    #[serde(rename = "addressCode", default)]
    address_code: String,
    #[serde(default)]
    title: String,
}

impl Feature {
    fn code5(&self) -> Option<&str> {
        let code = self.properties.address_code.trim();
        (code.len() >= 5 && code.is_char_boundary(5)).then(|| &code[..5])
    }

    fn title(&self) -> &str {
        self.properties.title.trim()
    }

    /// " (at 北海道小樽市…)", or nothing when GSI gave no title.
    fn at(&self) -> String {
        match self.title() {
            "" => String::new(),
            t => format!(" (at {t})"),
        }
    }
}

/// A non-empty JSON array whose items are features; items that are not are skipped.
fn parse_features(body: &[u8]) -> Result<Vec<Feature>, String> {
    let not_places = || "the geocoder's answer is not a list of places".to_owned();
    let items: Vec<serde_json::Value> = serde_json::from_slice(body).map_err(|_| not_places())?;
    let n = items.len();
    let features: Vec<Feature> = items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    if n > 0 && features.is_empty() {
        return Err(not_places());
    }
    Ok(features)
}

/// The address being placed.
#[derive(Debug)]
struct Target<'a> {
    prefecture_code: &'a str,
    prefecture_name: &'static str,
    municipality_code5: Option<&'a str>,
    municipality_name: &'a str,
    address_line: &'a str,
}

impl<'a> Target<'a> {
    fn new(
        prefecture_code: &'a str,
        municipality_code: &'a str,
        municipality_name: &'a str,
        address_line: &'a str,
    ) -> Result<Self, String> {
        let prefecture_code = prefecture_code.trim();
        let prefecture_name = prefecture_name(prefecture_code)
            .ok_or_else(|| format!("unknown prefecture code {prefecture_code}"))?;
        let municipality_name = municipality_name.trim();
        // Landlords sometimes repeat the prefecture and city in the street part.
        let mut address_line = address_line.trim();
        address_line = address_line
            .strip_prefix(prefecture_name)
            .unwrap_or(address_line);
        if !municipality_name.is_empty() {
            address_line = address_line
                .strip_prefix(municipality_name)
                .unwrap_or(address_line);
        }
        let address_line = address_line.trim();
        if municipality_name.is_empty() || address_line.is_empty() {
            return Err("the address has no municipality or no street part to place".into());
        }
        let code = municipality_code.trim();
        Ok(Self {
            prefecture_code,
            prefecture_name,
            municipality_code5: (code.len() >= 5 && code.is_char_boundary(5)).then(|| &code[..5]),
            municipality_name,
            address_line,
        })
    }

    fn query(&self) -> String {
        format!(
            "{}{}{}",
            self.prefecture_name, self.municipality_name, self.address_line
        )
    }

    fn in_prefecture(&self, f: &Feature) -> bool {
        match f.code5() {
            Some(code) => code.starts_with(self.prefecture_code),
            None => f.title().starts_with(self.prefecture_name),
        }
    }

    fn code_matches(&self, f: &Feature) -> bool {
        f.code5().is_some() && f.code5() == self.municipality_code5
    }

    /// The title names the municipality: how a designated city (札幌市 01100) accepts
    /// its wards' codes (01101…).
    fn name_matches(&self, f: &Feature) -> bool {
        f.title().contains(self.municipality_name)
    }

    /// The feature's point, unless it is outside Japan or only the municipality (or
    /// a ward of it) was found: GSI answers a street it does not know with the
    /// centroid of the town or city, which would be a wrong point for a rental.
    fn point(&self, f: &Feature) -> Result<Coordinates, String> {
        let title = f.title();
        if title == self.prefecture_name
            || title.ends_with(self.municipality_name)
            || title.ends_with('区')
            || title.ends_with('郡')
        {
            return Err(format!(
                "the geocoder found only {title}, not the address itself"
            ));
        }
        match f.geometry.coordinates[..] {
            [lon, lat, ..] => Coordinates::parse(lat, lon)
                .map_err(|_| format!("the geocoder gave a point outside Japan{}", f.at())),
            _ => Err(format!("the geocoder gave no point{}", f.at())),
        }
    }
}

/// The point to store, from GSI's features in its order of relevance: features with
/// the rental's municipality code first, then those whose title names it; both in the
/// rental's prefecture.
fn choose(features: &[Feature], target: &Target) -> Result<Coordinates, String> {
    let Some(first) = features.first() else {
        return Err("the address was not found".into());
    };
    let in_prefecture: Vec<&Feature> = features
        .iter()
        .filter(|f| target.in_prefecture(f))
        .collect();
    let Some(first_in_prefecture) = in_prefecture.first() else {
        return Err(format!(
            "the geocoder placed the address outside {}{}",
            target.prefecture_name,
            first.at()
        ));
    };
    let by_code = in_prefecture.iter().filter(|f| target.code_matches(f));
    let by_name = in_prefecture
        .iter()
        .filter(|f| !target.code_matches(f) && target.name_matches(f));
    let mut first_error = None;
    for f in by_code.chain(by_name) {
        match target.point(f) {
            Ok(point) => return Ok(point),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        format!(
            "the geocoder placed the address outside {}{}",
            target.municipality_name,
            first_in_prefecture.at()
        )
    }))
}

/// Places up to `batch` live rentals waiting for a point and stores each result
/// (`geocoded` with the point, or `failed` with the reason). The landlord's version is
/// left alone; `updated_at` moves so that the search index picks the point up. A
/// rental changed meanwhile is left pending for the next round. Returns how many
/// rentals were stored.
pub async fn geocode_pending(db: &Db, geocoder: &Geocoder, batch: i64) -> Result<usize, ApiError> {
    if !geocoder.is_enabled() || batch <= 0 {
        return Ok(0);
    }
    let stored = match db.backend() {
        Backend::Postgres => claim_place_store(db, geocoder, batch).await?,
        // One writer, so no one to race: read, place (no lock held), store.
        Backend::Sqlite => {
            let pending = db
                .run(move |conn| Ok(rentals::claim_pending_geocoding(conn, batch)?))
                .await?;
            let placed = place_all(geocoder, pending).await;
            db.transaction(move |conn| store_all(conn, &placed)).await?
        }
    };
    if stored > 0 {
        tracing::info!(stored, "geocoded pending rentals");
    }
    Ok(stored)
}

/// PostgreSQL: the rows are claimed `FOR UPDATE SKIP LOCKED` in a transaction held on a
/// blocking thread while the addresses are placed here, so replicas never place the
/// same rental twice. If placing is abandoned the transaction rolls back and the rows
/// stay pending.
async fn claim_place_store(db: &Db, geocoder: &Geocoder, batch: i64) -> ApiResult<usize> {
    let (claimed_tx, claimed_rx) = tokio::sync::oneshot::channel::<Vec<PendingGeocode>>();
    let (placed_tx, placed_rx) = std::sync::mpsc::channel::<Vec<Placed>>();
    let hold = db.transaction(move |conn| {
        let pending = rentals::claim_pending_geocoding(conn, batch)?;
        if pending.is_empty() || claimed_tx.send(pending).is_err() {
            return Ok(0);
        }
        let placed = placed_rx
            .recv()
            .map_err(|_| ApiError::Internal("the geocoding of claimed rentals stopped".into()))?;
        store_all(conn, &placed)
    });
    let place = async move {
        if let Ok(pending) = claimed_rx.await {
            // A send fails only when the transaction already ended; it reports why.
            let _ = placed_tx.send(place_all(geocoder, pending).await);
        }
    };
    tokio::join!(hold, place).0
}

struct Placed {
    id: String,
    version: i32,
    placement: Placement,
}

async fn place_all(geocoder: &Geocoder, pending: Vec<PendingGeocode>) -> Vec<Placed> {
    use futures_util::stream::{self, StreamExt};
    stream::iter(pending)
        .map(|p| async move {
            let placement = geocoder
                .place(
                    &p.prefecture_code,
                    &p.municipality_code,
                    &p.municipality_name,
                    &p.address_line,
                )
                .await;
            Placed {
                id: p.id,
                version: p.version,
                placement,
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

fn store_all(conn: &mut DbConn, placed: &[Placed]) -> ApiResult<usize> {
    let now = db::now();
    let mut stored = 0;
    for p in placed {
        let outcome = match &p.placement {
            Placement::Geocoded { lat, lon } => GeocodeOutcome {
                latitude: Some(*lat),
                longitude: Some(*lon),
                geocode_status: GeocodeStatus::Geocoded.as_str(),
                geocode_detail: None,
                updated_at: now,
            },
            Placement::Failed(reason) => GeocodeOutcome {
                latitude: None,
                longitude: None,
                geocode_status: GeocodeStatus::Failed.as_str(),
                geocode_detail: Some(reason),
                updated_at: now,
            },
            Placement::Pending | Placement::Provided => continue,
        };
        if rentals::store_geocode(conn, &p.id, p.version, &outcome)? {
            stored += 1;
        }
    }
    Ok(stored)
}

/// Places pending rentals (imported or saved while the geocoder was away) every 30
/// seconds, a few at a time, until the process ends. Safe with many replicas: rows are
/// claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL.
pub async fn keep_placing(db: Db, geocoder: std::sync::Arc<Geocoder>) {
    let mut tick = tokio::time::interval(Duration::from_secs(30));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match geocode_pending(&db, &geocoder, 10).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rentals = n, "geocoded pending rentals"),
            Err(e) => tracing::warn!(error = %e, "geocoding pending rentals failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(json: &str) -> Vec<Feature> {
        parse_features(json.as_bytes()).unwrap()
    }

    fn feature(code: &str, title: &str, lon: f64, lat: f64) -> String {
        format!(
            r#"{{"geometry":{{"coordinates":[{lon},{lat}],"type":"Point"}},"type":"Feature","properties":{{"addressCode":"{code}","title":"{title}"}}}}"#
        )
    }

    fn sapporo_chuo() -> Target<'static> {
        Target::new("01", "011011", "札幌市中央区", "北1条西2丁目1-1").unwrap()
    }

    fn sapporo() -> Target<'static> {
        Target::new("01", "011002", "札幌市", "中央区北1条西2丁目1-1").unwrap()
    }

    fn choose_in(items: &[String], target: &Target) -> Result<Coordinates, String> {
        choose(&features(&format!("[{}]", items.join(","))), target)
    }

    #[test]
    fn the_query_is_prefecture_municipality_and_street_without_repeats() {
        assert_eq!(sapporo_chuo().query(), "北海道札幌市中央区北1条西2丁目1-1");
        let repeated = Target::new(
            "01",
            "011011",
            "札幌市中央区",
            " 北海道札幌市中央区北1条西2丁目1-1 ",
        );
        assert_eq!(
            repeated.unwrap().query(),
            "北海道札幌市中央区北1条西2丁目1-1"
        );
        assert!(Target::new("99", "011011", "札幌市中央区", "北1条").is_err());
        assert!(Target::new("01", "011011", "札幌市中央区", "  ").is_err());
    }

    #[test]
    fn geojson_order_is_longitude_then_latitude() {
        let f = feature(
            "01101",
            "北海道札幌市中央区北一条西二丁目",
            141.35437,
            43.06197,
        );
        let c = choose_in(&[f], &sapporo_chuo()).unwrap();
        assert_eq!((c.lat, c.lon), (43.06197, 141.35437));
    }

    #[test]
    fn a_designated_city_accepts_its_wards_by_name() {
        let f = feature(
            "01101",
            "北海道札幌市中央区北一条西二丁目",
            141.35437,
            43.06197,
        );
        assert!(choose_in(&[f], &sapporo()).is_ok());
    }

    #[test]
    fn the_municipality_code_wins_over_an_earlier_name_match() {
        let elsewhere = feature("01102", "北海道札幌市北区北一条西二丁目", 141.30, 43.10);
        let exact = feature(
            "01101",
            "北海道札幌市中央区北一条西二丁目",
            141.35437,
            43.06197,
        );
        let c = choose_in(&[elsewhere, exact], &sapporo_chuo()).unwrap();
        assert_eq!(c.lon, 141.35437);
    }

    #[test]
    fn an_empty_code_is_judged_by_the_title() {
        let f = feature("", "北海道札幌市中央区北一条西二丁目", 141.35437, 43.06197);
        assert!(choose_in(&[f], &sapporo_chuo()).is_ok());
        let f = feature("", "東京都千代田区丸の内一丁目", 139.76, 35.68);
        let e = choose_in(&[f], &sapporo_chuo()).unwrap_err();
        assert!(e.contains("outside 北海道"), "{e}");
    }

    #[test]
    fn places_elsewhere_are_refused_with_the_reason() {
        let otaru = feature("01203", "北海道小樽市稲穂二丁目", 140.99, 43.19);
        let e = choose_in(&[otaru], &sapporo_chuo()).unwrap_err();
        assert_eq!(
            e,
            "the geocoder placed the address outside 札幌市中央区 (at 北海道小樽市稲穂二丁目)"
        );
        let tokyo = feature("13101", "東京都千代田区北一条", 139.76, 35.68);
        let e = choose_in(&[tokyo], &sapporo_chuo()).unwrap_err();
        assert!(e.contains("outside 北海道"), "{e}");
        assert_eq!(
            choose(&[], &sapporo_chuo()).unwrap_err(),
            "the address was not found"
        );
    }

    #[test]
    fn only_the_city_or_ward_is_not_a_point_for_a_rental() {
        for title in ["北海道札幌市中央区", "北海道札幌市"] {
            let f = feature("01101", title, 141.35, 43.06);
            let e = choose_in(&[f], &sapporo()).unwrap_err();
            assert!(e.contains("found only"), "{title}: {e}");
        }
    }

    #[test]
    fn points_outside_japan_are_never_returned() {
        let swapped = feature("01101", "北海道札幌市中央区北一条西二丁目", 43.06, 141.35);
        let e = choose_in(&[swapped], &sapporo_chuo()).unwrap_err();
        assert!(e.contains("outside Japan"), "{e}");
        let good = feature("01101", "北海道札幌市中央区北一条西三丁目", 141.35, 43.06);
        let swapped = feature("01101", "北海道札幌市中央区北一条西二丁目", 43.06, 141.35);
        assert!(choose_in(&[swapped, good], &sapporo_chuo()).is_ok());
    }

    #[test]
    fn answers_that_are_not_feature_lists_are_refused() {
        for body in ["<html>busy</html>", "{}", "[1,2]", ""] {
            assert!(parse_features(body.as_bytes()).is_err(), "{body}");
        }
        assert!(parse_features(b"[]").unwrap().is_empty());
        let mixed = format!("[1,{}]", feature("01101", "x", 141.0, 43.0));
        assert_eq!(parse_features(mixed.as_bytes()).unwrap().len(), 1);
    }
}
