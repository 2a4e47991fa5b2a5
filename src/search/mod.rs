//! Search over the register. The database is the truth; [`RentalIndex`] is an
//! in-memory copy of what searches filter on, loaded at start and kept current by
//! polling for rows changed since the last poll (so a change made through any replica
//! is searchable on every replica within about a second), and updated at once by the
//! replica that made the change.

pub mod index;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::rentals;
use crate::db::{Db, DbConn};
use crate::domain::rental::Layout;
use crate::domain::rental::query::{RentalQuery, days_since_epoch};
use crate::error::{ApiError, ApiResult};
pub use index::{Entry, Hits, Index, Scope};

/// The columns the index needs, read without the rest of the row.
type IndexColumns = (
    String,
    String,
    Option<String>,
    String,
    Option<f64>,
    Option<f64>,
    i32,
    i32,
    f64,
    String,
    i32,
    i32,
    bool,
    bool,
    bool,
    bool,
    bool,
    i32,
    String,
    Option<NaiveDate>,
    i32,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

macro_rules! index_columns {
    () => {
        (
            rentals::id,
            rentals::owner_org_id,
            rentals::agent_org_id,
            rentals::municipality_code,
            rentals::latitude,
            rentals::longitude,
            rentals::rent,
            rentals::common_fee,
            rentals::floor_area_m2,
            rentals::layout,
            rentals::accepted_categories,
            rentals::accessibility,
            rentals::elevator,
            rentals::pets_allowed,
            rentals::rent_reduction,
            rentals::support_housing,
            rentals::guarantee_company_accepted,
            rentals::conditions,
            rentals::vacancy,
            rentals::vacant_from,
            rentals::unit_floor,
            rentals::deleted_at,
            rentals::updated_at,
        )
    };
}

fn uuid_bits(s: &str) -> Option<u128> {
    uuid::Uuid::parse_str(s).ok().map(|u| u.as_u128())
}

/// Turns stored columns into an index entry; `None` for a deleted rental.
fn entry_of(c: &IndexColumns, index: &mut Index) -> Option<Entry> {
    let (
        id,
        owner,
        agent,
        muni,
        lat,
        lon,
        rent,
        common,
        area,
        layout,
        cats,
        access,
        elevator,
        pets,
        reduction,
        support,
        guarantee,
        conditions,
        vacancy,
        vacant_from,
        floor,
        deleted,
        _,
    ) = c;
    if deleted.is_some() {
        return None;
    }
    let id = uuid_bits(id)?;
    let owner = uuid_bits(owner).map(|o| index.intern_org(o)).unwrap_or(0);
    let agent = agent
        .as_deref()
        .and_then(uuid_bits)
        .map(|a| index.intern_org(a))
        .unwrap_or(0);
    let mut flags = 0;
    let point = lat.zip(*lon);
    for (on, f) in [
        (point.is_some(), index::HAS_POINT),
        (*elevator, index::ELEVATOR),
        (*pets, index::PETS),
        (*reduction, index::RENT_REDUCTION),
        (*support, index::SUPPORT_HOUSING),
        (*guarantee, index::GUARANTEE_COMPANY),
    ] {
        if on {
            flags |= f;
        }
    }
    let vacant_from = if vacancy == "vacant" {
        vacant_from.map(days_since_epoch).unwrap_or(i32::MIN)
    } else {
        index::OCCUPIED
    };
    Some(Entry {
        id,
        lat: point.map_or(0.0, |p| p.0 as f32),
        lon: point.map_or(0.0, |p| p.1 as f32),
        monthly_total: u32::try_from(rent + common).unwrap_or(u32::MAX),
        rent: u32::try_from(*rent).unwrap_or(u32::MAX),
        conditions: *conditions as u8,
        municipality: muni.parse().unwrap_or(0),
        owner,
        agent,
        vacant_from,
        area_dm2: (area * 100.0).round().clamp(0.0, f64::from(u16::MAX)) as u16,
        layout_rank: Layout::parse(layout).map(|l| l.rank()).unwrap_or(0),
        categories: *cats as u8,
        accessibility: *access as u8,
        flags,
        floor: (*floor).clamp(-128, 127) as i8,
    })
}

/// How far back each poll looks beyond the newest change it has seen: covers
/// transactions that committed late and clocks of replicas that differ a little.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::seconds(5);
const LOAD_BATCH: i64 = 50_000;

pub struct RentalIndex {
    index: RwLock<Index>,
    ready: AtomicBool,
    watermark: Mutex<Option<NaiveDateTime>>,
}

impl Default for RentalIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl RentalIndex {
    pub fn new() -> Self {
        Self {
            index: RwLock::new(Index::new()),
            ready: AtomicBool::new(false),
            watermark: Mutex::new(None),
        }
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The interned number of an organisation, for [`Scope::Org`]; an organisation the
    /// index has never seen owns nothing, and gets a number that matches nothing.
    pub fn scope_for_org(&self, org: uuid::Uuid) -> Scope {
        Scope::Org(self.read().org_number(org.as_u128()).unwrap_or(u32::MAX))
    }

    /// Every rental passing the query's filters, with its distance (for matching).
    pub fn matching(&self, q: &RentalQuery, scope: Scope) -> ApiResult<Vec<(Entry, Option<f64>)>> {
        if !self.is_ready() {
            return Err(ApiError::Unavailable(
                "the search index is still loading; retry in a few seconds".into(),
            ));
        }
        Ok(self.read().matching(q, scope))
    }

    pub fn search(&self, q: &RentalQuery, scope: Scope) -> ApiResult<Hits> {
        if !self.is_ready() {
            return Err(ApiError::Unavailable(
                "the search index is still loading; retry in a few seconds".into(),
            ));
        }
        Ok(self.read().search(q, scope))
    }

    /// Applies stored rows to the index (a deleted row is removed).
    fn apply(&self, rows: &[IndexColumns]) {
        let mut index = self.write();
        for c in rows {
            match entry_of(c, &mut index) {
                Some(e) => index.upsert(e),
                None => {
                    if let Some(id) = uuid_bits(&c.0) {
                        index.remove(id);
                    }
                }
            }
        }
    }

    fn advance(&self, rows: &[IndexColumns]) {
        if let Some(newest) = rows.iter().map(|c| c.22).max() {
            let mut w = self.watermark.lock().unwrap_or_else(|p| p.into_inner());
            if w.is_none_or(|old| newest > old) {
                *w = Some(newest);
            }
        }
    }

    /// Loads every live rental, in batches so memory stays flat; marks the index ready.
    pub fn load_all(&self, conn: &mut DbConn) -> QueryResult<usize> {
        let started = crate::db::now();
        let mut after = String::new();
        let mut n = 0;
        loop {
            let rows: Vec<IndexColumns> = rentals::table
                .filter(rentals::id.gt(&after))
                .filter(rentals::deleted_at.is_null())
                .order(rentals::id.asc())
                .limit(LOAD_BATCH)
                .select(index_columns!())
                .load(conn)?;
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            n += rows.len();
            self.apply(&rows);
        }
        // Anything written while loading is picked up by the first poll.
        *self.watermark.lock().unwrap_or_else(|p| p.into_inner()) = Some(started);
        self.ready.store(true, Ordering::Release);
        Ok(n)
    }

    /// Applies every row changed since the last poll (with an overlap).
    pub fn poll(&self, conn: &mut DbConn) -> QueryResult<usize> {
        let since = self
            .watermark
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map_or(NaiveDateTime::MIN, |w| w - OVERLAP);
        let rows: Vec<IndexColumns> = rentals::table
            .filter(rentals::updated_at.ge(since))
            .select(index_columns!())
            .load(conn)?;
        self.apply(&rows);
        self.advance(&rows);
        Ok(rows.len())
    }

    /// The replica that wrote a rental applies it at once (read-your-writes).
    pub fn apply_row(&self, row: &crate::db::rentals::RentalRow) {
        let c: IndexColumns = (
            row.id.clone(),
            row.owner_org_id.clone(),
            row.agent_org_id.clone(),
            row.municipality_code.clone(),
            row.latitude,
            row.longitude,
            row.rent,
            row.common_fee,
            row.floor_area_m2,
            row.layout.clone(),
            row.accepted_categories,
            row.accessibility,
            row.elevator,
            row.pets_allowed,
            row.rent_reduction,
            row.support_housing,
            row.guarantee_company_accepted,
            row.conditions,
            row.vacancy.clone(),
            row.vacant_from,
            row.unit_floor,
            row.deleted_at,
            row.updated_at,
        );
        self.apply(std::slice::from_ref(&c));
    }
}

/// Loads the index, then polls for changes every `every` until the process ends.
pub async fn keep_current(db: Db, index: std::sync::Arc<RentalIndex>, every: Duration) {
    let loader = index.clone();
    let started = std::time::Instant::now();
    match db.run(move |conn| Ok(loader.load_all(conn)?)).await {
        Ok(n) => tracing::info!(
            rentals = n,
            ms = started.elapsed().as_millis() as u64,
            "search index loaded"
        ),
        Err(e) => tracing::error!(error = %e, "search index load failed; retrying by polling"),
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let poller = index.clone();
        let result = db
            .run(move |conn| {
                if !poller.is_ready() {
                    return Ok(poller.load_all(conn)?);
                }
                Ok(poller.poll(conn)?)
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "search index poll failed");
        }
    }
}
