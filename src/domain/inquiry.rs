//! An inquiry: a client's application to a rental, from the office's proposal to the
//! move-in. Which step may follow which, who may take it, and the reasons recorded when
//! it ends — the landlord's (its concern list) and the client's own, kept apart so that
//! statistics never mix "the landlord refused" with "the person said no".

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InquiryStatus {
    /// 提案: the office proposed the rental to the landlord for the client.
    Proposed,
    /// 内見予定
    ViewingScheduled,
    /// 入居申込
    Applied,
    /// 入居承諾
    Accepted,
    /// 入居お断り (by the landlord, with a reason)
    Declined,
    /// 入居
    MovedIn,
    /// 取り下げ (by the client, with the client's own reason)
    Withdrawn,
}

impl InquiryStatus {
    pub const ALL: [InquiryStatus; 7] = [
        Self::Proposed,
        Self::ViewingScheduled,
        Self::Applied,
        Self::Accepted,
        Self::Declined,
        Self::MovedIn,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::ViewingScheduled => "viewing_scheduled",
            Self::Applied => "applied",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::MovedIn => "moved_in",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown inquiry status {s:?}"))
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Proposed => "提案中",
            Self::ViewingScheduled => "内見予定",
            Self::Applied => "申込済",
            Self::Accepted => "入居承諾",
            Self::Declined => "お断り",
            Self::MovedIn => "入居済",
            Self::Withdrawn => "取り下げ",
        }
    }

    /// No further step follows.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Declined | Self::MovedIn | Self::Withdrawn)
    }
}

/// Which side takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client's support office.
    Office,
    /// The rental's landlord or its agent.
    Landlord,
}

/// May `side` move an inquiry from `from` to `to`?
pub fn check_step(from: InquiryStatus, to: InquiryStatus, side: Side) -> Result<(), String> {
    use InquiryStatus::*;
    if from.is_final() {
        return Err(format!(
            "the inquiry has ended ({}); start a new one",
            from.as_str()
        ));
    }
    let allowed = match (from, to, side) {
        // Either side arranges the viewing.
        (Proposed, ViewingScheduled, _) | (ViewingScheduled, ViewingScheduled, _) => true,
        // The client applies, through the office.
        (Proposed | ViewingScheduled, Applied, Side::Office) => true,
        // Only the landlord accepts or declines, at any open step.
        (Proposed | ViewingScheduled | Applied, Accepted | Declined, Side::Landlord) => true,
        // The move-in is recorded by the office once accepted.
        (Accepted, MovedIn, Side::Office) => true,
        // The person may say no at any open step, through the office.
        (_, Withdrawn, Side::Office) => true,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        let who = match side {
            Side::Office => "the support office",
            Side::Landlord => "the landlord",
        };
        Err(format!(
            "{who} cannot move an inquiry from {} to {}",
            from.as_str(),
            to.as_str()
        ))
    }
}

/// Why a landlord declines: the concern list of DOMAIN.md (the survey's reasons, in
/// order), so councils can see why people are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    /// 家賃の支払いに対する不安
    UnpaidRent,
    /// 近隣住民との協調性に対する不安
    NeighbourTrouble,
    /// 居室内での死亡事故等に対する不安
    DeathInFlat,
    /// 生活サイクルが異なることへの不安 / 習慣・言語の違い
    DifferentHabits,
    /// 住宅の使用方法に対する不安
    MisuseOfFlat,
    /// 住居と関係ない人の出入りへの不安
    StrangersComing,
    /// 生活リズムの違い
    DifferentLifeRhythm,
    /// 障害者であることそのもの
    DisabilityLabel,
    /// 他の入居者に決まった
    OtherApplicantChosen,
    /// その他 (with a note)
    Other,
}

impl DeclineReason {
    pub const ALL: [DeclineReason; 10] = [
        Self::UnpaidRent,
        Self::NeighbourTrouble,
        Self::DeathInFlat,
        Self::DifferentHabits,
        Self::MisuseOfFlat,
        Self::StrangersComing,
        Self::DifferentLifeRhythm,
        Self::DisabilityLabel,
        Self::OtherApplicantChosen,
        Self::Other,
    ];

    /// The stored name (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnpaidRent => "unpaid_rent",
            Self::NeighbourTrouble => "neighbour_trouble",
            Self::DeathInFlat => "death_in_flat",
            Self::DifferentHabits => "different_habits",
            Self::MisuseOfFlat => "misuse_of_flat",
            Self::StrangersComing => "strangers_coming",
            Self::DifferentLifeRhythm => "different_life_rhythm",
            Self::DisabilityLabel => "disability_label",
            Self::OtherApplicantChosen => "other_applicant_chosen",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown decline reason {s:?}"))
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            Self::UnpaidRent => "家賃の支払いへの不安",
            Self::NeighbourTrouble => "近隣とのトラブルへの不安",
            Self::DeathInFlat => "居室内での死亡事故への不安",
            Self::DifferentHabits => "習慣・言語の違いへの不安",
            Self::MisuseOfFlat => "住宅の使用方法への不安",
            Self::StrangersComing => "関係者以外の出入りへの不安",
            Self::DifferentLifeRhythm => "生活リズムの違いへの不安",
            Self::DisabilityLabel => "障害があること",
            Self::OtherApplicantChosen => "他の入居者に決定",
            Self::Other => "その他",
        }
    }
}

/// Why the client withdrew: the person's own reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// 他の物件に決めた
    ChoseAnother,
    /// 気が変わった
    ChangedMind,
    /// 場所が合わない
    Location,
    /// 費用が合わない
    Cost,
    /// 部屋・設備が合わない
    Unit,
    /// 体調
    Health,
    /// 退院・退所の延期
    DischargePostponed,
    /// その他
    Other,
}

#[cfg(test)]
mod tests {
    use super::InquiryStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_runs_from_proposal_to_move_in() {
        for (from, to, side) in [
            (Proposed, ViewingScheduled, Side::Landlord),
            (ViewingScheduled, Applied, Side::Office),
            (Applied, Accepted, Side::Landlord),
            (Accepted, MovedIn, Side::Office),
        ] {
            assert!(check_step(from, to, side).is_ok(), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn only_the_landlord_decides_and_only_the_office_withdraws_or_moves_in() {
        assert!(check_step(Applied, Accepted, Side::Office).is_err());
        assert!(check_step(Applied, Declined, Side::Office).is_err());
        assert!(check_step(Applied, Withdrawn, Side::Landlord).is_err());
        assert!(check_step(Accepted, MovedIn, Side::Landlord).is_err());
    }

    #[test]
    fn an_ended_inquiry_takes_no_more_steps() {
        for end in [Declined, MovedIn, Withdrawn] {
            for to in InquiryStatus::ALL {
                assert!(check_step(end, to, Side::Office).is_err());
                assert!(check_step(end, to, Side::Landlord).is_err());
            }
        }
    }

    #[test]
    fn no_step_skips_the_landlords_acceptance() {
        for from in [Proposed, ViewingScheduled, Applied] {
            assert!(check_step(from, MovedIn, Side::Office).is_err());
        }
    }
}
