//! List commands: pushes and pops at both ends, ranges and positions,
//! moves between lists, LMPOP; the blocking pops are in `lists_blocking`.
//!
//! Handlers run on the shard owning their keys; the multi-key ones (LMOVE,
//! RPOPLPUSH, LMPOP and the blocking forms) are `Span::Coordinated`, so when
//! their keys sit on several shards the runtime gathers them into one scratch
//! keyspace and the same single-shard body runs there.
//!
//! Invariants kept here: a list that becomes empty is deleted; every write
//! that adds elements signals its key ready for blocked clients; `dirty`
//! counts elements written, as Redis's does. Replication is verbatim except
//! LMPOP, propagated as the `LPOP key count`/`RPOP key count` it amounted
//! to (as Redis does), so replicas need not look at the other keys.

use super::flags::*;
use super::sets::{numkeys, numkeys_positions};
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, NO_KEYS, Span, keys};
use crate::keyspace::{Db, List, Value};
use crate::protocol::{Reply, bulk_array};
use crate::util::{i64_bytes, parse_i64};
use bytes::Bytes;

/// The list in a looked-up value; WRONGTYPE for any other type.
pub(super) fn as_list(v: Option<&Value>) -> Result<Option<&List>, CmdError> {
    match v {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The list at `key` for a read command (counts a keyspace hit or miss).
fn read_list<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a List>, CmdError> {
    as_list(ctx.lookup_read(key))
}

/// The live list at `key` for a write; WRONGTYPE for any other type.
pub(super) fn list_mut<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<Option<&'a mut List>, CmdError> {
    match db.get_mut(key, now) {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The list at `key`, created empty if missing (the caller adds to it).
fn list_or_new<'a>(db: &'a mut Db, key: &[u8], now: u64) -> Result<&'a mut List, CmdError> {
    if list_mut(db, key, now)?.is_none() {
        db.set(key, Value::List(List::new()));
    }
    Ok(list_mut(db, key, now)?.expect("just created"))
}

/// Checks that `key` holds a list or nothing.
pub(super) fn check_list(db: &mut Db, key: &[u8], now: u64) -> Result<(), CmdError> {
    list_mut(db, key, now).map(|_| ())
}

/// Deletes the list at `key` if it became empty.
pub(super) fn delete_if_empty(db: &mut Db, key: &[u8], now: u64) {
    if let Ok(Some(l)) = list_mut(db, key, now)
        && l.is_empty()
    {
        db.remove(key, now);
    }
}

/// LEFT or RIGHT (case-insensitive): true for LEFT, the front.
pub(super) fn parse_end(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"LEFT") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"RIGHT") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// The LEFT/RIGHT word for an end, as propagated.
pub(super) fn end_name(front: bool) -> Bytes {
    Bytes::from_static(if front { b"LEFT" } else { b"RIGHT" })
}

fn bulk(e: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(e))
}

/// A count of LPOP/RPOP: a non-negative integer, one error text for both
/// a non-integer and a negative value, as Redis.
fn pop_count(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::other("ERR value is out of range, must be positive")),
    }
}

/// Inclusive `start..=end` of a list of `len` after Redis's clamping of
/// negative and out-of-range indexes; None when empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

fn push_generic(ctx: &mut Ctx, args: &mut Args, front: bool, only_existing: bool) -> CmdResult {
    let key = args.key()?;
    push_values(ctx, key, args.rest(), front, only_existing)
}

fn push_values<V: AsRef<[u8]>>(
    ctx: &mut Ctx,
    key: &[u8],
    values: &[V],
    front: bool,
    only_existing: bool,
) -> CmdResult {
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    let list = match only_existing {
        true => match list_mut(db, key, now)? {
            Some(l) => l,
            None => return Ok(Reply::Int(0)),
        },
        false => list_or_new(db, key, now)?,
    };
    for v in values {
        if front {
            list.push_front(v.as_ref(), &enc);
        } else {
            list.push_back(v.as_ref(), &enc);
        }
    }
    let len = list.len();
    ctx.dirty += values.len() as u64;
    ctx.signal_ready(key);
    Ok(Reply::Int(len as i64))
}

