//! Realistic synthetic rentals for the demo data and the benchmarks: spread around 62
//! real cities weighted by population (gaussian, 2.5-5 km), about 15% vacant, rent
//! 30,000-150,000 yen rising with floor area, city size and closeness to the centre,
//! 40% accepting mental, 50% physical and 35% intellectual disability, 10% pets —
//! the mix `shared/data/README.md` describes, so figures compare. Deterministic per
//! seed, with no dependency on a random-number crate.

use crate::domain::rental::{RentalInput, SupportConnection, SupportHousingInput};

/// A city the data is spread around (`assets/data/cities.csv`: the benchmark cities
/// with their municipality codes).
#[derive(Debug, Clone, PartialEq)]
pub struct City {
    pub name: String,
    pub name_ja: String,
    pub lat: f64,
    pub lon: f64,
    pub population_thousands: f64,
    pub prefecture_code: String,
    pub municipality_code: String,
}

const CITIES_CSV: &str = include_str!("../assets/data/cities.csv");

pub fn cities() -> Vec<City> {
    CITIES_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            Some(City {
                name: f.first()?.to_string(),
                name_ja: f.get(1)?.to_string(),
                lat: f.get(2)?.parse().ok()?,
                lon: f.get(3)?.parse().ok()?,
                population_thousands: f.get(4)?.parse().ok()?,
                prefecture_code: f.get(5)?.to_string(),
                municipality_code: f.get(6)?.to_string(),
            })
        })
        .collect()
}

/// SplitMix64: small, fast and good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub struct Generator {
    rng: Rng,
    cities: Vec<City>,
    cumulative: Vec<f64>,
    serial: u64,
    /// A 居住支援法人 that certified 居住サポート住宅 are run with (demo only).
    support_corp: Option<String>,
}

const BUILDING_WORDS: [&str; 10] = [
    "ハイツ",
    "コーポ",
    "メゾン",
    "レジデンス",
    "荘",
    "ハイム",
    "グランデ",
    "パレス",
    "コート",
    "ヴィラ",
];
const BUILDING_NAMES: [&str; 12] = [
    "さくら",
    "ひまわり",
    "緑ヶ丘",
    "若葉",
    "朝日",
    "青葉",
    "北斗",
    "みなみ",
    "光",
    "旭",
    "白樺",
    "松風",
];
const COMPANIES: [&str; 4] = [
    "全国賃貸保証",
    "日本セーフティ保証",
    "みらい家賃保証",
    "あんしん賃貸支援",
];

impl Generator {
    /// Rentals around all 62 cities, weighted by population.
    pub fn new(seed: u64) -> Self {
        Self::with_cities(seed, cities())
    }

    /// Rentals around one city only (the demo uses 札幌市).
    pub fn for_city(seed: u64, name: &str) -> Self {
        Self::with_cities(
            seed,
            cities().into_iter().filter(|c| c.name == name).collect(),
        )
    }

    fn with_cities(seed: u64, cities: Vec<City>) -> Self {
        let mut acc = 0.0;
        let cumulative = cities
            .iter()
            .map(|c| {
                acc += c.population_thousands;
                acc
            })
            .collect();
        Self {
            rng: Rng::new(seed),
            cities,
            cumulative,
            serial: 0,
            support_corp: None,
        }
    }

    pub fn with_support_corp(mut self, corp_org_id: String) -> Self {
        self.support_corp = Some(corp_org_id);
        self
    }

