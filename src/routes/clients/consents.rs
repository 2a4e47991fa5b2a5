//! `/clients/{id}/consents` and `/clients/{id}/provisions`: the client's consents per
//! purpose, recipient and sheet section — who recorded each, how and when, and its
//! withdrawal — and the record of every provision of the client's data to another
//! organisation (APPI 第三者提供記録, kept three years).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{load_authorized, load_for_record, record_access};
use crate::auth::{Action, Caller, ClientRecord};
use crate::db::clients::{ConsentRow, ProvisionRow};
use crate::db::{self, clients, organizations};
use crate::domain::client::{ConsentMethod, ConsentPurpose};
use crate::domain::ids::OrganizationId;
use crate::domain::organization::OrgKind;
use crate::domain::rental::date as parse_date;
use crate::domain::time::today_tokyo;
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::utc;
use crate::state::AppState;

/// The sections of the 生活サポートシート a consent may name.
pub const SHEET_SECTIONS: [&str; 6] = [
    "person",
    "network",
    "schedule",
    "scenarios",
    "payment",
    "review",
];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConsent {
    pub purpose: ConsentPurpose,
    /// The organisation the data may go to (for share_with_corp, share_with_landlord and
    /// support_sheet_section).
    pub recipient_org_id: Option<OrganizationId>,
    /// For support_sheet_section: person, network, schedule, scenarios, payment, review.
    pub sheet_section: Option<String>,
    pub method: ConsentMethod,
    /// The day the person gave it, YYYY-MM-DD.
    #[schema(value_type = String, format = Date)]
    pub given_on: String,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub purpose: ConsentPurpose,
    pub recipient_org_id: Option<OrganizationId>,
    pub sheet_section: Option<String>,
    pub method: ConsentMethod,
    pub given_on: NaiveDate,
    #[schema(value_type = String, format = Uuid)]
    pub recorded_by_user_id: String,
    pub recorded_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub withdrawn_by_user_id: Option<String>,
    pub note: Option<String>,
    pub active: bool,
}

fn view(c: ConsentRow) -> ApiResult<ConsentView> {
    Ok(ConsentView {
        purpose: ConsentPurpose::parse(&c.purpose).map_err(ApiError::internal)?,
        method: ConsentMethod::parse(&c.method).map_err(ApiError::internal)?,
        recipient_org_id: c
            .recipient_org_id
            .as_deref()
            .map(OrganizationId::from_db)
            .transpose()
            .map_err(ApiError::internal)?,
        recorded_at: utc(c.recorded_at),
        withdrawn_at: c.withdrawn_at.map(utc),
        active: c.withdrawn_at.is_none(),
        id: c.id,
        sheet_section: c.sheet_section,
        given_on: c.given_on,
        recorded_by_user_id: c.recorded_by_user_id,
        withdrawn_by_user_id: c.withdrawn_by_user_id,
        note: c.note,
    })
}

