//! Set commands on one key: SADD and friends, random members, SSCAN, and
//! argument helpers other families share (counts, numkeys, scan options).
//! The multi-key commands (SMOVE, SINTER*, SUNION*, SDIFF*) are in
//! `setops.rs`.
//!
//! Replication: everything is deterministic but SPOP, which is propagated as
//! the SREM of the members it popped (so replicas pop the same ones).
//! A set emptied by a command is deleted, as in Redis.

use super::flags::*;
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, keys};
use crate::keyspace::{Db, Set, Value};
use crate::protocol::Reply;
use crate::util::{glob_match, parse_i64};
use bytes::Bytes;
use std::borrow::Cow;
use std::cell::Cell;

thread_local! {
    static RNG: Cell<u64> = Cell::new({
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish();
        seed | 1
    });
}

/// xorshift64*: cheap per-thread randomness for SPOP, SRANDMEMBER and
/// ZRANDMEMBER (not for security).
pub(super) fn random() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

pub(super) fn as_set(v: Option<&Value>) -> Result<Option<&Set>, CmdError> {
    match v {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The set at `key` for a read command (counts a hit or miss).
fn read_set<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Set>, CmdError> {
    as_set(ctx.lookup_read(key))
}

/// The set at `key` for a write command.
pub(super) fn write_set<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<Option<&'a mut Set>, CmdError> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A member as a reply (copied out of the set).
pub(super) fn bulk(m: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(m))
}

fn to_bytes(m: Cow<'_, [u8]>) -> Bytes {
    match m {
        Cow::Borrowed(b) => Bytes::copy_from_slice(b),
        Cow::Owned(v) => Bytes::from(v),
    }
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    sadd_members(ctx, key, &args.all()[2..])
}

/// SADD of one borrowed member: the connection's fast path.
pub fn sadd_borrowed(ctx: &mut Ctx, key: &[u8], member: &[u8]) -> Reply {
    sadd_members(ctx, key, &[member]).unwrap_or_else(Reply::from)
}

fn sadd_members<M: AsRef<[u8]>>(ctx: &mut Ctx, key: &[u8], members: &[M]) -> CmdResult {
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    let mut added = 0;
    match write_set(db, key, now)? {
        Some(s) => {
            s.reserve(members.len(), &enc);
            for m in members {
                added += s.insert(m.as_ref(), &enc) as i64;
            }
        }
        None => {
            let mut s = Set::for_members(members[0].as_ref(), members.len(), &enc);
            for m in members {
                added += s.insert(m.as_ref(), &enc) as i64;
            }
            db.set(key, Value::Set(s));
        }
    }
    ctx.dirty += added as u64;
    Ok(Reply::Int(added))
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let now = ctx.now;
    let db = ctx.db();
    let Some(s) = write_set(db, key, now)? else { return Ok(Reply::Int(0)) };
    let mut removed = 0;
    for m in &args.all()[2..] {
        removed += s.remove(m) as i64;
        if s.is_empty() {
            break;
        }
    }
    if s.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += removed as u64;
    Ok(Reply::Int(removed))
}

/// SCARD key
fn scard(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    Ok(Reply::Int(read_set(ctx, key)?.map_or(0, Set::len) as i64))
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let m = args.next()?;
    args.finish()?;
    Ok(Reply::Int(read_set(ctx, key)?.is_some_and(|s| s.contains(m)) as i64))
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let members = &args.all()[2..];
    let s = read_set(ctx, key)?;
    Ok(Reply::Array(members.iter().map(|m| Reply::Int(s.is_some_and(|s| s.contains(m)) as i64)).collect()))
}

/// SMEMBERS key — a RESP3 set.
fn smembers(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let s = read_set(ctx, key)?;
    Ok(Reply::Set(s.map_or_else(Vec::new, |s| s.iter().map(|m| bulk(&m)).collect())))
}

/// A count argument of SRANDMEMBER/ZRANDMEMBER: any i64 but i64::MIN.
pub(super) fn random_count(arg: &[u8]) -> Result<i64, CmdError> {
    match parse_i64(arg) {
        None => Err(CmdError::NotInteger),
        Some(i64::MIN) => Err(CmdError::other(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        )),
        Some(n) => Ok(n),
    }
}

/// A count of SPOP/ZPOPMIN/ZPOPMAX: a non-negative integer.
pub(super) fn positive_count(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::other("ERR value is out of range, must be positive")),
    }
}

