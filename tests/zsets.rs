//! Sorted set commands through a real client on a server with two shards:
//! every command and its main options, Redis's error texts, WRONGTYPE,
//! empty-key cleanup, encodings and CONFIG, rank queries on a large sorted
//! set, the multi-key commands with keys on different shards, ZSCAN, RESP3
//! shapes, and the blocking pops (timeout, wake-up from another connection
//! on either shard).

mod common;

use common::{Exec, Frame, SHARDS, Server, Value, info_field, key_on_shard, wait_until};
use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn bulk(s: &str) -> Value {
    Value::BulkString(s.as_bytes().to_vec())
}

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(s: &Server, n: usize) {
    let mut c = s.client();
    let ok = wait_until(Duration::from_secs(5), || {
        let info: String = c.ok(&["INFO", "clients"]);
        info_field(&info, "blocked_clients").is_some_and(|v| v.parse::<usize>().unwrap_or(0) >= n)
    });
    assert!(ok, "{n} client(s) never showed as blocked in INFO clients");
}

/// Runs `args` on a fresh connection in a thread; the thread returns the
/// reply and how long it took.
fn spawn_cmd(s: &Server, args: &[&str]) -> thread::JoinHandle<(Result<Value, String>, Duration)> {
    let mut c = s.client();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    thread::spawn(move || {
        let t = Instant::now();
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = c.val(&a);
        (r, t.elapsed())
    })
}

/// ZADD key with `score member` pairs given as one string.
fn zadd(c: &mut redis::Connection, key: &str, pairs: &str) -> i64 {
    let mut args = vec!["ZADD", key];
    args.extend(pairs.split(' '));
    c.ok(&args)
}

#[test]
fn zadd_options_and_scores() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(zadd(&mut c, "z", "1 a 2 b"), 2);
    assert_eq!(zadd(&mut c, "z", "1 a"), 0);
    assert_eq!(c.ok::<i64>(&["ZADD", "z", "CH", "5", "a", "2", "b", "3", "c"]), 2);
    assert_eq!(c.ok::<f64>(&["ZSCORE", "z", "a"]), 5.0);
    assert_eq!(c.ok::<i64>(&["ZADD", "z", "NX", "10", "a", "4", "d"]), 1);
    assert_eq!(c.ok::<f64>(&["ZSCORE", "z", "a"]), 5.0, "NX never updates");
    assert_eq!(c.ok::<i64>(&["ZADD", "z", "XX", "10", "a", "7", "e"]), 0);
    assert_eq!(c.val(&["ZSCORE", "z", "e"]), Ok(Value::Nil), "XX never adds");
    assert_eq!(c.ok::<i64>(&["ZADD", "z", "GT", "CH", "3", "a", "20", "b"]), 1);
    assert_eq!(c.ok::<i64>(&["ZADD", "z", "LT", "CH", "30", "b", "1", "c"]), 1);
    assert_eq!(c.ok::<String>(&["ZADD", "z", "INCR", "2.5", "a"]), "12.5");
    assert_eq!(c.ok::<String>(&["ZINCRBY", "z", "-0.5", "a"]), "12");
    assert_eq!(c.ok::<String>(&["ZINCRBY", "z", "1.5", "fresh"]), "1.5");
    assert_eq!(c.val(&["ZADD", "z", "NX", "INCR", "1", "a"]), Ok(Value::Nil));
    assert_eq!(c.val(&["ZADD", "z", "GT", "INCR", "-1", "a"]), Ok(Value::Nil));
    assert_eq!(c.ok::<String>(&["ZADD", "z", "LT", "INCR", "-1", "a"]), "11");
    assert_eq!(c.ok::<i64>(&["ZADD", "nokey", "XX", "1", "a"]), 0);
    assert_eq!(c.ok::<i64>(&["EXISTS", "nokey"]), 0);
    assert_eq!(
        c.ok::<Vec<String>>(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
        strs(&["c", "1", "fresh", "1.5", "d", "4", "a", "11", "b", "20"])
    );
    assert_eq!(c.ok::<i64>(&["ZADD", "inf", "+inf", "a", "-inf", "b"]), 2);
    assert_eq!(
        c.ok::<Vec<String>>(&["ZRANGE", "inf", "0", "-1", "WITHSCORES"]),
        strs(&["b", "-inf", "a", "inf"])
    );
    assert_eq!(c.err(&["ZINCRBY", "inf", "-inf", "a"]), "ERR resulting score is not a number (NaN)");
    assert_eq!(
        c.err(&["ZADD", "z", "NX", "XX", "1", "a"]),
        "ERR XX and NX options at the same time are not compatible"
    );
    assert_eq!(
        c.err(&["ZADD", "z", "GT", "LT", "1", "a"]),
        "ERR GT, LT, and/or NX options at the same time are not compatible"
    );
    assert_eq!(
        c.err(&["ZADD", "z", "NX", "GT", "1", "a"]),
        "ERR GT, LT, and/or NX options at the same time are not compatible"
    );
    assert_eq!(
        c.err(&["ZADD", "z", "INCR", "1", "a", "2", "b"]),
        "ERR INCR option supports a single increment-element pair"
    );
    assert_eq!(c.err(&["ZADD", "z", "x", "a"]), "ERR value is not a valid float");
    assert_eq!(c.err(&["ZADD", "z", "nan", "a"]), "ERR value is not a valid float");
    assert_eq!(c.err(&["ZADD", "z", "1", "a", "2"]), "ERR syntax error");
    assert_eq!(c.err(&["ZADD", "z", "1"]), "ERR wrong number of arguments for 'zadd' command");
}

