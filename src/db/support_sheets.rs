//! Queries on `support_sheets`, their versions and the concerns reported against them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::clients::ConsentRow;
use super::schema::{
    consents, inquiries, support_sheet_concerns, support_sheet_versions, support_sheets,
};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = support_sheets, treat_none_as_null = true)]
pub struct SheetRow {
    pub id: String,
    pub client_id: String,
    pub office_org_id: String,
    pub latest_version: i32,
    pub published_version: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = support_sheet_versions)]
pub struct VersionRow {
    pub sheet_id: String,
    pub version: i32,
    /// The sections as JSON (`domain::support_sheet::Sections`).
    pub sections: String,
    pub note: Option<String>,
    pub author_user_id: String,
    pub author_org_id: String,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub published_by_user_id: Option<String>,
}

/// A version without its sections, for lists.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = support_sheet_versions)]
pub struct VersionMeta {
    pub version: i32,
    pub note: Option<String>,
    pub author_user_id: String,
    pub author_org_id: String,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = support_sheet_concerns)]
pub struct ConcernRow {
    pub id: String,
    pub sheet_id: String,
    pub sheet_version: i32,
    pub kind: String,
    pub note: Option<String>,
    pub observed_on: chrono::NaiveDate,
    pub reported_by_org_id: String,
    pub reported_by_user_id: Option<String>,
    pub reported_at: NaiveDateTime,
    /// The contact it was routed to (`domain::support_sheet::concern::Route`) as JSON.
    pub routed_to: String,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by_user_id: Option<String>,
}

pub fn insert(conn: &mut DbConn, sheet: &SheetRow, first: &VersionRow) -> QueryResult<()> {
    diesel::insert_into(support_sheets::table)
        .values(sheet)
        .execute(conn)?;
    insert_version(conn, first)
}