    fn pick_city(&mut self) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = self.rng.unit() * total;
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.cities.len().saturating_sub(1))
    }

    /// The next rental, valid by construction.
    pub fn next_input(&mut self) -> RentalInput {
        self.serial += 1;
        let serial = self.serial;
        let ci = self.pick_city();
        let city = self.cities[ci].clone();
        let r = &mut self.rng;
        let size = (city.population_thousands / 2000.0).sqrt().min(1.0);
        let sigma_km = 2.5 + 2.5 * size;
        let (dy, dx) = (r.normal() * sigma_km, r.normal() * sigma_km);
        let lat = city.lat + dy / 111.32;
        let lon = city.lon + dx / (111.32 * city.lat.to_radians().cos());
        let dist_km = (dx * dx + dy * dy).sqrt();
        let area: f64 = ((15.0 + 45.0 * r.unit().powf(1.5)) * 10.0).round() / 10.0;
        let city_factor = 0.8 + 0.4 * (city.population_thousands / 9700.0).sqrt();
        let centre_factor = 1.0 + 0.3 * (-dist_km / 2.0).exp();
        let noise = 0.9 + 0.2 * r.unit();
        let rent = ((1800.0 * area * city_factor * centre_factor * noise / 500.0).round() * 500.0)
            .clamp(30_000.0, 150_000.0) as i64;
        let common_fee = (r.below(21) * 500) as i64;
        let layout = match area {
            a if a < 20.0 => *r.pick(&["1R", "1K"]),
            a if a < 30.0 => *r.pick(&["1K", "1DK"]),
            a if a < 40.0 => *r.pick(&["1LDK", "2K", "2DK"]),
            a if a < 50.0 => *r.pick(&["2DK", "2LDK"]),
            _ => *r.pick(&["2LDK", "3DK", "3LDK"]),
        };
        let floors_total = if r.chance(0.45) {
            1 + r.below(3) as i32
        } else {
            3 + r.below(12) as i32
        };
        let unit_floor = 1 + r.below(floors_total as u64) as i32;
        let elevator = floors_total >= 6 || (floors_total >= 4 && r.chance(0.5));
        let year_built = 1965 + r.below(61) as i32;
        let structure = if floors_total <= 2 {
            *r.pick(&["wood", "light_steel"])
        } else {
            *r.pick(&["rc", "src", "steel"])
        };
        let mut accessibility = Vec::new();
        for (p, name) in [
            (0.25, "step_free_entrance"),
            (0.05, "wheelchair_accessible"),
            (0.2, "handrails"),
            (0.08, "wide_doors"),
            (0.06, "accessible_bathroom"),
            (0.03, "tactile_guidance"),
            (0.15, "step_free_interior"),
        ] {
            if r.chance(p) {
                accessibility.push(name.to_owned());
            }
        }
        let accepted_categories = if r.chance(0.1) {
            vec!["all".to_owned()]
        } else {
            let mut v = Vec::new();
            for (p, name) in [
                (0.5, "disability_physical"),
                (0.35, "disability_intellectual"),
                (0.4, "disability_mental"),
                (0.6, "elderly"),
                (0.7, "low_income"),
                (0.5, "child_rearing"),
                (0.3, "disaster_victim"),
                (0.2, "other"),
            ] {
                // "all" already counts for 10%: scale the rest so the totals hold.
                if r.chance((p - 0.1) / 0.9) {
                    v.push(name.to_owned());
                }
            }
            if v.is_empty() {
                v.push("low_income".to_owned());
            }
            v
        };
        let mut conditions = Vec::new();
        for (p, name) in [
            (0.3, "watch_service"),
            (0.25, "support_office"),
            (0.6, "emergency_contact"),
            (0.1, "support_sheet"),
            (0.5, "rent_guarantee"),
        ] {
            if r.chance(p) {
                conditions.push(name.to_owned());
            }
        }
        let guarantee_company_accepted = r.chance(0.85);
        let guarantor_accepted = !guarantee_company_accepted || r.chance(0.5);
        let rent_reduction = r.chance(0.05);
        let vacant = r.chance(0.15);
        let vacant_from = (vacant && r.chance(0.3))
            .then(|| format!("2026-{:02}-{:02}", 11 + r.below(2), 1 + r.below(28)));
        let registration_date = format!(
            "{}-{:02}-{:02}",
            2018 + r.below(8),
            1 + r.below(12),
            1 + r.below(28)
        );
        let building = format!("{}{}", r.pick(&BUILDING_NAMES), r.pick(&BUILDING_WORDS));
        let address_line = format!(
            "{}丁目{}-{}",
            1 + r.below(9),
            1 + r.below(30),
            1 + r.below(20)
        );
        let support_housing = match &self.support_corp {
            Some(corp) if self.rng.chance(0.05) => Some(SupportHousingInput {
                corp_org_id: corp.clone(),
                daily_safety_check: true,
                monthly_visit: true,
                connections: vec![
                    SupportConnection {
                        name: format!("{}地域包括支援センター", city.name_ja),
                        service: "地域包括支援センター".into(),
                        phone: Some("011-000-1234".into()),
                    },
                    SupportConnection {
                        name: "訪問看護ステーション あおば".into(),
                        service: "訪問看護".into(),
                        phone: Some("011-000-5678".into()),
                    },
                ],
            }),
            _ => None,
        };
        let r = &mut self.rng;
        RentalInput {
            owner_org_id: None,
            agent_org_id: None,
            registration_number: format!("{}-{:07}", city.prefecture_code, serial),
            registration_date,
            postal_code: Some(format!("{:03}-{:04}", r.below(1000), r.below(10000))),
            prefecture_code: city.prefecture_code.clone(),
            municipality_code: city.municipality_code.clone(),
            municipality_name: city.name_ja.clone(),
            address_line,
            latitude: Some((lat * 1e6).round() / 1e6),
            longitude: Some((lon * 1e6).round() / 1e6),
            building_name: Some(building),
            unit_number: Some(format!("{}{:02}", unit_floor, 1 + r.below(12))),
            structure: structure.to_owned(),
            year_built,
            quake_resistant: year_built >= 1982 || r.chance(0.5),
            floors_total,
            unit_floor,
            elevator,
            accessibility,
            floor_area_m2: area,
            layout: layout.to_owned(),
            rent,
            common_fee,
            deposit: rent * r.below(3) as i64,
            key_money: rent * r.below(2) as i64,
            guarantor_accepted,
            guarantee_company_accepted,
            guarantee_companies: if guarantee_company_accepted {
                vec![r.pick(&COMPANIES).to_string()]
            } else {
                vec![]
            },
            rent_reduction,
            rent_reduction_yen: rent_reduction
                .then(|| (10_000 + r.below(31) as i64 * 1000).min(rent - 1000)),
            accepted_categories,
            conditions,
            pets_allowed: r.chance(0.1),
            support_housing,
            vacancy: if vacant { "vacant" } else { "occupied" }.to_owned(),
            vacant_from,
            photos: vec![],
            notes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::Fields;

    #[test]
    fn the_embedded_cities_are_the_benchmark_cities_with_valid_codes() {
        let c = cities();
        assert_eq!(c.len(), 62);
        for city in &c {
            let code =
                crate::domain::organization::MunicipalityCode::parse(&city.municipality_code)
                    .unwrap();
            assert_eq!(code.prefecture(), city.prefecture_code, "{}", city.name);
        }
        // Same rows as the shared benchmark data, when it is beside the repository.
        if let Ok(shared) = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/cities.csv"
        )) {
            for (line, city) in shared.lines().skip(1).zip(&c) {
                let f: Vec<&str> = line.split(',').collect();
                assert_eq!(f[0], city.name);
                assert_eq!(f[1].parse::<f64>().unwrap(), city.lat);
                assert_eq!(f[2].parse::<f64>().unwrap(), city.lon);
            }
        }
    }

    #[test]
    fn generated_rentals_are_valid_and_follow_the_mix() {
        let mut g = Generator::new(42);
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let n = 20_000;
        let (mut vacant, mut mental, mut pets, mut cheap) = (0, 0, 0, 0);
        for _ in 0..n {
            let input = g.next_input();
            let mut f = Fields::new();
            let v = input.clone().validate(today, &mut f);
            assert!(f.is_empty(), "{input:?}");
            let v = v.unwrap();
            vacant += usize::from(v.vacancy == crate::domain::rental::Vacancy::Vacant);
            mental += usize::from(
                v.accepted_categories & crate::domain::rental::Category::DisabilityMental.bit()
                    != 0,
            );
            pets += usize::from(v.pets_allowed);
            cheap += usize::from(v.rent + v.common_fee <= 70_000);
        }
        let share = |k: usize| k as f64 / n as f64;
        assert!(
            (0.13..0.17).contains(&share(vacant)),
            "vacant {}",
            share(vacant)
        );
        assert!(
            (0.37..0.43).contains(&share(mental)),
            "mental {}",
            share(mental)
        );
        assert!((0.08..0.12).contains(&share(pets)), "pets {}", share(pets));
        assert!((0.3..0.8).contains(&share(cheap)), "cheap {}", share(cheap));
    }

    #[test]
    fn the_same_seed_gives_the_same_rentals() {
        let a: Vec<_> = (0..5)
            .map({
                let mut g = Generator::new(1);
                move |_| g.next_input().registration_number + &g.next_input().address_line
            })
            .collect();
        let b: Vec<_> = (0..5)
            .map({
                let mut g = Generator::new(1);
                move |_| g.next_input().registration_number + &g.next_input().address_line
            })
            .collect();
        assert_eq!(a, b);
    }
}
