//! One shard: its keyspace, its clients, its config copy, its end of the
//! channel mesh, and the key locks of multi-shard operations.
//!
//! Owned by one executor thread (`Rc`, never `Send`). Everything another
//! shard wants from it arrives as a [`Msg`] and is answered by tag.
//!
//! # Key locks (atomic multi-shard commands)
//!
//! A simplified form of Dragonfly's VLL. Multi-shard operations take their
//! keys on each involved shard in ascending shard order: split commands as
//! a chain of `Parts` hops (`multi.rs`), other commands by locking every
//! key, running, then unlocking. On a shard, an operation is *admitted*
//! (`admission.rs`) when none of its keys is held or waited for; otherwise
//! it queues behind each of its keys (`locks.rs`) and runs when it is first
//! in line on all of them. `Exec`, `Take`, `Put` and `Unlock` come from a
//! lock holder and bypass admission. Deadlock freedom: a holder only ever
//! waits for shards above those it holds, so the holder of the highest
//! contested shard always progresses. When no lock is held and nothing
//! waits (the common case), admission is two `is_empty` checks.

use super::admission::{Answer, Job, cmd_keys};
use super::locks::Locks;
use super::stream::Emit;
use crate::commands::{Args, Ctx, Exec};
use crate::config::Config;
use crate::keyspace::{Hasher, Keyspace, now_ms};
use crate::mesh::{self as msg, Admin, Cmd, KillFilter, Msg, Peer, Req, Resp, ShardStats};
use crate::protocol::Reply;
use bytes::Bytes;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// What a connection registers about itself for CLIENT LIST / KILL / INFO.
pub struct ClientInfo {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created: std::time::Instant,
    /// When its last command batch ran (Unix ms, the shard's cached clock).
    pub last_active: Cell<u64>,
    pub name: RefCell<Bytes>,
    pub lib_name: RefCell<Bytes>,
    pub lib_ver: RefCell<Bytes>,
    pub db: Cell<u8>,
    pub resp: Cell<u8>,
    pub last_cmd: Cell<&'static str>,
    /// Subcommand of the last container command (CLIENT INFO → "info").
    pub last_sub: RefCell<Option<Bytes>>,
    pub killed: Cell<bool>,
}

impl ClientInfo {
    pub fn line(&self) -> String {
        let now = std::time::Instant::now();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags=N db={} sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            String::from_utf8_lossy(&self.name.borrow()),
            now.duration_since(self.created).as_secs(),
            crate::keyspace::now_ms().saturating_sub(self.last_active.get()) / 1000,
            self.db.get(),
            match &*self.last_sub.borrow() {
                Some(sub) => format!("{}|{}", self.last_cmd.get(), String::from_utf8_lossy(sub)),
                None => self.last_cmd.get().to_string(),
            },
            self.resp.get(),
            String::from_utf8_lossy(&self.lib_name.borrow()),
            String::from_utf8_lossy(&self.lib_ver.borrow()),
        )
    }

    fn matches(&self, f: &KillFilter) -> bool {
        f.id.is_none_or(|id| id == self.id)
            && f.addr.as_ref().is_none_or(|a| *a == self.addr)
            && f.laddr.as_ref().is_none_or(|a| *a == self.laddr)
            && f.skip_id != Some(self.id)
    }

    /// Marks the client killed and wakes its pending read.
    pub fn kill(&self) {
        self.killed.set(true);
        // SAFETY: shutdown(2) on a descriptor the connection task still owns;
        // it only makes its pending read return end-of-file.
        unsafe {
            libc::shutdown(self.fd, libc::SHUT_RDWR);
        }
    }
}

#[derive(Default)]
pub struct Counters {
    pub connections_received: Cell<u64>,
    pub commands_processed: Cell<u64>,
    pub net_input: Cell<u64>,
    pub net_output: Cell<u64>,
    pub rejected: Cell<u64>,
    pub dirty: Cell<u64>,
}

/// A key with its database.
pub(super) type DbKey = (u8, Bytes);

/// What key locks are taken on: a 64-bit hash of (db, key), the same on
/// every shard. No key is cloned to lock it, and the lock tables hash
/// integers. Two keys with one hash would only wait for each other.
pub(super) type LockKey = u64;

