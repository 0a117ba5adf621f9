//! Hash commands through a real client on a server with two shards: every
//! command and its main options, Redis's error texts, WRONGTYPE, empty-key
//! cleanup, encodings and CONFIG, HGETALL as a RESP3 map, HRANDFIELD and a
//! full HSCAN of a large hash.

mod common;

use common::{Exec, Frame, Server, Value};
use std::collections::{HashMap, HashSet};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn set_get_and_friends() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.ok::<i64>(&["HSET", "h", "a", "1", "b", "2"]), 2);
    assert_eq!(c.ok::<i64>(&["HSET", "h", "a", "10", "c", "3"]), 1);
    assert_eq!(c.val(&["HMSET", "h", "d", "4"]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["HGET", "h", "a"]), "10");
    assert_eq!(c.val(&["HGET", "h", "nope"]), Ok(Value::Nil));
    assert_eq!(c.val(&["HGET", "missing", "a"]), Ok(Value::Nil));
    assert_eq!(c.ok::<i64>(&["HSETNX", "h", "a", "x"]), 0);
    assert_eq!(c.ok::<i64>(&["HSETNX", "h", "e", "5"]), 1);
    assert_eq!(c.ok::<i64>(&["HSETNX", "new", "f", "v"]), 1);
    assert_eq!(
        c.ok::<Vec<Option<String>>>(&["HMGET", "h", "a", "nope", "e"]),
        [Some("10".to_string()), None, Some("5".to_string())]
    );
    assert_eq!(c.ok::<Vec<Option<String>>>(&["HMGET", "missing", "a"]), [None]);
    assert_eq!(c.ok::<i64>(&["HLEN", "h"]), 5);
    assert_eq!(c.ok::<i64>(&["HLEN", "missing"]), 0);
    assert_eq!(c.ok::<i64>(&["HEXISTS", "h", "a"]), 1);
    assert_eq!(c.ok::<i64>(&["HEXISTS", "h", "nope"]), 0);
    assert_eq!(c.ok::<i64>(&["HSTRLEN", "h", "a"]), 2);
    assert_eq!(c.ok::<i64>(&["HSTRLEN", "h", "nope"]), 0);
    assert_eq!(sorted(c.ok(&["HKEYS", "h"])), strs(&["a", "b", "c", "d", "e"]));
    assert_eq!(sorted(c.ok(&["HVALS", "h"])), strs(&["10", "2", "3", "4", "5"]));
    let all: HashMap<String, String> = c.ok(&["HGETALL", "h"]);
    let want: HashMap<String, String> = [("a", "10"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]
        .map(|(f, v)| (f.into(), v.into()))
        .into();
    assert_eq!(all, want);
    assert_eq!(c.ok::<Vec<String>>(&["HKEYS", "missing"]), strs(&[]));
    assert_eq!(c.ok::<HashMap<String, String>>(&["HGETALL", "missing"]), HashMap::new());
    assert_eq!(c.err(&["HSET", "h", "a"]), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(c.err(&["HSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hset' command");
    assert_eq!(c.err(&["HMSET", "h", "a", "1", "b"]), "ERR wrong number of arguments for 'hmset' command");
    // Binary-safe fields and values.
    let (f, v): (&[u8], &[u8]) = (b"f\x00\r\n", b"\xff\x00v");
    redis::cmd("HSET").arg("bin").arg(f).arg(v).query::<i64>(&mut c).unwrap();
    let got: Vec<u8> = redis::cmd("HGET").arg("bin").arg(f).query(&mut c).unwrap();
    assert_eq!(got, v);
}

#[test]
fn counters() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.ok::<i64>(&["HINCRBY", "h", "n", "5"]), 5);
    assert_eq!(c.ok::<i64>(&["HINCRBY", "h", "n", "-7"]), -2);
    c.ok::<i64>(&["HSET", "h", "s", "abc", "max", "9223372036854775807"]);
    assert_eq!(c.err(&["HINCRBY", "h", "s", "1"]), "ERR hash value is not an integer");
    assert_eq!(c.err(&["HINCRBY", "h", "n", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["HINCRBY", "h", "max", "1"]), "ERR increment or decrement would overflow");
    assert_eq!(c.ok::<String>(&["HINCRBYFLOAT", "h", "f", "10.5"]), "10.5");
    assert_eq!(c.ok::<String>(&["HINCRBYFLOAT", "h", "f", "0.1"]), "10.6");
    assert_eq!(c.ok::<String>(&["HINCRBYFLOAT", "h", "n", "2.5"]), "0.5");
    assert_eq!(c.ok::<String>(&["HINCRBYFLOAT", "h", "e", "5.0e3"]), "5000");
    assert_eq!(c.ok::<String>(&["HGET", "h", "e"]), "5000");
    assert_eq!(c.err(&["HINCRBYFLOAT", "h", "s", "1"]), "ERR hash value is not a float");
    assert_eq!(c.err(&["HINCRBYFLOAT", "h", "f", "x"]), "ERR value is not a valid float");
    assert_eq!(c.err(&["HINCRBYFLOAT", "h", "f", "inf"]), "ERR value is NaN or Infinity");
}

#[test]
fn wrong_type_and_empty_key_cleanup() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "s", "v"]);
    let cmds: &[&[&str]] = &[
        &["HSET", "s", "a", "1"],
        &["HMSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HSCAN", "s", "0"],
    ];
    for cmd in cmds {
        assert_eq!(c.err(cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(c.ok::<String>(&["GET", "s"]), "v");
    c.ok::<i64>(&["RPUSH", "l", "x"]);
    assert_eq!(c.err(&["HGET", "l", "a"]), WRONGTYPE);
    c.ok::<i64>(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.err(&["LLEN", "h"]), WRONGTYPE);
    assert_eq!(c.ok::<String>(&["TYPE", "h"]), "hash");
    assert_eq!(c.ok::<i64>(&["HDEL", "h", "a", "nope"]), 1);
    assert_eq!(c.ok::<i64>(&["HDEL", "missing", "a"]), 0);
    assert_eq!(c.ok::<i64>(&["HDEL", "h", "b", "c", "d"]), 2);
    assert_eq!(c.ok::<i64>(&["EXISTS", "h"]), 0, "the emptied hash is deleted");
    assert_eq!(c.ok::<String>(&["TYPE", "h"]), "none");
}

#[test]
fn encodings_follow_the_thresholds_and_config() {
    let s = Server::start();
    let mut c = s.client();
    // Pinned, so the test does not depend on the default (Redis's is 512).
    c.ok::<()>(&["CONFIG", "SET", "hash-max-listpack-entries", "128"]);
    for i in 0..128 {
        c.ok::<i64>(&["HSET", "h", &format!("f{i}"), "v"]);
    }
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "h"]), "listpack");
    c.ok::<i64>(&["HSET", "h", "one-more", "v"]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "h"]), "hashtable");
    c.ok::<i64>(&["HSET", "long", "f", &"x".repeat(64)]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "long"]), "listpack");
    c.ok::<i64>(&["HSET", "long", "g", &"x".repeat(65)]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "long"]), "hashtable");
    c.ok::<()>(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    c.ok::<i64>(&["HSET", "small", "a", "1", "b", "2"]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "small"]), "listpack");
    c.ok::<i64>(&["HSET", "small", "c", "3"]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "small"]), "hashtable");
    assert_eq!(c.ok::<i64>(&["HLEN", "h"]), 129);
    assert_eq!(c.ok::<String>(&["HGET", "h", "f77"]), "v");
}

