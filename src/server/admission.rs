//! A shard's admission of work behind key locks: the jobs that wait for
//! held keys and where their answers go, running a job once its keys are
//! free, holding and releasing keys, and this shard's hop of a split
//! command's `Parts` chain (the coordinator's side is in `multi.rs`).

use super::shard::{DbKey, Handled, LockKey, Shard, lock_key};
use super::stream::Emit;
use crate::keyspace::now_ms;
use crate::mesh::{self as msg, Cmd, Hop, PartDone, Req, Resp};
use crate::protocol::Reply;
use bytes::Bytes;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub(super) enum Job {
    Batch(Vec<Cmd>),
    /// A transaction's commands: one admission, run back to back,
    /// replicated as one unit.
    Atomic(Vec<Cmd>),
    /// A transaction under WATCH: runs only if client `.0`'s watch is clean.
    AtomicCas(u64, Vec<Cmd>),
    /// Keep these keys locked until an `Unlock`.
    Hold(Vec<LockKey>),
    /// A split command's part; with `hold`, its keys stay locked under the
    /// token until a `Release`.
    Part {
        cmd: Cmd,
        keys: Vec<LockKey>,
        hold: Option<u64>,
    },
    Block {
        id: u64,
        origin: usize,
        cmd: Cmd,
    },
}

/// Where a queued job's answer goes.
pub(super) enum Answer {
    To(msg::Sender<Resp>),
    /// Slot `.1` of a `Parts` answer.
    Part(Rc<Gather>, usize),
}

impl Answer {
    fn send(self, resp: Resp) {
        match self {
            Answer::To(tx) => tx.send(resp),
            Answer::Part(g, i) => {
                g.out.borrow_mut()[i] = resp.into_part();
                g.left.set(g.left.get() - 1);
                if g.left.get() == 0
                    && let Some(then) = g.then.take()
                {
                    then(std::mem::take(&mut *g.out.borrow_mut()));
                }
            }
        }
    }
}

/// A `Parts` answer waiting for its queued parts.
pub(super) struct Gather {
    left: Cell<usize>,
    out: RefCell<Vec<PartDone>>,
    then: Cell<Option<PartsDone>>,
}

/// What a shard does with a `Parts` hop's answers once all its parts ran.
type PartsDone = Box<dyn FnOnce(Vec<PartDone>)>;

impl Shard {
    pub(super) fn admits_all(&self) -> bool {
        self.locks.borrow().is_idle()
    }

    pub(super) fn admit(self: &Rc<Self>, keys: Vec<LockKey>, job: Job) -> Handled {
        if self.locks.borrow().is_free(&keys, false) {
            return Handled::Now(self.run_job(job));
        }
        let (tx, rx) = msg::oneshot();
        self.locks.borrow_mut().enqueue(keys, false, (job, Answer::To(tx)));
        Handled::Later(rx)
    }

    pub(super) fn run_job(self: &Rc<Self>, job: Job) -> Resp {
        match job {
            Job::Block { id, origin, cmd } => {
                let ran = self.run_full(&cmd, now_ms(), Emit::Yes);
                let reply = ran.reply;
                match ran.block {
                    None => Resp::Reply(reply),
                    Some(b) => {
                        let timeout = b.timeout;
                        self.register_block(id, origin, cmd.db, b.keys, Some(cmd), reply);
                        Resp::Parked { timeout }
                    }
                }
            }
            Job::Batch(cmds) => Resp::Replies(self.run_batch(&cmds)),
            Job::AtomicCas(id, _) if !self.watch_clean(id) => Resp::Reply(Reply::NilArray),
            Job::Atomic(cmds) | Job::AtomicCas(_, cmds) => {
                let now = now_ms();
                let mut replies = Vec::with_capacity(cmds.len());
                let mut effects = Vec::new();
                for c in &cmds {
                    let ran = self.run_full(c, now, Emit::Collect);
                    replies.push(ran.reply);
                    effects.extend(ran.effects.into_iter().map(|e| (c.db, e)));
                }
                if self.streaming.get() {
                    self.emit_unit(effects);
                }
                Resp::Replies(replies)
            }
            Job::Hold(locks) => {
                self.locks.borrow_mut().hold(&locks, false);
                Resp::Done
            }
            Job::Part { cmd, keys, hold } => {
                if let Some(token) = hold {
                    self.locks.borrow_mut().hold(&keys, !cmd.spec.is_write());
                    self.hold_for(token, keys);
                }
                Resp::Part(self.run_part(cmd, hold.is_none(), now_ms()))
            }
        }
    }

    /// Runs a split command's part; the `last` part of a write takes the
    /// unit's number, since every key of the command is locked now.
    fn run_part(&self, cmd: Cmd, last: bool, now: u64) -> PartDone {
        let emit = if last && cmd.spec.is_write() { Emit::Stamp } else { Emit::No };
        let ran = self.run_full(&cmd, now, emit);
        PartDone { reply: ran.reply, seq: ran.seq, argv: cmd.argv }
    }

