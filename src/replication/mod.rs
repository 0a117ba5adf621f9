//! The replication core: one more executor, never a shard, peer `shards` of
//! the channel mesh. It owns the ordered write stream, the backlog, the
//! links to replicas and the link to a master.
//!
//! Master side: shards stamp each write's effect with a dense global
//! sequence number and send it here; a small reorder buffer emits exactly
//! `next_seq` next, adding SELECT when the database changes, so the stream
//! is one total order consistent with real time. Every emitted byte counts
//! in `master_repl_offset`, goes to the backlog and to each replica's
//! bounded output buffer (`master.rs`).
//!
//! Replica side (`replica.rs`): the link to the master runs here; the stream
//! is applied through the shards in stream order and forwarded verbatim to
//! this server's own replicas.

mod backlog;
mod master;
mod replica;

use crate::config::Config;
use crate::mesh::{Msg, Peer, Req, Resp};
use crate::protocol::Reply;
use backlog::Backlog;
use bytes::Bytes;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use master::ReplicaLink;

/// Replication state, owned by the core's thread.
pub struct State {
    pub replid: String,
    pub replid2: String,
    pub second_offset: i64,
    /// master_repl_offset: every byte of the stream so far.
    pub offset: u64,
    /// Created with the first replica, as in Redis.
    pub backlog: Option<Backlog>,
    /// Shards stamp effects (set at a cut).
    pub streaming: bool,
    pub next_seq: u64,
    reorder: BTreeMap<u64, (u8, Bytes)>,
    /// Database the stream last SELECTed; None forces a SELECT.
    stream_db: Option<u8>,
    pub replicas: Vec<Rc<ReplicaLink>>,
    snap: Option<master::SnapState>,
    snap_queue: Vec<Rc<ReplicaLink>>,
    next_snap_id: u64,
    /// Replicas waiting until every effect before `seq` was emitted.
    sync_points: Vec<(u64, Rc<ReplicaLink>)>,
    /// Some while this server is a replica.
    pub master: Option<replica::MasterState>,
}

pub struct Core {
    pub peer: Rc<Peer>,
    pub nshards: usize,
    pub seq: Arc<AtomicU64>,
    pub cfg: RefCell<Config>,
    pub st: RefCell<State>,
    next_link_id: Cell<u64>,
    /// INFO stats: full syncs served, partial resyncs accepted / refused.
    pub sync_full: Cell<u64>,
    pub sync_partial_ok: Cell<u64>,
    pub sync_partial_err: Cell<u64>,
    /// The replica-side apply loop is between commands (see `replica.rs`).
    apply_paused: Cell<bool>,
    apply_busy: Cell<bool>,
}

/// 40 random hex characters (replication ids, EOF marks).
pub fn random_hex40() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(40);
    let mut salt = crate::keyspace::now_ms();
    while out.len() < 40 {
        let mut h = foldhash::fast::RandomState::default().build_hasher();
        h.write_u64(salt);
        h.write_u128(Instant::now().elapsed().as_nanos());
        salt = h.finish();
        let _ = write!(out, "{salt:016x}");
    }
    out.truncate(40);
    out
}

impl Core {
    pub fn new(cfg: Config, peer: Rc<Peer>, seq: Arc<AtomicU64>) -> Core {
        let nshards = cfg.shards;
        Core {
            peer,
            nshards,
            seq,
            cfg: RefCell::new(cfg),
            st: RefCell::new(State {
                replid: random_hex40(),
                replid2: "0".repeat(40),
                second_offset: -1,
                offset: 0,
                backlog: None,
                streaming: false,
                next_seq: 0,
                reorder: BTreeMap::new(),
                stream_db: None,
                replicas: Vec::new(),
                snap: None,
                snap_queue: Vec::new(),
                next_snap_id: 1,
                sync_points: Vec::new(),
                master: None,
            }),
            next_link_id: Cell::new(1),
            sync_full: Cell::new(0),
            sync_partial_ok: Cell::new(0),
            sync_partial_err: Cell::new(0),
            apply_paused: Cell::new(false),
            apply_busy: Cell::new(false),
        }
    }

    /// Appends bytes to the stream: offset, backlog, every replica.
    pub fn feed(&self, st: &mut State, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        st.offset += bytes.len() as u64;
        if let Some(b) = st.backlog.as_mut() {
            b.append(bytes);
        }
        for r in &st.replicas {
            r.feed(bytes);
        }
    }

    /// A shard's effect: reorder, then emit everything now in sequence.
    fn on_effect(self: &Rc<Self>, seq: u64, db: u8, payload: Bytes) {
        let mut st = self.st.borrow_mut();
        if !st.streaming || seq < st.next_seq {
            return;
        }
        st.reorder.insert(seq, (db, payload));
        let mut advanced = false;
        while let Some(next) = {
            let n = st.next_seq;
            st.reorder.remove(&n)
        } {
            st.next_seq += 1;
            advanced = true;
            let (db, payload) = next;
            if payload.is_empty() {
                continue;
            }
            if st.stream_db != Some(db) {
                let select = select_command(db);
                self.feed(&mut st, &select);
                st.stream_db = Some(db);
            }
            self.feed(&mut st, &payload);
        }
        drop(st);
        if advanced {
            self.check_sync_points();
        }
    }

