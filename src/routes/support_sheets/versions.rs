//! The versions of a sheet: who saved each and when, and what changed between two.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{VersionState, access, sections_of, state_of};
use crate::auth::{Action, Caller, Resource, authorize};
use crate::db::support_sheets;
use crate::domain::ids::OrganizationId;
use crate::domain::support_sheet::diff::{Change, diff as changes};
use crate::error::{ApiError, ApiResult, Problem};
use crate::routes::utc;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub state: VersionState,
    pub note: Option<String>,
    #[schema(value_type = String, format = Uuid)]
    pub author_user_id: String,
    pub author_org_id: OrganizationId,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<VersionSummary>,
}

/// Every version of the sheet, newest first (the office and its partner); a recipient
/// sees the published one only.
#[utoipa::path(tag = "support-sheets", params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = VersionList),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/support-sheets/{id}/versions")]
pub async fn list_versions(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<web::Json<VersionList>> {
    let id = id.into_inner().to_string();
    let items = state
        .db
        .run(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::List,
                Resource::SupportSheet {
                    access: loaded.access,
                },
            )?;
            let published = loaded.sheet.published_version;
            let full = loaded.full();
            support_sheets::versions(conn, &loaded.sheet.id)?
                .into_iter()
                .filter(|v| full || Some(v.version) == published)
                .map(|v| {
                    Ok(VersionSummary {
                        state: state_of(v.version, v.published_at.is_some(), published),
                        version: v.version,
                        note: v.note,
                        author_user_id: v.author_user_id,
                        author_org_id: OrganizationId::from_db(&v.author_org_id)
                            .map_err(ApiError::internal)?,
                        created_at: utc(v.created_at),
                        published_at: v.published_at.map(utc),
                    })
                })
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(web::Json(VersionList { items }))
}

/// `?from=&to=`: two version numbers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    pub from: i32,
    pub to: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    /// Each changed field with its value before and after; contacts are named by
    /// their key and scenarios by their kind (`network[clinic].phone`).
    pub changes: Vec<Change>,
}

/// Which fields changed between two versions (the office and its partner).
#[utoipa::path(tag = "support-sheets", params(("id" = uuid::Uuid, Path), DiffQuery), responses(
    (status = 200, body = VersionDiff),
    (status = 400, body = Problem, content_type = "application/problem+json"),
    (status = 403, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
#[get("/support-sheets/{id}/diff")]
pub async fn diff(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<uuid::Uuid>,
    q: web::Query<DiffQuery>,
) -> ApiResult<web::Json<VersionDiff>> {
    let id = id.into_inner().to_string();
    let (from, to) = (q.from, q.to);
    let out = state
        .db
        .transaction(move |conn| {
            let loaded = access::load(conn, &caller, &id)?;
            authorize(
                &caller,
                Action::Read,
                Resource::SheetVersions {
                    access: loaded.access,
                },
            )?;
            let latest = loaded.sheet.latest_version;
            for (field, n) in [("from", from), ("to", to)] {
                if !(1..=latest).contains(&n) {
                    return Err(ApiError::BadRequest {
                        slug: "invalid-parameter",
                        detail: format!("{field} must be a version of this sheet, 1 to {latest}"),
                        field: Some(field.into()),
                    });
                }
            }
            let a = sections_of(&support_sheets::version(conn, &loaded.sheet.id, from)?)?;
            let b = sections_of(&support_sheets::version(conn, &loaded.sheet.id, to)?)?;
            access::record(
                conn,
                &caller,
                &loaded,
                "support_sheet_compared",
                to,
                &loaded.sections(),
                "diff",
            )?;
            Ok(VersionDiff {
                from,
                to,
                changes: changes(&a, &b),
            })
        })
        .await?;
    Ok(web::Json(out))
}
