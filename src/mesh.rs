//! The plain-data messages that cross between threads (shards and the
//! replication core, all peers of one glommio channel mesh), a [`Peer`] that
//! sends requests and matches answers by tag, and a single-thread oneshot
//! used to hand a result to the task awaiting it.
//!
//! Every request carries the sender's shard and a tag; the answer comes back
//! on the mesh as `Msg::Resp` with the same tag. Receivers never block on a
//! send (see `Shard::respond`), so two shards answering each other cannot
//! deadlock on full channels.
//!
//! A peer awaiting an answer spins before it sleeps ([`REPLY_SPIN`]): the
//! answer to a lone request then finds it awake instead of paying for a
//! wake-up, the larger part of a cross-shard request's time when the
//! server is not busy.

use crate::commands::CommandSpec;
use crate::keyspace::Entry;
use crate::protocol::Reply;
use bytes::Bytes;
use glommio::channels::channel_mesh::Senders;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// One command to run on a shard.
pub struct Cmd {
    pub db: u8,
    pub spec: &'static CommandSpec,
    pub argv: Vec<Bytes>,
}

/// One shard's share of a split command (see `Req::Parts`).
pub struct Part {
    pub cmd: Cmd,
    pub hold: bool,
    /// With `hold`: the locks of its keys, in order (hashed once, by the
    /// coordinator); empty otherwise.
    pub locks: Vec<u64>,
}

/// One shard's parts in a `Req::Parts` chain, answered under `tag`.
pub struct Hop {
    pub shard: usize,
    pub tag: u64,
    pub parts: Vec<Part>,
}

/// A request to a shard.
pub enum Req {
    /// Ordinary commands from one connection's read batch, run in order
    /// once none of their keys is locked.
    Batch(Vec<Cmd>),
    /// A transaction whose keys all live here: admitted as a whole, run
    /// without interleaving, replicated as one unit.
    Atomic(Vec<Cmd>),
    /// Lock `keys` for a multi-shard operation until an `Unlock`.
    Lock {
        db: u8,
        keys: Vec<Bytes>,
    },
    /// Parts of split commands (MSET, MGET, DEL, ... spanning shards) from
    /// one connection's read batch, for shards in ascending order; the last
    /// hop is for the receiving shard. Its parts (keys pairwise disjoint)
    /// each run the moment their keys are free; one with `hold` then keeps
    /// them locked until `Release { token }`. Once all have run, the shard
    /// answers `Parts` to `coordinator` under the hop's tag and sends the
    /// rest on to the next hop's shard; the final shard sends `Release` to
    /// every shard in `release`.
    Parts {
        token: u64,
        coordinator: usize,
        hops: Vec<Hop>,
        release: Vec<usize>,
    },
    /// Frees the keys held for `token`.
    Release {
        token: u64,
    },
    /// Run a command under locks already held.
    Exec(Cmd),
    /// Read (and with `remove`, delete) a key's entry under a held lock.
    Take {
        db: u8,
        key: Bytes,
        remove: bool,
    },
    /// Store an entry (or delete the key, for `None`) under a held lock.
    Put {
        db: u8,
        key: Bytes,
        entry: Option<Entry>,
    },
    Unlock {
        db: u8,
        keys: Vec<Bytes>,
    },
    /// Run a blocking command; if it finds nothing, park it on its keys
    /// (answer `Parked`) and serve it when a key is signalled ready, by a
    /// `Wake` to `origin`.
    Block {
        id: u64,
        origin: usize,
        cmd: Cmd,
    },
    /// Watch keys for a blocked multi-shard command: a ready key sends
    /// `Wake { reply: None }` to `origin`, which retries.
    Watch {
        id: u64,
        origin: usize,
        db: u8,
        keys: Vec<Bytes>,
    },
    /// Stop waiting: answers the timeout reply if the waiter was still
    /// parked, `Done` if it was already served (its `Wake` is on the way).
    Unblock {
        id: u64,
    },
    /// WATCH: client `id` watches `keys` of `db` here.
    CasWatch {
        id: u64,
        db: u8,
        keys: Vec<Bytes>,
    },
    /// UNWATCH: forget client `id`'s watched keys here.
    CasUnwatch {
        id: u64,
    },
    /// Whether client `id`'s watched keys here are untouched: `Reply::Bool`.
    CasCheck {
        id: u64,
    },
    /// EXEC of a watching client whose transaction and watched keys are all
    /// here: admitted on both, runs only if the watch is clean; aborted,
    /// answers `Reply(NilArray)`.
    AtomicCas {
        id: u64,
        cmds: Vec<Cmd>,
    },
    /// A parked client was served (`Some`) or should retry (`None`).
    /// Fire-and-forget: sent with tag [`NO_REPLY`].
    Wake {
        id: u64,
        reply: Option<Reply>,
    },
    Admin(Admin),

