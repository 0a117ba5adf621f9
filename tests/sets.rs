//! Set commands through a real client on a server with two shards: every
//! command and its main options, Redis's error texts, WRONGTYPE, empty-key
//! cleanup, encodings and CONFIG, the multi-key commands with keys on
//! different shards (and SMOVE never seen half done), SSCAN, and the RESP3
//! shapes.

mod common;

use common::{Exec, Frame, SHARDS, Server, Value, key_on_shard, shard_of};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Runs a command replying an array of members and sorts it.
fn sorted(c: &mut redis::Connection, args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = c.ok(args);
    v.sort();
    v
}

#[test]
fn add_remove_and_membership() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.ok::<i64>(&["SADD", "s", "a", "b", "a"]), 2);
    assert_eq!(c.ok::<i64>(&["SADD", "s", "b", "c"]), 1);
    assert_eq!(c.ok::<i64>(&["SCARD", "s"]), 3);
    assert_eq!(c.ok::<i64>(&["SCARD", "nokey"]), 0);
    assert_eq!(c.ok::<i64>(&["SISMEMBER", "s", "a"]), 1);
    assert_eq!(c.ok::<i64>(&["SISMEMBER", "s", "z"]), 0);
    assert_eq!(c.ok::<Vec<i64>>(&["SMISMEMBER", "s", "a", "z", "c"]), vec![1, 0, 1]);
    assert_eq!(c.ok::<Vec<i64>>(&["SMISMEMBER", "nokey", "a"]), vec![0]);
    assert_eq!(sorted(&mut c, &["SMEMBERS", "s"]), strs(&["a", "b", "c"]));
    assert_eq!(c.ok::<Vec<String>>(&["SMEMBERS", "nokey"]), Vec::<String>::new());
    assert_eq!(c.ok::<i64>(&["SREM", "s", "a", "z"]), 1);
    assert_eq!(c.ok::<i64>(&["SREM", "nokey", "a"]), 0);
    // Removing the last member deletes the key.
    assert_eq!(c.ok::<i64>(&["SREM", "s", "b", "c"]), 2);
    assert_eq!(c.ok::<i64>(&["EXISTS", "s"]), 0);
    assert_eq!(c.ok::<String>(&["TYPE", "s"]), "none");
    // Members are binary safe.
    let m: &[u8] = b"bin\x00\r\nm";
    let n: i64 = redis::cmd("SADD").arg("b").arg(m).query(&mut c).unwrap();
    assert_eq!(n, 1);
    let got: Vec<Vec<u8>> = redis::cmd("SMEMBERS").arg("b").query(&mut c).unwrap();
    assert_eq!(got, vec![m.to_vec()]);
    assert_eq!(c.ok::<String>(&["TYPE", "b"]), "set");
}

