//! Queries on `rentals` and `rental_history`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{rental_history, rental_imports, rentals};
use super::{DbConn, rental_changes};
use crate::domain::page::PageRequest;

#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = rentals, treat_none_as_null = true)]
pub struct RentalRow {
    pub id: String,
    pub owner_org_id: String,
    pub agent_org_id: Option<String>,
    pub registration_number: String,
    pub registration_date: NaiveDate,
    pub postal_code: Option<String>,
    pub prefecture_code: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address_line: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geocode_status: String,
    pub geocode_detail: Option<String>,
    pub building_name: Option<String>,
    pub structure: String,
    pub year_built: i32,
    pub quake_resistant: bool,
    pub floors_total: i32,
    pub unit_floor: i32,
    pub unit_number: String,
    pub elevator: bool,
    pub accessibility: i32,
    pub floor_area_m2: f64,
    pub layout: String,
    pub rent: i32,
    pub common_fee: i32,
    pub deposit: i32,
    pub key_money: i32,
    pub guarantor_accepted: bool,
    pub guarantee_company_accepted: bool,
    /// JSON array of names.
    pub guarantee_companies: String,
    pub rent_reduction: bool,
    pub rent_reduction_yen: Option<i32>,
    pub accepted_categories: i32,
    pub conditions: i32,
    pub pets_allowed: bool,
    pub support_housing: bool,
    pub support_housing_corp_id: Option<String>,
    /// JSON of the 居住サポート住宅 services, `{}` when not certified.
    pub support_housing_services: String,
    pub vacancy: String,
    pub vacant_from: Option<NaiveDate>,
    /// JSON array of URLs.
    pub photos: String,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rental_history)]
pub struct HistoryRow {
    pub id: String,
    pub rental_id: String,
    pub version: i32,
    pub action: String,
    pub changed_by_user_id: Option<String>,
    pub changed_by_org_id: Option<String>,
    pub changed_at: NaiveDateTime,
    pub snapshot: String,
}

pub fn insert(conn: &mut DbConn, row: &RentalRow) -> QueryResult<()> {
    diesel::insert_into(rentals::table)
        .values(row)
        .execute(conn)?;
    rental_changes::record(conn, &row.id, &row.id)
}

/// A live (not deleted) rental.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<RentalRow> {
    rentals::table
        .find(id)
        .filter(rentals::deleted_at.is_null())
        .select(RentalRow::as_select())
        .first(conn)
}

/// Live rentals by id, in no particular order (an id that is not there, or deleted, is
/// left out). One statement whatever the number of ids, so the connection keeps it
/// prepared: PostgreSQL gets the ids as one array (`id = ANY($1)`, what `eq_any` writes
/// there); on SQLite `eq_any` would write one `?` per id, a new statement text for every
/// count that diesel does not cache, so the ids go as one JSON array (`json_each`).
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<RentalRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let live = rentals::table.filter(rentals::deleted_at.is_null());
    // `as_select` is typed per backend, hence one per arm.
    match conn {
        DbConn::Postgres(pg) => live
            .filter(rentals::id.eq_any(ids))
            .select(RentalRow::as_select())
            .load(pg),
        DbConn::Sqlite(sqlite) => {
            let json = serde_json::to_string(ids)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
            live.filter(IdInJsonArray(json))
                .select(RentalRow::as_select())
                .load(sqlite)
        }
    }
}

/// `rentals.id IN (SELECT value FROM json_each(?))` with the ids bound as one JSON array
/// of strings: a fixed statement text (and a static query id), so SQLite prepares it once
/// per connection. SQLite makes the JSON values a transient index and looks each one up
/// in the primary key, as it would for an `IN (?, ?, …)` list.
#[derive(Debug, Clone, diesel::query_builder::QueryId)]
struct IdInJsonArray(String);

impl diesel::expression::Expression for IdInJsonArray {
    type SqlType = diesel::sql_types::Bool;
}

impl diesel::expression::AppearsOnTable<rentals::table> for IdInJsonArray {}

impl diesel::expression::ValidGrouping<()> for IdInJsonArray {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite> for IdInJsonArray {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::sqlite::Sqlite>,
    ) -> QueryResult<()> {
        rentals::id.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<diesel::sql_types::Text, _>(&self.0)?;
        out.push_sql("))");
        Ok(())
    }
}

