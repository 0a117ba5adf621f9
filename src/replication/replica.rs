//! Replica side: the link to a master (Redis or ringkv), the full sync
//! (loading its RDB into the shards), and applying its stream.
//!
//! Handshake as Redis does it: PING, AUTH (masterauth), REPLCONF
//! listening-port, REPLCONF capa eof capa psync2, then PSYNC with our
//! replid and offset + 1 (or `? -1`). The stream is applied in stream
//! order: commands for one shard are batched, and a command for another
//! shard waits until the previous batch was applied, so a client reading
//! this replica never sees a later write without an earlier one. A command
//! whose keys span shards is applied atomically by a shard's coordinator.
//! Every applied byte advances our offset and is forwarded verbatim to our
//! own replicas (chaining keeps the master's replid and offsets).
//! The link is re-established with backoff; `PSYNC <replid> <offset+1>`
//! is tried first.
//!
//! A MULTI/EXEC unit in the stream (a write with several effects, or a
//! transaction on the master) is applied as one atomic unit when EXEC
//! arrives: on its shard in one admission, or under key locks by a shard's
//! coordinator when its keys span shards. Its bytes count in our offset
//! (and go to our own replicas) only then, as Redis counts them: a link
//! lost in the middle resumes from before MULTI. A unit holding a command
//! that is not a plain keyed one (FLUSHALL, ...) is applied command by
//! command at EXEC, in order.

use super::Core;
use super::backlog::Backlog;
use crate::commands::{Exec, lookup};
use crate::mesh::{Cmd, Req, Resp};
use crate::persistence::rdb;
use crate::protocol::{Limits, Reply, parse_request};
use crate::route::shard_of;
use bytes::{Bytes, BytesMut};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;
use std::cell::Cell;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// This server's master, while it is a replica.
pub struct MasterState {
    pub host: String,
    pub port: u16,
    /// Bumped on every REPLICAOF so an old link task stops.
    pub generation: u64,
    pub link_up: Cell<bool>,
    pub syncing: Cell<bool>,
    pub last_io: Cell<Option<Instant>>,
    pub down_since: Cell<Instant>,
}

type LinkError = String;

/// The master connection with its read buffer.
struct Link {
    stream: TcpStream,
    /// A dup of the socket for ACKs written by another task.
    ack_fd: i32,
    rbuf: BytesMut,
}

impl Link {
    async fn fill(&mut self) -> Result<(), LinkError> {
        let mut chunk = vec![0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed by master".into());
        }
        self.rbuf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Reads one `\r\n`-terminated line, skipping the bare newlines a
    /// master sends as keep-alives while it prepares the RDB.
    async fn line(&mut self) -> Result<String, LinkError> {
        loop {
            while self.rbuf.first() == Some(&b'\n') {
                let _ = self.rbuf.split_to(1);
            }
            if let Some(i) = self.rbuf.iter().position(|&c| c == b'\n') {
                let line = self.rbuf.split_to(i + 1);
                return Ok(String::from_utf8_lossy(&line).trim_end().to_string());
            }
            self.fill().await?;
        }
    }

    async fn command(&mut self, argv: &[&str]) -> Result<String, LinkError> {
        let mut out = BytesMut::new();
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a.as_bytes())).collect();
        crate::protocol::encode_command(&mut out, &args);
        self.stream.write_all(&out).await.map_err(|e| e.to_string())?;
        self.line().await
    }

    async fn read_exact(&mut self, n: usize) -> Result<Bytes, LinkError> {
        while self.rbuf.len() < n {
            self.fill().await?;
        }
        Ok(self.rbuf.split_to(n).freeze())
    }

    /// The RDB payload: `$<len>\r\n<bytes>` or `$EOF:<mark>\r\n<bytes><mark>`.
    async fn rdb(&mut self) -> Result<Bytes, LinkError> {
        let head = self.line().await?;
        let Some(spec) = head.strip_prefix('$') else {
            return Err(format!("bad RDB preamble from master: {head}"));
        };
        if let Some(mark) = spec.strip_prefix("EOF:") {
            let mark = mark.as_bytes().to_vec();
            loop {
                if self.rbuf.len() >= mark.len() && self.rbuf.ends_with(&mark) {
                    let len = self.rbuf.len() - mark.len();
                    let data = self.rbuf.split_to(len).freeze();
                    self.rbuf.clear();
                    return Ok(data);
                }
                self.fill().await?;
            }
        }
        let len: usize = spec.parse().map_err(|_| format!("bad RDB length from master: {head}"))?;
        self.read_exact(len).await
    }
}

