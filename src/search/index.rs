//! The in-memory search index of the register: a compact record per live rental, a
//! grid over their points (one for every rental, one for vacant ones only, which most
//! searches want), and lists per municipality. It is derived from the database, which
//! stays the truth: results are ids, read back from the database before they are shown.

use std::collections::HashMap;

use crate::domain::rental::query::{Cursor, RentalQuery};

/// What the index keeps of one rental (56 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub id: u128,
    pub lat: f32,
    pub lon: f32,
    pub monthly_total: u32,
    /// Rent alone (the 住宅扶助 limit applies to it).
    pub rent: u32,
    pub municipality: u32,
    /// Interned landlord and agent organisations (0 = none).
    pub owner: u32,
    pub agent: u32,
    /// Day the unit can be moved into (days since 1970-01-01); `i32::MAX` = occupied.
    pub vacant_from: i32,
    pub area_dm2: u16,
    pub layout_rank: u8,
    pub categories: u8,
    pub accessibility: u8,
    pub flags: u8,
    /// Bits of the landlord's conditions.
    pub conditions: u8,
    pub floor: i8,
}

pub const HAS_POINT: u8 = 1;
pub const ELEVATOR: u8 = 2;
pub const PETS: u8 = 4;
pub const RENT_REDUCTION: u8 = 8;
pub const SUPPORT_HOUSING: u8 = 16;
pub const GUARANTEE_COMPANY: u8 = 32;

pub const OCCUPIED: i32 = i32::MAX;

/// Grid cells of 0.01° latitude by 0.0125° longitude: about 1.1 km square in Japan.
const CELL_LAT: f64 = 0.01;
const CELL_LON: f64 = 0.0125;

fn cell_of(lat: f64, lon: f64) -> (i32, i32) {
    (
        (lat / CELL_LAT).floor() as i32,
        (lon / CELL_LON).floor() as i32,
    )
}

/// A lower bound of the distance in metres from `(lat, lon)` to any point of cell
/// `(a, b)`: the equirectangular distance to the cell's nearest edge or corner, with the
/// longitude scale of its latitude farthest from the equator, less 1% for safety. A
/// search skips the cells of its bounding box that lie wholly outside the radius.
fn cell_min_distance_m(lat: f64, lon: f64, (a, b): (i32, i32)) -> f64 {
    const M_PER_DEG: f64 = 111_195.0;
    let (lat0, lon0) = (f64::from(a) * CELL_LAT, f64::from(b) * CELL_LON);
    let (lat1, lon1) = (lat0 + CELL_LAT, lon0 + CELL_LON);
    let dy = (lat0 - lat).max(lat - lat1).max(0.0) * M_PER_DEG;
    let far = lat0.abs().max(lat1.abs()).max(lat.abs());
    let dx = (lon0 - lon).max(lon - lon1).max(0.0) * M_PER_DEG * far.to_radians().cos();
    (dx * dx + dy * dy).sqrt() * 0.99 - 1.0
}

fn cell_key((a, b): (i32, i32)) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

/// Who is searching: everyone's rentals, or only those an organisation owns or manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Org(u32),
}

#[derive(Debug, Default)]
pub struct Index {
    entries: Vec<Entry>,
    live: Vec<bool>,
    free: Vec<u32>,
    slot_of: HashMap<u128, u32>,
    all_cells: HashMap<u64, Vec<u32>>,
    /// Copies of the vacant entries, cell by cell: the common search (vacant, near a
    /// point) reads them in memory order instead of jumping through `entries`, which
    /// at 1M rentals is a cache miss per entry (~5,600 of them around central Tokyo).
    vacant_cells: HashMap<u64, Vec<Entry>>,
    by_municipality: HashMap<u32, Vec<u32>>,
    orgs: HashMap<u128, u32>,
}

/// One page of results: ids with their distance from the search point.
#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    pub items: Vec<(u128, Option<f64>)>,
    pub next_cursor: Option<Cursor>,
    /// How many rentals match in all.
    pub total: usize,
}

impl Index {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// The small number standing for an organisation inside the index.
    pub fn intern_org(&mut self, org: u128) -> u32 {
        let next = self.orgs.len() as u32 + 1;
        *self.orgs.entry(org).or_insert(next)
    }

    pub fn org_number(&self, org: u128) -> Option<u32> {
        self.orgs.get(&org).copied()
    }

    pub fn get(&self, id: u128) -> Option<&Entry> {
        self.slot_of.get(&id).map(|s| &self.entries[*s as usize])
    }

