//! Master side: replica links, PSYNC (partial from the backlog, or full
//! sync from a snapshot), and WAIT.
//!
//! Each replica has a bounded output buffer and a writer task; a slow
//! replica fills only its own buffer and is dropped past
//! `client-output-buffer-limit replica` — it never slows the shards or
//! other replicas. A reader task takes `REPLCONF ACK` offsets; a socket
//! error, or no ACK for `repl-timeout`, drops the replica at once.
//!
//! Full sync: the core asks every shard for a cut with a snapshot, stamps
//! `+FULLRESYNC <replid> <offset>` once every effect before the cut has been
//! emitted (the "sync point"), buffers the RDB the shards serialize, and
//! sends it (as `$EOF:<mark>` to replicas that announced `capa eof`, else as
//! a length-prefixed bulk) followed by the stream since the sync point.
//! Replicas arriving during a snapshot wait for the next one.
//!
//! Difference from DESIGN.md: the RDB is assembled in the core's memory
//! before it is sent (compact, but O(dataset)), rather than streamed chunk
//! by chunk as shards produce it; the shards themselves never copy values.

use super::{Core, State, random_hex40};
use crate::mesh::Attach;
use crate::persistence::rdb;
use crate::protocol::{Limits, parse_request};
use bytes::{Bytes, BytesMut};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;
use std::cell::{Cell, RefCell};
use std::os::fd::FromRawFd;
use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RState {
    /// Waiting for a snapshot (sync point not reached).
    WaitBgsave,
    /// +FULLRESYNC sent; stream bytes collect in `pending` until the RDB went.
    SendBulk,
    Online,
}

/// One replica connected to us.
pub struct ReplicaLink {
    pub id: u64,
    pub ip: String,
    pub listening_port: u16,
    capa_eof: bool,
    state: Cell<RState>,
    /// Bytes for the writer task.
    out: RefCell<BytesMut>,
    /// Stream since the sync point, held while the RDB is prepared.
    pending: RefCell<BytesMut>,
    waker: RefCell<Option<Waker>>,
    pub ack_offset: Cell<u64>,
    pub last_ack: Cell<Instant>,
    closed: Cell<bool>,
    soft_since: Cell<Option<Instant>>,
    /// (hard, soft, soft seconds) output limits.
    limits: (usize, usize, u64),
    fd: i32,
}