#[test]
fn wrong_type_and_argument_errors() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "str", "v"]);
    c.ok::<i64>(&["SADD", "s", "a"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SCARD", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SMEMBERS", "str"],
        &["SRANDMEMBER", "str"],
        &["SPOP", "str"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "s", "str"],
        &["SUNION", "str", "s"],
        &["SDIFF", "s", "str"],
        &["SINTERCARD", "2", "s", "str"],
        &["SINTERSTORE", "d", "s", "str"],
        &["SUNIONSTORE", "d", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(c.err(args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(c.err(&["SADD", "s"]), "ERR wrong number of arguments for 'sadd' command");
    assert_eq!(c.err(&["SRANDMEMBER", "s", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["SRANDMEMBER", "s", "1", "2"]), "ERR syntax error");
    assert_eq!(c.err(&["SPOP", "s", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(c.err(&["SINTERCARD", "0", "s"]), "ERR numkeys should be greater than 0");
    assert_eq!(c.err(&["SINTERCARD", "3", "s"]), "ERR Number of keys can't be greater than number of args");
    assert_eq!(c.err(&["SINTERCARD", "1", "s", "LIMIT", "-1"]), "ERR LIMIT can't be negative");
    assert_eq!(c.err(&["SSCAN", "s", "x"]), "ERR invalid cursor");
    assert_eq!(c.err(&["SSCAN", "s", "0", "COUNT", "0"]), "ERR syntax error");
    // The string is untouched.
    assert_eq!(c.ok::<String>(&["GET", "str"]), "v");
}

#[test]
fn random_members_and_spop() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["SRANDMEMBER", "nokey"]), Ok(Value::Nil));
    assert_eq!(c.val(&["SPOP", "nokey"]), Ok(Value::Nil));
    assert_eq!(c.ok::<Vec<String>>(&["SRANDMEMBER", "nokey", "3"]), Vec::<String>::new());
    assert_eq!(c.ok::<Vec<String>>(&["SPOP", "nokey", "3"]), Vec::<String>::new());
    let members: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "s"];
    args.extend(members.iter().map(String::as_str));
    assert_eq!(c.ok::<i64>(&args), 100);
    let all: BTreeSet<String> = members.iter().cloned().collect();
    let one: String = c.ok(&["SRANDMEMBER", "s"]);
    assert!(all.contains(&one));
    let ten: Vec<String> = c.ok(&["SRANDMEMBER", "s", "10"]);
    assert_eq!(ten.iter().collect::<BTreeSet<_>>().len(), 10, "distinct: {ten:?}");
    assert_eq!(c.ok::<Vec<String>>(&["SRANDMEMBER", "s", "500"]).len(), 100);
    let rep: Vec<String> = c.ok(&["SRANDMEMBER", "s", "-300"]);
    assert_eq!(rep.len(), 300);
    assert!(rep.iter().all(|m| all.contains(m)));
    assert_eq!(c.ok::<Vec<String>>(&["SRANDMEMBER", "s", "0"]), Vec::<String>::new());
    // SPOP removes what it returns.
    let popped: Vec<String> = c.ok(&["SPOP", "s", "30"]);
    assert_eq!(popped.iter().collect::<BTreeSet<_>>().len(), 30);
    assert_eq!(c.ok::<i64>(&["SCARD", "s"]), 70);
    for m in &popped {
        assert_eq!(c.ok::<i64>(&["SISMEMBER", "s", m]), 0);
    }
    let single: String = c.ok(&["SPOP", "s"]);
    assert!(all.contains(&single) && !popped.contains(&single));
    assert_eq!(c.ok::<Vec<String>>(&["SPOP", "s", "0"]), Vec::<String>::new());
    let rest: Vec<String> = c.ok(&["SPOP", "s", "1000"]);
    assert_eq!(rest.len(), 69);
    assert_eq!(c.ok::<i64>(&["EXISTS", "s"]), 0, "a set popped empty is deleted");
}

#[test]
fn smove_between_shards() {
    let s = Server::start();
    let mut c = s.client();
    let (a, b) = (key_on_shard("from", 0, SHARDS), key_on_shard("to", 1, SHARDS));
    c.ok::<i64>(&["SADD", &a, "x", "y"]);
    assert_eq!(c.ok::<i64>(&["SMOVE", &a, &b, "x"]), 1);
    assert_eq!(sorted(&mut c, &["SMEMBERS", &a]), strs(&["y"]));
    assert_eq!(sorted(&mut c, &["SMEMBERS", &b]), strs(&["x"]));
    assert_eq!(c.ok::<i64>(&["SMOVE", &a, &b, "nope"]), 0);
    assert_eq!(c.ok::<i64>(&["SMOVE", "nokey", &b, "x"]), 0);
    assert_eq!(c.ok::<i64>(&["SMOVE", &a, &a, "y"]), 1);
    // The last member leaves: the source is deleted.
    assert_eq!(c.ok::<i64>(&["SMOVE", &a, &b, "y"]), 1);
    assert_eq!(c.ok::<i64>(&["EXISTS", &a]), 0);
    assert_eq!(sorted(&mut c, &["SMEMBERS", &b]), strs(&["x", "y"]));
    // A wrong-typed destination on the other shard: nothing moves.
    c.ok::<()>(&["SET", &a, "str"]);
    assert_eq!(c.err(&["SMOVE", &b, &a, "x"]), WRONGTYPE);
    assert_eq!(c.ok::<i64>(&["SCARD", &b]), 2);
}

#[test]
fn algebra_with_keys_on_both_shards() {
    let s = Server::start();
    let mut c = s.client();
    let a = key_on_shard("a", 0, SHARDS);
    let b = key_on_shard("b", 1, SHARDS);
    let k = key_on_shard("c", 0, SHARDS);
    let d = key_on_shard("dst", 1, SHARDS);
    c.ok::<i64>(&["SADD", &a, "1", "2", "3", "x"]);
    c.ok::<i64>(&["SADD", &b, "2", "3", "4", "x"]);
    c.ok::<i64>(&["SADD", &k, "3", "x", "9"]);
    assert_eq!(sorted(&mut c, &["SINTER", &a, &b, &k]), strs(&["3", "x"]));
    assert_eq!(sorted(&mut c, &["SINTER", &a, "nokey"]), Vec::<String>::new());
    assert_eq!(sorted(&mut c, &["SUNION", &a, &b]), strs(&["1", "2", "3", "4", "x"]));
    assert_eq!(sorted(&mut c, &["SDIFF", &a, &b]), strs(&["1"]));
    assert_eq!(sorted(&mut c, &["SDIFF", &a, "nokey", &k]), strs(&["1", "2"]));
    assert_eq!(c.ok::<i64>(&["SINTERCARD", "3", &a, &b, &k]), 2);
    assert_eq!(c.ok::<i64>(&["SINTERCARD", "2", &a, &b, "LIMIT", "1"]), 1);
    // The STORE forms, with the destination on either shard.
    assert_eq!(c.ok::<i64>(&["SINTERSTORE", &d, &a, &b]), 3);
    assert_eq!(sorted(&mut c, &["SMEMBERS", &d]), strs(&["2", "3", "x"]));
    assert_eq!(c.ok::<i64>(&["SUNIONSTORE", &d, &a, &k]), 5);
    assert_eq!(c.ok::<i64>(&["SDIFFSTORE", &d, &a, &b, &k]), 1);
    assert_eq!(sorted(&mut c, &["SMEMBERS", &d]), strs(&["1"]));
    assert_eq!(c.ok::<i64>(&["SUNIONSTORE", &a, &a, &b]), 5, "a source can be the destination");
    // An empty result deletes the destination, whatever it held.
    c.ok::<()>(&["SET", &d, "string"]);
    assert_eq!(c.ok::<i64>(&["SINTERSTORE", &d, &a, "nokey"]), 0);
    assert_eq!(c.ok::<i64>(&["EXISTS", &d]), 0);
    c.ok::<()>(&["SET", &d, "string"]);
    assert_eq!(c.ok::<i64>(&["SDIFFSTORE", &d, &b, &b]), 0);
    assert_eq!(c.ok::<i64>(&["EXISTS", &d]), 0);
    // A string destination is overwritten.
    c.ok::<()>(&["SET", &d, "string"]);
    assert_eq!(c.ok::<i64>(&["SUNIONSTORE", &d, &b]), 4);
    assert_eq!(c.ok::<String>(&["TYPE", &d]), "set");
}

/// SMOVE between sets on different shards is atomic: readers on other
/// connections never see the member in both sets or in neither.
#[test]
fn smove_is_never_half_done() {
    let s = Server::start();
    let (a, b) = (key_on_shard("left", 0, SHARDS), key_on_shard("right", 1, SHARDS));
    assert_ne!(shard_of(&a, SHARDS), shard_of(&b, SHARDS));
    let mut c = s.client();
    c.ok::<i64>(&["SADD", &a, "m1", "m2", "m3"]);
    c.ok::<i64>(&["SADD", &b, "keep"]);
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, a, b) = (stop.clone(), a.clone(), b.clone());
            let mut r = s.client();
            thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let union: Vec<String> = r.ok(&["SUNION", &a, &b]);
                    let inter: Vec<String> = r.ok(&["SINTER", &a, &b]);
                    assert_eq!(union.len(), 4, "SUNION saw {union:?}");
                    assert!(inter.is_empty(), "SINTER saw {inter:?}");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut i = 0;
    while Instant::now() < deadline {
        let m = format!("m{}", i % 3 + 1);
        let (from, to) = if (i / 3) % 2 == 0 { (&a, &b) } else { (&b, &a) };
        assert_eq!(c.ok::<i64>(&["SMOVE", from, to, &m]), 1);
        i += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().expect("reader saw a torn SMOVE") > 5);
    }
}

#[test]
fn sscan_returns_every_member() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(
        c.val(&["SSCAN", "nokey", "0"]),
        Ok(Value::Array(vec![Value::BulkString(b"0".to_vec()), Value::Array(vec![])]))
    );
    let members: Vec<String> = (0..500).map(|i| format!("m{i}")).collect();
    let mut args = vec!["SADD", "big"];
    args.extend(members.iter().map(String::as_str));
    c.ok::<i64>(&args);
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let (next, batch): (String, Vec<String>) = c.ok(&["SSCAN", "big", &cursor, "COUNT", "50"]);
        seen.extend(batch);
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen, members.iter().cloned().collect::<BTreeSet<_>>());
    assert!(calls > 1, "a large set is scanned in steps");
    let (cur, m): (String, Vec<String>) = c.ok(&["SSCAN", "big", "0", "MATCH", "m4?", "COUNT", "1000"]);
    assert_eq!(cur, "0");
    assert_eq!(m.iter().collect::<BTreeSet<_>>().len(), 10);
    // A compact set comes back whole at once.
    c.ok::<i64>(&["SADD", "small", "1", "2"]);
    let (cur, m): (String, Vec<String>) = c.ok(&["SSCAN", "small", "0", "COUNT", "1"]);
    assert_eq!((cur, m), ("0".to_string(), strs(&["1", "2"])));
}

