//! Generic key commands: DEL, EXISTS, TYPE, expiry, KEYS, renames, copies.
//!
//! Every body works on one shard. Multi-key commands either split per shard
//! (DEL, UNLINK, EXISTS, TOUCH: each part counts its own keys) or are
//! coordinated by the runtime (RENAME, RENAMENX, COPY), which runs the body
//! here only when both keys share a shard and otherwise moves a whole
//! [`Entry`](crate::keyspace::Entry) with `Db::remove` / `Db::put`, as these
//! bodies do. RANDOMKEY and SCAN live in the runtime.

use super::flags::*;
use super::{Args, CmdError, CmdResult, CommandSpec, Ctx, Exec, Merge, NO_KEYS, Span, keys};
use crate::keyspace::{Entry, NUM_DBS};
use crate::protocol::Reply;
use crate::util::{glob_match, parse_i64};
use bytes::Bytes;

/// DEL key [key ...]
fn del(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now;
    if args.remaining() > 1 {
        ctx.db().warm(args.rest().iter().map(|k| &k[..]));
    }
    let mut n = 0;
    while !args.is_empty() {
        if ctx.db().remove(args.key()?, now).is_some() {
            n += 1;
        }
    }
    ctx.dirty += n as u64;
    Ok(Reply::Int(n))
}

/// UNLINK key [key ...] — DEL; values are freed inline, which is cheap for
/// our representations.
fn unlink(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    del(ctx, args)
}