    /// Records `keys` as held for `token` until its `Release`; the first
    /// part's vector is kept as it is, not copied.
    fn hold_for(&self, token: u64, keys: Vec<LockKey>) {
        let mut holds = self.holds.borrow_mut();
        match holds.entry(token) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(keys);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().extend(keys),
        }
    }

    /// Runs this shard's hop of a `Req::Parts` chain: admits each part on
    /// its own keys (they are disjoint, so none waits for another); once
    /// all have run, answers the coordinator and passes the chain on (or,
    /// as its final shard, releases the held keys). Parts that must wait
    /// fill their slot of one shared answer when they run.
    pub(super) fn parts(
        self: &Rc<Self>,
        token: u64,
        coordinator: usize,
        mut hops: Vec<Hop>,
        release: Vec<usize>,
    ) {
        let hop = hops.pop().expect("a hop for this shard");
        let mut out = Vec::with_capacity(hop.parts.len());
        let mut waiting = Vec::new();
        let idle = self.admits_all();
        // One clock read for the hop, as Redis reads it once per event.
        let now = now_ms();
        for (i, part) in hop.parts.into_iter().enumerate() {
            // Nothing held or waited for here, and nothing to hold: no lock
            // keys to compute (every part on the last shard of two).
            if idle && !part.hold {
                out.push(self.run_part(part.cmd, true, now));
                continue;
            }
            let keys: Vec<LockKey> = if part.hold { part.locks } else { cmd_keys(&part.cmd).collect() };
            let shared = !part.cmd.spec.is_write();
            // Free keys are taken (a part to hold) or checked, and the part
            // runs; otherwise it queues behind them.
            let free = if part.hold {
                self.locks.borrow_mut().try_hold(&keys, shared)
            } else {
                self.locks.borrow().is_free(&keys, shared)
            };
            if free {
                if part.hold {
                    self.hold_for(token, keys);
                }
                out.push(self.run_part(part.cmd, !part.hold, now));
            } else {
                let job = Job::Part { cmd: part.cmd, keys: keys.clone(), hold: part.hold.then_some(token) };
                out.push(PartDone { reply: Reply::Nil, seq: None, argv: Vec::new() });
                waiting.push((i, keys, shared, job));
            }
        }
        let me = self.clone();
        let tag = hop.tag;
        let then = move |out| {
            let resp = Resp::Parts(out);
            // A follow-up for the coordinator's shard travels with the answer.
            let remote = coordinator != me.id;
            match hops.last() {
                Some(next) if remote && next.shard == coordinator => {
                    me.peer.respond_then(
                        coordinator,
                        tag,
                        resp,
                        Req::Parts { token, coordinator, hops, release },
                    );
                }
                Some(next) => {
                    let to = next.shard;
                    me.answer(coordinator, tag, resp);
                    me.send(to, Req::Parts { token, coordinator, hops, release });
                }
                None if remote && release.contains(&coordinator) => {
                    for &to in release.iter().filter(|&&to| to != coordinator) {
                        me.send(to, Req::Release { token });
                    }
                    me.peer.respond_then(coordinator, tag, resp, Req::Release { token });
                }
                None => {
                    me.answer(coordinator, tag, resp);
                    for to in release {
                        me.send(to, Req::Release { token });
                    }
                }
            }
        };
        if waiting.is_empty() {
            return then(out);
        }
        let gather = Rc::new(Gather {
            left: Cell::new(waiting.len()),
            out: RefCell::new(out),
            then: Cell::new(Some(Box::new(then))),
        });
        let mut locks = self.locks.borrow_mut();
        for (i, keys, shared, job) in waiting {
            locks.enqueue(keys, shared, (job, Answer::Part(gather.clone(), i)));
        }
    }

    /// Answers request `tag` of peer `to`, which may be this shard.
    fn answer(self: &Rc<Self>, to: usize, tag: u64, resp: Resp) {
        if to == self.id {
            self.peer.complete(tag, resp);
        } else {
            self.peer.respond(to, tag, resp);
        }
    }

    /// Sends `req` to shard `to` (which may be this one), not waiting for
    /// an answer.
    pub fn send(self: &Rc<Self>, to: usize, req: Req) {
        if to == self.id {
            self.handle(req);
        } else {
            self.peer.notify(to, req);
        }
    }

    pub(super) fn unlock(self: &Rc<Self>, db: u8, keys: Vec<Bytes>) {
        self.release(keys.iter().map(|k| lock_key(db, k)).collect());
    }

    pub(super) fn release(self: &Rc<Self>, keys: Vec<LockKey>) {
        let freed = self.locks.borrow_mut().release(keys);
        self.drain(freed);
        let stalled = std::mem::take(&mut *self.stalled_ready.borrow_mut());
        self.ks.borrow_mut().ready.extend(stalled);
    }

    /// True when a multi-shard operation holds a lock on any of `keys`.
    pub(super) fn any_locked(&self, keys: &[DbKey]) -> bool {
        self.locks.borrow().any_held(keys.iter().map(|(db, k)| lock_key(*db, k)))
    }

    /// Runs the waiting operations that `keys` becoming free lets through,
    /// and those that their running lets through in turn. A job that takes
    /// holds takes them before the next candidate is looked at.
    pub(super) fn drain(self: &Rc<Self>, mut keys: Vec<LockKey>) {
        while let Some(key) = keys.pop() {
            let Some((ks, (job, tx))) = self.locks.borrow_mut().take_runnable(&key) else { continue };
            keys.extend(ks);
            let resp = self.run_job(job);
            tx.send(resp);
        }
    }
}

/// The locks of the keys a command touches.
pub(super) fn cmd_keys(cmd: &Cmd) -> impl Iterator<Item = LockKey> + '_ {
    cmd.spec.keys_in(&cmd.argv).map(move |i| lock_key(cmd.db, &cmd.argv[i]))
}