fn write_ack(fd: i32, offset: u64) {
    let off = offset.to_string();
    let msg = format!("*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n${}\r\n{}\r\n", off.len(), off);
    // SAFETY: a blocking-free send on our own dup of the master socket; a
    // short write of a tiny message on a live socket does not happen in
    // practice, and a failed one is repaired by the next ACK.
    unsafe {
        libc::send(
            fd,
            msg.as_ptr() as *const libc::c_void,
            msg.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        );
    }
}

impl Core {
    /// REPLICAOF host port | REPLICAOF NO ONE.
    pub async fn replicaof(self: &Rc<Self>, target: Option<(String, u16)>) -> Reply {
        match target {
            None => {
                let was_replica = self.st.borrow_mut().master.take().is_some();
                if !was_replica {
                    return Reply::Ok;
                }
                tracing::info!("MASTER MODE enabled (user request)");
                {
                    // Keep the old history as replid2 so our replicas can
                    // continue with PSYNC.
                    let mut st = self.st.borrow_mut();
                    st.replid2 = std::mem::replace(&mut st.replid, super::random_hex40());
                    st.second_offset = st.offset as i64 + 1;
                }
                self.drop_replicas();
                for s in 0..self.nshards {
                    self.peer.call(s, Req::SetReplica(false)).await;
                }
                self.pause_apply().await;
                self.cut(true, None).await;
                self.apply_paused.set(false);
                Reply::Ok
            }
            Some((host, port)) => {
                let generation = {
                    let mut st = self.st.borrow_mut();
                    if let Some(m) = &st.master
                        && m.host == host
                        && m.port == port
                    {
                        return Reply::simple("OK Already connected to specified master");
                    }
                    let generation = st.master.as_ref().map_or(1, |m| m.generation + 1);
                    st.master = Some(MasterState {
                        host: host.clone(),
                        port,
                        generation,
                        link_up: Cell::new(false),
                        syncing: Cell::new(false),
                        last_io: Cell::new(None),
                        down_since: Cell::new(Instant::now()),
                    });
                    generation
                };
                tracing::info!("Connecting to MASTER {host}:{port}");
                for s in 0..self.nshards {
                    self.peer.call(s, Req::SetReplica(true)).await;
                }
                if self.st.borrow().streaming {
                    self.cut(false, None).await;
                }
                self.drop_replicas();
                let me = self.clone();
                glommio::spawn_local(async move { me.link_loop(generation).await }).detach();
                Reply::Ok
            }
        }
    }

    fn current_master(&self, generation: u64) -> Option<(String, u16)> {
        let st = self.st.borrow();
        st.master.as_ref().filter(|m| m.generation == generation).map(|m| (m.host.clone(), m.port))
    }

    fn with_master(&self, f: impl FnOnce(&MasterState)) {
        if let Some(m) = &self.st.borrow().master {
            f(m);
        }
    }

