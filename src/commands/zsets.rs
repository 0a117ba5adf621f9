//! Sorted set commands on one key: ZADD and friends, ranks and ranges (by
//! index, score or member), removals by range, pops (blocking ones too),
//! random members and ZSCAN. Range selections and ZRANGE's options are
//! parsed in `zrange.rs`; the multi-source algebra (ZUNION, ZINTER, ZDIFF,
//! their STORE forms, ZINTERCARD) is in `zsetops.rs`.
//!
//! Scores go out as `Reply::Double` (a bulk string in RESP2, formatted like
//! Redis; a double in RESP3). Every write that adds members calls
//! `signal_ready` so a client blocked in BZPOPMIN/BZMPOP on the key is
//! served. Blocking commands try to serve at once; when nothing can be
//! served they set `ctx.block` and the runtime runs them again when a key
//! is signalled (or answers nil at the timeout).
//!
//! Replication: deterministic writes go verbatim. BZPOPMIN/BZPOPMAX are
//! propagated as ZPOPMIN/ZPOPMAX of the key they served, and ZMPOP/BZMPOP
//! as `ZPOPMIN|ZPOPMAX key count`, as Redis does, so replicas neither block
//! nor depend on which key was ready first.

use super::flags::*;
use super::sets::{numkeys, numkeys_positions, positive_count, random, random_count, reply_vec};
use super::sets::{scan_cursor, scan_opts, scan_reply};
use super::zrange::{By, LexRange, ScoreRange, Sel, parse_range};
use super::{Args, Block, CmdError, CmdResult, CommandSpec, Ctx, Exec, NO_KEYS, Span, keys};
use crate::keyspace::{Db, Value, ZSet};
use crate::protocol::{Reply, format_double};
use crate::util::{glob_match, parse_f64, parse_i64};
use bytes::Bytes;
use std::time::Duration;

fn as_zset(v: Option<&Value>) -> Result<Option<&ZSet>, CmdError> {
    match v {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The sorted set at `key` for a read command (counts a hit or miss).
pub(super) fn read_zset<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a ZSet>, CmdError> {
    as_zset(ctx.lookup_read(key))
}

/// The sorted set at `key` for a write command.
pub(super) fn write_zset<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<Option<&'a mut ZSet>, CmdError> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn bulk(m: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(m))
}

/// Members, with their scores when asked, as Redis answers WITHSCORES: a
/// flat `[member, score, ...]` array.
///
/// Redis 7 answers RESP3 clients with `[[member, score], ...]` instead; a
/// handler does not know the protocol, so that needs a reply variant that
/// encodes as pairs in RESP3 and flat in RESP2. Until it exists RESP3
/// clients get the RESP2 shape (with RESP3 doubles).
pub(super) fn scored<'a>(items: impl Iterator<Item = (&'a [u8], f64)>, withscores: bool) -> Reply {
    let out = Vec::with_capacity(items.size_hint().0 * (1 + withscores as usize));
    scored_into(out, items, withscores)
}

fn scored_into<'a>(
    mut out: Vec<Reply>,
    items: impl Iterator<Item = (&'a [u8], f64)>,
    withscores: bool,
) -> Reply {
    if withscores {
        // Nested [member, score] pairs for RESP3 clients, flat for RESP2.
        return Reply::Pairs(items.map(|(m, s)| (bulk(m), Reply::Double(s))).collect());
    }
    out.extend(items.map(|(m, _)| bulk(m)));
    Reply::Array(out)
}

/// Stores `pairs` at `dst` as a sorted set (compact if small enough), or
/// deletes `dst` when there are none; replies the count, as the STORE
/// commands do.
pub(super) fn store_zset<M: AsRef<[u8]>>(ctx: &mut Ctx, dst: &[u8], pairs: Vec<(M, f64)>) -> CmdResult {
    let (now, enc) = (ctx.now, ctx.enc);
    let n = pairs.len();
    let db = ctx.db();
    if n == 0 {
        if db.remove(dst, now).is_some() {
            ctx.dirty += 1;
        }
        return Ok(Reply::Int(0));
    }
    db.set(dst, Value::ZSet(ZSet::from_pairs(pairs, &enc)));
    ctx.dirty += 1;
    ctx.signal_ready(dst);
    Ok(Reply::Int(n as i64))
}

/// A score argument, as Redis's getDoubleFromObject: a float that is not
/// NaN and does not overflow (`1e400` is an error; `inf` is a score).
pub(super) fn parse_score(arg: &[u8]) -> Option<f64> {
    let v = parse_f64(arg)?;
    (v.is_finite() || arg.iter().any(|c| c.eq_ignore_ascii_case(&b'i'))).then_some(v)
}

