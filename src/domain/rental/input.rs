//! A rental as written by a landlord (API body, CSV row, portal form) and its
//! validation into a [`ValidRental`], reporting every bad field at once.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    Accessibility, Category, Condition, Coordinates, Layout, Structure, Vacancy, date, postal_code,
    registration_number, yen,
};
use crate::domain::organization::{MunicipalityCode, PhoneNumber, PrefectureCode};
use crate::domain::validate::{Fields, text};

/// A rental as the landlord writes it. Optional fields may be left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RentalInput {
    /// The landlord organisation that owns it. Landlords leave it out (it is theirs);
    /// a real-estate agent names the landlord it acts for.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub owner_org_id: Option<String>,
    /// The real-estate agent (宅建業者・管理会社) that manages it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub agent_org_id: Option<String>,
    /// セーフティネット住宅 registration number: prefecture code, hyphen, number (`01-000123`).
    pub registration_number: String,
    /// Registration date, YYYY-MM-DD.
    #[schema(example = "2024-04-01")]
    pub registration_date: String,
    /// 郵便番号
    pub postal_code: Option<String>,
    /// 都道府県コード, two digits.
    pub prefecture_code: String,
    /// 全国地方公共団体コード (5 or 6 digits).
    pub municipality_code: String,
    /// The municipality's name, e.g. 札幌市中央区.
    pub municipality_name: String,
    /// The address after the municipality (町名・番地).
    pub address_line: String,
    /// WGS84; leave both out to have the address geocoded.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub building_name: Option<String>,
    /// The unit's number in the building (号室); empty for a detached house.
    pub unit_number: Option<String>,
    pub structure: String,
    pub year_built: i32,
    /// Meets the 1981 earthquake-resistance standard (新耐震基準) or was retrofitted.
    pub quake_resistant: bool,
    pub floors_total: i32,
    /// The unit's floor (negative for basements).
    pub unit_floor: i32,
    pub elevator: bool,
    #[serde(default)]
    #[schema(value_type = Vec<Accessibility>)]
    pub accessibility: Vec<String>,
    pub floor_area_m2: f64,
    /// 1R, 1K, 1DK, 1LDK, 2K … 5SLDK.
    pub layout: String,
    /// 家賃, yen per month.
    pub rent: i64,
    /// 共益費・管理費, yen per month.
    #[serde(default)]
    pub common_fee: i64,
    /// 敷金, yen.
    #[serde(default)]
    pub deposit: i64,
    /// 礼金, yen.
    #[serde(default)]
    pub key_money: i64,
    /// A personal guarantor (連帯保証人) is accepted.
    pub guarantor_accepted: bool,
    /// A rent-guarantee company is accepted.
    pub guarantee_company_accepted: bool,
    /// Which guarantee companies (names).
    #[serde(default)]
    pub guarantee_companies: Vec<String>,
    /// 家賃低廉化補助 applies.
    #[serde(default)]
    pub rent_reduction: bool,
    /// The monthly reduction in yen, when it applies.
    pub rent_reduction_yen: Option<i64>,
    /// Categories of 住宅確保要配慮者 the landlord does not refuse; `["all"]` for every one.
    pub accepted_categories: Vec<String>,
    /// What the landlord asks for.
    #[serde(default)]
    #[schema(value_type = Vec<Condition>)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub pets_allowed: bool,
    /// Set when the rental is a certified 居住サポート住宅 (2025 law).
    pub support_housing: Option<SupportHousingInput>,
    /// vacant or occupied.
    pub vacancy: String,
    /// For a vacant unit: the date it can be moved into (default: now).
    pub vacant_from: Option<String>,
    /// Photo URLs (https).
    #[serde(default)]
    pub photos: Vec<String>,
    pub notes: Option<String>,
}

/// A certified 居住サポート住宅: daily 安否確認, a monthly visit, and the services it
/// connects the tenant to (つなぎ先リスト), with the 居住支援法人 that provides them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SupportHousingInput {
    /// The 居住支援法人 that provides the support.
    #[schema(value_type = String, format = Uuid)]
    pub corp_org_id: String,
    /// 安否確認 every day.
    pub daily_safety_check: bool,
    /// A visit every month.
    pub monthly_visit: bool,
    /// つなぎ先リスト: services the tenant is connected to.
    pub connections: Vec<SupportConnection>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SupportConnection {
    pub name: String,
    /// What the service does (e.g. 訪問看護, 地域包括支援センター).
    pub service: String,
    pub phone: Option<String>,
}

