//! The clients of the match benchmark and the PostGIS queries doing the matcher's
//! filtering and ordering for them (see `matches.rs`).

use chrono::{Duration as Days, NaiveDate};
use serde_json::{Value, json};
use sumai_link::datagen::{self, Rng};
use sumai_link::domain::rental::query::days_since_epoch;
use sumai_link::domain::rental::{Accessibility, Category, Condition};

use crate::{Bind, LIMIT, MAX_MONTHLY_TOTAL, MIN_AREA_M2, RADIUS_M};

const CLIENT_SEED: u64 = 20_261_124;

/// One client's needs: sent to the API, and bound into the PostGIS queries.
pub(crate) struct ClientSpec {
    pub(crate) code: String,
    pub(crate) city: String,
    lat: f64,
    lon: f64,
    /// (kind, name, lat, lon, weight)
    places: [(&'static str, String, f64, f64, u8); 2],
    layouts: &'static [&'static str],
    move_in: NaiveDate,
    accessibility: Option<&'static str>,
    pets: bool,
}

impl ClientSpec {
    pub(crate) fn client_body(&self, responsible: &str) -> Value {
        json!({
            "display_code": self.code,
            "name": format!("ベンチ 利用者 {}", self.code),
            "date_of_birth": "1980-04-01",
            "categories": ["disability_mental"],
            "current_place": "hospital",
            "target_move_date": self.move_in.to_string(),
            "responsible_user_id": responsible,
            "services": [],
        })
    }

    pub(crate) fn needs_body(&self) -> Value {
        json!({
            "max_monthly_total": MAX_MONTHLY_TOTAL,
            "housing_allowance_limit": null,
            "municipalities": [],
            "around": {"lat": self.lat, "lon": self.lon, "radius_m": RADIUS_M as i32},
            "places": self.places.iter().map(|(kind, name, lat, lon, weight)| json!({
                "kind": kind, "name": name, "lat": lat, "lon": lon, "weight": weight,
            })).collect::<Vec<_>>(),
            "accessibility_musts": self.accessibility.into_iter().collect::<Vec<_>>(),
            "min_area_m2": MIN_AREA_M2,
            "preferred_layouts": self.layouts,
            "needs_pets": self.pets,
            "ground_floor_or_elevator": false,
            "own_words": "通院先の近くで、静かなところに一人で住みたい。",
        })
    }

    /// The day the rental must be free by, as the route computes it (never before today).
    fn move_by(&self, today: NaiveDate) -> i32 {
        days_since_epoch(self.move_in.max(today))
    }

    /// Binds of [`FILTERS`].
    fn filter_binds(&self, today: NaiveDate) -> Vec<Bind> {
        let cats = Category::DisabilityMental.bit() as i32;
        let access = self.accessibility.map_or(0, |a| {
            Accessibility::parse(a).expect("accessibility").bit() as i32
        });
        vec![
            Bind::Int(self.move_by(today)),
            Bind::Int(MAX_MONTHLY_TOTAL),
            // No 住宅扶助 limit.
            Bind::Int(i32::MAX),
            Bind::Int(cats),
            Bind::Int(cats),
            Bind::Int(access),
            Bind::Int(access),
            Bind::Int(i32::from(self.pets)),
            // Not ground_floor_or_elevator.
            Bind::Int(0),
            Bind::Float(self.lon),
            Bind::Float(self.lat),
            Bind::Float(RADIUS_M),
        ]
    }

    pub(crate) fn scored_binds(&self, today: NaiveDate) -> Vec<Bind> {
        let [(_, _, lat1, lon1, w1), (_, _, lat2, lon2, w2)] = &self.places;
        let (w1, w2) = (f64::from(*w1), f64::from(*w2));
        let min = MIN_AREA_M2;
        let mut binds = vec![
            Bind::Float(w1),
            Bind::Float(*lon1),
            Bind::Float(*lat1),
            Bind::Float(w2),
            Bind::Float(*lon2),
            Bind::Float(*lat2),
            Bind::Float(w1),
            Bind::Float(w2),
            Bind::Int(MAX_MONTHLY_TOTAL),
            Bind::Int(MAX_MONTHLY_TOTAL),
            Bind::Float(min),
            Bind::Float(min),
            Bind::Float(min),
            Bind::Text(self.layouts.join(",")),
            Bind::Int(support_mask() as i32),
        ];
        binds.extend(self.filter_binds(today));
        binds
    }

