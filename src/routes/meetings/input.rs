//! What a meeting's record is made of, checked in two passes: the shape of every field
//! first (all errors at once), then against the store (partners, clients and their
//! consents at the meeting date).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::clients::ConsentRow;
use crate::db::{DbConn, clients, organizations};
use crate::domain::client::ConsentPurpose;
use crate::domain::ids::OrganizationId;
use crate::domain::meeting::{
    IssueCategory, MeetingFormat, consent_covers, parse_held_at, parse_set,
};
use crate::domain::organization::OrgKind;
use crate::domain::time::date_in_tokyo;
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::routes::utc;

pub const MINUTES_MAX: usize = 20_000;
const MAX_ATTENDEES: usize = 30;
const MAX_PARTNERS: usize = 5;
const MAX_CLIENTS: usize = 50;

/// One person at the meeting.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    pub name: String,
    /// The organisation the person came from, as written on the minutes.
    pub organization: String,
    /// The organisation's id when it is the office or one of the partners.
    pub organization_id: Option<OrganizationId>,
    /// The person's role (相談支援専門員, 居住支援法人 担当, 事務局, …).
    pub role: String,
}

/// A meeting to record, or (in a PATCH) the whole record that replaces it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    /// When it took place, RFC 3339 with offset; its Tokyo day decides its month.
    pub held_at: String,
    /// in_person, online or phone.
    pub format: String,
    /// The 居住支援法人 and/or 居住支援協議会 that took part (1 to 5).
    #[schema(value_type = Vec<String>)]
    pub partner_org_ids: Vec<String>,
    pub attendees: Vec<Attendee>,
    pub agenda: Option<String>,
    /// Clients of the office whose information was shared; each needs an active
    /// discuss_at_meetings consent on the meeting day.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub client_ids: Vec<String>,
    /// Issues raised, from the closed list (landlords' concerns, lack_of_vacancies,
    /// rent_level, guarantor, …).
    #[serde(default)]
    pub issue_categories: Vec<String>,
    /// The issues in words (required when `other` is listed).
    pub issues_note: Option<String>,
    /// The first version of the minutes (on creation only; later versions go to
    /// `PUT /meetings/{id}/minutes`).
    pub minutes: Option<String>,
}

/// A meeting input whose fields all parsed.
#[derive(Debug, Clone)]
pub struct ValidMeeting {
    pub held_at: DateTime<Utc>,
    pub held_on: NaiveDate,
    pub format: MeetingFormat,
    pub partners: Vec<OrganizationId>,
    pub attendees: Vec<Attendee>,
    pub agenda: Option<String>,
    pub client_ids: Vec<String>,
    pub issues: Vec<IssueCategory>,
    pub issues_note: Option<String>,
    pub minutes: Option<String>,
}

fn optional_text(
    f: &mut Fields,
    field: &str,
    v: Option<String>,
    max: usize,
) -> Option<Option<String>> {
    f.check_opt(field, v.filter(|s| !s.trim().is_empty()), |s| text(&s, max))
}

fn uuids(f: &mut Fields, field: &str, ids: &[String], max: usize) -> Vec<String> {
    if ids.len() > max {
        f.push(field, format!("name at most {max}"));
    }
    match parse_set(ids, |s| {
        uuid::Uuid::parse_str(s.trim())
            .map(|u| u.to_string())
            .map_err(|_| "is not an id".to_owned())
    }) {
        Ok(v) => v,
        Err(errs) => {
            for (i, m) in errs {
                f.push(&format!("{field}[{i}]"), m);
            }
            Vec::new()
        }
    }
}

