//! One shard's keyspace: 16 databases of key → value with millisecond expiry.
//!
//! Owned by exactly one shard thread and never shared; nothing here knows of
//! commands, connections or other shards. Keys and values are copied out of
//! the connection's read buffer when stored, so a stored key never pins a
//! network buffer.
//!
//! Each database keeps two `IndexMap`s, like Redis's main and expires dicts:
//! the index order gives O(1) random sampling (RANDOMKEY, the active expiry
//! cycle) and a SCAN cursor that survives mutation (see [`Db::scan`]).

mod hash;
mod list;
mod member;
mod packed;
mod ranktree;
mod set;
mod strval;
mod value;
mod zset;

pub use hash::Hash;
pub use list::List;
pub use set::Set;
pub use strval::Str;
pub use value::Value;
pub use zset::ZSet;

use bytes::Bytes;
use indexmap::IndexMap;
use std::time::{SystemTime, UNIX_EPOCH};

pub type Hasher = foldhash::fast::RandomState;
/// A stored key: up to 22 bytes inline, no allocation of its own.
pub type Key = member::Member;

/// Compact-encoding thresholds (Redis's defaults), set by CONFIG. A
/// collection converts to its large form when it passes them and never
/// converts back, as in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encodings {
    /// Negative: max bytes per listpack node (-1 = 4 KB ... -5 = 64 KB);
    /// positive: max entries per node.
    pub list_max_listpack_size: i64,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub set_max_listpack_entries: usize,
    pub set_max_listpack_value: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
}

impl Default for Encodings {
    fn default() -> Self {
        Encodings {
            list_max_listpack_size: -2,
            // Redis's compiled-in default (its sample redis.conf says 128).
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
        }
    }
}

/// Number of logical databases (SELECT 0..15).
pub const NUM_DBS: usize = 16;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A key's value together with its absolute expiry, as moved between shards
/// by RENAME, COPY and MOVE.
#[derive(Debug, Clone)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry in Unix milliseconds, if any.
    pub expire_at: Option<u64>,
}

/// Databases of this many keys and more have their keys looked up ahead
/// ([`Db::warm`]): about 16k keys of table already fill a core's L2 cache.
pub const WARM_MIN_KEYS: usize = 1 << 14;

#[derive(Default)]
pub struct Db {
    main: IndexMap<Key, Value, Hasher>,
    expires: IndexMap<Key, u64, Hasher>,
    /// Keys expired, lazily or by the active cycle (INFO expired_keys).
    pub expired: u64,
    /// While the replication stream is on, expired keys are logged here so
    /// the shard can send replicas a DEL for each.
    pub log_expired: bool,
    pub expired_log: Vec<Key>,
}

/// Counters a shard reports in INFO stats.
#[derive(Default, Debug, Clone, Copy)]
pub struct KeyspaceStats {
    pub hits: u64,
    pub misses: u64,
    pub expired: u64,
}

impl Db {
    pub fn len(&self) -> usize {
        self.main.len()
    }

    pub fn is_empty(&self) -> bool {
        self.main.is_empty()
    }

    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// Removes `key`'s deadline, if it has one, and returns it; no lookup
    /// while no key has a deadline.
    fn take_expiry(&mut self, key: &[u8]) -> Option<u64> {
        if self.expires.is_empty() { None } else { self.expires.swap_remove(key) }
    }