impl ReplicaLink {
    pub fn is_online(&self) -> bool {
        self.state.get() == RState::Online && !self.closed.get()
    }

    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub fn state_name(&self) -> &'static str {
        match self.state.get() {
            RState::WaitBgsave => "wait_bgsave",
            RState::SendBulk => "send_bulk",
            RState::Online => "online",
        }
    }

    /// Stream bytes: to the socket when online, else held until the RDB went.
    pub fn feed(&self, bytes: &[u8]) {
        match self.state.get() {
            RState::Online => self.push(bytes),
            RState::SendBulk => self.pending.borrow_mut().extend_from_slice(bytes),
            RState::WaitBgsave => {}
        }
    }

    fn push(&self, bytes: &[u8]) {
        if self.closed.get() {
            return;
        }
        self.out.borrow_mut().extend_from_slice(bytes);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    pub fn close(&self) {
        if !self.closed.replace(true) {
            tracing::info!("Connection with replica {}:{} lost.", self.ip, self.listening_port);
            // SAFETY: shutdown(2) on our own dup of the socket wakes both tasks.
            unsafe {
                libc::shutdown(self.fd, libc::SHUT_RDWR);
            }
            if let Some(w) = self.waker.borrow_mut().take() {
                w.wake();
            }
        }
    }

    /// Output buffer limits and ACK timeout (called by the core's cron).
    pub fn check_limits(&self, timeout: Duration) {
        let (hard, soft, secs) = self.limits;
        let used = self.out.borrow().len() + self.pending.borrow().len();
        if hard > 0 && used > hard {
            tracing::warn!(
                "Client replica {}:{} scheduled to be closed ASAP for overcoming of output buffer limits.",
                self.ip,
                self.listening_port
            );
            self.close();
            return;
        }
        if soft > 0 && used > soft {
            let since = self.soft_since.get().unwrap_or_else(Instant::now);
            self.soft_since.set(Some(since));
            if since.elapsed() >= Duration::from_secs(secs) {
                self.close();
                return;
            }
        } else {
            self.soft_since.set(None);
        }
        if self.is_online() && self.last_ack.get().elapsed() > timeout {
            tracing::warn!("Disconnecting timedout replica {}:{}", self.ip, self.listening_port);
            self.close();
        }
    }

    async fn writable(&self) {
        std::future::poll_fn(|cx| {
            if self.closed.get() || !self.out.borrow().is_empty() {
                std::task::Poll::Ready(())
            } else {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
        .await
    }
}

/// A snapshot being prepared for a cohort of replicas.
pub struct SnapState {
    id: u64,
    cohort: Vec<Rc<ReplicaLink>>,
    body: Vec<u8>,
    cur_db: Option<u8>,
    done: usize,
}

impl Core {
    /// Takes over a replica's socket after PSYNC/SYNC.
    pub fn attach(self: &Rc<Self>, a: Attach) {
        let id = self.next_link_id.get();
        self.next_link_id.set(id + 1);
        // SAFETY: the shard handed us a dup of the socket it owns no longer.
        let write_fd = unsafe { libc::dup(a.fd) };
        let (reader, writer) = unsafe { (TcpStream::from_raw_fd(a.fd), TcpStream::from_raw_fd(write_fd)) };
        let ip = a.addr.rsplit_once(':').map_or(a.addr.clone(), |(ip, _)| ip.to_string());
        let cfg = self.cfg.borrow();
        let link = Rc::new(ReplicaLink {
            id,
            ip,
            listening_port: a.listening_port,
            capa_eof: a.capa_eof,
            state: Cell::new(RState::WaitBgsave),
            out: RefCell::new(BytesMut::new()),
            pending: RefCell::new(BytesMut::new()),
            waker: RefCell::new(None),
            ack_offset: Cell::new(0),
            last_ack: Cell::new(Instant::now()),
            closed: Cell::new(false),
            soft_since: Cell::new(None),
            limits: cfg.replica_obuf,
            fd: a.fd,
        });
        drop(cfg);
        glommio::spawn_local(writer_task(link.clone(), writer)).detach();
        glommio::spawn_local(reader_task(self.clone(), link.clone(), reader, a.leftover)).detach();

        let mut st = self.st.borrow_mut();
        st.replicas.push(link.clone());
        if let Some((replid, from)) = &a.psync
            && let Some(data) = self.can_continue(&st, replid, *from)
        {
            tracing::info!(
                "Replica {}:{} asks for synchronization; partial resync accepted, {} bytes of backlog sent",
                link.ip,
                link.listening_port,
                data.len()
            );
            self.sync_partial_ok.set(self.sync_partial_ok.get() + 1);
            link.state.set(RState::Online);
            link.push(format!("+CONTINUE {}\r\n", st.replid).as_bytes());
            link.push(&data);
            return;
        }
        tracing::info!(
            "Replica {}:{} asks for synchronization; starting full resync",
            link.ip,
            link.listening_port
        );
        if a.psync.as_ref().is_some_and(|(id, _)| id != "?") {
            self.sync_partial_err.set(self.sync_partial_err.get() + 1);
        }
        self.sync_full.set(self.sync_full.get() + 1);
        if st.snap.is_some() {
            st.snap_queue.push(link);
        } else {
            drop(st);
            self.start_snapshot(vec![link]);
        }
    }

    fn can_continue(&self, st: &State, replid: &str, from: i64) -> Option<Vec<u8>> {
        let backlog = st.backlog.as_ref()?;
        let from = u64::try_from(from).ok()?;
        let same = replid == st.replid || (replid == st.replid2 && (from as i64) <= st.second_offset);
        if !same {
            return None;
        }
        backlog.since(from)
    }

    fn start_snapshot(self: &Rc<Self>, cohort: Vec<Rc<ReplicaLink>>) {
        let id = {
            let mut st = self.st.borrow_mut();
            let id = st.next_snap_id;
            st.next_snap_id += 1;
            let mut body = Vec::new();
            let ctime =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            rdb::write_header(
                &mut body,
                &[
                    ("redis-ver", crate::config::REDIS_VERSION.to_string()),
                    ("redis-bits", "64".into()),
                    ("ctime", ctime.to_string()),
                    ("used-mem", "0".into()),
                    ("aof-base", "0".into()),
                ],
            );
            st.snap = Some(SnapState { id, cohort: cohort.clone(), body, cur_db: None, done: 0 });
            id
        };
        let me = self.clone();
        glommio::spawn_local(async move {
            me.pause_apply().await;
            let streaming = me.st.borrow().master.is_none();
            let s = me.cut(streaming, Some(id)).await;
            let mut st = me.st.borrow_mut();
            if streaming {
                for r in cohort {
                    st.sync_points.push((s, r));
                }
            } else {
                // A replica applies the stream itself: the cut is right here.
                let offset = st.offset;
                for r in cohort {
                    fire_sync_point(&st, &r, offset);
                }
            }
            drop(st);
            me.apply_paused.set(false);
            me.check_sync_points();
        })
        .detach();
    }

    /// Replicas whose cut's earlier effects are all emitted get their
    /// `+FULLRESYNC` and start collecting the stream.
    pub fn check_sync_points(self: &Rc<Self>) {
        let mut st = self.st.borrow_mut();
        if st.sync_points.is_empty() {
            return;
        }
        let next = st.next_seq;
        let (ready, waiting): (Vec<_>, Vec<_>) =
            std::mem::take(&mut st.sync_points).into_iter().partition(|(s, _)| *s <= next);
        st.sync_points = waiting;
        let offset = st.offset;
        for (_, r) in ready {
            fire_sync_point(&st, &r, offset);
        }
        // Replicas joining mid-stream need a SELECT before the next command.
        st.stream_db = None;
        drop(st);
        self.maybe_send_rdb();
    }

    pub fn on_rdb_chunk(&self, id: u64, db: u8, bytes: Vec<u8>) {
        let mut st = self.st.borrow_mut();
        let Some(snap) = st.snap.as_mut().filter(|s| s.id == id) else { return };
        if snap.cur_db != Some(db) {
            rdb::write_select_db(&mut snap.body, db as usize);
            snap.cur_db = Some(db);
        }
        snap.body.extend_from_slice(&bytes);
    }

    pub fn on_rdb_done(self: &Rc<Self>, id: u64) {
        {
            let mut st = self.st.borrow_mut();
            let Some(snap) = st.snap.as_mut().filter(|s| s.id == id) else { return };
            snap.done += 1;
            if snap.done < self.nshards {
                return;
            }
            rdb::write_eof(&mut snap.body);
            let crc = rdb::Crc64::checksum(&snap.body);
            snap.body.extend_from_slice(&crc.to_le_bytes());
        }
        self.maybe_send_rdb();
    }

    /// Sends the finished RDB to cohort members past their sync point, then
    /// what the stream held for them; starts the next queued snapshot.
    fn maybe_send_rdb(self: &Rc<Self>) {
        let mut st = self.st.borrow_mut();
        let Some(snap) = st.snap.as_mut() else { return };
        if snap.done < self.nshards {
            return;
        }
        let body = &snap.body;
        snap.cohort.retain(|r| {
            if r.is_closed() {
                return false;
            }
            if r.state.get() != RState::SendBulk {
                return true;
            }
            if r.capa_eof {
                let mark = random_hex40();
                r.push(format!("$EOF:{mark}\r\n").as_bytes());
                r.push(body);
                r.push(mark.as_bytes());
            } else {
                r.push(format!("${}\r\n", body.len()).as_bytes());
                r.push(body);
            }
            let pending = std::mem::take(&mut *r.pending.borrow_mut());
            r.state.set(RState::Online);
            r.last_ack.set(Instant::now());
            r.push(&pending);
            tracing::info!("Synchronization with replica {}:{} succeeded", r.ip, r.listening_port);
            false
        });
        if snap.cohort.is_empty() {
            st.snap = None;
            let queue = std::mem::take(&mut st.snap_queue);
            drop(st);
            let queue: Vec<_> = queue.into_iter().filter(|r| !r.is_closed()).collect();
            if !queue.is_empty() {
                self.start_snapshot(queue);
            }
        }
    }

    /// WAIT numreplicas timeout: replicas that acknowledged every write
    /// made before the call (sequence < `seq`).
    pub async fn wait(self: &Rc<Self>, want: usize, timeout_ms: u64, seq: u64) -> usize {
        let deadline = (timeout_ms > 0).then(|| Instant::now() + Duration::from_millis(timeout_ms));
        let expired = || deadline.is_some_and(|d| Instant::now() >= d);
        // Let every write before the call reach the stream.
        loop {
            let caught_up = {
                let st = self.st.borrow();
                !st.streaming || st.next_seq >= seq
            };
            if caught_up || expired() {
                break;
            }
            glommio::timer::sleep(Duration::from_millis(1)).await;
        }
        let target = self.st.borrow().offset;
        let count = || {
            self.st.borrow().replicas.iter().filter(|r| r.is_online() && r.ack_offset.get() >= target).count()
        };
        if count() >= want {
            return count();
        }
        {
            let mut st = self.st.borrow_mut();
            if st.replicas.iter().any(|r| r.is_online()) {
                let getack = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
                self.feed(&mut st, getack);
            }
        }
        loop {
            let n = count();
            if n >= want || expired() {
                return n;
            }
            glommio::timer::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Disconnects every replica of ours (on role changes and full syncs
    /// from a new master, as Redis does).
    pub fn drop_replicas(&self) {
        let mut st = self.st.borrow_mut();
        for r in st.replicas.drain(..) {
            r.close();
        }
        st.snap_queue.clear();
        st.sync_points.clear();
    }
}

fn fire_sync_point(st: &State, r: &ReplicaLink, offset: u64) {
    if r.is_closed() || r.state.get() != RState::WaitBgsave {
        return;
    }
    r.push(format!("+FULLRESYNC {} {}\r\n", st.replid, offset).as_bytes());
    r.state.set(RState::SendBulk);
}

async fn writer_task(link: Rc<ReplicaLink>, mut stream: TcpStream) {
    loop {
        link.writable().await;
        if link.closed.get() {
            return;
        }
        let buf = std::mem::take(&mut *link.out.borrow_mut());
        if stream.write_all(&buf).await.is_err() {
            link.close();
            return;
        }
    }
}

async fn reader_task(core: Rc<Core>, link: Rc<ReplicaLink>, mut stream: TcpStream, leftover: Bytes) {
    let mut rbuf = BytesMut::from(&leftover[..]);
    let mut chunk = vec![0u8; 4096];
    let limits = Limits::default();
    'outer: loop {
        while let Ok(Some(argv)) = parse_request(&mut rbuf, &limits) {
            // REPLCONF ACK <offset> [FACK <offset>]
            if argv.len() >= 3
                && argv[0].eq_ignore_ascii_case(b"replconf")
                && argv[1].eq_ignore_ascii_case(b"ack")
                && let Some(off) = crate::util::parse_i64(&argv[2])
            {
                link.ack_offset.set(off.max(0) as u64);
                link.last_ack.set(Instant::now());
            }
        }
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 && !link.closed.get() => rbuf.extend_from_slice(&chunk[..n]),
            _ => break 'outer,
        }
    }
    link.close();
    core.st.borrow_mut().replicas.retain(|r| r.id != link.id);
}