    /// Stops every shard at a barrier, then resumes them with `go`. Returns
    /// the sequence number at the cut: effects below it happened before.
    pub async fn cut(&self, streaming: bool, snapshot: Option<u64>) -> u64 {
        let (ack_tx, ack_rx) = crossbeam_channel::unbounded();
        let mut gos = Vec::with_capacity(self.nshards);
        for s in 0..self.nshards {
            let (go_tx, go_rx) = crossbeam_channel::bounded(1);
            gos.push(go_tx);
            self.peer.notify(s, Req::Cut { ack: ack_tx.clone(), go: go_rx });
        }
        // Poll rather than block: a Cut still queued for a full channel is
        // sent by a task on this very thread.
        let mut acks = 0;
        while acks < self.nshards {
            match ack_rx.try_recv() {
                Ok(()) => acks += 1,
                Err(_) => glommio::timer::sleep(Duration::from_micros(50)).await,
            }
        }
        let s = self.seq.load(Ordering::SeqCst);
        {
            let mut st = self.st.borrow_mut();
            if streaming && !st.streaming {
                st.next_seq = s;
                st.reorder.clear();
            }
            st.streaming = streaming;
            if streaming && st.backlog.is_none() {
                let size = self.cfg.borrow().repl_backlog_size;
                st.backlog = Some(Backlog::new(size, st.offset));
            }
        }
        for go in gos {
            let _ = go.send(crate::mesh::CutGo { streaming, snapshot });
        }
        s
    }

    /// Handles one request from a shard.
    fn on_request(self: &Rc<Self>, from: usize, tag: u64, req: Req) {
        let reply = |resp: Resp| {
            if tag != crate::mesh::NO_REPLY {
                self.peer.respond(from, tag, resp);
            }
        };
        match req {
            Req::Effect { seq, db, payload } => self.on_effect(seq, db, payload),
            Req::RdbChunk { id, db, bytes } => self.on_rdb_chunk(id, db, bytes),
            Req::RdbDone { id } => self.on_rdb_done(id),
            Req::AttachReplica(a) => self.attach(*a),
            Req::ReplInfo => reply(Resp::Text(self.info_text())),
            Req::ReplStats => reply(Resp::Text(format!(
                "sync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\n",
                self.sync_full.get(),
                self.sync_partial_ok.get(),
                self.sync_partial_err.get()
            ))),
            Req::KillReplicas => {
                let st = self.st.borrow();
                let n = st.replicas.iter().filter(|r| !r.is_closed()).count();
                for r in &st.replicas {
                    r.close();
                }
                reply(Resp::Count(n as u64));
            }
            Req::Role => reply(Resp::Reply(self.role_reply())),
            Req::ReplicaOf(target) => {
                let me = self.clone();
                glommio::spawn_local(async move {
                    let r = me.replicaof(target).await;
                    if tag != crate::mesh::NO_REPLY {
                        me.peer.respond(from, tag, Resp::Reply(r));
                    }
                })
                .detach();
            }
            Req::Wait { replicas, timeout_ms, seq } => {
                let me = self.clone();
                glommio::spawn_local(async move {
                    let n = me.wait(replicas, timeout_ms, seq).await;
                    me.peer.respond(from, tag, Resp::Reply(Reply::Int(n as i64)));
                })
                .detach();
            }
            Req::Admin(crate::mesh::Admin::ConfigSet(pairs)) => {
                let mut cfg = self.cfg.borrow_mut();
                for (k, v) in pairs {
                    let _ = cfg.set(&k, &v);
                }
                let size = cfg.repl_backlog_size;
                drop(cfg);
                if let Some(b) = self.st.borrow_mut().backlog.as_mut()
                    && b.size() != size
                {
                    b.resize(size);
                }
                reply(Resp::Done);
            }
            _ => reply(Resp::Reply(Reply::error("ERR internal: not a replication request"))),
        }
    }

