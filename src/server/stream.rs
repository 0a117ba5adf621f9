//! The shard's side of replication: stamping write effects into the global
//! ordered stream, the cut barrier, and snapshots with key-level
//! copy-on-write.
//!
//! Effects: while `streaming` is on, every write takes the next global
//! sequence number (one `fetch_add` on the one shared counter) right after
//! it mutates, before anything else runs on this shard, and sends
//! `(seq, db, RESP bytes)` to the replication core, which emits them in
//! sequence order. Keys found expired are sent as DEL first. A command whose
//! parts run on several shards is stamped once, while every key it touches
//! is still locked, by the coordinator (`multi.rs`), so replicas receive it
//! as one unit.
//!
//! Snapshots: at a cut every shard stops at a barrier (its thread blocks on
//! a channel for an instant), so the sequence number read then separates
//! "in the snapshot" from "in the stream" exactly. Each shard then records
//! the names of its live keys and serializes them in small chunks between
//! other work; a write to a key not yet serialized serializes it first
//! (copy-on-write per key), so the snapshot is the state at the cut, with no
//! fork and no copy of the values.

use super::shard::Shard;
use crate::keyspace::{Entry, Hasher, Key, NUM_DBS, now_ms};
use crate::mesh::{Cmd, CutGo, Req, Resp};
use crate::persistence::rdb;
use crate::protocol::encode_command;
use bytes::{BufMut, Bytes, BytesMut};
use indexmap::IndexSet;
use std::rc::Rc;
use std::sync::atomic::Ordering;

/// What to do with a command's replication effect.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// Send it (an ordinary command).
    Yes,
    /// Part of a multi-shard command: the coordinator sends the unit.
    No,
    /// Like `No`, but take the unit's sequence number now (the last part of
    /// a split command, run the moment its locks are granted).
    Stamp,
    /// Return the effects to the caller, which sends several commands' as
    /// one unit (a transaction).
    Collect,
}

/// Keys of a snapshot still to serialize.
pub struct Snapshot {
    id: u64,
    pending: IndexSet<(u8, Key), Hasher>,
}

/// Encodes commands as a RESP unit, wrapped in MULTI/EXEC when several.
pub fn encode_unit(cmds: &[Vec<Bytes>]) -> Bytes {
    let mut out = BytesMut::new();
    let multi = cmds.len() > 1;
    if multi {
        out.put_slice(b"*1\r\n$5\r\nMULTI\r\n");
    }
    for argv in cmds {
        encode_command(&mut out, argv);
    }
    if multi {
        out.put_slice(b"*1\r\n$4\r\nEXEC\r\n");
    }
    out.freeze()
}

