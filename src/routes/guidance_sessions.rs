//! `/guidance-sessions`: a client, the office and a 居住支援法人 together — the office's
//! staff and the corp explain and guide the client on living at home. The client must
//! have consented to share with that corp on the day (share_with_corp naming it); the
//! session gives the client's data to the corp, so it goes to the provision log. The
//! office and the corp read a session; everyone else gets 404.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::meetings::MonthListQuery;
use super::utc;
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::clients::ProvisionRow;
use crate::db::council::{Scope, SessionRow};
use crate::db::{self, DbConn, audit, clients, council, organizations};
use crate::domain::client::{ConsentPurpose, keep_provision_until};
use crate::domain::ids::OrganizationId;
use crate::domain::meeting::consent_covers;
use crate::domain::organization::OrgKind;
use crate::domain::page::Page;
use crate::domain::rental::date as parse_date;
use crate::domain::time::{date_in_tokyo, today_tokyo};
use crate::domain::validate::{Fields, collected, text};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::clients::record_access;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGuidanceSession {
    /// A client of the caller's office.
    #[schema(format = Uuid)]
    pub client_id: String,
    /// The 居住支援法人 that gave the guidance with the office.
    #[schema(format = Uuid)]
    pub corp_org_id: String,
    /// YYYY-MM-DD, not in the future.
    pub held_on: String,
    /// What was explained and how the client took it.
    pub explained: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuidanceSessionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: String,
    pub office_org_id: OrganizationId,
    pub corp_org_id: OrganizationId,
    #[schema(value_type = String, format = Uuid)]
    pub client_id: String,
    pub client_display_code: String,
    /// The share_with_corp consent the session relied on.
    #[schema(value_type = String, format = Uuid)]
    pub consent_id: String,
    pub held_on: NaiveDate,
    pub explained: String,
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by_user_id: Option<String>,
}

fn view(
    conn: &mut DbConn,
    caller: &Caller,
    s: SessionRow,
    action: &str,
) -> ApiResult<GuidanceSessionView> {
    let client = council::client_of_session(conn, &s.client_id)?;
    record_access(conn, caller, &client, action, "guidance_session", None)?;
    let org = |x: &str| OrganizationId::from_db(x).map_err(ApiError::internal);
    Ok(GuidanceSessionView {
        office_org_id: org(&s.office_org_id)?,
        corp_org_id: org(&s.corp_org_id)?,
        client_display_code: client.display_code,
        created_at: utc(s.created_at),
        id: s.id,
        client_id: s.client_id,
        consent_id: s.consent_id,
        held_on: s.held_on,
        explained: s.explained,
        created_by_user_id: s.created_by_user_id,
    })
}

