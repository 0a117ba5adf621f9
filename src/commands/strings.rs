//! String commands: GET, SET and friends, counters, ranges, MGET/MSET.
//!
//! Every handler runs on the shard owning its keys. Stored values are copies
//! of the arguments, never the argument `Bytes` (that would pin the network
//! buffer). Types are checked through [`get_str`]/[`get_str_mut`], so a new
//! `Value` variant answers WRONGTYPE here without touching each handler.
//!
//! Replication note (for when propagation lands): Redis rewrites SET/SETEX/
//! GETEX relative expiries to absolute ones (PXAT, PEXPIREAT) and INCRBYFLOAT
//! to `SET key <result> KEEPTTL`, so clocks and float formatting cannot make
//! replicas differ.

use super::flags::*;
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, Merge, Span, keys};
use crate::keyspace::{Db, Str, Value};
use crate::protocol::{Reply, encode};
use crate::util::{human_double, i64_bytes, parse_f64, parse_i64};
use bytes::{Bytes, BytesMut};

const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// The live string at `key`; WRONGTYPE for any other type.
fn get_str<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<Option<&'a Str>, CmdError> {
    match db.get(key, now) {
        None => Ok(None),
        Some(Value::Str(b)) => Ok(Some(b)),
        #[allow(unreachable_patterns)]
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Like [`get_str`], for in-place updates that keep the key's TTL.
fn get_str_mut<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<Option<&'a mut Str>, CmdError> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(Value::Str(b)) => Ok(Some(b)),
        #[allow(unreachable_patterns)]
        Some(_) => Err(CmdError::WrongType),
    }
}

/// An owned handle on the string at `key` (a refcount for a large value,
/// a copy of a small one), for read commands: counts a keyspace hit or miss.
fn read_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(Value::Str(b)) => Ok(Some(b.to_bytes())),
        #[allow(unreachable_patterns)]
        Some(_) => Err(CmdError::WrongType),
    }
}