impl Shard {
    /// Takes the next stream sequence number.
    pub fn stamp(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst)
    }

    /// Sends one unit at sequence `seq` (an empty unit fills the number).
    pub fn send_effect(&self, seq: u64, db: u8, cmds: &[Vec<Bytes>]) {
        let payload = if cmds.is_empty() { Bytes::new() } else { encode_unit(cmds) };
        self.peer.notify(self.core, Req::Effect { seq, db, payload });
    }

    pub fn emit(&self, db: u8, cmds: &[Vec<Bytes>]) {
        let seq = self.stamp();
        self.send_effect(seq, db, cmds);
    }

    /// Sends several effects, possibly in several dbs, as one unit under
    /// one sequence number (SELECTs go inside the MULTI/EXEC, and the unit
    /// ends in the db it started in, which is the one the core tracks).
    pub fn emit_unit(&self, effects: Vec<(u8, Vec<Bytes>)>) {
        let Some(&(first, _)) = effects.first() else { return };
        let select = |db: u8| vec![Bytes::from_static(b"SELECT"), crate::util::i64_bytes(db as i64)];
        let mut cmds = Vec::with_capacity(effects.len());
        let mut cur = first;
        for (db, argv) in effects {
            if db != cur {
                cmds.push(select(db));
                cur = db;
            }
            cmds.push(argv);
        }
        if cur != first {
            cmds.push(select(first));
        }
        self.emit(first, &cmds);
    }

    /// Sends a DEL for every key found expired since the last call.
    pub fn emit_expired(&self) {
        if !self.streaming.get() {
            return;
        }
        let mut logs = Vec::new();
        {
            let mut ks = self.ks.borrow_mut();
            for (i, db) in ks.dbs.iter_mut().enumerate() {
                if !db.expired_log.is_empty() {
                    logs.push((i as u8, std::mem::take(&mut db.expired_log)));
                }
            }
        }
        for (db, keys) in logs {
            for k in keys {
                self.emit(db, &[vec![Bytes::from_static(b"DEL"), Bytes::copy_from_slice(&k)]]);
            }
        }
    }

    /// The core's cut barrier: acknowledge, block this thread until the
    /// core says how to go on, then start streaming and/or a snapshot.
    pub(super) fn cut(
        self: &Rc<Self>,
        ack: crossbeam_channel::Sender<()>,
        go: crossbeam_channel::Receiver<CutGo>,
    ) {
        if ack.send(()).is_err() {
            return;
        }
        let Ok(go) = go.recv() else { return };
        self.streaming.set(go.streaming);
        {
            let mut ks = self.ks.borrow_mut();
            for db in ks.dbs.iter_mut() {
                db.log_expired = go.streaming;
            }
        }
        if let Some(id) = go.snapshot {
            self.start_snapshot(id);
        }
    }

    fn start_snapshot(self: &Rc<Self>, id: u64) {
        let now = now_ms();
        let mut pending = IndexSet::default();
        {
            let ks = self.ks.borrow();
            for (i, db) in ks.dbs.iter().enumerate() {
                for (k, _) in db.iter(now) {
                    pending.insert((i as u8, k.clone()));
                }
            }
        }
        *self.snapshot.borrow_mut() = Some(Snapshot { id, pending });
        let me = self.clone();
        glommio::spawn_local(async move { me.serialize_snapshot().await }).detach();
    }

    /// Serializes the snapshot's keys in chunks, yielding between chunks so
    /// this shard's clients keep being served.
    async fn serialize_snapshot(self: Rc<Self>) {
        const CHUNK_KEYS: usize = 256;
        loop {
            let batch: Vec<(u8, Key)> = {
                let mut snap = self.snapshot.borrow_mut();
                let Some(s) = snap.as_mut() else { return };
                let n = s.pending.len().min(CHUNK_KEYS);
                (0..n).filter_map(|_| s.pending.pop()).collect()
            };
            if batch.is_empty() {
                let id = self.snapshot.borrow_mut().take().map(|s| s.id);
                if let Some(id) = id {
                    self.peer.notify(self.core, Req::RdbDone { id });
                }
                return;
            }
            self.serialize_keys(batch);
            futures_lite::future::yield_now().await;
        }
    }

    /// Serializes the current values of `keys` (grouped by db) to the core.
    fn serialize_keys(&self, keys: Vec<(u8, Key)>) {
        let id = match &*self.snapshot.borrow() {
            Some(s) => s.id,
            None => return,
        };
        let now = now_ms();
        let mut by_db: Vec<Vec<u8>> = vec![Vec::new(); NUM_DBS];
        {
            let mut ks = self.ks.borrow_mut();
            for (db, k) in keys {
                let d = ks.db(db as usize);
                // A key that expired meanwhile is left out: the stream after
                // the cut carries its DEL.
                let expire_at = d.expire_at(&k, now);
                if let Some(v) = d.get(&k, now) {
                    let entry = Entry { value: v.clone(), expire_at };
                    rdb::write_entry(&mut by_db[db as usize], &k, &entry);
                }
            }
        }
        for (db, bytes) in by_db.into_iter().enumerate() {
            if !bytes.is_empty() {
                self.peer.notify(self.core, Req::RdbChunk { id, db: db as u8, bytes });
            }
        }
    }

    /// Copy-on-write: before a write command runs during a snapshot, the
    /// keys it may change are serialized as they are.
    pub(super) fn cow_for(&self, cmd: &Cmd) {
        if self.snapshot.borrow().is_none() || !cmd.spec.is_write() {
            return;
        }
        let mut keys: Vec<(u8, Key)> = Vec::new();
        let mut positions = cmd.spec.keys_in(&cmd.argv).peekable();
        if positions.peek().is_none() {
            // A keyless write (FLUSHALL, SWAPDB, ...): everything goes first.
            let all: Vec<(u8, Key)> = match &mut *self.snapshot.borrow_mut() {
                Some(s) => s.pending.drain(..).collect(),
                None => return,
            };
            self.serialize_keys(all);
            return;
        }
        // MOVE and COPY may write the same name in another database.
        let every_db = matches!(cmd.spec.name, "move" | "copy");
        {
            let mut snap = self.snapshot.borrow_mut();
            let Some(s) = snap.as_mut() else { return };
            for i in positions {
                let k: Key = cmd.argv[i][..].into();
                if every_db {
                    for db in 0..NUM_DBS as u8 {
                        if s.pending.swap_remove(&(db, k.clone())) {
                            keys.push((db, k.clone()));
                        }
                    }
                } else if s.pending.swap_remove(&(cmd.db, k.clone())) {
                    keys.push((cmd.db, k));
                }
            }
        }
        if !keys.is_empty() {
            self.serialize_keys(keys);
        }
    }

    /// Copy-on-write for one key about to change outside a command (Put).
    pub(super) fn cow_key(&self, db: u8, key: &[u8]) {
        let hit = match &mut *self.snapshot.borrow_mut() {
            Some(s) => s.pending.swap_remove(&(db, Key::from(key))),
            None => false,
        };
        if hit {
            self.serialize_keys(vec![(db, key.into())]);
        }
    }

    /// Replica side: run a command from the master whose keys span shards.
    pub(super) fn coordinate(self: &Rc<Self>, db: u8, argv: Vec<Bytes>) -> super::shard::Handled {
        let (tx, rx) = crate::mesh::oneshot();
        let me = self.clone();
        glommio::spawn_local(async move {
            let reply = match crate::commands::lookup(&argv[0]) {
                Some(spec) => super::multi::run(&me, db, spec, argv).await,
                None => crate::commands::unknown_command(&argv),
            };
            tx.send(Resp::Reply(reply));
        })
        .detach();
        super::shard::Handled::Later(rx)
    }

    /// A MULTI/EXEC unit from the master spanning shards: one atomic unit.
    pub(super) fn coordinate_tx(self: &Rc<Self>, cmds: Vec<crate::mesh::Cmd>) -> super::shard::Handled {
        let (tx, rx) = crate::mesh::oneshot();
        let me = self.clone();
        glommio::spawn_local(async move {
            let replies = super::multi::gather_cmds(&me, cmds, None, None).await.map(|(r, _)| r);
            tx.send(Resp::Replies(replies.unwrap_or_default()));
        })
        .detach();
        super::shard::Handled::Later(rx)
    }
}
