//! Reads one `[[add_ons.conditions]]` table into a [`Condition`]. The vocabulary is
//! closed: a kind or a key the engine does not know is an error, never silently ignored,
//! since an ignored condition would make an add-on look claimable when it is not.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::rules::{Condition, ConditionKind, GuidanceRule, MeetingRule, ReportMethod, ReportRule};
use crate::domain::organization::OrgKind;

/// A failure: the key it concerns (`None` for the table as a whole) and the message.
pub(super) type ConditionError = (Option<String>, String);

#[derive(Deserialize)]
struct Partners {
    partner_kinds: Vec<String>,
}

#[derive(Deserialize)]
struct Notified {
    cutoff_day: Option<u32>,
}

#[derive(Deserialize)]
struct Meetings {
    min: u32,
    partner_must_attend: bool,
    minutes_required: bool,
    clients_shared_with_consent: bool,
    issues_recorded: bool,
}

#[derive(Deserialize)]
struct Guidance {
    with: Vec<String>,
    client_consent: bool,
    explained_items_required: bool,
}

#[derive(Deserialize)]
struct Report {
    methods: Vec<ReportMethod>,
    issues_required: bool,
    grace_days_after_month: u32,
}

/// Parses a condition table; on success also returns the key that names it (`kind`).
pub(super) fn parse_condition(mut t: toml::Table) -> Result<(String, Condition), ConditionError> {
    let kind = match t.remove("kind") {
        Some(toml::Value::String(s)) => s,
        Some(_) => return Err((Some("kind".into()), "must be a string".into())),
        None => return Err((None, "a condition needs a `kind`".into())),
    };
    let kind = ConditionKind::parse(&kind).map_err(|m| (Some("kind".into()), m))?;
    let condition = match kind {
        ConditionKind::PartnerAgreement => {
            let p: Partners = params(kind, t, &["partner_kinds"])?;
            Condition::PartnerAgreement {
                partner_kinds: partner_kinds(&p.partner_kinds, "partner_kinds")?,
            }
        }
        ConditionKind::Published => {
            params::<toml::Table>(kind, t, &[])?;
            Condition::Published
        }
        ConditionKind::NotifiedPrefecture => {
            let p: Notified = params(kind, t, &["cutoff_day"])?;
            if p.cutoff_day.is_some_and(|d| !(1..=31).contains(&d)) {
                return Err((
                    Some("cutoff_day".into()),
                    "must be a day of the month, 1 to 31".into(),
                ));
            }
            Condition::NotifiedPrefecture {
                cutoff_day: p.cutoff_day,
            }
        }
        ConditionKind::MeetingsPerMonth => {
            let p: Meetings = params(
                kind,
                t,
                &[
                    "min",
                    "partner_must_attend",
                    "minutes_required",
                    "clients_shared_with_consent",
                    "issues_recorded",
                ],
            )?;
            if p.min == 0 {
                return Err((Some("min".into()), "must be at least 1".into()));
            }
            Condition::MeetingsPerMonth(MeetingRule {
                min: p.min,
                partner_must_attend: p.partner_must_attend,
                minutes_required: p.minutes_required,
                clients_shared_with_consent: p.clients_shared_with_consent,
                issues_recorded: p.issues_recorded,
            })
        }
        ConditionKind::JointGuidance => {
            let p: Guidance = params(
                kind,
                t,
                &["with", "client_consent", "explained_items_required"],
            )?;
            Condition::JointGuidance(GuidanceRule {
                with: partner_kinds(&p.with, "with")?,
                client_consent: p.client_consent,
                explained_items_required: p.explained_items_required,
            })
        }
        ConditionKind::ReportToCouncil => {
            let p: Report = params(
                kind,
                t,
                &["methods", "issues_required", "grace_days_after_month"],
            )?;
            if p.methods.is_empty() {
                return Err((
                    Some("methods".into()),
                    "name at least one accepted method".into(),
                ));
            }
            Condition::ReportToCouncil(ReportRule {
                methods: p.methods,
                issues_required: p.issues_required,
                grace_days_after_month: p.grace_days_after_month,
            })
        }
    };
    Ok(("kind".into(), condition))
}

/// Checks the keys against `known` first, so an unknown key is named, then reads values.
fn params<T: DeserializeOwned>(
    kind: ConditionKind,
    t: toml::Table,
    known: &[&str],
) -> Result<T, ConditionError> {
    if let Some(k) = t.keys().find(|k| !known.contains(&k.as_str())) {
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        return Err((
            Some(k.clone()),
            format!(
                "unknown key for a {} condition; known keys: {known}",
                kind.as_str()
            ),
        ));
    }
    toml::Value::Table(t)
        .try_into::<T>()
        .map_err(|e| (None, format!("{}: {}", kind.as_str(), e.to_string().trim())))
}

/// Partners of the add-ons are 居住支援法人 and 居住支援協議会; nothing else can qualify.
fn partner_kinds(names: &[String], key: &str) -> Result<Vec<OrgKind>, ConditionError> {
    const ALLOWED: [OrgKind; 2] = [OrgKind::HousingSupportCorp, OrgKind::HousingSupportCouncil];
    if names.is_empty() {
        return Err((Some(key.into()), "name at least one partner kind".into()));
    }
    names
        .iter()
        .map(|n| {
            OrgKind::parse(n)
                .ok()
                .filter(|k| ALLOWED.contains(k))
                .ok_or_else(|| {
                    (
                        Some(key.into()),
                        format!("`{n}` must be housing_support_corp or housing_support_council"),
                    )
                })
        })
        .collect()
}