/// A string value as a reply: a short one copied into the reply (no
/// allocation), a long one shared with the keyspace.
fn str_reply(ctx: &mut Ctx, key: &[u8]) -> Result<Reply, CmdError> {
    match ctx.lookup_read(key) {
        None => Ok(Reply::Nil),
        Some(Value::Str(Str::Heap(b))) => Ok(Reply::Bulk(b.clone())),
        Some(Value::Str(s)) => Ok(Reply::short(s.as_bytes())),
        #[allow(unreachable_patterns)]
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Checks that `cur + add` bytes fit in proto-max-bulk-len.
fn check_len(cur: usize, add: usize, max: usize) -> Result<(), CmdError> {
    match cur.checked_add(add) {
        Some(total) if total <= max => Ok(()),
        _ => Err(CmdError::other(TOO_BIG)),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Options of SET (and GETEX, which takes only the expiry ones and PERSIST).
#[derive(Default)]
struct Opts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(Unit, &'a Bytes)>,
}

/// Parses options with the same acceptance rules as Redis's
/// parseExtendedStringArgumentsOrReply: repeating an option is allowed (the
/// last expiry wins), combining conflicting ones is a syntax error. Expiry
/// values are checked later, as Redis does.
fn parse_opts<'a>(args: &mut Args<'a>, set: bool) -> Result<Opts<'a>, CmdError> {
    const UNITS: [(&str, Unit); 4] =
        [("EX", Unit::Ex), ("PX", Unit::Px), ("EXAT", Unit::ExAt), ("PXAT", Unit::PxAt)];
    let mut o = Opts::default();
    while !args.is_empty() {
        let opt = args.next()?;
        let is = |w: &str| opt.eq_ignore_ascii_case(w.as_bytes());
        let unit = UNITS.iter().find(|(w, _)| is(w)).map(|&(_, u)| u);
        if set && is("NX") && !o.xx {
            o.nx = true;
        } else if set && is("XX") && !o.nx {
            o.xx = true;
        } else if set && is("GET") {
            o.get = true;
        } else if set && is("KEEPTTL") && o.expire.is_none() {
            o.keepttl = true;
        } else if !set && is("PERSIST") && o.expire.is_none() {
            o.persist = true;
        } else if let Some(u) = unit
            && !o.keepttl
            && !o.persist
            && o.expire.is_none_or(|(prev, _)| prev == u)
            && !args.is_empty()
        {
            o.expire = Some((u, args.next()?));
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// Absolute expiry in Unix ms, with Redis's checks: not an integer, <= 0, or
/// overflowing once scaled/offset is an error naming `cmd`.
fn expire_at(unit: Unit, arg: &[u8], now: u64, cmd: &str) -> Result<u64, CmdError> {
    let v = parse_i64(arg).ok_or(CmdError::NotInteger)?;
    let bad = || CmdError::InvalidExpire(cmd.into());
    let secs = matches!(unit, Unit::Ex | Unit::ExAt);
    if v <= 0 || (secs && v > i64::MAX / 1000) {
        return Err(bad());
    }
    let ms = if secs { v * 1000 } else { v };
    let ms = match unit {
        Unit::Ex | Unit::Px => ms.checked_add(now as i64).ok_or_else(bad)?,
        Unit::ExAt | Unit::PxAt => ms,
    };
    Ok(ms as u64)
}

/// The body of SET, SETNX, SETEX, PSETEX and GETSET, in Redis's order:
/// expiry value, GET's old value (WRONGTYPE stops here), NX/XX, the write.
/// Returns whether it wrote and the old value when GET was asked.
fn set_generic(
    ctx: &mut Ctx,
    key: &[u8],
    val: &[u8],
    o: &Opts,
    cmd: &str,
) -> Result<(bool, Option<Bytes>), CmdError> {
    let now = ctx.now;
    let at = o.expire.map(|(u, a)| expire_at(u, a, now, cmd)).transpose()?;
    let old = if o.get { read_str(ctx, key)? } else { None };
    let db = ctx.db();
    if o.nx || o.xx {
        let found = db.contains(key, now);
        if (o.nx && found) || (o.xx && !found) {
            return Ok((false, old));
        }
    } else {
        // Only an expired key's removal is left of the lookup (counted, and
        // replicated as a DEL, as Redis does): the write needs no lookup first.
        db.expire_if_needed(key, now);
    }
    if o.keepttl {
        db.set_keep_ttl(key, Value::Str(Str::new(val)), now);
    } else {
        db.set_str(key, val);
    }
    let k = || Bytes::copy_from_slice(key);
    match at {
        // EXAT/PXAT in the past: the key is gone at once (Redis still says OK).
        Some(at) if at <= now => {
            db.remove(key, now);
            ctx.propagate(|| vec![Bytes::from_static(b"DEL"), k()]);
        }
        // Relative expiries travel as absolute ones, so replicas agree on
        // the deadline whatever their clocks and delays.
        Some(at) => {
            db.set_expire(key, Some(at));
            ctx.propagate(|| {
                vec![
                    Bytes::from_static(b"SET"),
                    k(),
                    Bytes::copy_from_slice(val),
                    Bytes::from_static(b"PXAT"),
                    i64_bytes(at as i64),
                ]
            });
        }
        // Without an expiry the command itself is deterministic: verbatim.
        None => {}
    }
    ctx.dirty += 1;
    Ok((true, old))
}

/// GET key
fn get(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    str_reply(ctx, key)
}

/// GET on a borrowed key: the connection's fast path (`Conn::fast_path`).
pub fn get_borrowed(ctx: &mut Ctx, key: &[u8]) -> Reply {
    str_reply(ctx, key).unwrap_or_else(Reply::from)
}

/// GET on a borrowed key, its reply encoded straight into `out`: a string
/// goes from the keyspace to the output buffer without a `Reply` between.
pub fn get_into(ctx: &mut Ctx, key: &[u8], out: &mut BytesMut, resp3: bool) {
    match ctx.lookup_read(key) {
        Some(Value::Str(s)) => crate::protocol::put_bulk(out, s.as_bytes()),
        None => encode(out, &Reply::Nil, resp3),
        #[allow(unreachable_patterns)]
        Some(_) => encode(out, &CmdError::WrongType.into(), resp3),
    }
}

/// SET without options on borrowed arguments: the connection's fast path.
pub fn set_borrowed(ctx: &mut Ctx, key: &[u8], val: &[u8]) -> Reply {
    match set_generic(ctx, key, val, &Opts::default(), "set") {
        Ok(_) => Reply::Ok,
        Err(e) => e.into(),
    }
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
/// EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
fn set(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let val = args.next()?;
    let o = parse_opts(args, true)?;
    let (written, old) = set_generic(ctx, key, val, &o, "set")?;
    Ok(match (o.get, written) {
        (true, _) => old.into(),
        (false, true) => Reply::Ok,
        (false, false) => Reply::Nil,
    })
}

/// SETNX key value
fn setnx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let val = args.next()?;
    args.finish()?;
    let o = Opts { nx: true, ..Opts::default() };
    let (written, _) = set_generic(ctx, key, val, &o, "setnx")?;
    Ok(Reply::Int(written as i64))
}

fn setex_generic(ctx: &mut Ctx, args: &mut Args, unit: Unit, cmd: &str) -> CmdResult {
    let key = args.key()?;
    let ttl = args.next()?;
    let val = args.next()?;
    args.finish()?;
    let o = Opts { expire: Some((unit, ttl)), ..Opts::default() };
    set_generic(ctx, key, val, &o, cmd)?;
    Ok(Reply::Ok)
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    setex_generic(ctx, args, Unit::Ex, "setex")
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    setex_generic(ctx, args, Unit::Px, "psetex")
}

/// GETSET key value — clears the TTL, like SET.
fn getset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let val = args.next()?;
    args.finish()?;
    let o = Opts { get: true, ..Opts::default() };
    Ok(set_generic(ctx, key, val, &o, "getset")?.1.into())
}

/// GETDEL key
fn getdel(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let old = read_str(ctx, key)?;
    if old.is_some() {
        let now = ctx.now;
        ctx.db().remove(key, now);
        ctx.dirty += 1;
    }
    Ok(old.into())
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST]
fn getex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let o = parse_opts(args, false)?;
    // A missing key is nil even with a bad expiry; the type is checked next.
    let Some(val) = read_str(ctx, key)? else {
        return Ok(Reply::Nil);
    };
    let now = ctx.now;
    let at = o.expire.map(|(u, a)| expire_at(u, a, now, "getex")).transpose()?;
    let db = ctx.db();
    let k = Bytes::copy_from_slice(key);
    let (changed, effect) = match at {
        Some(at) if at <= now => (db.remove(key, now).is_some(), vec![Bytes::from_static(b"DEL"), k]),
        Some(at) => {
            (db.set_expire(key, Some(at)), vec![Bytes::from_static(b"PEXPIREAT"), k, i64_bytes(at as i64)])
        }
        None if o.persist && db.expire_at(key, now).is_some() => {
            (db.set_expire(key, None), vec![Bytes::from_static(b"PERSIST"), k])
        }
        None => (false, Vec::new()),
    };
    if changed {
        ctx.propagate(|| effect);
    }
    ctx.dirty += changed as u64;
    Ok(Reply::Bulk(val))
}

/// MGET key [key ...] — nil for a missing key or one of another type.
fn mget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    if args.remaining() > 1 {
        ctx.db().warm(args.rest().iter().map(|k| &k[..]));
    }
    let mut out = Vec::with_capacity(args.remaining());
    while !args.is_empty() {
        let key = args.key()?;
        out.push(str_reply(ctx, key).unwrap_or(Reply::Nil));
    }
    Ok(Reply::Array(out))
}

/// Key/value pairs of MSET and MSETNX; an odd count is an arity error.
fn pairs<'a>(args: &mut Args<'a>, cmd: &str) -> Result<Vec<(&'a [u8], &'a Bytes)>, CmdError> {
    if args.is_empty() || !args.remaining().is_multiple_of(2) {
        return Err(CmdError::arity(cmd));
    }
    let mut out = Vec::with_capacity(args.remaining() / 2);
    while !args.is_empty() {
        out.push((args.key()?, args.next()?));
    }
    Ok(out)
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let kvs = pairs(args, "mset")?;
    let db = ctx.db();
    if kvs.len() > 1 {
        db.warm(kvs.iter().map(|&(k, _)| k));
    }
    for &(key, val) in &kvs {
        db.set_str(key, val);
    }
    ctx.dirty += kvs.len() as u64;
    Ok(Reply::Ok)
}

/// MSETNX key value [key value ...] — this shard's part: sets all or none.
fn msetnx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let kvs = pairs(args, "msetnx")?;
    let now = ctx.now;
    let db = ctx.db();
    if kvs.iter().any(|&(key, _)| db.contains(key, now)) {
        return Ok(Reply::Int(0));
    }
    for &(key, val) in &kvs {
        db.set_str(key, val);
    }
    ctx.dirty += kvs.len() as u64;
    Ok(Reply::Int(1))
}

