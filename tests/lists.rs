//! List commands through a real client on a server with two shards: every
//! command and its main options, Redis's error texts, WRONGTYPE, empty-key
//! cleanup, encodings, moves between lists on different shards, and the
//! blocking pops (timeout, wake-up from another connection on either
//! shard, fairness, a client that disconnects while blocked, MULTI).

mod common;

use common::{Exec, Frame, Server, Value, info_field, key_on_shard, wait_until};
use std::thread;
use std::time::{Duration, Instant};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn range(c: &mut redis::Connection, key: &str) -> Vec<String> {
    c.ok(&["LRANGE", key, "0", "-1"])
}

/// Waits until the server reports `n` blocked clients (`what` names the
/// step in the failure message).
fn wait_blocked(s: &Server, n: usize, what: &str) {
    let mut c = s.client();
    let ok = wait_until(Duration::from_secs(5), || {
        let info: String = c.ok(&["INFO", "clients"]);
        info_field(&info, "blocked_clients").is_some_and(|v| v.parse::<usize>().unwrap_or(0) >= n)
    });
    assert!(ok, "{what}: {n} client(s) never showed as blocked in INFO clients");
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

fn pair(k: &str, v: &str) -> Value {
    Value::Array(vec![Value::BulkString(k.into()), Value::BulkString(v.into())])
}

#[test]
fn push_pop_and_ranges() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.ok::<i64>(&["LPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(c.ok::<i64>(&["RPUSH", "l", "d", "e"]), 5);
    assert_eq!(range(&mut c, "l"), strs(&["c", "b", "a", "d", "e"]));
    assert_eq!(c.ok::<i64>(&["LPUSHX", "l", "z"]), 6);
    assert_eq!(c.ok::<i64>(&["RPUSHX", "l", "y"]), 7);
    assert_eq!(c.ok::<i64>(&["LPUSHX", "missing", "z"]), 0);
    assert_eq!(c.ok::<i64>(&["RPUSHX", "missing", "z"]), 0);
    assert_eq!(c.ok::<i64>(&["EXISTS", "missing"]), 0);
    assert_eq!(c.ok::<i64>(&["LLEN", "l"]), 7);
    assert_eq!(c.ok::<i64>(&["LLEN", "missing"]), 0);
    assert_eq!(c.ok::<String>(&["LPOP", "l"]), "z");
    assert_eq!(c.ok::<String>(&["RPOP", "l"]), "y");
    assert_eq!(c.ok::<Vec<String>>(&["LPOP", "l", "2"]), strs(&["c", "b"]));
    assert_eq!(c.ok::<Vec<String>>(&["RPOP", "l", "2"]), strs(&["e", "d"]));
    assert_eq!(c.val(&["LPOP", "l", "0"]), Ok(Value::Array(vec![])));
    assert_eq!(c.val(&["LPOP", "missing"]), Ok(Value::Nil));
    assert_eq!(c.val(&["LPOP", "missing", "2"]), Ok(Value::Nil));
    assert_eq!(c.err(&["LPOP", "l", "-1"]), "ERR value is out of range, must be positive");
    assert_eq!(c.err(&["RPOP", "l", "1", "2"]), "ERR wrong number of arguments for 'rpop' command");
    c.ok::<i64>(&["RPUSH", "r", "0", "1", "2", "3", "4", "5"]);
    assert_eq!(c.ok::<Vec<String>>(&["LRANGE", "r", "1", "-2"]), strs(&["1", "2", "3", "4"]));
    assert_eq!(c.ok::<Vec<String>>(&["LRANGE", "r", "-2", "100"]), strs(&["4", "5"]));
    assert_eq!(c.ok::<Vec<String>>(&["LRANGE", "r", "3", "1"]), strs(&[]));
    assert_eq!(c.ok::<Vec<String>>(&["LRANGE", "missing", "0", "-1"]), strs(&[]));
    assert_eq!(c.err(&["LRANGE", "r", "a", "1"]), "ERR value is not an integer or out of range");
    assert_eq!(c.ok::<String>(&["LINDEX", "r", "-1"]), "5");
    assert_eq!(c.val(&["LINDEX", "r", "6"]), Ok(Value::Nil));
    // Binary-safe elements, the empty one included.
    let bin: &[u8] = b"\x00\r\n\xff";
    redis::cmd("RPUSH").arg("b").arg(bin).arg("").query::<i64>(&mut c).unwrap();
    let got: Vec<Vec<u8>> = redis::cmd("LRANGE").arg("b").arg(0).arg(-1).query(&mut c).unwrap();
    assert_eq!(got, vec![bin.to_vec(), vec![]]);
}

#[test]
fn set_insert_remove_trim_pos() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<i64>(&["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(c.val(&["LSET", "l", "1", "B"]), Ok(Value::Okay));
    assert_eq!(c.val(&["LSET", "l", "-1", "C"]), Ok(Value::Okay));
    assert_eq!(c.err(&["LSET", "l", "3", "x"]), "ERR index out of range");
    assert_eq!(c.err(&["LSET", "missing", "0", "x"]), "ERR no such key");
    assert_eq!(c.ok::<i64>(&["LINSERT", "l", "BEFORE", "a", "x"]), 4);
    assert_eq!(c.ok::<i64>(&["LINSERT", "l", "after", "C", "y"]), 5);
    assert_eq!(c.ok::<i64>(&["LINSERT", "l", "BEFORE", "nope", "y"]), -1);
    assert_eq!(c.ok::<i64>(&["LINSERT", "missing", "BEFORE", "a", "y"]), 0);
    assert_eq!(c.err(&["LINSERT", "l", "MIDDLE", "a", "y"]), "ERR syntax error");
    assert_eq!(range(&mut c, "l"), strs(&["x", "a", "B", "C", "y"]));

    c.ok::<i64>(&["RPUSH", "r", "a", "b", "a", "c", "a", "b", "a"]);
    assert_eq!(c.ok::<i64>(&["LREM", "r", "2", "a"]), 2);
    assert_eq!(c.ok::<i64>(&["LREM", "r", "-1", "a"]), 1);
    assert_eq!(range(&mut c, "r"), strs(&["b", "c", "a", "b"]));
    assert_eq!(c.ok::<i64>(&["LREM", "r", "0", "b"]), 2);
    assert_eq!(c.ok::<i64>(&["LREM", "missing", "0", "b"]), 0);

    c.ok::<i64>(&["RPUSH", "t", "1", "2", "3", "4", "5"]);
    assert_eq!(c.val(&["LTRIM", "t", "1", "-2"]), Ok(Value::Okay));
    assert_eq!(range(&mut c, "t"), strs(&["2", "3", "4"]));
    assert_eq!(c.val(&["LTRIM", "missing", "0", "1"]), Ok(Value::Okay));

    c.ok::<i64>(&["RPUSH", "p", "a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(c.ok::<i64>(&["LPOS", "p", "c"]), 2);
    assert_eq!(c.ok::<i64>(&["LPOS", "p", "c", "RANK", "-1"]), 7);
    assert_eq!(c.ok::<Vec<i64>>(&["LPOS", "p", "c", "COUNT", "0"]), [2, 6, 7]);
    assert_eq!(c.ok::<Vec<i64>>(&["LPOS", "p", "c", "RANK", "2", "COUNT", "1"]), [6]);
    assert_eq!(c.ok::<Vec<i64>>(&["LPOS", "p", "c", "COUNT", "0", "MAXLEN", "7"]), [2, 6]);
    assert_eq!(c.val(&["LPOS", "p", "zz"]), Ok(Value::Nil));
    assert_eq!(c.val(&["LPOS", "p", "zz", "COUNT", "2"]), Ok(Value::Array(vec![])));
    assert_eq!(
        c.err(&["LPOS", "p", "c", "RANK", "0"]),
        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
         or use negative to start from the end of the list"
    );
    assert_eq!(c.err(&["LPOS", "p", "c", "COUNT", "-1"]), "ERR COUNT can't be negative");
    assert_eq!(c.err(&["LPOS", "p", "c", "MAXLEN", "-1"]), "ERR MAXLEN can't be negative");
    assert_eq!(c.err(&["LPOS", "p", "c", "FOO"]), "ERR syntax error");
}

#[test]
fn wrong_type_and_empty_key_cleanup() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "s", "v"]);
    let cmds: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSH", "s", "a"],
        &["LPUSHX", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "-1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "a"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LMOVE", "s", "x", "LEFT", "LEFT"],
        &["RPOPLPUSH", "s", "x"],
        &["LMPOP", "1", "s", "LEFT"],
        &["BLPOP", "s", "0"],
        &["BRPOP", "s", "0"],
        &["BLMOVE", "s", "x", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "s", "x", "0"],
        &["BLMPOP", "0", "1", "s", "LEFT"],
    ];
    for cmd in cmds {
        assert_eq!(c.err(cmd), WRONGTYPE, "{cmd:?}");
    }
    assert_eq!(c.ok::<String>(&["GET", "s"]), "v");
    assert_eq!(c.ok::<String>(&["TYPE", "s"]), "string");
    // Every way of emptying a list deletes it.
    let empties: &[&[&str]] = &[
        &["LPOP", "l"],
        &["RPOP", "l", "5"],
        &["LREM", "l", "0", "x"],
        &["LTRIM", "l", "1", "0"],
        &["LMPOP", "1", "l", "LEFT"],
        &["BLPOP", "l", "0"],
        &["BRPOP", "l", "0"],
        &["RPOPLPUSH", "l", "other"],
        &["LMOVE", "l", "other", "LEFT", "RIGHT"],
    ];
    for cmd in empties {
        c.ok::<i64>(&["RPUSH", "l", "x"]);
        assert_eq!(c.ok::<String>(&["TYPE", "l"]), "list");
        c.val(cmd).unwrap();
        assert_eq!(c.ok::<i64>(&["EXISTS", "l"]), 0, "{cmd:?} left an empty list");
        assert_eq!(c.ok::<String>(&["TYPE", "l"]), "none");
    }
}

#[test]
fn encodings_follow_the_thresholds_and_config() {
    let s = Server::start();
    let mut c = s.client();
    // Redis 7.0 (Debian's, for RINGKV_TEST_SERVER=redis) always says
    // quicklist; ringkv follows Redis 7.2's listpack/quicklist pair.
    if !s.is_redis {
        c.ok::<i64>(&["RPUSH", "l", "a", "b", "c"]);
        assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "l"]), "listpack");
        let big = "x".repeat(9000);
        c.ok::<i64>(&["RPUSH", "l", &big]);
        assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "l"]), "quicklist");
        c.ok::<String>(&["RPOP", "l"]);
        assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "l"]), "listpack", "shrinks back");
        c.ok::<()>(&["CONFIG", "SET", "list-max-listpack-size", "2"]);
        c.ok::<i64>(&["RPUSH", "q", "1", "2"]);
        assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "q"]), "listpack");
        c.ok::<i64>(&["RPUSH", "q", "3"]);
        assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "q"]), "quicklist");
    }
    // A long list keeps every element through both ends.
    c.ok::<()>(&["CONFIG", "SET", "list-max-listpack-size", "-2"]);
    for i in 0..2000 {
        let v = format!("v{i}");
        c.ok::<i64>(&[if i % 2 == 0 { "RPUSH" } else { "LPUSH" }, "long", &v]);
    }
    assert_eq!(c.ok::<i64>(&["LLEN", "long"]), 2000);
    assert_eq!(c.ok::<String>(&["LINDEX", "long", "0"]), "v1999");
    assert_eq!(c.ok::<String>(&["LINDEX", "long", "-1"]), "v1998");
    assert_eq!(c.ok::<Vec<String>>(&["LRANGE", "long", "999", "1000"]), strs(&["v1", "v0"]));
}

