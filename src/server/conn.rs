//! One client connection: read, parse every complete request, dispatch, and
//! write all replies of the batch with one write.
//!
//! Dispatch per request: connection commands run here; a command whose keys
//! all live on this shard runs inline; one whose keys live on one other shard
//! goes into that shard's outbox, sent as one `Req::Batch` per shard per read
//! batch; a command spanning shards, or touching every shard, first flushes
//! the outboxes (so it observes this client's earlier writes) and then runs
//! to completion. Replies keep request order.
//!
//! The common case takes a short way (`run_here`): PING, or a command whose
//! keys are all on this shard while no multi-shard operation holds keys
//! here, runs synchronously on arguments parsed into one vector the
//! connection reuses, and its reply is encoded into the output at once
//! when no earlier reply of the batch is still awaited. Everything else
//! goes through the async `dispatch`. Shorter still, GET and SET without
//! options run on their arguments where they lie in the read buffer,
//! before any vector is filled, when nothing needs the command. Both short
//! ways are in `conn/fast.rs`.
//!
//! Within one pipeline, commands for different shards run concurrently: each
//! key sees this client's commands in order, but another client may observe
//! a write to a key on shard B before an earlier-sent write to shard A
//! completes. Commands that need a cross-key view (DBSIZE, KEYS, ...) flush
//! first, so this client itself always sees its own writes in order.
//!
//! Split commands spanning shards (MSET, MGET, DEL, ...) that follow each
//! other in a pipeline run concurrently too, each atomic under its own key
//! locks, as long as no two of them share a key; the next command of any
//! other kind, or one sharing a key, waits for the group. A pipeline of
//! cross-shard MSETs thus costs about one round trip, not one per command.
//!
//! In a large database, the keys of the requests just read are looked up
//! ahead of running them (`prewarm`), so that their cache misses overlap.
//! Transactions (EXEC, WATCH) are in `conn/tx.rs`.

mod fast;
mod tx;

use super::admin;
use super::shard::{ClientInfo, Handled, Shard};
use crate::commands::{CmdError, flags};
use crate::commands::{ConnCmd, Exec, Merge, Span, lookup, unknown_command};
use crate::mesh::{Cmd, Req, Resp};
use crate::protocol::{Limits, Reply, encode, parse_request_into, scan_requests, simple_request};
use crate::route::{Owner, shard_of};
use bytes::{Buf, Bytes, BytesMut};
use futures_lite::AsyncWriteExt;
use glommio::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;

const READ_CHUNK: usize = 16 * 1024;
/// The most one read asks for: a client streaming large requests gets
/// fewer reads, and a request split over reads is moved to the buffer's
/// front fewer times (16 KiB reads of 16 KiB SETs moved nearly every
/// byte once more and cost 1.6x Redis's CPU; with 64 KiB reads, 0.84x).
const MAX_READ: usize = 256 * 1024;

/// Requests looked ahead at once: their lines fit the L1 cache together.
pub(super) const PREWARM_MAX: usize = 64;

/// Per-connection state that commands may change.
pub struct Conn {
    pub shard: Rc<Shard>,
    pub info: Rc<ClientInfo>,
    pub db: u8,
    pub resp3: bool,
    pub authed: bool,
    /// Set by QUIT or a protocol error: close after writing replies.
    pub close: bool,
    /// What a replica announced with REPLCONF before PSYNC.
    pub repl_port: u16,
    pub capa_eof: bool,
    /// PSYNC/SYNC: hand the socket to the replication core once the
    /// replies before it are written.
    handoff: Option<Option<(String, i64)>>,
    /// Commands queued after MULTI, and whether one was refused (EXECABORT).
    pub(super) multi: Option<Vec<Vec<Bytes>>>,
    pub(super) multi_err: bool,
    /// Keys under WATCH (`watch.rs` keeps them on their shards).
    watched: Vec<(u8, Bytes)>,
    /// The last command name looked up, as sent (when all lowercase or
    /// all capitals), and its entry: pipelines mostly repeat one command,
    /// and comparing a few bytes is cheaper than lowercasing and hashing
    /// the name again. The parser takes this name without a reference to
    /// the read buffer.
    last_name: &'static [u8],
    last_spec: Option<&'static crate::commands::CommandSpec>,
}

