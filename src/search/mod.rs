//! Search over the register. The database is the truth; [`RentalIndex`] is an
//! in-memory copy of what searches filter on, loaded at start and kept current by
//! polling the commit-ordered change log `rental_changes` (so a change made through
//! any replica is searchable on every replica within about a second, however long its
//! transaction ran), and updated at once by the replica that made the change.

pub mod index;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::rental_changes::{self, Change};
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

/// Rows read per query while loading or catching up, so memory stays flat.
const LOAD_BATCH: i64 = 5_000;
/// Changes read per query of the log.
const CHANGE_PAGE: i64 = 500;
/// How long the log keeps a change. A replica that has not polled for longer than
/// [`MAX_POLL_GAP`] may have missed pruned changes and loads everything again.
const CHANGE_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(1);
const MAX_POLL_GAP: Duration = Duration::from_secs(3_600);

/// Where the index stands in the change log.
#[derive(Debug, Clone, Copy)]
struct Position {
    /// The last change applied.
    seq: i64,
    /// When the last poll that read the log to its end started.
    polled: Instant,
}

pub struct RentalIndex {
    index: RwLock<Index>,
    ready: AtomicBool,
    position: Mutex<Option<Position>>,
    /// One load or poll at a time: after an import, the importing request and the
    /// background poller would otherwise both read the same million rows.
    reading: Mutex<()>,
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
            position: Mutex::new(None),
            reading: Mutex::new(()),
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

    fn position(&self) -> std::sync::MutexGuard<'_, Option<Position>> {
        self.position.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads every live rental, in batches so memory stays flat; marks the index ready.
    pub fn load_all(&self, conn: &mut DbConn) -> QueryResult<usize> {
        let _reading = self.reading.lock().unwrap_or_else(|p| p.into_inner());
        self.load_locked(conn)
    }

    fn load_locked(&self, conn: &mut DbConn) -> QueryResult<usize> {
        let started = Instant::now();
        // Changes committed from here on are applied by the next poll (again, if the
        // load saw them already: applying a row twice changes nothing).
        let seq = rental_changes::newest(conn)?;
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
        *self.position() = Some(Position {
            seq,
            polled: started,
        });
        self.ready.store(true, Ordering::Release);
        Ok(n)
    }

    /// Applies every change recorded since the last poll; returns how many rentals it
    /// read. Loads everything again if the index was never loaded or has not polled for
    /// so long that the log may have been pruned past it.
    pub fn poll(&self, conn: &mut DbConn) -> QueryResult<usize> {
        // A caller that waited here finds the other's work done and reads only what
        // came after it.
        let _reading = self.reading.lock().unwrap_or_else(|p| p.into_inner());
        let started = Instant::now();
        let position = *self.position();
        let (mut seq, polled) = match position {
            Some(p) if started.duration_since(p.polled) < MAX_POLL_GAP => (p.seq, p.polled),
            _ => return self.load_locked(conn),
        };
        let mut n = 0;
        loop {
            let changes = rental_changes::after(conn, seq, CHANGE_PAGE)?;
            let Some(last) = changes.last() else { break };
            seq = last.seq;
            n += self.apply_changes(conn, &changes)?;
            // Kept page by page: a poll that fails half-way resumes after the last page.
            *self.position() = Some(Position { seq, polled });
            if (changes.len() as i64) < CHANGE_PAGE {
                break;
            }
        }
        *self.position() = Some(Position {
            seq,
            polled: started,
        });
        Ok(n)
    }

    /// Reads the rentals the changes name and applies them: single ids together, a
    /// range (an import) a page at a time.
    fn apply_changes(&self, conn: &mut DbConn, changes: &[Change]) -> QueryResult<usize> {
        let mut n = 0;
        let singles: Vec<&str> = changes
            .iter()
            .filter(|c| c.first_id == c.last_id)
            .map(|c| c.first_id.as_str())
            .collect();
        if !singles.is_empty() {
            let rows: Vec<IndexColumns> = rentals::table
                .filter(rentals::id.eq_any(&singles))
                .select(index_columns!())
                .load(conn)?;
            n += rows.len();
            self.apply(&rows);
        }
        for c in changes.iter().filter(|c| c.first_id != c.last_id) {
            let count: i64 = rentals::table
                .filter(rentals::id.between(&c.first_id, &c.last_id))
                .count()
                .get_result(conn)?;
            self.write()
                .reserve(usize::try_from(count).unwrap_or_default());
            let mut after: Option<String> = None;
            loop {
                let mut q = rentals::table
                    .filter(rentals::id.between(&c.first_id, &c.last_id))
                    .order(rentals::id.asc())
                    .limit(LOAD_BATCH)
                    .select(index_columns!())
                    .into_boxed();
                if let Some(a) = &after {
                    q = q.filter(rentals::id.gt(a.clone()));
                }
                let rows: Vec<IndexColumns> = q.load(conn)?;
                let Some(last) = rows.last() else { break };
                after = Some(last.0.clone());
                n += rows.len();
                self.apply(&rows);
                if (rows.len() as i64) < LOAD_BATCH {
                    break;
                }
            }
        }
        Ok(n)
    }

    /// Deletes changes older than the retention (any replica may do it).
    pub fn prune_log(conn: &mut DbConn) -> QueryResult<usize> {
        rental_changes::prune(conn, crate::db::now() - CHANGE_RETENTION)
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
        );
        self.apply(std::slice::from_ref(&c));
    }
}

const PRUNE_EVERY: Duration = Duration::from_secs(600);

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
    // The load's row batches are freed; keep only the index.
    crate::memory::release_free_memory();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pruned = Instant::now();
    loop {
        tick.tick().await;
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = Instant::now();
            match db.run(|conn| Ok(RentalIndex::prune_log(conn)?)).await {
                Ok(n) => tracing::debug!(changes = n, "rental change log pruned"),
                Err(e) => tracing::warn!(error = %e, "rental change log prune failed"),
            }
        }
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