pub(super) fn lock_key(db: u8, key: &[u8]) -> LockKey {
    use std::hash::BuildHasher;
    const SEED: u64 = 0x5eed_1c0c_4b1d_0f17;
    foldhash::fast::FixedState::with_seed(SEED).hash_one((db, key))
}

/// A request's answer: now, or later through a oneshot.
pub enum Handled {
    Now(Resp),
    Later(msg::Receiver<Resp>),
}

impl Handled {
    pub async fn get(self) -> Resp {
        match self {
            Handled::Now(r) => r,
            Handled::Later(rx) => rx.await.unwrap_or(Resp::Reply(Reply::error("ERR shard dropped request"))),
        }
    }
}

pub struct Shard {
    pub id: usize,
    pub nshards: usize,
    pub ks: RefCell<Keyspace>,
    pub cfg: RefCell<Config>,
    pub counters: Counters,
    pub clients: RefCell<HashMap<u64, Rc<ClientInfo>>>,
    pub next_client: Cell<u64>,
    pub started: std::time::Instant,
    pub run_id: String,
    pub shutdown: crossbeam_channel::Sender<&'static str>,
    pub peer: Rc<Peer>,
    /// Held keys and the operations waiting for keys, with where to answer.
    pub(super) locks: RefCell<Locks<(Job, Answer)>>,
    /// Keys held for split commands, by their coordinator's token.
    pub(super) holds: RefCell<HashMap<u64, Vec<LockKey>, crate::keyspace::Hasher>>,
    next_token: Cell<u64>,
    rng: Cell<u64>,
    /// Blocked clients parked on this shard's keys, and per key their ids
    /// in the order they blocked (see `blocking.rs`).
    pub(super) blocked: RefCell<HashMap<u64, super::blocking::Blocked>>,
    pub(super) block_queues: RefCell<HashMap<DbKey, VecDeque<u64>, Hasher>>,
    /// Ready keys whose waiters must wait for a multi-shard lock to go.
    pub(super) stalled_ready: RefCell<Vec<DbKey>>,
    /// This shard's connections that wait for a `Wake`, by client id.
    pub parked: RefCell<HashMap<u64, msg::Sender<Option<Reply>>>>,
    /// The replication stream's sequence counter: the one value shared
    /// between threads, used only while `streaming`.
    pub seq: Arc<AtomicU64>,
    pub streaming: Cell<bool>,
    /// Serving as a read-only replica: client writes get READONLY.
    pub replica: Cell<bool>,
    /// Mesh peer id of the replication core.
    pub core: usize,
    pub(super) snapshot: RefCell<Option<super::stream::Snapshot>>,
    /// Wall clock read once per connection read batch (as Redis caches
    /// it per event-loop turn) for the commands run inline.
    pub clock: Cell<u64>,
    /// Keys clients WATCH on this shard (`watch.rs`).
    pub(super) watches: RefCell<super::watch::Watches>,
    /// The mesh's incoming channels, also drained by `poll_mesh`.
    pub mesh_rx: RefCell<Vec<Rc<glommio::channels::shared_channel::ConnectedReceiver<Msg>>>>,
    /// Read readiness of this shard's client sockets.
    pub readiness: Rc<super::readiness::Readiness>,
}

impl Shard {
    pub fn new(
        id: usize,
        cfg: Config,
        peer: Peer,
        shutdown: crossbeam_channel::Sender<&'static str>,
        run_id: String,
        seq: Arc<AtomicU64>,
        readiness: Rc<super::readiness::Readiness>,
    ) -> Shard {
        let nshards = cfg.shards;
        Shard {
            id,
            nshards,
            ks: RefCell::new(Keyspace::default()),
            cfg: RefCell::new(cfg),
            counters: Counters::default(),
            clients: RefCell::new(HashMap::new()),
            next_client: Cell::new(0),
            started: std::time::Instant::now(),
            run_id,
            shutdown,
            peer: Rc::new(peer),
            locks: RefCell::default(),
            holds: RefCell::default(),
            next_token: Cell::new(0),
            rng: Cell::new(0x9E37_79B9_7F4A_7C15 ^ (id as u64 + 1).wrapping_mul(now_ms() | 1)),
            blocked: RefCell::new(HashMap::new()),
            block_queues: RefCell::new(HashMap::default()),
            stalled_ready: RefCell::new(Vec::new()),
            parked: RefCell::new(HashMap::new()),
            seq,
            streaming: Cell::new(false),
            replica: Cell::new(false),
            core: nshards,
            snapshot: RefCell::new(None),
            clock: Cell::new(now_ms()),
            readiness,
            watches: RefCell::default(),
            mesh_rx: RefCell::default(),
        }
    }

