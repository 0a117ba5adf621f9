//! Hash commands: HSET and friends, counters, random fields, HSCAN.
//!
//! Every handler runs on the shard owning its key. A hash emptied by HDEL
//! is deleted. Replication is verbatim but for HINCRBYFLOAT, propagated as
//! `HSET key field <result>` so float formatting cannot make replicas
//! differ (as Redis does).

use super::flags::*;
use super::sets::{random, random_count, reply_vec, scan_cursor, scan_reply};
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, keys};
use crate::keyspace::{Db, Hash, Value};
use crate::protocol::Reply;
use crate::util::{glob_match, human_double, i64_bytes, parse_f64, parse_i64};
use bytes::Bytes;

/// The hash in a looked-up value; WRONGTYPE for any other type.
fn as_hash(v: Option<&Value>) -> Result<Option<&Hash>, CmdError> {
    match v {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The hash at `key` for a read command (counts a keyspace hit or miss).
fn read_hash<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Hash>, CmdError> {
    as_hash(ctx.lookup_read(key))
}

/// The live hash at `key` for a write; WRONGTYPE for any other type.
fn hash_mut<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<Option<&'a mut Hash>, CmdError> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The hash at `key`, created empty if missing (the caller adds to it).
fn hash_or_new<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<&'a mut Hash, CmdError> {
    if hash_mut(db, key, now)?.is_none() {
        db.set(key, Value::Hash(Hash::new()));
    }
    Ok(hash_mut(db, key, now)?.expect("just created"))
}

fn bulk(b: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(b))
}

fn hset_generic(ctx: &mut Ctx, args: &mut Args, name: &str) -> Result<usize, CmdError> {
    let key = args.key()?;
    if !args.remaining().is_multiple_of(2) {
        return Err(CmdError::arity(name));
    }
    hset_pairs(ctx, key, args.rest().chunks(2).map(|p| (&p[0][..], &p[1][..])))
}

/// Sets each (field, value); the number of new fields.
fn hset_pairs<'a>(
    ctx: &mut Ctx,
    key: &[u8],
    pairs: impl ExactSizeIterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<usize, CmdError> {
    let (now, enc) = (ctx.now, ctx.enc);
    let h = hash_or_new(ctx.db(), key, now)?;
    let (mut added, n) = (0, pairs.len());
    for (f, v) in pairs {
        added += h.set(f, v, &enc) as usize;
    }
    ctx.dirty += n as u64;
    Ok(added)
}

/// HSET key field value [field value ...] — the number of new fields.
fn hset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    Ok(Reply::Int(hset_generic(ctx, args, "hset")? as i64))
}

/// HSET of one borrowed field and value: the connection's fast path.
pub fn hset_borrowed(ctx: &mut Ctx, key: &[u8], field: &[u8], value: &[u8]) -> Reply {
    match hset_pairs(ctx, key, std::iter::once((field, value))) {
        Ok(added) => Reply::Int(added as i64),
        Err(e) => e.into(),
    }
}

/// HMSET key field value [field value ...]
fn hmset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    hset_generic(ctx, args, "hmset")?;
    Ok(Reply::Ok)
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let (f, v) = (args.next()?, args.next()?);
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    if hash_mut(db, key, now)?.is_some_and(|h| h.contains(f)) {
        return Ok(Reply::Int(0));
    }
    hash_or_new(db, key, now)?.set(f, v, &enc);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

/// HGET key field
fn hget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let f = args.next()?;
    args.finish()?;
    Ok(read_hash(ctx, key)?.and_then(|h| h.get(f)).map_or(Reply::Nil, |v| bulk(&v)))
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let h = read_hash(ctx, key)?;
    let mut out = Vec::with_capacity(args.remaining());
    while !args.is_empty() {
        let f = args.next()?;
        out.push(h.and_then(|h| h.get(f)).map_or(Reply::Nil, |v| bulk(&v)));
    }
    Ok(Reply::Array(out))
}