#[test]
fn default_thresholds_are_redis_defaults() {
    let s = Server::start();
    let mut c = s.client();
    let get = |c: &mut redis::Connection, name: &str| -> String {
        let v: Vec<String> = c.ok(&["CONFIG", "GET", name]);
        v.get(1).cloned().unwrap_or_default()
    };
    assert_eq!(get(&mut c, "hash-max-listpack-entries"), "512");
    assert_eq!(get(&mut c, "hash-max-listpack-value"), "64");
    for i in 0..512 {
        c.ok::<i64>(&["HSET", "h", &format!("f{i}"), "v"]);
    }
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "h"]), "listpack");
    c.ok::<i64>(&["HSET", "h", "one-more", "v"]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "h"]), "hashtable");
}

#[test]
fn hgetall_is_a_map_in_resp3() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<i64>(&["HSET", "h", "a", "1"]);
    let mut raw = s.raw();
    assert!(matches!(raw.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(raw.cmd(&["HGETALL", "h"]), Frame::Map(vec![(Frame::bulk("a"), Frame::bulk("1"))]));
    assert_eq!(raw.cmd(&["HGETALL", "missing"]), Frame::Map(vec![]));
    assert_eq!(raw.cmd(&["HGET", "h", "missing"]), Frame::Null);
    let mut raw2 = s.raw();
    assert_eq!(raw2.cmd(&["HGETALL", "h"]), Frame::Array(vec![Frame::bulk("a"), Frame::bulk("1")]));
}

#[test]
fn hrandfield() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["HRANDFIELD", "missing"]), Ok(Value::Nil));
    assert_eq!(c.ok::<Vec<String>>(&["HRANDFIELD", "missing", "3"]), strs(&[]));
    for i in 0..300 {
        c.ok::<i64>(&["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
    }
    let one: String = c.ok(&["HRANDFIELD", "h"]);
    assert!(one.starts_with('f'));
    let some: Vec<String> = c.ok(&["HRANDFIELD", "h", "50"]);
    assert_eq!(some.iter().collect::<HashSet<_>>().len(), 50, "distinct");
    let all: Vec<String> = c.ok(&["HRANDFIELD", "h", "1000"]);
    assert_eq!(all.len(), 300);
    let rep: Vec<String> = c.ok(&["HRANDFIELD", "h", "-1000"]);
    assert_eq!(rep.len(), 1000);
    let pairs: Vec<String> = c.ok(&["HRANDFIELD", "h", "5", "WITHVALUES"]);
    assert_eq!(pairs.len(), 10);
    assert!(pairs.chunks(2).all(|p| p[0][1..] == p[1][1..]), "{pairs:?}");
    assert_eq!(c.ok::<Vec<String>>(&["HRANDFIELD", "h", "0"]), strs(&[]));
    assert_eq!(c.err(&["HRANDFIELD", "h", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["HRANDFIELD", "h", "1", "foo"]), "ERR syntax error");
    assert_eq!(
        c.err(&["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"]),
        "ERR value is out of range"
    );
    c.ok::<i64>(&["HSET", "small", "only", "1"]);
    assert_eq!(c.ok::<Vec<String>>(&["HRANDFIELD", "small", "-3"]), strs(&["only", "only", "only"]));
}

#[test]
fn hscan_walks_every_field() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(
        c.val(&["HSCAN", "missing", "0"]),
        Ok(Value::Array(vec![Value::BulkString(b"0".to_vec()), Value::Array(vec![])]))
    );
    c.ok::<i64>(&["HSET", "small", "a", "1", "b", "2"]);
    let (cursor, items): (String, Vec<String>) = c.ok(&["HSCAN", "small", "0", "COUNT", "1"]);
    assert_eq!((cursor.as_str(), items), ("0", strs(&["a", "1", "b", "2"])), "a listpack comes whole");
    for i in 0..1000 {
        c.ok::<i64>(&["HSET", "big", &format!("f{i}"), &format!("{i}")]);
    }
    let (mut cursor, mut seen) = ("0".to_string(), HashMap::new());
    let mut calls = 0;
    loop {
        let (next, items): (String, Vec<String>) = c.ok(&["HSCAN", "big", &cursor, "COUNT", "50"]);
        for p in items.chunks(2) {
            seen.insert(p[0].clone(), p[1].clone());
        }
        calls += 1;
        cursor = next;
        if cursor == "0" {
            break;
        }
    }
    assert!(calls > 5, "a large hash takes several calls");
    assert_eq!(seen.len(), 1000);
    assert!(seen.iter().all(|(f, v)| f[1..] == *v));
    let (_, matched): (String, Vec<String>) = c.ok(&["HSCAN", "small", "0", "MATCH", "a*"]);
    assert_eq!(matched, strs(&["a", "1"]));
    assert_eq!(c.err(&["HSCAN", "big", "x"]), "ERR invalid cursor");
    assert_eq!(c.err(&["HSCAN", "big", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(c.err(&["HSCAN", "big", "0", "FOO"]), "ERR syntax error");
    // NOVALUES (Redis 7.4) is ringkv's too; Debian's 7.0 does not know it.
    if !s.is_redis {
        let (_, fields): (String, Vec<String>) = c.ok(&["HSCAN", "small", "0", "NOVALUES"]);
        assert_eq!(fields, strs(&["a", "b"]));
    }
}
