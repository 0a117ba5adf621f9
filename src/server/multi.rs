//! Multi-shard commands, atomic under key locks (protocol in `shard.rs`).
//!
//! Split commands (MSET, MGET, DEL, EXISTS, ...) travel as one chain
//! through the involved shards in ascending order (`Req::Parts`): each
//! shard runs its part the moment the part's keys are free, answers the
//! coordinator, and passes the chain on. A part on a shard that is not the
//! command's last keeps its keys held; the final shard, once its parts
//! have run, sends `Release` to the holders. The command takes effect when
//! its last part runs: a part that ran earlier is hidden behind its held
//! keys until then (held keys admit no command), and they cannot change in
//! between, so no reader sees half of it. Keys are taken in shard order,
//! which keeps concurrent multi-shard commands free of deadlock. Passing
//! the chain from shard to shard, rather than back through the
//! coordinator's task, keeps keys held for as short a time as possible:
//! a held key is what makes another command wait. The split commands of
//! one pipelined read batch (keys pairwise disjoint) share one chain.
//!
//! Coordinated commands (MSETNX, RENAME, COPY, SMOVE, SINTERSTORE, ...) lock
//! every key, gather the entries, run the command's single-shard handler on
//! a scratch keyspace, write the changed keys back, then unlock.

use super::shard::{LockKey, Shard, lock_key};
use crate::commands::{Args, Block, CommandSpec, Ctx, Exec, Merge, Span, lookup};
use crate::keyspace::{Entry, Keyspace, now_ms};
use crate::mesh::{Cmd, Hop, Part, PartDone, Req, Resp};
use crate::protocol::Reply;
use crate::route::shard_of;
use bytes::Bytes;
use smallvec::SmallVec;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One shard's share of a command: its argument list, the locks of its
/// keys when it holds them, and, for positional merges and for writes while
/// the stream runs (their stream copy is rebuilt in the original order),
/// where each of its keys sits in the original command.
struct Share {
    argv: Vec<Bytes>,
    locks: Vec<LockKey>,
    positions: Vec<usize>,
}

/// A split command's key: its shard and its lock.
pub type Route = (usize, LockKey);

/// Appends the [`Route`] of each key of split command `cmd`, in order.
pub fn route_keys(cmd: &Cmd, nshards: usize, out: &mut Vec<Route>) {
    let keys = cmd.spec.key_indexes(cmd.argv.len()).map(|i| &cmd.argv[i]);
    out.extend(keys.map(|k| (shard_of(k, nshards), lock_key(cmd.db, k))));
}

/// Runs a command whose keys span several shards.
pub async fn run(shard: &Rc<Shard>, db: u8, spec: &'static CommandSpec, argv: Vec<Bytes>) -> Reply {
    match spec.span {
        Span::Split(_) => {
            let cmd = Cmd { db, spec, argv };
            let mut routes = Vec::new();
            route_keys(&cmd, shard.nshards, &mut routes);
            split(shard, vec![cmd], &routes).await.pop().expect("one reply")
        }
        // COPY may name another database, which the generic path does not model.
        Span::Coordinated if spec.name == "copy" => copy(shard, db, argv).await,
        Span::Coordinated => gather(shard, db, spec, argv, None).await.0,
        Span::One => Reply::error("CROSSSLOT Keys in request don't hash to the same slot"),
    }
}

