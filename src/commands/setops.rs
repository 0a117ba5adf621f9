//! Set commands over several keys: SMOVE and the algebra (SINTER, SUNION,
//! SDIFF, their STORE forms, SINTERCARD).
//!
//! They are `Span::Coordinated`: when their keys sit on several shards the
//! runtime gathers them into one scratch keyspace and the same single-shard
//! body runs there. The body only ever borrows one set at a time: results
//! are built in owned values. Everything here is deterministic and
//! replicates verbatim; a *STORE with an empty result deletes its
//! destination, as in Redis.

use super::flags::*;
use super::sets::{as_set, bulk, numkeys, numkeys_positions, write_set};
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, NO_KEYS, Span, keys};
use crate::keyspace::{Set, Value};
use crate::protocol::Reply;
use crate::util::parse_i64;
use bytes::Bytes;
use std::borrow::Cow;

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (src, dst, m) = (args.key()?, args.key()?, args.next()?);
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    // Redis: a missing source is 0 before any type check of the destination.
    if write_set(db, src, now)?.is_none() {
        return Ok(Reply::Int(0));
    }
    write_set(db, dst, now)?;
    if src == dst {
        return Ok(Reply::Int(write_set(db, src, now)?.is_some_and(|s| s.contains(m)) as i64));
    }
    let s = write_set(db, src, now)?.expect("checked above");
    if !s.remove(m) {
        return Ok(Reply::Int(0));
    }
    if s.is_empty() {
        db.remove(src, now);
    }
    let added = match write_set(db, dst, now)? {
        Some(d) => d.insert(m, &enc),
        None => {
            let mut d = Set::for_members(m, 1, &enc);
            d.insert(m, &enc);
            db.set(dst, Value::Set(d));
            true
        }
    };
    ctx.dirty += 1 + added as u64;
    Ok(Reply::Int(1))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The sizes of the sets at `keys` (None = missing), checking every type
/// first as Redis does. Reads count hits/misses; a *STORE's sources do not.
fn sizes(ctx: &mut Ctx, keys: &[Bytes], write: bool) -> Result<Vec<Option<usize>>, CmdError> {
    let now = ctx.now;
    keys.iter()
        .map(|k| {
            let v = if write { ctx.db().get(k, now) } else { ctx.lookup_read(k) };
            Ok(as_set(v)?.map(Set::len))
        })
        .collect()
}

/// The set at `key`, already type-checked by [`sizes`].
fn peek<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a Set> {
    let now = ctx.now;
    as_set(ctx.db().get(key, now)).ok().flatten()
}

/// SINTER/SUNION/SDIFF over `keys` into an owned set. `limit` (> 0) stops
/// an intersection early (SINTERCARD). One source is borrowed at a time.
fn combine(ctx: &mut Ctx, keys: &[Bytes], op: Op, write: bool, limit: usize) -> Result<Set, CmdError> {
    let lens = sizes(ctx, keys, write)?;
    let enc = ctx.enc;
    match op {
        Op::Inter => {
            if lens.iter().any(Option::is_none) {
                return Ok(Set::new());
            }
            // Smallest first: it bounds the result and the work.
            let mut order: Vec<usize> = (0..keys.len()).collect();
            order.sort_by_key(|&i| lens[i]);
            let first = peek(ctx, &keys[order[0]]).expect("checked");
            let mut acc: Vec<Vec<u8>> = first.iter().map(Cow::into_owned).collect();
            for &i in &order[1..] {
                let s = peek(ctx, &keys[i]).expect("checked");
                acc.retain(|m| s.contains(m));
                if acc.is_empty() {
                    break;
                }
            }
            if limit > 0 {
                acc.truncate(limit);
            }
            Ok(Set::from_members(acc, &enc))
        }
        Op::Union => {
            let mut out = Set::new();
            for (k, len) in keys.iter().zip(&lens) {
                if len.is_some() {
                    let s = peek(ctx, k).expect("checked");
                    out.reserve(out.len() + s.len(), &enc);
                    for m in s.iter() {
                        out.insert(&m, &enc);
                    }
                }
            }
            Ok(out)
        }
        Op::Diff => {
            let Some(first) = peek(ctx, &keys[0]) else { return Ok(Set::new()) };
            let mut acc: Vec<Vec<u8>> = first.iter().map(Cow::into_owned).collect();
            for (k, len) in keys.iter().zip(&lens).skip(1) {
                if len.is_some() && !acc.is_empty() {
                    let s = peek(ctx, k).expect("checked");
                    acc.retain(|m| !s.contains(m));
                }
            }
            Ok(Set::from_members(acc, &enc))
        }
    }
}

