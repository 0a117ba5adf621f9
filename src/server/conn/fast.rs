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
use crate::commands::strings;
use crate::protocol::{Reply, Simple, SimpleRequest};
use crate::route::shard_of;
use crate::server::shard::Shard;
use std::rc::Rc;

impl Conn {
    /// Runs `req`, which lies at the front of `buf`; None leaves it to the
    /// general path, untouched.
    pub(super) fn fast_path(&self, buf: &[u8], req: SimpleRequest, p: &Pipeline) -> Option<Reply> {
        if self.multi.is_some() || !self.authed || !p.splits.is_empty() {
            return None;
        }
        let shard = &self.shard;
        let key = &buf[req.key.0..req.key.0 + req.key.1];
        if shard.nshards > 1 && shard_of(key, shard.nshards) != shard.id {
            return None;
        }
        if req.op == Simple::Set && shard.replica.get() {
            return None;
        }
        let val = &buf[req.val.0..req.val.0 + req.val.1];
        let reply = shard.run_borrowed(self.db, req.op, key, val)?;
        let c = &shard.counters;
        c.commands_processed.set(c.commands_processed.get() + 1);
        self.info.last_cmd.set(match req.op {
            Simple::Get => "get",
            Simple::Set => "set",
        });
        if self.info.last_sub.borrow().is_some() {
            *self.info.last_sub.borrow_mut() = None;
        }
        Some(reply)
    }
}

impl Shard {
    /// What `run_now` does for GET or plain SET, on borrowed arguments; None
    /// while anything needs the command itself (see the module comment).
    fn run_borrowed(self: &Rc<Self>, db: u8, op: Simple, key: &[u8], val: &[u8]) -> Option<Reply> {
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
        let mut ctx = crate::commands::Ctx::new(&mut ks, db as usize, self.clock.get(), max_bulk);
        ctx.enc = enc;
        ctx.replicating = false;
        let reply = match op {
            Simple::Get => strings::get_borrowed(&mut ctx, key),
            Simple::Set => strings::set_borrowed(&mut ctx, key, val),
        };
        let dirty = ctx.dirty;
        drop(ks);
        if dirty > 0 {
            self.counters.dirty.set(self.counters.dirty.get() + dirty);
        }
        // Without the stream, expired keys need no DEL sent: `emit_expired`
        // has nothing to do.
        self.serve_ready();
        Some(reply)
    }
}