/// Replies of one read batch, some still awaited from other shards.
struct Pipeline {
    replies: Vec<(Option<Reply>, bool)>,
    /// Slots that send no reply (PSYNC: the core answers).
    skip: Vec<usize>,
    outbox: Vec<(Vec<Cmd>, Vec<usize>)>,
    /// Split multi-shard commands to run together at the next flush, with
    /// their reply slots, and the locks of the keys they touch (pairwise
    /// disjoint; two keys with one lock hash only separate two commands).
    splits: Vec<(usize, Cmd)>,
    /// Per key of `splits`, in order: its shard and its lock.
    split_routes: Vec<super::multi::Route>,
    split_keys: std::collections::HashSet<super::shard::LockKey, super::locks::KeyHasher>,
    queued: usize,
}

impl Pipeline {
    fn new(nshards: usize, cap: usize) -> Self {
        Pipeline {
            replies: Vec::with_capacity(cap),
            skip: Vec::new(),
            outbox: (0..nshards).map(|_| (Vec::new(), Vec::new())).collect(),
            splits: Vec::new(),
            split_routes: Vec::new(),
            split_keys: Default::default(),
            queued: 0,
        }
    }

    /// Adds `cmd` to the group of concurrent split commands, or hands it
    /// back when it shares a key with one already there. Its keys are
    /// routed and hashed here, once, for the split and the locks.
    fn add_split(&mut self, slot: usize, cmd: Cmd, nshards: usize) -> Result<(), Cmd> {
        let start = self.split_routes.len();
        super::multi::route_keys(&cmd, nshards, &mut self.split_routes);
        // A lone split command (the common case outside pipelines) needs
        // no key set; it is built when a second one joins.
        if !self.splits.is_empty() {
            if self.split_keys.is_empty() {
                self.split_keys.extend(self.split_routes[..start].iter().map(|r| r.1));
            }
            let new = &self.split_routes[start..];
            if new.iter().any(|r| self.split_keys.contains(&r.1)) {
                self.split_routes.truncate(start);
                return Err(cmd);
            }
            self.split_keys.extend(new.iter().map(|r| r.1));
        }
        self.splits.push((slot, cmd));
        self.queued += 1;
        Ok(())
    }
}

pub async fn serve(shard: Rc<Shard>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let id = shard.new_client_id();
    let now = std::time::Instant::now();
    let info = Rc::new(ClientInfo {
        id,
        addr: stream.peer_addr().map(|a| a.to_string()).unwrap_or_default(),
        laddr: stream.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        fd: stream.as_raw_fd(),
        created: now,
        last_active: std::cell::Cell::new(crate::keyspace::now_ms()),
        name: Default::default(),
        lib_name: Default::default(),
        lib_ver: Default::default(),
        db: Default::default(),
        resp: std::cell::Cell::new(2),
        last_cmd: std::cell::Cell::new("NULL"),
        last_sub: Default::default(),
        killed: Default::default(),
    });
    shard.clients.borrow_mut().insert(id, info.clone());
    let c = &shard.counters;
    c.connections_received.set(c.connections_received.get() + 1);
    let authed = shard.cfg.borrow().requirepass.is_none();
    let mut conn = Conn {
        shard: shard.clone(),
        info,
        db: 0,
        resp3: false,
        authed,
        close: false,
        repl_port: 0,
        capa_eof: false,
        handoff: None,
        multi: None,
        multi_err: false,
        watched: Vec::new(),
        last_name: b"",
        last_spec: None,
    };
    if let Err(e) = conn.run(stream).await {
        tracing::debug!("client {id}: {e}");
    }
    conn.unwatch();
    shard.clients.borrow_mut().remove(&id);
}

/// The socket and its read buffer. A blocked command keeps reading, so a
/// disconnect cancels it and pipelined requests are kept for later.
pub struct Io {
    /// Declared before `stream`: leaves the epoll set before the close.
    reg: super::readiness::Registration,
    stream: TcpStream,
    rbuf: BytesMut,
    /// Room asked of the next read: doubles (to `MAX_READ`) while reads
    /// fill all they are given, halves (to `READ_CHUNK`) when one comes
    /// back well short, so a light connection keeps a small buffer.
    want: usize,
}