/// Room for `n` replies, or an error instead of an allocation failure.
pub(super) fn reply_vec(n: usize) -> Result<Vec<Reply>, CmdError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| CmdError::other("ERR value is out of range"))?;
    Ok(v)
}

/// SRANDMEMBER key [count] — a negative count may repeat members.
fn srandmember(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let count = match args.is_empty() {
        true => None,
        false => Some(random_count(args.next()?)?),
    };
    args.finish()?;
    let s = read_set(ctx, key)?;
    let Some(count) = count else {
        return Ok(s.and_then(|s| s.random_member(&mut random)).map_or(Reply::Nil, |m| bulk(&m)));
    };
    let Some(s) = s else { return Ok(Reply::Array(Vec::new())) };
    let n = count.unsigned_abs() as usize;
    let mut out = reply_vec(if count < 0 { n } else { n.min(s.len()) })?;
    out.extend(s.random_members(n, count >= 0, &mut random).iter().map(|m| bulk(m)));
    Ok(Reply::Array(out))
}

/// SPOP key [count]
///
/// Random, so replicas get `SREM key <popped members>` (in batches of 1024
/// members, as Redis) instead of the command.
fn spop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let count = match args.is_empty() {
        true => None,
        false => Some(positive_count(args.next()?)?),
    };
    args.finish()?;
    let now = ctx.now;
    let db = ctx.db();
    let Some(s) = write_set(db, key, now)? else {
        return Ok(if count.is_some() { Reply::Set(Vec::new()) } else { Reply::Nil });
    };
    let n = count.unwrap_or(1);
    let popped: Vec<Bytes> = s.random_members(n, true, &mut random).into_iter().map(to_bytes).collect();
    for m in &popped {
        s.remove(m);
    }
    if s.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += popped.len() as u64;
    for batch in popped.chunks(1024) {
        let mut argv = vec![Bytes::from_static(b"SREM"), Bytes::copy_from_slice(key)];
        argv.extend(batch.iter().cloned());
        ctx.propagate(|| argv);
    }
    Ok(match count {
        None => popped.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
        Some(_) => Reply::Set(popped.into_iter().map(Reply::Bulk).collect()),
    })
}

/// The `numkeys` argument at `argv[at]`: 1..=args left, Redis's errors.
pub(super) fn numkeys(argv: &[Bytes], at: usize) -> Result<usize, CmdError> {
    let bad = || CmdError::other("ERR numkeys should be greater than 0");
    let n = parse_i64(&argv[at]).ok_or_else(bad)?;
    if n < 1 {
        return Err(bad());
    }
    Ok(n as usize)
}

/// Key positions of `CMD numkeys key ...` with numkeys at `at`, plus
/// `extra` (ZUNIONSTORE's destination): the `keys_fn` of movable-key
/// commands. None when numkeys is malformed or exceeds the arguments.
pub(super) fn numkeys_positions(argv: &[Bytes], at: usize, extra: Option<usize>) -> Option<Vec<usize>> {
    let n = usize::try_from(parse_i64(argv.get(at)?)?).ok().filter(|&n| n >= 1)?;
    if n > argv.len() - at - 1 {
        return None;
    }
    Some(extra.into_iter().chain(at + 1..at + 1 + n).collect())
}

/// Options of SSCAN/ZSCAN after the cursor.
pub(super) struct ScanOpts<'a> {
    pub pattern: Option<&'a [u8]>,
    pub count: usize,
}

/// The cursor of SSCAN/ZSCAN: an unsigned 64-bit integer.
pub(super) fn scan_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    std::str::from_utf8(arg)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CmdError::other("ERR invalid cursor"))
}