const NAN_SCORE: &str = "ERR resulting score is not a number (NaN)";

#[derive(Default)]
struct ZaddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What ZADD did to one member.
#[derive(PartialEq, Eq)]
enum Outcome {
    Added,
    Updated,
    /// Processed, but the score did not change.
    Same,
    /// Skipped by NX, XX, GT or LT.
    Nop,
}

/// One member of ZADD, as Redis's zsetAdd: returns the outcome and the
/// member's score afterwards.
fn zadd_one(
    z: &mut ZSet,
    m: &[u8],
    score: f64,
    f: &ZaddFlags,
    enc: &crate::keyspace::Encodings,
) -> Result<(Outcome, f64), CmdError> {
    let Some(cur) = z.score(m) else {
        if f.xx {
            return Ok((Outcome::Nop, score));
        }
        z.insert(m, score, enc);
        return Ok((Outcome::Added, score));
    };
    if f.nx {
        return Ok((Outcome::Nop, cur));
    }
    let new = if f.incr { score + cur } else { score };
    if new.is_nan() {
        return Err(CmdError::other(NAN_SCORE));
    }
    if (f.lt && new >= cur) || (f.gt && new <= cur) {
        return Ok((Outcome::Nop, cur));
    }
    // Equal scores (0 and -0 included) leave the member as it is.
    if new == cur {
        return Ok((Outcome::Same, cur));
    }
    z.insert(m, new, enc);
    Ok((Outcome::Updated, new))
}

/// ZADD and ZINCRBY (= ZADD key INCR increment member).
fn zadd_generic(ctx: &mut Ctx, args: &mut Args, incr: bool) -> CmdResult {
    let key = args.key()?;
    let mut f = ZaddFlags { incr, ..ZaddFlags::default() };
    loop {
        let flag = ["NX", "XX", "GT", "LT", "CH", "INCR"].into_iter().find(|w| args.flag(w));
        match flag {
            Some("NX") => f.nx = true,
            Some("XX") => f.xx = true,
            Some("GT") => f.gt = true,
            Some("LT") => f.lt = true,
            Some("CH") => f.ch = true,
            Some(_) => f.incr = true,
            None => break,
        }
    }
    let all = args.all();
    let rest = &all[all.len() - args.remaining()..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::other("ERR XX and NX options at the same time are not compatible"));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::other("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    let elems = rest.len() / 2;
    if f.incr && elems > 1 {
        return Err(CmdError::other("ERR INCR option supports a single increment-element pair"));
    }
    let pairs: Vec<(f64, &[u8])> = rest
        .chunks(2)
        .map(|p| Ok((parse_score(&p[0]).ok_or(CmdError::NotFloat)?, &p[1][..])))
        .collect::<Result<_, CmdError>>()?;
    let max_len = pairs.iter().map(|p| p.1.len()).max().unwrap_or(0);
    let none = if f.incr { Reply::Nil } else { Reply::Int(0) };
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    let mut fresh = None;
    let z = match write_zset(db, key, now)? {
        Some(z) => {
            z.reserve(elems, &enc);
            z
        }
        None if f.xx => return Ok(none),
        None => fresh.insert(ZSet::with_hint(elems, max_len, &enc)),
    };
    let (mut added, mut updated, mut processed, mut last) = (0i64, 0i64, 0, 0.0);
    let mut failed = None;
    for &(score, m) in &pairs {
        match zadd_one(z, m, score, &f, &enc) {
            Ok((o, s)) => {
                added += (o == Outcome::Added) as i64;
                updated += (o == Outcome::Updated) as i64;
                processed += (o != Outcome::Nop) as i64;
                last = s;
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if let Some(z) = fresh.filter(|z| !z.is_empty()) {
        db.set(key, Value::ZSet(z));
    }
    if let Some(e) = failed {
        return Err(e);
    }
    ctx.dirty += (added + updated) as u64;
    if added > 0 {
        ctx.signal_ready(key);
    }
    Ok(match (f.incr, processed > 0) {
        (true, true) => Reply::Double(last),
        (true, false) => none,
        (false, _) => Reply::Int(if f.ch { added + updated } else { added }),
    })
}

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zadd_generic(ctx, args, false)
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zadd_generic(ctx, args, true)
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let now = ctx.now;
    let db = ctx.db();
    let Some(z) = write_zset(db, key, now)? else { return Ok(Reply::Int(0)) };
    let mut removed = 0;
    for m in &args.all()[2..] {
        removed += z.remove(m).is_some() as i64;
    }
    if z.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += removed as u64;
    Ok(Reply::Int(removed))
}

/// ZCARD key
fn zcard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    Ok(Reply::Int(read_zset(ctx, key)?.map_or(0, ZSet::len) as i64))
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let m = args.next()?;
    args.finish()?;
    Ok(read_zset(ctx, key)?.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double))
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let members = &args.all()[2..];
    let z = read_zset(ctx, key)?;
    let score = |m: &Bytes| z.and_then(|z| z.score(m)).map_or(Reply::Nil, Reply::Double);
    Ok(Reply::Array(members.iter().map(score).collect()))
}

fn zrank_generic(ctx: &mut Ctx, args: &mut Args, rev: bool) -> CmdResult {
    let key = args.key()?;
    let m = args.next()?;
    if args.remaining() > 1 {
        return Err(CmdError::arity(&String::from_utf8_lossy(args.name())));
    }
    let withscore = match args.is_empty() {
        true => false,
        false if args.flag("WITHSCORE") => true,
        false => return Err(CmdError::Syntax),
    };
    let none = if withscore { Reply::NilArray } else { Reply::Nil };
    let Some(z) = read_zset(ctx, key)? else { return Ok(none) };
    let Some((rank, score)) = z.rank(m) else { return Ok(none) };
    let rank = if rev { z.len() - 1 - rank } else { rank } as i64;
    Ok(match withscore {
        true => Reply::Array(vec![Reply::Int(rank), Reply::Double(score)]),
        false => Reply::Int(rank),
    })
}

/// ZRANK key member [WITHSCORE]
fn zrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrank_generic(ctx, args, false)
}