    // ---- replication: shards → core -------------------------------------
    /// A write's effect: RESP bytes of one unit (MULTI/EXEC-wrapped when it
    /// has several commands; empty = a stamped sequence number that wrote
    /// nothing), in `db`, at global sequence `seq`.
    Effect {
        seq: u64,
        db: u8,
        payload: Bytes,
    },
    /// Serialized RDB entries of snapshot `id` for `db`.
    RdbChunk {
        id: u64,
        db: u8,
        bytes: Vec<u8>,
    },
    /// This shard has sent all its entries of snapshot `id`.
    RdbDone {
        id: u64,
    },
    /// A replica's connection, handed over after PSYNC/SYNC.
    AttachReplica(Box<Attach>),
    /// INFO replication text, ROLE reply, REPLICAOF, WAIT: answered by the core.
    ReplInfo,
    /// INFO stats lines the core owns (sync_full, sync_partial_ok, ...).
    ReplStats,
    /// CLIENT KILL TYPE replica: close every replica link.
    KillReplicas,
    Role,
    ReplicaOf(Option<(String, u16)>),
    Wait {
        replicas: usize,
        timeout_ms: u64,
        seq: u64,
    },

    // ---- replication: core → shards -------------------------------------
    /// Pause at a barrier: ack, block the thread until `go` says how to
    /// resume (start streaming, start snapshot `id`).
    Cut {
        ack: crossbeam_channel::Sender<()>,
        go: crossbeam_channel::Receiver<CutGo>,
    },
    /// Serve as a read-only replica (or stop).
    SetReplica(bool),
    /// Store loaded keys (full sync on a replica).
    Load(Vec<(u8, Bytes, Entry)>),
    /// Run a command from the master whose keys span shards, atomically.
    Coordinate {
        db: u8,
        argv: Vec<Bytes>,
    },
    /// Run a MULTI/EXEC unit from the master whose keys span shards, as one
    /// atomic unit under key locks.
    CoordinateTx(Vec<Cmd>),
}

/// How shards resume after a cut.
#[derive(Clone, Copy, Debug)]
pub struct CutGo {
    /// Stamp and send write effects from now on.
    pub streaming: bool,
    /// Serialize a snapshot of the keys as of the cut, with this id.
    pub snapshot: Option<u64>,
}

/// A replica connection handed from a shard to the replication core.
pub struct Attach {
    /// A dup of the socket; the shard closes its own copy.
    pub fd: i32,
    pub addr: String,
    pub listening_port: u16,
    pub capa_eof: bool,
    /// `PSYNC replid offset` arguments; None for the old SYNC.
    pub psync: Option<(String, i64)>,
    /// Bytes the replica sent after PSYNC, already read by the shard.
    pub leftover: Bytes,
}

/// Tag of a request that expects no answer.
pub const NO_REPLY: u64 = u64::MAX;

/// How long an executor that awaits an answer spins, polling, before it
/// sleeps. Waking a sleeping executor took 40-50 µs on our 2-core VM (an
/// idle vCPU's wake-up): a lone GET for a key on the other shard, two
/// wake-ups, took 136 µs against 13 µs for a local key; with the requester
/// spinning, 64 µs (the owner's wake-up is left). A 30 µs spin mostly ended
/// before the answer came; 100 µs bought no more than 60 and burned more
/// CPU under load (README, "Latest results"). A busy executor does not
/// sleep, so the spin only costs where a core would otherwise idle or,
/// when the cores are oversubscribed, a little CPU (+3-7% per request in
/// the unpinned `redis-benchmark -P 1` spot checks, for +4-12% requests/s).
/// While it spins, the shard polls its rings without entering the kernel,
/// which holds their completions until the next syscall
/// (`IORING_SETUP_COOP_TASKRUN`, `vendor/README.md`): a request from one of
/// its own clients that arrives meanwhile waits for the answer or the end
/// of the spin, at most this long, where it would have woken the shard.
pub const REPLY_SPIN: std::time::Duration = std::time::Duration::from_micros(60);