#[test]
fn moves_between_shards() {
    let s = Server::start();
    let mut c = s.client();
    let (a, b) = (key_on_shard("src", 0, 2), key_on_shard("dst", 1, 2));
    c.ok::<i64>(&["RPUSH", &a, "1", "2", "3"]);
    assert_eq!(c.ok::<String>(&["LMOVE", &a, &b, "LEFT", "RIGHT"]), "1");
    assert_eq!(c.ok::<String>(&["RPOPLPUSH", &a, &b]), "3");
    assert_eq!(range(&mut c, &b), strs(&["3", "1"]));
    assert_eq!(c.ok::<String>(&["LMOVE", &b, &a, "RIGHT", "LEFT"]), "1");
    assert_eq!(range(&mut c, &a), strs(&["1", "2"]));
    assert_eq!(c.ok::<String>(&["LMOVE", &a, &b, "RIGHT", "LEFT"]), "2");
    assert_eq!(c.ok::<String>(&["LMOVE", &a, &b, "LEFT", "LEFT"]), "1");
    assert_eq!(c.ok::<i64>(&["EXISTS", &a]), 0, "an emptied source is deleted");
    assert_eq!(c.val(&["RPOPLPUSH", &a, &b]), Ok(Value::Nil));
    assert_eq!(range(&mut c, &b), strs(&["1", "2", "3"]));
    // A wrong-typed destination on the other shard: nothing moves.
    c.ok::<()>(&["SET", &a, "str"]);
    assert_eq!(c.err(&["LMOVE", &b, &a, "LEFT", "LEFT"]), WRONGTYPE);
    assert_eq!(c.ok::<i64>(&["LLEN", &b]), 3);
    // LMPOP takes the first non-empty list, wherever it lives.
    let e = key_on_shard("empty", 0, 2);
    let v = c.val(&["LMPOP", "2", &e, &b, "RIGHT", "COUNT", "2"]).unwrap();
    assert_eq!(
        v,
        Value::Array(vec![
            Value::BulkString(b.clone().into()),
            Value::Array(vec![Value::BulkString(b"3".to_vec()), Value::BulkString(b"2".to_vec())])
        ])
    );
    assert_eq!(c.val(&["LMPOP", "1", &e, "LEFT"]), Ok(Value::Nil));
    assert_eq!(c.err(&["LMPOP", "0", &e, "LEFT"]), "ERR numkeys should be greater than 0");
    assert_eq!(c.err(&["LMPOP", "1", &e, "LEFT", "COUNT", "0"]), "ERR count should be greater than 0");
}