/// Splits `argv` by owning shard (`routes`, one per key), keeping
/// `step - 1` arguments after each key; shares in ascending shard order.
/// Every share but the last shard's holds its keys, and gets their locks.
/// The arguments are moved, not copied: this shard's share keeps `argv`
/// itself, compacted in place (its arguments stay in this core's cache and
/// it needs no allocation), the others get new vectors; `argv` is left
/// empty. `rebuild` puts them back together. A handful of shards at most,
/// so a vector searched linearly, with room for every key reserved up front.
fn shares(shard: &Shard, spec: &CommandSpec, argv: &mut Vec<Bytes>, routes: &[Route]) -> Vec<(usize, Share)> {
    let step = spec.step.max(1) as usize;
    let nkeys = routes.len();
    let last = routes.iter().map(|r| r.0).max().unwrap_or(0);
    let placed =
        matches!(spec.span, Span::Split(Merge::Positional)) || (spec.is_write() && shard.streaming.get());
    let new_share = |s: usize, argv: Vec<Bytes>| Share {
        argv,
        locks: Vec::with_capacity(if s != last { nkeys } else { 0 }),
        positions: Vec::with_capacity(if placed { nkeys } else { 0 }),
    };
    let mut shares: Vec<(usize, Share)> = Vec::with_capacity(2);
    // This shard's arguments move down to `kept`, never past one not yet read.
    let mut kept = 1;
    let len = argv.len();
    for ((pos, i), &(s, lock)) in spec.key_indexes(len).enumerate().zip(routes) {
        let at = match shares.iter().position(|(o, _)| *o == s) {
            Some(at) => at,
            None if s == shard.id => {
                shares.push((s, new_share(s, Vec::new())));
                shares.len() - 1
            }
            None => {
                let mut argv1 = Vec::with_capacity(1 + nkeys * step);
                argv1.push(argv[0].clone());
                shares.push((s, new_share(s, argv1)));
                shares.len() - 1
            }
        };
        let end = (i + step).min(len);
        let share = &mut shares[at].1;
        if s == shard.id {
            for k in i..end {
                argv.swap(kept, k);
                kept += 1;
            }
        } else {
            share.argv.extend(argv[i..end].iter_mut().map(std::mem::take));
        }
        if s != last {
            share.locks.push(lock);
        }
        if placed {
            share.positions.push(pos);
        }
    }
    if let Some((_, mine)) = shares.iter_mut().find(|(s, _)| *s == shard.id) {
        argv.truncate(kept);
        mine.argv = std::mem::take(argv);
    } else {
        argv.clear();
    }
    shares.sort_unstable_by_key(|(s, _)| *s);
    shares
}

/// The command as the client sent it, from its parts' arguments (each
/// `name, key, args.., key, args..`) and where each part's keys sat. When
/// the stream started after the command was split, the positions were not
/// recorded and the parts are joined in shard order: the same writes, each
/// key's in its original order, so the same effect.
fn rebuild(spec: &CommandSpec, parts: &[Vec<Bytes>], positions: &[Vec<usize>], nkeys: usize) -> Vec<Bytes> {
    if positions.iter().any(|p| p.is_empty()) {
        let mut argv = parts[0].clone();
        for p in &parts[1..] {
            argv.extend(p[1..].iter().cloned());
        }
        return argv;
    }
    let step = spec.step.max(1) as usize;
    let mut at = vec![(0, 0); nkeys];
    for (j, pos) in positions.iter().enumerate() {
        for (k, &p) in pos.iter().enumerate() {
            at[p] = (j, k);
        }
    }
    let mut argv = Vec::with_capacity(1 + nkeys * step);
    argv.push(parts[0][0].clone());
    for (j, k) in at {
        let from = 1 + k * step;
        argv.extend(parts[j][from..(from + step).min(parts[j].len())].iter().cloned());
    }
    argv
}

async fn lock(shard: &Rc<Shard>, to: usize, db: u8, keys: Vec<Bytes>) {
    shard.call(to, Req::Lock { db, keys }).await;
}

/// A split command's shards, ascending, each with where its keys sit in
/// the command (see [`Share`]).
type Plan = SmallVec<[(usize, Vec<usize>); 2]>;

