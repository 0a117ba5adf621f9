//! Multi-key commands are atomic across shards: a writer changes keys that
//! live on different shards with one command while readers on other
//! connections read them with one command, and no reader may ever see half
//! of a write.

mod common;

use common::{Exec, SHARDS, Server, key_on_shard, shard_of};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const READERS: usize = 3;

/// Runs `write(con, i)` for i = 1, 2, ... on one connection for `dur`, and
/// `read(con)` in a loop on `READERS` other connections meanwhile. `read`
/// returns Err on a violation, else an observation; returns every reader's
/// distinct observations and the number of writes done.
fn race<W, R>(s: &Server, dur: Duration, mut write: W, read: R) -> (Vec<BTreeSet<String>>, u64)
where
    W: FnMut(&mut redis::Connection, u64) + Send + 'static,
    R: Fn(&mut redis::Connection) -> Result<String, String> + Send + Sync + 'static,
{
    let stop = Arc::new(AtomicBool::new(false));
    let read = Arc::new(read);
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (stop, read) = (stop.clone(), read.clone());
            let mut con = s.client();
            thread::spawn(move || -> Result<(BTreeSet<String>, u64), String> {
                let mut seen = BTreeSet::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    seen.insert(read(&mut con)?);
                    n += 1;
                }
                Ok((seen, n))
            })
        })
        .collect();
    let mut con = s.client();
    let deadline = Instant::now() + dur;
    let mut i = 0;
    while Instant::now() < deadline {
        i += 1;
        write(&mut con, i);
    }
    stop.store(true, Ordering::Relaxed);
    let mut out = Vec::new();
    for (n, r) in readers.into_iter().enumerate() {
        match r.join() {
            Ok(Ok((seen, reads))) => {
                assert!(reads > 10, "reader {n} made only {reads} reads");
                out.push(seen);
            }
            Ok(Err(violation)) => panic!("reader {n} saw a torn write: {violation}"),
            Err(_) => panic!("reader {n} panicked"),
        }
    }
    (out, i)
}

#[test]
fn mset_mget_never_torn() {
    let s = Server::start();
    // "a" and "b" live on different shards (slots 15495 and 3300).
    assert_ne!(shard_of("a", SHARDS), shard_of("b", SHARDS));
    s.client().ok::<()>(&["MSET", "a", "0", "b", "0"]);
    let (seen, writes) = race(
        &s,
        Duration::from_secs(2),
        |c, i| {
            let x = i.to_string();
            c.ok::<()>(&["MSET", "a", &x, "b", &x]);
        },
        |c| {
            let v: Vec<String> = c.ok(&["MGET", "a", "b"]);
            if v[0] == v[1] { Ok(v[0].clone()) } else { Err(format!("MGET a b = {v:?}")) }
        },
    );
    assert!(writes > 100, "the writer made only {writes} writes");
    for (n, s) in seen.iter().enumerate() {
        assert!(s.len() > 5, "reader {n} saw only {} distinct values: no real concurrency", s.len());
    }
    let v: Vec<String> = s.client().ok(&["MGET", "a", "b"]);
    assert_eq!(v, vec![writes.to_string(), writes.to_string()]);
}

#[test]
fn wide_mset_mget_never_torn() {
    let s = Server::start();
    let keys: Vec<String> = (0..8).map(|i| format!("wide{i}")).collect();
    let shards: BTreeSet<usize> = keys.iter().map(|k| shard_of(k, SHARDS)).collect();
    assert_eq!(shards.len(), SHARDS, "the keys must cover every shard");
    let wk = keys.clone();
    let rk = keys.clone();
    let (seen, _) = race(
        &s,
        Duration::from_secs(1),
        move |c, i| {
            let x = i.to_string();
            let mut args = vec!["MSET"];
            for k in &wk {
                args.push(k);
                args.push(&x);
            }
            c.ok::<()>(&args);
        },
        move |c| {
            let mut args = vec!["MGET"];
            args.extend(rk.iter().map(String::as_str));
            let v: Vec<Option<String>> = c.ok(&args);
            if v.iter().all(|x| x == &v[0]) { Ok(format!("{:?}", v[0])) } else { Err(format!("{v:?}")) }
        },
    );
    assert!(seen.iter().all(|s| s.len() > 2));
}

#[test]
fn del_exists_all_or_nothing() {
    let s = Server::start();
    let (seen, _) = race(
        &s,
        Duration::from_secs(1),
        |c, i| {
            if i % 2 == 1 {
                c.ok::<()>(&["MSET", "a", "1", "b", "1"]);
            } else {
                assert_eq!(c.ok::<i64>(&["DEL", "a", "b"]), 2);
            }
        },
        |c| match c.ok::<i64>(&["EXISTS", "a", "b"]) {
            n @ (0 | 2) => Ok(n.to_string()),
            n => Err(format!("EXISTS a b = {n}")),
        },
    );
    for s in &seen {
        assert_eq!(s.len(), 2, "readers must see both states: {s:?}");
    }
}

#[test]
fn msetnx_all_or_nothing() {
    let s = Server::start();
    let (seen, _) = race(
        &s,
        Duration::from_secs(1),
        |c, i| {
            if i % 2 == 1 {
                assert_eq!(c.ok::<i64>(&["MSETNX", "a", &i.to_string(), "b", &i.to_string()]), 1);
            } else {
                c.ok::<()>(&["DEL", "a", "b"]);
            }
        },
        |c| {
            let v: Vec<Option<String>> = c.ok(&["MGET", "a", "b"]);
            if v[0] == v[1] { Ok(format!("{:?}", v[0].is_some())) } else { Err(format!("MGET a b = {v:?}")) }
        },
    );
    assert!(seen.iter().all(|s| s.len() == 2), "{seen:?}");
}