fn set_reply(s: &Set) -> Reply {
    Reply::Set(s.iter().map(|m| bulk(&m)).collect())
}

fn algebra(ctx: &mut Ctx, args: &mut Args, op: Op) -> CmdResult {
    let s = combine(ctx, &args.all()[1..], op, false, 0)?;
    Ok(set_reply(&s))
}

/// Stores `result` at `dst` (deleting `dst` when it is empty); replies the size.
fn store(ctx: &mut Ctx, dst: &[u8], result: Set) -> CmdResult {
    let now = ctx.now;
    let n = result.len();
    let db = ctx.db();
    if n == 0 {
        if db.remove(dst, now).is_some() {
            ctx.dirty += 1;
        }
        return Ok(Reply::Int(0));
    }
    db.set(dst, Value::Set(result));
    ctx.dirty += 1;
    Ok(Reply::Int(n as i64))
}

fn algebra_store(ctx: &mut Ctx, args: &mut Args, op: Op) -> CmdResult {
    let dst = args.key()?;
    let s = combine(ctx, &args.all()[2..], op, true, 0)?;
    store(ctx, dst, s)
}

/// SINTER key [key ...] — a RESP3 set.
fn sinter(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    algebra(ctx, args, Op::Inter)
}

/// SUNION key [key ...]
fn sunion(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    algebra(ctx, args, Op::Union)
}

/// SDIFF key [key ...]
fn sdiff(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    algebra(ctx, args, Op::Diff)
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    algebra_store(ctx, args, Op::Inter)
}

/// SUNIONSTORE destination key [key ...]
fn sunionstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    algebra_store(ctx, args, Op::Union)
}

/// SDIFFSTORE destination key [key ...]
fn sdiffstore(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    algebra_store(ctx, args, Op::Diff)
}

