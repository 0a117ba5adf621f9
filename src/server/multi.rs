//! Multi-shard commands, atomic under key locks (protocol in `shard.rs`).
//!
//! Split commands (MSET, MGET, DEL, EXISTS, ...): lock the keys on every
//! involved shard but the last in ascending order; send the last shard its
//! part with the lock request so it runs the moment the lock is granted;
//! then run the other parts and release. The command takes effect when the
//! last lock is granted: every key stays locked from before any part runs
//! until its own part has run, so no reader sees half of it.
//!
//! Coordinated commands (MSETNX, RENAME, RENAMENX, COPY) lock everything,
//! run their steps with `Exec`/`Take`/`Put`, then unlock.

use super::msg::{Cmd, Req, Resp};
use super::route::shard_of;
use super::shard::Shard;
use crate::commands::{CommandSpec, Merge, Span, lookup};
use crate::protocol::Reply;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One shard's share of a command: its argument list and, for positional
/// merges, where each of its keys sits in the original command.
struct Part {
    keys: Vec<Bytes>,
    argv: Vec<Bytes>,
    positions: Vec<usize>,
}

/// Runs a command whose keys span several shards.
pub async fn run(shard: &Rc<Shard>, db: u8, spec: &'static CommandSpec, argv: Vec<Bytes>) -> Reply {
    match spec.span {
        Span::Split(merge) => split(shard, db, spec, argv, merge).await,
        Span::Coordinated => match spec.name {
            "msetnx" => msetnx(shard, db, argv).await,
            "rename" => rename(shard, db, argv, false).await,
            "renamenx" => rename(shard, db, argv, true).await,
            "copy" => copy(shard, db, argv).await,
            other => Reply::error(format!("ERR internal: no coordinator for '{other}'")),
        },
        Span::One => Reply::error("CROSSSLOT Keys in request don't hash to the same slot"),
    }
}

/// Splits `argv` by owning shard, keeping `step - 1` arguments after each key.
fn parts(shard: &Shard, spec: &CommandSpec, argv: &[Bytes]) -> BTreeMap<usize, Part> {
    let step = spec.step.max(1) as usize;
    let mut parts: BTreeMap<usize, Part> = BTreeMap::new();
    for (pos, i) in spec.key_indexes(argv.len()).enumerate() {
        let s = shard_of(&argv[i], shard.nshards);
        let part = parts.entry(s).or_insert_with(|| Part {
            keys: Vec::new(),
            argv: vec![argv[0].clone()],
            positions: Vec::new(),
        });
        part.keys.push(argv[i].clone());
        part.argv.extend(argv[i..(i + step).min(argv.len())].iter().cloned());
        part.positions.push(pos);
    }
    parts
}

async fn lock(shard: &Rc<Shard>, to: usize, db: u8, keys: Vec<Bytes>) {
    shard.call(to, Req::Lock { db, keys, then: None }).await;
}

async fn split(
    shard: &Rc<Shard>,
    db: u8,
    spec: &'static CommandSpec,
    argv: Vec<Bytes>,
    merge: Merge,
) -> Reply {
    let total_keys = spec.key_indexes(argv.len()).count();
    let mut parts: Vec<(usize, Part)> = parts(shard, spec, &argv).into_iter().collect();
    let (last_shard, last) = parts.pop().expect("a split command has keys");
    for (s, p) in &parts {
        lock(shard, *s, db, p.keys.clone()).await;
    }
    let last_cmd = Cmd { db, spec, argv: last.argv };
    let last_reply =
        shard.call(last_shard, Req::Lock { db, keys: last.keys, then: Some(last_cmd) }).await.into_reply();
    // Issue all remaining parts before awaiting any, so they run concurrently.
    let mut pending = Vec::with_capacity(parts.len());
    for (s, p) in parts.iter_mut() {
        let cmd = Cmd { db, spec, argv: std::mem::take(&mut p.argv) };
        let unlock = Some((db, std::mem::take(&mut p.keys)));
        pending.push(shard.request(*s, Req::Exec { cmd, unlock }).await);
    }
    let mut replies = Vec::with_capacity(parts.len() + 1);
    for h in pending {
        replies.push(h.get().await.into_reply());
    }
    replies.push(last_reply);
    let mut positions: Vec<Vec<usize>> = parts.into_iter().map(|(_, p)| p.positions).collect();
    positions.push(last.positions);
    merge_replies(merge, replies, &positions, total_keys)
}

/// Combines per-shard replies; the first error wins.
pub fn merge_replies(merge: Merge, replies: Vec<Reply>, positions: &[Vec<usize>], total: usize) -> Reply {
    if let Some(e) = replies.iter().find(|r| r.is_error()) {
        return e.clone();
    }
    match merge {
        Merge::Sum => Reply::Int(replies.iter().map(|r| if let Reply::Int(n) = r { *n } else { 0 }).sum()),
        Merge::Ok => Reply::Ok,
        Merge::Concat => Reply::Array(
            replies.into_iter().flat_map(|r| if let Reply::Array(v) = r { v } else { Vec::new() }).collect(),
        ),
        Merge::Positional => {
            let mut out = vec![Reply::Nil; total];
            for (r, pos) in replies.into_iter().zip(positions) {
                if let Reply::Array(items) = r {
                    for (item, &p) in items.into_iter().zip(pos) {
                        out[p] = item;
                    }
                }
            }
            Reply::Array(out)
        }
    }
}