#[test]
fn rename_is_never_half_done() {
    let s = Server::start();
    // "x" and "y" live on different shards.
    assert_ne!(shard_of("x", SHARDS), shard_of("y", SHARDS));
    s.client().ok::<()>(&["SET", "x", "v"]);
    let (seen, _) = race(
        &s,
        Duration::from_secs(1),
        |c, i| {
            let (from, to) = if i % 2 == 1 { ("x", "y") } else { ("y", "x") };
            c.ok::<()>(&["RENAME", from, to]);
        },
        |c| {
            let v: Vec<Option<String>> = c.ok(&["MGET", "x", "y"]);
            match (&v[0], &v[1]) {
                (Some(_), None) => Ok("x".into()),
                (None, Some(_)) => Ok("y".into()),
                _ => Err(format!("MGET x y = {v:?}: the key must be in exactly one place")),
            }
        },
    );
    assert!(seen.iter().all(|s| s.len() == 2), "{seen:?}");
}

#[test]
fn pipelined_split_commands_stay_atomic_and_in_order() {
    // A pipeline of cross-shard MSETs on disjoint pairs runs them together;
    // a later command sharing a key must still see them, and readers must
    // never see a pair half written.
    let s = Server::start();
    let pairs: Arc<Vec<(String, String)>> = Arc::new(
        (0..16)
            .map(|i| (key_on_shard(&format!("p{i}a"), 0, SHARDS), key_on_shard(&format!("p{i}b"), 1, SHARDS)))
            .collect(),
    );
    let (w, r) = (pairs.clone(), pairs.clone());
    let (seen, writes) = race(
        &s,
        Duration::from_secs(2),
        move |c, i| {
            let x = i.to_string();
            let mut p = redis::pipe();
            for (a, b) in w.iter() {
                p.cmd("MSET").arg(a).arg(&x).arg(b).arg(&x).ignore();
            }
            let (a0, b0) = &w[0];
            p.cmd("MGET").arg(a0).arg(b0);
            p.cmd("DEL").arg(a0).arg(b0);
            p.cmd("MGET").arg(a0).arg(b0);
            p.cmd("MSET").arg(a0).arg(&x).arg(b0).arg(&x).ignore();
            let (got, deleted, gone): (Vec<String>, i64, Vec<Option<String>>) = p.query(c).unwrap();
            assert_eq!((got, deleted, gone), (vec![x.clone(), x], 2, vec![None, None]));
        },
        move |c| {
            let mut p = redis::pipe();
            for (a, b) in r.iter() {
                p.cmd("MGET").arg(a).arg(b);
            }
            let got: Vec<Vec<Option<String>>> = p.query(c).map_err(|e| e.to_string())?;
            match got.iter().find(|v| v[0] != v[1]) {
                Some(v) => Err(format!("MGET pair = {v:?}")),
                None => Ok(format!("{:?}", got[15][0])),
            }
        },
    );
    assert!(writes > 20, "the writer made only {writes} pipelines");
    assert!(seen.iter().all(|s| s.len() > 3), "readers saw too few distinct values: {seen:?}");
    let v: Vec<String> = s.client().ok(&["MGET", &pairs[7].0, &pairs[7].1]);
    assert_eq!(v, vec![writes.to_string(), writes.to_string()]);
}

#[test]
fn split_commands_through_four_shards_stay_atomic() {
    // A writer's MSET spans all four shards: its parts pass 0, 1, 2, 3 in
    // turn, each but the last keeping its keys held. Readers take subsets
    // (shards 0 and 3, 1 and 3, 0 and 2) whose parts skip the shards in
    // between, so their messages can overtake the writer's: only the held
    // keys keep them from seeing one half old and the other new. Several
    // readers run MGET's shared locks side by side.
    const N: usize = 4;
    let s = Server::with_args(&["--shards", "4"]);
    let quads: Arc<Vec<Vec<String>>> = Arc::new(
        (0..8).map(|i| (0..N).map(|sh| key_on_shard(&format!("q{i}s{sh}"), sh, N)).collect()).collect(),
    );
    let (w, r) = (quads.clone(), quads.clone());
    let (seen, writes) = race(
        &s,
        Duration::from_secs(2),
        move |c, i| {
            let x = i.to_string();
            let mut p = redis::pipe();
            for q in w.iter() {
                let mut cmd = redis::cmd("MSET");
                for k in q {
                    cmd.arg(k).arg(&x);
                }
                p.add_command(cmd).ignore();
            }
            p.query::<()>(c).unwrap();
        },
        move |c| {
            // One command at a time: a pipelined batch would share one
            // chain through every shard its commands touch.
            let mut last = None;
            for (i, q) in r.iter().enumerate() {
                let (a, b) = [(0, 3), (1, 3), (0, 2)][i % 3];
                let v: Vec<Option<String>> = c.ok(&["MGET", &q[a], &q[b]]);
                if v[0] != v[1] {
                    return Err(format!("MGET of shards {a} and {b} = {v:?}"));
                }
                last = v[0].clone();
            }
            Ok(format!("{last:?}"))
        },
    );
    assert!(writes > 20, "the writer made only {writes} pipelines");
    assert!(seen.iter().all(|s| s.len() > 3), "readers saw too few distinct values: {seen:?}");
    let v: Vec<String> = s.client().ok(&["MGET", &quads[3][0], &quads[3][1], &quads[3][2], &quads[3][3]]);
    assert_eq!(v, vec![writes.to_string(); N]);
}