/// Runs split commands whose keys are pairwise disjoint (one command, or
/// the split commands of a pipelined read batch) as one `Parts` chain with
/// a hop per involved shard. Each command behaves as if run alone under
/// the protocol above; the batch only shares the messages.
pub async fn split(shard: &Rc<Shard>, mut cmds: Vec<Cmd>, routes: &[Route]) -> Vec<Reply> {
    let n = shard.nshards;
    let mut outgoing: Vec<Vec<Part>> = (0..n).map(|_| Vec::new()).collect();
    // Per command: the shards it touches, ascending, with its key positions.
    let mut plans: Vec<Plan> = Vec::with_capacity(cmds.len());
    let mut routes = routes;
    // Per command, its number of keys (its arguments move into the shares).
    let mut totals = Vec::with_capacity(cmds.len());
    for c in &mut cmds {
        let (mine, rest) = routes.split_at(c.spec.key_indexes(c.argv.len()).len());
        routes = rest;
        totals.push(mine.len());
        let shares = shares(shard, c.spec, &mut c.argv, mine);
        let last = shares.last().expect("a split command has keys").0;
        let mut plan = SmallVec::new();
        for (s, share) in shares {
            let cmd = Cmd { db: c.db, spec: c.spec, argv: share.argv };
            outgoing[s].push(Part { cmd, hold: s != last, locks: share.locks });
            plan.push((s, share.positions));
        }
        plans.push(plan);
    }
    // One hop per involved shard, ascending, stored last-first (each shard
    // pops its own); a shard holds keys only if it is not some command's
    // last, so the final hop never holds.
    let mut hops = Vec::with_capacity(n);
    let mut expected = Vec::with_capacity(n);
    let mut release = Vec::new();
    for (s, parts) in outgoing.into_iter().enumerate().rev() {
        if parts.is_empty() {
            continue;
        }
        if parts.iter().any(|p| p.hold) {
            release.push(s);
        }
        let (tag, rx) = shard.peer.expect();
        expected.push((s, parts.len(), rx));
        hops.push(Hop { shard: s, tag, parts });
    }
    let first = hops.last().expect("a split command has parts").shard;
    shard.send(first, Req::Parts { token: shard.new_token(), coordinator: shard.id, hops, release });
    let mut answers: Vec<std::vec::IntoIter<PartDone>> = (0..n).map(|_| Vec::new().into_iter()).collect();
    for (s, count, rx) in expected {
        let got = match rx.await {
            Some(Resp::Parts(v)) if v.len() == count => v,
            _ => (0..count)
                .map(|_| PartDone {
                    reply: Reply::error("ERR shard dropped request"),
                    seq: None,
                    argv: Vec::new(),
                })
                .collect(),
        };
        answers[s] = got.into_iter();
    }
    let mut out = Vec::with_capacity(cmds.len());
    for ((c, plan), total_keys) in cmds.into_iter().zip(plans).zip(totals) {
        let Span::Split(merge) = c.spec.span else { unreachable!("split() takes split commands") };
        let mut replies: SmallVec<[Reply; 4]> = SmallVec::new();
        let mut positions: SmallVec<[Vec<usize>; 4]> = SmallVec::new();
        let mut argvs: SmallVec<[Vec<Bytes>; 4]> = SmallVec::new();
        let mut seq = None;
        for (s, pos) in plan {
            let done = answers[s].next().expect("an answer per part");
            // Only the last part stamps, and only a write.
            seq = seq.or(done.seq);
            replies.push(done.reply);
            positions.push(pos);
            argvs.push(done.argv);
        }
        let reply = merge_replies(merge, replies, &positions, total_keys);
        // The unit's number was taken while every key was locked; send the
        // whole command under it (or fill the number when nothing changed).
        if let Some(seq) = seq {
            let wrote = match &reply {
                Reply::Int(n) => *n > 0,
                r => !r.is_error(),
            } && argvs.iter().all(|a| !a.is_empty());
            let cmds = if wrote { vec![rebuild(c.spec, &argvs, &positions, total_keys)] } else { Vec::new() };
            shard.send_effect(seq, c.db, &cmds);
        }
        out.push(reply);
    }
    out
}

