//! The command table and what handlers share: `CommandSpec`, the `Args`
//! cursor, `CmdError` with Redis's exact texts, and the shard-side `Ctx`.
//!
//! Each family file ends with its `COMMANDS` table; [`lookup`] joins them.
//! A spec says *where* a command runs ([`Exec`]) and, for multi-key commands,
//! how it splits across shards ([`Span`]); the server runtime does the routing.
//! Handlers of [`Exec::Shard`] commands are synchronous functions over one
//! shard's keyspace and never await.

mod admin;
mod args;
pub mod connection;
pub mod hashes;
pub mod keys;
pub mod lists;
mod lists_blocking;
pub mod server;
mod setops;
pub mod sets;
pub mod strings;
mod zpop;
mod zrange;
pub mod zsetops;
pub mod zsets;

pub use args::Args;

use crate::keyspace::{Db, Keyspace};
use crate::protocol::Reply;
use bytes::Bytes;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// Command flags, as `COMMAND INFO` names them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const FAST: u32 = 1 << 10;
    pub const NO_AUTH: u32 = 1 << 11;
    pub const MAY_REPLICATE: u32 = 1 << 12;
    pub const SORT_FOR_SCRIPT: u32 = 1 << 13;
    pub const NOSCRIPT_ALLOW_BUSY: u32 = 1 << 14;

    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
    ];
}

/// Result of a command handler.
pub type CmdResult = Result<Reply, CmdError>;

/// A shard-side handler: runs on the shard that owns the command's keys.
pub type ShardFn = fn(&mut Ctx, &mut Args) -> CmdResult;

/// Where a command runs.
#[derive(Clone, Copy)]
pub enum Exec {
    /// On the shard owning its keys (all of them, or each part after a split).
    Shard(ShardFn),
    /// On every shard with the same arguments, results merged.
    AllShards(ShardFn, Merge),
    /// In the connection task: connection state, fan-out, admin.
    Conn(ConnCmd),
}

/// How per-shard results of a split or fan-out command combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    /// Integer replies are added (DEL, EXISTS, DBSIZE).
    Sum,
    /// Every part must say OK (MSET, FLUSHALL).
    Ok,
    /// Array replies are put back in key order (MGET).
    Positional,
    /// Array replies are concatenated (KEYS).
    Concat,
}

/// What to do when a command's keys live on more than one shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// At most one key, or keys that must share a shard.
    One,
    /// Split into per-shard commands of the same name, each with its keys
    /// (and the `step - 1` arguments after each key), merged with `Merge`.
    Split(Merge),
    /// Coordinated by the runtime's multi-shard code under key locks.
    Coordinated,
}

/// Connection-level commands, executed by the server's connection task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnCmd {
    Ping,
    Echo,
    Select,
    Quit,
    Hello,
    Reset,
    Auth,
    Client,
    Info,
    Config,
    Command,
    Time,
    Shutdown,
    Debug,
    Scan,
    RandomKey,
    Lastsave,
    Role,
    Psync,
    Replconf,
    Multi,
    ExecTx,
    Discard,
    Watch,
    Unwatch,
    Replicaof,
    Wait,
}

/// One row of the command table.
pub struct CommandSpec {
    pub name: &'static str,
    /// Redis arity: positive = exact argument count (with the name), negative = minimum.
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    /// Last key position; -1 = last argument, -2 = the one before it.
    pub last_key: i32,
    pub step: i32,
    pub exec: Exec,
    pub span: Span,
    /// Shown by COMMAND DOCS and redis-cli hints.
    pub summary: &'static str,
    pub group: &'static str,
    /// For commands whose keys move with their arguments (`movablekeys`:
    /// ZUNIONSTORE, LMPOP, ...): the argument indexes of the keys, or None
    /// when the arguments are malformed (the handler then reports the error).
    pub keys_fn: Option<KeysFn>,
}

/// Finds the key arguments of a `movablekeys` command.
pub type KeysFn = fn(&[Bytes]) -> Option<Vec<usize>>;

/// Key argument indexes of one command: a stepped range, or a list from a
/// [`KeysFn`].
pub enum KeyPositions {
    Range(std::iter::StepBy<std::ops::Range<usize>>),
    List(std::vec::IntoIter<usize>),
}

impl Iterator for KeyPositions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            KeyPositions::Range(r) => r.next(),
            KeyPositions::List(l) => l.next(),
        }
    }
}

/// Key positions for a table line: (first, last, step).
pub const fn keys(first: i32, last: i32, step: i32) -> (i32, i32, i32) {
    (first, last, step)
}

pub const NO_KEYS: (i32, i32, i32) = (0, 0, 0);