/// A rental whose every field is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidRental {
    pub owner_org_id: Option<String>,
    pub agent_org_id: Option<String>,
    pub registration_number: String,
    pub registration_date: NaiveDate,
    pub postal_code: Option<String>,
    pub prefecture_code: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address_line: String,
    pub coordinates: Option<Coordinates>,
    pub building_name: Option<String>,
    pub unit_number: String,
    pub structure: Structure,
    pub year_built: i32,
    pub quake_resistant: bool,
    pub floors_total: i32,
    pub unit_floor: i32,
    pub elevator: bool,
    pub accessibility: u32,
    pub floor_area_m2: f64,
    pub layout: Layout,
    pub rent: i32,
    pub common_fee: i32,
    pub deposit: i32,
    pub key_money: i32,
    pub guarantor_accepted: bool,
    pub guarantee_company_accepted: bool,
    pub guarantee_companies: Vec<String>,
    pub rent_reduction: bool,
    pub rent_reduction_yen: Option<i32>,
    pub accepted_categories: u32,
    pub conditions: u32,
    pub pets_allowed: bool,
    pub support_housing: Option<SupportHousingInput>,
    pub vacancy: Vacancy,
    pub vacant_from: Option<NaiveDate>,
    pub photos: Vec<String>,
    pub notes: Option<String>,
}

/// The registration scheme started on 2017-10-25; nothing was registered before.
pub const SCHEME_START: (i32, u32, u32) = (2017, 10, 25);