/// Server-wide requests answered by every shard.
pub enum Admin {
    Stats,
    ClientList { ids: Vec<u64>, me: u64 },
    ClientKill(KillFilter),
    ConfigSet(Vec<(String, String)>),
    ResetStat,
    Scan { db: u8, cursor: u64, count: usize, pattern: Option<Bytes>, typ: Option<Bytes> },
    RandomKey { db: u8 },
}

/// CLIENT KILL filters; all given ones must match.
#[derive(Clone, Default)]
pub struct KillFilter {
    pub id: Option<u64>,
    pub addr: Option<String>,
    pub laddr: Option<String>,
    pub skip_id: Option<u64>,
}

/// Counters and sizes one shard reports for INFO.
#[derive(Default, Clone, Debug)]
pub struct ShardStats {
    pub keys: Vec<(usize, usize)>,
    pub clients: usize,
    pub blocked: usize,
    pub connections_received: u64,
    pub commands_processed: u64,
    pub net_input: u64,
    pub net_output: u64,
    pub rejected: u64,
    pub expired: u64,
    pub hits: u64,
    pub misses: u64,
    pub dirty: u64,
    pub allocated: i64,
    /// Naps the socket poller took (`--coalesce-us`).
    pub naps: u64,
}

pub enum Resp {
    Replies(Vec<Reply>),
    Reply(Reply),
    Entry(Option<Entry>),
    Done,
    Stats(Box<ShardStats>),
    Lines(Vec<String>),
    Count(u64),
    Scan(u64, Vec<Bytes>),
    Key(Option<Bytes>),
    /// The blocking command is parked; the client waits up to `timeout`.
    Parked {
        timeout: Option<std::time::Duration>,
    },
    /// Per part of a `Req::Parts`, what became of it.
    Parts(Vec<PartDone>),
    /// One part's answer, inside the shard that ran it.
    Part(PartDone),
    Text(String),
}

/// A part of a split command, run: its reply, the stream sequence number
/// stamped for it when it was the command's last part and wrote, and its
/// arguments, handed back. The coordinator moves the arguments into the
/// parts rather than cloning them, rebuilds the command for the stream from
/// them, and drops them on the thread that parsed them, so their reference
/// count (one per read buffer) is never touched from another core.
pub struct PartDone {
    pub reply: Reply,
    pub seq: Option<u64>,
    pub argv: Vec<Bytes>,
}

impl Resp {
    /// A part's outcome (see `Req::Parts`).
    pub fn into_part(self) -> PartDone {
        match self {
            Resp::Part(p) => p,
            other => PartDone { reply: other.into_reply(), seq: None, argv: Vec::new() },
        }
    }

    pub fn into_reply(self) -> Reply {
        match self {
            Resp::Reply(r) | Resp::Part(PartDone { reply: r, .. }) => r,
            Resp::Replies(mut v) if v.len() == 1 => v.pop().unwrap_or(Reply::Nil),
            _ => Reply::error("ERR internal: unexpected shard response"),
        }
    }
}

pub enum Msg {
    Req {
        from: usize,
        tag: u64,
        req: Req,
    },
    Resp {
        tag: u64,
        resp: Resp,
    },
    /// An answer and then a fire-and-forget request from the same sender:
    /// one message where two would go to the same peer back to back (a
    /// `Parts` hop answering its coordinator and passing the chain to it,
    /// or releasing held keys there).
    RespThen {
        tag: u64,
        resp: Resp,
        from: usize,
        req: Req,
    },
}

struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    closed: bool,
}

/// Sending half of a same-thread oneshot.
pub struct Sender<T>(Rc<RefCell<Slot<T>>>);
/// Receiving half; resolves to `None` if the sender was dropped unsent.
pub struct Receiver<T>(Rc<RefCell<Slot<T>>>);

pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let slot = Rc::new(RefCell::new(Slot { value: None, waker: None, closed: false }));
    (Sender(slot.clone()), Receiver(slot))
}