/// `[MATCH pattern] [COUNT count]`, parsed after the key lookup as Redis
/// does (a missing key answers an empty scan whatever the options).
pub(super) fn scan_opts<'a>(args: &mut Args<'a>) -> Result<ScanOpts<'a>, CmdError> {
    let mut o = ScanOpts { pattern: None, count: 10 };
    while !args.is_empty() {
        if args.flag("COUNT") && !args.is_empty() {
            let n = args.i64()?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = n as usize;
        } else if args.flag("MATCH") && !args.is_empty() {
            let p = args.next()?;
            // "*" matches everything: skip matching, as Redis does.
            o.pattern = (&p[..] != b"*").then_some(&p[..]);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

pub(super) fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::Bulk(Bytes::from(cursor.to_string())), Reply::Array(items)])
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let cursor = scan_cursor(args.next()?)?;
    let Some(s) = read_set(ctx, key)? else { return Ok(scan_reply(0, Vec::new())) };
    let o = scan_opts(args)?;
    let mut items = Vec::new();
    let next = s.scan(cursor, o.count, |m| {
        if o.pattern.is_none_or(|p| glob_match(p, &m, false)) {
            items.push(bulk(&m));
        }
    });
    Ok(scan_reply(next, items))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sadd", -3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(sadd), "set", "Adds one or more members to a set. Creates the key if it doesn't exist."),
    CommandSpec::new("srem", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(srem), "set", "Removes one or more members from a set. Deletes the set if the last member was removed."),
    CommandSpec::new("scard", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(scard), "set", "Returns the number of members in a set."),
    CommandSpec::new("sismember", 3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(sismember), "set", "Determines whether a member belongs to a set."),
    CommandSpec::new("smismember", -3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(smismember), "set", "Determines whether multiple members belong to a set."),
    CommandSpec::new("smembers", 2, READONLY, keys(1, 1, 1), Exec::Shard(smembers), "set", "Returns all members of a set."),
    CommandSpec::new("srandmember", -2, READONLY, keys(1, 1, 1), Exec::Shard(srandmember), "set", "Get one or multiple random members from a set"),
    CommandSpec::new("spop", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(spop), "set", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped."),
    CommandSpec::new("sscan", -3, READONLY, keys(1, 1, 1), Exec::Shard(sscan), "set", "Iterates over members of a set."),
];

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::keyspace::Keyspace;
    use crate::protocol::format_double;

    /// Runs one command line (`''` is an empty argument) as the runtime
    /// would, arity check included, through the whole command table, and
    /// renders the reply compactly: `OK`, `nil`, `nilarr`, `:1`, `$bulk`,
    /// `,1.5` (double), `-ERR ...`, `[a,b]`, `~[a,b]` (a set, sorted).
    pub(in crate::commands) fn run(ctx: &mut Ctx, line: &str) -> String {
        let v: Vec<Bytes> = line
            .split(' ')
            .map(|s| if s == "''" { Bytes::new() } else { Bytes::copy_from_slice(s.as_bytes()) })
            .collect();
        let name = String::from_utf8_lossy(&v[0]).to_ascii_lowercase();
        let spec = crate::commands::lookup(&v[0]).expect("command in table");
        let Exec::Shard(f) = spec.exec else { panic!("{name} is not a shard command") };
        ctx.effects = None;
        ctx.block = None;
        let r = match spec.arity_ok(v.len()) {
            true => f(ctx, &mut Args::new(&v)),
            false => Err(CmdError::arity(&name)),
        };
        show(&r.unwrap_or_else(Reply::from))
    }

    pub(in crate::commands) fn show(r: &Reply) -> String {
        match r {
            Reply::Ok => "OK".into(),
            Reply::Simple(s) => format!("+{}", String::from_utf8_lossy(s)),
            Reply::Nil => "nil".into(),
            Reply::NilArray => "nilarr".into(),
            Reply::Int(i) => format!(":{i}"),
            r @ (Reply::Bulk(_) | Reply::Short(..)) => {
                format!("${}", String::from_utf8_lossy(r.as_bulk().unwrap_or_default()))
            }
            Reply::Double(d) => format!(",{}", format_double(*d)),
            Reply::Error(e) => format!("-{}", String::from_utf8_lossy(e)),
            Reply::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(",")),
            // Shown as RESP2 sends it: one flat array.
            Reply::Pairs(p) => {
                format!("[{}]", p.iter().flat_map(|(a, b)| [show(a), show(b)]).collect::<Vec<_>>().join(","))
            }
            Reply::Set(a) => {
                let mut items: Vec<String> = a.iter().map(show).collect();
                items.sort();
                format!("~[{}]", items.join(","))
            }
            other => format!("{other:?}"),
        }
    }

    /// Runs `"command => expected reply"` steps (several to a line, split
    /// by `; `) in order on a fresh keyspace at `now` = 1000 ms, then hands
    /// the context to `then`.
    pub(in crate::commands) fn script(steps: &[&str], then: impl FnOnce(&mut Ctx)) {
        let mut ks = Keyspace::default();
        let mut ctx = Ctx::new(&mut ks, 0, 1000, 512 << 20);
        for step in steps.iter().flat_map(|s| s.split("; ")) {
            let (cmd, want) = step.split_once(" => ").expect("cmd => reply");
            assert_eq!(run(&mut ctx, cmd), want, "{cmd}");
        }
        then(&mut ctx);
    }

    /// The commands the last one asked to replicate, as text.
    pub(in crate::commands) fn effects(ctx: &Ctx) -> Vec<String> {
        let show =
            |argv: &Vec<Bytes>| argv.iter().map(|a| String::from_utf8_lossy(a)).collect::<Vec<_>>().join(" ");
        ctx.effects.iter().flatten().map(show).collect()
    }

    pub(in crate::commands) fn encoding(ctx: &mut Ctx, key: &str) -> &'static str {
        let now = ctx.now;
        ctx.db().get(key.as_bytes(), now).map_or("none", Value::encoding)
    }

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn add_remove_and_membership() {
        script(
            &[
                "SADD s a b a => :2; SADD s b c => :1; SCARD s => :3; SCARD nokey => :0",
                "SISMEMBER s a => :1; SISMEMBER s z => :0; SISMEMBER nokey a => :0",
                "SMISMEMBER s a z c => [:1,:0,:1]; SMISMEMBER nokey a => [:0]",
                "SMEMBERS s => ~[$a,$b,$c]; SMEMBERS nokey => ~[]",
                "SREM s a z => :1; SREM s a => :0; SREM nokey a => :0; SREM s b c => :2",
                "EXISTS s => :0; SADD s '' => :1; SMEMBERS s => ~[$]",
                "SADD s => -ERR wrong number of arguments for 'sadd' command",
                "SISMEMBER s => -ERR wrong number of arguments for 'sismember' command",
                "SET str x => OK",
            ],
            |ctx| {
                for cmd in [
                    "SADD str a",
                    "SREM str a",
                    "SCARD str",
                    "SISMEMBER str a",
                    "SMISMEMBER str a",
                    "SMEMBERS str",
                    "SRANDMEMBER str",
                    "SRANDMEMBER str 2",
                    "SPOP str",
                    "SPOP str 2",
                    "SSCAN str 0",
                ] {
                    assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
                }
            },
        );
    }

    #[test]
    fn encodings_and_conversions() {
        script(&["SADD i 1 2 -3 => :3; SADD l a 1 => :2; SADD big 1 2 3 => :3"], |ctx| {
            assert_eq!(encoding(ctx, "i"), "intset");
            assert_eq!(encoding(ctx, "l"), "listpack");
            assert_eq!(run(ctx, "SMEMBERS i"), "~[$-3,$1,$2]");
            assert_eq!(run(ctx, "SADD i x"), ":1");
            assert_eq!(encoding(ctx, "i"), "listpack");
            let long = "v".repeat(65);
            assert_eq!(run(ctx, &format!("SADD l {long}")), ":1");
            assert_eq!(encoding(ctx, "l"), "hashtable");
            // The thresholds come from ctx.enc (CONFIG SET).
            ctx.enc.set_max_intset_entries = 3;
            assert_eq!(run(ctx, "SADD big 4"), ":1");
            assert_eq!(encoding(ctx, "big"), "hashtable");
            ctx.enc.set_max_listpack_entries = 2;
            assert_eq!(run(ctx, "SADD new a b c"), ":3");
            assert_eq!(encoding(ctx, "new"), "hashtable");
            let members: Vec<String> = (0..600).map(|i| i.to_string()).collect();
            ctx.enc = Default::default();
            assert_eq!(run(ctx, &format!("SADD many {}", members.join(" "))), ":600");
            assert_eq!(encoding(ctx, "many"), "hashtable");
            assert_eq!(run(ctx, "SCARD many"), ":600");
        });
    }

    #[test]
    fn random_members_and_pops() {
        script(
            &[
                "SRANDMEMBER nokey => nil; SRANDMEMBER nokey 3 => []; SPOP nokey => nil",
                "SPOP nokey 3 => ~[]; SADD s a => :1; SRANDMEMBER s => $a; SRANDMEMBER s 0 => []",
                "SRANDMEMBER s 5 => [$a]; SRANDMEMBER s -3 => [$a,$a,$a]",
                "SRANDMEMBER s x => -ERR value is not an integer or out of range",
                "SRANDMEMBER s 1 2 => -ERR syntax error",
                "SRANDMEMBER s -9223372036854775808 => -ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                "SPOP s -1 => -ERR value is out of range, must be positive",
                "SPOP s x => -ERR value is out of range, must be positive; SPOP s 1 2 => -ERR syntax error",
                "SPOP s 0 => ~[]; SCARD s => :1; SPOP s => $a; EXISTS s => :0",
            ],
            |ctx| {
                let members: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
                run(ctx, &format!("SADD s {}", members.join(" ")));
                for (count, want) in [("10", 10), ("-300", 300), ("500", 200)] {
                    let r = run(ctx, &format!("SRANDMEMBER s {count}"));
                    assert_eq!(r.matches('$').count(), want, "SRANDMEMBER s {count}");
                }
                let d = ctx.dirty;
                let popped = run(ctx, "SPOP s 150");
                assert_eq!(popped.matches('$').count(), 150);
                assert_eq!(ctx.dirty, d + 150);
                // Propagated as the SREM of exactly the popped members.
                let eff = effects(ctx);
                assert_eq!(eff.len(), 1);
                let mut srem: Vec<&str> = eff[0].split(' ').skip(2).collect();
                let mut got: Vec<&str> = popped[2..popped.len() - 1].split(',').map(|m| &m[1..]).collect();
                srem.sort();
                got.sort();
                assert_eq!((eff[0].split(' ').take(2).collect::<Vec<_>>(), srem), (vec!["SREM", "s"], got));
                assert_eq!(run(ctx, "SCARD s"), ":50");
                let one = run(ctx, "SPOP s");
                assert_eq!(effects(ctx), vec![format!("SREM s {}", &one[1..])]);
                assert_eq!(run(ctx, "SPOP s 100").matches('$').count(), 49);
                assert_eq!(run(ctx, "EXISTS s"), ":0");
                // Popping nothing writes nothing.
                let d = ctx.dirty;
                run(ctx, "SPOP s 3");
                assert_eq!((ctx.dirty, effects(ctx).len()), (d, 0));
                // More than 1024 members: SREM in batches.
                let many: Vec<String> = (0..1500).map(|i| format!("x{i}")).collect();
                run(ctx, &format!("SADD t {}", many.join(" ")));
                run(ctx, "SPOP t 1500");
                let eff = effects(ctx);
                assert_eq!(eff.iter().map(|e| e.split(' ').count() - 2).collect::<Vec<_>>(), vec![1024, 476]);
            },
        );
    }

    #[test]
    fn numkeys_positions_of_movable_keys() {
        let argv = |s: &str| s.split(' ').map(|a| Bytes::copy_from_slice(a.as_bytes())).collect::<Vec<_>>();
        assert_eq!(numkeys_positions(&argv("ZUNIONSTORE d 2 a b"), 2, Some(1)), Some(vec![1, 3, 4]));
    }

    #[test]
    fn sscan() {
        script(
            &[
                "SSCAN nokey 0 => [$0,[]]; SSCAN nokey 0 COUNT x => [$0,[]]",
                "SADD s a b ab => :3; SSCAN s 0 MATCH a* => [$0,[$a,$ab]]",
                "SSCAN s x => -ERR invalid cursor; SSCAN s -1 => -ERR invalid cursor",
                "SSCAN s 0 COUNT 0 => -ERR syntax error; SSCAN s 0 COUNT x => -ERR value is not an integer or out of range",
                "SSCAN s 0 MATCH => -ERR syntax error; SSCAN s 0 FOO 1 => -ERR syntax error",
                "SADD i 3 1 2 => :3; SSCAN i 0 COUNT 1 => [$0,[$1,$2,$3]]",
            ],
            |ctx| {
                let members: Vec<String> = (0..300).map(|i| format!("m{i}")).collect();
                run(ctx, &format!("SADD big {}", members.join(" ")));
                let mut seen = std::collections::BTreeSet::new();
                let mut cursor = "0".to_string();
                loop {
                    let r = run(ctx, &format!("SSCAN big {cursor} COUNT 7 MATCH m1*"));
                    let (c, items) = r[2..r.len() - 2].split_once(",[").unwrap();
                    cursor = c.to_string();
                    seen.extend(items.split(',').filter(|m| !m.is_empty()).map(|m| m[1..].to_string()));
                    if cursor == "0" {
                        break;
                    }
                }
                let want: std::collections::BTreeSet<String> =
                    members.iter().filter(|m| m.starts_with("m1")).cloned().collect();
                assert_eq!(seen, want);
            },
        );
    }

    #[test]
    fn dirty_counts_real_changes() {
        script(&["SADD s a => :1; SADD s a => :0; SREM s b => :0; SMOVE s s a => :1"], |ctx| {
            assert_eq!(ctx.dirty, 1)
        });
    }
}