/// Replaces a rental's stored state with `row` if it is still at `current`'s version.
/// An imported version has no snapshot in its history row (a million copies of rows
/// that the rentals table already holds would double an import's time): it gets one
/// here, before it stops being the current state.
pub fn replace(conn: &mut DbConn, row: &RentalRow, current: &RentalRow) -> QueryResult<bool> {
    let snapshot = serde_json::to_string(current)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let filled = diesel::update(
        rental_history::table
            .filter(rental_history::rental_id.eq(&current.id))
            .filter(rental_history::version.eq(current.version))
            .filter(rental_history::snapshot.eq(PENDING_SNAPSHOT)),
    )
    .set(rental_history::snapshot.eq(&snapshot))
    .execute(conn)?;
    // An imported rental's version 1 lives in its import's record until now.
    if filled == 0
        && current.version == 1
        && let Some(mut h) = imported_version(conn, current)?
    {
        h.id = super::new_id();
        h.snapshot = snapshot;
        insert_history(conn, &h)?;
    }
    let n = diesel::update(
        rentals::table
            .filter(rentals::id.eq(&row.id))
            .filter(rentals::version.eq(current.version))
            .filter(rentals::deleted_at.is_null()),
    )
    .set(row)
    .execute(conn)?;
    if n == 1 {
        rental_changes::record(conn, &row.id, &row.id)?;
    }
    Ok(n == 1)
}

/// The snapshot of a history row whose version is still the rental's current state
/// (see [`replace`]).
pub const PENDING_SNAPSHOT: &str = "";

pub fn insert_history(conn: &mut DbConn, h: &HistoryRow) -> QueryResult<()> {
    diesel::insert_into(rental_history::table)
        .values(h)
        .execute(conn)
        .map(|_| ())
}

/// Every version of a rental, oldest first; version 1 of an imported rental that was
/// never changed comes from its import's record (its state is the current row).
pub fn history(conn: &mut DbConn, rental: &RentalRow) -> QueryResult<Vec<HistoryRow>> {
    let mut rows: Vec<HistoryRow> = rental_history::table
        .filter(rental_history::rental_id.eq(&rental.id))
        .order(rental_history::version.asc())
        .select(HistoryRow::as_select())
        .load(conn)?;
    if rows.first().is_none_or(|h| h.version != 1)
        && let Some(h) = imported_version(conn, rental)?
    {
        rows.insert(0, h);
    }
    Ok(rows)
}

/// One import: who made it, when, and the range of the ids it gave its rentals.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rental_imports)]
pub struct ImportRow {
    pub id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub imported_at: NaiveDateTime,
    pub first_rental_id: String,
    pub last_rental_id: String,
    pub rows: i32,
}