impl<T> Sender<T> {
    pub fn send(self, v: T) {
        let waker = {
            let mut s = self.0.borrow_mut();
            s.value = Some(v);
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = self.0.borrow_mut();
            s.closed = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut s = self.0.borrow_mut();
        if let Some(v) = s.value.take() {
            return Poll::Ready(Some(v));
        }
        if s.closed {
            return Poll::Ready(None);
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Who is who in the mesh. glommio numbers peers by executor id, which
/// threads take in no fixed order, so every peer publishes its mesh index
/// under its logical id (shard i = i, the replication core = shards) once
/// at start-up, and all translate through the table afterwards.
#[derive(Default)]
pub struct Directory {
    slots: std::sync::Mutex<Vec<Option<usize>>>,
}

impl Directory {
    pub fn new(peers: usize) -> std::sync::Arc<Directory> {
        std::sync::Arc::new(Directory { slots: std::sync::Mutex::new(vec![None; peers]) })
    }

    /// Publishes `mesh_id` for `logical` and waits until every peer did;
    /// returns mesh index by logical id.
    pub async fn join(&self, logical: usize, mesh_id: usize) -> Vec<usize> {
        self.slots.lock().expect("directory lock")[logical] = Some(mesh_id);
        loop {
            {
                let slots = self.slots.lock().expect("directory lock");
                if slots.iter().all(Option::is_some) {
                    return slots.iter().map(|s| s.expect("filled")).collect();
                }
            }
            glommio::timer::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}

/// One thread's end of the mesh: sends requests, matches answers by tag.
/// Peers are addressed by logical id.
pub struct Peer {
    pub id: usize,
    senders: Senders<Msg>,
    /// Mesh index of each logical peer.
    route: Vec<usize>,
    next_tag: Cell<u64>,
    pending: RefCell<HashMap<u64, Sender<Resp>, crate::keyspace::Hasher>>,
}

impl Peer {
    /// Joins the directory as `logical` and builds the peer.
    pub async fn new(senders: Senders<Msg>, logical: usize, dir: &Directory) -> Peer {
        let route = dir.join(logical, senders.peer_id()).await;
        Peer { id: logical, senders, route, next_tag: Cell::new(0), pending: RefCell::default() }
    }

    /// A tag whose answer, sent by anyone with `Msg::Resp`, arrives on the
    /// returned receiver. While any answer is due, the executor spins for
    /// up to [`REPLY_SPIN`] before it sleeps.
    pub fn expect(&self) -> (u64, Receiver<Resp>) {
        let tag = self.next_tag.get();
        self.next_tag.set(tag + 1);
        let (tx, rx) = oneshot();
        let mut pending = self.pending.borrow_mut();
        pending.insert(tag, tx);
        if pending.len() == 1 {
            glommio::executor().set_spin_before_park(Some(REPLY_SPIN));
        }
        (tag, rx)
    }

    /// Stops expecting `tag`; the executor sleeps at once again when no
    /// answer is due.
    fn forget(&self, tag: u64) -> Option<Sender<Resp>> {
        let mut pending = self.pending.borrow_mut();
        let tx = pending.remove(&tag);
        if tx.is_some() && pending.is_empty() {
            glommio::executor().set_spin_before_park(None);
        }
        tx
    }

    /// Sends `req` to peer `to`; the answer arrives on the returned receiver.
    pub async fn request(&self, to: usize, req: Req) -> Receiver<Resp> {
        let (tag, rx) = self.expect();
        if self.senders.send_to(self.route[to], Msg::Req { from: self.id, tag, req }).await.is_err() {
            self.forget(tag);
        }
        rx
    }

    pub async fn call(&self, to: usize, req: Req) -> Resp {
        self.request(to, req).await.await.unwrap_or(Resp::Reply(Reply::error("ERR peer dropped request")))
    }

    /// Hands an answer to the task awaiting `tag`.
    pub fn complete(&self, tag: u64, resp: Resp) {
        if let Some(tx) = self.forget(tag) {
            tx.send(resp);
        }
    }

    /// Sends without waiting: at once if the channel has room, else from a
    /// spawned task, so a receiver loop never blocks on a full channel.
    pub fn post(self: &std::rc::Rc<Self>, to: usize, msg: Msg) {
        let to = self.route[to];
        if let Err(glommio::GlommioError::WouldBlock(glommio::ResourceType::Channel(msg))) =
            self.senders.try_send_to(to, msg)
        {
            let me = self.clone();
            glommio::spawn_local(async move {
                let _ = me.senders.send_to(to, msg).await;
            })
            .detach();
        }
    }

    /// Fire-and-forget request.
    pub fn notify(self: &std::rc::Rc<Self>, to: usize, req: Req) {
        self.post(to, Msg::Req { from: self.id, tag: NO_REPLY, req });
    }

    pub fn respond(self: &std::rc::Rc<Self>, to: usize, tag: u64, resp: Resp) {
        self.post(to, Msg::Resp { tag, resp });
    }

    /// Answers `tag` of peer `to`, then sends it `req` (fire-and-forget),
    /// in one message.
    pub fn respond_then(self: &std::rc::Rc<Self>, to: usize, tag: u64, resp: Resp, req: Req) {
        self.post(to, Msg::RespThen { tag, resp, from: self.id, req });
    }
}
