//! Generic key commands: DEL, EXISTS, TYPE, expiry, KEYS, renames, copies.

use super::flags::*;
use super::{Args, CmdResult, CommandSpec, Ctx, Exec, Merge, Span, keys};
use crate::protocol::Reply;

/// DEL key [key ...]
fn del(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now;
    let mut n = 0;
    while !args.is_empty() {
        if ctx.db().remove(args.key()?, now).is_some() {
            n += 1;
        }
    }
    ctx.dirty += n as u64;
    Ok(Reply::Int(n))
}

/// EXISTS key [key ...] — a key named twice counts twice.
fn exists(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now;
    let mut n = 0;
    while !args.is_empty() {
        if ctx.db().contains(args.key()?, now) {
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, WRITE, keys(1, -1, 1), Exec::Shard(del), "generic", "Deletes one or more keys.").span(Span::Split(Merge::Sum)),
    CommandSpec::new("exists", -2, READONLY | FAST, keys(1, -1, 1), Exec::Shard(exists), "generic", "Determines whether one or more keys exist.").span(Span::Split(Merge::Sum)),
];