#[test]
fn reads_ranks_and_ranges() {
    let s = Server::start();
    let mut c = s.client();
    zadd(&mut c, "z", "1 a 2 b 3 c 4 d 5 e");
    assert_eq!(c.ok::<i64>(&["ZCARD", "z"]), 5);
    assert_eq!(c.ok::<i64>(&["ZCARD", "nokey"]), 0);
    assert_eq!(
        c.ok::<Vec<Option<f64>>>(&["ZMSCORE", "z", "a", "nope", "e"]),
        vec![Some(1.0), None, Some(5.0)]
    );
    assert_eq!(c.ok::<i64>(&["ZRANK", "z", "b"]), 1);
    assert_eq!(c.ok::<i64>(&["ZREVRANK", "z", "b"]), 3);
    assert_eq!(c.val(&["ZRANK", "z", "nope"]), Ok(Value::Nil));
    if !s.is_redis {
        // Redis 7.2's WITHSCORE.
        assert_eq!(
            c.val(&["ZRANK", "z", "c", "WITHSCORE"]),
            Ok(Value::Array(vec![Value::Int(2), bulk("3")]))
        );
        assert_eq!(c.val(&["ZREVRANK", "z", "nope", "WITHSCORE"]), Ok(Value::Nil));
    }
    let r = |c: &mut redis::Connection, args: &[&str]| c.ok::<Vec<String>>(args);
    assert_eq!(r(&mut c, &["ZRANGE", "z", "1", "2", "WITHSCORES"]), strs(&["b", "2", "c", "3"]));
    assert_eq!(r(&mut c, &["ZRANGE", "z", "-2", "-1"]), strs(&["d", "e"]));
    assert_eq!(r(&mut c, &["ZRANGE", "z", "3", "1"]), strs(&[]));
    assert_eq!(r(&mut c, &["ZRANGE", "z", "0", "1", "REV"]), strs(&["e", "d"]));
    assert_eq!(r(&mut c, &["ZREVRANGE", "z", "0", "1", "WITHSCORES"]), strs(&["e", "5", "d", "4"]));
    assert_eq!(r(&mut c, &["ZRANGE", "z", "(2", "4", "BYSCORE"]), strs(&["c", "d"]));
    assert_eq!(r(&mut c, &["ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"]), strs(&["b", "c"]));
    assert_eq!(
        r(&mut c, &["ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"]),
        strs(&["d", "4", "c", "3"])
    );
    assert_eq!(r(&mut c, &["ZRANGEBYSCORE", "z", "(1", "(5"]), strs(&["b", "c", "d"]));
    assert_eq!(r(&mut c, &["ZRANGEBYSCORE", "z", "3", "3", "WITHSCORES"]), strs(&["c", "3"]));
    assert_eq!(r(&mut c, &["ZREVRANGEBYSCORE", "z", "4", "2", "LIMIT", "1", "5"]), strs(&["c", "b"]));
    assert_eq!(r(&mut c, &["ZRANGE", "nokey", "0", "-1"]), strs(&[]));
    zadd(&mut c, "l", "0 a 0 b 0 c 0 d 0 e");
    assert_eq!(r(&mut c, &["ZRANGEBYLEX", "l", "[b", "(d"]), strs(&["b", "c"]));
    assert_eq!(r(&mut c, &["ZRANGEBYLEX", "l", "-", "[c", "LIMIT", "1", "1"]), strs(&["b"]));
    assert_eq!(r(&mut c, &["ZREVRANGEBYLEX", "l", "[d", "(a"]), strs(&["d", "c", "b"]));
    assert_eq!(r(&mut c, &["ZRANGE", "l", "[d", "[b", "BYLEX", "REV"]), strs(&["d", "c", "b"]));
    assert_eq!(c.ok::<i64>(&["ZCOUNT", "z", "(2", "4"]), 2);
    assert_eq!(c.ok::<i64>(&["ZCOUNT", "z", "-inf", "+inf"]), 5);
    assert_eq!(c.ok::<i64>(&["ZLEXCOUNT", "l", "-", "+"]), 5);
    assert_eq!(c.ok::<i64>(&["ZLEXCOUNT", "l", "(b", "[d"]), 2);
    assert_eq!(c.err(&["ZCOUNT", "z", "x", "1"]), "ERR min or max is not a float");
    assert_eq!(c.err(&["ZLEXCOUNT", "l", "a", "b"]), "ERR min or max not valid string range item");
    assert_eq!(
        c.err(&["ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"]),
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
    );
    assert_eq!(
        c.err(&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"]),
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
    );
    assert_eq!(c.err(&["ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX"]), "ERR syntax error");
    assert_eq!(c.err(&["ZRANGE", "z", "a", "1"]), "ERR value is not an integer or out of range");
}

#[test]
fn removals_and_empty_key_cleanup() {
    let s = Server::start();
    let mut c = s.client();
    zadd(&mut c, "z", "1 a 2 b 3 c 4 d 5 e");
    assert_eq!(c.ok::<i64>(&["ZREM", "z", "a", "nope"]), 1);
    assert_eq!(c.ok::<i64>(&["ZREM", "nokey", "a"]), 0);
    assert_eq!(c.ok::<i64>(&["ZREMRANGEBYRANK", "z", "0", "0"]), 1);
    assert_eq!(c.ok::<i64>(&["ZREMRANGEBYSCORE", "z", "(3", "4"]), 1);
    assert_eq!(c.ok::<Vec<String>>(&["ZRANGE", "z", "0", "-1"]), strs(&["c", "e"]));
    assert_eq!(c.ok::<i64>(&["ZREMRANGEBYRANK", "z", "0", "-1"]), 2);
    assert_eq!(c.ok::<i64>(&["EXISTS", "z"]), 0, "a sorted set emptied by range is deleted");
    zadd(&mut c, "l", "0 a 0 b 0 c 0 d");
    assert_eq!(c.ok::<i64>(&["ZREMRANGEBYLEX", "l", "[b", "(d"]), 2);
    assert_eq!(c.ok::<i64>(&["ZREM", "l", "a", "d"]), 2);
    assert_eq!(c.ok::<String>(&["TYPE", "l"]), "none", "a sorted set emptied by ZREM is deleted");
    assert_eq!(c.ok::<i64>(&["ZREMRANGEBYSCORE", "nokey", "-inf", "+inf"]), 0);
    assert_eq!(c.err(&["ZREMRANGEBYRANK", "z", "x", "1"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["ZREMRANGEBYSCORE", "z", "x", "1"]), "ERR min or max is not a float");
    assert_eq!(c.err(&["ZREMRANGEBYLEX", "z", "x", "1"]), "ERR min or max not valid string range item");
}

#[test]
fn wrong_type() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "str", "v"]);
    for args in [
        &["ZADD", "str", "1", "a"][..],
        &["ZINCRBY", "str", "1", "a"],
        &["ZREM", "str", "a"],
        &["ZCARD", "str"],
        &["ZSCORE", "str", "a"],
        &["ZMSCORE", "str", "a"],
        &["ZRANK", "str", "a"],
        &["ZREVRANK", "str", "a"],
        &["ZCOUNT", "str", "0", "1"],
        &["ZLEXCOUNT", "str", "-", "+"],
        &["ZRANGE", "str", "0", "1"],
        &["ZRANGEBYSCORE", "str", "0", "1"],
        &["ZREVRANGEBYSCORE", "str", "1", "0"],
        &["ZRANGEBYLEX", "str", "-", "+"],
        &["ZREVRANGEBYLEX", "str", "+", "-"],
        &["ZREVRANGE", "str", "0", "1"],
        &["ZRANGESTORE", "d", "str", "0", "1"],
        &["ZREMRANGEBYRANK", "str", "0", "1"],
        &["ZREMRANGEBYSCORE", "str", "0", "1"],
        &["ZREMRANGEBYLEX", "str", "-", "+"],
        &["ZPOPMIN", "str"],
        &["ZPOPMAX", "str", "2"],
        &["BZPOPMIN", "str", "0"],
        &["BZPOPMAX", "str", "0"],
        &["ZMPOP", "1", "str", "MIN"],
        &["BZMPOP", "0", "1", "str", "MAX"],
        &["ZRANDMEMBER", "str"],
        &["ZUNION", "1", "str"],
        &["ZINTER", "1", "str"],
        &["ZDIFF", "1", "str"],
        &["ZUNIONSTORE", "d", "1", "str"],
        &["ZINTERSTORE", "d", "1", "str"],
        &["ZDIFFSTORE", "d", "1", "str"],
        &["ZINTERCARD", "1", "str"],
        &["ZSCAN", "str", "0"],
    ] {
        assert_eq!(c.err(args), WRONGTYPE, "{args:?}");
    }
    assert_eq!(c.ok::<String>(&["GET", "str"]), "v");
}