    /// xorshift64: cheap randomness for sampling (not for security).
    pub fn random(&self) -> u64 {
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        x
    }

    /// A token for the keys a split command holds, unique across shards.
    pub fn new_token(&self) -> u64 {
        let n = self.next_token.get() + 1;
        self.next_token.set(n);
        n * self.nshards as u64 + self.id as u64
    }

    /// A connection id unique across shards: shards interleave their counters.
    pub fn new_client_id(&self) -> u64 {
        let n = self.next_client.get() + 1;
        self.next_client.set(n);
        (n - 1) * self.nshards as u64 + self.id as u64 + 1
    }

    // ---- messaging ------------------------------------------------------

    /// Sends `req` to shard `to` (which may be this one) and returns a handle
    /// for its answer. The send happens before this returns, so several
    /// requests issued in a row travel concurrently.
    pub async fn request(self: &Rc<Self>, to: usize, req: Req) -> Handled {
        if to == self.id {
            return self.handle(req);
        }
        Handled::Later(self.peer.request(to, req).await)
    }

    pub async fn call(self: &Rc<Self>, to: usize, req: Req) -> Resp {
        self.request(to, req).await.get().await
    }

    /// Dispatches one message from peer `from`. Never awaits: answers that
    /// cannot go out at once are sent by a spawned task.
    pub fn on_message(self: &Rc<Self>, msg: Msg) {
        match msg {
            Msg::Resp { tag, resp } => self.peer.complete(tag, resp),
            Msg::RespThen { tag, resp, req, .. } => {
                self.peer.complete(tag, resp);
                self.handle(req);
            }
            Msg::Req { tag: msg::NO_REPLY, req, .. } => {
                self.handle(req);
            }
            Msg::Req { from, tag, req } => match self.handle(req) {
                Handled::Now(resp) => self.respond(from, tag, resp),
                Handled::Later(rx) => {
                    let me = self.clone();
                    glommio::spawn_local(async move {
                        if let Some(resp) = rx.await {
                            me.respond(from, tag, resp);
                        }
                    })
                    .detach();
                }
            },
        }
    }

    /// Handles the messages waiting on the mesh now. A busy executor
    /// notices them only between runs of its task queue, which under load
    /// is a whole turn of every ready connection; a connection calls this
    /// after each read batch, so keys held for another shard's command are
    /// released, and its parts run, within about one batch.
    pub fn poll_mesh(self: &Rc<Self>) {
        // Filled once at startup, only read afterwards: the borrow can stay.
        for rx in self.mesh_rx.borrow().iter() {
            while let Some(msg) = rx.try_recv() {
                self.on_message(msg);
            }
        }
    }

    fn respond(self: &Rc<Self>, to: usize, tag: u64, resp: Resp) {
        self.peer.respond(to, tag, resp);
    }

    /// Handles a request addressed to this shard, then serves clients
    /// blocked on keys it made ready.
    pub fn handle(self: &Rc<Self>, req: Req) -> Handled {
        let h = self.handle_req(req);
        self.serve_ready();
        self.emit_expired();
        h
    }