pub fn insert_version(conn: &mut DbConn, v: &VersionRow) -> QueryResult<()> {
    diesel::insert_into(support_sheet_versions::table)
        .values(v)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<SheetRow> {
    support_sheets::table
        .find(id)
        .select(SheetRow::as_select())
        .first(conn)
}

pub fn of_client(conn: &mut DbConn, client_id: &str) -> QueryResult<Option<SheetRow>> {
    support_sheets::table
        .filter(support_sheets::client_id.eq(client_id))
        .select(SheetRow::as_select())
        .first(conn)
        .optional()
}

/// Moves the sheet to `latest`/`published` if it is still at `expected` (its latest
/// version); false when another save came first.
pub fn advance(
    conn: &mut DbConn,
    id: &str,
    expected: i32,
    latest: i32,
    published: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        support_sheets::table
            .filter(support_sheets::id.eq(id))
            .filter(support_sheets::latest_version.eq(expected)),
    )
    .set((
        support_sheets::latest_version.eq(latest),
        support_sheets::published_version.eq(published),
        support_sheets::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn version(conn: &mut DbConn, sheet_id: &str, version: i32) -> QueryResult<VersionRow> {
    support_sheet_versions::table
        .find((sheet_id, version))
        .select(VersionRow::as_select())
        .first(conn)
}

pub fn versions(conn: &mut DbConn, sheet_id: &str) -> QueryResult<Vec<VersionMeta>> {
    support_sheet_versions::table
        .filter(support_sheet_versions::sheet_id.eq(sheet_id))
        .order(support_sheet_versions::version.desc())
        .select(VersionMeta::as_select())
        .load(conn)
}

pub fn mark_published(
    conn: &mut DbConn,
    sheet_id: &str,
    version: i32,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(support_sheet_versions::table.find((sheet_id, version)))
        .set((
            support_sheet_versions::published_at.eq(at),
            support_sheet_versions::published_by_user_id.eq(by),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A page of the sheets an organisation may stand in some relation to, newest first,
/// with their clients' display codes: its own clients' if it is their office, else
/// those of clients who consented to share with it (their data, or sheet sections).
/// The caller still decides, sheet by sheet, what it may see.
pub fn page(
    conn: &mut DbConn,
    caller: &crate::auth::Caller,
    client_id: Option<&str>,
    page: &crate::domain::page::PageRequest,
) -> QueryResult<Vec<(SheetRow, String)>> {
    use super::schema::clients;
    let org = caller.organization_id.to_string();
    let mut q = support_sheets::table
        .inner_join(clients::table.on(clients::id.eq(support_sheets::client_id)))
        // A removed client's sheet leaves the lists with the client.
        .filter(clients::deleted_at.is_null())
        .into_boxed();
    if caller.org_kind == crate::domain::organization::OrgKind::SupportOffice {
        q = q.filter(support_sheets::office_org_id.eq(org));
    } else {
        let consenting = consents::table
            .filter(consents::recipient_org_id.eq(org))
            .filter(consents::purpose.eq_any(["share_with_corp", "support_sheet_section"]))
            .filter(consents::withdrawn_at.is_null())
            .select(consents::client_id);
        q = q.filter(support_sheets::client_id.eq_any(consenting));
    }
    if let Some(c) = client_id {
        q = q.filter(support_sheets::client_id.eq(c.to_owned()));
    }
    if let Some(after) = &page.after {
        q = q.filter(support_sheets::id.lt(after.clone()));
    }
    q.order(support_sheets::id.desc())
        .limit(page.limit + 1)
        .select((SheetRow::as_select(), clients::display_code))
        .load(conn)
}

/// Whether `org` is the landlord or agent of a live inquiry of the client (proposed up
/// to moved in; not declined or withdrawn): the landlord of the client's rental.
pub fn landlord_of_client(conn: &mut DbConn, client_id: &str, org: &str) -> QueryResult<bool> {
    let live = [
        "proposed",
        "viewing_scheduled",
        "applied",
        "accepted",
        "moved_in",
    ];
    diesel::select(diesel::dsl::exists(
        inquiries::table
            .filter(inquiries::client_id.eq(client_id))
            .filter(inquiries::status.eq_any(live))
            .filter(
                inquiries::landlord_org_id
                    .eq(org)
                    .or(inquiries::agent_org_id.eq(org)),
            ),
    ))
    .get_result(conn)
}

pub fn insert_concern(conn: &mut DbConn, row: &ConcernRow) -> QueryResult<()> {
    diesel::insert_into(support_sheet_concerns::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The concerns of a sheet, newest first; only those `reporter` made when given.
pub fn concerns_of(
    conn: &mut DbConn,
    sheet_id: &str,
    reporter: Option<&str>,
) -> QueryResult<Vec<ConcernRow>> {
    let mut q = support_sheet_concerns::table
        .filter(support_sheet_concerns::sheet_id.eq(sheet_id))
        .into_boxed();
    if let Some(r) = reporter {
        q = q.filter(support_sheet_concerns::reported_by_org_id.eq(r.to_owned()));
    }
    q.order(support_sheet_concerns::reported_at.desc())
        .select(ConcernRow::as_select())
        .load(conn)
}

/// One concern of a sheet.
pub fn concern(conn: &mut DbConn, sheet_id: &str, id: &str) -> QueryResult<ConcernRow> {
    support_sheet_concerns::table
        .filter(support_sheet_concerns::id.eq(id))
        .filter(support_sheet_concerns::sheet_id.eq(sheet_id))
        .select(ConcernRow::as_select())
        .first(conn)
}

pub fn acknowledge(
    conn: &mut DbConn,
    sheet_id: &str,
    id: &str,
    by: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        support_sheet_concerns::table
            .filter(support_sheet_concerns::id.eq(id))
            .filter(support_sheet_concerns::sheet_id.eq(sheet_id))
            .filter(support_sheet_concerns::acknowledged_at.is_null()),
    )
    .set((
        support_sheet_concerns::acknowledged_at.eq(at),
        support_sheet_concerns::acknowledged_by_user_id.eq(by),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The active consents that share a section of the client's sheet with `org`.
pub fn section_consents(
    conn: &mut DbConn,
    client_id: &str,
    org: &str,
) -> QueryResult<Vec<ConsentRow>> {
    consents::table
        .filter(consents::client_id.eq(client_id))
        .filter(consents::purpose.eq("support_sheet_section"))
        .filter(consents::recipient_org_id.eq(org))
        .filter(consents::withdrawn_at.is_null())
        .order(consents::recorded_at.asc())
        .select(ConsentRow::as_select())
        .load(conn)
}

/// Clients with at least one sheet section shared with `org`.
pub fn clients_sharing_with(conn: &mut DbConn, org: &str) -> QueryResult<Vec<String>> {
    consents::table
        .filter(consents::purpose.eq("support_sheet_section"))
        .filter(consents::recipient_org_id.eq(org))
        .filter(consents::withdrawn_at.is_null())
        .select(consents::client_id)
        .distinct()
        .load(conn)
}

/// Unacknowledged concerns against the sheets of an office's clients.
pub fn open_concerns_of_office(conn: &mut DbConn, office: &str) -> QueryResult<i64> {
    support_sheet_concerns::table
        .inner_join(support_sheets::table)
        .filter(support_sheets::office_org_id.eq(office))
        .filter(support_sheet_concerns::acknowledged_at.is_null())
        .count()
        .get_result(conn)
}