fn numkeys_at_1(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 1, None)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let argv = args.all();
    let n = numkeys(argv, 1)?;
    if n > argv.len() - 2 {
        return Err(CmdError::other("ERR Number of keys can't be greater than number of args"));
    }
    let mut limit = 0;
    let mut i = 2 + n;
    while i < argv.len() {
        if argv[i].eq_ignore_ascii_case(b"LIMIT") && i + 1 < argv.len() {
            limit = match parse_i64(&argv[i + 1]) {
                Some(l) if l >= 0 => l as usize,
                _ => return Err(CmdError::other("ERR LIMIT can't be negative")),
            };
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let s = combine(ctx, &argv[2..2 + n], Op::Inter, false, limit)?;
    Ok(Reply::Int(s.len() as i64))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("smove", 4, WRITE | FAST, keys(1, 2, 1), Exec::Shard(smove), "set", "Moves a member from one set to another.").span(Span::Coordinated),
    CommandSpec::new("sinter", -2, READONLY, keys(1, -1, 1), Exec::Shard(sinter), "set", "Returns the intersect of multiple sets.").span(Span::Coordinated),
    CommandSpec::new("sintercard", -3, READONLY, NO_KEYS, Exec::Shard(sintercard), "set", "Returns the number of members of the intersect of multiple sets.").keys_fn(numkeys_at_1).span(Span::Coordinated),
    CommandSpec::new("sunion", -2, READONLY, keys(1, -1, 1), Exec::Shard(sunion), "set", "Returns the union of multiple sets.").span(Span::Coordinated),
    CommandSpec::new("sdiff", -2, READONLY, keys(1, -1, 1), Exec::Shard(sdiff), "set", "Returns the difference of multiple sets.").span(Span::Coordinated),
    CommandSpec::new("sinterstore", -3, WRITE | DENYOOM, keys(1, -1, 1), Exec::Shard(sinterstore), "set", "Stores the intersect of multiple sets in a key.").span(Span::Coordinated),
    CommandSpec::new("sunionstore", -3, WRITE | DENYOOM, keys(1, -1, 1), Exec::Shard(sunionstore), "set", "Stores the union of multiple sets in a key.").span(Span::Coordinated),
    CommandSpec::new("sdiffstore", -3, WRITE | DENYOOM, keys(1, -1, 1), Exec::Shard(sdiffstore), "set", "Stores the difference of multiple sets in a key.").span(Span::Coordinated),
];

#[cfg(test)]
mod tests {
    use super::super::sets::tests::{encoding, run, script};
    use super::*;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn wrong_types() {
        script(&["SET str x => OK; SADD s a => :1"], |ctx| {
            for cmd in [
                "SMOVE str s a",
                "SINTER s str",
                "SUNION str",
                "SDIFF s str",
                "SINTERCARD 1 str",
                "SINTERSTORE d str",
            ] {
                assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
            }
        });
    }

    #[test]
    fn smove() {
        script(
            &[
                "SADD a x y => :2; SMOVE a b x => :1; SMEMBERS a => ~[$y]; SMEMBERS b => ~[$x]",
                "SMOVE a b nope => :0; SMOVE nokey b x => :0; SET str v => OK; SMOVE nokey str x => :0",
                "SMOVE a str y => -WRONGTYPE Operation against a key holding the wrong kind of value",
                "SMOVE a a y => :1; SMOVE a a z => :0; SADD b y => :1; SMOVE a b y => :1",
                "EXISTS a => :0; SMEMBERS b => ~[$x,$y]; SADD b 5 => :1; SMOVE b c 5 => :1",
            ],
            |ctx| assert_eq!(encoding(ctx, "c"), "intset"),
        );
    }

    #[test]
    fn algebra() {
        script(
            &[
                "SADD a 1 2 3 x => :4; SADD b 2 3 4 x => :4; SADD c 3 x 9 => :3",
                "SINTER a b c => ~[$3,$x]; SINTER a => ~[$1,$2,$3,$x]; SINTER a nokey => ~[]",
                "SUNION a b => ~[$1,$2,$3,$4,$x]; SUNION nokey a => ~[$1,$2,$3,$x]; SUNION nokey => ~[]",
                "SDIFF a b => ~[$1]; SDIFF a nokey c => ~[$1,$2]; SDIFF nokey a => ~[]; SDIFF a a => ~[]",
                "SINTERSTORE d a b => :3; SMEMBERS d => ~[$2,$3,$x]; SINTERSTORE d a nokey => :0",
                "EXISTS d => :0; SUNIONSTORE d a c => :5; SDIFFSTORE d a b c => :1; SMEMBERS d => ~[$1]",
                "SET str v => OK; SUNIONSTORE str a => :4; TYPE str => +set; SDIFFSTORE str a a => :0",
                "EXISTS str => :0; SINTERSTORE d a a => :4; SDIFFSTORE a a b => :1; SMEMBERS a => ~[$1]",
            ],
            |ctx| {
                assert_eq!(encoding(ctx, "a"), "intset");
                assert_eq!(run(ctx, "SINTERSTORE n b c"), ":2");
                assert_eq!(encoding(ctx, "n"), "listpack");
            },
        );
    }

    #[test]
    fn sintercard() {
        script(
            &[
                "SADD a 1 2 3 => :3; SADD b 2 3 4 => :3; SINTERCARD 2 a b => :2",
                "SINTERCARD 2 a b LIMIT 1 => :1; SINTERCARD 2 a b LIMIT 0 => :2; SINTERCARD 1 a => :3",
                "SINTERCARD 2 a nokey => :0; SINTERCARD 2 a b LIMIT 5 LIMIT 1 => :1",
                "SINTERCARD 0 a => -ERR numkeys should be greater than 0",
                "SINTERCARD x a => -ERR numkeys should be greater than 0",
                "SINTERCARD 3 a b => -ERR Number of keys can't be greater than number of args",
                "SINTERCARD 2 a b LIMIT -1 => -ERR LIMIT can't be negative",
                "SINTERCARD 2 a b LIMIT => -ERR syntax error; SINTERCARD 1 a b => -ERR syntax error",
            ],
            |_| {},
        );
        let argv = |s: &str| s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect::<Vec<_>>();
        assert_eq!(numkeys_at_1(&argv("SINTERCARD 2 a b LIMIT 1")), Some(vec![2, 3]));
        assert_eq!(numkeys_at_1(&argv("SINTERCARD 3 a b")), None);
        assert_eq!(numkeys_at_1(&argv("SINTERCARD 0 a")), None);
    }
}