/// Adds `by` to the integer at `key` (0 if missing), keeping its TTL.
fn incr_generic(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let cur = match get_str(db, key, now)? {
        None => 0,
        Some(b) => parse_i64(b).ok_or(CmdError::NotInteger)?,
    };
    let new = cur.checked_add(by).ok_or(CmdError::Overflow)?;
    db.set_keep_ttl(key, Value::Str(i64_bytes(new).into()), now);
    ctx.dirty += 1;
    Ok(Reply::Int(new))
}

/// INCR (`by` 1) or DECR (-1) on a borrowed key: the connection's fast path.
pub fn incr_borrowed(ctx: &mut Ctx, key: &[u8], by: i64) -> Reply {
    incr_generic(ctx, key, by).unwrap_or_else(Reply::from)
}

/// INCR key
fn incr(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    incr_generic(ctx, key, 1)
}

/// DECR key
fn decr(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    incr_generic(ctx, key, -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let by = args.i64()?;
    args.finish()?;
    incr_generic(ctx, key, by)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let by = args.i64()?;
    args.finish()?;
    // -i64::MIN does not exist; Redis has a text of its own for it.
    let by = by.checked_neg().ok_or_else(|| CmdError::other("ERR decrement would overflow"))?;
    incr_generic(ctx, key, by)
}

/// INCRBYFLOAT key increment
fn incrbyfloat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let by = args.next()?;
    args.finish()?;
    let now = ctx.now;
    let db = ctx.db();
    // Redis's order: type, stored value, then the increment.
    let cur = match get_str(db, key, now)? {
        None => 0.0,
        Some(b) => parse_f64(b).ok_or(CmdError::NotFloat)?,
    };
    let v = cur + parse_f64(by).ok_or(CmdError::NotFloat)?;
    if !v.is_finite() {
        return Err(CmdError::other("ERR increment would produce NaN or Infinity"));
    }
    let out = Bytes::from(human_double(v));
    db.set_keep_ttl(key, Value::Str(out.clone().into()), now);
    ctx.dirty += 1;
    // Replicas get the result, not the increment: float formatting can
    // never make them differ.
    ctx.propagate(|| {
        vec![
            Bytes::from_static(b"SET"),
            Bytes::copy_from_slice(key),
            out.clone(),
            Bytes::from_static(b"KEEPTTL"),
        ]
    });
    Ok(Reply::Bulk(out))
}

