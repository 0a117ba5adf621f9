//! The fast path: GET, and SET without options, on this shard's keys, run
//! on their arguments where they lie in the read buffer.
//!
//! The general path splits every argument off the buffer as a `Bytes`,
//! an atomic increment and decrement of the buffer's reference count each,
//! and builds a `Cmd`: about a tenth of a pinned SET's CPU time. GET and
//! plain SET copy what they keep (`Str::new`), so they need no `Bytes` when
//! nothing else looks at the command: the fast path runs them where
//! `run_here` would run them, and only when nothing needs the arguments as
//! a command (the replication stream logs it, WATCH compares its keys, a
//! snapshot copies keys before a write, key locks hash them). Anything else,
//! including every error, goes the general way, which the request's bytes
//! are still there for.

use super::{Conn, Pipeline};
use crate::commands::{Ctx, strings};
use crate::protocol::{Simple, SimpleRequest};
use crate::route::shard_of;
use crate::server::shard::Shard;
use bytes::BytesMut;
use std::rc::Rc;

impl Conn {
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
        if self.multi.is_some() || !self.authed || !p.splits.is_empty() {
            return false;
        }
        let shard = &self.shard;
        let key = &buf[req.key.0..req.key.0 + req.key.1];
        if shard.nshards > 1 && shard_of(key, shard.nshards) != shard.id {
            return false;
        }
        if req.op == Simple::Set && shard.replica.get() {
            return false;
        }
        let val = &buf[req.val.0..req.val.0 + req.val.1];
        // With every earlier reply written, GET's goes straight into `out`.
        let direct = p.replies.is_empty() && p.skip.is_empty();
        let resp3 = self.resp3;
        let ran = shard.run_borrowed(self.db, |ctx| match req.op {
            Simple::Get if direct => {
                strings::get_into(ctx, key, out, resp3);
                None
            }
            Simple::Get => Some(strings::get_borrowed(ctx, key)),
            Simple::Set => Some(strings::set_borrowed(ctx, key, val)),
        });
        let Some(reply) = ran else { return false };
        let c = &shard.counters;
        c.commands_processed.set(c.commands_processed.get() + 1);
        self.info.last_cmd.set(match req.op {
            Simple::Get => "get",
            Simple::Set => "set",
        });
        if self.info.last_sub.borrow().is_some() {
            *self.info.last_sub.borrow_mut() = None;
        }
        if let Some(r) = reply {
            self.answer(Some(r), out, p);
        }
        true
    }
}

impl Shard {
    /// Runs `f` on a context for `db` as `run_now` would run GET or plain
    /// SET; None, without running it, while anything needs the command
    /// itself (see the module comment).
    fn run_borrowed<R>(self: &Rc<Self>, db: u8, f: impl FnOnce(&mut Ctx) -> R) -> Option<R> {
        if !self.admits_all()
            || self.streaming.get()
            || self.snapshot.borrow().is_some()
            || !self.watches.borrow().is_empty()
        {
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