    /// Adds or replaces a rental.
    /// Makes room for `n` more rentals at once: a million rows of an import would
    /// otherwise grow the id map by doubling, holding the old table and the new one
    /// side by side at the last step.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
        self.live.reserve(n);
        self.slot_of.reserve(n);
    }

    pub fn upsert(&mut self, e: Entry) {
        self.remove(e.id);
        let slot = match self.free.pop() {
            Some(s) => {
                self.entries[s as usize] = e;
                self.live[s as usize] = true;
                s
            }
            None => {
                self.entries.push(e);
                self.live.push(true);
                (self.entries.len() - 1) as u32
            }
        };
        self.slot_of.insert(e.id, slot);
        if e.flags & HAS_POINT != 0 {
            let key = cell_key(cell_of(f64::from(e.lat), f64::from(e.lon)));
            self.all_cells.entry(key).or_default().push(slot);
            if e.vacant_from != OCCUPIED {
                self.vacant_cells.entry(key).or_default().push(e);
            }
        }
        self.by_municipality
            .entry(e.municipality)
            .or_default()
            .push(slot);
    }

    /// Removes a rental (deleted, or no longer to be found).
    pub fn remove(&mut self, id: u128) {
        let Some(slot) = self.slot_of.remove(&id) else {
            return;
        };
        let e = self.entries[slot as usize];
        let drop_slot = |v: &mut Vec<u32>| {
            if let Some(i) = v.iter().position(|s| *s == slot) {
                v.swap_remove(i);
            }
        };
        if e.flags & HAS_POINT != 0 {
            let key = cell_key(cell_of(f64::from(e.lat), f64::from(e.lon)));
            if let Some(v) = self.all_cells.get_mut(&key) {
                drop_slot(v);
            }
            if let Some(v) = self.vacant_cells.get_mut(&key)
                && let Some(i) = v.iter().position(|x| x.id == id)
            {
                v.swap_remove(i);
            }
        }
        if let Some(v) = self.by_municipality.get_mut(&e.municipality) {
            drop_slot(v);
        }
        self.live[slot as usize] = false;
        self.free.push(slot);
    }

    /// Every entry passing the query's filters, with its distance, in no order.
    pub fn matching(&self, q: &RentalQuery, scope: Scope) -> Vec<(Entry, Option<f64>)> {
        let mut out = Vec::new();
        self.scan(q, scope, |e, d| out.push((*e, d)));
        out
    }

    /// Runs a search and returns one page.
    pub fn search(&self, q: &RentalQuery, scope: Scope) -> Hits {
        let mut hits: Vec<(u128, Option<f64>)> = Vec::new();
        self.scan(q, scope, |e, d| hits.push((e.id, d)));
        let total = hits.len();
        let key = |h: &(u128, Option<f64>)| (h.1.map(|d| (d * 1000.0) as u64), h.0);
        if let Some(c) = q.cursor {
            hits.retain(|h| key(h) > (c.distance_mm, c.id));
        }
        let n = q.limit.min(hits.len());
        if n < hits.len() {
            hits.select_nth_unstable_by_key(n, key);
            hits.truncate(n + 1);
        }
        hits.sort_unstable_by_key(key);
        let next_cursor = if hits.len() > q.limit {
            hits.truncate(q.limit);
            hits.last().map(|h| {
                let (distance_mm, id) = key(h);
                Cursor { distance_mm, id }
            })
        } else {
            None
        };
        Hits {
            items: hits,
            next_cursor,
            total,
        }
    }

    /// Visits every entry passing the filters: by grid cells around a point, by
    /// municipality lists, or (neither given) all of them.
    fn scan(&self, q: &RentalQuery, scope: Scope, mut visit: impl FnMut(&Entry, Option<f64>)) {
        let wants_vacant = q.vacant_by.is_some() || q.vacant == Some(true);
        let mut consider = |e: &Entry| {
            if let Some(d) = matches(e, q, scope) {
                visit(e, d);
            }
        };
        if let Some((center, radius)) = q.near {
            let dlat = radius / 111_320.0;
            let dlon = radius / (111_320.0 * center.lat.to_radians().cos().max(0.01));
            let (lat0, lon0) = cell_of(center.lat - dlat, center.lon - dlon);
            let (lat1, lon1) = cell_of(center.lat + dlat, center.lon + dlon);
            for a in lat0..=lat1 {
                for b in lon0..=lon1 {
                    if cell_min_distance_m(center.lat, center.lon, (a, b)) > radius {
                        continue;
                    }
                    let key = cell_key((a, b));
                    if wants_vacant {
                        for e in self.vacant_cells.get(&key).into_iter().flatten() {
                            consider(e);
                        }
                    } else {
                        for slot in self.all_cells.get(&key).into_iter().flatten() {
                            consider(&self.entries[*slot as usize]);
                        }
                    }
                }
            }
        } else if !q.municipalities.is_empty() {
            for m in &q.municipalities {
                if let Some(v) = self.by_municipality.get(m) {
                    for slot in v {
                        consider(&self.entries[*slot as usize]);
                    }
                }
            }
        } else {
            for (slot, live) in self.live.iter().enumerate() {
                if *live {
                    consider(&self.entries[slot]);
                }
            }
        }
    }
}