/// ZREVRANK key member [WITHSCORE]
fn zrevrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrank_generic(ctx, args, true)
}

fn zrange_generic(ctx: &mut Ctx, args: &mut Args, by: Option<By>, rev: Option<bool>) -> CmdResult {
    let key = args.key()?;
    let req = parse_range(args, by, rev, false)?;
    let Some(z) = read_zset(ctx, key)? else { return Ok(Reply::Array(Vec::new())) };
    let (first, n) = req.sel.window(z, req.rev, req.offset, req.limit);
    Ok(scored(z.range(first, n, req.rev), req.withscores))
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
fn zrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, None, None)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
fn zrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Score), Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
fn zrevrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Score), Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
fn zrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Lex), Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
fn zrevrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Lex), Some(true))
}

/// ZREVRANGE key start stop [WITHSCORES]
fn zrevrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    zrange_generic(ctx, args, Some(By::Rank), Some(true))
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
fn zrangestore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let dst = args.key()?;
    let src = args.key()?;
    let req = parse_range(args, None, None, true)?;
    let pairs: Vec<(Vec<u8>, f64)> = match read_zset(ctx, src)? {
        None => Vec::new(),
        Some(z) => {
            let (first, n) = req.sel.window(z, req.rev, req.offset, req.limit);
            z.range(first, n, req.rev).map(|(m, s)| (m.to_vec(), s)).collect()
        }
    };
    store_zset(ctx, dst, pairs)
}

/// ZCOUNT key min max
fn zcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = ScoreRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    let (lo, hi) = read_zset(ctx, key)?.map_or((0, 0), |z| r.span(z));
    Ok(Reply::Int((hi - lo) as i64))
}

/// ZLEXCOUNT key min max
fn zlexcount(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = LexRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    let (lo, hi) = read_zset(ctx, key)?.map_or((0, 0), |z| r.span(z));
    Ok(Reply::Int((hi - lo) as i64))
}

/// ZREMRANGEBYRANK/SCORE/LEX: removes the ranks `sel` spans.
fn zremrange_generic(ctx: &mut Ctx, key: &[u8], sel: Sel) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let Some(z) = write_zset(db, key, now)? else { return Ok(Reply::Int(0)) };
    let (lo, hi) = sel.span(z, false);
    let doomed: Vec<Vec<u8>> = z.range(lo, hi - lo, false).map(|(m, _)| m.to_vec()).collect();
    for m in &doomed {
        z.remove(m);
    }
    if z.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += doomed.len() as u64;
    Ok(Reply::Int(doomed.len() as i64))
}

/// ZREMRANGEBYRANK key start stop
fn zremrangebyrank(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let (start, stop) = (args.i64()?, args.i64()?);
    args.finish()?;
    zremrange_generic(ctx, key, Sel::Rank(start, stop))
}

/// ZREMRANGEBYSCORE key min max
fn zremrangebyscore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = ScoreRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    zremrange_generic(ctx, key, Sel::Score(r))
}

/// ZREMRANGEBYLEX key min max
fn zremrangebylex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let r = LexRange::parse(args.next()?, args.next()?)?;
    args.finish()?;
    zremrange_generic(ctx, key, Sel::Lex(r))
}

