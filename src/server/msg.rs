//! The plain-data messages that cross between shards, and a single-thread
//! oneshot used to hand a result to the task awaiting it.
//!
//! Every request carries the sender's shard and a tag; the answer comes back
//! on the mesh as `Msg::Resp` with the same tag. Receivers never block on a
//! send (see `Shard::respond`), so two shards answering each other cannot
//! deadlock on full channels.

use crate::commands::CommandSpec;
use crate::keyspace::Entry;
use crate::protocol::Reply;
use bytes::Bytes;
use std::cell::RefCell;
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

/// A request to a shard.
pub enum Req {
    /// Ordinary commands from one connection's read batch, run in order
    /// once none of their keys is locked.
    Batch(Vec<Cmd>),
    /// Lock `keys` for a multi-shard operation; with `then`, run it at once
    /// and release (the last shard of a split command).
    Lock {
        db: u8,
        keys: Vec<Bytes>,
        then: Option<Cmd>,
    },
    /// Run a command under locks already held; release `unlock` afterwards.
    Exec {
        cmd: Cmd,
        unlock: Option<(u8, Vec<Bytes>)>,
    },
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
    /// A parked client was served (`Some`) or should retry (`None`).
    /// Fire-and-forget: sent with tag [`NO_REPLY`].
    Wake {
        id: u64,
        reply: Option<Reply>,
    },
    Admin(Admin),
}

/// Tag of a request that expects no answer.
pub const NO_REPLY: u64 = u64::MAX;

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
}

impl Resp {
    pub fn into_reply(self) -> Reply {
        match self {
            Resp::Reply(r) => r,
            Resp::Replies(mut v) if v.len() == 1 => v.pop().unwrap_or(Reply::Nil),
            _ => Reply::error("ERR internal: unexpected shard response"),
        }
    }
}

pub enum Msg {
    Req { from: usize, tag: u64, req: Req },
    Resp { tag: u64, resp: Resp },
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