/// Whether an entry passes every filter; `Some(distance)` (metres, when searching near
/// a point) if it does.
fn matches(e: &Entry, q: &RentalQuery, scope: Scope) -> Option<Option<f64>> {
    if let Scope::Org(org) = scope
        && e.owner != org
        && e.agent != org
    {
        return None;
    }
    if let Some(max) = q.max_monthly_total
        && e.monthly_total > max
    {
        return None;
    }
    if let Some(by) = q.vacant_by
        && e.vacant_from > by
    {
        return None;
    }
    match q.vacant {
        Some(true) if e.vacant_from == OCCUPIED => return None,
        Some(false) if e.vacant_from != OCCUPIED => return None,
        _ => {}
    }
    if u32::from(e.categories) & q.accepts != q.accepts
        || u32::from(e.accessibility) & q.accessibility != q.accessibility
    {
        return None;
    }
    if let Some(a) = q.min_area_m2
        && f32::from(e.area_dm2) < a * 100.0 - 0.5
    {
        return None;
    }
    if !q.layouts.is_empty() && !q.layouts.contains(&e.layout_rank) {
        return None;
    }
    if let Some(r) = q.min_rooms
        && e.layout_rank / 8 < r
    {
        return None;
    }
    let flag = |f: u8| e.flags & f != 0;
    if q.elevator.is_some_and(|want| want != flag(ELEVATOR))
        || q.pets.is_some_and(|want| want != flag(PETS))
        || q.rent_reduction
            .is_some_and(|want| want != flag(RENT_REDUCTION))
        || q.support_housing
            .is_some_and(|want| want != flag(SUPPORT_HOUSING))
        || (q.step_free_access && e.floor > 1 && !flag(ELEVATOR))
    {
        return None;
    }
    if !q.municipalities.is_empty() && !q.municipalities.contains(&e.municipality) {
        return None;
    }
    match q.near {
        None => Some(None),
        Some((c, radius)) => {
            if !flag(HAS_POINT) {
                return None;
            }
            let d = haversine_m(c.lat, c.lon, f64::from(e.lat), f64::from(e.lon));
            (d <= radius).then_some(Some(d))
        }
    }
}