#[test]
fn blocking_pop_times_out() {
    let s = Server::start();
    let mut c = s.client();
    let t = Instant::now();
    assert_eq!(c.val(&["BLPOP", "nothing", "0.3"]), Ok(Value::Nil));
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(250) && took < Duration::from_secs(3), "took {took:?}");
    // A timeout answers a null array, BLMOVE and BRPOPLPUSH included (as
    // Redis's replyToBlockedClientTimedOut does).
    let mut raw = s.raw();
    assert_eq!(raw.cmd(&["BRPOP", "nothing", "0.1"]), Frame::NilArray);
    assert_eq!(raw.cmd(&["BLMPOP", "0.1", "1", "nothing", "LEFT"]), Frame::NilArray);
    assert_eq!(raw.cmd(&["BLMOVE", "nothing", "x", "LEFT", "LEFT", "0.1"]), Frame::NilArray);
    assert_eq!(raw.cmd(&["BRPOPLPUSH", "nothing", "x", "0.1"]), Frame::NilArray);
    assert_eq!(c.err(&["BLPOP", "k", "-1"]), "ERR timeout is negative");
    assert_eq!(c.err(&["BLPOP", "k", "abc"]), "ERR timeout is not a float or out of range");
    // A served client still gets a normal reply at once.
    c.ok::<i64>(&["RPUSH", "ready", "x"]);
    assert_eq!(c.val(&["BLPOP", "nothing", "ready", "5"]), Ok(pair("ready", "x")));
}

