//! The short ways a request runs on the connection's own task, without
//! `dispatch`: `run_here` for a command of this shard's keys on its parsed
//! arguments, and, shorter still, the fast path for the plain forms of a
//! few commands (`protocol::Simple`: GET, SET, INCR, DECR, one-element
//! LPUSH/RPUSH/SADD/HSET/ZADD, LPOP/RPOP without a count), on their
//! arguments where they lie in the read buffer.
//!
//! The general path splits every argument off the buffer as a `Bytes`,
//! an atomic increment and decrement of the buffer's reference count each,
//! and builds a `Cmd`: about a tenth of a pinned SET's CPU time. These
//! commands copy what they keep (`Str::new`), so they need no `Bytes` when
//! nothing else looks at the command: the fast path runs them where
//! `run_here` would run them, and only when nothing needs the arguments as
//! a command (the replication stream logs it, WATCH compares its keys, a
//! snapshot copies keys before a write, key locks hash them). Anything else,
//! including every arity or syntax error, goes the general way, which the
//! request's bytes are still there for; an error that depends on the stored
//! value (WRONGTYPE, not an integer) is answered where the command ran.

use super::{Conn, Pipeline};
use crate::commands::{ConnCmd, Ctx, Exec, flags, hashes, lists, sets, strings, zsets};
use crate::mesh::Cmd;
use crate::protocol::{Reply, Simple, SimpleRequest};
use crate::route::{Owner, shard_of};
use crate::server::admin;
use crate::server::shard::Shard;
use bytes::{Bytes, BytesMut};
use std::rc::Rc;

impl Conn {
    /// The common case without a detour through `dispatch`: PING, or a
    /// command whose keys all live on this shard, outside MULTI, with no key held
    /// by a multi-shard operation, runs here and now on the borrowed
    /// arguments (the vector goes back to the connection for the next
    /// request). None leaves the request untouched for `dispatch`, which
    /// handles every other case and every error.
    pub(super) fn run_here(&mut self, argv: &mut Vec<Bytes>, p: &Pipeline) -> Option<Reply> {
        let spec = self.lookup_cached(&argv[0])?;
        if !spec.arity_ok(argv.len()) {
            return None;
        }
        let shard = &self.shard;
        let ping = matches!(spec.exec, Exec::Conn(ConnCmd::Ping));
        if ping {
            if self.multi.is_some() || !self.authed {
                return None;
            }
        } else {
            if !matches!(spec.exec, Exec::Shard(_))
                || spec.flags & flags::BLOCKING != 0
                || !self.may_run_here(p, spec.is_write())
            {
                return None;
            }
            // One shard owns every key: no need to look at them.
            if shard.nshards > 1 {
                match crate::route::owner(argv, spec.keys_in(argv), shard.nshards) {
                    Owner::None => {}
                    Owner::One(s) if s == shard.id => {}
                    _ => return None,
                }
            }
        }
        self.count_command(spec.name);
        if ping {
            return Some(admin::ping(argv).unwrap_or_else(Reply::from));
        }
        let cmd = Cmd { db: self.db, spec, argv: std::mem::take(argv) };
        let reply = shard.run_now(&cmd);
        *argv = cmd.argv;
        Some(reply)
    }

    /// Whether a command of this shard's keys may run at once, on the
    /// connection's task: outside MULTI, authenticated, behind no split
    /// group of the batch, not a write on a replica, and with no key held
    /// or waited for by a multi-shard operation.
    fn may_run_here(&self, p: &Pipeline, write: bool) -> bool {
        self.multi.is_none()
            && self.authed
            && p.splits.is_empty()
            && !(write && self.shard.replica.get())
            && self.shard.admits_all()
    }

    /// Counts a command run on the short ways (`run_here`, the fast path)
    /// for INFO and CLIENT LIST.
    fn count_command(&self, name: &'static str) {
        let c = &self.shard.counters;
        c.commands_processed.set(c.commands_processed.get() + 1);
        self.info.last_cmd.set(name);
        if self.info.last_sub.borrow().is_some() {
            *self.info.last_sub.borrow_mut() = None;
        }
    }

