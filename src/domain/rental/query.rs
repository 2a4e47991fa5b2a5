//! A search of the register: filters a support worker asks about, an optional point
//! and radius, and the page wanted. Parsed from the query string with a field error for
//! each bad parameter.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Accessibility, Category, Coordinates, Layout, date};
use crate::domain::organization::MunicipalityCode;
use crate::domain::page::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::domain::validate::Fields;

/// Query parameters of `GET /api/v1/rentals`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// `lat,lon` of the point to search around (needs `radius_m`); results are then
    /// sorted by distance.
    pub near: Option<String>,
    /// Radius around `near` in metres, 1 to 50,000.
    pub radius_m: Option<f64>,
    /// Municipality codes (5 or 6 digits), comma-separated.
    pub municipality_code: Option<String>,
    /// Ceiling of rent + 共益費 in yen.
    pub max_monthly_total: Option<i64>,
    /// Minimum floor area in m².
    pub min_area_m2: Option<f64>,
    /// Layouts (1K, 1DK, 1LDK, …), comma-separated: any of them.
    pub layout: Option<String>,
    /// At least this many rooms.
    pub min_rooms: Option<u8>,
    /// Categories the landlord must accept, comma-separated (all of them).
    pub accepts: Option<String>,
    /// Accessibility features the unit must have, comma-separated (all of them).
    pub accessibility: Option<String>,
    /// Only units with an elevator (true) or without (false).
    pub elevator: Option<bool>,
    /// Only units on the ground floor or served by an elevator.
    pub step_free_access: Option<bool>,
    /// Only units vacant on or before this date (YYYY-MM-DD); `vacant=true` means vacant now.
    pub vacant_by: Option<String>,
    /// Only vacant (true) or occupied (false) units.
    pub vacant: Option<bool>,
    /// Only units that allow pets.
    pub pets: Option<bool>,
    /// Only units with 家賃低廉化 (rent reduction subsidy).
    pub rent_reduction: Option<bool>,
    /// Only certified 居住サポート住宅.
    pub support_housing: Option<bool>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A parsed search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RentalQuery {
    pub near: Option<(Coordinates, f64)>,
    pub municipalities: Vec<u32>,
    pub max_monthly_total: Option<u32>,
    pub min_area_m2: Option<f32>,
    pub layouts: Vec<u8>,
    pub min_rooms: Option<u8>,
    pub accepts: u32,
    pub accessibility: u32,
    pub elevator: Option<bool>,
    pub step_free_access: bool,
    /// Vacant on or before this day (days since 1970-01-01).
    pub vacant_by: Option<i32>,
    pub vacant: Option<bool>,
    pub pets: Option<bool>,
    pub rent_reduction: Option<bool>,
    pub support_housing: Option<bool>,
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

/// Where the previous page ended: the distance (in millimetres, when sorted by
/// distance) and the id of its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub distance_mm: Option<u64>,
    pub id: u128,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self.distance_mm {
            Some(d) => format!("{d}.{:032x}", self.id),
            None => format!("{:032x}", self.id),
        }
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (d, id) = match s.split_once('.') {
            Some((d, id)) => (Some(d.parse().ok()?), id),
            None => (None, s),
        };
        if id.len() != 32 {
            return None;
        }
        Some(Self {
            distance_mm: d,
            id: u128::from_str_radix(id, 16).ok()?,
        })
    }
}

pub const MAX_RADIUS_M: f64 = 50_000.0;

pub fn days_since_epoch(d: NaiveDate) -> i32 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX)
}

