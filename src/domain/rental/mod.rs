//! Registered rentals (セーフティネット登録住宅): the values a rental is made of, each
//! parsed into a type that can only hold a valid value.

pub mod csv;
pub mod flags;
pub mod input;
pub mod query;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use flags::{Accessibility, Category, Condition};
pub use input::{RentalInput, SupportConnection, SupportHousingInput, ValidRental};

/// The floor plan, as Japanese listings write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Layout {
    rooms: u8,
    kind: LayoutKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum LayoutKind {
    R,
    K,
    Dk,
    Ldk,
    Sk,
    Sdk,
    Sldk,
}

const LAYOUT_KINDS: [(LayoutKind, &str); 7] = [
    (LayoutKind::R, "R"),
    (LayoutKind::K, "K"),
    (LayoutKind::Dk, "DK"),
    (LayoutKind::Ldk, "LDK"),
    (LayoutKind::Sk, "SK"),
    (LayoutKind::Sdk, "SDK"),
    (LayoutKind::Sldk, "SLDK"),
];

impl Layout {
    /// 1R, 1K, 1DK, 1LDK, 2K … 5SLDK (full-width digits and letters accepted).
    pub fn parse(s: &str) -> Result<Self, String> {
        let norm: String = s
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                }
                c => c,
            })
            .collect::<String>()
            .to_uppercase();
        let bad = || {
            "must be a layout such as 1R, 1K, 1DK, 1LDK, 2DK, 2LDK, 3LDK (1 to 5 rooms)".to_owned()
        };
        let digits: String = norm.chars().take_while(char::is_ascii_digit).collect();
        let rooms: u8 = digits.parse().map_err(|_| bad())?;
        let rest = &norm[digits.len()..];
        let kind = LAYOUT_KINDS
            .iter()
            .find(|(_, name)| *name == rest)
            .map(|(k, _)| *k)
            .ok_or_else(bad)?;
        if !(1..=5).contains(&rooms) || (kind == LayoutKind::R && rooms != 1) {
            return Err(bad());
        }
        Ok(Self { rooms, kind })
    }

    pub fn rooms(&self) -> u8 {
        self.rooms
    }

    /// A number that orders layouts by size (for the search index).
    pub fn rank(&self) -> u8 {
        self.rooms * 8 + self.kind as u8
    }

    pub fn from_rank(rank: u8) -> Option<Self> {
        let rooms = rank / 8;
        let kind = LAYOUT_KINDS.get(usize::from(rank % 8))?.0;
        Some(Self { rooms, kind })
    }

    pub fn all() -> Vec<Layout> {
        let mut v = vec![Layout {
            rooms: 1,
            kind: LayoutKind::R,
        }];
        for rooms in 1..=5 {
            for (kind, _) in LAYOUT_KINDS.iter().skip(1) {
                v.push(Layout { rooms, kind: *kind });
            }
        }
        v
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = LAYOUT_KINDS
            .iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("", |(_, n)| n);
        write!(f, "{}{}", self.rooms, name)
    }
}

/// 構造
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    /// 木造
    Wood,
    /// 軽量鉄骨造
    LightSteel,
    /// 鉄骨造
    Steel,
    /// 鉄筋コンクリート造
    Rc,
    /// 鉄骨鉄筋コンクリート造
    Src,
    /// その他
    Other,
}

impl Structure {
    pub const ALL: [Structure; 6] = [
        Structure::Wood,
        Structure::LightSteel,
        Structure::Steel,
        Structure::Rc,
        Structure::Src,
        Structure::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Structure::Wood => "wood",
            Structure::LightSteel => "light_steel",
            Structure::Steel => "steel",
            Structure::Rc => "rc",
            Structure::Src => "src",
            Structure::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| "must be one of wood, light_steel, steel, rc, src, other".to_owned())
    }
}

/// Whether the unit can be moved into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Vacancy {
    /// 空室 (from `vacant_from`, or now)
    Vacant,
    /// 入居中
    Occupied,
}

impl Vacancy {
    pub fn as_str(self) -> &'static str {
        match self {
            Vacancy::Vacant => "vacant",
            Vacancy::Occupied => "occupied",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "vacant" => Ok(Vacancy::Vacant),
            "occupied" => Ok(Vacancy::Occupied),
            _ => Err("must be vacant or occupied".into()),
        }
    }
}

/// Where a rental's coordinates came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GeocodeStatus {
    /// given by the landlord
    Provided,
    /// found from the address by the geocoder
    Geocoded,
    /// not geocoded yet
    Pending,
    /// the geocoder could not place the address; no point is stored
    Failed,
}

impl GeocodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GeocodeStatus::Provided => "provided",
            GeocodeStatus::Geocoded => "geocoded",
            GeocodeStatus::Pending => "pending",
            GeocodeStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "provided" => Ok(Self::Provided),
            "geocoded" => Ok(Self::Geocoded),
            "pending" => Ok(Self::Pending),
            "failed" => Ok(Self::Failed),
            other => Err(format!("unknown geocode status {other}")),
        }
    }
}

/// Where the point of a rental without given coordinates comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// The landlord gave the coordinates.
    Provided,
    /// The geocoder placed the address.
    Geocoded { lat: f64, lon: f64 },
    /// Not tried yet (no geocoder configured, or left for the background worker).
    Pending,
    /// The geocoder could not place it, with the reason; no point is stored.
    Failed(String),
}