#[test]
fn blocked_pop_is_woken_by_a_push_on_either_shard() {
    let s = Server::start();
    let mut c = s.client();
    // One key per shard: whichever shard the blocked connection is on, one
    // wake-up is local and the other crosses shards.
    for shard in 0..2 {
        let key = key_on_shard("wake", shard, 2);
        let h = spawn_cmd(&s, &["BLPOP", &key, "5"]);
        wait_blocked(&s, 1, "BLPOP #1");
        assert_eq!(c.ok::<i64>(&["LPUSH", &key, "hello"]), 1);
        let (r, took) = h.join().unwrap();
        assert_eq!(r, Ok(pair(&key, "hello")), "shard {shard}");
        assert!(took < Duration::from_secs(4), "woken late: {took:?}");
        assert_eq!(c.ok::<i64>(&["EXISTS", &key]), 0, "the element went to the client");
    }
    // Several keys on both shards: a push to any of them wakes the client.
    let (k0, k1) = (key_on_shard("multi", 0, 2), key_on_shard("multi", 1, 2));
    for (first, pushed) in [(&k0, &k1), (&k1, &k0)] {
        let h = spawn_cmd(&s, &["BRPOP", first, pushed, "5"]);
        wait_blocked(&s, 1, "BRPOP #1");
        c.ok::<i64>(&["RPUSH", pushed, "a", "b"]);
        assert_eq!(h.join().unwrap().0, Ok(pair(pushed, "b")));
        assert_eq!(range(&mut c, pushed), strs(&["a"]));
        c.ok::<i64>(&["DEL", pushed]);
    }
}