/// HDEL key field [field ...] — deletes the key when its last field goes.
fn hdel(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let now = ctx.now;
    let db = ctx.db();
    let Some(h) = hash_mut(db, key, now)? else { return Ok(Reply::Int(0)) };
    let mut removed = 0;
    while !args.is_empty() {
        removed += h.remove(args.next()?) as usize;
        if h.is_empty() {
            break;
        }
    }
    if h.is_empty() {
        db.remove(key, now);
    }
    ctx.dirty += removed as u64;
    Ok(Reply::Int(removed as i64))
}

/// HLEN key
fn hlen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    Ok(Reply::Int(read_hash(ctx, key)?.map_or(0, |h| h.len() as i64)))
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let f = args.next()?;
    args.finish()?;
    Ok(Reply::Int(read_hash(ctx, key)?.and_then(|h| h.get(f)).map_or(0, |v| v.len() as i64)))
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let f = args.next()?;
    args.finish()?;
    Ok(Reply::Int(read_hash(ctx, key)?.is_some_and(|h| h.contains(f)) as i64))
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let h = read_hash(ctx, key)?;
    Ok(Reply::Array(h.map_or_else(Vec::new, |h| h.iter().map(|(f, _)| bulk(&f)).collect())))
}

/// HVALS key
fn hvals(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let h = read_hash(ctx, key)?;
    Ok(Reply::Array(h.map_or_else(Vec::new, |h| h.iter().map(|(_, v)| bulk(&v)).collect())))
}

/// HGETALL key — a map in RESP3, a flat array in RESP2.
fn hgetall(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let h = read_hash(ctx, key)?;
    Ok(Reply::Map(h.map_or_else(Vec::new, |h| h.iter().map(|(f, v)| (bulk(&f), bulk(&v))).collect())))
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let f = args.next()?;
    let by = args.i64()?;
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let h = hash_or_new(ctx.db(), key, now)?;
    let cur = match h.get(f) {
        None => 0,
        Some(v) => parse_i64(&v).ok_or_else(|| CmdError::other("ERR hash value is not an integer"))?,
    };
    let new = cur.checked_add(by).ok_or(CmdError::Overflow)?;
    h.set(f, &i64_bytes(new), &enc);
    ctx.dirty += 1;
    Ok(Reply::Int(new))
}

/// HINCRBYFLOAT key field increment — propagated as `HSET key field
/// <result>` so float formatting cannot make replicas differ.
fn hincrbyfloat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.next()?;
    let f = args.next()?;
    let by = parse_f64(args.next()?).ok_or(CmdError::NotFloat)?;
    args.finish()?;
    if !by.is_finite() {
        return Err(CmdError::other("ERR value is NaN or Infinity"));
    }
    let (now, enc) = (ctx.now, ctx.enc);
    let h = hash_or_new(ctx.db(), key, now)?;
    let cur = match h.get(f) {
        None => 0.0,
        Some(v) => parse_f64(&v).ok_or_else(|| CmdError::other("ERR hash value is not a float"))?,
    };
    let v = cur + by;
    if !v.is_finite() {
        return Err(CmdError::other("ERR increment would produce NaN or Infinity"));
    }
    let out = Bytes::from(human_double(v));
    h.set(f, &out, &enc);
    ctx.dirty += 1;
    ctx.propagate(|| vec![Bytes::from_static(b"HSET"), key.clone(), f.clone(), out.clone()]);
    Ok(Reply::Bulk(out))
}

/// HRANDFIELD key [count [WITHVALUES]] — a positive count gives distinct
/// fields (at most all of them), a negative one may repeat.
fn hrandfield(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let Some(count) = args.peek() else {
        let h = read_hash(ctx, key)?;
        let pick = h.and_then(|h| h.random_pairs(1, true, &mut random).pop());
        return Ok(pick.map_or(Reply::Nil, |(f, _)| bulk(&f)));
    };
    let count = random_count(count)?;
    args.next()?;
    let withvalues = args.flag("WITHVALUES");
    args.finish()?;
    if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::other("ERR value is out of range"));
    }
    let Some(h) = read_hash(ctx, key)? else { return Ok(Reply::Array(Vec::new())) };
    let n = match count >= 0 {
        true => (count as usize).min(h.len()),
        false => count.unsigned_abs() as usize,
    };
    let mut out = reply_vec(if withvalues { n.saturating_mul(2) } else { n })?;
    if withvalues {
        // [field, value] pairs for RESP3 clients, flat for RESP2.
        let pairs = h
            .random_pairs(n, count >= 0, &mut random)
            .into_iter()
            .map(|(f, v)| (bulk(&f), bulk(&v)))
            .collect();
        return Ok(Reply::Pairs(pairs));
    }
    for (f, _) in h.random_pairs(n, count >= 0, &mut random) {
        out.push(bulk(&f));
    }
    Ok(Reply::Array(out))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES] — a listpack
