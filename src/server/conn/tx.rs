//! A connection's transactions: EXEC of the queued commands, WATCH and
//! UNWATCH (the shard side of WATCH is in `server/watch.rs`, the
//! multi-shard unit in `server/multi.rs`).

use super::{Conn, Io, Pipeline};
use crate::commands::{ConnCmd, Exec, lookup};
use crate::mesh::{Cmd, Req, Resp};
use crate::protocol::Reply;
use crate::route::shard_of;
use crate::server::admin;
use bytes::Bytes;

impl Conn {
    /// EXEC: the queued commands as one atomic unit. Keyed commands whose
    /// keys share a shard run there back to back under one admission;
    /// spanning shards, they run under key locks on a scratch copy
    /// (`multi::gather_cmds`). PING, ECHO, SELECT and TIME are answered
    /// here in order. A transaction holding any other server command (INFO,
    /// FLUSHALL, CLIENT, ...) runs command by command, not atomically.
    pub(super) async fn exec_tx(
        &mut self,
        io: &mut Io,
        queued: Vec<Vec<Bytes>>,
        watched: &[(u8, Bytes)],
    ) -> Reply {
        let simple = queued.iter().all(|argv| {
            lookup(&argv[0]).is_some_and(|s| {
                matches!(
                    s.exec,
                    Exec::Shard(_)
                        | Exec::Conn(
                            ConnCmd::Ping
                                | ConnCmd::Echo
                                | ConnCmd::Select
                                | ConnCmd::Time
                                | ConnCmd::Unwatch
                        )
                )
            })
        });
        let id = self.info.id;
        let watch_shards = crate::server::watch::shards_of(watched, self.shard.nshards);
        if !simple {
            // Not atomic anyway (see above): check the watch, then run.
            for &s in &watch_shards {
                if !matches!(self.shard.call(s, Req::CasCheck { id }).await, Resp::Reply(Reply::Bool(true))) {
                    return Reply::NilArray;
                }
            }
            let mut replies = Vec::with_capacity(queued.len());
            for argv in queued {
                let mut p = Pipeline::new(self.shard.nshards, 1);
                let r = Box::pin(self.dispatch(io, argv, &mut p)).await;
                // The slot a queued command's reply is filled into.
                p.replies.push((r, self.resp3));
                self.flush(&mut p).await;
                replies.push(p.replies.pop().and_then(|(r, _)| r).unwrap_or(Reply::Nil));
            }
            return Reply::Array(replies);
        }
        // Plan: local replies now, keyed commands in one unit.
        let mut replies: Vec<Option<Reply>> = Vec::with_capacity(queued.len());
        let mut cmds = Vec::new();
        let mut owners = std::collections::BTreeSet::new();
        for argv in queued {
            let spec = lookup(&argv[0]).expect("checked above");
            match spec.exec {
                Exec::Conn(cc) => replies.push(Some(admin::run(self, cc, argv).await)),
                _ => {
                    for i in spec.keys_in(&argv) {
                        owners.insert(shard_of(&argv[i], self.shard.nshards));
                    }
                    cmds.push(Cmd { db: self.db, spec, argv });
                    replies.push(None);
                }
            }
        }
        owners.extend(watch_shards.iter().copied());
        let results = match owners.len() {
            0 | 1 => {
                let owner = owners.into_iter().next().unwrap_or(self.shard.id);
                let req = if watched.is_empty() { Req::Atomic(cmds) } else { Req::AtomicCas { id, cmds } };
                match self.shard.call(owner, req).await {
                    Resp::Replies(v) => v,
                    Resp::Reply(Reply::NilArray) => return Reply::NilArray,
                    other => vec![other.into_reply()],
                }
            }
            _ => {
                let cas = (!watched.is_empty()).then_some((id, watched));
                match crate::server::multi::gather_cmds(&self.shard, cmds, None, cas).await {
                    Some((replies, _)) => replies,
                    None => return Reply::NilArray,
                }
            }
        };
        let mut results = results.into_iter();
        Reply::Array(
            replies.into_iter().map(|r| r.or_else(|| results.next()).unwrap_or(Reply::Nil)).collect(),
        )
    }

    /// WATCH key [key ...]: registers the keys on their shards.
    pub(super) async fn watch(&mut self, db: u8, keys: &[Bytes]) -> Reply {
        let id = self.info.id;
        let mut by_shard: std::collections::BTreeMap<usize, Vec<Bytes>> = Default::default();
        for k in keys {
            if !self.watched.iter().any(|(d, w)| *d == db && w == k) {
                self.watched.push((db, k.clone()));
                by_shard.entry(shard_of(k, self.shard.nshards)).or_default().push(k.clone());
            }
        }
        for (s, keys) in by_shard {
            self.shard.call(s, Req::CasWatch { id, db, keys }).await;
        }
        Reply::Ok
    }

    /// Forgets every watched key (UNWATCH, EXEC, DISCARD, RESET, close).
    pub(in crate::server) fn unwatch(&mut self) {
        if self.watched.is_empty() {
            return;
        }
        let shards = crate::server::watch::shards_of(&self.watched, self.shard.nshards);
        self.watched.clear();
        let id = self.info.id;
        for s in shards {
            self.shard.send(s, Req::CasUnwatch { id });
        }
    }
}