#[test]
fn blocked_move_and_mpop_are_woken() {
    let s = Server::start();
    let mut c = s.client();
    let (src, dst) = (key_on_shard("bsrc", 0, 2), key_on_shard("bdst", 1, 2));
    let h = spawn_cmd(&s, &["BLMOVE", &src, &dst, "RIGHT", "LEFT", "5"]);
    wait_blocked(&s, 1, "BLMOVE #1");
    c.ok::<i64>(&["RPUSH", &src, "x", "y"]);
    assert_eq!(h.join().unwrap().0, Ok(Value::BulkString(b"y".to_vec())));
    assert_eq!(range(&mut c, &dst), strs(&["y"]));
    assert_eq!(range(&mut c, &src), strs(&["x"]));
    c.ok::<i64>(&["DEL", &src]);

    let h = spawn_cmd(&s, &["BRPOPLPUSH", &src, &dst, "5"]);
    wait_blocked(&s, 1, "BRPOPLPUSH #1");
    c.ok::<i64>(&["LPUSH", &src, "z"]);
    assert_eq!(h.join().unwrap().0, Ok(Value::BulkString(b"z".to_vec())));
    assert_eq!(range(&mut c, &dst), strs(&["z", "y"]));

    let e = key_on_shard("bempty", 1, 2);
    let h = spawn_cmd(&s, &["BLMPOP", "5", "2", &e, &src, "LEFT", "COUNT", "5"]);
    wait_blocked(&s, 1, "BLMPOP #1");
    c.ok::<i64>(&["RPUSH", &src, "1", "2"]);
    let want = Value::Array(vec![
        Value::BulkString(src.clone().into()),
        Value::Array(vec![Value::BulkString(b"1".to_vec()), Value::BulkString(b"2".to_vec())]),
    ]);
    assert_eq!(h.join().unwrap().0, Ok(want));
    assert_eq!(c.ok::<i64>(&["EXISTS", &src]), 0);
}