pub use crate::domain::rental::haversine_m;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rental::Coordinates;

    /// A small deterministic generator, so the test needs no extra crate.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 11
        }
        fn unit(&mut self) -> f64 {
            (self.next() % 1_000_000) as f64 / 1_000_000.0
        }
    }

    fn random_entry(r: &mut Lcg, id: u128) -> Entry {
        Entry {
            id,
            lat: (43.0 + r.unit() * 0.2) as f32,
            lon: (141.25 + r.unit() * 0.2) as f32,
            monthly_total: 30_000 + (r.next() % 120_000) as u32,
            municipality: if r.next().is_multiple_of(2) {
                11002
            } else {
                12025
            },
            owner: (r.next() % 3) as u32 + 1,
            agent: 0,
            vacant_from: if r.next().is_multiple_of(5) {
                20_000 + (r.next() % 60) as i32
            } else {
                OCCUPIED
            },
            area_dm2: 1500 + (r.next() % 4500) as u16,
            layout_rank: [9u8, 10, 11, 17, 18][(r.next() % 5) as usize],
            categories: (r.next() % 256) as u8,
            accessibility: (r.next() % 128) as u8,
            flags: HAS_POINT | (r.next() % 64) as u8,
            conditions: (r.next() % 32) as u8,
            rent: 30_000 + (r.next() % 100_000) as u32,
            floor: (r.next() % 6) as i8 + 1,
        }
    }

    fn brute(entries: &[Entry], q: &RentalQuery, scope: Scope) -> Vec<u128> {
        let mut v: Vec<_> = entries
            .iter()
            .filter_map(|e| matches(e, q, scope).map(|d| (d.map(|d| (d * 1000.0) as u64), e.id)))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, id)| id).collect()
    }

    fn all_pages(index: &Index, q: &RentalQuery, scope: Scope) -> Vec<u128> {
        let mut q = q.clone();
        let mut out = Vec::new();
        loop {
            let hits = index.search(&q, scope);
            out.extend(hits.items.iter().map(|h| h.0));
            match hits.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => return out,
            }
        }
    }

    #[test]
    fn the_index_finds_exactly_what_a_full_scan_finds_in_the_same_order() {
        let mut r = Lcg(7);
        let mut index = Index::new();
        let entries: Vec<Entry> = (1..=3000).map(|i| random_entry(&mut r, i)).collect();
        for e in &entries {
            index.upsert(*e);
        }
        for round in 0..40 {
            let center =
                Coordinates::parse(43.0 + r.unit() * 0.2, 141.25 + r.unit() * 0.2).unwrap();
            let q = RentalQuery {
                near: (round % 3 != 0).then_some((center, 500.0 + r.unit() * 6000.0)),
                municipalities: if round % 3 == 0 { vec![11002] } else { vec![] },
                max_monthly_total: (round % 2 == 0).then_some(70_000),
                accepts: if round % 4 == 0 { 4 } else { 0 },
                vacant_by: (round % 5 != 0).then_some(20_030),
                min_area_m2: (round % 3 == 1).then_some(20.0),
                step_free_access: round % 7 == 0,
                limit: 1 + (round as usize * 7) % 60,
                ..Default::default()
            };
            let scope = if round % 6 == 0 {
                Scope::Org(2)
            } else {
                Scope::All
            };
            assert_eq!(
                all_pages(&index, &q, scope),
                brute(&entries, &q, scope),
                "round {round}"
            );
            assert_eq!(
                index.search(&q, scope).total,
                brute(&entries, &q, scope).len()
            );
        }
    }

    #[test]
    fn results_are_sorted_by_distance_and_within_the_radius() {
        let mut r = Lcg(11);
        let mut index = Index::new();
        for i in 1..=2000 {
            index.upsert(random_entry(&mut r, i));
        }
        let center = Coordinates::parse(43.1, 141.35).unwrap();
        let q = RentalQuery {
            near: Some((center, 3000.0)),
            limit: 200,
            ..Default::default()
        };
        let hits = index.search(&q, Scope::All);
        assert!(!hits.items.is_empty());
        let d: Vec<f64> = hits.items.iter().map(|h| h.1.unwrap()).collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        assert!(d.iter().all(|x| *x <= 3000.0));
    }

    #[test]
    fn an_update_moves_a_rental_and_a_removal_forgets_it() {
        let mut index = Index::new();
        let mut e = random_entry(&mut Lcg(3), 1);
        e.vacant_from = 0;
        index.upsert(e);
        let at = |lat: f32, lon: f32| RentalQuery {
            near: Some((
                Coordinates::parse(f64::from(lat), f64::from(lon)).unwrap(),
                100.0,
            )),
            vacant: Some(true),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(index.search(&at(e.lat, e.lon), Scope::All).total, 1);
        let moved = Entry {
            lat: e.lat + 0.05,
            ..e
        };
        index.upsert(moved);
        assert_eq!(index.search(&at(e.lat, e.lon), Scope::All).total, 0);
        assert_eq!(index.search(&at(moved.lat, moved.lon), Scope::All).total, 1);
        index.upsert(Entry {
            vacant_from: OCCUPIED,
            ..moved
        });
        assert_eq!(index.search(&at(moved.lat, moved.lon), Scope::All).total, 0);
        index.remove(1);
        assert!(index.is_empty());
        assert_eq!(
            index
                .search(
                    &RentalQuery {
                        limit: 10,
                        ..Default::default()
                    },
                    Scope::All
                )
                .total,
            0
        );
    }

    #[test]
    fn the_inlined_haversine_agrees_with_the_geo_crate() {
        let a = Coordinates::parse(43.068, 141.35).unwrap();
        let b = Coordinates::parse(43.09, 141.40).unwrap();
        let ours = haversine_m(a.lat, a.lon, b.lat, b.lon);
        assert!(
            (ours - a.distance_m(&b)).abs() < 1.0,
            "{ours} vs {}",
            a.distance_m(&b)
        );
    }
}