impl RentalInput {
    /// Validates against `today` (Asia/Tokyo) and returns every problem at once; field
    /// names are prefixed with `prefix` (e.g. for CSV rows).
    pub fn validate(self, today: NaiveDate, f: &mut Fields) -> Option<ValidRental> {
        let pref = f.check(
            "prefecture_code",
            PrefectureCode::parse(&self.prefecture_code),
        );
        let muni = f.check(
            "municipality_code",
            MunicipalityCode::parse(&self.municipality_code),
        );
        if let (Some(p), Some(m)) = (&pref, &muni)
            && m.prefecture() != p.as_str()
        {
            f.push(
                "municipality_code",
                format!("is not in prefecture {}", p.as_str()),
            );
        }
        let reg_no = f.check(
            "registration_number",
            registration_number(
                &self.registration_number,
                pref.as_ref().map(PrefectureCode::as_str),
            ),
        );
        let scheme_start = NaiveDate::from_ymd_opt(SCHEME_START.0, SCHEME_START.1, SCHEME_START.2);
        let reg_date = f.check(
            "registration_date",
            date(&self.registration_date).and_then(|d| {
                if d > today {
                    Err("must not be in the future".into())
                } else if scheme_start.is_some_and(|s| d < s) {
                    Err("must be on or after 2017-10-25, when registration began".into())
                } else {
                    Ok(d)
                }
            }),
        );
        let postal = f.check_opt(
            "postal_code",
            self.postal_code.filter(|s| !s.trim().is_empty()),
            |s| postal_code(&s),
        );
        let muni_name = f.check("municipality_name", text(&self.municipality_name, 50));
        let address = f.check("address_line", text(&self.address_line, 200));
        let coordinates = match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) => match Coordinates::parse(lat, lon) {
                Ok(c) => Some(Some(c)),
                Err((field, msg)) => {
                    f.push(field, msg);
                    None
                }
            },
            (None, None) => Some(None),
            (None, Some(_)) => {
                f.push("latitude", "give both latitude and longitude, or neither");
                None
            }
            (Some(_), None) => {
                f.push("longitude", "give both latitude and longitude, or neither");
                None
            }
        };
        let building = f.check_opt(
            "building_name",
            self.building_name.filter(|s| !s.trim().is_empty()),
            |s| text(&s, 100),
        );
        let unit_number = match self.unit_number.as_deref().map(str::trim) {
            None | Some("") => Some(String::new()),
            Some(u) => f.check("unit_number", text(u, 20)),
        };
        let structure = f.check("structure", Structure::parse(&self.structure));
        let year = today.year();
        if !(1900..=year + 2).contains(&self.year_built) {
            f.push(
                "year_built",
                format!("must be between 1900 and {}", year + 2),
            );
        }
        if !(1..=100).contains(&self.floors_total) {
            f.push("floors_total", "must be between 1 and 100");
        }
        if self.unit_floor == 0 || self.unit_floor < -5 {
            f.push(
                "unit_floor",
                "must be 1 or more (or -1 to -5 for a basement)",
            );
        } else if self.unit_floor > self.floors_total {
            f.push(
                "unit_floor",
                format!(
                    "must not be above the building's {} floors",
                    self.floors_total
                ),
            );
        }
        let accessibility = flag_mask(
            f,
            "accessibility",
            &self.accessibility,
            Accessibility::parse,
            Accessibility::bit,
        );
        if !(self.floor_area_m2.is_finite() && (5.0..=500.0).contains(&self.floor_area_m2)) {
            f.push("floor_area_m2", "must be between 5 and 500 m²");
        }
        let layout = f.check("layout", Layout::parse(&self.layout));
        let rent = f.check("rent", yen(self.rent, 1_000, 1_000_000));
        let common_fee = f.check("common_fee", yen(self.common_fee, 0, 200_000));
        let deposit = f.check("deposit", yen(self.deposit, 0, 5_000_000));
        let key_money = f.check("key_money", yen(self.key_money, 0, 5_000_000));
        let companies = names(f, "guarantee_companies", self.guarantee_companies, 20, 100);
        if !self.guarantor_accepted && !self.guarantee_company_accepted {
            f.push(
                "guarantee_company_accepted",
                "accept a personal guarantor or a guarantee company (or both): a tenant needs one way to rent",
            );
        }
        let reduction = match (self.rent_reduction, self.rent_reduction_yen) {
            (false, None) => Some(None),
            (false, Some(_)) => {
                f.push(
                    "rent_reduction_yen",
                    "give an amount only when rent_reduction is true",
                );
                None
            }
            (true, None) => {
                f.push(
                    "rent_reduction_yen",
                    "is required when rent_reduction is true",
                );
                None
            }
            (true, Some(v)) => match yen(v, 1, 100_000) {
                Ok(v) if rent.is_some_and(|r| v >= r) => {
                    f.push("rent_reduction_yen", "must be less than the rent");
                    None
                }
                Ok(v) => Some(Some(v)),
                Err(m) => {
                    f.push("rent_reduction_yen", m);
                    None
                }
            },
        };
        let categories = if self.accepted_categories.iter().any(|c| c.trim() == "all") {
            Some(Category::full_mask())
        } else if self.accepted_categories.is_empty() {
            f.push(
                "accepted_categories",
                "name at least one category, or \"all\"",
            );
            None
        } else {
            flag_mask(
                f,
                "accepted_categories",
                &self.accepted_categories,
                Category::parse,
                Category::bit,
            )
        };
        let conditions = flag_mask(
            f,
            "conditions",
            &self.conditions,
            Condition::parse,
            Condition::bit,
        );
        let support = match self.support_housing {
            None => Some(None),
            Some(s) => validate_support(f, s).map(Some),
        };
        let vacancy = f.check("vacancy", Vacancy::parse(&self.vacancy));
        let vacant_from = match (vacancy, self.vacant_from.filter(|s| !s.trim().is_empty())) {
            (_, None) => Some(None),
            (Some(Vacancy::Occupied), Some(_)) => {
                f.push("vacant_from", "give a date only for a vacant unit");
                None
            }
            (_, Some(s)) => f
                .check(
                    "vacant_from",
                    date(&s).and_then(|d| {
                        if d > today + chrono::Duration::days(731) {
                            Err("must be within two years".into())
                        } else {
                            Ok(d)
                        }
                    }),
                )
                .map(Some),
        };
        let photos = urls(f, "photos", self.photos);
        let notes = f.check_opt("notes", self.notes.filter(|s| !s.trim().is_empty()), |s| {
            long_text(&s, 2000)
        });

        Some(ValidRental {
            owner_org_id: self.owner_org_id,
            agent_org_id: self.agent_org_id,
            registration_number: reg_no?,
            registration_date: reg_date?,
            postal_code: postal?,
            prefecture_code: pref?.as_str().to_owned(),
            municipality_code: muni?.as_str().to_owned(),
            municipality_name: muni_name?,
            address_line: address?,
            coordinates: coordinates?,
            building_name: building?,
            unit_number: unit_number?,
            structure: structure?,
            year_built: self.year_built,
            quake_resistant: self.quake_resistant,
            floors_total: self.floors_total,
            unit_floor: self.unit_floor,
            elevator: self.elevator,
            accessibility: accessibility?,
            floor_area_m2: (self.floor_area_m2 * 100.0).round() / 100.0,
            layout: layout?,
            rent: rent?,
            common_fee: common_fee?,
            deposit: deposit?,
            key_money: key_money?,
            guarantor_accepted: self.guarantor_accepted,
            guarantee_company_accepted: self.guarantee_company_accepted,
            guarantee_companies: companies?,
            rent_reduction: self.rent_reduction,
            rent_reduction_yen: reduction?,
            accepted_categories: categories?,
            conditions: conditions?,
            pets_allowed: self.pets_allowed,
            support_housing: support?,
            vacancy: vacancy?,
            vacant_from: vacant_from?,
            photos: photos?,
            notes: notes?,
        })
        .filter(|_| f.is_empty())
    }
}