#[test]
fn encodings_follow_the_thresholds_and_config() {
    let s = Server::start();
    let mut c = s.client();
    let enc = |c: &mut redis::Connection, k: &str| c.ok::<String>(&["OBJECT", "ENCODING", k]);
    c.ok::<i64>(&["SADD", "ints", "1", "2", "3"]);
    assert_eq!(enc(&mut c, "ints"), "intset");
    let many: Vec<String> = (0..600).map(|i| i.to_string()).collect();
    let mut args = vec!["SADD", "ints"];
    args.extend(many.iter().map(String::as_str));
    c.ok::<i64>(&args);
    assert_eq!(enc(&mut c, "ints"), "hashtable", "past set-max-intset-entries");
    c.ok::<i64>(&["SADD", "strs", "a", "b"]);
    c.ok::<i64>(&["SADD", "long", "a", &"x".repeat(65)]);
    assert_eq!(enc(&mut c, "long"), "hashtable", "past set-max-listpack-value");
    c.ok::<()>(&["CONFIG", "SET", "set-max-intset-entries", "2"]);
    c.ok::<i64>(&["SADD", "two", "1", "2"]);
    assert_eq!(enc(&mut c, "two"), "intset");
    c.ok::<i64>(&["SADD", "two", "3"]);
    assert_eq!(enc(&mut c, "two"), "hashtable");
    assert_eq!(sorted(&mut c, &["SMEMBERS", "two"]), strs(&["1", "2", "3"]));
    if !s.is_redis {
        // Redis 7.2's listpack sets (7.0 has none).
        assert_eq!(enc(&mut c, "strs"), "listpack");
        c.ok::<()>(&["CONFIG", "SET", "set-max-listpack-entries", "3"]);
        c.ok::<i64>(&["SADD", "lp", "a", "b", "c"]);
        assert_eq!(enc(&mut c, "lp"), "listpack");
        c.ok::<i64>(&["SADD", "lp", "d"]);
        assert_eq!(enc(&mut c, "lp"), "hashtable");
        assert_eq!(sorted(&mut c, &["SMEMBERS", "lp"]), strs(&["a", "b", "c", "d"]));
    }
}

