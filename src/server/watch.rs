//! WATCH, the shard side: which clients watch which of this shard's keys,
//! and whether a write touched one since (Redis's `CLIENT_DIRTY_CAS`).
//!
//! A client's watched keys may live on several shards; each shard keeps the
//! part it owns. EXEC asks every shard involved whether the client is still
//! clean while the transaction's keys and the watched ones are admitted or
//! locked there (`Req::AtomicCas`, or `multi::gather_cmds` with locks), so
//! no write slips in between the check and the commands.
//!
//! A key counts as touched when a command that changed something (dirty)
//! names it, when FLUSHDB / FLUSHALL / SWAPDB empties or replaces a database
//! it exists in, when MOVE carries it away or onto it, when a multi-shard
//! command writes it back, and when it expires after it was watched.

use super::shard::{DbKey, Shard};
use crate::keyspace::now_ms;
use crate::mesh::Cmd;
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap};

/// The shards owning `keys`: where a client's watch lives.
pub(super) fn shards_of(keys: &[DbKey], nshards: usize) -> BTreeSet<usize> {
    keys.iter().map(|(_, k)| crate::route::shard_of(k, nshards)).collect()
}

/// One client's watch on this shard.
#[derive(Default)]
pub struct Watching {
    /// Keys and the deadline each had when watched (a key that expires
    /// after that counts as touched, as in Redis 7).
    keys: Vec<(DbKey, Option<u64>)>,
    dirty: bool,
}

/// Watched keys of one shard.
#[derive(Default)]
pub struct Watches {
    /// Key -> ids of the clients watching it.
    by_key: HashMap<DbKey, Vec<u64>>,
    by_client: HashMap<u64, Watching>,
}

impl Watches {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    fn touch(&mut self, key: &DbKey) {
        if let Some(ids) = self.by_key.get(key) {
            for id in ids {
                if let Some(w) = self.by_client.get_mut(id) {
                    w.dirty = true;
                }
            }
        }
    }

    fn watched_in(&self, db: Option<u8>) -> Vec<DbKey> {
        self.by_key.keys().filter(|(d, _)| db.is_none_or(|db| *d == db)).cloned().collect()
    }
}

impl Shard {
    /// WATCH: `id` watches `keys` of database `db` on this shard.
    pub(super) fn watch_keys(&self, id: u64, db: u8, keys: Vec<Bytes>) {
        let now = now_ms();
        let mut ks = self.ks.borrow_mut();
        let mut w = self.watches.borrow_mut();
        for key in keys {
            let deadline = ks.db(db as usize).expire_at(&key, now);
            let k = (db, key);
            let ids = w.by_key.entry(k.clone()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
            w.by_client.entry(id).or_default().keys.push((k, deadline));
        }
    }

    /// UNWATCH (also after EXEC and DISCARD, and on disconnect).
    pub(super) fn unwatch(&self, id: u64) {
        let mut w = self.watches.borrow_mut();
        let Some(mine) = w.by_client.remove(&id) else { return };
        for (k, _) in mine.keys {
            if let Some(ids) = w.by_key.get_mut(&k) {
                ids.retain(|&i| i != id);
                if ids.is_empty() {
                    w.by_key.remove(&k);
                }
            }
        }
    }

    /// True when none of the keys `id` watches here was touched.
    pub(super) fn watch_clean(&self, id: u64) -> bool {
        let now = now_ms();
        let w = self.watches.borrow();
        let Some(mine) = w.by_client.get(&id) else { return true };
        !mine.dirty && mine.keys.iter().all(|(_, deadline)| deadline.is_none_or(|d| d > now))
    }

    /// The keys `id` watches here (EXEC locks them with the transaction's).
    pub(super) fn watched_by(&self, id: u64) -> Vec<DbKey> {
        let w = self.watches.borrow();
        w.by_client.get(&id).map(|m| m.keys.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default()
    }

    /// Before a command runs: the watched keys a database-wide command
    /// will empty or replace, if they exist now.
    pub(super) fn watch_before(&self, cmd: &Cmd) -> Vec<DbKey> {
        let w = self.watches.borrow();
        match wide_dbs(cmd) {
            Some(dbs) if !w.is_empty() => self.existing(&w, &dbs),
            _ => Vec::new(),
        }
    }

    /// After a command ran: touches the watched keys it changed. `before`
    /// is what [`Shard::watch_before`] found.
    pub(super) fn watch_after(&self, cmd: &Cmd, dirty: u64, before: Vec<DbKey>) {
        if dirty == 0 || !cmd.spec.is_write() || self.watches.borrow().is_empty() {
            return;
        }
        if let Some(dbs) = wide_dbs(cmd) {
            // SWAPDB: also the keys that appear by the swap.
            let after = if cmd.spec.name == "swapdb" {
                self.existing(&self.watches.borrow(), &dbs)
            } else {
                Vec::new()
            };
            let mut w = self.watches.borrow_mut();
            for k in before.iter().chain(&after) {
                w.touch(k);
            }
            return;
        }
        let mut w = self.watches.borrow_mut();
        for i in cmd.spec.keys_in(&cmd.argv) {
            w.touch(&(cmd.db, cmd.argv[i].clone()));
        }
        if cmd.spec.name == "move"
            && let Some(to) = cmd.argv.get(2).and_then(|a| db_index(a))
        {
            w.touch(&(to, cmd.argv[1].clone()));
        }
    }

    /// The watched keys of databases `dbs` (`None`: all) that exist now.
    fn existing(&self, w: &Watches, dbs: &[Option<u8>]) -> Vec<DbKey> {
        let now = now_ms();
        let mut ks = self.ks.borrow_mut();
        let mut out = Vec::new();
        for &db in dbs {
            for (d, key) in w.watched_in(db) {
                if ks.db(d as usize).contains(&key, now) {
                    out.push((d, key));
                }
            }
        }
        out
    }

    /// A key written outside `run_full` (a multi-shard command's write-back).
    pub(super) fn watch_touch(&self, db: u8, key: &Bytes) {
        let mut w = self.watches.borrow_mut();
        if !w.is_empty() {
            w.touch(&(db, key.clone()));
        }
    }
}

/// The databases a database-wide write empties or replaces (`None` in the
/// list: all of them); `None` for any other command.
fn wide_dbs(cmd: &Cmd) -> Option<Vec<Option<u8>>> {
    match cmd.spec.name {
        "flushdb" => Some(vec![Some(cmd.db)]),
        "flushall" => Some(vec![None]),
        "swapdb" => Some(cmd.argv[1..].iter().filter_map(|a| db_index(a)).map(Some).collect()),
        _ => None,
    }
}

/// A database index argument, when valid.
fn db_index(arg: &[u8]) -> Option<u8> {
    crate::util::parse_i64(arg)
        .filter(|&d| (0..crate::keyspace::NUM_DBS as i64).contains(&d))
        .map(|d| d as u8)
}
