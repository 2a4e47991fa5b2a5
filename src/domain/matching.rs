//! Matching a client's needs against rentals: hard filters first, then a score from the
//! soft preferences, returned part by part with its reasons. The system proposes; the
//! person decides. Pure: no I/O, so it is tested on its own.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::rental::{Accessibility, Category};

mod score;
use score::Points;
pub use score::{PlaceDistance, ScorePart, Scored, score};

/// What kind of place matters to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// 通院先
    Clinic,
    /// 日中活動の場 (就労継続支援, デイケア, …)
    DayProgram,
    /// 職場
    Workplace,
    /// 家族
    Family,
    /// その他
    Other,
}

/// A place that matters, with how much it matters (1-5).
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub kind: PlaceKind,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub weight: u8,
}

/// The client's needs, as the matcher uses them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Needs {
    /// Ceiling of rent + 共益費.
    pub max_monthly_total: u32,
    /// 生活保護の住宅扶助 limit on the rent alone, when it applies.
    pub housing_allowance_limit: Option<u32>,
    /// Categories the landlord must accept (the client's).
    pub categories: u32,
    /// Municipality codes (six digits as a number); empty = anywhere.
    pub municipalities: Vec<u32>,
    /// A point and radius; a rental in a listed municipality or within it qualifies.
    pub around: Option<(f64, f64, f64)>,
    pub places: Vec<Place>,
    pub accessibility_musts: u32,
    pub min_area_m2: Option<f64>,
    pub preferred_layouts: Vec<u8>,
    pub needs_pets: bool,
    pub ground_floor_or_elevator: bool,
    /// The move date as days since 1970-01-01: the rental must be free by then.
    pub move_by: Option<i32>,
}

/// What the office (with its partner 居住支援法人) can provide, answering the
/// landlords' conditions.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Support {
    /// Bits of [`Condition`](crate::domain::rental::Condition) the office can satisfy.
    pub conditions: u32,
}

/// What the matcher needs of a rental.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub rent: u32,
    pub common_fee: u32,
    pub floor_area_m2: f64,
    pub layout_rank: u8,
    pub unit_floor: i32,
    pub elevator: bool,
    pub accessibility: u32,
    pub categories: u32,
    pub conditions: u32,
    pub pets_allowed: bool,
    /// Days since 1970-01-01 from which it can be moved into; `None` = occupied.
    pub vacant_from: Option<i32>,
    pub support_housing: bool,
    pub guarantee_company_accepted: bool,
    pub rent_reduction: bool,
    pub point: Option<(f64, f64)>,
    pub municipality: u32,
}

/// Why a rental fails a hard filter, with how far off it is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "filter", rename_all = "snake_case")]
pub enum Miss {
    NotVacant,
    VacantTooLate { days_late: i32 },
    OverBudget { yen_over: u32 },
    OverHousingAllowance { yen_over: u32 },
    CategoryNotAccepted { categories: Vec<Category> },
    MissingAccessibility { features: Vec<Accessibility> },
    NoPets,
    NotStepFree,
    OutsideArea { metres_outside: Option<u32> },
}

impl Miss {
    /// A miss small enough that the rental is still worth showing as a near-miss.
    pub fn is_near(&self) -> bool {
        match self {
            Miss::OverBudget { yen_over } | Miss::OverHousingAllowance { yen_over } => {
                *yen_over <= 5_000
            }
            Miss::VacantTooLate { days_late } => *days_late <= 30,
            Miss::OutsideArea { metres_outside } => metres_outside.is_some_and(|m| m <= 1_000),
            _ => false,
        }
    }

    /// In words, for the support worker (Japanese, as shown in the UI).
    pub fn reason_ja(&self) -> String {
        match self {
            Miss::NotVacant => "入居中".into(),
            Miss::VacantTooLate { days_late } => format!("入居可能日が希望より{days_late}日遅い"),
            Miss::OverBudget { yen_over } => {
                format!("家賃＋共益費が予算を{}円超える", thousands(*yen_over))
            }
            Miss::OverHousingAllowance { yen_over } => {
                format!("家賃が住宅扶助の上限を{}円超える", thousands(*yen_over))
            }
            Miss::CategoryNotAccepted { categories } => format!(
                "{}を受け入れていない",
                categories
                    .iter()
                    .map(|c| c.label_ja())
                    .collect::<Vec<_>>()
                    .join("・")
            ),
            Miss::MissingAccessibility { features } => format!(
                "{}がない",
                features
                    .iter()
                    .map(|a| a.label_ja())
                    .collect::<Vec<_>>()
                    .join("・")
            ),
            Miss::NoPets => "ペット不可".into(),
            Miss::NotStepFree => "2階以上でエレベーターなし".into(),
            Miss::OutsideArea {
                metres_outside: Some(m),
            } => format!("希望エリアから{}m外", thousands(*m)),
            Miss::OutsideArea {
                metres_outside: None,
            } => "希望エリア外".into(),
        }
    }
}