/// hash comes back whole with cursor 0, as in Redis.
fn hscan(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let cursor = scan_cursor(args.next()?)?;
    let Some(h) = read_hash(ctx, key)? else { return Ok(scan_reply(0, Vec::new())) };
    let (mut pattern, mut count, mut novalues) = (None, 10, false);
    while !args.is_empty() {
        if args.flag("COUNT") && !args.is_empty() {
            count = match args.i64()? {
                n if n >= 1 => n as usize,
                _ => return Err(CmdError::Syntax),
            };
        } else if args.flag("MATCH") && !args.is_empty() {
            let p = args.next()?;
            pattern = (&p[..] != b"*").then_some(&p[..]);
        } else if args.flag("NOVALUES") {
            novalues = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let mut items = Vec::new();
    let next = h.scan(cursor, count, |f, v| {
        if pattern.is_none_or(|p| glob_match(p, &f, false)) {
            items.push(bulk(&f));
            if !novalues {
                items.push(bulk(&v));
            }
        }
    });
    Ok(scan_reply(next, items))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("hset", -4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(hset), "hash", "Creates or modifies the value of a field in a hash."),
    CommandSpec::new("hsetnx", 4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(hsetnx), "hash", "Sets the value of a field in a hash only when the field doesn't exist."),
    CommandSpec::new("hget", 3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(hget), "hash", "Returns the value of a field in a hash."),
    CommandSpec::new("hmget", -3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(hmget), "hash", "Returns the values of all fields in a hash."),
    CommandSpec::new("hmset", -4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(hmset), "hash", "Sets the values of multiple fields."),
    CommandSpec::new("hdel", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(hdel), "hash", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain."),
    CommandSpec::new("hlen", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(hlen), "hash", "Returns the number of fields in a hash."),
    CommandSpec::new("hstrlen", 3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(hstrlen), "hash", "Returns the length of the value of a field."),
    CommandSpec::new("hexists", 3, READONLY | FAST, keys(1, 1, 1), Exec::Shard(hexists), "hash", "Determines whether a field exists in a hash."),
    CommandSpec::new("hkeys", 2, READONLY, keys(1, 1, 1), Exec::Shard(hkeys), "hash", "Returns all fields in a hash."),
    CommandSpec::new("hvals", 2, READONLY, keys(1, 1, 1), Exec::Shard(hvals), "hash", "Returns all values in a hash."),
    CommandSpec::new("hgetall", 2, READONLY, keys(1, 1, 1), Exec::Shard(hgetall), "hash", "Returns all fields and values in a hash."),
    CommandSpec::new("hincrby", 4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(hincrby), "hash", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist."),
    CommandSpec::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(hincrbyfloat), "hash", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist."),
    CommandSpec::new("hrandfield", -2, READONLY, keys(1, 1, 1), Exec::Shard(hrandfield), "hash", "Returns one or more random fields from a hash."),
    CommandSpec::new("hscan", -3, READONLY, keys(1, 1, 1), Exec::Shard(hscan), "hash", "Iterates over fields and values of a hash."),
];

#[cfg(test)]
mod tests {
    use super::super::lists::script::{effects, run, script};
    use super::*;
    use crate::keyspace::Encodings;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    #[test]
    fn set_get_and_friends() {
        script(
            &[
                "HSET h a 1 b 2 => :2; HSET h a 10 c 3 => :1; HGET h a => $10; HGET h zz => nil; HGET n a => nil",
                "HMSET h d 4 => OK; HLEN h => :4; HLEN n => :0; HSETNX h a x => :0; HSETNX h e 5 => :1",
                "HSETNX n2 f v => :1; HGET n2 f => $v; HMGET h a zz e => [$10,nil,$5]; HMGET n a b => [nil,nil]",
                "HEXISTS h a => :1; HEXISTS h zz => :0; HEXISTS n a => :0; HSTRLEN h a => :2",
                "HSTRLEN h zz => :0; HSTRLEN n a => :0; HKEYS h => [$a,$b,$c,$d,$e]; HVALS h => [$10,$2,$3,$4,$5]",
                "HGETALL n2 => {$f=$v}; HGETALL n => {}; HKEYS n => []; HVALS n => []",
                "HSET h => -ERR wrong number of arguments for 'hset' command",
                "HSET h a => -ERR wrong number of arguments for 'hset' command",
                "HSET h a 1 b => -ERR wrong number of arguments for 'hset' command",
                "HMSET h a 1 b => -ERR wrong number of arguments for 'hmset' command",
                "HSET h '' '' => :1; HGET h '' => $; HSTRLEN h '' => :0",
            ],
            // 2 + 2 + 1 + 1 + 1 + 1 pairs written.
            |ctx| assert_eq!(ctx.dirty, 8),
        );
    }

    #[test]
    fn hdel_deletes_empty_hashes() {
        script(
            &[
                "HSET h a 1 b 2 c 3 => :3; HDEL h a zz => :1; HDEL h a => :0; HDEL n a => :0",
                "HDEL h b c d => :2; EXISTS h => :0; HDEL h => -ERR wrong number of arguments for 'hdel' command",
            ],
            |_| {},
        );
    }

    #[test]
    fn counters() {
        script(
            &[
                "HINCRBY h n 5 => :5; HINCRBY h n -7 => :-2; HGET h n => $-2; HSET h s x => :1",
                "HINCRBY h s 1 => -ERR hash value is not an integer",
                "HINCRBY h n x => -ERR value is not an integer or out of range",
                "HSET h big 9223372036854775807 => :1; HINCRBY h big 1 => -ERR increment or decrement would overflow",
                "HINCRBY h big -9223372036854775807 => :0; HINCRBYFLOAT h f 10.5 => $10.5",
                "HINCRBYFLOAT h f 0.1 => $10.6; HINCRBYFLOAT h n 1.5 => $-0.5; HINCRBYFLOAT h f -10.6 => $0",
                "HINCRBYFLOAT h s 1 => -ERR hash value is not a float",
                "HINCRBYFLOAT h f x => -ERR value is not a valid float",
                "HINCRBYFLOAT h f inf => -ERR value is NaN or Infinity",
                "HINCRBYFLOAT n f inf => -ERR value is NaN or Infinity; EXISTS n => :0",
                "HINCRBYFLOAT h g 1e21 => $1000000000000000000000; HSET h m 1.7e308 => :1",
                "HINCRBYFLOAT h m 1.7e308 => -ERR increment would produce NaN or Infinity",
                "HINCRBYFLOAT h e 5.0e3 => $5000",
            ],
            |ctx| assert_eq!(effects(ctx), Some(vec!["HSET h e 5000".to_string()])),
        );
    }

    #[test]
    fn hrandfield() {
        script(
            &[
                "HRANDFIELD n => nil; HRANDFIELD n 3 => []; HRANDFIELD n -3 WITHVALUES => []",
                "HSET h a 1 => :1; HRANDFIELD h => $a; HRANDFIELD h 5 => [$a]; HRANDFIELD h -3 => [$a,$a,$a]",
                "HRANDFIELD h 2 WITHVALUES => [$a,$1]; HRANDFIELD h 0 => []; HRANDFIELD h 0 WITHVALUES => []",
                "HRANDFIELD h x => -ERR value is not an integer or out of range",
                "HRANDFIELD h 1 foo => -ERR syntax error; HRANDFIELD h 1 WITHVALUES x => -ERR syntax error",
                "HRANDFIELD h -9223372036854775807 WITHVALUES => -ERR value is out of range",
                "HRANDFIELD h -9223372036854775808 => -ERR value is out of range, value must between \
                 -9223372036854775807 and 9223372036854775807",
                "HRANDFIELD n x => -ERR value is not an integer or out of range",
            ],
            |ctx| {
                for i in 0..300 {
                    run(ctx, &format!("HSET big f{i} v{i}"));
                }
                let r = run(ctx, "HRANDFIELD big 200 WITHVALUES");
                let items: Vec<&str> = r.trim_matches(['[', ']']).split(',').collect();
                assert_eq!(items.len(), 400);
                let fields: std::collections::HashSet<&str> = items.iter().step_by(2).copied().collect();
                assert_eq!(fields.len(), 200, "distinct fields");
                assert!(items.chunks(2).all(|p| p[0][2..] == p[1][2..]), "values match fields");
                let r = run(ctx, "HRANDFIELD big -500");
                assert_eq!(r.split(',').count(), 500);
            },
        );
    }

    #[test]
    fn hscan() {
        script(
            &[
                "HSCAN n 0 => [$0,[]]; HSET h a 1 b 2 ab 3 => :3; HSCAN h 0 => [$0,[$a,$1,$b,$2,$ab,$3]]",
                "HSCAN h 0 MATCH a* => [$0,[$a,$1,$ab,$3]]; HSCAN h 0 NOVALUES => [$0,[$a,$b,$ab]]",
                "HSCAN h 0 COUNT 1 MATCH b NOVALUES => [$0,[$b]]; HSCAN h x => -ERR invalid cursor",
                "HSCAN h 0 COUNT 0 => -ERR syntax error; HSCAN h 0 COUNT x => -ERR value is not an integer or out of range",
                "HSCAN h 0 FOO => -ERR syntax error; HSCAN h 0 MATCH => -ERR syntax error; HSCAN n 0 FOO => [$0,[]]",
            ],
            |ctx| {
                for i in 0..200 {
                    run(ctx, &format!("HSET big f{i} {i}"));
                }
                let (mut cursor, mut fields) = ("0".to_string(), std::collections::HashSet::new());
                loop {
                    let r = run(ctx, &format!("HSCAN big {cursor} COUNT 7 NOVALUES"));
                    let (c, rest) = r[2..].split_once(",[").unwrap();
                    fields.extend(
                        rest.trim_end_matches("]]").split(',').filter(|s| !s.is_empty()).map(String::from),
                    );
                    cursor = c.to_string();
                    if cursor == "0" {
                        break;
                    }
                }
                assert_eq!(fields.len(), 200);
            },
        );
    }

    #[test]
    fn wrong_type_everywhere() {
        let cmds = [
            "HSET s a 1",
            "HMSET s a 1",
            "HSETNX s a 1",
            "HGET s a",
            "HMGET s a",
            "HDEL s a",
            "HLEN s",
            "HSTRLEN s a",
            "HEXISTS s a",
            "HKEYS s",
            "HVALS s",
            "HGETALL s",
            "HINCRBY s a 1",
            "HINCRBYFLOAT s a 1",
            "HRANDFIELD s",
            "HRANDFIELD s 2",
            "HSCAN s 0",
        ];
        script(&["SET s v => OK"], |ctx| {
            for cmd in cmds {
                assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
            }
            assert_eq!(ctx.dirty, 1);
        });
    }

    #[test]
    fn encodings_follow_config() {
        script(&[], |ctx| {
            let now = ctx.now;
            let enc_of = |ctx: &mut Ctx| ctx.db().get(b"h", now).map(|v| v.encoding());
            ctx.enc = Encodings {
                hash_max_listpack_entries: 2,
                hash_max_listpack_value: 4,
                ..Encodings::default()
            };
            run(ctx, "HSET h a 1 b 2");
            assert_eq!(enc_of(ctx), Some("listpack"));
            run(ctx, "HSET h c 3");
            assert_eq!(enc_of(ctx), Some("hashtable"));
            run(ctx, "HDEL h a b");
            assert_eq!(enc_of(ctx), Some("hashtable"), "never back");
            run(ctx, "DEL h");
            run(ctx, "HSET h a 12345");
            assert_eq!(enc_of(ctx), Some("hashtable"));
            assert_eq!(run(ctx, "HGETALL h"), "{$a=$12345}");
        });
    }

    #[test]
    fn human_doubles() {
        for (v, s) in
            [(3.0, "3"), (-2.5, "-2.5"), (-0.0, "0"), (1e-18, "0"), (0.1 + 0.2, "0.30000000000000004")]
        {
            assert_eq!(human_double(v), s);
        }
    }
}