/// Records a consent the client gave (the client's office, staff or admin).
///
/// A consent is taken by a person, who is recorded with it: an API key gets 403 here.
#[utoipa::path(tag = "clients", request_body = NewConsent, params(("id" = uuid::Uuid, Path)), responses(
    (status = 201, body = ConsentView),
    (status = 403, body = Problem, content_type = "application/problem+json", description = "a viewer, another kind of organisation, or an API key (a consent is recorded by a person)"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/clients/{id}/consents")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    body: web::Json<NewConsent>,
) -> ApiResult<HttpResponse> {
    let Some(user) = caller.user_id() else {
        return Err(ApiError::Forbidden(
            "a consent is recorded by a person, not an API key".into(),
        ));
    };
    let id = id.into_inner().to_string();
    let b = body.into_inner();
    let mut f = Fields::new();
    let given_on = f.check(
        "given_on",
        parse_date(&b.given_on).and_then(|d| {
            if d > today_tokyo() {
                Err("must not be in the future".into())
            } else {
                Ok(d)
            }
        }),
    );
    match (b.purpose.needs_recipient(), b.recipient_org_id) {
        (true, None) => f.push(
            "recipient_org_id",
            "name the organisation the data may go to",
        ),
        (false, Some(_)) => f.push("recipient_org_id", "this purpose names no recipient"),
        _ => {}
    }
    match (
        b.purpose == ConsentPurpose::SupportSheetSection,
        b.sheet_section.as_deref(),
    ) {
        (true, None) => f.push(
            "sheet_section",
            format!("name one of {}", SHEET_SECTIONS.join(", ")),
        ),
        (true, Some(s)) if !SHEET_SECTIONS.contains(&s) => f.push(
            "sheet_section",
            format!("must be one of {}", SHEET_SECTIONS.join(", ")),
        ),
        (false, Some(_)) => f.push("sheet_section", "only for purpose support_sheet_section"),
        _ => {}
    }
    let note = f.check_opt("note", b.note.filter(|s| !s.trim().is_empty()), |s| {
        text(&s, 500)
    });
    f.finish()?;
    let (given_on, note) = (collected(given_on)?, collected(note)?);
    let consent = state
        .db
        .transaction(move |conn| {
            let (client, _) = load_authorized(conn, &caller, &id, Action::Update)?;
            if let Some(r) = b.recipient_org_id {
                let kind = match organizations::find(conn, &r.to_string()) {
                    Ok(o) if o.is_active => OrgKind::parse(&o.kind).ok(),
                    Ok(_) | Err(diesel::result::Error::NotFound) => None,
                    Err(e) => return Err(e.into()),
                };
                let fits = match b.purpose {
                    ConsentPurpose::ShareWithCorp => kind == Some(OrgKind::HousingSupportCorp),
                    ConsentPurpose::ShareWithLandlord => {
                        matches!(kind, Some(OrgKind::Landlord | OrgKind::RealEstateAgent))
                    }
                    _ => kind.is_some(),
                };
                if !fits {
                    return Err(ApiError::field(
                        "recipient_org_id",
                        "is not an active organisation of the kind this purpose shares with",
                    ));
                }
            }
            let row = ConsentRow {
                id: db::new_id(),
                client_id: client.id.clone(),
                purpose: b.purpose.as_str().to_owned(),
                recipient_org_id: b.recipient_org_id.map(|r| r.to_string()),
                sheet_section: b.sheet_section.clone(),
                method: b.method.as_str().to_owned(),
                given_on,
                recorded_by_user_id: user.to_string(),
                recorded_at: db::now(),
                withdrawn_at: None,
                withdrawn_by_user_id: None,
                note,
            };
            clients::insert_consent(conn, &row)?;
            record_access(
                conn,
                &caller,
                &client,
                "consent_given",
                b.purpose.as_str(),
                None,
            )?;
            view(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(consent))
}

/// Lists the client's consents, active and withdrawn (the client's office).
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = Vec<ConsentView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/clients/{id}/consents")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<Vec<ConsentView>>> {
    let id = id.into_inner().to_string();
    let rows = state
        .db
        .transaction(move |conn| {
            let client = load_for_record(conn, &caller, &id, ClientRecord::Consents)?;
            record_access(conn, &caller, &client, "read", "consents", None)?;
            Ok(clients::consents_of(conn, &id)?)
        })
        .await?;
    Ok(web::Json(
        rows.into_iter().map(view).collect::<ApiResult<Vec<_>>>()?,
    ))
}

/// Withdraws a consent (the client's office, staff or admin). From now on nothing more
/// goes out under it; what already went out stays in the provision log.
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path), ("consent_id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ConsentView),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json", description = "already withdrawn"),
), security(("bearer" = [])))]
#[post("/clients/{id}/consents/{consent_id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> ApiResult<web::Json<ConsentView>> {
    let (id, consent_id) = path.into_inner();
    let (id, consent_id) = (id.to_string(), consent_id.to_string());
    let row = state
        .db
        .transaction(move |conn| {
            let (client, _) = load_authorized(conn, &caller, &id, Action::Update)?;
            let c = clients::find_consent(conn, &id, &consent_id)?;
            let by = caller.user_id().map(|u| u.to_string());
            if !clients::withdraw_consent(conn, &c.id, by.as_deref(), db::now())? {
                return Err(ApiError::Conflict(
                    "the consent was already withdrawn".into(),
                ));
            }
            record_access(
                conn,
                &caller,
                &client,
                "consent_withdrawn",
                &c.purpose,
                None,
            )?;
            Ok(clients::find_consent(conn, &id, &consent_id)?)
        })
        .await?;
    Ok(web::Json(view(row)?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisionView {
    pub recipient_org_id: OrganizationId,
    #[schema(value_type = String, format = Uuid)]
    pub consent_id: String,
    pub purpose: String,
    /// What was provided (client, needs, sheet sections, …).
    pub items: String,
    pub provided_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub provided_by_user_id: Option<String>,
    /// Kept until this day (three years).
    pub keep_until: NaiveDate,
}

/// The record of every provision of the client's data to another organisation.
#[utoipa::path(tag = "clients", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = Vec<ProvisionView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/clients/{id}/provisions")]
pub async fn provisions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<Vec<ProvisionView>>> {
    let id = id.into_inner().to_string();
    let rows = state
        .db
        .transaction(move |conn| {
            let client = load_for_record(conn, &caller, &id, ClientRecord::Provisions)?;
            record_access(conn, &caller, &client, "read", "provisions", None)?;
            Ok(clients::provisions_of(conn, &id)?)
        })
        .await?;
    let out = rows
        .into_iter()
        .map(|p: ProvisionRow| {
            Ok(ProvisionView {
                recipient_org_id: OrganizationId::from_db(&p.recipient_org_id)
                    .map_err(ApiError::internal)?,
                provided_at: utc(p.provided_at),
                consent_id: p.consent_id,
                purpose: p.purpose,
                items: p.items,
                provided_by_user_id: p.provided_by_user_id,
                keep_until: p.keep_until,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(web::Json(out))
}