    fn handle_req(self: &Rc<Self>, req: Req) -> Handled {
        match req {
            Req::Batch(cmds) => {
                if self.admits_all() {
                    return Handled::Now(Resp::Replies(self.run_batch(&cmds)));
                }
                let keys = cmds.iter().flat_map(cmd_keys).collect();
                self.admit(keys, Job::Batch(cmds))
            }
            Req::AtomicCas { id, cmds } => {
                let mut keys: Vec<LockKey> = cmds.iter().flat_map(cmd_keys).collect();
                keys.extend(self.watched_by(id).iter().map(|(db, k)| lock_key(*db, k)));
                self.admit(keys, Job::AtomicCas(id, cmds))
            }
            Req::CasWatch { id, db, keys } => {
                self.watch_keys(id, db, keys);
                Handled::Now(Resp::Done)
            }
            Req::CasUnwatch { id } => {
                self.unwatch(id);
                Handled::Now(Resp::Done)
            }
            Req::CasCheck { id } => Handled::Now(Resp::Reply(Reply::Bool(self.watch_clean(id)))),
            Req::Atomic(cmds) => {
                let keys = cmds.iter().flat_map(cmd_keys).collect();
                self.admit(keys, Job::Atomic(cmds))
            }
            Req::Lock { db, keys } => {
                let locks: Vec<LockKey> = keys.iter().map(|k| lock_key(db, k)).collect();
                self.admit(locks.clone(), Job::Hold(locks))
            }
            Req::Parts { token, coordinator, hops, release } => {
                self.parts(token, coordinator, hops, release);
                Handled::Now(Resp::Done)
            }
            Req::Release { token } => {
                let keys = self.holds.borrow_mut().remove(&token).unwrap_or_default();
                self.release(keys);
                Handled::Now(Resp::Done)
            }
            Req::Exec(cmd) => Handled::Now(Resp::Reply(self.run_full(&cmd, now_ms(), Emit::No).reply)),
            Req::Take { db, key, remove } => {
                if remove {
                    self.cow_key(db, &key);
                    self.watch_touch(db, &key);
                }
                let now = now_ms();
                let mut ks = self.ks.borrow_mut();
                let d = ks.db(db as usize);
                let entry = if remove {
                    d.remove(&key, now)
                } else {
                    let expire_at = d.expire_at(&key, now);
                    d.get(&key, now).map(|v| crate::keyspace::Entry { value: v.clone(), expire_at })
                };
                Handled::Now(Resp::Entry(entry))
            }
            Req::Put { db, key, entry } => {
                self.cow_key(db, &key);
                self.watch_touch(db, &key);
                let mut ks = self.ks.borrow_mut();
                match entry {
                    Some(e) => {
                        ks.db(db as usize).put(&key, e);
                        if ks.watched.contains(&(db, key.clone())) {
                            ks.ready.push((db, key));
                        }
                    }
                    None => {
                        ks.db(db as usize).remove(&key, now_ms());
                    }
                }
                Handled::Now(Resp::Done)
            }
            Req::Unlock { db, keys } => {
                self.unlock(db, keys);
                Handled::Now(Resp::Done)
            }
            Req::Block { id, origin, cmd } => {
                let keys = cmd_keys(&cmd).collect();
                self.admit(keys, Job::Block { id, origin, cmd })
            }
            Req::Watch { id, origin, db, keys } => {
                self.register_block(id, origin, db, keys, None, Reply::Nil);
                Handled::Now(Resp::Done)
            }
            Req::Unblock { id } => Handled::Now(match self.remove_block(id) {
                Some(b) => Resp::Reply(b.timeout_reply),
                None => Resp::Done,
            }),
            Req::Wake { id, reply } => {
                if let Some(tx) = self.parked.borrow_mut().remove(&id) {
                    tx.send(reply);
                }
                Handled::Now(Resp::Done)
            }
            Req::Admin(a) => Handled::Now(self.admin(a)),
            Req::Cut { ack, go } => {
                self.cut(ack, go);
                Handled::Now(Resp::Done)
            }
            Req::SetReplica(on) => {
                self.replica.set(on);
                Handled::Now(Resp::Done)
            }
            Req::Load(entries) => {
                let mut ks = self.ks.borrow_mut();
                for (db, key, entry) in entries {
                    ks.db(db as usize).put(&key, entry);
                }
                Handled::Now(Resp::Done)
            }
            Req::Coordinate { db, argv } => self.coordinate(db, argv),
            Req::CoordinateTx(cmds) => self.coordinate_tx(cmds),
            // Addressed to the replication core, never to a shard.
            Req::Effect { .. }
            | Req::RdbChunk { .. }
            | Req::RdbDone { .. }
            | Req::AttachReplica(_)
            | Req::ReplInfo
            | Req::ReplStats
            | Req::KillReplicas
            | Req::Role
            | Req::ReplicaOf(_)
            | Req::Wait { .. } => Handled::Now(Resp::Reply(Reply::error("ERR internal: misrouted request"))),
        }
    }

    // ---- execution ------------------------------------------------------