    /// INFO replication, with Redis's fields.
    pub fn info_text(&self) -> String {
        let st = self.st.borrow();
        let mut s = String::new();
        match &st.master {
            None => s.push_str("role:master\r\n"),
            Some(m) => {
                let _ = write!(
                    s,
                    "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\nslave_priority:100\r\nslave_read_only:{}\r\nreplica_announced:1\r\n",
                    m.host,
                    m.port,
                    if m.link_up.get() { "up" } else { "down" },
                    m.last_io.get().map_or(-1, |t| t.elapsed().as_secs() as i64),
                    m.syncing.get() as u8,
                    st.offset,
                    st.offset,
                    self.cfg.borrow().replica_read_only as u8,
                );
                if !m.link_up.get() {
                    let _ = write!(
                        s,
                        "master_link_down_since_seconds:{}\r\n",
                        m.down_since.get().elapsed().as_secs()
                    );
                }
            }
        }
        let online: Vec<&Rc<ReplicaLink>> = st.replicas.iter().collect();
        let _ = write!(s, "connected_slaves:{}\r\n", online.len());
        for (i, r) in online.iter().enumerate() {
            let _ = write!(
                s,
                "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
                r.ip,
                r.listening_port,
                r.state_name(),
                r.ack_offset.get(),
                r.last_ack.get().elapsed().as_secs()
            );
        }
        let (active, size, first, hist) = match &st.backlog {
            Some(b) => (1, b.size(), b.first_offset(), b.histlen()),
            None => (0, self.cfg.borrow().repl_backlog_size, 0, 0),
        };
        let _ = write!(
            s,
            "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{active}\r\nrepl_backlog_size:{size}\r\nrepl_backlog_first_byte_offset:{first}\r\nrepl_backlog_histlen:{hist}\r\n",
            st.replid, st.replid2, st.offset, st.second_offset,
        );
        s
    }

    /// ROLE
    fn role_reply(&self) -> Reply {
        let st = self.st.borrow();
        match &st.master {
            None => Reply::Array(vec![
                Reply::bulk("master"),
                Reply::Int(st.offset as i64),
                Reply::Array(
                    st.replicas
                        .iter()
                        .filter(|r| r.is_online())
                        .map(|r| {
                            Reply::Array(vec![
                                Reply::Bulk(r.ip.clone().into()),
                                Reply::Bulk(r.listening_port.to_string().into()),
                                Reply::Bulk(r.ack_offset.get().to_string().into()),
                            ])
                        })
                        .collect(),
                ),
            ]),
            Some(m) => Reply::Array(vec![
                Reply::bulk("slave"),
                Reply::Bulk(m.host.clone().into()),
                Reply::Int(m.port as i64),
                Reply::bulk(if m.link_up.get() {
                    "connected"
                } else if m.syncing.get() {
                    "sync"
                } else {
                    "connecting"
                }),
                Reply::Int(st.offset as i64),
            ]),
        }
    }

    /// Periodic duties: PING replicas, drop silent or overflowing ones.
    async fn cron(self: Rc<Self>) {
        let mut last_ping = Instant::now();
        loop {
            glommio::timer::sleep(Duration::from_millis(100)).await;
            let (period, timeout) = {
                let c = self.cfg.borrow();
                (Duration::from_secs(c.repl_ping_replica_period), Duration::from_secs(c.repl_timeout))
            };
            let mut st = self.st.borrow_mut();
            for r in &st.replicas {
                r.check_limits(timeout);
            }
            st.replicas.retain(|r| !r.is_closed());
            if st.master.is_none()
                && last_ping.elapsed() >= period
                && st.replicas.iter().any(|r| r.is_online())
            {
                last_ping = Instant::now();
                // PING is part of the stream: it counts in the offset.
                self.feed(&mut st, b"*1\r\n$4\r\nPING\r\n");
            }
        }
    }
}

fn select_command(db: u8) -> Vec<u8> {
    let n = db.to_string();
    format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{}\r\n", n.len(), n).into_bytes()
}

/// Runs the replication core until the process exits.
pub async fn run(
    cfg: Config,
    mesh: glommio::channels::channel_mesh::MeshBuilder<Msg, glommio::channels::channel_mesh::Full>,
    dir: Arc<crate::mesh::Directory>,
    seq: Arc<AtomicU64>,
    ready: crossbeam_channel::Sender<Result<(), String>>,
) {
    let Ok((senders, mut receivers)) = mesh.join().await else {
        let _ = ready.send(Err("replication core: mesh join failed".into()));
        return;
    };
    let replicaof = cfg.replicaof.clone();
    let logical = cfg.shards;
    let core = Rc::new(Core::new(cfg, Rc::new(Peer::new(senders, logical, &dir).await), seq));
    let mut loops = Vec::new();
    for (_peer, rx) in receivers.streams() {
        let core = core.clone();
        loops.push(glommio::spawn_local(async move {
            while let Some(msg) = rx.recv().await {
                match msg {
                    Msg::Resp { tag, resp } => core.peer.complete(tag, resp),
                    Msg::Req { from, tag, req } => core.on_request(from, tag, req),
                    // Only shards' `Parts` hops send these, to shards.
                    Msg::RespThen { tag, resp, from, req } => {
                        core.peer.complete(tag, resp);
                        core.on_request(from, crate::mesh::NO_REPLY, req);
                    }
                }
            }
        }));
    }
    glommio::spawn_local(core.clone().cron()).detach();
    let _ = ready.send(Ok(()));
    if let Some((host, port)) = replicaof {
        core.replicaof(Some((host, port))).await;
    }
    for l in loops {
        l.await;
    }
}
