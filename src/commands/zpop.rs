//! Sorted set pops: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN,
//! BZPOPMAX, BZMPOP, which share one pop and one ZMPOP parser.
//!
//! Blocking commands try to serve at once; when nothing can be served they
//! set `ctx.block` and the runtime runs them again when a key is signalled
//! (the adding writes in `zsets.rs` signal) or answers nil at the timeout.
//!
//! Replication: BZPOPMIN/BZPOPMAX are propagated as ZPOPMIN/ZPOPMAX of the
//! key they served, and ZMPOP/BZMPOP as `ZPOPMIN|ZPOPMAX key count`, as Redis
//! does, so replicas neither block nor depend on which key was ready first.

use super::flags::*;
use super::sets::{numkeys, numkeys_positions, positive_count};
use super::zsets::{scored, write_zset};
use super::{Args, Block, CmdError, CmdResult, CommandSpec, Ctx, Exec, NO_KEYS, Span, keys};
use crate::protocol::Reply;
use crate::util::{parse_f64, parse_i64};
use bytes::Bytes;
use std::time::Duration;

/// Members taken out of a sorted set, with their scores.
type Popped = Vec<(Vec<u8>, f64)>;

/// Pops up to `count` members from the sorted set at `key` (deleting it
/// when emptied). None when the key is missing.
fn pop(ctx: &mut Ctx, key: &[u8], max: bool, count: usize) -> Result<Option<Popped>, CmdError> {
    let now = ctx.now;
    let db = ctx.db();
    let Some(z) = write_zset(db, key, now)? else { return Ok(None) };
    let n = count.min(z.len());
    let popped: Popped = (0..n).map_while(|_| z.pop(max)).collect();
    if z.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += popped.len() as u64;
    Ok(Some(popped))
}

fn zpop_generic(ctx: &mut Ctx, args: &mut Args, max: bool) -> CmdResult {
    let key = args.key()?;
    let count = match args.is_empty() {
        true => None,
        false => Some(positive_count(args.next()?)?),
    };
    args.finish()?;
    let popped = pop(ctx, key, max, count.unwrap_or(1))?.unwrap_or_default();
    Ok(match count {
        // Without a count the reply is `[member, score]` in RESP3 too.
        None => Reply::Array(
            popped.into_iter().flat_map(|(m, s)| [Reply::Bulk(m.into()), Reply::Double(s)]).collect(),
        ),
        Some(_) => scored(popped.iter().map(|(m, s)| (&m[..], *s)), true),
    })
}

/// ZPOPMIN key [count]
fn zpopmin(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zpop_generic(ctx, args, false)
}

/// ZPOPMAX key [count]
fn zpopmax(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zpop_generic(ctx, args, true)
}

/// A blocking command's timeout in seconds (0 = forever), as Redis's
/// getTimeoutFromObjectOrReply: rounded up to milliseconds.
fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, CmdError> {
    let secs = parse_f64(arg).ok_or_else(|| CmdError::other("ERR timeout is not a float or out of range"))?;
    let ms = (secs * 1000.0).ceil();
    if ms > i64::MAX as f64 {
        return Err(CmdError::other("ERR timeout is out of range"));
    }
    if ms < 0.0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    Ok((ms > 0.0).then(|| Duration::from_millis(ms as u64)))
}

fn pop_name(max: bool) -> Bytes {
    Bytes::from_static(if max { b"ZPOPMAX" } else { b"ZPOPMIN" })
}

fn bzpop_generic(ctx: &mut Ctx, args: &mut Args, max: bool) -> CmdResult {
    let argv = args.all();
    let timeout = parse_timeout(&argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    for key in keys {
        if let Some((m, s)) = pop(ctx, key, max, 1)?.and_then(|p| p.into_iter().next()) {
            ctx.propagate(|| vec![pop_name(max), key.clone()]);
            return Ok(Reply::Array(vec![
                Reply::Bulk(key.clone()),
                Reply::Bulk(Bytes::from(m)),
                Reply::Double(s),
            ]));
        }
    }
    ctx.block = Some(Block { keys: keys.to_vec(), timeout });
    Ok(Reply::NilArray)
}

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bzpop_generic(ctx, args, false)
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    bzpop_generic(ctx, args, true)
}

