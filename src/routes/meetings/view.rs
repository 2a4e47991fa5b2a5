//! What a meeting looks like to its office and its partners.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::input::Attendee;
use crate::db::meetings::{AmendmentRow, MeetingRow, MinutesRow};
use crate::db::{DbConn, meetings};
use crate::domain::ids::OrganizationId;
use crate::domain::meeting::{IssueCategory, MeetingField, MeetingFormat};
use crate::domain::year_month::YearMonth;
use crate::error::{ApiError, ApiResult};
use crate::routes::utc;

/// A client whose information was shared at the meeting: the pseudonym only.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedClient {
    #[schema(value_type = String, format = Uuid)]
    pub client_id: String,
    pub display_code: String,
    /// The discuss_at_meetings consent it was shared under.
    #[schema(value_type = String, format = Uuid)]
    pub consent_id: String,
}

/// A correction of a meeting of a closed month.
#[derive(Debug, Serialize, ToSchema)]
pub struct AmendmentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub fields: Vec<MeetingField>,
    /// What changed, in words.
    pub change: String,
    pub reason: String,
    pub made_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub made_by_user_id: Option<String>,
}

/// One version of the minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MinutesVersion {
    pub version: i32,
    pub text: String,
    pub written_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub written_by_user_id: Option<String>,
}

/// A meeting (情報連携の場) as recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub office_org_id: OrganizationId,
    pub held_at: DateTime<Utc>,
    /// The Tokyo day it was held.
    pub held_on: NaiveDate,
    /// YYYY-MM of `held_on`.
    pub month: String,
    pub format: MeetingFormat,
    pub partner_org_ids: Vec<OrganizationId>,
    pub attendees: Vec<Attendee>,
    pub agenda: Option<String>,
    pub clients: Vec<SharedClient>,
    pub issue_categories: Vec<IssueCategory>,
    pub issues_note: Option<String>,
    /// The current minutes; earlier versions at `/meetings/{id}/minutes`.
    pub minutes: Option<String>,
    /// 0 while there are no minutes.
    pub minutes_version: i32,
    /// The month is closed: the record is changed only by amendments.
    pub locked: bool,
    pub amendments: Vec<AmendmentView>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by_user_id: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// What lists show: no client data, no minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub office_org_id: OrganizationId,
    pub held_at: DateTime<Utc>,
    pub held_on: NaiveDate,
    pub month: String,
    pub format: MeetingFormat,
    pub partner_org_ids: Vec<OrganizationId>,
    pub client_count: usize,
    pub issue_categories: Vec<IssueCategory>,
    pub minutes_version: i32,
    pub locked: bool,
    pub version: i32,
}

fn org(s: &str) -> ApiResult<OrganizationId> {
    OrganizationId::from_db(s).map_err(ApiError::internal)
}

fn issues(json: &str) -> ApiResult<Vec<IssueCategory>> {
    let names: Vec<String> = serde_json::from_str(json).map_err(ApiError::internal)?;
    names
        .iter()
        .map(|n| IssueCategory::parse(n).map_err(ApiError::internal))
        .collect()
}

pub fn amendment_view(a: AmendmentRow) -> ApiResult<AmendmentView> {
    let names: Vec<String> = serde_json::from_str(&a.fields).map_err(ApiError::internal)?;
    Ok(AmendmentView {
        fields: names
            .iter()
            .map(|n| MeetingField::parse(n).map_err(ApiError::internal))
            .collect::<ApiResult<_>>()?,
        made_at: utc(a.made_at),
        id: a.id,
        change: a.change,
        reason: a.reason,
        made_by_user_id: a.made_by_user_id,
    })
}

pub fn minutes_view(m: MinutesRow) -> MinutesVersion {
    MinutesVersion {
        version: m.version,
        written_at: utc(m.written_at),
        text: m.text,
        written_by_user_id: m.written_by_user_id,
    }
}

pub fn meeting_view(conn: &mut DbConn, row: MeetingRow, locked: bool) -> ApiResult<MeetingView> {
    let partners = meetings::partners_of(conn, &row.id)?
        .iter()
        .map(|p| org(p))
        .collect::<ApiResult<_>>()?;
    let shared = meetings::clients_with_codes(conn, &row.id)?
        .into_iter()
        .map(|(c, display_code)| SharedClient {
            client_id: c.client_id,
            display_code,
            consent_id: c.consent_id,
        })
        .collect();
    let minutes = meetings::current_minutes(conn, &row)?.map(|m| m.text);
    let amendments = meetings::amendments_of(conn, &row.id)?
        .into_iter()
        .map(amendment_view)
        .collect::<ApiResult<_>>()?;
    Ok(MeetingView {
        office_org_id: org(&row.office_org_id)?,
        held_at: utc(row.held_at),
        month: YearMonth::of(row.held_on).to_string(),
        format: MeetingFormat::parse(&row.format).map_err(ApiError::internal)?,
        partner_org_ids: partners,
        attendees: serde_json::from_str(&row.attendees).map_err(ApiError::internal)?,
        clients: shared,
        issue_categories: issues(&row.issue_categories)?,
        minutes,
        locked,
        amendments,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        id: row.id,
        held_on: row.held_on,
        agenda: row.agenda,
        issues_note: row.issues_note,
        minutes_version: row.minutes_version,
        version: row.version,
        created_by_user_id: row.created_by_user_id,
    })
}

pub fn summary(conn: &mut DbConn, row: MeetingRow, locked: bool) -> ApiResult<MeetingSummary> {
    let partners = meetings::partners_of(conn, &row.id)?
        .iter()
        .map(|p| org(p))
        .collect::<ApiResult<_>>()?;
    Ok(MeetingSummary {
        office_org_id: org(&row.office_org_id)?,
        held_at: utc(row.held_at),
        month: YearMonth::of(row.held_on).to_string(),
        format: MeetingFormat::parse(&row.format).map_err(ApiError::internal)?,
        partner_org_ids: partners,
        client_count: meetings::clients_of(conn, &row.id)?.len(),
        issue_categories: issues(&row.issue_categories)?,
        locked,
        id: row.id,
        held_on: row.held_on,
        minutes_version: row.minutes_version,
        version: row.version,
    })
}