#[test]
fn pops_and_mpop() {
    let s = Server::start();
    let mut c = s.client();
    zadd(&mut c, "z", "1 a 2 b 3 c");
    assert_eq!(c.ok::<Vec<String>>(&["ZPOPMIN", "z"]), strs(&["a", "1"]));
    assert_eq!(c.ok::<Vec<String>>(&["ZPOPMAX", "z", "5"]), strs(&["c", "3", "b", "2"]));
    assert_eq!(c.ok::<i64>(&["EXISTS", "z"]), 0, "a sorted set popped empty is deleted");
    assert_eq!(c.ok::<Vec<String>>(&["ZPOPMIN", "z"]), strs(&[]));
    assert_eq!(c.err(&["ZPOPMIN", "z", "-1"]), "ERR value is out of range, must be positive");
    // ZMPOP takes the first non-empty key, on whichever shard it lives.
    let (e, k) = (key_on_shard("empty", 0, SHARDS), key_on_shard("full", 1, SHARDS));
    zadd(&mut c, &k, "1 a 2 b 3 c");
    let want = Value::Array(vec![
        bulk(&k),
        Value::Array(vec![
            Value::Array(vec![bulk("c"), bulk("3")]),
            Value::Array(vec![bulk("b"), bulk("2")]),
        ]),
    ]);
    assert_eq!(c.val(&["ZMPOP", "2", &e, &k, "MAX", "COUNT", "2"]), Ok(want));
    assert_eq!(c.val(&["ZMPOP", "1", &e, "MIN"]), Ok(Value::Nil));
    assert_eq!(c.err(&["ZMPOP", "0", &e, "MIN"]), "ERR numkeys should be greater than 0");
    assert_eq!(c.err(&["ZMPOP", "1", &e, "MIN", "COUNT", "0"]), "ERR count should be greater than 0");
    assert_eq!(c.err(&["ZMPOP", "1", &e, "FOO"]), "ERR syntax error");
    assert_eq!(
        c.val(&["ZMPOP", "2", &e, &k, "MIN"]).unwrap(),
        Value::Array(vec![bulk(&k), Value::Array(vec![Value::Array(vec![bulk("a"), bulk("1")])])])
    );
    assert_eq!(c.ok::<i64>(&["EXISTS", &k]), 0);
}