    /// Removes `key` if its deadline has passed; true when it did.
    pub fn expire_if_needed(&mut self, key: &[u8], now: u64) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        match self.expires.get(key) {
            Some(&at) if at <= now => {
                self.expires.swap_remove(key);
                self.main.swap_remove(key);
                self.expired += 1;
                if self.log_expired {
                    self.expired_log.push(key.into());
                }
                true
            }
            _ => false,
        }
    }

    /// Large enough that its table no longer stays in the CPU's caches
    /// (see [`WARM_MIN_KEYS`]).
    pub fn is_large(&self) -> bool {
        self.main.len() >= WARM_MIN_KEYS
    }

    /// Looks `keys` up without using the result, so that the cache misses
    /// of independent lookups overlap before a multi-key command walks them
    /// one by one (each lookup is a chain of dependent misses otherwise).
    /// Nothing for a small database, where it would only cost.
    pub fn warm<'a>(&self, keys: impl Iterator<Item = &'a [u8]>) {
        if !self.is_large() {
            return;
        }
        // Keys with a deadline are looked up in `expires` first.
        let volatile = !self.expires.is_empty();
        for k in keys {
            if volatile {
                std::hint::black_box(self.expires.get_index_of(k));
            }
            std::hint::black_box(self.main.get_index_of(k));
        }
    }

    /// The live value of `key`, after lazily expiring it.
    pub fn get(&mut self, key: &[u8], now: u64) -> Option<&Value> {
        self.expire_if_needed(key, now);
        self.main.get(key)
    }

    pub fn get_mut(&mut self, key: &[u8], now: u64) -> Option<&mut Value> {
        self.expire_if_needed(key, now);
        self.main.get_mut(key)
    }

    pub fn contains(&mut self, key: &[u8], now: u64) -> bool {
        self.get(key, now).is_some()
    }

    /// Absolute expiry of a live key.
    pub fn expire_at(&mut self, key: &[u8], now: u64) -> Option<u64> {
        self.expire_if_needed(key, now);
        self.expires.get(key).copied()
    }

    /// Stores `value`, clearing any expiry (SET semantics).
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.take_expiry(key);
        self.insert_value(key, value);
    }

    /// Stores a string value, clearing any expiry (SET semantics); a
    /// string already there is overwritten in place.
    pub fn set_str(&mut self, key: &[u8], bytes: &[u8]) {
        self.take_expiry(key);
        match self.main.get_mut(key) {
            Some(Value::Str(s)) => s.assign(bytes),
            Some(slot) => *slot = Value::Str(Str::new(bytes)),
            None => {
                self.main.insert(key.into(), Value::Str(Str::new(bytes)));
            }
        }
    }

    /// Stores `value`, keeping the key's expiry if it is live (KEEPTTL).
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, now: u64) {
        self.expire_if_needed(key, now);
        self.insert_value(key, value);
    }

    fn insert_value(&mut self, key: &[u8], value: Value) {
        match self.main.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                self.main.insert(key.into(), value);
            }
        }
    }

    /// Sets or clears the absolute expiry of an existing key. Returns false
    /// when the key does not exist.
    pub fn set_expire(&mut self, key: &[u8], at: Option<u64>) -> bool {
        if !self.main.contains_key(key) {
            return false;
        }
        match at {
            Some(at) => match self.expires.get_mut(key) {
                Some(slot) => *slot = at,
                None => {
                    self.expires.insert(key.into(), at);
                }
            },
            None => {
                self.expires.swap_remove(key);
            }
        }
        true
    }

    /// Removes a live key and returns its entry.
    pub fn remove(&mut self, key: &[u8], now: u64) -> Option<Entry> {
        if self.expire_if_needed(key, now) {
            return None;
        }
        let value = self.main.swap_remove(key)?;
        let expire_at = self.take_expiry(key);
        Some(Entry { value, expire_at })
    }

    /// Inserts a whole entry, replacing any existing key.
    pub fn put(&mut self, key: &[u8], entry: Entry) {
        self.set(key, entry.value);
        if let Some(at) = entry.expire_at {
            self.expires.insert(key.into(), at);
        }
    }

    pub fn clear(&mut self) {
        self.main = IndexMap::default();
        self.expires = IndexMap::default();
    }

    /// Key at index `i` of the main table (for sampling and SCAN).
    pub fn key_at(&self, i: usize) -> Option<&Key> {
        self.main.get_index(i).map(|(k, _)| k)
    }

    /// A uniformly chosen live key, expiring dead ones it meets on the way.
    pub fn random_key(&mut self, now: u64, rnd: &mut impl FnMut() -> u64) -> Option<Bytes> {
        // Bounded tries, like Redis, so a db full of expired keys cannot spin.
        for _ in 0..100 {
            if self.main.is_empty() {
                return None;
            }
            let i = (rnd() % self.main.len() as u64) as usize;
            let key = self.main.get_index(i)?.0.clone();
            if !self.expire_if_needed(&key, now) {
                return Some(Bytes::copy_from_slice(&key));
            }
        }
        None
    }

    /// One SCAN step. Walks the main table by index from the end toward the
    /// start: a removal moves the last (already visited) key into the hole
    /// and insertions append behind the cursor, so every key present for the
    /// whole scan is returned at least once. `cursor` is the number of indexes
    /// still to visit (0 = start); the returned cursor is 0 when done.
    pub fn scan(&mut self, cursor: u64, count: usize, now: u64, mut visit: impl FnMut(&Key, &Value)) -> u64 {
        let len = self.main.len() as u64;
        let mut next = if cursor == 0 || cursor > len { len } else { cursor };
        let mut seen = 0;
        while next > 0 && seen < count {
            next -= 1;
            let i = next as usize;
            if i >= self.main.len() {
                continue;
            }
            seen += 1;
            let (k, v) = self.main.get_index(i).expect("index in range");
            let expired = !self.expires.is_empty() && self.expires.get(k).is_some_and(|&at| at <= now);
            if !expired {
                visit(k, v);
            }
        }
        next
    }

    /// Active expiry: samples up to `samples` keys with a deadline and removes
    /// the expired ones. Returns (sampled, expired) so the caller can repeat
    /// while many sampled keys were stale, as Redis's cycle does.
    pub fn expire_cycle(
        &mut self,
        now: u64,
        samples: usize,
        rnd: &mut impl FnMut() -> u64,
    ) -> (usize, usize) {
        let mut expired = 0;
        let n = samples.min(self.expires.len());
        for _ in 0..n {
            if self.expires.is_empty() {
                break;
            }
            let i = (rnd() % self.expires.len() as u64) as usize;
            let (k, &at) = self.expires.get_index(i).expect("index in range");
            if at <= now {
                let k = k.clone();
                self.expires.swap_remove_index(i);
                self.main.swap_remove(&k);
                self.expired += 1;
                if self.log_expired {
                    self.expired_log.push(k);
                }
                expired += 1;
            }
        }
        (n, expired)
    }

    /// Iterates all live keys (KEYS, snapshots).
    pub fn iter(&self, now: u64) -> impl Iterator<Item = (&Key, &Value)> {
        self.main
            .iter()
            .filter(move |(k, _)| self.expires.is_empty() || self.expires.get(*k).is_none_or(|&at| at > now))
    }
}