    pub fn run_batch(&self, cmds: &[Cmd]) -> Vec<Reply> {
        let now = now_ms();
        self.prewarm(cmds);
        cmds.iter().map(|c| self.run_cmd_at(c, now)).collect()
    }

    fn run_cmd_at(&self, cmd: &Cmd, now: u64) -> Reply {
        self.run_full(cmd, now, Emit::Yes).reply
    }

    /// Looks up the first key of each of a batch's commands before they
    /// run, when the keyspace is large, so that the lookups' cache misses
    /// overlap (see `Conn::prewarm`, which does this for a connection's own
    /// reads).
    fn prewarm(&self, cmds: &[Cmd]) {
        if cmds.len() < 2 {
            return;
        }
        let ks = self.ks.borrow();
        let first = cmds.iter().filter(|c| c.spec.first_key == 1 && c.argv.len() > 1);
        for c in first.take(super::conn::PREWARM_MAX) {
            if let Some(db) = ks.dbs.get(c.db as usize) {
                db.warm(std::iter::once(&c.argv[1][..]));
            }
        }
    }

    /// Runs a command: its reply, what it blocks on if it found nothing to
    /// serve, and the stream sequence number taken for `Emit::Stamp`.
    pub(super) fn run_full(&self, cmd: &Cmd, now: u64, emit: Emit) -> Ran {
        let f = match cmd.spec.exec {
            Exec::Shard(f) | Exec::AllShards(f, _) => f,
            Exec::Conn(_) => {
                let reply = Reply::error("ERR internal: connection command sent to shard");
                return Ran { reply, block: None, seq: None, effects: Vec::new() };
            }
        };
        self.cow_for(cmd);
        let watched = !self.watches.borrow().is_empty();
        let before = if watched { self.watch_before(cmd) } else { Vec::new() };
        let (max_bulk, enc) = {
            let cfg = self.cfg.borrow();
            (cfg.proto_max_bulk_len, cfg.enc)
        };
        let mut ks = self.ks.borrow_mut();
        let mut ctx = Ctx::new(&mut ks, cmd.db as usize, now, max_bulk);
        ctx.enc = enc;
        ctx.replicating = self.streaming.get();
        let mut args = Args::new(&cmd.argv);
        let reply = f(&mut ctx, &mut args).unwrap_or_else(Reply::from);
        let (dirty, block, effects) = (ctx.dirty, ctx.block.take(), ctx.effects.take());
        drop(ks);
        if watched {
            self.watch_after(cmd, dirty, before);
        }
        if dirty > 0 {
            self.counters.dirty.set(self.counters.dirty.get() + dirty);
        }
        let mut seq = None;
        let mut collected = Vec::new();
        if self.streaming.get() {
            // Keys found expired go first: they expired before this write.
            self.emit_expired();
            let fanout = matches!(cmd.spec.exec, Exec::AllShards(..));
            match emit {
                // FLUSHALL, SWAPDB, ... run on every shard but replicate once,
                // even when this shard had nothing to flush.
                Emit::Yes if fanout => {
                    if cmd.spec.is_write() && self.id == 0 {
                        self.emit(cmd.db, std::slice::from_ref(&cmd.argv));
                    }
                }
                Emit::Yes => match effects {
                    Some(cmds) if !cmds.is_empty() => self.emit(cmd.db, &cmds),
                    Some(_) => {}
                    None if dirty > 0 && cmd.spec.is_write() => {
                        self.emit(cmd.db, std::slice::from_ref(&cmd.argv))
                    }
                    None => {}
                },
                Emit::Stamp => seq = Some(self.stamp()),
                Emit::Collect => {
                    collected = match effects {
                        Some(cmds) => cmds,
                        None if dirty > 0 && cmd.spec.is_write() => vec![cmd.argv.clone()],
                        None => Vec::new(),
                    }
                }
                Emit::No => {}
            }
        }
        Ran { reply, block, seq, effects: collected }
    }

    /// Runs a command of this shard's at once; only when `admits_all`.
    pub fn run_now(self: &Rc<Self>, cmd: &Cmd) -> Reply {
        let reply = self.run_cmd_at(cmd, self.clock.get());
        self.serve_ready();
        self.emit_expired();
        reply
    }

