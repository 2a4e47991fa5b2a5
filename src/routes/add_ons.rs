//! `/offices/{id}/add-ons?month=`: for each client of a support office and each add-on
//! of the rules in force that month, claimable or not, with the units, the records the
//! claim rests on, or every reason why not — as JSON, or as CSV for the billing staff.
//! Only the office itself sees it; each read is audit-logged, as it lists clients.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::compliance::{audit_read, revision_param};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::{self, add_on_facts};
use crate::domain::add_on::{
    AddOnCode, Evidence, Outcome, Reason, RevisionId, RevisionKind, assess, office_barred,
};
use crate::domain::ids::{ClientId, CouncilReportId, GuidanceSessionId, MeetingId, OrganizationId};
use crate::domain::month::{Month, MonthPhase};
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AddOnsQuery {
    /// The month, YYYY-MM (Tokyo); this month or an earlier one.
    pub month: String,
    /// Judge under this revision instead of the one in force (a proposal, for "what if").
    pub revision: Option<String>,
    /// `json` (default) or `csv` (UTF-8 with a BOM, for spreadsheet software).
    pub format: Option<String>,
}

/// The records a claim rests on, by kind.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct EvidenceIds {
    pub meetings: Vec<MeetingId>,
    pub guidance_sessions: Vec<GuidanceSessionId>,
    pub council_reports: Vec<CouncilReportId>,
}

/// One add-on for one client.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddOnLine {
    pub add_on: AddOnCode,
    pub name_ja: String,
    pub claimable: bool,
    /// Units for the month (0 when not claimable; none when the revision sets no amount).
    pub units: Option<u32>,
    pub times: u32,
    pub evidence_ids: EvidenceIds,
    /// What each condition was met by (empty when not claimable).
    pub evidence: Vec<Evidence>,
    /// Why not (empty when claimable).
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientAddOns {
    pub client_id: ClientId,
    pub display_code: String,
    pub add_ons: Vec<AddOnLine>,
}

/// An add-on summed over the office's clients.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddOnTotal {
    pub add_on: AddOnCode,
    pub name_ja: String,
    pub claimable_clients: u32,
    pub units: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficeAddOns {
    pub office_org_id: OrganizationId,
    pub month: Month,
    pub revision: RevisionId,
    pub revision_kind: RevisionKind,
    /// False until the office records its set-up; without it nothing is claimable.
    pub setup_recorded: bool,
    /// Said plainly when the office can never claim these add-ons (e.g. it provides only
    /// 計画相談支援), instead of a list of zeros.
    pub cannot_claim: Option<Reason>,
    pub totals: Vec<AddOnTotal>,
    pub clients: Vec<ClientAddOns>,
    /// When the month is still open the answer can change: it is judged as of this instant.
    pub judged_at: DateTime<Utc>,
}

fn line(add_on: AddOnCode, name_ja: String, outcome: Outcome) -> AddOnLine {
    let (meetings, guidance_sessions, council_reports) = outcome.evidence_ids();
    let evidence_ids = EvidenceIds {
        meetings,
        guidance_sessions,
        council_reports,
    };
    match outcome {
        Outcome::Claimable {
            units,
            times,
            evidence,
        } => AddOnLine {
            add_on,
            name_ja,
            claimable: true,
            units,
            times,
            evidence_ids,
            evidence,
            reasons: Vec::new(),
        },
        Outcome::NotClaimable { reasons } => AddOnLine {
            add_on,
            name_ja,
            claimable: false,
            units: Some(0),
            times: 0,
            evidence_ids,
            evidence: Vec::new(),
            reasons,
        },
    }
}

fn totals(clients: &[ClientAddOns], codes: &[(AddOnCode, String)]) -> Vec<AddOnTotal> {
    codes
        .iter()
        .map(|(code, name)| {
            let lines = clients
                .iter()
                .flat_map(|c| &c.add_ons)
                .filter(|l| l.add_on == *code && l.claimable);
            let (mut n, mut units) = (0u32, 0u32);
            for l in lines {
                n += 1;
                units = units.saturating_add(l.units.unwrap_or(0));
            }
            AddOnTotal {
                add_on: code.clone(),
                name_ja: name.clone(),
                claimable_clients: n,
                units,
            }
        })
        .collect()
}