fn flag_mask<T>(
    f: &mut Fields,
    field: &str,
    items: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
    bit: impl Fn(T) -> u32,
) -> Option<u32> {
    let mut mask = 0;
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match parse(item) {
            Ok(v) => mask |= bit(v),
            Err(m) => {
                f.push(&format!("{field}[{i}]"), m);
                ok = false;
            }
        }
    }
    ok.then_some(mask)
}

fn names(
    f: &mut Fields,
    field: &str,
    items: Vec<String>,
    max_items: usize,
    max_chars: usize,
) -> Option<Vec<String>> {
    if items.len() > max_items {
        f.push(field, format!("at most {max_items} entries"));
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match text(item, max_chars) {
            Ok(t) => out.push(t),
            Err(m) => {
                f.push(&format!("{field}[{i}]"), m);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn urls(f: &mut Fields, field: &str, items: Vec<String>) -> Option<Vec<String>> {
    if items.len() > 20 {
        f.push(field, "at most 20 photos");
        return None;
    }
    let mut ok = true;
    for (i, u) in items.iter().enumerate() {
        let u = u.trim();
        let valid = (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() <= 2000
            && u.len() > 8
            && !u.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            f.push(
                &format!("{field}[{i}]"),
                "must be an http(s) URL of at most 2000 characters",
            );
            ok = false;
        }
    }
    ok.then(|| items.into_iter().map(|u| u.trim().to_owned()).collect())
}

fn long_text(s: &str, max: usize) -> Result<String, String> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

fn validate_support(f: &mut Fields, s: SupportHousingInput) -> Option<SupportHousingInput> {
    let mut ok = true;
    if uuid::Uuid::parse_str(&s.corp_org_id).is_err() {
        f.push(
            "support_housing.corp_org_id",
            "must be the id of a 居住支援法人",
        );
        ok = false;
    }
    if !s.daily_safety_check {
        f.push(
            "support_housing.daily_safety_check",
            "a 居住サポート住宅 provides a daily 安否確認",
        );
        ok = false;
    }
    if !s.monthly_visit {
        f.push(
            "support_housing.monthly_visit",
            "a 居住サポート住宅 provides a monthly visit",
        );
        ok = false;
    }
    if s.connections.is_empty() {
        f.push(
            "support_housing.connections",
            "list at least one service the tenant is connected to (つなぎ先)",
        );
        ok = false;
    }
    let mut connections = Vec::new();
    for (i, c) in s.connections.into_iter().enumerate() {
        let name = f.check(
            &format!("support_housing.connections[{i}].name"),
            text(&c.name, 100),
        );
        let service = f.check(
            &format!("support_housing.connections[{i}].service"),
            text(&c.service, 100),
        );
        let phone = f.check_opt(
            &format!("support_housing.connections[{i}].phone"),
            c.phone,
            |p| PhoneNumber::parse(&p).map(|p| p.as_str().to_owned()),
        );
        match (name, service, phone) {
            (Some(name), Some(service), Some(phone)) => connections.push(SupportConnection {
                name,
                service,
                phone,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(SupportHousingInput {
        corp_org_id: s.corp_org_id,
        daily_safety_check: true,
        monthly_visit: true,
        connections,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::ApiError;

    pub fn sample() -> RentalInput {
        RentalInput {
            registration_number: "01-000123".into(),
            registration_date: "2024-04-01".into(),
            postal_code: Some("060-0001".into()),
            prefecture_code: "01".into(),
            municipality_code: "01100".into(),
            municipality_name: "札幌市".into(),
            address_line: "中央区北1条西2丁目1-1".into(),
            latitude: Some(43.0621),
            longitude: Some(141.3544),
            building_name: Some("メゾン北一条".into()),
            unit_number: Some("203".into()),
            structure: "rc".into(),
            year_built: 1998,
            quake_resistant: true,
            floors_total: 5,
            unit_floor: 2,
            elevator: true,
            accessibility: vec!["step_free_entrance".into(), "handrails".into()],
            floor_area_m2: 25.5,
            layout: "1K".into(),
            rent: 42_000,
            common_fee: 3_000,
            deposit: 42_000,
            key_money: 0,
            guarantor_accepted: false,
            guarantee_company_accepted: true,
            guarantee_companies: vec!["全国賃貸保証".into()],
            accepted_categories: vec!["disability_mental".into(), "disability_physical".into()],
            conditions: vec!["watch_service".into()],
            vacancy: "vacant".into(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn errors(input: RentalInput) -> Vec<String> {
        let mut f = Fields::new();
        let v = input.validate(today(), &mut f);
        match f.finish() {
            Ok(()) => {
                assert!(v.is_some());
                vec![]
            }
            Err(ApiError::Validation(e)) => {
                assert!(v.is_none());
                e.into_iter().map(|e| e.field).collect()
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_complete_rental_is_valid() {
        assert_eq!(errors(sample()), Vec::<String>::new());
        let mut f = Fields::new();
        let v = sample().validate(today(), &mut f).unwrap();
        assert_eq!(v.municipality_code, "011002");
        assert_eq!(
            v.accepted_categories,
            Category::DisabilityMental.bit() | Category::DisabilityPhysical.bit()
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(RentalInput, &str)> = vec![
            (
                RentalInput {
                    rent: 0,
                    ..sample()
                },
                "rent",
            ),
            (
                RentalInput {
                    floor_area_m2: -3.0,
                    ..sample()
                },
                "floor_area_m2",
            ),
            (
                RentalInput {
                    unit_floor: 7,
                    ..sample()
                },
                "unit_floor",
            ),
            (
                RentalInput {
                    latitude: Some(51.5),
                    longitude: Some(-0.12),
                    ..sample()
                },
                "latitude",
            ),
            (
                RentalInput {
                    registration_number: "123".into(),
                    ..sample()
                },
                "registration_number",
            ),
            (
                RentalInput {
                    registration_date: "2031-01-01".into(),
                    ..sample()
                },
                "registration_date",
            ),
            (
                RentalInput {
                    layout: "7LDK".into(),
                    ..sample()
                },
                "layout",
            ),
            (
                RentalInput {
                    municipality_code: "13101".into(),
                    ..sample()
                },
                "municipality_code",
            ),
            (
                RentalInput {
                    accepted_categories: vec!["pirates".into()],
                    ..sample()
                },
                "accepted_categories[0]",
            ),
            (
                RentalInput {
                    vacant_from: Some("2040-01-01".into()),
                    ..sample()
                },
                "vacant_from",
            ),
            (
                RentalInput {
                    rent_reduction: true,
                    ..sample()
                },
                "rent_reduction_yen",
            ),
            (
                RentalInput {
                    photos: vec!["javascript:alert(1)".into()],
                    ..sample()
                },
                "photos[0]",
            ),
            (
                RentalInput {
                    latitude: None,
                    ..sample()
                },
                "latitude",
            ),
        ];
        for (input, field) in cases {
            let e = errors(input);
            assert!(e.contains(&field.to_owned()), "{field} not in {e:?}");
        }
    }

    #[test]
    fn all_errors_come_back_together() {
        let e = errors(RentalInput {
            rent: -1,
            layout: "x".into(),
            structure: "straw".into(),
            ..sample()
        });
        assert!(e.len() >= 3, "{e:?}");
    }

    #[test]
    fn all_means_every_category() {
        let mut f = Fields::new();
        let v = RentalInput {
            accepted_categories: vec!["all".into()],
            ..sample()
        }
        .validate(today(), &mut f)
        .unwrap();
        assert_eq!(v.accepted_categories, Category::full_mask());
    }

    #[test]
    fn a_support_housing_needs_its_services() {
        let s = SupportHousingInput {
            corp_org_id: uuid::Uuid::now_v7().to_string(),
            daily_safety_check: false,
            monthly_visit: true,
            connections: vec![],
        };
        let e = errors(RentalInput {
            support_housing: Some(s),
            ..sample()
        });
        assert!(e.contains(&"support_housing.daily_safety_check".to_owned()));
        assert!(e.contains(&"support_housing.connections".to_owned()));
    }
}