pub fn record_import(conn: &mut DbConn, row: &ImportRow) -> QueryResult<()> {
    diesel::insert_into(rental_imports::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Version 1 of a rental that came from an import and has no history row of its own:
/// the import whose id range holds it and whose organisation owns or manages it (ids
/// are time-ordered, so a rental created by hand during an import can fall inside the
/// range, but it has its own history row and never gets here). The snapshot is
/// pending: the state is the current row.
pub fn imported_version(conn: &mut DbConn, rental: &RentalRow) -> QueryResult<Option<HistoryRow>> {
    let own: i64 = rental_history::table
        .filter(rental_history::rental_id.eq(&rental.id))
        .filter(rental_history::version.eq(1))
        .count()
        .get_result(conn)?;
    if own > 0 {
        return Ok(None);
    }
    let mut parties = vec![rental.owner_org_id.clone()];
    parties.extend(rental.agent_org_id.clone());
    let import: Option<ImportRow> = rental_imports::table
        .filter(rental_imports::first_rental_id.le(&rental.id))
        .filter(rental_imports::last_rental_id.ge(&rental.id))
        .filter(rental_imports::org_id.eq_any(parties))
        .order(rental_imports::first_rental_id.desc())
        .select(ImportRow::as_select())
        .first(conn)
        .optional()?;
    Ok(import.map(|i| HistoryRow {
        id: i.id,
        rental_id: rental.id.clone(),
        version: 1,
        action: "import".into(),
        changed_by_user_id: i.user_id,
        changed_by_org_id: Some(i.org_id),
        changed_at: i.imported_at,
        snapshot: PENDING_SNAPSHOT.to_owned(),
    }))
}

/// Any rental, deleted or not (history and access checks of deleted rentals).
pub fn find_any(conn: &mut DbConn, id: &str) -> QueryResult<RentalRow> {
    rentals::table
        .find(id)
        .select(RentalRow::as_select())
        .first(conn)
}

/// Live rentals owned or managed by one organisation, in id order.
pub fn list_for_org(
    conn: &mut DbConn,
    org_id: &str,
    page: &PageRequest,
) -> QueryResult<Vec<RentalRow>> {
    let mut q = rentals::table
        .filter(
            rentals::owner_org_id
                .eq(org_id)
                .or(rentals::agent_org_id.eq(org_id)),
        )
        .filter(rentals::deleted_at.is_null())
        .select(RentalRow::as_select())
        .order(rentals::id.asc())
        .limit(page.limit + 1)
        .into_boxed();
    if let Some(after) = &page.after {
        q = q.filter(rentals::id.gt(after.clone()));
    }
    q.load(conn)
}

pub fn registration_taken(
    conn: &mut DbConn,
    number: &str,
    unit: &str,
    except_id: Option<&str>,
) -> QueryResult<bool> {
    let mut q = rentals::table
        .filter(rentals::registration_number.eq(number))
        .filter(rentals::unit_number.eq(unit))
        .filter(rentals::deleted_at.is_null())
        .select(rentals::id)
        .into_boxed();
    if let Some(id) = except_id {
        q = q.filter(rentals::id.ne(id.to_owned()));
    }
    Ok(q.first::<String>(conn).optional()?.is_some())
}

/// What the geocoder needs of a rental waiting for a point.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rentals)]
pub struct PendingGeocode {
    pub id: String,
    pub version: i32,
    pub prefecture_code: String,
    pub municipality_code: String,
    pub municipality_name: String,
    pub address_line: String,
}

/// Up to `limit` live rentals with geocode_status `pending`, oldest first (ids are
/// UUIDv7: the order of the partial index `rentals_geocode_pending_idx`). On
/// PostgreSQL the rows are locked `FOR UPDATE SKIP LOCKED` until the transaction ends,
/// so that workers on other replicas take other rows; SQLite has a single writer.
pub fn claim_pending_geocoding(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<PendingGeocode>> {
    let q = rentals::table
        .filter(rentals::geocode_status.eq("pending"))
        .filter(rentals::deleted_at.is_null())
        .order(rentals::id.asc())
        .limit(limit);
    // `as_select` is typed per backend, hence one per arm.
    match conn {
        DbConn::Postgres(pg) => q
            .select(PendingGeocode::as_select())
            .for_update()
            .skip_locked()
            .load(pg),
        DbConn::Sqlite(sqlite) => q.select(PendingGeocode::as_select()).load(sqlite),
    }
}

/// The geocoder's result for one rental.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = rentals, treat_none_as_null = true)]
pub struct GeocodeOutcome<'a> {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub geocode_status: &'a str,
    pub geocode_detail: Option<&'a str>,
    pub updated_at: NaiveDateTime,
}

/// Stores a geocoding result if the rental is still live, pending and at `version`
/// (a landlord's edit meanwhile wins; the row stays pending for the next round). The
/// version is not bumped: the point is derived, not the landlord's change.
pub fn store_geocode(
    conn: &mut DbConn,
    id: &str,
    version: i32,
    outcome: &GeocodeOutcome,
) -> QueryResult<bool> {
    let n = diesel::update(
        rentals::table
            .filter(rentals::id.eq(id))
            .filter(rentals::version.eq(version))
            .filter(rentals::geocode_status.eq("pending"))
            .filter(rentals::deleted_at.is_null()),
    )
    .set(outcome)
    .execute(conn)?;
    if n == 1 {
        rental_changes::record(conn, id, id)?;
    }
    Ok(n == 1)
}

/// Rows per INSERT statement: 48 columns × 500 stays under PostgreSQL's 65,535 bound
/// parameters. (On SQLite diesel inserts such a batch row by row inside a transaction
/// of its own, so a caller must use diesel's transaction, never a raw BEGIN.)
pub const INSERT_BATCH: usize = 500;

/// Inserts many rentals with multi-row INSERTs. The multi-backend connection cannot
/// batch, so this goes to the concrete connection. The caller records the change
/// (one range for the whole import).
pub fn insert_batch(conn: &mut DbConn, rows: &[RentalRow]) -> QueryResult<()> {
    for chunk in rows.chunks(INSERT_BATCH) {
        match conn {
            DbConn::Postgres(pg) => diesel::insert_into(rentals::table)
                .values(chunk)
                .execute(pg)?,
            DbConn::Sqlite(sqlite) => diesel::insert_into(rentals::table)
                .values(chunk)
                .execute(sqlite)?,
        };
    }
    Ok(())
}