    /// Runs `req`, which lies at the front of `buf`, and answers it (into
    /// `out`, or in order behind replies still awaited); false leaves it to
    /// the general path, untouched.
    pub(super) fn fast_path(
        &self,
        buf: &[u8],
        req: SimpleRequest,
        out: &mut BytesMut,
        p: &mut Pipeline,
    ) -> bool {
        if !self.may_run_here(p, req.op != Simple::Get) {
            return false;
        }
        let shard = &self.shard;
        let key = &buf[req.key.0..req.key.0 + req.key.1];
        if shard.nshards > 1 && shard_of(key, shard.nshards) != shard.id {
            return false;
        }
        let val = &buf[req.val.0..req.val.0 + req.val.1];
        let val2 = &buf[req.val2.0..req.val2.0 + req.val2.1];
        // With every earlier reply written, GET's goes straight into `out`.
        let direct = p.replies.is_empty() && p.skip.is_empty();
        let resp3 = self.resp3;
        let ran = shard.run_borrowed(self.db, |ctx| {
            Done::Reply(match req.op {
                Simple::Get if direct => {
                    strings::get_into(ctx, key, out, resp3);
                    return Done::Encoded;
                }
                Simple::Get => strings::get_borrowed(ctx, key),
                Simple::Set => strings::set_borrowed(ctx, key, val),
                Simple::Incr => strings::incr_borrowed(ctx, key, 1),
                Simple::Decr => strings::incr_borrowed(ctx, key, -1),
                Simple::Lpush => lists::push_borrowed(ctx, key, val, true),
                Simple::Rpush => lists::push_borrowed(ctx, key, val, false),
                Simple::Lpop => lists::pop_borrowed(ctx, key, true),
                Simple::Rpop => lists::pop_borrowed(ctx, key, false),
                Simple::Sadd => sets::sadd_borrowed(ctx, key, val),
                Simple::Hset => hashes::hset_borrowed(ctx, key, val, val2),
                Simple::Zadd => match zsets::zadd_borrowed(ctx, key, val, val2) {
                    Some(r) => r,
                    None => return Done::Declined,
                },
            })
        });
        let reply = match ran {
            None | Some(Done::Declined) => return false,
            Some(Done::Encoded) => None,
            Some(Done::Reply(r)) => Some(r),
        };
        self.count_command(req.op.name());
        if let Some(r) = reply {
            self.answer(Some(r), out, p);
        }
        true
    }
}

/// How a fast-path command ended.
enum Done {
    /// Its reply is in the output buffer already.
    Encoded,
    Reply(Reply),
    /// Not run, nothing changed: the general path takes it.
    Declined,
}

impl Shard {
    /// Runs `f` on a context for `db` as `run_now` would run a fast-path
    /// command (key locks were checked with `may_run_here`); None, without
    /// running it, while anything else needs the command itself (see the
    /// module comment).
    fn run_borrowed<R>(self: &Rc<Self>, db: u8, f: impl FnOnce(&mut Ctx) -> R) -> Option<R> {
        if self.streaming.get() || self.snapshot.borrow().is_some() || !self.watches.borrow().is_empty() {
            return None;
        }
        let (max_bulk, enc) = {
            let cfg = self.cfg.borrow();
            (cfg.proto_max_bulk_len, cfg.enc)
        };
        let mut ks = self.ks.borrow_mut();
        let mut ctx = Ctx::new(&mut ks, db as usize, self.clock.get(), max_bulk);
        ctx.enc = enc;
        ctx.replicating = false;
        let r = f(&mut ctx);
        let dirty = ctx.dirty;
        drop(ks);
        if dirty > 0 {
            self.counters.dirty.set(self.counters.dirty.get() + dirty);
        }
        // Without the stream, expired keys need no DEL sent: `emit_expired`
        // has nothing to do.
        self.serve_ready();
        Some(r)
    }
}
