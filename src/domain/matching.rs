//! Matching a client's needs against rentals: hard filters first, then a score from the
//! soft preferences, returned part by part with its reasons. The system proposes; the
//! person decides. Pure: no I/O, so it is tested on its own.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::rental::{Accessibility, Category, Condition, Layout};

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
    /// Bits of [`Condition`] the office can satisfy.
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

/// One part of a score, with the points it gave out of its maximum and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ScorePart {
    /// distance, budget, area, layout, step_free, landlord_conditions, support
    pub part: &'static str,
    pub points: f64,
    pub max: f64,
    pub reason: String,
}

/// The distance from a rental to one place that matters.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlaceDistance {
    pub name: String,
    pub kind: PlaceKind,
    pub metres: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scored {
    /// 0-100.
    pub score: f64,
    pub parts: Vec<ScorePart>,
    pub distances: Vec<PlaceDistance>,
}

const W_DISTANCE: f64 = 35.0;
const W_BUDGET: f64 = 15.0;
const W_AREA: f64 = 10.0;
const W_LAYOUT: f64 = 10.0;
const W_STEP_FREE: f64 = 5.0;
const W_CONDITIONS: f64 = 15.0;
const W_SUPPORT: f64 = 10.0;

/// Scores a rental that passed the hard filters.
pub fn score(needs: &Needs, support: Support, c: &Candidate) -> Scored {
    let mut parts = Vec::new();
    let mut distances = Vec::new();

    // Distance to the places that matter: 1 at the door, half at 1.5 km, weighted.
    let (mut sum, mut weights) = (0.0, 0.0);
    for p in &needs.places {
        if let Some((lat, lon)) = c.point {
            let d = crate::domain::rental::haversine_m(p.lat, p.lon, lat, lon);
            distances.push(PlaceDistance {
                name: p.name.clone(),
                kind: p.kind,
                metres: d.round() as u32,
            });
            let w = f64::from(p.weight.clamp(1, 5));
            sum += w / (1.0 + d / 1500.0);
            weights += w;
        }
    }
    if weights > 0.0 {
        let reason = distances
            .iter()
            .map(|d| format!("{}まで{:.1}km", d.name, f64::from(d.metres) / 1000.0))
            .collect::<Vec<_>>()
            .join("、");
        parts.push(ScorePart {
            part: "distance",
            points: W_DISTANCE * sum / weights,
            max: W_DISTANCE,
            reason,
        });
    }

    let total = c.rent + c.common_fee;
    let headroom = f64::from(needs.max_monthly_total.saturating_sub(total))
        / f64::from(needs.max_monthly_total.max(1));
    parts.push(ScorePart {
        part: "budget",
        points: W_BUDGET * (0.5 + headroom).min(1.0),
        max: W_BUDGET,
        reason: format!(
            "家賃＋共益費 {}円(予算 {}円){}",
            thousands(total),
            thousands(needs.max_monthly_total),
            if c.rent_reduction {
                "、家賃低廉化あり"
            } else {
                ""
            }
        ),
    });

    if let Some(min) = needs.min_area_m2 {
        let ratio = (c.floor_area_m2 / min.max(1.0)).min(1.5);
        parts.push(ScorePart {
            part: "area",
            points: if ratio >= 1.0 {
                W_AREA * (0.7 + 0.6 * (ratio - 1.0))
            } else {
                W_AREA * 0.7 * ratio
            },
            max: W_AREA,
            reason: format!("専有面積 {:.1}㎡(希望 {:.0}㎡以上)", c.floor_area_m2, min),
        });
    }

    if !needs.preferred_layouts.is_empty() {
        let hit = needs.preferred_layouts.contains(&c.layout_rank);
        let name = Layout::from_rank(c.layout_rank).map_or_else(String::new, |l| l.to_string());
        parts.push(ScorePart {
            part: "layout",
            points: if hit { W_LAYOUT } else { 0.0 },
            max: W_LAYOUT,
            reason: if hit {
                format!("希望の間取り({name})")
            } else {
                format!("間取り{name}は希望外")
            },
        });
    }

    let step_free = c.unit_floor <= 1 || c.elevator;
    parts.push(ScorePart {
        part: "step_free",
        points: if step_free { W_STEP_FREE } else { 0.0 },
        max: W_STEP_FREE,
        reason: match (c.unit_floor <= 1, c.elevator) {
            (true, _) => "1階".into(),
            (false, true) => format!("{}階・エレベーターあり", c.unit_floor),
            (false, false) => format!("{}階・エレベーターなし", c.unit_floor),
        },
    });

    let unmet = c.conditions & !support.conditions;
    let asked = c.conditions.count_ones();
    parts.push(ScorePart {
        part: "landlord_conditions",
        points: if asked == 0 {
            W_CONDITIONS
        } else {
            W_CONDITIONS * f64::from(asked - unmet.count_ones()) / f64::from(asked)
        },
        max: W_CONDITIONS,
        reason: if asked == 0 {
            "家主の条件なし".into()
        } else if unmet == 0 {
            "家主の条件をすべて満たせる".into()
        } else {
            format!(
                "満たせない条件: {}",
                Condition::from_mask(unmet)
                    .iter()
                    .map(|c| c.label_ja())
                    .collect::<Vec<_>>()
                    .join("・")
            )
        },
    });

    let mut support_points = 0.0;
    let mut support_reasons = Vec::new();
    if c.support_housing {
        support_points += 0.6;
        support_reasons.push("居住サポート住宅(毎日の安否確認・毎月の訪問)");
    }
    if c.guarantee_company_accepted {
        support_points += 0.4;
        support_reasons.push("家賃債務保証会社を利用可");
    }
    parts.push(ScorePart {
        part: "support",
        points: W_SUPPORT * support_points,
        max: W_SUPPORT,
        reason: if support_reasons.is_empty() {
            "見守り・保証の支えなし".into()
        } else {
            support_reasons.join("、")
        },
    });

    let max: f64 = parts.iter().map(|p| p.max).sum();
    let got: f64 = parts.iter().map(|p| p.points).sum();
    Scored {
        score: if max > 0.0 {
            (100.0 * got / max * 10.0).round() / 10.0
        } else {
            0.0
        },
        parts,
        distances,
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

/// Ranks candidates: those passing every hard filter by score (then id, so the order is
/// total), and near-misses — failing only by small margins — apart.
pub fn rank(
    needs: &Needs,
    support: Support,
    candidates: &[Candidate],
    limit: usize,
) -> (Vec<Ranked>, Vec<NearMiss>) {
    let mut ranked = Vec::new();
    let mut near = Vec::new();
    for c in candidates {
        let m = misses(needs, c);
        if m.is_empty() {
            ranked.push(Ranked {
                id: c.id.clone(),
                scored: score(needs, support, c),
            });
        } else if m.iter().all(Miss::is_near) {
            near.push(NearMiss {
                id: c.id.clone(),
                misses: m,
            });
        }
    }
    ranked.sort_by(|a, b| {
        b.scored
            .score
            .total_cmp(&a.scored.score)
            .then_with(|| a.id.cmp(&b.id))
    });
    ranked.truncate(limit);
    near.sort_by_key(|n| (n.misses.len(), n.id.clone()));
    near.truncate(10);
    (ranked, near)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cand(id: &str) -> Candidate {
        Candidate {
            id: id.into(),
            rent: 45_000,
            common_fee: 3_000,
            floor_area_m2: 25.0,
            layout_rank: Layout::parse("1K").unwrap().rank(),
            unit_floor: 1,
            elevator: false,
            accessibility: 0,
            categories: Category::full_mask(),
            conditions: 0,
            pets_allowed: false,
            vacant_from: Some(0),
            support_housing: false,
            guarantee_company_accepted: true,
            rent_reduction: false,
            point: Some((43.06, 141.35)),
            municipality: 11002,
        }
    }

    fn needs() -> Needs {
        Needs {
            max_monthly_total: 50_000,
            categories: Category::DisabilityMental.bit(),
            places: vec![Place {
                kind: PlaceKind::Clinic,
                name: "さっぽろ駅前クリニック".into(),
                lat: 43.068,
                lon: 141.35,
                weight: 5,
            }],
            min_area_m2: Some(20.0),
            ..Default::default()
        }
    }

    #[test]
    fn a_rental_over_budget_is_a_near_miss_with_the_amount() {
        let c = Candidate {
            rent: 50_000,
            ..cand("a")
        };
        let m = misses(&needs(), &c);
        assert_eq!(m, vec![Miss::OverBudget { yen_over: 3_000 }]);
        assert_eq!(m[0].reason_ja(), "家賃＋共益費が予算を3,000円超える");
        let (ranked, near) = rank(&needs(), Support::default(), &[c], 50);
        assert!(ranked.is_empty());
        assert_eq!(near.len(), 1);
    }

    #[test]
    fn every_hard_filter_is_named() {
        let n = Needs {
            needs_pets: true,
            ground_floor_or_elevator: true,
            accessibility_musts: Accessibility::Handrails.bit(),
            housing_allowance_limit: Some(36_000),
            move_by: Some(10),
            around: Some((43.0, 141.0, 1000.0)),
            ..needs()
        };
        let c = Candidate {
            unit_floor: 3,
            categories: Category::Elderly.bit(),
            vacant_from: Some(20),
            ..cand("b")
        };
        let m = misses(&n, &c);
        let names: Vec<String> = m
            .iter()
            .map(|m| {
                serde_json::to_value(m).unwrap()["filter"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        for f in [
            "vacant_too_late",
            "over_housing_allowance",
            "category_not_accepted",
            "missing_accessibility",
            "no_pets",
            "not_step_free",
            "outside_area",
        ] {
            assert!(names.contains(&f.to_owned()), "{f} in {names:?}");
        }
    }

    #[test]
    fn closer_to_the_clinic_scores_higher_and_the_reasons_say_so() {
        let near = cand("near");
        let far = Candidate {
            point: Some((43.10, 141.40)),
            ..cand("far")
        };
        let (ranked, _) = rank(&needs(), Support::default(), &[far, near], 50);
        assert_eq!(ranked[0].id, "near");
        assert!(
            ranked[0]
                .scored
                .parts
                .iter()
                .any(|p| p.part == "distance" && p.reason.contains("さっぽろ駅前クリニック"))
        );
        assert_eq!(ranked[0].scored.distances[0].metres, 890);
    }

    #[test]
    fn conditions_the_office_can_meet_count_in_full() {
        let c = Candidate {
            conditions: Condition::WatchService.bit() | Condition::SupportSheet.bit(),
            ..cand("c")
        };
        let none = score(&needs(), Support::default(), &c);
        let all = score(
            &needs(),
            Support {
                conditions: Condition::full_mask(),
            },
            &c,
        );
        assert!(all.score > none.score);
        assert!(none.parts.iter().any(|p| p.reason.contains("見守り")));
    }

    fn arb_candidate() -> impl Strategy<Value = Candidate> {
        (
            any::<u16>(),
            30_000u32..150_000,
            0u32..10_000,
            15.0f64..60.0,
            1i32..10,
            any::<bool>(),
            0u32..256,
            0u32..128,
            prop::option::of(0i32..60),
            (43.0f64..43.2, 141.2f64..141.5),
            any::<bool>(),
        )
            .prop_map(
                |(
                    id,
                    rent,
                    common_fee,
                    area,
                    floor,
                    elevator,
                    cats,
                    access,
                    vacant,
                    point,
                    pets,
                )| Candidate {
                    id: format!("{id:05}"),
                    rent,
                    common_fee,
                    floor_area_m2: area,
                    unit_floor: floor,
                    elevator,
                    categories: cats,
                    accessibility: access,
                    vacant_from: vacant,
                    point: Some(point),
                    pets_allowed: pets,
                    ..cand("x")
                },
            )
    }

    fn arb_needs() -> impl Strategy<Value = Needs> {
        (
            40_000u32..120_000,
            0u32..8,
            any::<bool>(),
            any::<bool>(),
            prop::option::of(0i32..60),
            0u32..4,
        )
            .prop_map(|(budget, cat, pets, step, move_by, access)| Needs {
                max_monthly_total: budget,
                categories: 1 << cat,
                needs_pets: pets,
                ground_floor_or_elevator: step,
                move_by,
                accessibility_musts: access,
                ..needs()
            })
    }

    /// Rental ids are unique in the register; generated ones may repeat.
    fn unique(mut cs: Vec<Candidate>) -> Vec<Candidate> {
        cs.sort_by(|a, b| a.id.cmp(&b.id));
        cs.dedup_by(|a, b| a.id == b.id);
        cs
    }

    proptest! {
        #[test]
        fn a_rental_failing_a_hard_filter_never_appears(n in arb_needs(), cs in prop::collection::vec(arb_candidate(), 0..60)) {
            let cs = unique(cs);
            let (ranked, _) = rank(&n, Support::default(), &cs, 100);
            for r in &ranked {
                let c = cs.iter().find(|c| c.id == r.id).unwrap();
                prop_assert!(misses(&n, c).is_empty());
                prop_assert!(c.rent + c.common_fee <= n.max_monthly_total);
            }
        }

        #[test]
        fn the_order_is_the_order_of_the_scores(n in arb_needs(), cs in prop::collection::vec(arb_candidate(), 0..60)) {
            let cs = unique(cs);
            let (ranked, _) = rank(&n, Support::default(), &cs, 100);
            for w in ranked.windows(2) {
                prop_assert!(w[0].scored.score >= w[1].scored.score);
            }
            for r in &ranked {
                prop_assert!((0.0..=100.0).contains(&r.scored.score));
                let sum: f64 = r.scored.parts.iter().map(|p| p.points).sum();
                let max: f64 = r.scored.parts.iter().map(|p| p.max).sum();
                prop_assert!((r.scored.score - (100.0 * sum / max * 10.0).round() / 10.0).abs() < 1e-9);
            }
        }

        #[test]
        fn every_passing_rental_is_ranked_when_the_limit_allows(n in arb_needs(), cs in prop::collection::vec(arb_candidate(), 0..60)) {
            let uniq = unique(cs);
            let (ranked, _) = rank(&n, Support::default(), &uniq, 1000);
            let passing = uniq.iter().filter(|c| misses(&n, c).is_empty()).count();
            prop_assert_eq!(ranked.len(), passing);
        }
    }
}