fn csv_list(s: &Option<String>) -> Vec<&str> {
    s.as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl SearchParams {
    /// Parses into a query; `today` (Tokyo) is what `vacant=true` means.
    pub fn parse(self, today: NaiveDate, f: &mut Fields) -> Option<RentalQuery> {
        let mut q = RentalQuery {
            limit: DEFAULT_LIMIT as usize,
            ..Default::default()
        };
        match (&self.near, self.radius_m) {
            (None, None) => {}
            (Some(_), None) => f.push("radius_m", "is required with near"),
            (None, Some(_)) => f.push("near", "is required with radius_m"),
            (Some(near), Some(r)) => {
                let point = near.split_once(',').and_then(|(a, b)| {
                    Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?))
                });
                match point.map(|(lat, lon)| Coordinates::parse(lat, lon)) {
                    None => f.push("near", "must be lat,lon such as 43.0621,141.3544"),
                    Some(Err((_, m))) => f.push("near", m),
                    Some(Ok(c)) if (1.0..=MAX_RADIUS_M).contains(&r) => q.near = Some((c, r)),
                    Some(Ok(_)) => f.push(
                        "radius_m",
                        format!("must be between 1 and {MAX_RADIUS_M} metres"),
                    ),
                }
            }
        }
        for code in csv_list(&self.municipality_code) {
            match MunicipalityCode::parse(code) {
                Ok(m) => q.municipalities.push(m.as_str().parse().unwrap_or(0)),
                Err(e) => f.push("municipality_code", format!("{code}: {e}")),
            }
        }
        if let Some(v) = self.max_monthly_total {
            match u32::try_from(v) {
                Ok(v) if v > 0 => q.max_monthly_total = Some(v),
                _ => f.push("max_monthly_total", "must be a positive number of yen"),
            }
        }
        if let Some(a) = self.min_area_m2 {
            if a.is_finite() && (0.0..=500.0).contains(&a) {
                q.min_area_m2 = Some(a as f32);
            } else {
                f.push("min_area_m2", "must be between 0 and 500");
            }
        }
        for l in csv_list(&self.layout) {
            match Layout::parse(l) {
                Ok(l) => q.layouts.push(l.rank()),
                Err(e) => f.push("layout", format!("{l}: {e}")),
            }
        }
        if let Some(r) = self.min_rooms {
            if (1..=5).contains(&r) {
                q.min_rooms = Some(r);
            } else {
                f.push("min_rooms", "must be between 1 and 5");
            }
        }
        for c in csv_list(&self.accepts) {
            match Category::parse(c) {
                Ok(c) => q.accepts |= c.bit(),
                Err(e) => f.push("accepts", e),
            }
        }
        for a in csv_list(&self.accessibility) {
            match Accessibility::parse(a) {
                Ok(a) => q.accessibility |= a.bit(),
                Err(e) => f.push("accessibility", e),
            }
        }
        q.elevator = self.elevator;
        q.step_free_access = self.step_free_access.unwrap_or(false);
        q.vacant = self.vacant;
        if let Some(d) = &self.vacant_by {
            match date(d) {
                Ok(d) if self.vacant == Some(false) => {
                    let _ = d;
                    f.push("vacant_by", "cannot be combined with vacant=false");
                }
                Ok(d) => q.vacant_by = Some(days_since_epoch(d)),
                Err(e) => f.push("vacant_by", e),
            }
        } else if self.vacant == Some(true) {
            q.vacant_by = Some(days_since_epoch(today));
        }
        q.pets = self.pets;
        q.rent_reduction = self.rent_reduction;
        q.support_housing = self.support_housing;
        match self.limit {
            None => {}
            Some(l) if (1..=MAX_LIMIT).contains(&l) => q.limit = l as usize,
            Some(_) => f.push("limit", format!("must be between 1 and {MAX_LIMIT}")),
        }
        if let Some(c) = self.cursor.as_deref().filter(|c| !c.is_empty()) {
            match Cursor::decode(c) {
                Some(c) if c.distance_mm.is_some() == q.near.is_some() => q.cursor = Some(c),
                _ => f.push("cursor", "is not one this search returned"),
            }
        }
        f.is_empty().then_some(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn parse(p: SearchParams) -> Result<RentalQuery, Vec<String>> {
        let mut f = Fields::new();
        let q = p.parse(today(), &mut f);
        match f.finish() {
            Ok(()) => Ok(q.unwrap()),
            Err(crate::error::ApiError::Validation(e)) => {
                Err(e.into_iter().map(|e| e.field).collect())
            }
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn the_typical_search_parses() {
        let q = parse(SearchParams {
            near: Some("43.0621,141.3544".into()),
            radius_m: Some(3000.0),
            max_monthly_total: Some(70_000),
            accepts: Some("disability_mental".into()),
            min_area_m2: Some(20.0),
            vacant: Some(true),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(q.near.unwrap().1, 3000.0);
        assert_eq!(q.accepts, Category::DisabilityMental.bit());
        assert_eq!(q.vacant_by, Some(days_since_epoch(today())));
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = parse(SearchParams {
            near: Some("north".into()),
            radius_m: Some(3000.0),
            layout: Some("9K".into()),
            accepts: Some("dragons".into()),
            limit: Some(500),
            ..Default::default()
        })
        .unwrap_err();
        for f in ["near", "layout", "accepts", "limit"] {
            assert!(e.contains(&f.to_owned()), "{f} in {e:?}");
        }
        assert_eq!(
            parse(SearchParams {
                radius_m: Some(10.0),
                ..Default::default()
            })
            .unwrap_err(),
            vec!["near"]
        );
        assert_eq!(
            parse(SearchParams {
                near: Some("43,141".into()),
                radius_m: Some(60_000.0),
                ..Default::default()
            })
            .unwrap_err(),
            vec!["radius_m"]
        );
    }

    #[test]
    fn cursors_round_trip_and_must_fit_the_sort() {
        let c = Cursor {
            distance_mm: Some(1234),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        let plain = Cursor {
            distance_mm: None,
            id: u128::MAX,
        };
        assert_eq!(Cursor::decode(&plain.encode()), Some(plain));
        assert!(Cursor::decode("zz").is_none());
        let e = parse(SearchParams {
            cursor: Some(c.encode()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e, vec!["cursor"]);
    }
}