pub fn validate(input: MeetingInput, now: DateTime<Utc>) -> ApiResult<ValidMeeting> {
    let mut f = Fields::new();
    let held_at = f.check("held_at", parse_held_at(&input.held_at, now));
    let format = f.check("format", MeetingFormat::parse(&input.format));
    let partners = uuids(
        &mut f,
        "partner_org_ids",
        &input.partner_org_ids,
        MAX_PARTNERS,
    );
    if input.partner_org_ids.is_empty() {
        f.push(
            "partner_org_ids",
            "name the 居住支援法人 or 居住支援協議会 that took part",
        );
    }
    if input.attendees.is_empty() || input.attendees.len() > MAX_ATTENDEES {
        f.push("attendees", format!("list 1 to {MAX_ATTENDEES} attendees"));
    }
    let mut attendees = Vec::new();
    for (i, a) in input.attendees.iter().enumerate() {
        let name = f.check(&format!("attendees[{i}].name"), text(&a.name, 100));
        let org = f.check(
            &format!("attendees[{i}].organization"),
            text(&a.organization, 100),
        );
        let role = f.check(&format!("attendees[{i}].role"), text(&a.role, 100));
        if let (Some(name), Some(organization), Some(role)) = (name, org, role) {
            attendees.push(Attendee {
                name,
                organization,
                organization_id: a.organization_id,
                role,
            });
        }
    }
    let agenda = optional_text(&mut f, "agenda", input.agenda, 2000);
    let client_ids = uuids(&mut f, "client_ids", &input.client_ids, MAX_CLIENTS);
    let issues = match parse_set(&input.issue_categories, IssueCategory::parse) {
        Ok(v) => v,
        Err(errs) => {
            for (i, m) in errs {
                f.push(&format!("issue_categories[{i}]"), m);
            }
            Vec::new()
        }
    };
    let issues_note = optional_text(&mut f, "issues_note", input.issues_note, 4000);
    if issues.contains(&IssueCategory::Other) && matches!(issues_note, Some(None)) {
        f.push("issues_note", "describe the issue listed as other");
    }
    let minutes = optional_text(&mut f, "minutes", input.minutes, MINUTES_MAX);
    f.finish()?;
    let held_at = collected(held_at)?;
    Ok(ValidMeeting {
        held_on: date_in_tokyo(held_at),
        held_at,
        format: collected(format)?,
        partners: partners
            .iter()
            .map(|p| p.parse().map_err(ApiError::internal))
            .collect::<ApiResult<_>>()?,
        attendees,
        agenda: collected(agenda)?,
        client_ids,
        issues,
        issues_note: collected(issues_note)?,
        minutes: collected(minutes)?,
    })
}

/// The consent of `client_id` to be discussed at meetings that covers `day`.
pub fn meeting_consent(
    conn: &mut DbConn,
    client_id: &str,
    day: NaiveDate,
) -> ApiResult<Option<ConsentRow>> {
    let purpose = ConsentPurpose::DiscussAtMeetings.as_str();
    Ok(clients::consents_of(conn, client_id)?
        .into_iter()
        .filter(|c| c.purpose == purpose)
        .find(|c| {
            consent_covers(
                c.given_on,
                c.withdrawn_at.map(|w| date_in_tokyo(utc(w))),
                day,
            )
        }))
}

/// Checks the partners (active 居住支援法人 or 居住支援協議会), the attendees'
/// organisations and the clients (the office's, each with a consent covering the
/// meeting day). Returns each client with the consent it was shared under.
pub fn check_store(
    conn: &mut DbConn,
    office: &str,
    v: &ValidMeeting,
) -> ApiResult<Vec<(crate::db::clients::ClientRow, ConsentRow)>> {
    let mut errors = Vec::new();
    for (i, p) in v.partners.iter().enumerate() {
        let kind = match organizations::find(conn, &p.to_string()) {
            Ok(o) if o.is_active => OrgKind::parse(&o.kind).ok(),
            Ok(_) | Err(diesel::result::Error::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        if !matches!(
            kind,
            Some(OrgKind::HousingSupportCorp | OrgKind::HousingSupportCouncil)
        ) {
            errors.push(FieldError::new(
                format!("partner_org_ids[{i}]"),
                "is not an active 居住支援法人 or 居住支援協議会",
            ));
        }
    }
    for (i, a) in v.attendees.iter().enumerate() {
        if let Some(o) = a.organization_id
            && o.to_string() != office
            && !v.partners.contains(&o)
        {
            errors.push(FieldError::new(
                format!("attendees[{i}].organization_id"),
                "must be the office or one of the partners",
            ));
        }
    }
    let mut shared = Vec::new();
    for (i, id) in v.client_ids.iter().enumerate() {
        let field = format!("client_ids[{i}]");
        let client = match clients::find(conn, id) {
            Ok(c) if c.office_org_id == office => c,
            Ok(_) | Err(diesel::result::Error::NotFound) => {
                errors.push(FieldError::new(field, "is not a client of your office"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        match meeting_consent(conn, id, v.held_on)? {
            Some(c) => shared.push((client, c)),
            None => errors.push(FieldError::new(
                field,
                format!(
                    "the client had no active consent to be discussed at meetings on {}",
                    v.held_on
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(shared)
    } else {
        Err(ApiError::Validation(errors))
    }
}