fn thousands(n: u32) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every hard filter the rental fails; empty when it passes them all.
pub fn misses(needs: &Needs, c: &Candidate) -> Vec<Miss> {
    let mut out = Vec::new();
    match (c.vacant_from, needs.move_by) {
        (None, _) => out.push(Miss::NotVacant),
        (Some(from), Some(by)) if from > by => out.push(Miss::VacantTooLate {
            days_late: from - by,
        }),
        _ => {}
    }
    let total = c.rent + c.common_fee;
    if total > needs.max_monthly_total {
        out.push(Miss::OverBudget {
            yen_over: total - needs.max_monthly_total,
        });
    }
    if let Some(limit) = needs.housing_allowance_limit
        && c.rent > limit
    {
        out.push(Miss::OverHousingAllowance {
            yen_over: c.rent - limit,
        });
    }
    let missing_cats = needs.categories & !c.categories;
    if missing_cats != 0 {
        out.push(Miss::CategoryNotAccepted {
            categories: Category::from_mask(missing_cats),
        });
    }
    let missing_access = needs.accessibility_musts & !c.accessibility;
    if missing_access != 0 {
        out.push(Miss::MissingAccessibility {
            features: Accessibility::from_mask(missing_access),
        });
    }
    if needs.needs_pets && !c.pets_allowed {
        out.push(Miss::NoPets);
    }
    if needs.ground_floor_or_elevator && c.unit_floor > 1 && !c.elevator {
        out.push(Miss::NotStepFree);
    }
    if let Some(m) = outside_area(needs, c) {
        out.push(m);
    }
    out
}

fn outside_area(needs: &Needs, c: &Candidate) -> Option<Miss> {
    if needs.municipalities.is_empty() && needs.around.is_none() {
        return None;
    }
    if needs.municipalities.contains(&c.municipality) {
        return None;
    }
    match (needs.around, c.point) {
        (Some((lat, lon, r)), Some((plat, plon))) => {
            let d = crate::domain::rental::haversine_m(lat, lon, plat, plon);
            (d > r).then(|| Miss::OutsideArea {
                metres_outside: Some((d - r).round() as u32),
            })
        }
        _ => Some(Miss::OutsideArea {
            metres_outside: None,
        }),
    }
}

/// A ranked match.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub id: String,
    pub scored: Scored,
}

/// A rental that missed by a little, with the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct NearMiss {
    pub id: String,
    pub misses: Vec<Miss>,
}

/// How many near-misses [`rank`] returns at most.
pub const NEAR_MISSES: usize = 10;

/// Ranks candidates: those passing every hard filter by score (then id, so the order is
/// total), and near-misses — failing only by small margins — apart, by how many filters
/// they miss (then id). Every passing candidate is scored, but only the `limit` shown
/// get their reasons written.
pub fn rank(
    needs: &Needs,
    support: Support,
    candidates: &[Candidate],
    limit: usize,
) -> (Vec<Ranked>, Vec<NearMiss>) {
    let mut passing: Vec<(f64, &Candidate)> = Vec::new();
    let mut near: Vec<(Vec<Miss>, &Candidate)> = Vec::new();
    for c in candidates {
        let m = misses(needs, c);
        if m.is_empty() {
            passing.push((Points::of(needs, support, c, |_, _| {}).score(), c));
        } else if m.iter().all(Miss::is_near) {
            near.push((m, c));
        }
    }
    let by_score = |a: &(f64, &Candidate), b: &(f64, &Candidate)| {
        b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id))
    };
    if limit < passing.len() {
        passing.select_nth_unstable_by(limit, by_score);
        passing.truncate(limit);
    }
    passing.sort_by(by_score);
    let ranked = passing
        .into_iter()
        .map(|(_, c)| Ranked {
            id: c.id.clone(),
            scored: score(needs, support, c),
        })
        .collect();
    let by_misses = |a: &(Vec<Miss>, &Candidate), b: &(Vec<Miss>, &Candidate)| {
        (a.0.len(), &a.1.id).cmp(&(b.0.len(), &b.1.id))
    };
    if NEAR_MISSES < near.len() {
        near.select_nth_unstable_by(NEAR_MISSES, by_misses);
        near.truncate(NEAR_MISSES);
    }
    near.sort_by(by_misses);
    let near = near
        .into_iter()
        .map(|(misses, c)| NearMiss {
            id: c.id.clone(),
            misses,
        })
        .collect();
    (ranked, near)
}

#[cfg(test)]
mod tests;
