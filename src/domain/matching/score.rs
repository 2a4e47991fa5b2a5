//! The score of a rental that passed the hard filters: its points part by part, and
//! the reasons written from the same numbers.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Candidate, Needs, Place, PlaceKind, Support, thousands};
use crate::domain::rental::{Condition, Layout};

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

/// The points of each part of a score, without the reasons: all that ranking needs.
/// [`score`] writes the reasons from the same numbers, so a score is the same whether
/// or not its reasons are written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Points {
    /// When the client has places that matter and the rental a point.
    distance: Option<f64>,
    budget: f64,
    /// When the client has a minimum floor area.
    area: Option<f64>,
    /// When the client has preferred layouts.
    layout: Option<f64>,
    step_free: f64,
    conditions: f64,
    support: f64,
}

impl Points {
    /// `on_place` sees each place's distance in metres, in the order of the places.
    pub(super) fn of(
        needs: &Needs,
        support: Support,
        c: &Candidate,
        mut on_place: impl FnMut(&Place, f64),
    ) -> Self {
        // Distance to the places that matter: 1 at the door, half at 1.5 km, weighted.
        let (mut sum, mut weights) = (0.0, 0.0);
        if let Some((lat, lon)) = c.point {
            for p in &needs.places {
                let d = crate::domain::rental::haversine_m(p.lat, p.lon, lat, lon);
                on_place(p, d);
                let w = f64::from(p.weight.clamp(1, 5));
                sum += w / (1.0 + d / 1500.0);
                weights += w;
            }
        }

        let total = c.rent + c.common_fee;
        let headroom = f64::from(needs.max_monthly_total.saturating_sub(total))
            / f64::from(needs.max_monthly_total.max(1));

        let area = needs.min_area_m2.map(|min| {
            let ratio = (c.floor_area_m2 / min.max(1.0)).min(1.5);
            if ratio >= 1.0 {
                W_AREA * (0.7 + 0.6 * (ratio - 1.0))
            } else {
                W_AREA * 0.7 * ratio
            }
        });

        let layout = (!needs.preferred_layouts.is_empty()).then(|| {
            if needs.preferred_layouts.contains(&c.layout_rank) {
                W_LAYOUT
            } else {
                0.0
            }
        });

        let unmet = c.conditions & !support.conditions;
        let asked = c.conditions.count_ones();
        let conditions = if asked == 0 {
            W_CONDITIONS
        } else {
            W_CONDITIONS * f64::from(asked - unmet.count_ones()) / f64::from(asked)
        };

        let mut support_points = 0.0;
        if c.support_housing {
            support_points += 0.6;
        }
        if c.guarantee_company_accepted {
            support_points += 0.4;
        }

        Self {
            distance: (weights > 0.0).then(|| W_DISTANCE * sum / weights),
            budget: W_BUDGET * (0.5 + headroom).min(1.0),
            area,
            layout,
            step_free: if c.unit_floor <= 1 || c.elevator {
                W_STEP_FREE
            } else {
                0.0
            },
            conditions,
            support: W_SUPPORT * support_points,
        }
    }

    /// (points, maximum) of each part there is, in the order the parts are shown.
    fn parts(&self) -> impl Iterator<Item = (f64, f64)> {
        [
            self.distance.map(|p| (p, W_DISTANCE)),
            Some((self.budget, W_BUDGET)),
            self.area.map(|p| (p, W_AREA)),
            self.layout.map(|p| (p, W_LAYOUT)),
            Some((self.step_free, W_STEP_FREE)),
            Some((self.conditions, W_CONDITIONS)),
            Some((self.support, W_SUPPORT)),
        ]
        .into_iter()
        .flatten()
    }

    /// 0-100, to 0.1.
    pub(super) fn score(&self) -> f64 {
        let max: f64 = self.parts().map(|p| p.1).sum();
        let got: f64 = self.parts().map(|p| p.0).sum();
        if max > 0.0 {
            (100.0 * got / max * 10.0).round() / 10.0
        } else {
            0.0
        }
    }
}

/// Scores a rental that passed the hard filters, part by part with the reasons.
pub fn score(needs: &Needs, support: Support, c: &Candidate) -> Scored {
    let mut distances = Vec::with_capacity(needs.places.len());
    let points = Points::of(needs, support, c, |p, d| {
        distances.push(PlaceDistance {
            name: p.name.clone(),
            kind: p.kind,
            metres: d.round() as u32,
        });
    });
    let mut parts = Vec::with_capacity(7);

    if let Some(points) = points.distance {
        let reason = distances
            .iter()
            .map(|d| format!("{}まで{:.1}km", d.name, f64::from(d.metres) / 1000.0))
            .collect::<Vec<_>>()
            .join("、");
        parts.push(ScorePart {
            part: "distance",
            points,
            max: W_DISTANCE,
            reason,
        });
    }

    let total = c.rent + c.common_fee;
    parts.push(ScorePart {
        part: "budget",
        points: points.budget,
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

    if let (Some(points), Some(min)) = (points.area, needs.min_area_m2) {
        parts.push(ScorePart {
            part: "area",
            points,
            max: W_AREA,
            // Area is weighed, not filtered: a smaller flat says by how much it is short.
            reason: if c.floor_area_m2 >= min {
                format!("専有面積 {:.1}㎡(希望 {min:.0}㎡以上)", c.floor_area_m2)
            } else {
                format!(
                    "専有面積 {:.1}㎡(希望 {min:.0}㎡以上に {:.1}㎡足りない)",
                    c.floor_area_m2,
                    min - c.floor_area_m2
                )
            },
        });
    }

    if let Some(points) = points.layout {
        let hit = needs.preferred_layouts.contains(&c.layout_rank);
        let name = Layout::from_rank(c.layout_rank).map_or_else(String::new, |l| l.to_string());
        parts.push(ScorePart {
            part: "layout",
            points,
            max: W_LAYOUT,
            reason: if hit {
                format!("希望の間取り({name})")
            } else {
                format!("間取り{name}は希望外")
            },
        });
    }

    parts.push(ScorePart {
        part: "step_free",
        points: points.step_free,
        max: W_STEP_FREE,
        reason: match (c.unit_floor <= 1, c.elevator) {
            (true, _) => "1階".into(),
            (false, true) => format!("{}階・エレベーターあり", c.unit_floor),
            (false, false) => format!("{}階・エレベーターなし", c.unit_floor),
        },
    });

    let unmet = c.conditions & !support.conditions;
    parts.push(ScorePart {
        part: "landlord_conditions",
        points: points.conditions,
        max: W_CONDITIONS,
        reason: if c.conditions == 0 {
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

    let mut support_reasons = Vec::new();
    if c.support_housing {
        support_reasons.push("居住サポート住宅(毎日の安否確認・毎月の訪問)");
    }
    if c.guarantee_company_accepted {
        support_reasons.push("家賃債務保証会社を利用可");
    }
    parts.push(ScorePart {
        part: "support",
        points: points.support,
        max: W_SUPPORT,
        reason: if support_reasons.is_empty() {
            "見守り・保証の支えなし".into()
        } else {
            support_reasons.join("、")
        },
    });

    Scored {
        score: points.score(),
        parts,
        distances,
    }
}
