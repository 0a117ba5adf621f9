//! String commands: GET, SET and friends, counters, ranges, MGET/MSET.

use super::flags::*;
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, Merge, Span, keys};
use crate::keyspace::Value;
use crate::protocol::Reply;
use bytes::Bytes;

/// GET key
fn get(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let now = ctx.now;
    match ctx.db().get(key, now) {
        Some(Value::Str(v)) => Ok(Reply::Bulk(v.clone())),
        None => Ok(Reply::Nil),
    }
}

/// SET key value (minimal; options to come)
fn set(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let val = args.next()?;
    args.finish()?;
    ctx.db().set(key, Value::Str(Bytes::copy_from_slice(val)));
    ctx.dirty += 1;
    Ok(Reply::Ok)
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now;
    let mut out = Vec::with_capacity(args.remaining());
    while !args.is_empty() {
        let key = args.key()?;
        out.push(match ctx.db().get(key, now) {
            Some(Value::Str(v)) => Reply::Bulk(v.clone()),
            _ => Reply::Nil,
        });
    }
    Ok(Reply::Array(out))
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if args.remaining() % 2 != 0 {
        return Err(CmdError::arity("mset"));
    }
    while !args.is_empty() {
        let key = args.key()?;
        let val = args.next()?;
        ctx.db().set(key, Value::Str(Bytes::copy_from_slice(val)));
        ctx.dirty += 1;
    }
    Ok(Reply::Ok)
}

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(get), "string", "Returns the string value of a key."),
    CommandSpec::new("set", -3, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(set), "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
    CommandSpec::new("mget", -2, READONLY | FAST, keys(1, -1, 1), Exec::Shard(mget), "string", "Atomically returns the string values of one or more keys.").span(Span::Split(Merge::Positional)),
    CommandSpec::new("mset", -3, WRITE | DENYOOM, keys(1, -1, 2), Exec::Shard(mset), "string", "Atomically creates or modifies the string values of one or more keys.").span(Span::Split(Merge::Ok)),
];
