//! Reads rules files (TOML text, one revision each) into checked [`Revision`]s. Pure: the
//! caller hands in the text; the built-in files are compiled in by `build.rs`.

use chrono::NaiveDate;
use serde::Deserialize;
use toml::value::Datetime;

use super::conditions::parse_condition;
use super::rules::{
    AddOn, AddOnCode, Citation, Condition, ConditionKind, Revision, RevisionId, RevisionKind,
    UnitBasis,
};
use crate::domain::client::ServiceType;
use crate::domain::month::Month;

/// A rules file that cannot be used, with the file and the place in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules/add-ons/{file}: {at}: {message}")]
pub struct RulesError {
    pub file: String,
    /// The key path in the file, e.g. `add_ons[0].conditions[2].kind`.
    pub at: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevision {
    id: String,
    kind: String,
    title: String,
    effective_from: Datetime,
    effective_until: Option<Datetime>,
    record_retention_years: i64,
    #[serde(default)]
    citations: Vec<RawCitation>,
    #[serde(default)]
    add_ons: Vec<RawAddOn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCitation {
    title: String,
    issuer: String,
    document: Option<String>,
    url: Option<String>,
    page: Option<String>,
    official: bool,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddOn {
    code: String,
    name_ja: String,
    units: Option<i64>,
    basis: String,
    max_per_month: Option<i64>,
    services: Vec<String>,
    #[serde(default)]
    conditions: Vec<toml::Table>,
}

/// Reads one file. `file` is its name in `rules/add-ons/`, which must be
/// `<effective_from>_<id>.toml` so that a listing sorts by date and names the revision.
pub fn parse_revision(file: &str, text: &str) -> Result<Revision, RulesError> {
    let err = |at: &str, message: String| RulesError {
        file: file.to_owned(),
        at: at.to_owned(),
        message,
    };
    let raw: RawRevision =
        toml::from_str(text).map_err(|e| err("(syntax)", e.to_string().trim().to_owned()))?;

    let id = RevisionId::parse(&raw.id).map_err(|m| err("id", m))?;
    let kind = match raw.kind.as_str() {
        "enacted" => RevisionKind::Enacted,
        "proposal" => RevisionKind::Proposal,
        other => {
            return Err(err(
                "kind",
                format!("`{other}` must be enacted or proposal"),
            ));
        }
    };
    let title = non_empty(&raw.title).map_err(|m| err("title", m))?;
    let effective_from = date(&raw.effective_from).map_err(|m| err("effective_from", m))?;
    let effective_until = match &raw.effective_until {
        None => None,
        Some(d) => Some(date(d).map_err(|m| err("effective_until", m))?),
    };
    if effective_until.is_some_and(|u| u < effective_from) {
        return Err(err(
            "effective_until",
            "must not be before effective_from".into(),
        ));
    }
    let expected_name = format!("{effective_from}_{id}.toml");
    if file != expected_name {
        return Err(err(
            "(file name)",
            format!("must be named {expected_name} after its effective_from and id"),
        ));
    }
    let record_retention_years = u32::try_from(raw.record_retention_years)
        .ok()
        .filter(|y| (1..=100).contains(y))
        .ok_or_else(|| err("record_retention_years", "must be 1 to 100".into()))?;

    if raw.citations.is_empty() {
        return Err(err(
            "citations",
            "at least one source must be cited ([[citations]] with title, issuer, and url or document)".into(),
        ));
    }
    let citations = raw
        .citations
        .into_iter()
        .enumerate()
        .map(|(i, c)| citation(c).map_err(|(k, m)| err(&format!("citations[{i}].{k}"), m)))
        .collect::<Result<Vec<_>, _>>()?;

    if raw.add_ons.is_empty() {
        return Err(err(
            "add_ons",
            "a revision must define at least one add-on".into(),
        ));
    }
    let mut add_ons: Vec<AddOn> = Vec::new();
    for (i, a) in raw.add_ons.into_iter().enumerate() {
        let at = format!("add_ons[{i}]");
        let add_on = add_on(a, kind, &at).map_err(|(k, m)| err(&k, m))?;
        if add_ons.iter().any(|o| o.code == add_on.code) {
            return Err(err(
                &format!("{at}.code"),
                format!("`{}` appears twice", add_on.code),
            ));
        }
        add_ons.push(add_on);
    }

    Ok(Revision {
        id,
        kind,
        title,
        file: file.to_owned(),
        effective_from,
        effective_until,
        record_retention_years,
        citations,
        add_ons,
    })
}

fn non_empty(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(t.to_owned())
    }
}

/// A TOML local date (`2021-04-01`), which is what a fee rule's date is: a Tokyo date.
fn date(d: &Datetime) -> Result<NaiveDate, String> {
    match (&d.date, &d.time, &d.offset) {
        (Some(x), None, None) => {
            NaiveDate::from_ymd_opt(x.year.into(), x.month.into(), x.day.into())
                .ok_or_else(|| format!("{d} is not a calendar date"))
        }
        _ => Err(format!("{d} must be a plain date such as 2021-04-01")),
    }
}

fn citation(c: RawCitation) -> Result<Citation, (&'static str, String)> {
    let opt = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (document, url) = (opt(c.document), opt(c.url));
    if document.is_none() && url.is_none() {
        return Err((
            "url",
            "a citation needs a url or a document reference".into(),
        ));
    }
    if let Some(u) = &url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(("url", format!("`{u}` must be an http(s) address")));
    }
    Ok(Citation {
        title: non_empty(&c.title).map_err(|m| ("title", m))?,
        issuer: non_empty(&c.issuer).map_err(|m| ("issuer", m))?,
        document,
        url,
        page: opt(c.page),
        official: c.official,
        note: opt(c.note),
    })
}

fn add_on(a: RawAddOn, kind: RevisionKind, at: &str) -> Result<AddOn, (String, String)> {
    let e = |k: &str, m: String| (format!("{at}.{k}"), m);
    let code = AddOnCode::parse(&a.code).map_err(|m| e("code", m))?;
    let at = format!("{at} ({code})");
    let e = |k: &str, m: String| (format!("{at}.{k}"), m);
    let name_ja = non_empty(&a.name_ja).map_err(|m| e("name_ja", m))?;
    let units = match a.units {
        None if kind == RevisionKind::Enacted => {
            return Err(e("units", "an enacted add-on must state its units".into()));
        }
        None => None,
        Some(u) => Some(positive(u).map_err(|m| e("units", m))?),
    };
    let max_per_month = a
        .max_per_month
        .map(positive)
        .transpose()
        .map_err(|m| e("max_per_month", m))?;
    let basis = match (a.basis.as_str(), max_per_month) {
        ("per_user_per_month", None) => UnitBasis::PerUserPerMonth,
        ("per_user_per_month", Some(_)) => {
            return Err(e(
                "max_per_month",
                "only a per_time add-on has a monthly cap".into(),
            ));
        }
        ("per_time", max_per_month) => UnitBasis::PerTime { max_per_month },
        (other, _) => {
            return Err(e(
                "basis",
                format!("`{other}` must be per_user_per_month or per_time"),
            ));
        }
    };
    let mut services = Vec::new();
    for (i, s) in a.services.iter().enumerate() {
        let s = ServiceType::parse(s)
            .map_err(|m| e(&format!("services[{i}]"), format!("`{s}` {m}")))?;
        if services.contains(&s) {
            return Err(e(
                &format!("services[{i}]"),
                format!("`{}` appears twice", s.as_str()),
            ));
        }
        services.push(s);
    }
    if services.is_empty() {
        return Err(e(
            "services",
            "name at least one service whose offices may claim".into(),
        ));
    }
    let mut conditions: Vec<Condition> = Vec::new();
    for (i, t) in a.conditions.into_iter().enumerate() {
        let here = |k: Option<String>| match k {
            Some(k) => format!("conditions[{i}].{k}"),
            None => format!("conditions[{i}]"),
        };
        let (key, c) = parse_condition(t).map_err(|(k, m)| e(&here(k), m))?;
        if conditions.iter().any(|o| o.kind() == c.kind()) {
            return Err(e(
                &here(Some(key)),
                format!("`{}` appears twice", c.kind().as_str()),
            ));
        }
        conditions.push(c);
    }
    let has = |k: ConditionKind| conditions.iter().any(|c| c.kind() == k);
    if let Some(Condition::MeetingsPerMonth(m)) = conditions
        .iter()
        .find(|c| c.kind() == ConditionKind::MeetingsPerMonth)
        && m.partner_must_attend
        && !has(ConditionKind::PartnerAgreement)
    {
        return Err(e(
            "conditions",
            "partner_must_attend needs a partner_agreement condition naming the partner kinds"
                .into(),
        ));
    }
    if has(ConditionKind::ReportToCouncil) && !has(ConditionKind::JointGuidance) {
        return Err(e(
            "conditions",
            "report_to_council reports joint_guidance sessions, so it needs that condition".into(),
        ));
    }
    if matches!(basis, UnitBasis::PerTime { .. }) && !has(ConditionKind::JointGuidance) {
        return Err(e(
            "basis",
            "a per_time add-on counts joint_guidance sessions, so it needs that condition".into(),
        ));
    }
    Ok(AddOn {
        code,
        name_ja,
        units,
        basis,
        services,
        conditions,
    })
}

fn positive(n: i64) -> Result<u32, String> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{n} must be a whole number above 0"))
}