#[test]
fn algebra_with_keys_on_both_shards() {
    let s = Server::start();
    let mut c = s.client();
    let a = key_on_shard("za", 0, SHARDS);
    let b = key_on_shard("zb", 1, SHARDS);
    let set = key_on_shard("set", 0, SHARDS);
    let d = key_on_shard("dst", 1, SHARDS);
    zadd(&mut c, &a, "1 x 2 y 3 z");
    zadd(&mut c, &b, "10 y 20 z 30 w");
    c.ok::<i64>(&["SADD", &set, "x", "w"]);
    let r = |c: &mut redis::Connection, args: &[&str]| c.ok::<Vec<String>>(args);
    assert_eq!(
        r(&mut c, &["ZUNION", "2", &a, &b, "WITHSCORES"]),
        strs(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(
        r(&mut c, &["ZUNION", "2", &a, &b, "WEIGHTS", "2", "1", "AGGREGATE", "MAX", "WITHSCORES"]),
        strs(&["x", "2", "y", "10", "z", "20", "w", "30"])
    );
    assert_eq!(
        r(&mut c, &["ZINTER", "2", &a, &b, "AGGREGATE", "MIN", "WITHSCORES"]),
        strs(&["y", "2", "z", "3"])
    );
    assert_eq!(
        r(&mut c, &["ZUNION", "2", &a, &set, "WITHSCORES"]),
        strs(&["w", "1", "x", "2", "y", "2", "z", "3"])
    );
    assert_eq!(r(&mut c, &["ZDIFF", "2", &a, &b, "WITHSCORES"]), strs(&["x", "1"]));
    assert_eq!(c.ok::<i64>(&["ZINTERCARD", "2", &a, &b]), 2);
    assert_eq!(c.ok::<i64>(&["ZINTERCARD", "2", &a, &b, "LIMIT", "1"]), 1);
    assert_eq!(c.ok::<i64>(&["ZUNIONSTORE", &d, "2", &a, &b]), 4);
    assert_eq!(
        r(&mut c, &["ZRANGE", &d, "0", "-1", "WITHSCORES"]),
        strs(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(c.ok::<i64>(&["ZINTERSTORE", &d, "3", &a, &b, &set]), 0);
    assert_eq!(c.ok::<i64>(&["EXISTS", &d]), 0, "an empty result deletes the destination");
    assert_eq!(c.ok::<i64>(&["ZDIFFSTORE", &d, "2", &b, &a]), 1);
    assert_eq!(r(&mut c, &["ZRANGE", &d, "0", "-1", "WITHSCORES"]), strs(&["w", "30"]));
    assert_eq!(c.ok::<i64>(&["ZINTERSTORE", &d, "2", &a, &set, "WEIGHTS", "3", "1"]), 1);
    assert_eq!(r(&mut c, &["ZRANGE", &d, "0", "-1", "WITHSCORES"]), strs(&["x", "4"]));
    // ZRANGESTORE across shards, over a string destination.
    c.ok::<()>(&["SET", &d, "str"]);
    assert_eq!(c.ok::<i64>(&["ZRANGESTORE", &d, &b, "15", "+inf", "BYSCORE"]), 2);
    assert_eq!(r(&mut c, &["ZRANGE", &d, "0", "-1"]), strs(&["z", "w"]));
    assert_eq!(c.ok::<i64>(&["ZRANGESTORE", &d, "nokey", "0", "-1"]), 0);
    assert_eq!(c.ok::<i64>(&["EXISTS", &d]), 0);
    assert_eq!(c.err(&["ZUNION", "0", &a]), "ERR at least 1 input key is needed for 'zunion' command");
    assert_eq!(c.err(&["ZUNIONSTORE", &d, "3", &a, &b]), "ERR syntax error");
    assert_eq!(c.err(&["ZINTER", "2", &a, &b, "WEIGHTS", "1", "x"]), "ERR weight value is not a float");
    assert_eq!(c.err(&["ZDIFF", "1", &a, "WEIGHTS", "1"]), "ERR syntax error");
}

#[test]
fn random_members_and_zscan() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["ZRANDMEMBER", "nokey"]), Ok(Value::Nil));
    assert_eq!(c.ok::<Vec<String>>(&["ZRANDMEMBER", "nokey", "2"]), strs(&[]));
    let pairs: Vec<String> = (0..300).map(|i| format!("{i} m{i}")).collect();
    zadd(&mut c, "big", &pairs.join(" "));
    let ten: Vec<String> = c.ok(&["ZRANDMEMBER", "big", "10"]);
    assert_eq!(ten.iter().collect::<BTreeSet<_>>().len(), 10);
    assert_eq!(c.ok::<Vec<String>>(&["ZRANDMEMBER", "big", "-500"]).len(), 500);
    let ws: Vec<String> = c.ok(&["ZRANDMEMBER", "big", "5", "WITHSCORES"]);
    for p in ws.chunks(2) {
        assert_eq!(p[0], format!("m{}", p[1]), "a score follows its member");
    }
    assert_eq!(c.err(&["ZRANDMEMBER", "big", "1", "foo"]), "ERR syntax error");
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, batch): (String, Vec<String>) = c.ok(&["ZSCAN", "big", &cursor, "COUNT", "40"]);
        for p in batch.chunks(2) {
            assert_eq!(p[0], format!("m{}", p[1]));
            seen.insert(p[0].clone());
        }
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
    zadd(&mut c, "small", "1 a 2.5 b");
    let (cur, items): (String, Vec<String>) = c.ok(&["ZSCAN", "small", "0", "MATCH", "b*"]);
    assert_eq!((cur, items), ("0".to_string(), strs(&["b", "2.5"])));
}