/// APPEND key value — keeps the TTL; grows in place when the value is unshared.
fn append(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let tail = args.next()?;
    args.finish()?;
    let (now, max) = (ctx.now, ctx.max_bulk);
    let db = ctx.db();
    let len = match get_str_mut(db, key, now)? {
        None => {
            db.set(key, Value::Str(Str::new(tail)));
            tail.len()
        }
        Some(cur) => {
            check_len(cur.len(), tail.len(), max)?;
            let mut buf = std::mem::take(cur).into_mut();
            buf.extend_from_slice(tail);
            *cur = buf.into();
            cur.len()
        }
    };
    ctx.dirty += 1;
    Ok(Reply::Int(len as i64))
}

/// STRLEN key
fn strlen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    Ok(Reply::Int(read_str(ctx, key)?.map_or(0, |v| v.len() as i64)))
}

/// GETRANGE key start end (and SUBSTR) — inclusive, negative from the end.
fn getrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let (start, end) = (args.i64()?, args.i64()?);
    args.finish()?;
    let empty = || Ok(Reply::Bulk(Bytes::new()));
    let Some(s) = read_str(ctx, key)? else {
        return empty();
    };
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        return empty();
    }
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.clamp(0, (len - 1).max(0));
    if start > end || len == 0 {
        return empty();
    }
    Ok(Reply::Bulk(s.slice(start as usize..=end as usize)))
}