/// What ZMPOP/BZMPOP pop: from the first non-empty of `keys`, up to `count`
/// members from the top (`max`) or the bottom.
struct Mpop<'a> {
    keys: &'a [Bytes],
    max: bool,
    count: usize,
}

/// `numkeys key [key ...] MIN | MAX [COUNT count]` from `argv[at]`.
fn parse_mpop(argv: &[Bytes], at: usize) -> Result<Mpop<'_>, CmdError> {
    let n = numkeys(argv, at)?;
    let where_at = at + 1 + n;
    let max = match argv.get(where_at) {
        Some(w) if w.eq_ignore_ascii_case(b"MIN") => false,
        Some(w) if w.eq_ignore_ascii_case(b"MAX") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = None;
    let mut i = where_at + 1;
    while i < argv.len() {
        if count.is_none() && argv[i].eq_ignore_ascii_case(b"COUNT") && i + 1 < argv.len() {
            let bad = || CmdError::other("ERR count should be greater than 0");
            let c = parse_i64(&argv[i + 1]).filter(|&c| c >= 1).ok_or_else(bad)?;
            count = Some(c as usize);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(Mpop { keys: &argv[at + 1..where_at], max, count: count.unwrap_or(1) })
}

/// Serves ZMPOP/BZMPOP from the first non-empty key: `[key, [[m, s], ...]]`.
fn mpop_serve(ctx: &mut Ctx, keys: &[Bytes], max: bool, count: usize) -> Result<Option<Reply>, CmdError> {
    for key in keys {
        let Some(popped) = pop(ctx, key, max, count)? else { continue };
        ctx.propagate(|| vec![pop_name(max), key.clone(), Bytes::from(count.to_string())]);
        let items = popped
            .into_iter()
            .map(|(m, s)| Reply::Array(vec![Reply::Bulk(Bytes::from(m)), Reply::Double(s)]));
        return Ok(Some(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(items.collect())])));
    }
    Ok(None)
}

/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
fn zmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let p = parse_mpop(args.all(), 1)?;
    Ok(mpop_serve(ctx, p.keys, p.max, p.count)?.unwrap_or(Reply::NilArray))
}

/// BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
fn bzmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.all();
    let p = parse_mpop(argv, 2)?;
    let timeout = parse_timeout(&argv[1])?;
    if let Some(r) = mpop_serve(ctx, p.keys, p.max, p.count)? {
        return Ok(r);
    }
    ctx.block = Some(Block { keys: p.keys.to_vec(), timeout });
    Ok(Reply::NilArray)
}

fn numkeys_at_1(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 1, None)
}

fn numkeys_at_2(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 2, None)
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zpopmin", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(zpopmin), "sorted-set", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("zpopmax", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(zpopmax), "sorted-set", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys(1, -2, 1), Exec::Shard(bzpopmin), "sorted-set", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys(1, -2, 1), Exec::Shard(bzpopmax), "sorted-set", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("zmpop", -4, WRITE, NO_KEYS, Exec::Shard(zmpop), "sorted-set", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.").keys_fn(numkeys_at_1).span(Span::Coordinated),
    CommandSpec::new("bzmpop", -5, WRITE | BLOCKING, NO_KEYS, Exec::Shard(bzmpop), "sorted-set", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.").keys_fn(numkeys_at_2).span(Span::Coordinated),
];

#[cfg(test)]
mod tests {
    use super::super::sets::tests::{effects, run, script};
    use super::*;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn wrong_types() {
        script(&["SET str x => OK"], |ctx| {
            for cmd in [
                "ZPOPMIN str",
                "ZPOPMIN str 0",
                "ZPOPMAX str 2",
                "BZPOPMIN str 0",
                "BZPOPMAX str 0",
                "ZMPOP 1 str MIN",
                "BZMPOP 0 1 str MAX",
            ] {
                assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
            }
        });
    }