/// Yen as a whole number within `min..=max`.
pub fn yen(v: i64, min: i64, max: i64) -> Result<i32, String> {
    if v < min || v > max {
        return Err(format!("must be between {min} and {max} yen"));
    }
    i32::try_from(v).map_err(|_| "is too large".into())
}

/// A point inside Japan (WGS84): the register only holds Japanese addresses, so a point
/// outside is a mistake (swapped latitude/longitude, a missing minus, a typo).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    pub lat: f64,
    pub lon: f64,
}

impl Coordinates {
    pub const LAT_RANGE: (f64, f64) = (20.0, 45.8);
    pub const LON_RANGE: (f64, f64) = (122.5, 154.2);

    pub fn parse(lat: f64, lon: f64) -> Result<Self, (&'static str, String)> {
        let (lat_min, lat_max) = Self::LAT_RANGE;
        let (lon_min, lon_max) = Self::LON_RANGE;
        if !lat.is_finite() || !(lat_min..=lat_max).contains(&lat) {
            return Err((
                "latitude",
                format!("must be inside Japan ({lat_min} to {lat_max})"),
            ));
        }
        if !lon.is_finite() || !(lon_min..=lon_max).contains(&lon) {
            return Err((
                "longitude",
                format!("must be inside Japan ({lon_min} to {lon_max})"),
            ));
        }
        Ok(Self { lat, lon })
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(&self, other: &Coordinates) -> f64 {
        use geo::{Distance, Haversine, Point};
        Haversine.distance(
            Point::new(self.lon, self.lat),
            Point::new(other.lon, other.lat),
        )
    }
}

/// Great-circle distance in metres; the same formula as geo's Haversine,
/// inlined for the hot loops of search and matching.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().asin()
}

/// 郵便番号: 7 digits, written 060-0001 or 0600001; stored as 060-0001.
pub fn postal_code(s: &str) -> Result<String, String> {
    let digits: String = s
        .trim()
        .chars()
        .filter(|c| *c != '-' && *c != '−' && *c != 'ー')
        .collect();
    if digits.len() != 7 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("must be a 7-digit postal code such as 060-0001".into());
    }
    Ok(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// The safety-net registration number: the prefecture code, a hyphen, then the number
/// the prefecture gave (digits and hyphens), e.g. `01-000123`.
pub fn registration_number(s: &str, prefecture: Option<&str>) -> Result<String, String> {
    let s = s.trim();
    let bad = || {
        "must be the prefecture code, a hyphen and the registration number, e.g. 01-000123"
            .to_owned()
    };
    let (pref, rest) = s.split_once('-').ok_or_else(bad)?;
    if crate::domain::organization::PrefectureCode::parse(pref).is_err()
        || rest.is_empty()
        || rest.len() > 20
        || !rest.chars().all(|c| c.is_ascii_digit() || c == '-')
    {
        return Err(bad());
    }
    if let Some(p) = prefecture
        && p != pref
    {
        return Err(format!(
            "starts with prefecture {pref} but the address is in prefecture {p}"
        ));
    }
    Ok(s.to_owned())
}

/// A calendar date `YYYY-MM-DD`.
pub fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| "must be a date YYYY-MM-DD".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_parse_in_the_forms_listings_use() {
        for (input, out) in [
            ("1K", "1K"),
            ("1ldk", "1LDK"),
            ("１ＤＫ", "1DK"),
            ("1R", "1R"),
            ("3SLDK", "3SLDK"),
        ] {
            assert_eq!(Layout::parse(input).unwrap().to_string(), out);
        }
        for bad in ["", "2R", "0K", "6LDK", "1XK", "LDK", "1 K"] {
            assert!(Layout::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn layout_ranks_order_by_size_and_round_trip() {
        let all = Layout::all();
        for l in &all {
            assert_eq!(Layout::from_rank(l.rank()), Some(*l));
        }
        assert!(Layout::parse("1K").unwrap().rank() < Layout::parse("2DK").unwrap().rank());
    }

    #[test]
    fn points_outside_japan_are_refused() {
        assert!(Coordinates::parse(43.068, 141.35).is_ok());
        assert_eq!(
            Coordinates::parse(141.35, 43.068).unwrap_err().0,
            "latitude"
        );
        assert_eq!(Coordinates::parse(35.0, -139.0).unwrap_err().0, "longitude");
        assert!(Coordinates::parse(f64::NAN, 139.0).is_err());
    }

    #[test]
    fn the_distance_between_sapporo_and_tokyo_is_about_830_km() {
        let sapporo = Coordinates::parse(43.068, 141.35).unwrap();
        let tokyo = Coordinates::parse(35.681, 139.767).unwrap();
        let km = sapporo.distance_m(&tokyo) / 1000.0;
        assert!((820.0..840.0).contains(&km), "{km}");
    }

    #[test]
    fn registration_numbers_name_the_prefecture_of_the_address() {
        assert!(registration_number("01-000123", Some("01")).is_ok());
        assert!(registration_number("13-000123", Some("01")).is_err());
        assert!(registration_number("01000123", None).is_err());
        assert!(registration_number("99-1", None).is_err());
        assert!(registration_number("01-12a", None).is_err());
    }

    #[test]
    fn postal_codes_are_normalised() {
        assert_eq!(postal_code("0600001").unwrap(), "060-0001");
        assert_eq!(postal_code("060-0001").unwrap(), "060-0001");
        assert!(postal_code("060-001").is_err());
    }
}