fn bad(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        slug: "invalid-parameter",
        detail: format!("{field} {}", detail.into()),
        field: Some(field.to_owned()),
    }
}

/// Per client and add-on for one month: claimable or not, units, the ids of the
/// meetings, sessions and reports the claim rests on, or the reasons. `format=csv` gives
/// the same as a CSV file for the billing staff.
#[utoipa::path(tag = "offices", params(("id" = uuid::Uuid, Path), AddOnsQuery), responses(
    (status = 200, description = "The month's add-ons: JSON, or with format=csv one row per client and add-on", content(
        (OfficeAddOns = "application/json"),
        (String = "text/csv"),
    )),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/offices/{id}/add-ons")]
pub async fn add_ons(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    query: web::Query<AddOnsQuery>,
) -> ApiResult<HttpResponse> {
    let office = OrganizationId::from(id.into_inner());
    authorize(&caller, Action::Read, Resource::OfficeSetup { office })?;
    let q = query.into_inner();
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(bad("format", "must be json or csv")),
    };
    let month = Month::parse(&q.month).map_err(|m| bad("month", m))?;
    let now = db::now().and_utc();
    if month.phase(now) == MonthPhase::Future {
        return Err(bad(
            "month",
            "has not begun; nothing can be claimed for it yet",
        ));
    }
    let rules = state.rules.clone();
    let revision = match revision_param(&rules, q.revision.as_deref())? {
        Some(r) => r.id().clone(),
        None => rules
            .in_force(month)
            .ok_or_else(|| {
                bad(
                    "month",
                    format!("is not covered by any enacted fee rules ({month})"),
                )
            })?
            .id()
            .clone(),
    };
    let view = state
        .db
        .run(move |conn| {
            let revision = rules
                .revision(revision.as_str())
                .ok_or_else(|| ApiError::internal("revision vanished"))?;
            let o = office.to_string();
            let mut books = add_on_facts::books(conn, std::slice::from_ref(&o), month, month)?;
            let book = books.remove(&o).ok_or_else(|| ApiError::internal("no book"))?;
            let clients = add_on_facts::clients_of(conn, &o)?;
            let lines: Vec<ClientAddOns> = clients
                .iter()
                .map(|c| {
                    let judged = assess(revision, month, &book.facts, &book.records, &c.facts);
                    ClientAddOns {
                        client_id: c.facts.client_id,
                        display_code: c.display_code.clone(),
                        add_ons: judged
                            .add_ons
                            .into_iter()
                            .map(|a| line(a.add_on, a.name_ja, a.outcome))
                            .collect(),
                    }
                })
                .collect();
            let codes: Vec<(AddOnCode, String)> = revision
                .add_ons()
                .iter()
                .map(|a| (a.code().clone(), a.name_ja().to_owned()))
                .collect();
            audit_read(
                conn,
                &caller,
                if csv { "export" } else { "read" },
                "office_add_ons",
                &o,
                serde_json::json!({"month": month, "clients": lines.len(), "revision": revision.id()}),
            )?;
            Ok(OfficeAddOns {
                office_org_id: office,
                month,
                revision: revision.id().clone(),
                revision_kind: revision.kind(),
                setup_recorded: book.setup_recorded,
                cannot_claim: office_barred(revision, &book.facts),
                totals: totals(&lines, &codes),
                clients: lines,
                judged_at: now,
            })
        })
        .await?;
    if csv {
        let body = super::add_ons_csv::render(&view).map_err(ApiError::internal)?;
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"add-ons-{}.csv\"", view.month),
            ))
            .body(body));
    }
    Ok(HttpResponse::Ok().json(view))
}