    #[test]
    fn pops() {
        script(
            &[
                "ZADD z 1 a 2 b 3 c => :3; ZPOPMIN z => [$a,,1]; ZPOPMAX z 5 => [$c,,3,$b,,2]; EXISTS z => :0",
                "ZPOPMIN z => []; ZPOPMIN z 0 => []; ZPOPMIN z -1 => -ERR value is out of range, must be positive",
                "ZPOPMIN z x => -ERR value is out of range, must be positive; ZPOPMIN z 1 2 => -ERR syntax error",
                "ZADD z 1 a 2 b 3 c => :3; ZPOPMIN z 0 => []; ZMPOP 2 nokey z MAX COUNT 2 => [$z,[[$c,,3],[$b,,2]]]",
                "ZMPOP 1 nokey MIN => nilarr; ZMPOP 0 z MIN => -ERR numkeys should be greater than 0",
                "ZMPOP 1 z FOO => -ERR syntax error; ZMPOP 1 z MIN COUNT 0 => -ERR count should be greater than 0",
                "ZMPOP 1 z MIN COUNT x => -ERR count should be greater than 0; ZMPOP 2 z MIN => -ERR syntax error",
                "ZMPOP 1 z MIN COUNT 1 COUNT 1 => -ERR syntax error; ZMPOP 1 z min => [$z,[[$a,,1]]]",
            ],
            |ctx| {
                assert_eq!(effects(ctx), vec!["ZPOPMIN z 1"]);
                assert_eq!(run(ctx, "EXISTS z"), ":0");
            },
        );
    }

    #[test]
    fn blocking_pops() {
        script(
            &[
                "ZADD z 1 a 2 b => :2; BZPOPMIN nokey z 0 => [$z,$a,,1]",
                "BZPOPMAX z 1 => [$z,$b,,2]; BZPOPMIN z 0.5 => nilarr",
                "BZPOPMIN z x => -ERR timeout is not a float or out of range; BZPOPMIN z -1 => -ERR timeout is negative",
                "BZPOPMIN z inf => -ERR timeout is out of range",
                "BZMPOP x 1 z MIN => -ERR timeout is not a float or out of range",
                "BZMPOP 0 0 z MIN => -ERR numkeys should be greater than 0; BZMPOP 0 1 z FOO => -ERR syntax error",
            ],
            |ctx| {
                let block = |ctx: &Ctx| ctx.block.clone().map(|b| (b.keys, b.timeout));
                run(ctx, "BZPOPMIN k1 k2 1.5");
                let keys = vec![Bytes::from("k1"), Bytes::from("k2")];
                assert_eq!(block(ctx), Some((keys.clone(), Some(Duration::from_millis(1500)))));
                assert_eq!(run(ctx, "BZMPOP 0 2 k1 k2 MAX COUNT 3"), "nilarr");
                assert_eq!(block(ctx), Some((keys, None)));
                assert_eq!(run(ctx, "BZPOPMIN k 0.0001"), "nilarr");
                assert_eq!(block(ctx).unwrap().1, Some(Duration::from_millis(1)));
                // Served: replicated as the plain pop of the key that served.
                run(ctx, "ZADD k2 1 a 2 b 3 c");
                assert_eq!(run(ctx, "BZPOPMAX k1 k2 0"), "[$k2,$c,,3]");
                assert_eq!((effects(ctx), ctx.block.is_none()), (vec!["ZPOPMAX k2".to_string()], true));
                assert_eq!(run(ctx, "BZMPOP 0 2 k1 k2 MIN COUNT 5"), "[$k2,[[$a,,1],[$b,,2]]]");
                assert_eq!(effects(ctx), vec!["ZPOPMIN k2 5"]);
                assert_eq!(run(ctx, "EXISTS k2"), ":0");
            },
        );
    }
}
