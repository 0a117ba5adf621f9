//! Blocked clients (BLPOP, BZPOPMIN, ...), the shard side.
//!
//! A blocking command whose keys share a shard is parked on that shard with
//! its command. When a write signals one of its keys ready
//! (`Ctx::signal_ready`), the shard re-runs the parked commands of that key
//! in the order they blocked, synchronously, until one finds nothing: so the
//! longest-waiting client is served first, wherever its connection lives,
//! and an element is never handed to two clients. The served reply travels
//! to the client's shard as `Wake`.
//!
//! A blocking command whose keys span shards is only *watched*: a ready key
//! sends `Wake { reply: None }` and the client retries the whole command
//! under key locks (see `conn.rs`). Fairness across shards is then best
//! effort; correctness is not affected.
//!
//! A parked client that times out or disconnects sends `Unblock`; if it was
//! served in the meantime, its reply is already on the way and it takes it.

use super::shard::{DbKey, Shard};
use crate::mesh::{Cmd, Req};
use crate::protocol::Reply;
use bytes::Bytes;
use std::rc::Rc;

/// A client parked (or watching) on some of this shard's keys.
pub struct Blocked {
    /// Shard of the client's connection, where its `Wake` goes.
    pub origin: usize,
    pub keys: Vec<DbKey>,
    /// The command to re-run; None for a watch.
    pub cmd: Option<Cmd>,
    /// What the client gets on timeout.
    pub timeout_reply: Reply,
}

impl Shard {
    pub(super) fn register_block(
        &self,
        id: u64,
        origin: usize,
        db: u8,
        keys: Vec<Bytes>,
        cmd: Option<Cmd>,
        timeout_reply: Reply,
    ) {
        let keys: Vec<DbKey> = keys.into_iter().map(|k| (db, k)).collect();
        {
            let mut queues = self.block_queues.borrow_mut();
            let mut ks = self.ks.borrow_mut();
            for k in &keys {
                let q = queues.entry(k.clone()).or_default();
                if !q.contains(&id) {
                    q.push_back(id);
                }
                ks.watched.insert(k.clone());
            }
        }
        self.blocked.borrow_mut().insert(id, Blocked { origin, keys, cmd, timeout_reply });
    }

    pub(super) fn remove_block(&self, id: u64) -> Option<Blocked> {
        let b = self.blocked.borrow_mut().remove(&id)?;
        let mut queues = self.block_queues.borrow_mut();
        let mut ks = self.ks.borrow_mut();
        for k in &b.keys {
            if let Some(q) = queues.get_mut(k) {
                q.retain(|&x| x != id);
                if q.is_empty() {
                    queues.remove(k);
                    ks.watched.remove(k);
                }
            }
        }
        Some(b)
    }

    /// Number of this shard's clients waiting in a blocking command,
    /// wherever their keys live.
    pub fn blocked_count(&self) -> usize {
        self.parked.borrow().len()
    }

    /// Serves parked clients of every key signalled ready, oldest first.
    pub(super) fn serve_ready(self: &Rc<Self>) {
        loop {
            let Some(key) = self.ks.borrow_mut().ready.pop() else { return };
            let ids: Vec<u64> = match self.block_queues.borrow().get(&key) {
                Some(q) => q.iter().copied().collect(),
                None => continue,
            };
            for id in ids {
                let (origin, locked, watch) = {
                    let blocked = self.blocked.borrow();
                    let Some(b) = blocked.get(&id) else { continue };
                    (b.origin, self.any_locked(&b.keys), b.cmd.is_none())
                };
                if watch {
                    self.remove_block(id);
                    self.wake(origin, id, None);
                    continue;
                }
                if locked {
                    // A multi-shard command holds the key: try again on unlock.
                    self.stalled_ready.borrow_mut().push(key.clone());
                    break;
                }
                let (reply, block) = {
                    let blocked = self.blocked.borrow();
                    let cmd = blocked[&id].cmd.as_ref().expect("parked command");
                    let ran = self.run_full(cmd, crate::keyspace::now_ms(), super::stream::Emit::Yes);
                    (ran.reply, ran.block)
                };
                if block.is_some() {
                    // Nothing left for this client, so nothing for later ones.
                    break;
                }
                self.remove_block(id);
                self.wake(origin, id, Some(reply));
            }
        }
    }

    /// Delivers a served reply (or a retry signal) to a parked connection.
    fn wake(self: &Rc<Self>, origin: usize, id: u64, reply: Option<Reply>) {
        if origin == self.id {
            if let Some(tx) = self.parked.borrow_mut().remove(&id) {
                tx.send(reply);
            }
        } else {
            self.peer.notify(origin, Req::Wake { id, reply });
        }
    }
}