/// Pops up to `count` members from the sorted set at `key` (deleting it
/// when emptied). None when the key is missing.
/// Members taken out of a sorted set, with their scores.
type Popped = Vec<(Vec<u8>, f64)>;

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
pub(super) fn parse_timeout(arg: &[u8]) -> Result<Option<Duration>, CmdError> {
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

/// ZRANDMEMBER key [count [WITHSCORES]] — a negative count may repeat members.
fn zrandmember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    if args.is_empty() {
        let z = read_zset(ctx, key)?;
        let m = z.and_then(|z| z.random_members(1, true, &mut random).pop());
        return Ok(m.map_or(Reply::Nil, |(m, _)| bulk(m)));
    }
    let count = random_count(args.next()?)?;
    let withscores = match args.remaining() {
        0 => false,
        1 if args.flag("WITHSCORES") => true,
        _ => return Err(CmdError::Syntax),
    };
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::other("ERR value is out of range"));
    }
    let Some(z) = read_zset(ctx, key)? else { return Ok(Reply::Array(Vec::new())) };
    let n = count.unsigned_abs() as usize;
    let want = if count < 0 { n } else { n.min(z.len()) };
    let out = reply_vec(want.saturating_mul(1 + withscores as usize))?;
    let picked = z.random_members(n, count >= 0, &mut random);
    Ok(scored_into(out, picked.into_iter(), withscores))
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count] — scores as strings.
fn zscan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let cursor = scan_cursor(args.next()?)?;
    let Some(z) = read_zset(ctx, key)? else { return Ok(scan_reply(0, Vec::new())) };
    let o = scan_opts(args)?;
    let mut items = Vec::new();
    let next = z.scan(cursor, o.count, |m, s| {
        if o.pattern.is_none_or(|p| glob_match(p, m, false)) {
            items.push(bulk(m));
            items.push(Reply::Bulk(Bytes::from(format_double(s))));
        }
    });
    Ok(scan_reply(next, items))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("zadd", -4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(zadd), "sorted-set", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist."),
    CommandSpec::new("zincrby", 4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(zincrby), "sorted-set", "Increments the score of a member in a sorted set."),
    CommandSpec::new("zrem", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(zrem), "sorted-set", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zcard", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zcard), "sorted-set", "Returns the number of members in a sorted set."),
    CommandSpec::new("zscore", 3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zscore), "sorted-set", "Returns the score of a member in a sorted set."),
    CommandSpec::new("zmscore", -3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zmscore), "sorted-set", "Returns the score of one or more members in a sorted set."),
    CommandSpec::new("zrank", -3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zrank), "sorted-set", "Returns the index of a member in a sorted set ordered by ascending scores."),
    CommandSpec::new("zrevrank", -3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zrevrank), "sorted-set", "Returns the index of a member in a sorted set ordered by descending scores."),
    CommandSpec::new("zcount", 4, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zcount), "sorted-set", "Returns the count of members in a sorted set that have scores within a range."),
    CommandSpec::new("zlexcount", 4, READONLY | FAST, keys(1, 1, 1), Exec::Shard(zlexcount), "sorted-set", "Returns the number of members in a sorted set within a lexicographical range."),
    CommandSpec::new("zrange", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrange), "sorted-set", "Returns members in a sorted set within a range of indexes."),
    CommandSpec::new("zrangebyscore", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrangebyscore), "sorted-set", "Returns members in a sorted set within a range of scores."),
    CommandSpec::new("zrevrangebyscore", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrevrangebyscore), "sorted-set", "Returns members in a sorted set within a range of scores in reverse order."),
    CommandSpec::new("zrangebylex", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrangebylex), "sorted-set", "Returns members in a sorted set within a lexicographical range."),
    CommandSpec::new("zrevrangebylex", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrevrangebylex), "sorted-set", "Returns members in a sorted set within a lexicographical range in reverse order."),
    CommandSpec::new("zrevrange", -4, READONLY, keys(1, 1, 1), Exec::Shard(zrevrange), "sorted-set", "Returns members in a sorted set within a range of indexes in reverse order."),
    CommandSpec::new("zrangestore", -5, WRITE | DENYOOM, keys(1, 2, 1), Exec::Shard(zrangestore), "sorted-set", "Stores a range of members from sorted set in a key.").span(Span::Coordinated),
    CommandSpec::new("zremrangebyrank", 4, WRITE, keys(1, 1, 1), Exec::Shard(zremrangebyrank), "sorted-set", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zremrangebyscore", 4, WRITE, keys(1, 1, 1), Exec::Shard(zremrangebyscore), "sorted-set", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zremrangebylex", 4, WRITE, keys(1, 1, 1), Exec::Shard(zremrangebylex), "sorted-set", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed."),
    CommandSpec::new("zpopmin", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(zpopmin), "sorted-set", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("zpopmax", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(zpopmax), "sorted-set", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped."),
    CommandSpec::new("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys(1, -2, 1), Exec::Shard(bzpopmin), "sorted-set", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, keys(1, -2, 1), Exec::Shard(bzpopmax), "sorted-set", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("zmpop", -4, WRITE, NO_KEYS, Exec::Shard(zmpop), "sorted-set", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped.").keys_fn(numkeys_at_1).span(Span::Coordinated),
    CommandSpec::new("bzmpop", -5, WRITE | BLOCKING, NO_KEYS, Exec::Shard(bzmpop), "sorted-set", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped.").keys_fn(numkeys_at_2).span(Span::Coordinated),
    CommandSpec::new("zrandmember", -2, READONLY, keys(1, 1, 1), Exec::Shard(zrandmember), "sorted-set", "Returns one or more random members from a sorted set."),
    CommandSpec::new("zscan", -3, READONLY, keys(1, 1, 1), Exec::Shard(zscan), "sorted-set", "Iterates over members and scores of a sorted set."),
];

#[cfg(test)]
mod tests {
    use super::super::sets::tests::{effects, encoding, run, script};
    use super::*;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn zadd_flags_and_replies() {
        script(
            &[
                "ZADD z 1 a 2 b => :2; ZADD z 1 a => :0; ZADD z CH 5 a 2 b 3 c => :2; ZSCORE z a => ,5",
                "ZADD z NX 10 a 4 d => :1; ZSCORE z a => ,5; ZADD z XX 10 a 7 e => :0; ZSCORE z a => ,10",
                "ZSCORE z e => nil; ZADD z XX CH 11 a => :1; ZADD z GT CH 3 a 20 b => :1; ZSCORE z a => ,11",
                "ZADD z LT CH 30 b 1 c => :1; ZADD z GT 5 new => :1; ZADD z INCR 2 a => ,13",
                "ZINCRBY z -3 a => ,10; ZINCRBY z 1.5 fresh => ,1.5; ZADD z NX INCR 1 a => nil",
                "ZADD z XX INCR 1 nope => nil; ZADD z GT INCR -1 a => nil; ZADD z LT INCR -1 a => ,9",
                "ZADD z INCR 0 a => ,9; ZADD z CH 9 a => :0; ZADD z -0 zero => :1; ZSCORE z zero => ,0",
                "ZADD z 0 zero => :0; ZADD nokey XX 1 a => :0; EXISTS nokey => :0; ZADD nokey XX INCR 1 a => nil",
                "ZADD inf +inf a => :1; ZINCRBY inf -inf a => -ERR resulting score is not a number (NaN)",
                "ZSCORE inf a => ,inf; ZADD z nx 1 => -ERR syntax error; ZINCRBY z nx 1 => -ERR syntax error",
                "ZADD z 1e400 a => -ERR value is not a valid float; ZADD z 1 a 2 => -ERR syntax error",
                "ZADD z x a => -ERR value is not a valid float; ZADD z nan a => -ERR value is not a valid float",
                "ZINCRBY z x a => -ERR value is not a valid float",
                "ZADD z NX XX 1 a => -ERR XX and NX options at the same time are not compatible",
                "ZADD z NX GT 1 a => -ERR GT, LT, and/or NX options at the same time are not compatible",
                "ZADD z GT LT 1 a => -ERR GT, LT, and/or NX options at the same time are not compatible",
                "ZADD z INCR 1 a 2 b => -ERR INCR option supports a single increment-element pair",
                "ZADD z NX XX 1 => -ERR syntax error; ZADD z 1 => -ERR wrong number of arguments for 'zadd' command",
                "ZRANGE z 0 -1 WITHSCORES => [$zero,,0,$c,,1,$fresh,,1.5,$d,,4,$new,,5,$a,,9,$b,,20]",
            ],
            |ctx| assert_eq!(encoding(ctx, "z"), "listpack"),
        );
    }

    #[test]
    fn wrong_types() {
        script(&["SET str x => OK; SADD s a => :1"], |ctx| {
            for cmd in [
                "ZADD str 1 a",
                "ZINCRBY str 1 a",
                "ZREM str a",
                "ZCARD str",
                "ZSCORE str a",
                "ZMSCORE str a",
                "ZRANK str a",
                "ZREVRANK str a",
                "ZCOUNT str 0 1",
                "ZLEXCOUNT str - +",
                "ZRANGE str 0 1",
                "ZRANGEBYSCORE str 0 1",
                "ZREVRANGEBYSCORE str 1 0",
                "ZRANGEBYLEX str - +",
                "ZREVRANGEBYLEX str + -",
                "ZREVRANGE str 0 1",
                "ZRANGESTORE d str 0 1",
                "ZREMRANGEBYRANK str 0 1",
                "ZREMRANGEBYSCORE str 0 1",
                "ZREMRANGEBYLEX str - +",
                "ZPOPMIN str",
                "ZPOPMIN str 0",
                "ZPOPMAX str 2",
                "BZPOPMIN str 0",
                "BZPOPMAX str 0",
                "ZMPOP 1 str MIN",
                "BZMPOP 0 1 str MAX",
                "ZRANDMEMBER str",
                "ZRANDMEMBER str 2",
                "ZSCAN str 0",
                "ZADD s 1 a",
                "ZCARD s",
            ] {
                assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
            }
        });
    }

    #[test]
    fn reads_and_ranks() {
        script(
            &[
                "ZADD z 1 a 2 b 3 c => :3; ZCARD z => :3; ZCARD nokey => :0; ZSCORE nokey a => nil",
                "ZMSCORE z a nope b => [,1,nil,,2]; ZMSCORE nokey a => [nil]; ZRANK z a => :0",
                "ZREVRANK z a => :2; ZRANK z nope => nil; ZRANK nokey a => nil",
                "ZRANK z c WITHSCORE => [:2,,3]; ZREVRANK z c withscore => [:0,,3]",
                "ZRANK z nope WITHSCORE => nilarr; ZRANK nokey a WITHSCORE => nilarr",
                "ZRANK z a foo => -ERR syntax error",
                "ZRANK z a WITHSCORE x => -ERR wrong number of arguments for 'zrank' command",
                "ZREM z a nope => :1; ZREM nokey a => :0; ZREM z b c => :2; EXISTS z => :0",
            ],
            |_| {},
        );
    }

    #[test]
    fn ranges_by_rank_score_and_lex() {
        script(
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e => :5; ZRANGE z 0 -1 => [$a,$b,$c,$d,$e]",
                "ZRANGE z 1 2 WITHSCORES => [$b,,2,$c,,3]; ZRANGE z -2 -1 => [$d,$e]; ZRANGE z 3 1 => []",
                "ZRANGE z 5 10 => []; ZRANGE z -100 1 => [$a,$b]; ZRANGE z 0 -1 REV => [$e,$d,$c,$b,$a]",
                "ZRANGE z 0 1 rev withscores => [$e,,5,$d,,4]; ZREVRANGE z 0 1 => [$e,$d]",
                "ZRANGE z 2 4 BYSCORE => [$b,$c,$d]; ZRANGE z (2 4 BYSCORE => [$c,$d]",
                "ZRANGE z 2 (4 BYSCORE => [$b,$c]; ZRANGE z -inf +inf BYSCORE LIMIT 1 2 => [$b,$c]",
                "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES => [$d,,4,$c,,3]",
                "ZRANGE z 4 2 BYSCORE REV => [$d,$c,$b]; ZRANGE z 0 -1 BYSCORE LIMIT -1 2 => []",
                "ZRANGE z -inf +inf BYSCORE LIMIT 2 -1 => [$c,$d,$e]; ZRANGE z -inf +inf BYSCORE LIMIT 0 0 => []",
                "ZRANGE z -inf +inf BYSCORE LIMIT 5 1 => []; ZRANGEBYSCORE z (1 (5 => [$b,$c,$d]",
                "ZRANGEBYSCORE z 3 3 WITHSCORES => [$c,,3]; ZRANGEBYSCORE z (3 3 => []",
                "ZREVRANGEBYSCORE z 4 2 LIMIT 1 5 => [$c,$b]",
                "ZCOUNT z 2 4 => :3; ZCOUNT z (2 (4 => :1; ZCOUNT z -inf +inf => :5; ZCOUNT z 5 1 => :0",
                "ZCOUNT nokey 1 2 => :0; ZCOUNT z ( ( => :0; ZCOUNT z '' 1 => :1",
                "ZCOUNT z nan 1 => -ERR min or max is not a float; ZCOUNT z 1x 5 => -ERR min or max is not a float",
                "ZRANGE nokey 0 -1 => []; ZRANGE nokey 0 -1 BYSCORE => []",
                "ZADD l 0 a 0 b 0 c 0 d 0 e => :5; ZRANGEBYLEX l - + => [$a,$b,$c,$d,$e]",
                "ZRANGEBYLEX l [b (d => [$b,$c]; ZRANGEBYLEX l (b [d => [$c,$d]; ZRANGEBYLEX l - [c LIMIT 1 1 => [$b]",
                "ZREVRANGEBYLEX l + - LIMIT 0 2 => [$e,$d]; ZREVRANGEBYLEX l [d (a => [$d,$c,$b]",
                "ZRANGE l [b [d BYLEX => [$b,$c,$d]; ZRANGE l [d [b BYLEX REV => [$d,$c,$b]; ZRANGEBYLEX l [ + => [$a,$b,$c,$d,$e]",
                "ZLEXCOUNT l - + => :5; ZLEXCOUNT l [b [b => :1; ZLEXCOUNT l (b [b => :0; ZLEXCOUNT l + - => :0",
                "ZLEXCOUNT l [c - => :0; ZLEXCOUNT l - - => :0; ZLEXCOUNT nokey - + => :0",
                "ZRANGEBYLEX l a b => -ERR min or max not valid string range item",
                "ZRANGEBYLEX l '' + => -ERR min or max not valid string range item",
                "ZLEXCOUNT l -a + => -ERR min or max not valid string range item",
            ],
            |_| {},
        );
    }

    #[test]
    fn score_arguments() {
        assert_eq!(parse_score(b"1e400"), None);
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"1.5"), Some(1.5));
    }

    #[test]
    fn range_option_errors() {
        script(
            &[
                "ZADD z 1 a => :1",
                "ZRANGEBYLEX z - + WITHSCORES => -ERR syntax error, WITHSCORES not supported in combination with BYLEX",
                "ZRANGE z 0 -1 LIMIT 0 1 => -ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
                "ZREVRANGE z 0 -1 LIMIT 0 1 => -ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
                "ZRANGE z 0 -1 LIMIT 0 -1 => [$a]",
                "ZRANGE z 0 -1 BYSCORE BYLEX => -ERR syntax error; ZRANGE z 0 -1 REV REV => -ERR syntax error",
                "ZRANGE z 0 -1 LIMIT 0 => -ERR syntax error",
                "ZRANGE z 0 -1 BYSCORE LIMIT x 1 => -ERR value is not an integer or out of range",
                "ZRANGEBYSCORE z 0 1 BYSCORE => -ERR syntax error; ZRANGEBYSCORE z 0 1 REV => -ERR syntax error",
                "ZRANGESTORE d z 0 -1 WITHSCORES => -ERR syntax error",
                "ZRANGE z a 1 => -ERR value is not an integer or out of range",
                "ZRANGE z a 1 BYSCORE => -ERR min or max is not a float",
                "ZRANGE nokey a 1 BYLEX => -ERR min or max not valid string range item",
            ],
            |_| {},
        );
    }

    #[test]
    fn rangestore_and_removals() {
        script(
            &[
                "ZADD z 1 a 2 b 3 c 4 d 5 e => :5; ZRANGESTORE d z 1 2 => :2; ZRANGE d 0 -1 WITHSCORES => [$b,,2,$c,,3]",
                "ZRANGESTORE d z 0 -1 BYSCORE LIMIT 1 1 => :0; EXISTS d => :0; ZRANGESTORE d z 5 3 BYSCORE REV => :3",
                "ZRANGE d 0 -1 => [$c,$d,$e]; ZRANGESTORE d nokey 0 -1 => :0; EXISTS d => :0",
                "SET str x => OK; ZRANGESTORE str z [a [b BYLEX => :2; TYPE str => +zset",
                "ZREMRANGEBYRANK z 0 1 => :2; ZRANGE z 0 -1 => [$c,$d,$e]; ZREMRANGEBYSCORE z (3 4 => :1",
                "ZRANGE z 0 -1 => [$c,$e]; ZREMRANGEBYRANK z 5 9 => :0; ZREMRANGEBYRANK nokey 0 -1 => :0",
                "ZREMRANGEBYRANK z 0 -1 => :2; EXISTS z => :0; ZADD l 0 a 0 b 0 c 0 d 0 e => :5",
                "ZREMRANGEBYLEX l [b (d => :2; ZRANGE l 0 -1 => [$a,$d,$e]; ZREMRANGEBYLEX l - + => :3; EXISTS l => :0",
                "ZREMRANGEBYRANK z x 1 => -ERR value is not an integer or out of range",
                "ZREMRANGEBYSCORE l x 1 => -ERR min or max is not a float",
                "ZREMRANGEBYLEX l x 1 => -ERR min or max not valid string range item",
            ],
            |_| {},
        );
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

    #[test]
    fn adds_signal_blocked_clients() {
        script(&[], |ctx| {
            ctx.ks.watched.insert((0, Bytes::from("w")));
            ctx.ks.watched.insert((0, Bytes::from("d")));
            run(ctx, "ZADD other 1 a");
            run(ctx, "ZADD w XX 1 a");
            assert!(ctx.ks.ready.is_empty());
            run(ctx, "ZADD w 1 a");
            run(ctx, "ZRANGESTORE d w 0 -1");
            let ready: Vec<&[u8]> = ctx.ks.ready.iter().map(|(_, k)| &k[..]).collect();
            assert_eq!(ready, vec![&b"w"[..], b"d"]);
        });
    }

    #[test]
    fn random_members() {
        script(
            &[
                "ZRANDMEMBER nokey => nil; ZRANDMEMBER nokey 3 => []; ZADD z 1 a => :1; ZRANDMEMBER z => $a",
                "ZRANDMEMBER z 0 => []; ZRANDMEMBER z 3 WITHSCORES => [$a,,1]; ZRANDMEMBER z -2 => [$a,$a]",
                "ZRANDMEMBER z 1 foo => -ERR syntax error; ZRANDMEMBER z x => -ERR value is not an integer or out of range",
                "ZRANDMEMBER z -9223372036854775808 => -ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                "ZRANDMEMBER z 4611686018427387904 WITHSCORES => -ERR value is out of range",
            ],
            |ctx| {
                let members: Vec<String> = (0..300).map(|i| format!("{i} m{i}")).collect();
                run(ctx, &format!("ZADD big {}", members.join(" ")));
                assert_eq!(encoding(ctx, "big"), "skiplist");
                assert_eq!(run(ctx, "ZRANDMEMBER big 20").matches('$').count(), 20);
                assert_eq!(run(ctx, "ZRANDMEMBER big -500").matches('$').count(), 500);
                let r = run(ctx, "ZRANDMEMBER big 400 WITHSCORES");
                assert_eq!((r.matches('$').count(), r.matches(",,").count()), (300, 300));
            },
        );
    }

    #[test]
    fn zscan() {
        script(
            &[
                "ZSCAN nokey 0 => [$0,[]]; ZADD z 1 a 2.5 b 3 x => :3; ZSCAN z 0 MATCH [ab] => [$0,[$a,$1,$b,$2.5]]",
                "ZSCAN z 0 COUNT 1 => [$0,[$a,$1,$b,$2.5,$x,$3]]; ZSCAN z x => -ERR invalid cursor",
                "ZSCAN z 0 COUNT 0 => -ERR syntax error",
            ],
            |ctx| {
                let members: Vec<String> = (0..500).map(|i| format!("{i} m{i}")).collect();
                run(ctx, &format!("ZADD big {}", members.join(" ")));
                let mut seen = std::collections::BTreeSet::new();
                let mut cursor = "0".to_string();
                loop {
                    let r = run(ctx, &format!("ZSCAN big {cursor} COUNT 20"));
                    let (c, items) = r[2..r.len() - 2].split_once(",[").unwrap();
                    cursor = c.to_string();
                    let items: Vec<&str> = items.split(',').collect();
                    for pair in items.chunks(2) {
                        assert_eq!(pair[0][2..], pair[1][1..], "score follows its member");
                        seen.insert(pair[0].to_string());
                    }
                    if cursor == "0" {
                        break;
                    }
                }
                assert_eq!(seen.len(), 500);
            },
        );
    }

    /// A large sorted set (skiplist) gives the same answers as a small one.
    #[test]
    fn large_sets_agree_with_small_ones() {
        script(&[], |ctx| {
            let members: Vec<String> = (0..400).map(|i| format!("{} m{i:03}", i % 37)).collect();
            run(ctx, &format!("ZADD big {}", members.join(" ")));
            ctx.enc.zset_max_listpack_entries = 1000;
            run(ctx, &format!("ZADD small {}", members.join(" ")));
            assert_eq!((encoding(ctx, "big"), encoding(ctx, "small")), ("skiplist", "listpack"));
            for q in [
                "ZRANGE {} 0 -1 WITHSCORES",
                "ZRANGE {} 17 90 REV",
                "ZRANGE {} (3 20 BYSCORE LIMIT 5 30",
                "ZRANGE {} 20 (3 BYSCORE REV LIMIT 2 50 WITHSCORES",
                "ZCOUNT {} 5 (9",
                "ZRANK {} m123",
                "ZREVRANK {} m123 WITHSCORE",
                "ZRANGEBYSCORE {} 36 +inf",
                "ZREVRANGE {} 0 5",
                "ZMSCORE {} m001 m399 nope",
            ] {
                assert_eq!(run(ctx, &q.replace("{}", "big")), run(ctx, &q.replace("{}", "small")), "{q}");
            }
            for q in
                ["ZREMRANGEBYSCORE {} 10 12", "ZREMRANGEBYRANK {} 100 150", "ZPOPMAX {} 3", "ZRANGE {} 0 -1"]
            {
                assert_eq!(run(ctx, &q.replace("{}", "big")), run(ctx, &q.replace("{}", "small")), "{q}");
            }
        });
    }
}