    /// Runs a command that arrived on this shard's own connection.
    pub fn exec_local(self: &Rc<Self>, cmd: Cmd) -> Handled {
        if self.admits_all() {
            return Handled::Now(Resp::Reply(self.run_now(&cmd)));
        }
        let keys = cmd_keys(&cmd).collect();
        let h = self.admit(keys, Job::Batch(vec![cmd]));
        self.serve_ready();
        self.emit_expired();
        h
    }

    // ---- server-wide requests --------------------------------------------

    fn admin(self: &Rc<Self>, a: Admin) -> Resp {
        match a {
            Admin::Stats => Resp::Stats(Box::new(self.stats())),
            Admin::ClientList { ids, me } => {
                let clients = self.clients.borrow();
                let mut list: Vec<&Rc<ClientInfo>> =
                    clients.values().filter(|c| ids.is_empty() || ids.contains(&c.id)).collect();
                list.sort_by_key(|c| c.id);
                let _ = me;
                Resp::Lines(list.iter().map(|c| c.line()).collect())
            }
            Admin::ClientKill(f) => {
                let victims: Vec<Rc<ClientInfo>> =
                    self.clients.borrow().values().filter(|c| c.matches(&f)).cloned().collect();
                for c in &victims {
                    c.kill();
                }
                Resp::Count(victims.len() as u64)
            }
            Admin::ConfigSet(pairs) => {
                let mut cfg = self.cfg.borrow_mut();
                for (k, v) in pairs {
                    // Validated by the caller on its own shard first.
                    let _ = cfg.set(&k, &v);
                }
                Resp::Done
            }
            Admin::ResetStat => {
                let c = &self.counters;
                for cell in
                    [&c.commands_processed, &c.connections_received, &c.net_input, &c.net_output, &c.rejected]
                {
                    cell.set(0);
                }
                self.ks.borrow_mut().reset_stats();
                Resp::Done
            }
            Admin::Scan { db, cursor, count, pattern, typ } => {
                let now = now_ms();
                let mut keys = Vec::new();
                let next = self.ks.borrow_mut().db(db as usize).scan(cursor, count, now, |k, v| {
                    if typ.as_ref().is_some_and(|t| !t.eq_ignore_ascii_case(v.type_name().as_bytes())) {
                        return;
                    }
                    if pattern.as_ref().is_some_and(|p| !crate::util::glob_match(p, k, false)) {
                        return;
                    }
                    keys.push(Bytes::copy_from_slice(k));
                });
                Resp::Scan(next, keys)
            }
            Admin::RandomKey { db } => {
                let now = now_ms();
                let mut rnd = || self.random();
                Resp::Key(self.ks.borrow_mut().db(db as usize).random_key(now, &mut rnd))
            }
        }
    }

    pub fn stats(&self) -> ShardStats {
        let ks = self.ks.borrow();
        let kstats = ks.totals();
        let c = &self.counters;
        ShardStats {
            keys: ks.dbs.iter().map(|d| (d.len(), d.volatile_len())).collect(),
            clients: self.clients.borrow().len(),
            blocked: self.blocked_count(),
            connections_received: c.connections_received.get(),
            commands_processed: c.commands_processed.get(),
            net_input: c.net_input.get(),
            net_output: c.net_output.get(),
            rejected: c.rejected.get(),
            expired: kstats.expired,
            hits: kstats.hits,
            misses: kstats.misses,
            dirty: c.dirty.get(),
            allocated: crate::alloc::thread_allocated(),
            naps: self.readiness.naps(),
        }
    }

    /// One active expiry pass over all databases, bounded in time like
    /// Redis's cycle: repeat on a db while over a quarter of samples were stale.
    pub fn active_expire(&self) {
        let start = std::time::Instant::now();
        let now = now_ms();
        let mut ks = self.ks.borrow_mut();
        let mut rnd = || self.random();
        for db in ks.dbs.iter_mut() {
            loop {
                let (sampled, expired) = db.expire_cycle(now, 20, &mut rnd);
                if sampled == 0 || expired * 4 < sampled || start.elapsed().as_micros() > 1000 {
                    break;
                }
            }
        }
    }
}

/// What running a command produced.
pub(super) struct Ran {
    pub reply: Reply,
    pub block: Option<crate::commands::Block>,
    pub seq: Option<u64>,
    /// With `Emit::Collect`: the effects to replicate.
    pub effects: Vec<Vec<Bytes>>,
}
