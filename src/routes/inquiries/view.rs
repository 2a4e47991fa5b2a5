//! What the API shows of an inquiry. The client's office sees the client's summary; the
//! landlord and its agent see only what the client's `share_with_landlord` consent
//! allows — the pseudonym, an age band, the categories and where the person lives now —
//! never the name, the date of birth or the person's own words. The client's reason for
//! withdrawing is theirs: only the office sees it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::clients::ClientRow;
use crate::db::inquiries::{EventRow, InquiryRow};
use crate::domain::client::{ClientStatus, CurrentPlace, age_on};
use crate::domain::ids::OrganizationId;
use crate::domain::inquiry::{DeclineReason, InquiryStatus, WithdrawReason};
use crate::domain::rental::Category;
use crate::error::{ApiError, ApiResult};
use crate::routes::clients::ClientSummary;
use crate::routes::utc;

/// What the landlord and its agent may learn of the client, by consent.
// Named apart from the meetings' `SharedClient`: components share one namespace.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InquiryClient)]
pub struct SharedClient {
    /// The pseudonym, not the name.
    pub display_code: String,
    /// The age in decades, e.g. 30代.
    pub age_band: String,
    pub categories: Vec<Category>,
    pub current_place: CurrentPlace,
}

/// A client's application to a rental.
#[derive(Debug, Serialize, ToSchema)]
pub struct InquiryView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    #[schema(value_type = String, format = Uuid)]
    pub rental_id: String,
    pub office_org_id: OrganizationId,
    pub landlord_org_id: OrganizationId,
    pub agent_org_id: Option<OrganizationId>,
    pub status: InquiryStatus,
    /// The status in Japanese (提案中, 内見予定, …).
    pub status_label_ja: String,
    /// The (last) viewing arranged.
    pub viewing_at: Option<DateTime<Utc>>,
    /// The landlord's reason, from the concern list (on `declined`).
    pub decline_reason: Option<DeclineReason>,
    pub decline_reason_label_ja: Option<String>,
    pub decline_note: Option<String>,
    /// The client's own reason (on `withdrawn`); shown to the office only (absent for
    /// the landlord and its agent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdraw_reason: Option<WithdrawReason>,
    /// No step for longer than the configured number of days.
    pub stalled: bool,
    pub stalled_at: Option<DateTime<Utc>>,
    pub last_step_at: DateTime<Utc>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The client, for the client's office (absent for the landlord and its agent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientSummary>,
    /// What the landlord or agent may see of the client, by consent; absent in lists
    /// (open the inquiry: that read is written to the provision log) and when the
    /// consent has been withdrawn, and for the office.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_client: Option<SharedClient>,
}

/// Which side took a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepSide {
    Office,
    Landlord,
}

/// One step of an inquiry: when, by whom, from which status to which.
#[derive(Debug, Serialize, ToSchema)]
pub struct InquiryEventView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    /// Absent on the first step (the proposal).
    pub from_status: Option<InquiryStatus>,
    pub to_status: InquiryStatus,
    pub at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub by_user_id: Option<String>,
    pub by_org_id: Option<OrganizationId>,
    pub by_side: Option<StepSide>,
    pub note: Option<String>,
}

/// An enum stored as its serde name (the reasons have no hand-written text form).
pub fn enum_text<T: Serialize>(v: T) -> ApiResult<String> {
    match serde_json::to_value(v).map_err(ApiError::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Err(ApiError::internal(format!("not a text enum: {other}"))),
    }
}

fn enum_from_text<T: serde::de::DeserializeOwned>(s: &str) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(ApiError::internal)
}

fn org(s: &str) -> ApiResult<OrganizationId> {
    OrganizationId::from_db(s).map_err(ApiError::internal)
}

/// The age in decades: 20代, 30代, …
pub fn age_band(age: i32) -> String {
    match age {
        i32::MIN..=9 => "10歳未満".to_owned(),
        100.. => "100歳以上".to_owned(),
        a => format!("{}代", a / 10 * 10),
    }
}