impl CommandSpec {
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: (i32, i32, i32),
        exec: Exec,
        group: &'static str,
        summary: &'static str,
    ) -> Self {
        CommandSpec {
            name,
            arity,
            flags,
            first_key: keys.0,
            last_key: keys.1,
            step: keys.2,
            exec,
            span: Span::One,
            summary,
            group,
            keys_fn: None,
        }
    }

    /// Same spec with movable keys found by `f`.
    pub const fn keys_fn(mut self, f: KeysFn) -> Self {
        self.keys_fn = Some(f);
        self
    }

    /// Same spec with a multi-shard strategy.
    pub const fn span(mut self, span: Span) -> Self {
        self.span = span;
        self
    }

    pub fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        if a >= 0 { argc == a as usize } else { argc >= (-a) as usize }
    }

    /// Indexes of the key arguments of `argv` (name included).
    pub fn keys_in(&self, argv: &[Bytes]) -> KeyPositions {
        match self.keys_fn {
            Some(f) => KeyPositions::List(f(argv).unwrap_or_default().into_iter()),
            None => KeyPositions::Range(self.key_indexes(argv.len())),
        }
    }

    /// Indexes of the key arguments in `argc` arguments (name included),
    /// from the fixed (first, last, step) positions.
    pub fn key_indexes(&self, argc: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
        let (first, step) = (self.first_key, self.step.max(1) as usize);
        let last = if self.last_key < 0 { argc as i32 + self.last_key } else { self.last_key };
        let range =
            if first <= 0 || last < first { 0..0 } else { first as usize..(last as usize + 1).min(argc) };
        range.step_by(step)
    }
}

/// Everything a shard-side handler may touch: this shard's keyspace and a
/// few facts about the calling context.
pub struct Ctx<'a> {
    pub ks: &'a mut Keyspace,
    /// The client's selected database.
    pub db: usize,
    /// Wall clock in Unix milliseconds, read once per batch.
    pub now: u64,
    /// `proto-max-bulk-len`: the largest string a command may build.
    pub max_bulk: usize,
    /// Writes performed (Redis's `dirty` counter).
    pub dirty: u64,
    /// Compact-encoding thresholds from CONFIG.
    pub enc: crate::keyspace::Encodings,
    /// Replication effect override: the commands replicas receive instead
    /// of this one. `None` = the command itself when `dirty > 0`.
    pub effects: Option<Vec<Vec<Bytes>>>,
    /// Whether anything consumes effects; when not, `propagate` builds
    /// nothing (no allocation on the hot path without replicas).
    pub replicating: bool,
    /// Set by a blocking command that found nothing to serve: the runtime
    /// parks the client on these keys and runs the command again when one
    /// of them is signalled ready.
    pub block: Option<Block>,
}

/// What a blocked client waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub keys: Vec<Bytes>,
    /// None = wait forever (timeout 0).
    pub timeout: Option<std::time::Duration>,
}

impl<'a> Ctx<'a> {
    pub fn new(ks: &'a mut Keyspace, db: usize, now: u64, max_bulk: usize) -> Self {
        Ctx {
            ks,
            db,
            now,
            max_bulk,
            dirty: 0,
            enc: Default::default(),
            effects: None,
            replicating: true,
            block: None,
        }
    }

    /// Replicate this command as the command `argv` builds (called once per
    /// command to emit; the first call replaces the verbatim default). Use
    /// for relative or random effects: EXPIRE → PEXPIREAT, SPOP → SREM,
    /// BLPOP → LPOP, ... `argv` runs only when something replicates.
    pub fn propagate(&mut self, argv: impl FnOnce() -> Vec<Bytes>) {
        if self.replicating {
            self.effects.get_or_insert_with(Vec::new).push(argv());
        }
    }

    /// Replicate nothing even though the command wrote.
    pub fn propagate_nothing(&mut self) {
        self.effects = Some(Vec::new());
    }

    /// Tells blocked clients that `key` (in the current db) may now serve
    /// them: call after every push/add that can satisfy a blocking pop.
    pub fn signal_ready(&mut self, key: &[u8]) {
        if !self.ks.watched.is_empty()
            && self.ks.watched.contains(&(self.db as u8, Bytes::copy_from_slice(key)))
        {
            self.ks.ready.push((self.db as u8, Bytes::copy_from_slice(key)));
        }
    }

    pub fn db(&mut self) -> &mut Db {
        &mut self.ks.dbs[self.db]
    }

    /// Looks a key up for a read command, counting a keyspace hit or miss
    /// (Redis's lookupKeyRead). Writes use `db()` and count nothing.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&crate::keyspace::Value> {
        let ks = &mut *self.ks;
        let v = ks.dbs[self.db].get(key, self.now);
        if v.is_some() {
            ks.stats.hits += 1;
        } else {
            ks.stats.misses += 1;
        }
        v
    }
}

/// A command error the client sees; the connection goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    WrongArity(String),
    Syntax,
    NotInteger,
    NotFloat,
    WrongType,
    Overflow,
    NoSuchKey,
    OutOfRange,
    InvalidExpire(String),
    DbIndex,
    /// Any other text, prefix included (`ERR ...`).
    Other(String),
}

impl CmdError {
    pub fn arity(name: &str) -> Self {
        CmdError::WrongArity(name.to_ascii_lowercase())
    }