#[test]
fn blocked_clients_are_served_in_the_order_they_blocked() {
    let s = Server::start();
    let mut c = s.client();
    let key = key_on_shard("fair", 1, 2);
    let first = spawn_cmd(&s, &["BLPOP", &key, "5"]);
    wait_blocked(&s, 1, "BLPOP #1");
    let second = spawn_cmd(&s, &["BLPOP", &key, "5"]);
    wait_blocked(&s, 2, "BLPOP #2");
    c.ok::<i64>(&["RPUSH", &key, "one"]);
    assert_eq!(first.join().unwrap().0, Ok(pair(&key, "one")), "the longest waiting client first");
    c.ok::<i64>(&["RPUSH", &key, "two"]);
    assert_eq!(second.join().unwrap().0, Ok(pair(&key, "two")));
    // One push of two elements serves both waiters, in order.
    let first = spawn_cmd(&s, &["BRPOP", &key, "5"]);
    wait_blocked(&s, 1, "BRPOP #1");
    let second = spawn_cmd(&s, &["BRPOP", &key, "5"]);
    wait_blocked(&s, 2, "BRPOP #2");
    c.ok::<i64>(&["RPUSH", &key, "a", "b"]);
    assert_eq!(first.join().unwrap().0, Ok(pair(&key, "b")));
    assert_eq!(second.join().unwrap().0, Ok(pair(&key, "a")));
    assert_eq!(c.ok::<i64>(&["EXISTS", &key]), 0);
}

#[test]
fn a_client_that_disconnects_is_not_served() {
    let s = Server::start();
    let mut c = s.client();
    let key = key_on_shard("gone", 0, 2);
    // The first waiter, on a raw socket we can close.
    let mut raw = s.raw();
    raw.send_cmd(&[b"BLPOP", key.as_bytes(), b"0"]);
    wait_blocked(&s, 1, "raw BLPOP #1");
    let second = spawn_cmd(&s, &["BLPOP", &key, "5"]);
    wait_blocked(&s, 2, "BLPOP #2");
    drop(raw);
    assert!(
        wait_until(Duration::from_secs(5), || {
            let info: String = c.ok(&["INFO", "clients"]);
            info_field(&info, "blocked_clients").as_deref() == Some("1")
        }),
        "the closed connection stays blocked"
    );
    c.ok::<i64>(&["RPUSH", &key, "only"]);
    assert_eq!(second.join().unwrap().0, Ok(pair(&key, "only")), "the next waiter gets the element");
    // Nobody is left waiting: a later push stays in the list.
    c.ok::<i64>(&["RPUSH", &key, "kept"]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(range(&mut c, &key), strs(&["kept"]));
}

#[test]
fn blocking_commands_inside_multi_do_not_block() {
    let s = Server::start();
    let mut raw = s.raw();
    assert_eq!(raw.cmd(&["MULTI"]), Frame::simple("OK"));
    for cmd in [
        &["BLPOP", "nothing", "0"][..],
        &["BLMOVE", "nothing", "x", "LEFT", "LEFT", "0"],
        &["BRPOPLPUSH", "nothing", "x", "0"],
        &["BLMPOP", "0", "1", "nothing", "LEFT"],
    ] {
        assert_eq!(raw.cmd(cmd), Frame::simple("QUEUED"));
    }
    let t = Instant::now();
    // Redis's shapes when a client may not block: null array for the pops,
    // null bulk for the moves.
    let want = Frame::Array(vec![Frame::NilArray, Frame::NilBulk, Frame::NilBulk, Frame::NilArray]);
    assert_eq!(raw.cmd(&["EXEC"]), want);
    assert!(t.elapsed() < Duration::from_secs(2));
}