    pub(crate) fn knn_binds(&self, today: NaiveDate) -> Vec<Bind> {
        let mut binds = self.filter_binds(today);
        binds.extend([Bind::Float(self.lon), Bind::Float(self.lat)]);
        binds
    }
}

/// What the office offers the landlords' conditions without a 居住支援法人 (the route's
/// `support`: the bench's clients have consented to no sharing).
fn support_mask() -> u32 {
    Condition::SupportOffice.bit()
        | Condition::SupportSheet.bit()
        | Condition::EmergencyContact.bit()
}

/// The matcher's hard filters (`domain::matching::misses`) for a client with a point and
/// radius and no municipalities; the partial GiST index's predicate comes first. Binds:
/// move-by day (days since 1970-01-01), budget, 住宅扶助 limit, categories ×2,
/// accessibility ×2, pets (0/1), step-free (0/1), lon, lat, radius. `ST_DWithin` on the
/// sphere, as the service's haversine distance.
const FILTERS: &str = "FROM rentals \
     WHERE vacancy = 'vacant' AND deleted_at IS NULL \
     AND (vacant_from IS NULL OR vacant_from <= DATE '1970-01-01' + {}) \
     AND rent + common_fee <= {} AND rent <= {} \
     AND (accepted_categories & {}) = {} AND (accessibility & {}) = {} \
     AND (pets_allowed OR {} = 0) AND (unit_floor <= 1 OR elevator OR {} = 0) \
     AND ST_DWithin(geog, ST_MakePoint({}, {})::geography, {}, false)";

/// m3: the score of `domain::matching::score`, part by part in the same order — distance
/// to the two places (weights w1, w2; full marks at the door, half at 1.5 km), budget
/// headroom, floor area against the minimum, preferred layout, step-free, the landlord's
/// conditions the office can meet (`support_mask`), 見守り/保証 — out of 100, rounded to 0.1
/// (half up, as `f64::round` for a positive score); then the id byte by byte, as `rank`
/// compares the strings.
pub(crate) fn scored_sql() -> String {
    format!(
        "SELECT id FROM (SELECT id, floor(100.0 * ( \
           35.0 * ({{}} / (1.0 + ST_Distance(geog, ST_MakePoint({{}}, {{}})::geography, false) / 1500.0) \
                 + {{}} / (1.0 + ST_Distance(geog, ST_MakePoint({{}}, {{}})::geography, false) / 1500.0)) \
                / ({{}} + {{}}) \
         + 15.0 * LEAST(0.5 + ({{}} - (rent + common_fee))::float8 / {{}}, 1.0) \
         + CASE WHEN floor_area_m2 / {{}} >= 1.0 \
                THEN 10.0 * (0.7 + 0.6 * (LEAST(floor_area_m2 / {{}}, 1.5) - 1.0)) \
                ELSE 10.0 * 0.7 * (floor_area_m2 / {{}}) END \
         + CASE WHEN layout = ANY(string_to_array({{}}, ',')) THEN 10.0 ELSE 0.0 END \
         + CASE WHEN unit_floor <= 1 OR elevator THEN 5.0 ELSE 0.0 END \
         + CASE WHEN conditions = 0 THEN 15.0 \
                ELSE 15.0 * bit_count((conditions & {{}})::bit(8))::float8 \
                     / bit_count(conditions::bit(8)) END \
         + 10.0 * (CASE WHEN support_housing THEN 0.6 ELSE 0.0 END \
                 + CASE WHEN guarantee_company_accepted THEN 0.4 ELSE 0.0 END) \
         ) / 100.0 * 10.0 + 0.5) / 10.0 AS score {FILTERS}) AS m \
         ORDER BY score DESC, id COLLATE \"C\" LIMIT {LIMIT}"
    )
}

/// m4: the same filters, nearest to the client's point first.
pub(crate) fn knn_sql() -> String {
    format!(
        "SELECT id {FILTERS} ORDER BY geog <-> ST_MakePoint({{}}, {{}})::geography LIMIT {LIMIT}"
    )
}

/// A point uniformly within `metres` of (lat, lon), to 6 decimals.
fn near(rng: &mut Rng, lat: f64, lon: f64, metres: f64) -> (f64, f64) {
    let r = metres * rng.unit().sqrt();
    let th = 2.0 * std::f64::consts::PI * rng.unit();
    let lat2 = lat + r * th.cos() / 111_320.0;
    let lon2 = lon + r * th.sin() / (111_320.0 * lat.to_radians().cos());
    ((lat2 * 1e6).round() / 1e6, (lon2 * 1e6).round() / 1e6)
}

pub(crate) fn clients(n: usize, today: NaiveDate) -> Vec<ClientSpec> {
    const LAYOUTS: [&[&str]; 3] = [&["1K", "1DK"], &["1DK", "1LDK"], &["1R", "1K", "1DK"]];
    let cities = datagen::cities();
    let total: f64 = cities.iter().map(|c| c.population_thousands).sum();
    let mut rng = Rng::new(CLIENT_SEED);
    (0..n)
        .map(|i| {
            let city = if i < cities.len() {
                &cities[i]
            } else {
                let mut x = rng.unit() * total;
                cities
                    .iter()
                    .find(|c| {
                        x -= c.population_thousands;
                        x < 0.0
                    })
                    .unwrap_or(&cities[cities.len() - 1])
            };
            let (lat, lon) = near(&mut rng, city.lat, city.lon, 1000.0);
            let (clat, clon) = near(&mut rng, lat, lon, 2000.0);
            let (dlat, dlon) = near(&mut rng, lat, lon, 3000.0);
            ClientSpec {
                code: format!("BENCH-{i:04}"),
                city: city.name.clone(),
                lat,
                lon,
                places: [
                    (
                        "clinic",
                        format!("{}こころのクリニック", city.name_ja),
                        clat,
                        clon,
                        3 + rng.below(3) as u8,
                    ),
                    (
                        "day_program",
                        format!("就労継続支援B型 {}", city.name_ja),
                        dlat,
                        dlon,
                        1 + rng.below(3) as u8,
                    ),
                ],
                layouts: LAYOUTS[i % LAYOUTS.len()],
                move_in: today + Days::days(7 + rng.below(54) as i64),
                accessibility: (i % 10 == 9).then_some("handrails"),
                pets: i % 25 == 24,
            }
        })
        .collect()
}