/// LPUSH (`front`) or RPUSH of one borrowed element: the connection's fast
/// path.
pub fn push_borrowed(ctx: &mut Ctx, key: &[u8], value: &[u8], front: bool) -> Reply {
    push_values(ctx, key, &[value], front, false).unwrap_or_else(Reply::from)
}

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, true, false)
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, false, false)
}

/// LPUSHX key element [element ...] — only onto an existing list.
fn lpushx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, true, true)
}

/// RPUSHX key element [element ...] — only onto an existing list.
fn rpushx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    push_generic(ctx, args, false, true)
}

/// Pops up to `count` elements from the list at `key`, deleting it when
/// emptied; None when the key is missing.
pub(super) fn pop_some(
    ctx: &mut Ctx,
    key: &[u8],
    count: usize,
    front: bool,
) -> Result<Option<Vec<Bytes>>, CmdError> {
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    let Some(list) = list_mut(db, key, now)? else { return Ok(None) };
    let popped = list.pop_n(count, front, &enc);
    delete_if_empty(db, key, now);
    ctx.dirty += popped.len() as u64;
    Ok(Some(popped))
}

fn pop_generic(ctx: &mut Ctx, args: &mut Args, front: bool) -> CmdResult {
    let key = args.key()?;
    let count = match args.remaining() {
        0 => None,
        1 => Some(pop_count(args.next()?)?),
        _ => return Err(CmdError::arity(&String::from_utf8_lossy(args.name()))),
    };
    pop_reply(ctx, key, count, front)
}

/// LPOP (`front`) or RPOP without a count, on a borrowed key: the
/// connection's fast path.
pub fn pop_borrowed(ctx: &mut Ctx, key: &[u8], front: bool) -> Reply {
    pop_reply(ctx, key, None, front).unwrap_or_else(Reply::from)
}

fn pop_reply(ctx: &mut Ctx, key: &[u8], count: Option<usize>, front: bool) -> CmdResult {
    let now = ctx.now;
    let Some(list) = list_mut(ctx.db(), key, now)? else {
        return Ok(if count.is_some() { Reply::NilArray } else { Reply::Nil });
    };
    if list.is_empty() || count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let popped = pop_some(ctx, key, count.unwrap_or(1), front)?.unwrap_or_default();
    Ok(match count {
        None => popped.into_iter().next().map_or(Reply::Nil, Reply::Bulk),
        Some(_) => Reply::Array(popped.into_iter().map(Reply::Bulk).collect()),
    })
}

/// LPOP key [count]
fn lpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    pop_generic(ctx, args, true)
}

/// RPOP key [count]
fn rpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    pop_generic(ctx, args, false)
}

/// LLEN key
fn llen(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    Ok(Reply::Int(read_list(ctx, key)?.map_or(0, |l| l.len() as i64)))
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let (start, end) = (args.i64()?, args.i64()?);
    args.finish()?;
    let Some(l) = read_list(ctx, key)? else { return Ok(Reply::Array(Vec::new())) };
    let Some((from, to)) = clamp_range(start, end, l.len()) else { return Ok(Reply::Array(Vec::new())) };
    let n = to - from + 1;
    Ok(bulk_array(n, l.iter_from(from).take(n)))
}

/// LINDEX key index — the key is looked up before the index is parsed.
fn lindex(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let index = args.next()?;
    args.finish()?;
    let Some(l) = read_list(ctx, key)? else { return Ok(Reply::Nil) };
    let index = parse_i64(index).ok_or(CmdError::NotInteger)?;
    let i = if index < 0 { l.len() as i64 + index } else { index };
    Ok(usize::try_from(i).ok().and_then(|i| l.get(i)).map_or(Reply::Nil, |e| bulk(&e)))
}

/// LSET key index element
fn lset(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let index = args.next()?;
    let v = args.next()?;
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let list = list_mut(ctx.db(), key, now)?.ok_or(CmdError::NoSuchKey)?;
    let index = parse_i64(index).ok_or(CmdError::NotInteger)?;
    let i = if index < 0 { list.len() as i64 + index } else { index };
    let ok = usize::try_from(i).is_ok_and(|i| list.set(i, v, &enc));
    if !ok {
        return Err(CmdError::OutOfRange);
    }
    ctx.dirty += 1;
    Ok(Reply::Ok)
}