/// EXISTS key [key ...] — a key named twice counts twice.
fn exists(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let now = ctx.now;
    if args.remaining() > 1 {
        ctx.db().warm(args.rest().iter().map(|k| &k[..]));
    }
    let mut n = 0;
    while !args.is_empty() {
        if ctx.db().contains(args.key()?, now) {
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}

/// TOUCH key [key ...] — counts existing keys; we keep no access time to update.
fn touch(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    exists(ctx, args)
}

/// TYPE key — `none` for a missing key.
fn type_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let now = ctx.now;
    Ok(Reply::simple(ctx.db().get(key, now).map_or("none", |v| v.type_name())))
}

/// Shared body of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT, in the order Redis
/// checks: options, then the number, then the key. `unit` is milliseconds
/// per unit of the argument; `relative` adds the current time.
fn expire_generic(ctx: &mut Ctx, args: &mut Args, name: &str, unit: i64, relative: bool) -> CmdResult {
    let key = args.key()?;
    let time = args.next()?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    while let Some(opt) = args.peek() {
        if args.flag("NX") {
            nx = true;
        } else if args.flag("XX") {
            xx = true;
        } else if args.flag("GT") {
            gt = true;
        } else if args.flag("LT") {
            lt = true;
        } else {
            let opt = String::from_utf8_lossy(opt);
            return Err(CmdError::other(format!("ERR Unsupported option {opt}")));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::other("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if gt && lt {
        return Err(CmdError::other("ERR GT and LT options at the same time are not compatible"));
    }
    let now = ctx.now as i64;
    let base = if relative { now } else { 0 };
    // Negative times are allowed (they delete the key); only overflow is an error.
    let when = parse_i64(time)
        .ok_or(CmdError::NotInteger)?
        .checked_mul(unit)
        .and_then(|w| w.checked_add(base))
        .ok_or_else(|| CmdError::InvalidExpire(name.into()))?;

    let db = ctx.db();
    if !db.contains(key, now as u64) {
        return Ok(Reply::Int(0));
    }
    // A key without a deadline has an infinite TTL: never GT, always LT.
    let current = db.expire_at(key, now as u64).map(|at| at as i64);
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        return Ok(Reply::Int(0));
    }
    let k = || Bytes::copy_from_slice(key);
    // Replicas get an absolute deadline (or the DEL it amounts to).
    if when <= now {
        db.remove(key, now as u64);
        ctx.propagate(|| vec![Bytes::from_static(b"DEL"), k()]);
    } else {
        db.set_expire(key, Some(when as u64));
        ctx.propagate(|| vec![Bytes::from_static(b"PEXPIREAT"), k(), crate::util::i64_bytes(when)]);
    }
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    expire_generic(ctx, args, "expire", 1000, true)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    expire_generic(ctx, args, "pexpire", 1, true)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    expire_generic(ctx, args, "expireat", 1000, false)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    expire_generic(ctx, args, "pexpireat", 1, false)
}

/// Shared body of TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing
/// key, -1 without a deadline; seconds round as Redis's `(ms + 500) / 1000`.
fn ttl_generic(ctx: &mut Ctx, args: &mut Args, ms: bool, absolute: bool) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let now = ctx.now;
    let db = ctx.db();
    if !db.contains(key, now) {
        return Ok(Reply::Int(-2));
    }
    let Some(at) = db.expire_at(key, now) else {
        return Ok(Reply::Int(-1));
    };
    let t = if absolute { at as i64 } else { (at as i64 - now as i64).max(0) };
    Ok(Reply::Int(if ms { t } else { (t + 500) / 1000 }))
}

/// TTL key
fn ttl(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    ttl_generic(ctx, args, true, true)
}

/// PERSIST key — 1 only when a deadline was removed.
fn persist(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    args.finish()?;
    let now = ctx.now;
    let db = ctx.db();
    if db.expire_at(key, now).is_none() {
        return Ok(Reply::Int(0));
    }
    db.set_expire(key, None);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

/// Shared body of RENAME and RENAMENX: the entry moves whole, TTL included,
/// and replaces the destination (its TTL too).
fn rename_generic(ctx: &mut Ctx, args: &mut Args, nx: bool) -> CmdResult {
    let src = args.key()?;
    let dst = args.key()?;
    args.finish()?;
    let now = ctx.now;
    let db = ctx.db();
    if !db.contains(src, now) {
        return Err(CmdError::NoSuchKey);
    }
    let done = if nx { Reply::Int(1) } else { Reply::Ok };
    if src == dst {
        return Ok(if nx { Reply::Int(0) } else { done });
    }
    if nx && db.contains(dst, now) {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = db.remove(src, now) else {
        return Err(CmdError::NoSuchKey);
    };
    db.put(dst, entry);
    ctx.dirty += 1;
    Ok(done)
}

/// RENAME key newkey
fn rename(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    rename_generic(ctx, args, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// A database index argument, parsed as Redis's `getIntFromObjectOrReply`
/// then range-checked against the 16 databases.
fn db_index(arg: &[u8]) -> Result<usize, CmdError> {
    let v = parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if i32::try_from(v).is_err() {
        return Err(CmdError::other(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    usize::try_from(v).ok().filter(|&i| i < NUM_DBS).ok_or(CmdError::DbIndex)
}

fn same_object() -> CmdError {
    CmdError::other("ERR source and destination objects are the same")
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let src = args.key()?;
    let dst = args.key()?;
    let (mut dst_db, mut replace) = (ctx.db, false);
    while !args.is_empty() {
        if args.flag("REPLACE") {
            replace = true;
        } else if args.remaining() >= 2 && args.flag("DB") {
            dst_db = db_index(args.next()?)?;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if dst_db == ctx.db && src == dst {
        return Err(same_object());
    }
    let now = ctx.now;
    let db = ctx.db();
    let Some(value) = db.get(src, now).cloned() else {
        return Ok(Reply::Int(0));
    };
    let entry = Entry { value, expire_at: db.expire_at(src, now) };
    let target = ctx.ks.db(dst_db);
    if !replace && target.contains(dst, now) {
        return Ok(Reply::Int(0));
    }
    target.put(dst, entry);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

/// MOVE key db — the key keeps its name, hence its shard; 0 when it is
/// missing here or already present there.
fn move_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let key = args.key()?;
    let to = db_index(args.next()?)?;
    args.finish()?;
    if to == ctx.db {
        return Err(same_object());
    }
    let now = ctx.now;
    if !ctx.db().contains(key, now) || ctx.ks.db(to).contains(key, now) {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = ctx.db().remove(key, now) else {
        return Ok(Reply::Int(0));
    };
    ctx.ks.db(to).put(key, entry);
    ctx.dirty += 1;
    Ok(Reply::Int(1))
}

const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access logarithmic counter of a <key>. Only when `maxmemory-policy`",
    "    is set to an LFU policy.",
    "IDLETIME <key>",
    "    Return the idle time of a <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Print this help.",
];

/// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP — Redis 7 checks
/// subcommand names and arities before the body, with these texts.
fn object(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let sub = args.next()?;
    let argc = args.all().len();
    let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let (name, want) = match lower.as_str() {
        "help" => ("help", 2),
        "encoding" => ("encoding", 3),
        "freq" => ("freq", 3),
        "idletime" => ("idletime", 3),
        "refcount" => ("refcount", 3),
        _ => {
            let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]);
            return Err(CmdError::other(format!("ERR unknown subcommand '{sub}'. Try OBJECT HELP.")));
        }
    };
    if argc != want {
        return Err(CmdError::WrongArity(format!("object|{name}")));
    }
    if name == "help" {
        let head = Reply::simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        let lines = OBJECT_HELP.iter().copied().map(Reply::simple);
        return Ok(Reply::Array(std::iter::once(head).chain(lines).collect()));
    }
    let key = args.key()?;
    let now = ctx.now;
    let Some(value) = ctx.db().get(key, now) else {
        return Ok(Reply::Nil);
    };
    match name {
        "encoding" => Ok(Reply::Bulk(Bytes::from_static(value.encoding().as_bytes()))),
        // Values are never shared between keys.
        "refcount" => Ok(Reply::Int(1)),
        // No access clock is kept; every key reads as just used.
        "idletime" => Ok(Reply::Int(0)),
        // Eviction policies are not LFU, so Redis refuses FREQ the same way.
        _ => Err(CmdError::other(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
             Please note that when switching between policies at runtime LRU and LFU data \
             will take some time to adjust.",
        )),
    }
}

/// KEYS pattern — this shard's live keys; the runtime concatenates shards.
fn keys_cmd(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    let pattern = args.next()?;
    args.finish()?;
    let now = ctx.now;
    let all = &pattern[..] == b"*";
    let out = ctx
        .db()
        .iter(now)
        .filter(|(k, _)| all || glob_match(pattern, k, false))
        .map(|(k, _)| Reply::Bulk(Bytes::copy_from_slice(k)))
        .collect();
    Ok(Reply::Array(out))
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("del", -2, WRITE, keys(1, -1, 1), Exec::Shard(del), "generic", "Deletes one or more keys.").span(Span::Split(Merge::Sum)),
    CommandSpec::new("unlink", -2, WRITE | FAST, keys(1, -1, 1), Exec::Shard(unlink), "generic", "Asynchronously deletes one or more keys.").span(Span::Split(Merge::Sum)),
    CommandSpec::new("exists", -2, READONLY | FAST, keys(1, -1, 1), Exec::Shard(exists), "generic", "Determines whether one or more keys exist.").span(Span::Split(Merge::Sum)),
    CommandSpec::new("touch", -2, READONLY | FAST, keys(1, -1, 1), Exec::Shard(touch), "generic", "Returns the number of existing keys out of those specified after updating the time they were last accessed.").span(Span::Split(Merge::Sum)),
    CommandSpec::new("type", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(type_cmd), "generic", "Determines the type of value stored at a key."),
    CommandSpec::new("expire", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(expire), "generic", "Sets the expiration time of a key in seconds."),
    CommandSpec::new("pexpire", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(pexpire), "generic", "Sets the expiration time of a key in milliseconds."),
    CommandSpec::new("expireat", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(expireat), "generic", "Sets the expiration time of a key to a Unix timestamp."),
    CommandSpec::new("pexpireat", -3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(pexpireat), "generic", "Sets the expiration time of a key to a Unix milliseconds timestamp."),
    CommandSpec::new("ttl", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(ttl), "generic", "Returns the expiration time in seconds of a key."),
    CommandSpec::new("pttl", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(pttl), "generic", "Returns the expiration time in milliseconds of a key."),
    CommandSpec::new("expiretime", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(expiretime), "generic", "Returns the expiration time of a key as a Unix timestamp."),
    CommandSpec::new("pexpiretime", 2, READONLY | FAST, keys(1, 1, 1), Exec::Shard(pexpiretime), "generic", "Returns the expiration time of a key as a Unix milliseconds timestamp."),
    CommandSpec::new("persist", 2, WRITE | FAST, keys(1, 1, 1), Exec::Shard(persist), "generic", "Removes the expiration time of a key."),
    CommandSpec::new("rename", 3, WRITE, keys(1, 2, 1), Exec::Shard(rename), "generic", "Renames a key and overwrites the destination.").span(Span::Coordinated),
    CommandSpec::new("renamenx", 3, WRITE | FAST, keys(1, 2, 1), Exec::Shard(renamenx), "generic", "Renames a key only when the target key name doesn't exist.").span(Span::Coordinated),
    CommandSpec::new("copy", -3, WRITE | DENYOOM, keys(1, 2, 1), Exec::Shard(copy), "generic", "Copies the value of a key to a new key.").span(Span::Coordinated),
    CommandSpec::new("move", 3, WRITE | FAST, keys(1, 1, 1), Exec::Shard(move_cmd), "generic", "Moves a key to another database."),
    CommandSpec::new("object", -2, READONLY, keys(2, 2, 1), Exec::Shard(object), "generic", "A container for object introspection commands."),
    CommandSpec::new("keys", 2, READONLY, NO_KEYS, Exec::AllShards(keys_cmd, Merge::Concat), "generic", "Returns all key names that match a pattern."),
];

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::keyspace::{Keyspace, Value};

    /// A one-shard test bench running scripts of `CMD args => expected`.
    pub(in crate::commands) struct Bench {
        pub ks: Keyspace,
        pub db: usize,
        pub now: u64,
        pub dirty: u64,
    }

    fn show(r: &Reply) -> String {
        match r {
            Reply::Ok => "OK".into(),
            Reply::Simple(s) => format!("+{}", String::from_utf8_lossy(s)),
            Reply::Int(n) => format!(":{n}"),
            r @ (Reply::Bulk(_) | Reply::Short(..)) => {
                format!("${}", String::from_utf8_lossy(r.as_bulk().unwrap_or_default()))
            }
            Reply::Nil => "nil".into(),
            Reply::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(",")),
            other => format!("{other:?}"),
        }
    }

    impl Bench {
        pub fn new() -> Self {
            Bench { ks: Keyspace::default(), db: 0, now: 1000, dirty: 0 }
        }

        /// Runs one command through its table row (arity checked as the
        /// runtime does) and renders the reply or error text.
        pub fn call(&mut self, line: &str) -> String {
            let argv: Vec<Bytes> =
                line.split_whitespace().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect();
            let spec = COMMANDS
                .iter()
                .chain(super::super::server::COMMANDS)
                .find(|c| argv[0].eq_ignore_ascii_case(c.name.as_bytes()))
                .unwrap_or_else(|| panic!("no command in {line}"));
            if !spec.arity_ok(argv.len()) {
                return CmdError::arity(spec.name).to_string();
            }
            let (Exec::Shard(f) | Exec::AllShards(f, _)) = spec.exec else { panic!("{line}") };
            let mut ctx = Ctx::new(&mut self.ks, self.db, self.now, 512 << 20);
            let r = f(&mut ctx, &mut Args::new(&argv));
            self.dirty += ctx.dirty;
            match r {
                Ok(Reply::Array(mut a)) if spec.name == "keys" => {
                    a.sort_by_key(show);
                    show(&Reply::Array(a))
                }
                Ok(r) => show(&r),
                Err(e) => e.to_string(),
            }
        }

        /// Lines are `CMD args => expected` (an expected ending in `...` is a
        /// prefix); `@ms` sets the clock, `SELECT n` the db, `SET k v` stores.
        pub fn run(&mut self, script: &str) {
            for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let (cmd, want) =
                    line.split_once("=>").map_or((line, None), |(c, w)| (c.trim(), Some(w.trim())));
                let words: Vec<&str> = cmd.split_whitespace().collect();
                if let Some(ms) = cmd.strip_prefix('@') {
                    self.now = ms.parse().unwrap();
                } else if words[0] == "SELECT" {
                    self.db = words[1].parse().unwrap();
                } else if words[0] == "SET" {
                    let v = Value::Str(Bytes::copy_from_slice(words[2].as_bytes()).into());
                    self.ks.db(self.db).set(words[1].as_bytes(), v);
                } else {
                    let got = self.call(cmd);
                    match want {
                        Some(w) if w.ends_with("...") => {
                            assert!(got.starts_with(w.trim_end_matches("...")), "{line}: got {got}")
                        }
                        Some(w) => assert_eq!(got, w, "{line}"),
                        None => assert!(!got.starts_with("ERR"), "{line}: got {got}"),
                    }
                }
            }
        }
    }

    #[test]
    fn del_exists_touch_type() {
        let mut b = Bench::new();
        b.run(
            "SET a 1
             SET b 2
             EXISTS a a b c => :3
             TOUCH a b c => :2
             TYPE a => +string
             TYPE c => +none
             DEL a c => :1
             UNLINK b a => :1
             EXISTS a b => :0
             DEL => ERR wrong number of arguments for 'del' command
             TYPE a b => ERR wrong number of arguments for 'type' command",
        );
        assert_eq!(b.dirty, 2);
    }

    #[test]
    fn expire_family() {
        let mut b = Bench::new();
        b.run(
            "SET k v
             TTL k => :-1
             PTTL k => :-1
             EXPIRETIME k => :-1
             PEXPIRETIME k => :-1
             TTL nokey => :-2
             PTTL nokey => :-2
             EXPIRETIME nokey => :-2
             PEXPIRETIME nokey => :-2
             EXPIRE nokey 10 => :0
             EXPIRE k 10 XX => :0
             EXPIRE k 10 GT => :0
             EXPIRE k 10 LT => :1
             PTTL k => :10000
             TTL k => :10
             PEXPIRETIME k => :11000
             EXPIRETIME k => :11
             EXPIRE k 20 NX => :0
             EXPIRE k 20 LT => :0
             EXPIRE k 10 GT => :0
             EXPIRE k 20 gt => :1
             EXPIRE k 5 xx => :1
             PEXPIRE k 2500 => :1
             TTL k => :3
             @1001
             PTTL k => :2499
             TTL k => :2
             @1000
             PEXPIREAT k 5000 => :1
             PEXPIRETIME k => :5000
             EXPIREAT k 7 => :1
             PEXPIRETIME k => :7000
             @7000
             EXISTS k => :0
             TTL k => :-2
             SET k v
             EXPIREAT k 6 => :1
             EXISTS k => :0
             SET k v
             PEXPIREAT k 7000 NX => :1
             EXISTS k => :0
             SET k v
             EXPIRE k -5 => :1
             EXISTS k => :0
             SET k v
             PEXPIRE k 100
             PERSIST k => :1
             PERSIST k => :0
             PERSIST nokey => :0
             TTL k => :-1",
        );
        assert_eq!(b.dirty, 11);
    }

    #[test]
    fn expire_errors() {
        let mut b = Bench::new();
        b.run(
            "SET k v
             EXPIRE k 10 NX XX => ERR NX and XX, GT or LT options at the same time are not compatible
             EXPIRE k 10 NX GT => ERR NX and XX, GT or LT options at the same time are not compatible
             PEXPIRE k 10 lt nx => ERR NX and XX, GT or LT options at the same time are not compatible
             EXPIRE k 10 GT LT => ERR GT and LT options at the same time are not compatible
             EXPIRE k 10 FOO => ERR Unsupported option FOO
             EXPIRE k abc FOO => ERR Unsupported option FOO
             EXPIRE k abc => ERR value is not an integer or out of range
             EXPIRE k 1.5 => ERR value is not an integer or out of range
             EXPIRE k 9223372036854776 => ERR invalid expire time in 'expire' command
             PEXPIRE k 9223372036854775807 => ERR invalid expire time in 'pexpire' command
             EXPIREAT k 9223372036854776 => ERR invalid expire time in 'expireat' command
             EXPIREAT k -9223372036854776 => ERR invalid expire time in 'expireat' command
             PEXPIREAT k 9223372036854775807 => :1
             EXPIRE k => ERR wrong number of arguments for 'expire' command",
        );
    }

    #[test]
    fn rename_renamenx() {
        let mut b = Bench::new();
        b.run(
            "SET a 1
             PEXPIRE a 5000
             SET b 2
             PEXPIRE b 9000
             RENAME a b => OK
             PTTL b => :5000
             EXISTS a => :0
             RENAME nokey x => ERR no such key
             RENAMENX nokey b => ERR no such key
             RENAME b b => OK
             RENAMENX b b => :0
             SET c 3
             RENAMENX b c => :0
             RENAMENX b d => :1
             TTL d => :5
             RENAME c d => OK
             TTL d => :-1
             EXISTS b c d => :1",
        );
        assert_eq!(b.dirty, 2 + 3);
    }

    #[test]
    fn copy_and_move() {
        let mut b = Bench::new();
        b.run(
            "SET s v
             PEXPIRE s 3000
             COPY s d => :1
             PTTL d => :3000
             COPY s d => :0
             SET d other
             COPY s d REPLACE => :1
             PTTL d => :3000
             COPY s s => ERR source and destination objects are the same
             COPY s s DB 0 => ERR source and destination objects are the same
             COPY s s db 1 => :1
             COPY s s DB 1 => :0
             COPY nokey x => :0
             COPY s x DB 16 => ERR DB index is out of range
             COPY s x DB -1 => ERR DB index is out of range
             COPY s x DB abc => ERR value is not an integer or out of range
             COPY s x DB 2147483648 => ERR value is out of range, value must between -2147483648 and 2147483647
             COPY s x FOO => ERR syntax error
             COPY s x DB => ERR syntax error
             COPY s x replace DB 2 replace => :1
             SELECT 1
             PTTL s => :3000
             SELECT 0
             SET m v
             MOVE m 0 => ERR source and destination objects are the same
             MOVE m 16 => ERR DB index is out of range
             MOVE m x => ERR value is not an integer or out of range
             MOVE nokey 1 => :0
             SELECT 1
             SET m there
             SELECT 0
             MOVE m 1 => :0
             PEXPIRE m 700
             MOVE m 2 => :1
             EXISTS m => :0
             SELECT 2
             PTTL m => :700
             TYPE x => +string",
        );
        assert_eq!(b.ks.db(0).len(), 2);
    }

    #[test]
    fn object_and_keys() {
        let mut b = Bench::new();
        b.run(
            "SET n 12345
             SET s hello
             OBJECT ENCODING n => $int
             OBJECT encoding s => $embstr
             OBJECT ENCODING nokey => nil
             OBJECT REFCOUNT s => :1
             OBJECT IDLETIME s => :0
             OBJECT FREQ s => ERR An LFU maxmemory policy is not selected...
             OBJECT FOO s => ERR unknown subcommand 'FOO'. Try OBJECT HELP.
             OBJECT ENCODING a b => ERR wrong number of arguments for 'object|encoding' command
             OBJECT HELP x => ERR wrong number of arguments for 'object|help' command
             SET user:1 a
             SET user:2 b
             PEXPIRE user:2 10
             KEYS user:* => [$user:1,$user:2]
             @1010
             KEYS user:* => [$user:1]
             KEYS * => [$n,$s,$user:1]
             KEYS nomatch* => []
             KEYS ? => [$n,$s]
             KEYS user:[1-2] => [$user:1]",
        );
        // OBJECT HELP has no key: it runs on whichever shard the client is on.
        let argv = [Bytes::from_static(b"OBJECT"), Bytes::from_static(b"help")];
        let mut ctx = Ctx::new(&mut b.ks, 0, 0, 0);
        let Ok(Reply::Array(lines)) = object(&mut ctx, &mut Args::new(&argv)) else { panic!() };
        assert_eq!(lines.len(), 15);
        assert_eq!(lines[14], Reply::simple("    Print this help."));
    }
}