/// Records a joint guidance session (the office's staff).
#[utoipa::path(tag = "guidance-sessions", request_body = NewGuidanceSession, responses(
    (status = 201, body = GuidanceSessionView, headers(("Location" = String))),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[post("/guidance-sessions")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewGuidanceSession>,
) -> ApiResult<HttpResponse> {
    authorize(&caller, Action::Create, Resource::GuidanceSessions)?;
    let b = body.into_inner();
    let mut f = Fields::new();
    let id_of = |s: &str| {
        uuid::Uuid::parse_str(s.trim())
            .map(|u| u.to_string())
            .map_err(|_| "is not an id".to_owned())
    };
    let client_id = f.check("client_id", id_of(&b.client_id));
    let corp = f.check("corp_org_id", id_of(&b.corp_org_id));
    let held_on = f.check(
        "held_on",
        parse_date(&b.held_on).and_then(|d| {
            if d > today_tokyo() {
                Err("must not be in the future".into())
            } else {
                Ok(d)
            }
        }),
    );
    let explained = f.check("explained", text(&b.explained, 4000));
    f.finish()?;
    let (client_id, corp, held_on, explained) = (
        collected(client_id)?,
        collected(corp)?,
        collected(held_on)?,
        collected(explained)?,
    );
    let out = state
        .db
        .transaction(move |conn| {
            let office = caller.organization_id.to_string();
            let corp_ok = match organizations::find(conn, &corp) {
                Ok(o) => o.is_active && o.kind == OrgKind::HousingSupportCorp.as_str(),
                Err(diesel::result::Error::NotFound) => false,
                Err(e) => return Err(e.into()),
            };
            if !corp_ok {
                return Err(ApiError::field(
                    "corp_org_id",
                    "is not an active 居住支援法人",
                ));
            }
            let client = match clients::find(conn, &client_id) {
                Ok(c) if c.office_org_id == office => c,
                Ok(_) | Err(diesel::result::Error::NotFound) => {
                    return Err(ApiError::field(
                        "client_id",
                        "is not a client of your office",
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            let purpose = ConsentPurpose::ShareWithCorp.as_str();
            let consent = clients::consents_of(conn, &client.id)?
                .into_iter()
                .find(|c| {
                    c.purpose == purpose
                        && c.recipient_org_id.as_deref() == Some(corp.as_str())
                        && consent_covers(
                            c.given_on,
                            c.withdrawn_at.map(|w| date_in_tokyo(utc(w))),
                            held_on,
                        )
                });
            let Some(consent) = consent else {
                return Err(ApiError::field(
                    "client_id",
                    format!(
                        "the client had not consented on {held_on} to share with this 居住支援法人"
                    ),
                ));
            };
            let now = db::now();
            let row = SessionRow {
                id: db::new_id(),
                office_org_id: office,
                corp_org_id: corp.clone(),
                client_id: client.id.clone(),
                consent_id: consent.id.clone(),
                held_on,
                explained,
                created_at: now,
                created_by_user_id: caller.user_id().map(|u| u.to_string()),
            };
            council::insert_session(conn, &row)?;
            clients::log_provision(
                conn,
                &ProvisionRow {
                    id: db::new_id(),
                    client_id: client.id.clone(),
                    recipient_org_id: corp,
                    consent_id: consent.id.clone(),
                    purpose: consent.purpose.clone(),
                    items: "guidance_session".into(),
                    provided_at: now,
                    provided_by_user_id: caller.user_id().map(|u| u.to_string()),
                    keep_until: keep_provision_until(held_on),
                },
            )?;
            audit_session(conn, &caller, "create", Some(row.id.clone()))?;
            view(conn, &caller, row, "guidance_session")
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/guidance-sessions/{}", out.id)))
        .json(out))
}

fn audit_session(
    conn: &mut DbConn,
    caller: &Caller,
    action: &str,
    id: Option<String>,
) -> ApiResult<()> {
    audit::write(
        conn,
        audit::Entry {
            actor: Some(caller),
            action,
            object_type: "guidance_session",
            object_id: id,
            outcome: "ok",
            detail: serde_json::json!({}),
        },
    )?;
    Ok(())
}

/// Lists joint guidance sessions held in a range of months: the office's own, or for a
/// 居住支援法人 those it gave.
#[utoipa::path(tag = "guidance-sessions", params(MonthListQuery), responses(
    (status = 200, body = Page<GuidanceSessionView>),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/guidance-sessions")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<MonthListQuery>,
) -> ApiResult<web::Json<Page<GuidanceSessionView>>> {
    authorize(&caller, Action::List, Resource::GuidanceSessions)?;
    let (range, page) = q.parse()?;
    let limit = page.limit;
    let org = caller.organization_id.to_string();
    let scope = if caller.org_kind == OrgKind::SupportOffice {
        Scope::Office(org)
    } else {
        Scope::Recipient(org)
    };
    let out = state
        .db
        .transaction(move |conn| {
            let (from, to) = range.days();
            let rows = council::list_sessions(conn, &scope, from, to, &page)?;
            audit_session(conn, &caller, "list", None)?;
            let page = Page::from_rows(rows, limit, |r| r.id.clone());
            let mut items = Vec::new();
            for r in page.items {
                items.push(view(conn, &caller, r, "list")?);
            }
            Ok(Page {
                items,
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(web::Json(out))
}

/// Reads a joint guidance session: the office or the 居住支援法人 (others: 404).
#[utoipa::path(tag = "guidance-sessions", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = GuidanceSessionView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/guidance-sessions/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<GuidanceSessionView>> {
    let id = id.into_inner().to_string();
    let out = state
        .db
        .transaction(move |conn| {
            let row = council::find_session(conn, &id)?;
            let org = |x: &str| OrganizationId::from_db(x).map_err(ApiError::internal);
            authorize(
                &caller,
                Action::Read,
                Resource::GuidanceSession {
                    office: org(&row.office_org_id)?,
                    corp: org(&row.corp_org_id)?,
                },
            )?;
            audit_session(conn, &caller, "read", Some(row.id.clone()))?;
            view(conn, &caller, row, "read")
        })
        .await?;
    Ok(web::Json(out))
}