/// SETRANGE key offset value — zero-pads; keeps the TTL.
fn setrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let offset = args.i64()?;
    let val = args.next()?;
    args.finish()?;
    if offset < 0 {
        return Err(CmdError::other("ERR offset is out of range"));
    }
    let offset = offset as usize;
    let (now, max) = (ctx.now, ctx.max_bulk);
    let db = ctx.db();
    let len = match get_str_mut(db, key, now)? {
        // Setting nothing neither creates nor changes the key.
        None if val.is_empty() => return Ok(Reply::Int(0)),
        Some(cur) if val.is_empty() => return Ok(Reply::Int(cur.len() as i64)),
        None => {
            check_len(offset, val.len(), max)?;
            let mut buf = BytesMut::zeroed(offset + val.len());
            buf[offset..].copy_from_slice(val);
            db.set(key, Value::Str(buf.into()));
            offset + val.len()
        }
        Some(cur) => {
            check_len(offset, val.len(), max)?;
            let end = offset + val.len();
            let mut buf = std::mem::take(cur).into_mut();
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[offset..end].copy_from_slice(val);
            *cur = buf.into();
            cur.len()
        }
    };
    ctx.dirty += 1;
    Ok(Reply::Int(len as i64))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(get), "string", "Returns the string value of a key."),
    CommandSpec::new("set", -3, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(set), "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."),
    CommandSpec::new("setnx", 3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(setnx), "string", "Set the string value of a key only when the key doesn't exist."),
    CommandSpec::new("setex", 4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(setex), "string", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."),
    CommandSpec::new("psetex", 4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(psetex), "string", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist."),
    CommandSpec::new("getset", 3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(getset), "string", "Returns the previous string value of a key after setting it to a new value."),
    CommandSpec::new("getdel", 2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(getdel), "string", "Returns the string value of a key after deleting the key."),
    CommandSpec::new("getex", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(getex), "string", "Returns the string value of a key after setting its expiration time."),
    CommandSpec::new("mget", -2, READONLY | FAST, keys(1, -1, 1), Exec::Shard(mget), "string", "Atomically returns the string values of one or more keys.").span(Span::Split(Merge::Positional)),
    CommandSpec::new("mset", -3, WRITE | DENYOOM, keys(1, -1, 2), Exec::Shard(mset), "string", "Atomically creates or modifies the string values of one or more keys.").span(Span::Split(Merge::Ok)),
    CommandSpec::new("msetnx", -3, WRITE | DENYOOM, keys(1, -1, 2), Exec::Shard(msetnx), "string", "Atomically modifies the string values of one or more keys only when all keys don't exist.").span(Span::Coordinated),
    CommandSpec::new("incr", 2, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(incr), "string", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("decr", 2, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(decr), "string", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("incrby", 3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(incrby), "string", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("decrby", 3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(decrby), "string", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(incrbyfloat), "string", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist."),
    CommandSpec::new("append", 3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(append), "string", "Appends a string to the value of a key. Creates the key if it doesn't exist."),
    CommandSpec::new("strlen", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(strlen), "string", "Returns the length of a string value."),
    CommandSpec::new("getrange", 4, READONLY, keys(1, 1, 1), Exec::Shard(getrange), "string", "Returns a substring of the string stored at a key."),
    CommandSpec::new("substr", 4, READONLY, keys(1, 1, 1), Exec::Shard(getrange), "string", "Returns a substring from a string value."),
    CommandSpec::new("setrange", 4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(setrange), "string", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist."),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Keyspace;

    /// Runs one command line (`''` is an empty argument) as the runtime
    /// would, arity check included, and renders the reply compactly:
    /// `OK`, `nil`, `:1`, `$bulk`, `-ERR ...`, `[a,b]`.
    fn run(ctx: &mut Ctx, line: &str) -> String {
        let v: Vec<Bytes> = line
            .split(' ')
            .map(|s| if s == "''" { Bytes::new() } else { Bytes::copy_from_slice(s.as_bytes()) })
            .collect();
        let name = String::from_utf8_lossy(&v[0]).to_ascii_lowercase();
        let spec = COMMANDS.iter().find(|c| c.name == name).expect("command in table");
        let Exec::Shard(f) = spec.exec else { panic!("{name} is not a shard command") };
        let r = match spec.arity_ok(v.len()) {
            true => f(ctx, &mut Args::new(&v)),
            false => Err(CmdError::arity(&name)),
        };
        show(&r.unwrap_or_else(Reply::from))
    }

    fn show(r: &Reply) -> String {
        match r {
            Reply::Ok => "OK".into(),
            Reply::Nil => "nil".into(),
            Reply::Int(i) => format!(":{i}"),
            r @ (Reply::Bulk(_) | Reply::Short(..)) => {
                format!("${}", String::from_utf8_lossy(r.as_bulk().unwrap_or_default()))
            }
            Reply::Error(e) => format!("-{}", String::from_utf8_lossy(e)),
            Reply::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(",")),
            other => format!("{other:?}"),
        }
    }

    /// Runs `"command => expected reply"` steps (several to a line, split by
    /// `; `) in order on a fresh keyspace
    /// at `now` = 1000 ms, then hands the context to `then`.
    fn script(steps: &[&str], then: impl FnOnce(&mut Ctx)) {
        let mut ks = Keyspace::default();
        let mut ctx = Ctx::new(&mut ks, 0, 1000, 512 << 20);
        for step in steps.iter().flat_map(|s| s.split("; ")) {
            let (cmd, want) = step.split_once(" => ").expect("cmd => reply");
            assert_eq!(run(&mut ctx, cmd), want, "{cmd}");
        }
        then(&mut ctx);
    }

    fn ttl(ctx: &mut Ctx, key: &str) -> Option<u64> {
        let now = ctx.now;
        ctx.db().expire_at(key.as_bytes(), now)
    }

    #[test]
    fn get_set_and_conditions() {
        script(
            &[
                "GET k => nil; SET k v => OK; GET k => $v; SET k w NX => nil; SET k w nx nx => nil",
                "SET n w XX => nil; GET n => nil; SET k w XX => OK; SET k x GET => $w",
                "SET n y GET => nil; SET n z NX GET => $y; GET n => $y; SET m z GET XX => nil",
                "GET m => nil; SET k v extra => -ERR syntax error",
                "SET k v NX XX => -ERR syntax error",
                "SET k => -ERR wrong number of arguments for 'set' command",
            ],
            |ctx| assert_eq!(ctx.dirty, 4),
        );
    }

    #[test]
    fn set_expiry_options() {
        script(
            &[
                "SET a v EX 10 => OK; SET b v PX 500 => OK; SET c v EXAT 20 => OK",
                "SET d v PXAT 20000 => OK; SET e v EX 10 ex 20 => OK; SET f v PX 100 => OK",
                "SET f w KEEPTTL => OK; SET a w => OK; SET k v EX 10 PX 10 => -ERR syntax error",
                "SET k v EX 10 KEEPTTL => -ERR syntax error",
                "SET k v KEEPTTL PXAT 10 => -ERR syntax error; SET k v EX => -ERR syntax error",
                "SET k v PERSIST => -ERR syntax error; SET k v EX abc NX XX => -ERR syntax error",
                "SET k v EX abc => -ERR value is not an integer or out of range",
                "SET k v EX 0 => -ERR invalid expire time in 'set' command",
                "SET k v PX -5 => -ERR invalid expire time in 'set' command",
                "SET k v EX 9223372036854775 => -ERR invalid expire time in 'set' command",
                "SET k v PX 9223372036854775807 => -ERR invalid expire time in 'set' command",
                "GET k => nil",
                // An absolute time already past: OK (or GET's reply), and the key is gone.
                "SET k v => OK; SET k w EXAT 1 => OK; GET k => nil; SET k v => OK",
                "SET k w PXAT 1000 GET => $v; GET k => nil",
            ],
            |ctx| {
                let want = [("a", None), ("b", Some(1500)), ("c", Some(20000)), ("d", Some(20000))];
                for (key, at) in want.into_iter().chain([("e", Some(21000)), ("f", Some(1100))]) {
                    assert_eq!(ttl(ctx, key), at, "{key}");
                }
                ctx.now = 1500;
                assert_eq!(run(ctx, "GET b"), "nil");
            },
        );
    }

    #[test]
    fn setnx_setex_psetex_getset() {
        script(
            &[
                "SETNX k v => :1; SETNX k w => :0; GET k => $v; SETEX s 10 v => OK",
                "PSETEX p 250 v => OK; SETEX s 0 v => -ERR invalid expire time in 'setex' command",
                "SETEX s 9223372036854775 v => -ERR invalid expire time in 'setex' command",
                "PSETEX s -1 v => -ERR invalid expire time in 'psetex' command",
                "SETEX s abc v => -ERR value is not an integer or out of range; GETSET g v => nil",
                "GETSET g w => $v; GET g => $w; PSETEX g 100 x => OK; GETSET g y => $x",
            ],
            |ctx| {
                assert_eq!(ttl(ctx, "s"), Some(11000));
                assert_eq!(ttl(ctx, "p"), Some(1250));
                assert_eq!(ttl(ctx, "g"), None, "GETSET clears the TTL");
            },
        );
    }

    #[test]
    fn getdel_and_getex() {
        script(
            &[
                "GETDEL k => nil; SET k v => OK; GETDEL k => $v; GET k => nil; GETEX k EX 0 => nil",
                "GETEX k blah => -ERR syntax error; SET k v => OK; GETEX k => $v",
                "GETEX k EX abc => -ERR value is not an integer or out of range",
                "GETEX k EX 0 => -ERR invalid expire time in 'getex' command",
                "GETEX k EX 10 PERSIST => -ERR syntax error",
                "GETEX k PERSIST PX 10 => -ERR syntax error; GETEX k NX => -ERR syntax error",
                "GETEX k KEEPTTL => -ERR syntax error; GETEX k GET => -ERR syntax error",
                "GETEX k PX 5000 => $v",
            ],
            |ctx| {
                assert_eq!(ttl(ctx, "k"), Some(6000));
                for (cmd, at) in [("EX 2", 3000), ("EXAT 50", 50000), ("PXAT 7000", 7000)] {
                    assert_eq!(run(ctx, &format!("GETEX k {cmd}")), "$v");
                    assert_eq!(ttl(ctx, "k"), Some(at), "{cmd}");
                }
                let d = ctx.dirty;
                assert_eq!(run(ctx, "GETEX k PERSIST PERSIST"), "$v");
                assert_eq!(ttl(ctx, "k"), None);
                assert_eq!(run(ctx, "GETEX k PERSIST"), "$v");
                assert_eq!(ctx.dirty, d + 1, "PERSIST without a TTL changes nothing");
                assert_eq!(run(ctx, "GETEX k PXAT 1000"), "$v");
                assert_eq!(run(ctx, "GET k"), "nil");
            },
        );
    }

    #[test]
    fn mget_mset_msetnx() {
        script(
            &[
                "MSET a 1 b 2 => OK; MGET a x b => [$1,nil,$2]",
                "MSET a => -ERR wrong number of arguments for 'mset' command",
                "MSET a 1 b => -ERR wrong number of arguments for 'mset' command",
                "MSETNX a 1 b => -ERR wrong number of arguments for 'msetnx' command",
                "MSETNX c 3 a 9 => :0; MGET c a => [nil,$1]; MSETNX c 3 d 4 => :1",
                "MGET c d => [$3,$4]",
            ],
            |ctx| assert_eq!(ctx.dirty, 4),
        );
    }

    #[test]
    fn counters() {
        script(
            &[
                "INCR n => :1; INCRBY n 10 => :11; DECR n => :10; DECRBY n -5 => :15",
                "DECRBY n 20 => :-5; GET n => $-5",
                "INCRBY n x => -ERR value is not an integer or out of range",
                "DECRBY n 1.5 => -ERR value is not an integer or out of range",
                "DECRBY n -9223372036854775808 => -ERR decrement would overflow; SET s abc => OK",
                "INCR s => -ERR value is not an integer or out of range; SET s +1 => OK",
                "INCR s => -ERR value is not an integer or out of range",
                "SET s 9223372036854775807 => OK",
                "INCR s => -ERR increment or decrement would overflow",
                "INCRBY s -9223372036854775807 => :0",
                "DECRBY s 9223372036854775807 => :-9223372036854775807",
                "DECR s => :-9223372036854775808",
                "DECR s => -ERR increment or decrement would overflow",
                "GET s => $-9223372036854775808; SET t 5 PX 100 => OK; INCR t => :6",
            ],
            |ctx| assert_eq!(ttl(ctx, "t"), Some(1100), "INCR keeps the TTL"),
        );
    }

    #[test]
    fn incrbyfloat() {
        script(
            &[
                "INCRBYFLOAT f 10.5 => $10.5; INCRBYFLOAT f 0.1 => $10.6; GET f => $10.6",
                "INCRBYFLOAT f -5.6 => $5; INCRBYFLOAT f 5.0e3 => $5005",
                "INCRBYFLOAT f abc => -ERR value is not a valid float",
                "INCRBYFLOAT f inf => -ERR increment would produce NaN or Infinity",
                "INCRBYFLOAT g 1e21 => $1000000000000000000000; INCRBYFLOAT h 0.00001 => $0.00001",
                "INCRBYFLOAT i 1e-20 => $0",
                "INCRBYFLOAT j 1.234567890123456789e-5 => $0.00001234567890123; SET z -0.0 => OK",
                "INCRBYFLOAT z -0 => $0; SET s x => OK",
                "INCRBYFLOAT s 1 => -ERR value is not a valid float; SET t 1.5 EX 1 => OK",
                "INCRBYFLOAT t 1 => $2.5",
            ],
            |ctx| {
                assert_eq!(ttl(ctx, "t"), Some(2000), "INCRBYFLOAT keeps the TTL");
                let huge = format!("$17{}", "0".repeat(307));
                assert_eq!(run(ctx, "INCRBYFLOAT big 1.7e308"), huge);
                let r = run(ctx, "INCRBYFLOAT big 1.7e308");
                assert_eq!(r, "-ERR increment would produce NaN or Infinity");
            },
        );
    }

    #[test]
    fn append_strlen_ranges() {
        script(
            &[
                "STRLEN k => :0; APPEND k hello => :5; APPEND k _world => :11; STRLEN k => :11",
                "GETRANGE k 0 4 => $hello; GETRANGE k -5 -1 => $world; GETRANGE k -1 -3 => $",
                "GETRANGE k 3 1 => $; GETRANGE k -100 100 => $hello_world; GETRANGE k 11 20 => $",
                "GETRANGE k 0 9223372036854775807 => $hello_world",
                "GETRANGE k -9223372036854775808 0 => $h",
                "GETRANGE k a 1 => -ERR value is not an integer or out of range",
                "GETRANGE x 0 -1 => $; SUBSTR k 1 2 => $el; SET e '' => OK; GETRANGE e 0 -1 => $",
                "SETRANGE k 6 WORLD => :11; GET k => $hello_WORLD; SETRANGE k 13 ! => :14",
                "GET k => $hello_WORLD\0\0!; SETRANGE k 0 '' => :14; SETRANGE n 0 '' => :0",
                "GET n => nil; SETRANGE n 2 ab => :4; GET n => $\0\0ab",
                "SETRANGE n -1 x => -ERR offset is out of range",
                "SETRANGE n x x => -ERR value is not an integer or out of range",
                "SET t ab PX 100 => OK; APPEND t c => :3; SETRANGE t 0 A => :3; GET t => $Abc",
            ],
            |ctx| assert_eq!(ttl(ctx, "t"), Some(1100), "APPEND/SETRANGE keep the TTL"),
        );
    }

    #[test]
    fn max_size() {
        let big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)";
        script(&["SET k 12345 => OK"], |ctx| {
            ctx.max_bulk = 8;
            assert_eq!(run(ctx, "APPEND k 678"), ":8");
            assert_eq!(run(ctx, "APPEND k 9"), big);
            assert_eq!(run(ctx, "SETRANGE k 8 x"), big);
            assert_eq!(run(ctx, "SETRANGE n 9223372036854775807 x"), big);
            assert_eq!(run(ctx, "SETRANGE n 7 x"), ":8");
            assert_eq!(run(ctx, "GET k"), "$12345678");
        });
    }

    #[test]
    fn human_doubles() {
        let cases = [(3.0, "3"), (-2.5, "-2.5"), (-0.0, "0"), (1e-18, "0"), (1.25, "1.25")];
        for (v, s) in cases {
            assert_eq!(human_double(v), s);
        }
    }
}