/// Locks (shard, db, keys) groups in ascending shard order.
async fn lock_all(shard: &Rc<Shard>, groups: &[(usize, u8, Vec<Bytes>)]) {
    for (s, db, keys) in groups {
        lock(shard, *s, *db, keys.clone()).await;
    }
}

async fn unlock_all(shard: &Rc<Shard>, groups: Vec<(usize, u8, Vec<Bytes>)>) {
    let mut pending = Vec::new();
    for (s, db, keys) in groups {
        pending.push(shard.request(s, Req::Unlock { db, keys }).await);
    }
    for h in pending {
        h.get().await;
    }
}

async fn exec(shard: &Rc<Shard>, to: usize, db: u8, name: &[u8], argv: Vec<Bytes>) -> Reply {
    let spec = lookup(name).expect("internal command exists");
    shard.call(to, Req::Exec { cmd: Cmd { db, spec, argv }, unlock: None }).await.into_reply()
}

/// MSETNX key value [key value ...]: set all only if none exists.
async fn msetnx(shard: &Rc<Shard>, db: u8, argv: Vec<Bytes>) -> Reply {
    if argv.len().is_multiple_of(2) {
        return Reply::error("ERR wrong number of arguments for 'msetnx' command");
    }
    let spec = lookup(b"msetnx").expect("msetnx exists");
    let parts = parts(shard, spec, &argv);
    let groups: Vec<_> = parts.iter().map(|(s, p)| (*s, db, p.keys.clone())).collect();
    lock_all(shard, &groups).await;
    let mut existing = 0;
    for (s, p) in &parts {
        let mut args = vec![Bytes::from_static(b"exists")];
        args.extend(p.keys.iter().cloned());
        if let Reply::Int(n) = exec(shard, *s, db, b"exists", args).await {
            existing += n;
        }
    }
    if existing == 0 {
        for (s, p) in parts {
            let mut args = p.argv;
            args[0] = Bytes::from_static(b"mset");
            exec(shard, s, db, b"mset", args).await;
        }
    }
    unlock_all(shard, groups).await;
    Reply::Int((existing == 0) as i64)
}

fn ordered(a: (usize, u8, Bytes), b: (usize, u8, Bytes)) -> Vec<(usize, u8, Vec<Bytes>)> {
    let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    vec![(first.0, first.1, vec![first.2]), (second.0, second.1, vec![second.2])]
}

/// RENAME / RENAMENX across shards: move the whole entry, TTL included.
async fn rename(shard: &Rc<Shard>, db: u8, argv: Vec<Bytes>, nx: bool) -> Reply {
    let (src, dst) = (argv[1].clone(), argv[2].clone());
    let (ss, ds) = (shard_of(&src, shard.nshards), shard_of(&dst, shard.nshards));
    let groups = ordered((ss, db, src.clone()), (ds, db, dst.clone()));
    lock_all(shard, &groups).await;
    let reply = async {
        let exists = |key: Bytes, to: usize| async move {
            matches!(
                exec(shard, to, db, b"exists", vec![Bytes::from_static(b"exists"), key]).await,
                Reply::Int(1)
            )
        };
        if !exists(src.clone(), ss).await {
            return Reply::error("ERR no such key");
        }
        if nx && exists(dst.clone(), ds).await {
            return Reply::Int(0);
        }
        let Resp::Entry(Some(entry)) = shard.call(ss, Req::Take { db, key: src, remove: true }).await else {
            return Reply::error("ERR no such key");
        };
        shard.call(ds, Req::Put { db, key: dst, entry }).await;
        if nx { Reply::Int(1) } else { Reply::Ok }
    }
    .await;
    unlock_all(shard, groups).await;
    reply
}

/// COPY source destination [DB destination-db] [REPLACE] across shards.
async fn copy(shard: &Rc<Shard>, db: u8, argv: Vec<Bytes>) -> Reply {
    let (src, dst) = (argv[1].clone(), argv[2].clone());
    let mut dst_db = db;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if argv[i].eq_ignore_ascii_case(b"replace") {
            replace = true;
            i += 1;
        } else if argv[i].eq_ignore_ascii_case(b"db") && i + 1 < argv.len() {
            match crate::util::parse_i64(&argv[i + 1]) {
                Some(n) if (0..crate::keyspace::NUM_DBS as i64).contains(&n) => dst_db = n as u8,
                Some(_) => return Reply::error("ERR DB index is out of range"),
                None => return Reply::error("ERR value is not an integer or out of range"),
            }
            i += 2;
        } else {
            return Reply::error("ERR syntax error");
        }
    }
    let (ss, ds) = (shard_of(&src, shard.nshards), shard_of(&dst, shard.nshards));
    let groups = ordered((ss, db, src.clone()), (ds, dst_db, dst.clone()));
    lock_all(shard, &groups).await;
    let reply = async {
        let Resp::Entry(Some(entry)) = shard.call(ss, Req::Take { db, key: src, remove: false }).await else {
            return Reply::Int(0);
        };
        if !replace {
            let r =
                exec(shard, ds, dst_db, b"exists", vec![Bytes::from_static(b"exists"), dst.clone()]).await;
            if r == Reply::Int(1) {
                return Reply::Int(0);
            }
        }
        shard.call(ds, Req::Put { db: dst_db, key: dst, entry }).await;
        Reply::Int(1)
    }
    .await;
    unlock_all(shard, groups).await;
    reply
}