#[test]
fn resp3_shapes() {
    let s = Server::start();
    let mut raw = s.raw();
    assert!(matches!(raw.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(raw.cmd(&["SADD", "s", "a"]), Frame::Int(1));
    assert_eq!(raw.cmd(&["SMEMBERS", "s"]), Frame::Set(vec![Frame::bulk("a")]));
    assert_eq!(raw.cmd(&["SMEMBERS", "nokey"]), Frame::Set(vec![]));
    assert_eq!(raw.cmd(&["SINTER", "s", "s"]), Frame::Set(vec![Frame::bulk("a")]));
    assert_eq!(raw.cmd(&["SUNION", "s", "nokey"]), Frame::Set(vec![Frame::bulk("a")]));
    assert_eq!(raw.cmd(&["SDIFF", "nokey", "s"]), Frame::Set(vec![]));
    assert_eq!(raw.cmd(&["SRANDMEMBER", "s", "2"]), Frame::Array(vec![Frame::bulk("a")]));
    assert_eq!(raw.cmd(&["SPOP", "s", "1"]), Frame::Set(vec![Frame::bulk("a")]));
    assert_eq!(raw.cmd(&["SPOP", "s"]), Frame::Null);
    assert_eq!(raw.cmd(&["SRANDMEMBER", "s"]), Frame::Null);
}