/// The 16 databases of one shard.
pub struct Keyspace {
    pub dbs: Vec<Db>,
    /// Read lookups that hit or missed (counted by read commands, as Redis's
    /// lookupKeyRead does); `expired` lives in each `Db`.
    pub stats: KeyspaceStats,
    /// (db, key) pairs some client is blocked on.
    pub watched: std::collections::HashSet<(u8, Bytes), Hasher>,
    /// Watched keys that a write may have made servable, drained by the
    /// runtime after each command.
    pub ready: Vec<(u8, Bytes)>,
}

impl Default for Keyspace {
    fn default() -> Self {
        Keyspace {
            dbs: (0..NUM_DBS).map(|_| Db::default()).collect(),
            stats: KeyspaceStats::default(),
            watched: Default::default(),
            ready: Vec::new(),
        }
    }
}

impl Keyspace {
    pub fn db(&mut self, i: usize) -> &mut Db {
        &mut self.dbs[i]
    }

    pub fn swap(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
    }

    /// Counters with `expired` summed over all databases.
    pub fn totals(&self) -> KeyspaceStats {
        KeyspaceStats { expired: self.dbs.iter().map(|d| d.expired).sum(), ..self.stats }
    }

    pub fn reset_stats(&mut self) {
        self.stats = KeyspaceStats::default();
        for d in &mut self.dbs {
            d.expired = 0;
        }
    }

    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(Str::new(v.as_bytes()))
    }

    #[test]
    fn lazy_expiry_hides_dead_keys() {
        let mut db = Db::default();
        db.set(b"k", s("v"));
        db.set_expire(b"k", Some(100));
        assert!(db.get(b"k", 99).is_some());
        assert!(db.get(b"k", 100).is_none());
        assert_eq!(db.len(), 0);
    }

    #[test]
    fn set_clears_ttl_keep_ttl_keeps_it() {
        let mut db = Db::default();
        db.set(b"k", s("v"));
        db.set_expire(b"k", Some(1000));
        db.set_keep_ttl(b"k", s("w"), 0);
        assert_eq!(db.expire_at(b"k", 0), Some(1000));
        db.set(b"k", s("x"));
        assert_eq!(db.expire_at(b"k", 0), None);
    }

    #[test]
    fn scan_visits_every_stable_key_despite_deletes() {
        let mut db = Db::default();
        for i in 0..1000 {
            db.set(format!("k{i}").as_bytes(), s("v"));
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = db.scan(cursor, 10, 0, |k, _| {
                seen.insert(k.clone());
            });
            // Delete some keys (only even ones) while scanning.
            round += 1;
            let victim = format!("k{}", round * 2);
            db.remove(victim.as_bytes(), 0);
            if cursor == 0 {
                break;
            }
        }
        for i in (1..1000).step_by(2) {
            assert!(seen.contains(format!("k{i}").as_bytes()), "missed k{i}");
        }
    }

    #[test]
    fn active_cycle_removes_expired() {
        let mut db = Db::default();
        let mut x = 1u64;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..100 {
            db.set(format!("k{i}").as_bytes(), s("v"));
            db.set_expire(format!("k{i}").as_bytes(), Some(10));
        }
        db.set(b"keep", s("v"));
        while db.volatile_len() > 0 {
            db.expire_cycle(11, 20, &mut rnd);
        }
        assert_eq!(db.len(), 1);
    }
}