/// Combines per-shard replies; the first error wins. A positional merge
/// interleaves the parts' arrays by `positions` (each part's ascending).
pub fn merge_replies(
    merge: Merge,
    replies: impl IntoIterator<Item = Reply>,
    positions: &[Vec<usize>],
    total: usize,
) -> Reply {
    let mut sum = 0;
    let mut arrays: SmallVec<[std::vec::IntoIter<Reply>; 4]> = SmallVec::new();
    for r in replies {
        match r {
            Reply::Int(n) => {
                sum += n;
                arrays.push(Vec::new().into_iter());
            }
            Reply::Array(v) => arrays.push(v.into_iter()),
            e if e.is_error() => return e,
            _ => arrays.push(Vec::new().into_iter()),
        }
    }
    match merge {
        Merge::Sum => Reply::Int(sum),
        Merge::Ok => Reply::Ok,
        Merge::Concat => Reply::Array(arrays.into_iter().flatten().collect()),
        Merge::Positional => {
            // Per part, its next position; a handful of parts, so each
            // output slot asks them in turn.
            let mut next: SmallVec<[std::slice::Iter<usize>; 4]> =
                positions.iter().map(|p| p.iter()).collect();
            let mut at: SmallVec<[Option<usize>; 4]> = next.iter_mut().map(|p| p.next().copied()).collect();
            let mut out = Vec::with_capacity(total);
            for slot in 0..total {
                let item = (0..at.len()).find(|&j| at[j] == Some(slot)).and_then(|j| {
                    at[j] = next[j].next().copied();
                    arrays.get_mut(j).and_then(Iterator::next)
                });
                out.push(item.unwrap_or(Reply::Nil));
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
    shard.call(to, Req::Exec(Cmd { db, spec, argv })).await.into_reply()
}

/// Any other multi-key command, generically: lock every key, copy the
/// entries into a scratch keyspace, run the command's own single-shard
/// handler there, and write back every key a write command may have
/// changed. Correct for any command at the price of copying its values;
/// hot commands that split (MSET, MGET, DEL) do not come here.
///
/// A blocking command that finds nothing returns its `Block`; with
/// `watch = Some(client id)` its keys are watched on their shards before the
/// locks go, so no push between this attempt and the watch is missed.
pub async fn gather(
    shard: &Rc<Shard>,
    db: u8,
    spec: &'static CommandSpec,
    argv: Vec<Bytes>,
    watch: Option<u64>,
) -> (Reply, Option<Block>) {
    let (mut replies, block) =
        gather_cmds(shard, vec![Cmd { db, spec, argv }], watch, None).await.expect("no WATCH to fail");
    (replies.pop().unwrap_or(Reply::Nil), block)
}

/// Runs `cmds` in order as one atomic unit over keys on any shards (the
/// body of EXEC when a transaction spans shards), replicated as one unit.
/// With `cas = Some((client, its watched keys))`, the watched keys are
/// locked too and the unit runs only if no shard saw one touched; `None`
/// when the watch failed (EXEC answers a null array).
pub async fn gather_cmds(
    shard: &Rc<Shard>,
    cmds: Vec<Cmd>,
    watch: Option<u64>,
    cas: Option<(u64, &[(u8, Bytes)])>,
) -> Option<(Vec<Reply>, Option<Block>)> {
    // Every (db, key) the commands touch, locked in (shard, db) order.
    let mut keys: Vec<(u8, Bytes)> =
        cmds.iter().flat_map(|c| c.spec.keys_in(&c.argv).map(|i| (c.db, c.argv[i].clone()))).collect();
    keys.sort();
    keys.dedup();
    let mut by_group: BTreeMap<(usize, u8), Vec<Bytes>> = BTreeMap::new();
    let watched = cas.map_or(&[][..], |(_, w)| w);
    for (db, k) in keys.iter().chain(watched) {
        let group = by_group.entry((shard_of(k, shard.nshards), *db)).or_default();
        if !group.contains(k) {
            group.push(k.clone());
        }
    }
    let groups: Vec<(usize, u8, Vec<Bytes>)> = by_group.into_iter().map(|((s, db), k)| (s, db, k)).collect();
    lock_all(shard, &groups).await;
    if let Some((id, watched)) = cas {
        let mut clean = true;
        for s in super::watch::shards_of(watched, shard.nshards) {
            clean &= matches!(shard.call(s, Req::CasCheck { id }).await, Resp::Reply(Reply::Bool(true)));
        }
        if !clean {
            unlock_all(shard, groups).await;
            return None;
        }
    }

    let mut pending = Vec::with_capacity(keys.len());
    for (db, k) in &keys {
        let to = shard_of(k, shard.nshards);
        pending.push(shard.request(to, Req::Take { db: *db, key: k.clone(), remove: false }).await);
    }
    let mut scratch = Keyspace::default();
    for ((db, k), h) in keys.iter().zip(pending) {
        if let Resp::Entry(Some(e)) = h.get().await {
            scratch.db(*db as usize).put(k, e);
        }
    }
    let now = now_ms();
    let (max_bulk, enc) = {
        let cfg = shard.cfg.borrow();
        (cfg.proto_max_bulk_len, cfg.enc)
    };
    let mut replies = Vec::with_capacity(cmds.len());
    let mut effects: Vec<(u8, Vec<Bytes>)> = Vec::new();
    let mut block = None;
    let mut wrote = false;
    for cmd in &cmds {
        let Exec::Shard(handler) = cmd.spec.exec else {
            replies.push(Reply::error("ERR internal: command cannot span shards"));
            continue;
        };
        let mut ctx = Ctx::new(&mut scratch, cmd.db as usize, now, max_bulk);
        ctx.enc = enc;
        ctx.replicating = shard.streaming.get();
        replies.push(handler(&mut ctx, &mut Args::new(&cmd.argv)).unwrap_or_else(Reply::from));
        block = ctx.block.take();
        if ctx.dirty > 0 && cmd.spec.is_write() {
            wrote = true;
            match ctx.effects.take() {
                Some(e) => effects.extend(e.into_iter().map(|argv| (cmd.db, argv))),
                None => effects.push((cmd.db, cmd.argv.clone())),
            }
        } else if let Some(e) = ctx.effects.take() {
            effects.extend(e.into_iter().map(|argv| (cmd.db, argv)));
        }
    }
    if wrote {
        let mut pending = Vec::with_capacity(keys.len());
        for (db, k) in &keys {
            let d = scratch.db(*db as usize);
            let expire_at = d.expire_at(k, now);
            let entry = d.get(k, now).map(|v| Entry { value: v.clone(), expire_at });
            let to = shard_of(k, shard.nshards);
            pending.push(shard.request(to, Req::Put { db: *db, key: k.clone(), entry }).await);
        }
        for h in pending {
            h.get().await;
        }
        shard.counters.dirty.set(shard.counters.dirty.get() + 1);
    }
    if shard.streaming.get() {
        shard.emit_unit(effects);
    }
    if let (Some(id), Some(b)) = (watch, &block) {
        let db = cmds[0].db;
        let mut pending = Vec::new();
        for (s, gdb, _) in &groups {
            let keys: Vec<Bytes> =
                b.keys.iter().filter(|k| *gdb == db && shard_of(k, shard.nshards) == *s).cloned().collect();
            if !keys.is_empty() {
                let req = Req::Watch { id, origin: shard.id, db, keys };
                pending.push(shard.request(*s, req).await);
            }
        }
        for h in pending {
            h.get().await;
        }
    }
    unlock_all(shard, groups).await;
    Some((replies, block))
}

fn ordered(a: (usize, u8, Bytes), b: (usize, u8, Bytes)) -> Vec<(usize, u8, Vec<Bytes>)> {
    let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    vec![(first.0, first.1, vec![first.2]), (second.0, second.1, vec![second.2])]
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
        shard.call(ds, Req::Put { db: dst_db, key: dst, entry: Some(entry) }).await;
        if shard.streaming.get() {
            shard.emit(db, std::slice::from_ref(&argv));
        }
        Reply::Int(1)
    }
    .await;
    unlock_all(shard, groups).await;
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words.iter().map(|w| Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    #[test]
    fn merged_replies_take_each_parts_positions_and_the_first_error() {
        let bulk = |s: &str| Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()));
        // MGET a b c d e: a, c, d on one shard (d missing), b, e on another.
        let parts = vec![
            Reply::Array(vec![bulk("a"), bulk("c"), Reply::Nil]),
            Reply::Array(vec![bulk("b"), bulk("e")]),
        ];
        let merged = merge_replies(Merge::Positional, parts, &[vec![0, 2, 3], vec![1, 4]], 5);
        assert_eq!(merged, Reply::Array(vec![bulk("a"), bulk("b"), bulk("c"), Reply::Nil, bulk("e")]));
        let sum = merge_replies(Merge::Sum, vec![Reply::Int(2), Reply::Int(3)], &[], 0);
        assert_eq!(sum, Reply::Int(5));
        let wrong = || Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value");
        let failed =
            merge_replies(Merge::Sum, vec![Reply::Int(2), wrong(), Reply::error("ERR later")], &[], 0);
        assert_eq!(failed, wrong());
        let failed = merge_replies(
            Merge::Positional,
            vec![Reply::Array(vec![bulk("a")]), wrong()],
            &[vec![0], vec![1]],
            2,
        );
        assert_eq!(failed, wrong());
    }

    #[test]
    fn rebuild_restores_the_client_order_or_keeps_each_keys_order() {
        let mset = lookup(b"mset").expect("mset");
        // MSET a 1 b 2 a 3 c 4, with a on one shard and b, c on another.
        let parts = [argv(&["MSET", "a", "1", "a", "3"]), argv(&["MSET", "b", "2", "c", "4"])];
        let placed = rebuild(mset, &parts, &[vec![0, 2], vec![1, 3]], 4);
        assert_eq!(placed, argv(&["MSET", "a", "1", "b", "2", "a", "3", "c", "4"]));
        // Positions not recorded (the stream started after the split): the
        // parts joined, a's writes still in their order.
        let joined = rebuild(mset, &parts, &[Vec::new(), Vec::new()], 4);
        assert_eq!(joined, argv(&["MSET", "a", "1", "a", "3", "b", "2", "c", "4"]));
        let del = lookup(b"del").expect("del");
        let parts = [argv(&["DEL", "x"]), argv(&["DEL", "y", "z"])];
        assert_eq!(rebuild(del, &parts, &[vec![1], vec![0, 2]], 3), argv(&["DEL", "y", "x", "z"]));
    }
}