/// LINSERT key <BEFORE | AFTER> pivot element — the new length, 0 for a
/// missing key, -1 when the pivot is not there.
fn linsert(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let after = match args.next()? {
        w if w.eq_ignore_ascii_case(b"BEFORE") => false,
        w if w.eq_ignore_ascii_case(b"AFTER") => true,
        _ => return Err(CmdError::Syntax),
    };
    let (pivot, v) = (args.next()?, args.next()?);
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let Some(list) = list_mut(ctx.db(), key, now)? else { return Ok(Reply::Int(0)) };
    let Some(i) = list.position(pivot) else { return Ok(Reply::Int(-1)) };
    list.insert(i + after as usize, v, &enc);
    let len = list.len();
    ctx.dirty += 1;
    ctx.signal_ready(key);
    Ok(Reply::Int(len as i64))
}

/// LREM key count element — from the front when count > 0, from the back
/// when negative, every one when 0.
fn lrem(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let count = args.i64()?;
    let v = args.next()?;
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    let Some(list) = list_mut(db, key, now)? else { return Ok(Reply::Int(0)) };
    let removed = list.remove_value(v, count, &enc);
    delete_if_empty(db, key, now);
    ctx.dirty += removed as u64;
    Ok(Reply::Int(removed as i64))
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let (start, end) = (args.i64()?, args.i64()?);
    args.finish()?;
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    let Some(list) = list_mut(db, key, now)? else { return Ok(Reply::Ok) };
    let len = list.len();
    let (front, back) = match clamp_range(start, end, len) {
        Some((from, to)) => (from, len - 1 - to),
        None => (len, 0),
    };
    list.remove_ends(front, back, &enc);
    delete_if_empty(db, key, now);
    ctx.dirty += (front + back) as u64;
    Ok(Reply::Ok)
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let v = args.next()?;
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0usize);
    let non_negative = |arg: &[u8], what: &str| match parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::other(format!("ERR {what} can't be negative"))),
    };
    while !args.is_empty() {
        if args.flag("RANK") && !args.is_empty() {
            rank = match args.i64()? {
                i64::MIN => {
                    return Err(CmdError::other(
                        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
                    ));
                }
                0 => {
                    return Err(CmdError::other(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                     or use negative to start from the end of the list",
                    ));
                }
                r => r,
            };
        } else if args.flag("COUNT") && !args.is_empty() {
            count = Some(non_negative(args.next()?, "COUNT")?);
        } else if args.flag("MAXLEN") && !args.is_empty() {
            maxlen = non_negative(args.next()?, "MAXLEN")?;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(l) = read_list(ctx, key)? else {
        return Ok(if count.is_some() { Reply::Array(Vec::new()) } else { Reply::Nil });
    };
    let skip = (rank.unsigned_abs() - 1) as usize;
    let found = l.positions(v, skip, count.unwrap_or(1), maxlen, rank < 0);
    Ok(match count {
        Some(_) => Reply::Array(found.into_iter().map(|i| Reply::Int(i as i64)).collect()),
        None => found.first().map_or(Reply::Nil, |&i| Reply::Int(i as i64)),
    })
}

/// Moves one element from an end of `src` to an end of `dst` (which may be
/// the same list): the element, or None when `src` is missing. WRONGTYPE
/// for either key, `src` checked first, before anything changes.
pub(super) fn move_one(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from_front: bool,
    to_front: bool,
) -> Result<Option<Bytes>, CmdError> {
    let (now, enc) = (ctx.now, ctx.enc);
    let db = ctx.db();
    if list_mut(db, src, now)?.is_none() {
        return Ok(None);
    }
    check_list(db, dst, now)?;
    let src_list = list_mut(db, src, now)?.expect("checked above");
    let Some(v) = (if from_front { src_list.pop_front(&enc) } else { src_list.pop_back(&enc) }) else {
        return Ok(None);
    };
    let dst_list = list_or_new(db, dst, now)?;
    if to_front {
        dst_list.push_front(&v, &enc);
    } else {
        dst_list.push_back(&v, &enc);
    }
    delete_if_empty(db, src, now);
    ctx.dirty += 1;
    ctx.signal_ready(dst);
    Ok(Some(v))
}

/// LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>
fn lmove(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (src, dst) = (args.key()?, args.key()?);
    let (from, to) = (parse_end(args.next()?)?, parse_end(args.next()?)?);
    args.finish()?;
    Ok(move_one(ctx, src, dst, from, to)?.into())
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let (src, dst) = (args.key()?, args.key()?);
    args.finish()?;
    Ok(move_one(ctx, src, dst, false, true)?.into())
}

/// The parsed tail of LMPOP/BLMPOP: `numkeys key [key ...] <LEFT | RIGHT>
/// [COUNT count]` with numkeys at `argv[at]`.
pub(super) struct MpopArgs<'a> {
    pub keys: &'a [Bytes],
    pub front: bool,
    pub count: usize,
}

