//! Blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! The contract with the runtime (`server::blocking`): a handler parses its
//! arguments and timeout, then tries to serve now over its keys in order.
//! Served: it replies as Redis does and propagates the non-blocking command
//! it amounted to (BLPOP → `LPOP key`, BLMOVE → `LMOVE ...`, BLMPOP →
//! `LPOP key count`), so replicas never block. Nothing to serve: it sets
//! `ctx.block` to the keys and timeout and returns the timeout reply. The
//! runtime parks the client and runs the same handler again when one of the
//! keys is signalled ready, so an immediate serve and a wake-up share this
//! code; inside MULTI it sends the timeout reply at once.

use super::flags::*;
use super::lists::{end_name, list_mut, move_one, mpop_serve, parse_end, parse_mpop, pop_some};
use super::sets::numkeys_positions;
use super::{Args, Block, CmdError, CmdResult, CommandSpec, Ctx, Exec, NO_KEYS, Span, keys};
use crate::protocol::Reply;
use crate::util::parse_f64;
use bytes::Bytes;
use std::time::Duration;

/// A timeout in seconds as Redis's getTimeoutFromObjectOrReply reads it:
/// None = forever (0, or less than a millisecond, which truncates to 0).
/// Like Redis, a value whose milliseconds overflow is "negative".
pub(super) fn parse_timeout(arg: &[u8], now: u64) -> Result<Option<Duration>, CmdError> {
    let secs = parse_f64(arg).ok_or_else(|| CmdError::other("ERR timeout is not a float or out of range"))?;
    let ms = secs * 1000.0;
    // C's (long long) cast of an out-of-range double gives LLONG_MIN on x86.
    let ms = if ms >= 9_223_372_036_854_775_808.0 { i64::MIN } else { ms as i64 };
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    if ms > i64::MAX - now as i64 {
        return Err(CmdError::other("ERR timeout is out of range"));
    }
    Ok((ms > 0).then(|| Duration::from_millis(ms as u64)))
}

fn bpop_generic(ctx: &mut Ctx, args: &mut Args, front: bool) -> CmdResult {
    let argv = args.all();
    let (keys, last) = (&argv[1..argv.len() - 1], &argv[argv.len() - 1]);
    let timeout = parse_timeout(last, ctx.now)?;
    let now = ctx.now;
    for key in keys {
        if list_mut(ctx.db(), key, now)?.is_none() {
            continue;
        }
        let v = pop_some(ctx, key, 1, front)?
            .and_then(|v| v.into_iter().next())
            .expect("a live list has elements");
        ctx.propagate(|| vec![Bytes::from_static(if front { b"LPOP" } else { b"RPOP" }), key.clone()]);
        return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(v)]));
    }
    ctx.block = Some(Block { keys: keys.to_vec(), timeout });
    Ok(Reply::NilArray)
}

/// BLPOP key [key ...] timeout
fn blpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bpop_generic(ctx, args, true)
}

/// BRPOP key [key ...] timeout
fn brpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bpop_generic(ctx, args, false)
}

/// The body of BLMOVE and BRPOPLPUSH once parsed: serve now, or block on
/// `src`. `effect` is what replicas get when it serves.
fn blmove_generic(
    ctx: &mut Ctx,
    src: &Bytes,
    dst: &Bytes,
    ends: (bool, bool),
    timeout: Option<Duration>,
    effect: Vec<Bytes>,
) -> CmdResult {
    match move_one(ctx, src, dst, ends.0, ends.1)? {
        Some(v) => {
            ctx.propagate(|| effect);
            Ok(Reply::Bulk(v))
        }
        None => {
            ctx.block = Some(Block { keys: vec![src.clone()], timeout });
            Ok(Reply::Nil)
        }
    }
}

/// BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout
fn blmove(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (src, dst) = (args.next()?, args.next()?);
    let (from, to) = (parse_end(args.next()?)?, parse_end(args.next()?)?);
    let timeout = parse_timeout(args.next()?, ctx.now)?;
    args.finish()?;
    let effect = vec![Bytes::from_static(b"LMOVE"), src.clone(), dst.clone(), end_name(from), end_name(to)];
    blmove_generic(ctx, src, dst, (from, to), timeout, effect)
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (src, dst) = (args.next()?, args.next()?);
    let timeout = parse_timeout(args.next()?, ctx.now)?;
    args.finish()?;
    let effect = vec![Bytes::from_static(b"RPOPLPUSH"), src.clone(), dst.clone()];
    blmove_generic(ctx, src, dst, (false, true), timeout, effect)
}

/// BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count] — the
/// timeout is checked after the other arguments, as Redis does.
fn blmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.all();
    let m = parse_mpop(argv, 2)?;
    let timeout = parse_timeout(&argv[1], ctx.now)?;
    if let Some(r) = mpop_serve(ctx, &m)? {
        return Ok(r);
    }
    ctx.block = Some(Block { keys: m.keys.to_vec(), timeout });
    Ok(Reply::NilArray)
}

