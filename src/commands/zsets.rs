//! Sorted set commands on one key: ZADD and friends, ranks, random members
//! and ZSCAN, and what the other sorted set files share (type-checked
//! lookups, WITHSCORES replies, storing a result, score arguments). The
//! ZRANGE family (ranges, counts and removals by index, score or member) is
//! in `zrange.rs`, the pops (blocking ones too) in `zpop.rs`, and the
//! multi-source algebra (ZUNION, ZINTER, ZDIFF, their STORE forms,
//! ZINTERCARD) in `zsetops.rs`.
//!
//! Scores go out as `Reply::Double` (a bulk string in RESP2, formatted like
//! Redis; a double in RESP3). Every write that adds members calls
//! `signal_ready` so a client blocked in BZPOPMIN/BZMPOP on the key is
//! served. The writes here are deterministic and replicate verbatim.

use super::flags::*;
use super::sets::{random, random_count, reply_vec, scan_cursor, scan_opts, scan_reply};
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, keys};
use crate::keyspace::{Db, Value, ZSet};
use crate::protocol::{Reply, format_double};
use crate::util::{glob_match, parse_f64};
use bytes::Bytes;

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
    if f.incr && rest.len() > 2 {
        return Err(CmdError::other("ERR INCR option supports a single increment-element pair"));
    }
    let pairs: Vec<(f64, &[u8])> = rest
        .chunks(2)
        .map(|p| Ok((parse_score(&p[0]).ok_or(CmdError::NotFloat)?, &p[1][..])))
        .collect::<Result<_, CmdError>>()?;
    zadd_pairs(ctx, key, &f, &pairs)
}

/// ZADD of one borrowed score and member, without options: the
/// connection's fast path. None, with nothing done, when the score is no
/// float (an option, or an error the general path words).
pub fn zadd_borrowed(ctx: &mut Ctx, key: &[u8], score: &[u8], member: &[u8]) -> Option<Reply> {
    let score = parse_score(score)?;
    Some(zadd_pairs(ctx, key, &ZaddFlags::default(), &[(score, member)]).unwrap_or_else(Reply::from))
}

/// ZADD's work once its arguments are read.
fn zadd_pairs(ctx: &mut Ctx, key: &[u8], f: &ZaddFlags, pairs: &[(f64, &[u8])]) -> CmdResult {
    let elems = pairs.len();
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
    for &(score, m) in pairs {
        match zadd_one(z, m, score, f, &enc) {
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
    CommandSpec::new("zrandmember", -2, READONLY, keys(1, 1, 1), Exec::Shard(zrandmember), "sorted-set", "Returns one or more random members from a sorted set."),
    CommandSpec::new("zscan", -3, READONLY, keys(1, 1, 1), Exec::Shard(zscan), "sorted-set", "Iterates over members and scores of a sorted set."),
];

#[cfg(test)]
mod tests {
    use super::super::sets::tests::{encoding, run, script};
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
    fn score_arguments() {
        assert_eq!(parse_score(b"1e400"), None);
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"1.5"), Some(1.5));
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