pub(super) fn parse_mpop(argv: &[Bytes], at: usize) -> Result<MpopArgs<'_>, CmdError> {
    let n = numkeys(argv, at)?;
    let where_at = at + 1 + n;
    if where_at >= argv.len() {
        return Err(CmdError::Syntax);
    }
    let front = parse_end(&argv[where_at])?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < argv.len() {
        if count.is_none() && argv[i].eq_ignore_ascii_case(b"COUNT") && i + 1 < argv.len() {
            let bad = || CmdError::other("ERR count should be greater than 0");
            count = Some(parse_i64(&argv[i + 1]).filter(|&c| c >= 1).ok_or_else(bad)? as usize);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MpopArgs { keys: &argv[at + 1..where_at], front, count: count.unwrap_or(1) })
}

/// Pops from the first non-empty list among `m.keys`: the reply
/// `[key, [elements]]`, propagated as `LPOP key n`/`RPOP key n`; None when
/// every list is empty. WRONGTYPE for a key of another type met first.
pub(super) fn mpop_serve(ctx: &mut Ctx, m: &MpopArgs) -> Result<Option<Reply>, CmdError> {
    let now = ctx.now;
    for key in m.keys {
        if list_mut(ctx.db(), key, now)?.is_none() {
            continue;
        }
        let popped = pop_some(ctx, key, m.count, m.front)?.unwrap_or_default();
        let cmd = Bytes::from_static(if m.front { b"LPOP" } else { b"RPOP" });
        ctx.propagate(|| vec![cmd, key.clone(), i64_bytes(popped.len() as i64)]);
        let items = popped.into_iter().map(Reply::Bulk).collect();
        return Ok(Some(Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Array(items)])));
    }
    Ok(None)
}

/// LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]
fn lmpop(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let m = parse_mpop(args.all(), 1)?;
    Ok(mpop_serve(ctx, &m)?.unwrap_or(Reply::NilArray))
}