/// Key positions of BLMPOP (numkeys at 2).
fn blmpop_keys(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 2, None)
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, keys(1, -2, 1), Exec::Shard(blpop), "list", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, keys(1, -2, 1), Exec::Shard(brpop), "list", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys(1, 2, 1), Exec::Shard(blmove), "list", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.").span(Span::Coordinated),
    CommandSpec::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys(1, 2, 1), Exec::Shard(brpoplpush), "list", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("blmpop", -5, WRITE | BLOCKING, NO_KEYS, Exec::Shard(blmpop), "list", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.").keys_fn(blmpop_keys).span(Span::Coordinated),
];

#[cfg(test)]
mod tests {
    use super::super::lists::script::{effects, run, script};
    use bytes::Bytes;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn blocking_serves_or_blocks() {
        script(&["RPUSH b 1 2 => :2; RPUSH c x => :1"], |ctx| {
            assert_eq!(run(ctx, "BLPOP a b 0"), "[$b,$1]");
            assert_eq!(effects(ctx), Some(vec!["LPOP b".to_string()]));
            assert_eq!(ctx.block, None);
            assert_eq!(run(ctx, "BRPOP a b c 1.5"), "[$b,$2]");
            assert_eq!(effects(ctx), Some(vec!["RPOP b".to_string()]));
            assert_eq!(run(ctx, "BLPOP a b 1.5"), "*nil");
            let block = ctx.block.clone().expect("blocked");
            assert_eq!(block.keys, [Bytes::from("a"), Bytes::from("b")]);
            assert_eq!(block.timeout, Some(std::time::Duration::from_millis(1500)));
            assert_eq!(run(ctx, "BLPOP a 0"), "*nil");
            assert_eq!(ctx.block.as_ref().unwrap().timeout, None, "0 = forever");
            assert_eq!(run(ctx, "BLPOP a 0.0001"), "*nil");
            assert_eq!(ctx.block.as_ref().unwrap().timeout, None, "under 1 ms truncates to forever");
            assert_eq!(run(ctx, "BLMOVE c d RIGHT LEFT 0"), "$x");
            assert_eq!(effects(ctx), Some(vec!["LMOVE c d RIGHT LEFT".to_string()]));
            assert_eq!(run(ctx, "BRPOPLPUSH d e 0"), "$x");
            assert_eq!(effects(ctx), Some(vec!["RPOPLPUSH d e".to_string()]));
            assert_eq!(run(ctx, "BRPOPLPUSH d e 2"), "nil");
            assert_eq!(ctx.block.as_ref().unwrap().keys, [Bytes::from("d")]);
            assert_eq!(run(ctx, "BLMOVE d e LEFT LEFT 0"), "nil");
            assert_eq!(run(ctx, "BLMPOP 0 2 a e LEFT COUNT 2"), "[$e,[$x]]");
            assert_eq!(effects(ctx), Some(vec!["LPOP e 1".to_string()]));
            assert_eq!(run(ctx, "BLMPOP 3 2 a e RIGHT"), "*nil");
            assert_eq!(ctx.block.as_ref().unwrap().keys, [Bytes::from("a"), Bytes::from("e")]);
            // A real clock, so that "now + timeout" can overflow.
            ctx.now = 1_700_000_000_000;
            for (cmd, err) in [
                ("BLPOP a -1", "-ERR timeout is negative"),
                ("BLPOP a x", "-ERR timeout is not a float or out of range"),
                ("BLPOP a inf", "-ERR timeout is negative"),
                ("BLPOP a 1e16", "-ERR timeout is negative"),
                ("BLPOP a 9223372036000000", "-ERR timeout is out of range"),
                ("BLMOVE a b UP LEFT -1", "-ERR syntax error"),
                ("BLMOVE a b LEFT LEFT x", "-ERR timeout is not a float or out of range"),
                ("BRPOPLPUSH a b -1", "-ERR timeout is negative"),
                ("BLMPOP -1 0 a LEFT", "-ERR numkeys should be greater than 0"),
                ("BLMPOP -1 1 a LEFT", "-ERR timeout is negative"),
                ("BLMPOP 0 1 a MIDDLE", "-ERR syntax error"),
                ("BLMPOP 0 1 a LEFT COUNT 0", "-ERR count should be greater than 0"),
                ("BLMPOP 0 2 a", "-ERR wrong number of arguments for 'blmpop' command"),
            ] {
                assert_eq!(run(ctx, cmd), err, "{cmd}");
                assert_eq!(ctx.block, None, "{cmd} does not block");
            }
            run(ctx, "SET s x");
            assert_eq!(run(ctx, "BLPOP s 0"), WRONGTYPE);
            assert_eq!(run(ctx, "BLMOVE s a LEFT LEFT 0"), WRONGTYPE);
            run(ctx, "RPUSH f 1");
            assert_eq!(run(ctx, "BLMOVE f s LEFT LEFT 0"), WRONGTYPE);
            assert_eq!(run(ctx, "BLPOP f s 0"), "[$f,$1]", "a servable key before the wrong one");
            assert_eq!(run(ctx, "BLPOP s f 0"), WRONGTYPE);
        });
    }
}