    pub fn other(s: impl Into<String>) -> Self {
        CmdError::Other(s.into())
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::WrongArity(n) => write!(f, "ERR wrong number of arguments for '{n}' command"),
            CmdError::Syntax => f.write_str("ERR syntax error"),
            CmdError::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            CmdError::NotFloat => f.write_str("ERR value is not a valid float"),
            CmdError::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            CmdError::Overflow => f.write_str("ERR increment or decrement would overflow"),
            CmdError::NoSuchKey => f.write_str("ERR no such key"),
            CmdError::OutOfRange => f.write_str("ERR index out of range"),
            CmdError::InvalidExpire(cmd) => write!(f, "ERR invalid expire time in '{cmd}' command"),
            CmdError::DbIndex => f.write_str("ERR DB index is out of range"),
            CmdError::Other(s) => f.write_str(s),
        }
    }
}

impl From<CmdError> for Reply {
    fn from(e: CmdError) -> Reply {
        Reply::error(e.to_string())
    }
}

/// Every command we serve.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    strings::COMMANDS
        .iter()
        .chain(keys::COMMANDS)
        .chain(server::COMMANDS)
        .chain(connection::COMMANDS)
        .chain(admin::COMMANDS)
        .chain(lists::COMMANDS)
        .chain(lists_blocking::COMMANDS)
        .chain(hashes::COMMANDS)
        .chain(sets::COMMANDS)
        .chain(setops::COMMANDS)
        .chain(zsets::COMMANDS)
        .chain(zrange::COMMANDS)
        .chain(zpop::COMMANDS)
        .chain(zsetops::COMMANDS)
}

type Table = HashMap<&'static [u8], &'static CommandSpec, foldhash::fast::FixedState>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| all().map(|c| (c.name.as_bytes(), c)).collect())
}

/// Looks up a command by name, case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    let lower = &mut buf[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    table().get(&*lower).copied()
}

/// `sent`, the name of `spec` as a client spelled it, as static bytes: the
/// table's lowercase name, or its capitals (most clients send those). None
/// for mixed case.
pub fn static_spelling(spec: &'static CommandSpec, sent: &[u8]) -> Option<&'static [u8]> {
    static UPPER: OnceLock<HashMap<&'static str, &'static [u8]>> = OnceLock::new();
    if sent == spec.name.as_bytes() {
        return Some(spec.name.as_bytes());
    }
    let upper = UPPER.get_or_init(|| {
        all()
            .map(|c| (c.name, &*Box::leak(c.name.to_ascii_uppercase().into_bytes().into_boxed_slice())))
            .collect()
    });
    upper.get(spec.name).copied().filter(|u| *u == sent)
}

/// The error for an unknown command, as Redis words it.
pub fn unknown_command(args: &[bytes::Bytes]) -> Reply {
    let name = String::from_utf8_lossy(&args[0]);
    let mut msg = format!("ERR unknown command '{name}', with args beginning with: ");
    for a in args.iter().skip(1) {
        msg.push('\'');
        msg.push_str(&String::from_utf8_lossy(a));
        msg.push_str("' ");
    }
    Reply::error(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_spelling_keeps_the_clients_spelling() {
        let get = lookup(b"get").unwrap();
        assert_eq!(static_spelling(get, b"get"), Some(&b"get"[..]));
        assert_eq!(static_spelling(get, b"GET"), Some(&b"GET"[..]));
        assert_eq!(static_spelling(get, b"Get"), None);
        let zadd = lookup(b"ZADD").unwrap();
        assert_eq!(static_spelling(zadd, b"ZADD"), Some(&b"ZADD"[..]));
        assert_eq!(static_spelling(zadd, b"GET"), None);
    }

    #[test]
    fn table_is_consistent() {
        let mut names = std::collections::HashSet::new();
        for c in all() {
            assert!(names.insert(c.name), "duplicate {}", c.name);
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            // A command with keys must be able to hold them.
            // A fixed arity must hold the first key; a minimum arity may
            // cover forms without keys (OBJECT HELP).
            if c.first_key > 0 {
                assert!(c.arity < 0 || c.arity > c.first_key, "{} arity vs keys", c.name);
                assert!(c.step >= 1, "{} step", c.name);
            }
            if let Exec::Shard(_) = c.exec {
                // Multi-key shard commands must say how they split.
                let multi = c.last_key < 0 || c.last_key > c.first_key;
                assert!(!multi || c.span != Span::One || c.name == "__none", "{} needs a Span", c.name);
            }
            assert!(c.flags & (flags::WRITE | flags::READONLY) != (flags::WRITE | flags::READONLY));
        }
    }

    #[test]
    fn key_positions() {
        let mset = lookup(b"MSET").unwrap();
        assert_eq!(mset.key_indexes(5).collect::<Vec<_>>(), vec![1, 3]);
        let get = lookup(b"get").unwrap();
        assert_eq!(get.key_indexes(2).collect::<Vec<_>>(), vec![1]);
        assert!(lookup(b"nosuchcommand").is_none());
    }

    #[test]
    fn unknown_command_text() {
        let r = unknown_command(&[bytes::Bytes::from("FOO"), bytes::Bytes::from("a")]);
        assert_eq!(r, Reply::error("ERR unknown command 'FOO', with args beginning with: 'a' "));
    }
}