    async fn link_loop(self: Rc<Self>, generation: u64) {
        let mut backoff = Duration::from_millis(100);
        while let Some((host, port)) = self.current_master(generation) {
            match self.session(generation, &host, port).await {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => tracing::warn!("Master link {host}:{port}: {e}"),
            }
            self.with_master(|m| {
                if m.link_up.replace(false) {
                    m.down_since.set(Instant::now());
                }
                m.syncing.set(false);
            });
            glommio::timer::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    async fn session(self: &Rc<Self>, generation: u64, host: &str, port: u16) -> Result<(), LinkError> {
        let addr = format!("{host}:{port}");
        let stream = TcpStream::connect_timeout(addr.as_str(), Duration::from_secs(5))
            .await
            .map_err(|e| format!("Error condition on socket for SYNC: {e}"))?;
        // On loopback, connecting to a port nobody listens on can connect
        // the socket to itself (same source and destination port), which
        // would also keep a restarting master from binding its port.
        if stream.local_addr().ok() == stream.peer_addr().ok() {
            return Err("connected to itself: master is not listening".into());
        }
        let _ = stream.set_nodelay(true);
        // SAFETY: dup of a socket we own, closed when the session ends.
        let ack_fd = unsafe { libc::dup(stream.as_raw_fd()) };
        let mut link = Link { stream, ack_fd, rbuf: BytesMut::new() };
        let result = self.session_on(generation, &mut link).await;
        // SAFETY: closing our own dup.
        unsafe {
            libc::close(link.ack_fd);
        }
        result
    }

    async fn session_on(self: &Rc<Self>, generation: u64, link: &mut Link) -> Result<(), LinkError> {
        let (my_port, auth) = {
            let c = self.cfg.borrow();
            (c.port, c.masterauth.clone())
        };
        let pong = link.command(&["PING"]).await?;
        if pong.starts_with('-') && !pong.starts_with("-NOAUTH") {
            return Err(format!("Error reply to PING from master: '{pong}'"));
        }
        if let Some(pw) = auth {
            let r = link.command(&["AUTH", &pw]).await?;
            if r.starts_with('-') {
                return Err(format!("Unable to AUTH to MASTER: {r}"));
            }
        }
        link.command(&["REPLCONF", "listening-port", &my_port.to_string()]).await?;
        link.command(&["REPLCONF", "capa", "eof", "capa", "psync2"]).await?;
        let (replid, offset, known) = {
            let st = self.st.borrow();
            (st.replid.clone(), st.offset, st.backlog.is_some())
        };
        let reply = if known {
            link.command(&["PSYNC", &replid, &(offset + 1).to_string()]).await?
        } else {
            link.command(&["PSYNC", "?", "-1"]).await?
        };
        if self.current_master(generation).is_none() {
            return Ok(());
        }
        if let Some(rest) = reply.strip_prefix("+FULLRESYNC ") {
            let mut parts = rest.split_whitespace();
            let (Some(id), Some(off)) = (parts.next(), parts.next().and_then(|o| o.parse::<u64>().ok()))
            else {
                return Err(format!("bad FULLRESYNC reply: {reply}"));
            };
            tracing::info!("Full resync from master: {id}:{off}");
            self.with_master(|m| m.syncing.set(true));
            let data = link.rdb().await?;
            self.load_rdb(&data).await?;
            self.drop_replicas();
            let size = self.cfg.borrow().repl_backlog_size;
            let mut st = self.st.borrow_mut();
            st.replid = id.to_string();
            st.replid2 = "0".repeat(40);
            st.second_offset = -1;
            st.offset = off;
            st.backlog = Some(Backlog::new(size, off));
        } else if let Some(rest) = reply.strip_prefix("+CONTINUE") {
            let new_id = rest.trim();
            tracing::info!("Successful partial resynchronization with master.");
            let mut st = self.st.borrow_mut();
            if !new_id.is_empty() && new_id != st.replid {
                st.replid2 = std::mem::replace(&mut st.replid, new_id.to_string());
                st.second_offset = st.offset as i64 + 1;
            }
        } else {
            return Err(format!("unexpected reply to PSYNC: {reply}"));
        }
        self.with_master(|m| {
            m.syncing.set(false);
            m.link_up.set(true);
            m.last_io.set(Some(Instant::now()));
        });
        tracing::info!("MASTER <-> REPLICA sync: Finished with success");
        self.stream_loop(generation, link).await
    }

    /// Flushes every shard and loads the master's RDB into them.
    async fn load_rdb(self: &Rc<Self>, data: &[u8]) -> Result<(), LinkError> {
        let flush = lookup(b"flushall").expect("flushall exists");
        for s in 0..self.nshards {
            let cmd = Cmd { db: 0, spec: flush, argv: vec![Bytes::from_static(b"FLUSHALL")] };
            self.peer.call(s, Req::Batch(vec![cmd])).await;
        }
        let now = crate::keyspace::now_ms();
        let mut per_shard: Vec<Vec<(u8, Bytes, crate::keyspace::Entry)>> = vec![Vec::new(); self.nshards];
        let mut keys = 0usize;
        let enc = self.cfg.borrow().enc;
        let info = rdb::load_with_encodings(data, &enc, |k| {
            if k.entry.expire_at.is_some_and(|at| at <= now) {
                return;
            }
            keys += 1;
            per_shard[shard_of(&k.key, self.nshards)].push((k.db as u8, k.key, k.entry));
        })
        .map_err(|e| format!("Failed trying to load the MASTER synchronization DB from socket: {e}"))?;
        for (s, mut entries) in per_shard.into_iter().enumerate() {
            while !entries.is_empty() {
                let rest = entries.split_off(entries.len().min(1000));
                let batch = std::mem::replace(&mut entries, rest);
                self.peer.call(s, Req::Load(batch)).await;
            }
        }
        tracing::info!(
            "MASTER <-> REPLICA sync: Loading DB in memory done: {keys} keys, RDB version {}",
            info.version
        );
        Ok(())
    }

    /// Waits until the apply loop is between commands and holds it there
    /// (the caller clears `apply_paused`), so a cut sees a whole offset.
    pub async fn pause_apply(&self) {
        self.apply_paused.set(true);
        while self.apply_busy.get() {
            glommio::timer::sleep(Duration::from_micros(100)).await;
        }
    }

    async fn stream_loop(self: &Rc<Self>, generation: u64, link: &mut Link) -> Result<(), LinkError> {
        let ack_fd = link.ack_fd;
        let me = self.clone();
        let acker = glommio::spawn_local(async move {
            loop {
                let offset = me.st.borrow().offset;
                write_ack(ack_fd, offset);
                glommio::timer::sleep(Duration::from_secs(1)).await;
            }
        });
        let limits = Limits { max_bulk: usize::MAX >> 1, max_multibulk: usize::MAX >> 1 };
        let mut db: u8 = 0;
        let mut batch = Applier::new(self.clone());
        // Bytes of a MULTI/EXEC unit not yet applied (counted at EXEC).
        let mut unit_raw = BytesMut::new();
        let result = loop {
            if self.current_master(generation).is_none() {
                break Ok(());
            }
            while self.apply_paused.get() {
                glommio::timer::sleep(Duration::from_micros(100)).await;
            }
            self.apply_busy.set(true);
            let mut bad = None;
            loop {
                let before = link.rbuf.len();
                let frame_start = link.rbuf.clone();
                match parse_request(&mut link.rbuf, &limits) {
                    Ok(Some(argv)) => {
                        let used = before - link.rbuf.len();
                        let raw = &frame_start[..used];
                        let was_in_unit = batch.in_unit();
                        if batch.command(&mut db, argv).await == Some(true) {
                            batch.flush().await;
                            // The ACK reports the offset before GETACK, as Redis does.
                            write_ack(ack_fd, self.st.borrow().offset);
                        }
                        if was_in_unit || batch.in_unit() {
                            unit_raw.extend_from_slice(raw);
                            if !batch.in_unit() {
                                // EXEC: the unit was applied; count it whole.
                                let mut st = self.st.borrow_mut();
                                self.feed(&mut st, &unit_raw.split());
                            }
                            continue;
                        }
                        let mut st = self.st.borrow_mut();
                        self.feed(&mut st, raw);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        bad = Some(e.to_string());
                        break;
                    }
                }
            }
            batch.flush().await;
            self.apply_busy.set(false);
            if let Some(e) = bad {
                break Err(format!("protocol error in replication stream: {e}"));
            }
            if let Err(e) = link.fill().await {
                break Err(e);
            }
            self.with_master(|m| m.last_io.set(Some(Instant::now())));
        };
        drop(acker);
        result
    }
}

/// Applies stream commands in order, batching runs for one shard.
struct Applier {
    core: Rc<Core>,
    shard: Option<usize>,
    cmds: Vec<Cmd>,
    /// Inside MULTI: the unit's commands (with the db each ran in).
    unit: Option<Vec<Cmd>>,
}

impl Applier {
    fn new(core: Rc<Core>) -> Self {
        Applier { core, shard: None, cmds: Vec::new(), unit: None }
    }

    fn in_unit(&self) -> bool {
        self.unit.is_some()
    }

    /// EXEC: applies the unit atomically (see the module doc).
    async fn apply_unit(&mut self, cmds: Vec<Cmd>) {
        let n = self.core.nshards;
        let mut owners = std::collections::BTreeSet::new();
        let mut plain = true;
        for c in &cmds {
            match c.spec.exec {
                Exec::Shard(_) => owners.extend(c.spec.keys_in(&c.argv).map(|i| shard_of(&c.argv[i], n))),
                _ => plain = false,
            }
        }
        if !plain {
            for c in cmds {
                self.apply(c).await;
            }
            self.flush().await;
            return;
        }
        let mut owners = owners.into_iter();
        match (owners.next(), owners.next()) {
            (first, None) => {
                self.core.peer.call(first.unwrap_or(0), Req::Atomic(cmds)).await;
            }
            (Some(first), Some(_)) => {
                self.core.peer.call(first, Req::CoordinateTx(cmds)).await;
            }
            (None, Some(_)) => unreachable!("a second owner without a first"),
        }
    }

    async fn flush(&mut self) {
        if let Some(s) = self.shard.take()
            && !self.cmds.is_empty()
        {
            let cmds = std::mem::take(&mut self.cmds);
            self.core.peer.call(s, Req::Batch(cmds)).await;
        }
    }

    /// Applies one command; Some(true) for REPLCONF GETACK.
    async fn command(&mut self, db: &mut u8, argv: Vec<Bytes>) -> Option<bool> {
        let name = argv[0].to_ascii_lowercase();
        match &name[..] {
            b"select" => {
                if let Some(n) = argv.get(1).and_then(|a| crate::util::parse_i64(a)) {
                    *db = n.clamp(0, crate::keyspace::NUM_DBS as i64 - 1) as u8;
                }
                return None;
            }
            b"multi" => {
                self.flush().await;
                self.unit = Some(Vec::new());
                return None;
            }
            b"exec" => {
                if let Some(cmds) = self.unit.take() {
                    self.apply_unit(cmds).await;
                }
                return None;
            }
            b"ping" => return None,
            b"replconf" => {
                return Some(argv.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"getack")));
            }
            _ => {}
        }
        let Some(spec) = lookup(&argv[0]) else {
            tracing::warn!("replication stream: unknown command '{}'", String::from_utf8_lossy(&argv[0]));
            return None;
        };
        let cmd = Cmd { db: *db, spec, argv };
        match self.unit.as_mut() {
            Some(unit) => unit.push(cmd),
            None => self.apply(cmd).await,
        }
        None
    }

    /// Applies one keyed or database-wide command in stream order.
    async fn apply(&mut self, cmd: Cmd) {
        let Cmd { db, spec, argv } = cmd;
        let n = self.core.nshards;
        match spec.exec {
            Exec::Shard(_) => {
                let owner = crate::route::owner(&argv, spec.keys_in(&argv), n);
                if let crate::route::Owner::Spans(first) = owner {
                    self.flush().await;
                    self.core.peer.call(first, Req::Coordinate { db, argv }).await;
                    return;
                }
                let s = if let crate::route::Owner::One(s) = owner { s } else { 0 };
                if self.shard != Some(s) {
                    self.flush().await;
                    self.shard = Some(s);
                }
                self.cmds.push(Cmd { db, spec, argv });
            }
            Exec::AllShards(..) => {
                self.flush().await;
                for s in 0..n {
                    let cmd = Cmd { db, spec, argv: argv.clone() };
                    let _: Resp = self.core.peer.call(s, Req::Batch(vec![cmd])).await;
                }
            }
            Exec::Conn(_) => {}
        }
    }
}