/// Every revision, enacted and proposed.
#[derive(Debug, Clone)]
pub struct RuleBook {
    revisions: Vec<Revision>,
}

impl RuleBook {
    /// Builds the book from `(file name, text)` pairs; the first bad file stops it.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RulesError> {
        let mut revisions: Vec<Revision> = Vec::new();
        for (file, text) in files {
            let r = parse_revision(file, text)?;
            let clash = |at: &str, message: String| RulesError {
                file: file.to_owned(),
                at: at.to_owned(),
                message,
            };
            if let Some(o) = revisions.iter().find(|o| o.id == r.id) {
                return Err(clash(
                    "id",
                    format!("`{}` is also the id of {}", r.id, o.file),
                ));
            }
            // Two enacted revisions from the same day would leave a month's rules ambiguous.
            if let Some(o) = revisions.iter().find(|o| {
                o.kind == RevisionKind::Enacted
                    && r.kind == RevisionKind::Enacted
                    && o.effective_from == r.effective_from
            }) {
                return Err(clash(
                    "effective_from",
                    format!("{} also takes effect on {}", o.file, r.effective_from),
                ));
            }
            revisions.push(r);
        }
        revisions.sort_by(|a, b| (a.effective_from, &a.id).cmp(&(b.effective_from, &b.id)));
        Ok(RuleBook { revisions })
    }

    /// The files in `rules/add-ons/` as they were when the binary was built.
    pub fn embedded() -> Result<Self, RulesError> {
        Self::from_files(super::embedded::FILES.iter().copied())
    }

    /// All revisions, oldest first.
    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    pub fn revision(&self, id: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.id.as_str() == id)
    }

    /// The enacted revision in force in `month`: the one with the latest effective_from
    /// on or before the month's first day. Proposals never apply on their own.
    pub fn in_force(&self, month: Month) -> Option<&Revision> {
        self.revisions
            .iter()
            .filter(|r| r.kind == RevisionKind::Enacted && r.covers(month))
            .max_by_key(|r| r.effective_from)
    }

    pub fn proposals(&self) -> impl Iterator<Item = &Revision> {
        self.revisions
            .iter()
            .filter(|r| r.kind == RevisionKind::Proposal)
    }
}