pub fn shared_client(c: &ClientRow, today: NaiveDate) -> ApiResult<SharedClient> {
    Ok(SharedClient {
        display_code: c.display_code.clone(),
        age_band: age_band(age_on(c.date_of_birth, today)),
        categories: Category::from_mask(c.categories as u32),
        current_place: CurrentPlace::parse(&c.current_place).map_err(ApiError::internal)?,
    })
}

pub fn client_summary(c: &ClientRow) -> ApiResult<ClientSummary> {
    Ok(ClientSummary {
        id: c.id.clone(),
        office_org_id: org(&c.office_org_id)?,
        display_code: c.display_code.clone(),
        current_place: CurrentPlace::parse(&c.current_place).map_err(ApiError::internal)?,
        target_move_date: c.target_move_date,
        status: ClientStatus::parse(&c.status).map_err(ApiError::internal)?,
        responsible_user_id: c.responsible_user_id.clone(),
    })
}

/// Who sees an inquiry, and so how much of it.
pub enum Audience<'a> {
    Office(Option<&'a ClientRow>),
    Landlord(Option<SharedClient>),
}

pub fn inquiry_view(r: InquiryRow, audience: Audience<'_>) -> ApiResult<InquiryView> {
    let status = InquiryStatus::parse(&r.status).map_err(ApiError::internal)?;
    let decline_reason: Option<DeclineReason> = r
        .decline_reason
        .as_deref()
        .map(enum_from_text)
        .transpose()?;
    let (client, shared_client, withdraw_reason) = match audience {
        Audience::Office(c) => (
            c.map(client_summary).transpose()?,
            None,
            r.withdraw_reason
                .as_deref()
                .map(enum_from_text)
                .transpose()?,
        ),
        Audience::Landlord(shared) => (None, shared, None),
    };
    Ok(InquiryView {
        office_org_id: org(&r.office_org_id)?,
        landlord_org_id: org(&r.landlord_org_id)?,
        agent_org_id: r.agent_org_id.as_deref().map(org).transpose()?,
        status,
        status_label_ja: status.label_ja().to_owned(),
        viewing_at: r.viewing_at.map(utc),
        decline_reason_label_ja: decline_reason.map(|d| d.label_ja().to_owned()),
        decline_reason,
        decline_note: r.decline_note,
        withdraw_reason,
        stalled: r.stalled_at.is_some(),
        stalled_at: r.stalled_at.map(utc),
        last_step_at: utc(r.last_step_at),
        version: r.version,
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
        client,
        shared_client,
        id: r.id,
        rental_id: r.rental_id,
    })
}

pub fn event_view(e: EventRow, inquiry: &InquiryRow) -> ApiResult<InquiryEventView> {
    let by_side = e.by_org_id.as_deref().and_then(|o| {
        if o == inquiry.office_org_id {
            Some(StepSide::Office)
        } else if o == inquiry.landlord_org_id || Some(o) == inquiry.agent_org_id.as_deref() {
            Some(StepSide::Landlord)
        } else {
            None
        }
    });
    Ok(InquiryEventView {
        from_status: e
            .from_status
            .as_deref()
            .map(InquiryStatus::parse)
            .transpose()
            .map_err(ApiError::internal)?,
        to_status: InquiryStatus::parse(&e.to_status).map_err(ApiError::internal)?,
        at: utc(e.at),
        by_org_id: e.by_org_id.as_deref().map(org).transpose()?,
        by_side,
        id: e.id,
        by_user_id: e.by_user_id,
        note: e.note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_shown_in_decades_only() {
        assert_eq!(age_band(30), "30代");
        assert_eq!(age_band(39), "30代");
        assert_eq!(age_band(41), "40代");
        assert_eq!(age_band(7), "10歳未満");
        assert_eq!(age_band(101), "100歳以上");
    }

    #[test]
    fn reasons_are_stored_by_their_api_names() {
        assert_eq!(enum_text(DeclineReason::UnpaidRent).unwrap(), "unpaid_rent");
        assert_eq!(enum_text(WithdrawReason::Location).unwrap(), "location");
        let back: WithdrawReason = enum_from_text("location").unwrap();
        assert_eq!(back, WithdrawReason::Location);
    }
}