/// Key positions of LMPOP (numkeys at 1).
fn lmpop_keys(argv: &[Bytes]) -> Option<Vec<usize>> {
    numkeys_positions(argv, 1, None)
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("lpush", -3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(lpush), "list", "Prepends one or more elements to a list. Creates the key if it doesn't exist."),
    CommandSpec::new("rpush", -3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(rpush), "list", "Appends one or more elements to a list. Creates the key if it doesn't exist."),
    CommandSpec::new("lpushx", -3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(lpushx), "list", "Prepends one or more elements to a list only when the list exists."),
    CommandSpec::new("rpushx", -3, WRITE | DENYOOM | FAST, keys(1, 1, 1), Exec::Shard(rpushx), "list", "Appends an element to a list only when the list exists."),
    CommandSpec::new("lpop", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(lpop), "list", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped."),
    CommandSpec::new("rpop", -2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(rpop), "list", "Returns and removes the last elements of a list. Deletes the list if the last element was popped."),
    CommandSpec::new("llen", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(llen), "list", "Returns the length of a list."),
    CommandSpec::new("lrange", 4, READONLY, keys(1, 1, 1), Exec::Shard(lrange), "list", "Returns a range of elements from a list."),
    CommandSpec::new("lindex", 3, READONLY, keys(1, 1, 1), Exec::Shard(lindex), "list", "Returns an element from a list by its index."),
    CommandSpec::new("lset", 4, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(lset), "list", "Sets the value of an element in a list by its index."),
    CommandSpec::new("linsert", 5, WRITE | DENYOOM, keys(1, 1, 1), Exec::Shard(linsert), "list", "Inserts an element before or after another element in a list."),
    CommandSpec::new("lrem", 4, WRITE, keys(1, 1, 1), Exec::Shard(lrem), "list", "Removes elements from a list. Deletes the list if the last element was removed."),
    CommandSpec::new("ltrim", 4, WRITE, keys(1, 1, 1), Exec::Shard(ltrim), "list", "Removes elements from both ends a list. Deletes the list if all elements were trimmed."),
    CommandSpec::new("lpos", -3, READONLY, keys(1, 1, 1), Exec::Shard(lpos), "list", "Returns the index of matching elements in a list."),
    CommandSpec::new("lmove", 5, WRITE | DENYOOM, keys(1, 2, 1), Exec::Shard(lmove), "list", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.").span(Span::Coordinated),
    CommandSpec::new("rpoplpush", 3, WRITE | DENYOOM, keys(1, 2, 1), Exec::Shard(rpoplpush), "list", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.").span(Span::Coordinated),
    CommandSpec::new("lmpop", -4, WRITE, NO_KEYS, Exec::Shard(lmpop), "list", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.").keys_fn(lmpop_keys).span(Span::Coordinated),
];

/// A test harness shared by the list and hash command tests: runs command
/// lines through the whole table as the runtime would.
#[cfg(test)]
pub(super) mod script {
    use super::super::{Args, CmdError, Ctx, Exec, lookup};
    use crate::keyspace::Keyspace;
    use crate::protocol::Reply;
    use bytes::Bytes;

    /// Runs one command line (`''` is an empty argument), arity check
    /// included, with fresh effects and block, and renders the reply
    /// compactly: `OK`, `nil`, `*nil` (null array), `:1`, `$bulk`,
    /// `-ERR ...`, `[a,b]`, `{k=v}`.
    pub fn run(ctx: &mut Ctx, line: &str) -> String {
        let v: Vec<Bytes> = line
            .split(' ')
            .map(|s| if s == "''" { Bytes::new() } else { Bytes::copy_from_slice(s.as_bytes()) })
            .collect();
        let spec = lookup(&v[0]).expect("command in table");
        let Exec::Shard(f) = spec.exec else { panic!("{} is not a shard command", spec.name) };
        ctx.effects = None;
        ctx.block = None;
        let r = match spec.arity_ok(v.len()) {
            true => f(ctx, &mut Args::new(&v)),
            false => Err(CmdError::arity(spec.name)),
        };
        show(&r.unwrap_or_else(Reply::from))
    }

    pub fn show(r: &Reply) -> String {
        let list = |v: &[Reply]| v.iter().map(show).collect::<Vec<_>>().join(",");
        match r {
            Reply::Ok => "OK".into(),
            Reply::Nil => "nil".into(),
            Reply::NilArray => "*nil".into(),
            Reply::Int(i) => format!(":{i}"),
            r @ (Reply::Bulk(_) | Reply::Short(..)) => {
                format!("${}", String::from_utf8_lossy(r.as_bulk().unwrap_or_default()))
            }
            // A pre-encoded bulk array reads back as a request would.
            Reply::Encoded(b) => {
                let mut buf = bytes::BytesMut::from(&b[..]);
                let items = crate::protocol::parse_request(&mut buf, &Default::default()).unwrap().unwrap();
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|e| format!("${}", String::from_utf8_lossy(e)))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
            Reply::Error(e) => format!("-{}", String::from_utf8_lossy(e)),
            Reply::Array(a) => format!("[{}]", list(a)),
            // Shown as RESP2 sends it: one flat array.
            Reply::Pairs(p) => {
                format!("[{}]", p.iter().flat_map(|(a, b)| [show(a), show(b)]).collect::<Vec<_>>().join(","))
            }
            Reply::Map(m) => {
                format!(
                    "{{{}}}",
                    m.iter().map(|(k, v)| format!("{}={}", show(k), show(v))).collect::<Vec<_>>().join(",")
                )
            }
            other => format!("{other:?}"),
        }
    }

    /// Runs `"command => expected reply"` steps (several to a line, split
    /// by `; `) in order on a fresh keyspace at `now` = 1000 ms, then hands
    /// the context to `then`.
    pub fn script(steps: &[&str], then: impl FnOnce(&mut Ctx)) {
        let mut ks = Keyspace::default();
        let mut ctx = Ctx::new(&mut ks, 0, 1000, 512 << 20);
        for step in steps.iter().flat_map(|s| s.split("; ")) {
            let (cmd, want) = step.split_once(" => ").expect("cmd => reply");
            assert_eq!(run(&mut ctx, cmd), want, "{cmd}");
        }
        then(&mut ctx);
    }

    /// The effects the last command left, as space-joined lines.
    pub fn effects(ctx: &Ctx) -> Option<Vec<String>> {
        let line =
            |a: &Vec<Bytes>| a.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect::<Vec<_>>();
        ctx.effects.as_ref().map(|e| e.iter().map(|a| line(a).join(" ")).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::script::{effects, run, script};
    use super::*;
    use crate::keyspace::Encodings;

    const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    fn encoding(ctx: &mut Ctx, key: &str) -> &'static str {
        let now = ctx.now;
        ctx.db().get(key.as_bytes(), now).map_or("none", |v| v.encoding())
    }

    #[test]
    fn push_pop_len_range() {
        script(
            &[
                "LPUSH l a b c => :3; RPUSH l d e => :5; LRANGE l 0 -1 => [$c,$b,$a,$d,$e]; LLEN l => :5",
                "LPUSHX n a => :0; RPUSHX n a => :0; EXISTS n => :0; LPUSHX l z => :6; RPUSHX l y x => :8",
                "LRANGE l 0 -1 => [$z,$c,$b,$a,$d,$e,$y,$x]; LLEN n => :0",
                "LPOP l => $z; RPOP l => $x; LPOP l 2 => [$c,$b]; RPOP l 0 => []; RPOP l 2 => [$y,$e]",
                "LPOP n => nil; LPOP n 2 => *nil; LPOP n 0 => *nil; RPOP l 10 => [$d,$a]; EXISTS l => :0",
                "LPOP l -1 => -ERR value is out of range, must be positive",
                "LPOP l x => -ERR value is out of range, must be positive",
                "LPOP l 1 2 => -ERR wrong number of arguments for 'lpop' command",
                "RPOP l 1 2 => -ERR wrong number of arguments for 'rpop' command",
                "LPUSH l => -ERR wrong number of arguments for 'lpush' command",
                "RPUSH l 1 2 3 '' => :4; LRANGE l -100 100 => [$1,$2,$3,$]; LRANGE l 1 -2 => [$2,$3]",
                "LRANGE l 2 1 => []; LRANGE l 4 10 => []; LRANGE l -1 -1 => [$]; LRANGE n 0 -1 => []",
                "LRANGE l -9223372036854775808 9223372036854775807 => [$1,$2,$3,$]",
                "LRANGE l a 1 => -ERR value is not an integer or out of range",
            ],
            // 3+2+1+2+4 pushed, 1+1+2+2+2 popped.
            |ctx| assert_eq!(ctx.dirty, 20),
        );
    }

    #[test]
    fn index_set_insert() {
        script(
            &[
                "RPUSH l a b c => :3; LINDEX l 0 => $a; LINDEX l -1 => $c; LINDEX l 3 => nil",
                "LINDEX l -4 => nil; LINDEX n x => nil; LINDEX l x => -ERR value is not an integer or out of range",
                "LSET l 1 B => OK; LSET l -1 C => OK; LRANGE l 0 -1 => [$a,$B,$C]",
                "LSET l 3 x => -ERR index out of range; LSET l -4 x => -ERR index out of range",
                "LSET n 0 x => -ERR no such key; LSET l x x => -ERR value is not an integer or out of range",
                "LINSERT l BEFORE a x => :4; LINSERT l after C y => :5; LINSERT l AFTER B 1 => :6",
                "LRANGE l 0 -1 => [$x,$a,$B,$1,$C,$y]; LINSERT l BEFORE zz q => :-1",
                "LINSERT n BEFORE a q => :0; EXISTS n => :0; LINSERT l MIDDLE a q => -ERR syntax error",
                "LINSERT n MIDDLE a q => -ERR syntax error; LINSERT l before 1 0 => :7; LINDEX l 3 => $0",
            ],
            |_| {},
        );
    }

    #[test]
    fn rem_and_trim() {
        script(
            &[
                "RPUSH l a b a c a b a => :7; LREM l 2 a => :2; LRANGE l 0 -1 => [$b,$c,$a,$b,$a]",
                "LREM l -1 b => :1; LRANGE l 0 -1 => [$b,$c,$a,$a]; LREM l 0 a => :2; LREM l 0 zz => :0",
                "LREM n 0 a => :0; LREM l x a => -ERR value is not an integer or out of range",
                "LREM l 0 b => :1; LREM l 0 c => :1; EXISTS l => :0",
                "RPUSH l 1 2 3 4 5 => :5; LTRIM l 1 -2 => OK; LRANGE l 0 -1 => [$2,$3,$4]",
                "LTRIM l 0 100 => OK; LLEN l => :3; LTRIM l -1 -1 => OK; LRANGE l 0 -1 => [$4]",
                "LTRIM n 0 1 => OK; LTRIM l x 1 => -ERR value is not an integer or out of range",
                "LTRIM l 5 10 => OK; EXISTS l => :0; RPUSH l a => :1; LTRIM l 1 0 => OK; EXISTS l => :0",
            ],
            |_| {},
        );
    }

    #[test]
    fn lpos() {
        script(
            &[
                "RPUSH l a b c 1 2 3 c c => :8; LPOS l c => :2; LPOS l c RANK 2 => :6; LPOS l c RANK -1 => :7",
                "LPOS l c COUNT 0 => [:2,:6,:7]; LPOS l c COUNT 2 RANK -1 => [:7,:6]; LPOS l zz => nil",
                "LPOS l zz COUNT 1 => []; LPOS l c MAXLEN 3 => :2; LPOS l c MAXLEN 2 => nil",
                "LPOS l c RANK -1 MAXLEN 1 COUNT 0 => [:7]; LPOS l 3 => :5; LPOS n a => nil",
                "LPOS n a COUNT 1 => []; LPOS l c RANK 4 => nil",
                "LPOS l c RANK 0 => -ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                 second ... or use negative to start from the end of the list",
                "LPOS l c RANK -9223372036854775808 => -ERR value is out of range, value must between \
                 -9223372036854775807 and 9223372036854775807",
                "LPOS l c RANK x => -ERR value is not an integer or out of range",
                "LPOS l c COUNT -1 => -ERR COUNT can't be negative; LPOS l c COUNT x => -ERR COUNT can't be negative",
                "LPOS l c MAXLEN -1 => -ERR MAXLEN can't be negative; LPOS l c RANK => -ERR syntax error",
                "LPOS l c FOO => -ERR syntax error; LPOS n c FOO => -ERR syntax error",
            ],
            |_| {},
        );
    }

    #[test]
    fn moves() {
        script(
            &[
                "RPUSH a 1 2 3 => :3; LMOVE a b LEFT RIGHT => $1; LMOVE a b left left => $2",
                "LRANGE b 0 -1 => [$2,$1]; RPOPLPUSH a b => $3; EXISTS a => :0; LRANGE b 0 -1 => [$3,$2,$1]",
                "RPOPLPUSH a b => nil; LMOVE b b LEFT RIGHT => $3; LRANGE b 0 -1 => [$2,$1,$3]",
                "RPOPLPUSH b b => $3; LRANGE b 0 -1 => [$3,$2,$1]; LMOVE b b UP LEFT => -ERR syntax error",
                "SET s x => OK; LMOVE b s LEFT LEFT => {WT}; RPOPLPUSH s b => {WT}; LLEN b => :3",
                "RPOPLPUSH n s => nil; RPUSH one x => :1; LMOVE one one RIGHT LEFT => $x; LLEN one => :1",
            ]
            .map(|l| l.replace("{WT}", WRONGTYPE))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
            |ctx| {
                ctx.ks.watched.insert((0, Bytes::from("dst")));
                assert_eq!(run(ctx, "LMOVE b dst RIGHT LEFT"), "$1");
                assert_eq!(ctx.ks.ready, [(0, Bytes::from("dst"))], "the destination is signalled");
                assert_eq!(effects(ctx), None, "LMOVE replicates verbatim");
            },
        );
    }

    #[test]
    fn lmpop() {
        script(
            &[
                "RPUSH b 1 2 3 => :3; LMPOP 2 a b LEFT => [$b,[$1]]; LMPOP 2 a b RIGHT COUNT 5 => [$b,[$3,$2]]",
                "EXISTS b => :0; LMPOP 2 a b LEFT => *nil; LMPOP 0 a LEFT => -ERR numkeys should be greater than 0",
                "LMPOP x a LEFT => -ERR numkeys should be greater than 0; LMPOP 2 a LEFT => -ERR syntax error",
                "LMPOP 1 a MIDDLE => -ERR syntax error; LMPOP 1 a LEFT COUNT 0 => -ERR count should be greater than 0",
                "LMPOP 1 a LEFT COUNT 1 COUNT 2 => -ERR syntax error; LMPOP 1 a LEFT COUNT => -ERR syntax error",
                "LMPOP 1 a LEFT extra => -ERR syntax error",
                "SET s x => OK; RPUSH c 9 => :1; LMPOP 2 s c LEFT => {WT}; LMPOP 2 c s LEFT => [$c,[$9]]",
            ]
            .map(|l| l.replace("{WT}", WRONGTYPE))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
            |ctx| {
                run(ctx, "RPUSH k a b c");
                assert_eq!(run(ctx, "LMPOP 1 k RIGHT COUNT 10"), "[$k,[$c,$b,$a]]");
                assert_eq!(effects(ctx), Some(vec!["RPOP k 3".to_string()]));
            },
        );
        let argv = |s: &str| s.split(' ').map(|w| Bytes::copy_from_slice(w.as_bytes())).collect::<Vec<_>>();
        assert_eq!(lmpop_keys(&argv("LMPOP 2 a b LEFT COUNT 3")), Some(vec![2, 3]));
        assert_eq!(lmpop_keys(&argv("LMPOP 3 a b")), None);
        assert_eq!(lmpop_keys(&argv("LMPOP x a b")), None);
        assert_eq!(lmpop_keys(&argv("LMPOP 0 a b")), None);
        let spec = super::super::lookup(b"blmpop").unwrap();
        assert_eq!(spec.keys_in(&argv("BLMPOP 0 2 a b LEFT")).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn wrong_type_everywhere() {
        let cmds = [
            "LPUSH s a",
            "RPUSH s a",
            "LPUSHX s a",
            "RPUSHX s a",
            "LPOP s",
            "RPOP s 2",
            "LLEN s",
            "LRANGE s 0 -1",
            "LINDEX s 0",
            "LSET s 0 a",
            "LINSERT s BEFORE a b",
            "LREM s 0 a",
            "LTRIM s 0 1",
            "LPOS s a",
            "LMOVE s a LEFT LEFT",
            "RPOPLPUSH s a",
            "LMPOP 1 s LEFT",
            "BLPOP s 0",
            "BRPOP s 0",
            "BLMOVE s a LEFT LEFT 0",
            "BRPOPLPUSH s a 0",
            "BLMPOP 0 1 s LEFT",
        ];
        script(&["SET s v => OK"], |ctx| {
            for cmd in cmds {
                assert_eq!(run(ctx, cmd), WRONGTYPE, "{cmd}");
            }
            assert_eq!(run(ctx, "GET s"), "$v");
            assert_eq!(ctx.dirty, 1);
        });
    }

    #[test]
    fn pushes_signal_ready_keys() {
        script(&[], |ctx| {
            ctx.ks.watched.insert((0, Bytes::from("w")));
            for cmd in [
                "LPUSH w a",
                "RPUSH w b",
                "LPUSHX w c",
                "RPUSHX w d",
                "LINSERT w BEFORE a x",
                "RPUSH other z",
            ] {
                run(ctx, cmd);
            }
            assert_eq!(ctx.ks.ready.len(), 5);
            assert!(ctx.ks.ready.iter().all(|k| k == &(0, Bytes::from("w"))));
        });
    }

    #[test]
    fn encodings_follow_config() {
        script(&[], |ctx| {
            ctx.enc = Encodings { list_max_listpack_size: 2, ..Encodings::default() };
            run(ctx, "RPUSH l a b");
            assert_eq!(encoding(ctx, "l"), "listpack");
            run(ctx, "RPUSH l c");
            assert_eq!(encoding(ctx, "l"), "quicklist");
            run(ctx, "RPOP l 2");
            assert_eq!(encoding(ctx, "l"), "listpack");
            ctx.enc = Encodings::default();
            let big = "x".repeat(9000);
            run(ctx, &format!("RPUSH big {big}"));
            assert_eq!(encoding(ctx, "big"), "quicklist");
            assert_eq!(run(ctx, "LINDEX big 0").len(), 9001);
        });
    }
}