impl Io {
    /// Reads once into the buffer; false on end of stream.
    async fn fill(&mut self, shard: &Shard) -> std::io::Result<bool> {
        // Straight into the buffer's spare room: the partial request left
        // at its end moves to the front when nothing else refers to the
        // buffer any more.
        if self.rbuf.capacity() - self.rbuf.len() < self.want {
            self.rbuf.reserve(self.want);
        }
        let room = self.rbuf.capacity() - self.rbuf.len();
        let n = self.reg.read(self.rbuf.spare_capacity_mut()).await?;
        // SAFETY: the socket wrote these `n` bytes of the spare capacity.
        unsafe { self.rbuf.set_len(self.rbuf.len() + n) };
        if n == room {
            self.want = (self.want * 2).min(MAX_READ);
        } else if n < self.want / 4 {
            self.want = (self.want / 2).max(READ_CHUNK);
        }
        let c = &shard.counters;
        c.net_input.set(c.net_input.get() + n as u64);
        Ok(n > 0)
    }
}

/// How a parked client's wait ended.
enum WaitEnd {
    Woken(Option<Reply>),
    TimedOut,
    Disconnected,
}

impl Conn {
    async fn run(&mut self, stream: TcpStream) -> std::io::Result<()> {
        let reg = self.shard.readiness.register(stream.as_raw_fd())?;
        let mut io = Io { reg, stream, rbuf: BytesMut::with_capacity(READ_CHUNK), want: READ_CHUNK };
        let mut out = BytesMut::with_capacity(READ_CHUNK);
        // Reused from request to request and batch to batch: no allocation
        // per request for the argument vector or the pipeline's vectors.
        let mut argv = Vec::new();
        let mut pipe = Pipeline::new(self.shard.nshards, 16);
        loop {
            let limits = Limits { max_bulk: self.shard.cfg.borrow().proto_max_bulk_len, ..Limits::default() };
            let mut perr = None;
            let mut started = false;
            self.prewarm(&io.rbuf);
            let mut unwarmed = PREWARM_MAX;
            loop {
                // The plain forms of a few commands first try the fast path (`fast.rs`).
                let fast = match simple_request(&io.rbuf, limits.max_bulk) {
                    Some(req) => {
                        if !started {
                            self.begin_batch();
                            started = true;
                        }
                        self.fast_path(&io.rbuf, req, &mut out, &mut pipe).then_some(req.len)
                    }
                    None => None,
                };
                if let Some(len) = fast {
                    io.rbuf.advance(len);
                } else {
                    match parse_request_into(&mut io.rbuf, &limits, self.last_name, &mut argv) {
                        Ok(true) if argv.is_empty() => continue,
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            perr = Some(e);
                            break;
                        }
                    }
                    if !started {
                        self.begin_batch();
                        started = true;
                    }
                    // The common case stays out of the async dispatch.
                    let reply = match self.run_here(&mut argv, &pipe) {
                        Some(r) => Some(r),
                        None => self.dispatch(&mut io, std::mem::take(&mut argv), &mut pipe).await,
                    };
                    self.answer(reply, &mut out, &mut pipe);
                    argv.clear();
                    if self.close {
                        break;
                    }
                }
                // A long pipeline: look the next stretch up too.
                unwarmed -= 1;
                if unwarmed == 0 {
                    unwarmed = PREWARM_MAX;
                    self.prewarm(&io.rbuf);
                }
            }
            if started {
                self.end_batch(&mut out, &mut pipe).await;
            }
            if let Some(e) = perr {
                tracing::debug!("client {}: {e}", self.info.id);
                encode(&mut out, &Reply::error(e.to_string()), self.resp3);
                self.close = true;
            }
            if !out.is_empty() {
                io.stream.write_all(&out).await?;
                let c = &self.shard.counters;
                c.net_output.set(c.net_output.get() + out.len() as u64);
                out.clear();
            }
            self.shard.poll_mesh();
            if let Some(psync) = self.handoff.take() {
                self.hand_off(&mut io, psync);
                return Ok(());
            }
            if self.close {
                return Ok(());
            }
            // Give back memory a huge request, or a stream of large reads
            // that has since calmed down, left behind.
            if io.rbuf.is_empty()
                && (io.rbuf.capacity() > 4 * 1024 * 1024
                    || (io.want == READ_CHUNK && io.rbuf.capacity() > 4 * READ_CHUNK))
            {
                io.rbuf = BytesMut::with_capacity(READ_CHUNK);
            }
            if !io.fill(&self.shard).await? || self.info.killed.get() {
                return Ok(());
            }
        }
    }

    /// Gives the socket (a dup of it) and unread bytes to the replication
    /// core, which serves this replica from now on.
    fn hand_off(&self, io: &mut Io, psync: Option<(String, i64)>) {
        // SAFETY: dup of the socket we own; the core owns the copy.
        let fd = unsafe { libc::dup(io.stream.as_raw_fd()) };
        if fd < 0 {
            return;
        }
        let attach = crate::mesh::Attach {
            fd,
            addr: self.info.addr.clone(),
            listening_port: self.repl_port,
            capa_eof: self.capa_eof,
            psync,
            leftover: io.rbuf.split().freeze(),
        };
        self.shard.peer.notify(self.shard.core, Req::AttachReplica(Box::new(attach)));
    }

    /// Waits for a `Wake` to this client, up to `deadline`, while watching
    /// the socket for a disconnect.
    async fn wait_wake(
        &self,
        io: &mut Io,
        rx: &mut crate::mesh::Receiver<Option<Reply>>,
        deadline: Option<std::time::Instant>,
    ) -> WaitEnd {
        use futures_lite::future::or;
        enum Event {
            End(WaitEnd),
            /// More requests arrived: keep them for after this command.
            Data,
        }
        loop {
            let rx = &mut *rx;
            let woken = async { Event::End(WaitEnd::Woken(rx.await.flatten())) };
            let timer = async {
                match deadline {
                    Some(d) => {
                        glommio::timer::sleep(d.saturating_duration_since(std::time::Instant::now())).await;
                        Event::End(WaitEnd::TimedOut)
                    }
                    None => std::future::pending().await,
                }
            };
            let shard = &self.shard;
            let killed = &self.info.killed;
            let read = async {
                match io.fill(shard).await {
                    Ok(true) if !killed.get() => Event::Data,
                    _ => Event::End(WaitEnd::Disconnected),
                }
            };
            match or(woken, or(timer, read)).await {
                Event::Data => continue,
                Event::End(end) => return end,
            }
        }
    }

    /// A blocking command: served now, or parked until a key is ready, the
    /// timeout passes or the client goes away.
    async fn blocking(&mut self, io: &mut Io, cmd: Cmd, owner: Option<usize>) -> Reply {
        let shard = self.shard.clone();
        let id = self.info.id;
        let Some(owner) = owner else {
            return self.blocking_multi(io, cmd).await;
        };
        let (tx, mut rx) = crate::mesh::oneshot();
        shard.parked.borrow_mut().insert(id, tx);
        let timeout = match shard.call(owner, Req::Block { id, origin: shard.id, cmd }).await {
            Resp::Parked { timeout } => timeout,
            other => {
                shard.parked.borrow_mut().remove(&id);
                return other.into_reply();
            }
        };
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        match self.wait_wake(io, &mut rx, deadline).await {
            WaitEnd::Woken(Some(r)) => r,
            end => {
                if matches!(end, WaitEnd::Disconnected) {
                    self.close = true;
                }
                // Redis answers every blocking command's timeout with a
                // null array (the handler's own nil is for MULTI).
                let r = match shard.call(owner, Req::Unblock { id }).await {
                    Resp::Reply(_) => Reply::NilArray,
                    // Served meanwhile: the reply is on its way.
                    _ => rx.await.flatten().unwrap_or(Reply::NilArray),
                };
                shard.parked.borrow_mut().remove(&id);
                r
            }
        }
    }

    /// A blocking command whose keys span shards: try under locks; if it
    /// blocks, watch its keys and retry when one is ready.
    async fn blocking_multi(&mut self, io: &mut Io, cmd: Cmd) -> Reply {
        let shard = self.shard.clone();
        let id = self.info.id;
        let mut deadline = None;
        let mut first = true;
        loop {
            let (tx, mut rx) = crate::mesh::oneshot();
            shard.parked.borrow_mut().insert(id, tx);
            let (reply, block) =
                super::multi::gather(&shard, cmd.db, cmd.spec, cmd.argv.clone(), Some(id)).await;
            let Some(block) = block else {
                shard.parked.borrow_mut().remove(&id);
                return reply;
            };
            if first {
                deadline = block.timeout.map(|t| std::time::Instant::now() + t);
                first = false;
            }
            let end = self.wait_wake(io, &mut rx, deadline).await;
            shard.parked.borrow_mut().remove(&id);
            let mut owners: Vec<usize> = block.keys.iter().map(|k| shard_of(k, shard.nshards)).collect();
            owners.sort_unstable();
            owners.dedup();
            for s in owners {
                shard.call(s, Req::Unblock { id }).await;
            }
            match end {
                WaitEnd::Woken(_) => continue,
                WaitEnd::TimedOut => return Reply::NilArray,
                WaitEnd::Disconnected => {
                    self.close = true;
                    return reply;
                }
            }
        }
    }

    fn begin_batch(&self) {
        let now = crate::keyspace::now_ms();
        self.shard.clock.set(now);
        self.info.last_active.set(now);
    }

    /// Takes a request's reply: encoded at once when every earlier reply of
    /// the batch is written, else kept in order for `end_batch`.
    fn answer(&self, reply: Option<Reply>, out: &mut BytesMut, p: &mut Pipeline) {
        match reply {
            // (`skip` marks a reply not to send: PSYNC's, answered by the core.)
            Some(r) if p.replies.is_empty() && p.skip.is_empty() => encode(out, &r, self.resp3),
            r => p.replies.push((r, self.resp3)),
        }
    }

    /// Waits for the replies still awaited from other shards and encodes
    /// them in request order.
    async fn end_batch(&mut self, out: &mut BytesMut, p: &mut Pipeline) {
        self.flush(p).await;
        for (i, (r, resp3)) in p.replies.iter().enumerate() {
            if !p.skip.contains(&i) {
                encode(out, r.as_ref().unwrap_or(&Reply::Nil), *resp3);
            }
        }
        // Emptied for the next batch (the vectors keep their capacity).
        p.replies.clear();
        p.skip.clear();
    }

    fn lookup_cached(&mut self, name: &[u8]) -> Option<&'static crate::commands::CommandSpec> {
        if self.last_spec.is_some() && name == self.last_name {
            return self.last_spec;
        }
        let spec = lookup(name)?;
        if let Some(spelling) = crate::commands::static_spelling(spec, name) {
            self.last_name = spelling;
            self.last_spec = Some(spec);
        }
        Some(spec)
    }

    /// Looks up, ahead of running them, the first key of each of the
    /// pipelined requests just read, when the database is large. Each
    /// lookup in a table of millions of keys is a chain of dependent cache
    /// and TLB misses; run one request after another, a batch pays them in
    /// series (the parsing, running and encoding between two lookups keeps
    /// the CPU from overlapping them), while lookups issued back to back
    /// overlap (`cargo bench --bench keyspace -- large`: 9.2 vs 3.6 µs per
    /// 16 GETs over 2M keys). Only keys of this shard, and only with two
    /// requests or more in the buffer.
    fn prewarm(&mut self, buf: &[u8]) {
        let shard = self.shard.clone();
        let ks = shard.ks.borrow();
        let Some(db) = ks.dbs.get(self.db as usize) else { return };
        if !db.is_large() || buf.len() < 16 {
            return;
        }
        let mut keys: [&[u8]; PREWARM_MAX] = [&[]; PREWARM_MAX];
        let mut n = 0;
        scan_requests(buf, PREWARM_MAX, |name, key| {
            let Some(key) = key else { return };
            let Some(spec) = self.lookup_cached(name) else { return };
            // A key repeated back to back (one hot key) is looked up once.
            if spec.first_key == 1
                && matches!(spec.exec, Exec::Shard(_))
                && (n == 0 || keys[n - 1] != key)
                && (shard.nshards == 1 || shard_of(key, shard.nshards) == shard.id)
            {
                keys[n] = key;
                n += 1;
            }
        });
        if n > 1 {
            db.warm(keys[..n].iter().copied());
        }
    }

    /// Sends every outbox, then runs the split group, and fills in the
    /// replies. The outboxes go first: the split commands were queued after
    /// them, and each shard takes its messages in order.
    async fn flush(&self, p: &mut Pipeline) {
        if p.queued == 0 {
            return;
        }
        p.queued = 0;
        let mut pending = Vec::new();
        for (s, (cmds, slots)) in p.outbox.iter_mut().enumerate() {
            if !cmds.is_empty() {
                let h = self.shard.request(s, Req::Batch(std::mem::take(cmds))).await;
                pending.push((h, std::mem::take(slots)));
            }
        }
        if !p.splits.is_empty() {
            p.split_keys.clear();
            let (slots, cmds): (Vec<usize>, Vec<Cmd>) = std::mem::take(&mut p.splits).into_iter().unzip();
            let replies = super::multi::split(&self.shard, cmds, &p.split_routes).await;
            p.split_routes.clear();
            for (slot, r) in slots.into_iter().zip(replies) {
                p.replies[slot].0 = Some(r);
            }
            self.shard.clock.set(crate::keyspace::now_ms());
        }
        for (h, slots) in pending {
            let resp = h.get().await;
            let replies = match resp {
                crate::mesh::Resp::Replies(v) => v,
                other => vec![other.into_reply()],
            };
            for (slot, r) in slots.into_iter().zip(replies) {
                p.replies[slot].0 = Some(r);
            }
        }
    }

    async fn dispatch(&mut self, io: &mut Io, argv: Vec<Bytes>, p: &mut Pipeline) -> Option<Reply> {
        let Some(spec) = lookup(&argv[0]) else {
            self.multi_err |= self.multi.is_some();
            return Some(unknown_command(&argv));
        };
        let c = &self.shard.counters;
        c.commands_processed.set(c.commands_processed.get() + 1);
        self.info.last_cmd.set(spec.name);
        if let Exec::Conn(ConnCmd::Client | ConnCmd::Config | ConnCmd::Command | ConnCmd::Debug) = spec.exec {
            let sub = argv.get(1).map(|s| Bytes::from(s.to_ascii_lowercase()));
            *self.info.last_sub.borrow_mut() = sub;
        } else if self.info.last_sub.borrow().is_some() {
            *self.info.last_sub.borrow_mut() = None;
        }
        if !spec.arity_ok(argv.len()) {
            self.multi_err |= self.multi.is_some();
            return Some(CmdError::arity(spec.name).into());
        }
        if !self.authed && spec.flags & flags::NO_AUTH == 0 {
            return Some(Reply::error("NOAUTH Authentication required."));
        }
        if self.shard.replica.get() && spec.is_write() && self.shard.cfg.borrow().replica_read_only {
            self.multi_err |= self.multi.is_some();
            return Some(Reply::error("READONLY You can't write against a read only replica."));
        }
        if self.multi.is_some() && matches!(spec.exec, Exec::Conn(ConnCmd::Watch)) {
            return Some(Reply::error("ERR WATCH inside MULTI is not allowed"));
        }
        if let Some(queue) = self.multi.as_mut() {
            let control = matches!(
                spec.exec,
                Exec::Conn(
                    ConnCmd::ExecTx | ConnCmd::Discard | ConnCmd::Multi | ConnCmd::Quit | ConnCmd::Reset
                )
            );
            if !control {
                queue.push(argv);
                return Some(Reply::simple("QUEUED"));
            }
        }
        let db = self.db;
        match spec.exec {
            Exec::Shard(_) => {
                let n = self.shard.nshards;
                let owner = match crate::route::owner(&argv, spec.keys_in(&argv), n) {
                    Owner::None => Some(self.shard.id),
                    Owner::One(s) => Some(s),
                    Owner::Spans(_) => None,
                };
                if spec.flags & flags::BLOCKING != 0 {
                    self.flush(p).await;
                    let r = self.blocking(io, Cmd { db, spec, argv }, owner).await;
                    return Some(self.tick(r));
                }
                let Some(owner) = owner else {
                    if let Span::Split(_) = spec.span {
                        let slot = p.replies.len();
                        let Err(cmd) = p.add_split(slot, Cmd { db, spec, argv }, n) else {
                            return None;
                        };
                        // Shares a key with the group: after it, alone.
                        self.flush(p).await;
                        let _ = p.add_split(slot, cmd, n);
                        return None;
                    }
                    self.flush(p).await;
                    return Some(self.tick(super::multi::run(&self.shard, db, spec, argv).await));
                };
                if !p.splits.is_empty() {
                    self.flush(p).await;
                }
                let cmd = Cmd { db, spec, argv };
                if owner == self.shard.id {
                    return Some(match self.shard.exec_local(cmd) {
                        Handled::Now(r) => r.into_reply(),
                        later => later.get().await.into_reply(),
                    });
                }
                let slot = p.replies.len();
                p.outbox[owner].0.push(cmd);
                p.outbox[owner].1.push(slot);
                p.queued += 1;
                None
            }
            Exec::AllShards(_, merge) => {
                self.flush(p).await;
                Some(self.tick(self.fanout(db, spec, argv, merge).await))
            }
            Exec::Conn(ConnCmd::Psync) => {
                self.flush(p).await;
                let psync = (argv.len() >= 3).then(|| {
                    let id = String::from_utf8_lossy(&argv[1]).into_owned();
                    (id, crate::util::parse_i64(&argv[2]).unwrap_or(-1))
                });
                self.handoff = Some(psync);
                self.close = true;
                // The core answers (+FULLRESYNC / +CONTINUE) on the socket.
                p.skip.push(p.replies.len());
                Some(Reply::Nil)
            }
            Exec::Conn(ConnCmd::Multi) => Some(if self.multi.is_some() {
                Reply::error("ERR MULTI calls can not be nested")
            } else {
                self.multi = Some(Vec::new());
                self.multi_err = false;
                Reply::Ok
            }),
            Exec::Conn(ConnCmd::Discard) => Some(match self.multi.take() {
                Some(_) => {
                    self.unwatch();
                    Reply::Ok
                }
                None => Reply::error("ERR DISCARD without MULTI"),
            }),
            Exec::Conn(ConnCmd::Watch) => {
                self.flush(p).await;
                Some(self.watch(db, &argv[1..]).await)
            }
            Exec::Conn(ConnCmd::Unwatch) => {
                self.unwatch();
                Some(Reply::Ok)
            }
            Exec::Conn(ConnCmd::ExecTx) => {
                let Some(queued) = self.multi.take() else {
                    return Some(Reply::error("ERR EXEC without MULTI"));
                };
                if std::mem::take(&mut self.multi_err) {
                    self.unwatch();
                    return Some(Reply::error("EXECABORT Transaction discarded because of previous errors."));
                }
                self.flush(p).await;
                let watched = std::mem::take(&mut self.watched);
                let r = Box::pin(self.exec_tx(io, queued, &watched)).await;
                self.watched = watched;
                self.unwatch();
                Some(self.tick(r))
            }
            Exec::Conn(cc) => {
                if !matches!(cc, ConnCmd::Ping | ConnCmd::Echo | ConnCmd::Select | ConnCmd::Time) {
                    self.flush(p).await;
                }
                let r = admin::run(self, cc, argv).await;
                Some(self.tick(r))
            }
        }
    }

    /// Refreshes the shard's cached clock after a command that may have
    /// waited, so the commands after it in the pipeline see the time move.
    fn tick(&self, r: Reply) -> Reply {
        self.shard.clock.set(crate::keyspace::now_ms());
        r
    }

    /// Runs a command on every shard and merges the replies.
    pub async fn fanout(
        &self,
        db: u8,
        spec: &'static crate::commands::CommandSpec,
        argv: Vec<Bytes>,
        merge: Merge,
    ) -> Reply {
        let mut pending = Vec::with_capacity(self.shard.nshards);
        for s in 0..self.shard.nshards {
            let cmd = Cmd { db, spec, argv: argv.clone() };
            pending.push(self.shard.request(s, Req::Batch(vec![cmd])).await);
        }
        let mut replies = Vec::with_capacity(pending.len());
        for h in pending {
            replies.push(h.get().await.into_reply());
        }
        super::multi::merge_replies(merge, replies, &[], 0)
    }
}
