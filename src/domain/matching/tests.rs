use proptest::prelude::*;

use super::*;
use crate::domain::rental::{Condition, Layout};

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
fn a_smaller_flat_is_weighed_not_filtered_and_its_reason_says_by_how_much() {
    let small = Candidate {
        floor_area_m2: 16.5,
        ..cand("small")
    };
    let (ranked, _) = rank(&needs(), Support::default(), &[small, cand("big")], 50);
    let reason = |id: &str| {
        ranked
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.scored.parts.iter().find(|p| p.part == "area"))
            .map(|p| p.reason.clone())
            .unwrap()
    };
    assert_eq!(
        reason("small"),
        "専有面積 16.5㎡(希望 20㎡以上に 3.5㎡足りない)"
    );
    assert_eq!(reason("big"), "専有面積 25.0㎡(希望 20㎡以上)");
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
            |(id, rent, common_fee, area, floor, elevator, cats, access, vacant, point, pets)| {
                Candidate {
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
                }
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

/// Ranking as it is defined: every passing candidate scored with its reasons, all
/// sorted; near-misses likewise. `rank` must return exactly this.
fn rank_naively(
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
    near.truncate(NEAR_MISSES);
    (ranked, near)
}

proptest! {
    #[test]
    fn ranking_scores_without_reasons_first_yet_gives_what_scoring_everything_gives(
        n in arb_needs(),
        cs in prop::collection::vec(arb_candidate(), 0..80),
        limit in 1usize..70,
        layouts in any::<bool>(),
        places in 0usize..3,
        office in 0u32..32,
    ) {
        let cs = unique(cs);
        let clinic = needs().places[0].clone();
        let n = Needs {
            preferred_layouts: if layouts { vec![9, 10] } else { vec![] },
            places: (0..places)
                .map(|i| Place { lat: clinic.lat + 0.01 * i as f64, weight: 1 + i as u8, ..clinic.clone() })
                .collect(),
            min_area_m2: layouts.then_some(20.0),
            ..n
        };
        let support = Support { conditions: office };
        prop_assert_eq!(
            rank(&n, support, &cs, limit),
            rank_naively(&n, support, &cs, limit)
        );
    }

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