#[test]
fn encodings_and_large_sets() {
    let s = Server::start();
    let mut c = s.client();
    let enc = |c: &mut redis::Connection, k: &str| c.ok::<String>(&["OBJECT", "ENCODING", k]);
    zadd(&mut c, "z", "1 a 2 b");
    assert_eq!(enc(&mut c, "z"), "listpack");
    zadd(&mut c, "z", &format!("3 {}", "x".repeat(65)));
    assert_eq!(enc(&mut c, "z"), "skiplist", "past zset-max-listpack-value");
    c.ok::<()>(&["CONFIG", "SET", "zset-max-listpack-entries", "3"]);
    zadd(&mut c, "c", "1 a 2 b 3 c");
    assert_eq!(enc(&mut c, "c"), "listpack");
    zadd(&mut c, "c", "4 d");
    assert_eq!(enc(&mut c, "c"), "skiplist");
    c.ok::<()>(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
    // A large sorted set: ranks and ranges agree with the arithmetic.
    let n = 5000;
    let pairs: Vec<String> = (0..n).map(|i| format!("{} m{i:05}", i * 2)).collect();
    for chunk in pairs.chunks(500) {
        zadd(&mut c, "big", &chunk.join(" "));
    }
    assert_eq!(enc(&mut c, "big"), "skiplist");
    assert_eq!(c.ok::<i64>(&["ZCARD", "big"]), n);
    for i in [0, 1, 2499, 4998, 4999] {
        let m = format!("m{i:05}");
        assert_eq!(c.ok::<i64>(&["ZRANK", "big", &m]), i);
        assert_eq!(c.ok::<i64>(&["ZREVRANK", "big", &m]), n - 1 - i);
    }
    assert_eq!(
        c.ok::<Vec<String>>(&["ZRANGE", "big", "3000", "3002"]),
        strs(&["m03000", "m03001", "m03002"])
    );
    assert_eq!(c.ok::<Vec<String>>(&["ZRANGE", "big", "-2", "-1", "REV"]), strs(&["m00001", "m00000"]));
    assert_eq!(c.ok::<i64>(&["ZCOUNT", "big", "1000", "(2000"]), 500);
    assert_eq!(
        c.ok::<Vec<String>>(&["ZRANGEBYSCORE", "big", "(100", "+inf", "LIMIT", "2", "2"]),
        strs(&["m00053", "m00054"])
    );
    assert_eq!(c.ok::<i64>(&["ZREMRANGEBYRANK", "big", "0", "999"]), 1000);
    assert_eq!(c.ok::<i64>(&["ZRANK", "big", "m01000"]), 0);
    assert_eq!(c.ok::<Vec<String>>(&["ZPOPMAX", "big"]), strs(&["m04999", "9998"]));
}

#[test]
fn resp3_shapes() {
    let s = Server::start();
    let mut raw = s.raw();
    assert!(matches!(raw.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(raw.cmd(&["ZADD", "z", "1.5", "a", "2", "b"]), Frame::Int(2));
    assert_eq!(raw.cmd(&["ZSCORE", "z", "a"]), Frame::Double("1.5".into()));
    assert_eq!(raw.cmd(&["ZSCORE", "z", "nope"]), Frame::Null);
    assert_eq!(
        raw.cmd(&["ZMSCORE", "z", "b", "nope"]),
        Frame::Array(vec![Frame::Double("2".into()), Frame::Null])
    );
    assert_eq!(raw.cmd(&["ZINCRBY", "z", "1", "b"]), Frame::Double("3".into()));
    assert_eq!(raw.cmd(&["ZPOPMIN", "z"]), Frame::Array(vec![Frame::bulk("a"), Frame::Double("1.5".into())]));
    assert_eq!(
        raw.cmd(&["BZPOPMAX", "z", "0"]),
        Frame::Array(vec![Frame::bulk("z"), Frame::bulk("b"), Frame::Double("3".into())])
    );
    assert_eq!(raw.cmd(&["BZPOPMIN", "z", "0.05"]), Frame::Null);
}

/// Redis 7 answers WITHSCORES to RESP3 clients as `[[member, score], ...]`.
#[test]
fn resp3_withscores_pairs() {
    let s = Server::start();
    let mut raw = s.raw();
    raw.cmd(&["HELLO", "3"]);
    raw.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    let pair = |m: &str, s: &str| Frame::Array(vec![Frame::bulk(m), Frame::Double(s.into())]);
    let want = Frame::Array(vec![pair("a", "1"), pair("b", "2")]);
    assert_eq!(raw.cmd(&["ZRANGE", "z", "0", "-1", "WITHSCORES"]), want);
    assert_eq!(raw.cmd(&["ZUNION", "1", "z", "WITHSCORES"]), want);
    assert_eq!(raw.cmd(&["ZPOPMIN", "z", "1"]), Frame::Array(vec![pair("a", "1")]));
}

#[test]
fn blocking_pop_times_out() {
    let s = Server::start();
    let mut c = s.client();
    let t = Instant::now();
    assert_eq!(c.val(&["BZPOPMIN", "nothing", "0.3"]), Ok(Value::Nil));
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(3), "took {took:?}");
    let mut raw = s.raw();
    assert_eq!(raw.cmd(&["BZPOPMAX", "nothing", "other", "0.1"]), Frame::NilArray);
    assert_eq!(raw.cmd(&["BZMPOP", "0.1", "1", "nothing", "MIN"]), Frame::NilArray);
    assert_eq!(c.err(&["BZPOPMIN", "k", "-1"]), "ERR timeout is negative");
    assert_eq!(c.err(&["BZPOPMIN", "k", "abc"]), "ERR timeout is not a float or out of range");
    // Something to pop: served at once, whichever listed key has it.
    zadd(&mut c, "ready", "1 a 2 b");
    let want = Value::Array(vec![bulk("ready"), bulk("a"), bulk("1")]);
    assert_eq!(c.val(&["BZPOPMIN", "nothing", "ready", "5"]), Ok(want));
}

#[test]
fn blocked_pop_is_woken_from_another_connection_on_either_shard() {
    let s = Server::start();
    let mut c = s.client();
    for shard in 0..SHARDS {
        let key = key_on_shard("wake", shard, SHARDS);
        let h = spawn_cmd(&s, &["BZPOPMIN", &key, "5"]);
        wait_blocked(&s, 1);
        assert_eq!(zadd(&mut c, &key, "3 c 1 a 2 b"), 3);
        let (r, took) = h.join().unwrap();
        assert_eq!(r, Ok(Value::Array(vec![bulk(&key), bulk("a"), bulk("1")])), "shard {shard}");
        assert!(took < Duration::from_secs(4), "woken late: {took:?}");
        assert_eq!(c.ok::<Vec<String>>(&["ZRANGE", &key, "0", "-1"]), strs(&["b", "c"]));
    }
}

#[test]
fn blocked_pops_over_keys_on_both_shards_are_woken() {
    let s = Server::start();
    let mut c = s.client();
    // Several keys on both shards; a STORE into one of them wakes the client.
    let (k0, k1) = (key_on_shard("multi", 0, SHARDS), key_on_shard("multi", 1, SHARDS));
    let src = key_on_shard("src", 0, SHARDS);
    zadd(&mut c, &src, "7 x 8 y");
    let h = spawn_cmd(&s, &["BZPOPMAX", &k0, &k1, "5"]);
    wait_blocked(&s, 1);
    assert_eq!(c.ok::<i64>(&["ZUNIONSTORE", &k1, "1", &src]), 2);
    assert_eq!(h.join().unwrap().0, Ok(Value::Array(vec![bulk(&k1), bulk("y"), bulk("8")])));
    // BZMPOP, woken by ZINCRBY on the other shard's key.
    let h = spawn_cmd(&s, &["BZMPOP", "5", "2", &k0, "nothing", "MIN", "COUNT", "3"]);
    wait_blocked(&s, 1);
    assert_eq!(c.ok::<String>(&["ZINCRBY", &k0, "4", "m"]), "4");
    let want = Value::Array(vec![bulk(&k0), Value::Array(vec![Value::Array(vec![bulk("m"), bulk("4")])])]);
    assert_eq!(h.join().unwrap().0, Ok(want));
    assert_eq!(c.ok::<i64>(&["EXISTS", &k0]), 0, "the member went to the client");
}
