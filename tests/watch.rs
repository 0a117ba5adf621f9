//! WATCH / UNWATCH: optimistic transactions, as a client sees them, with
//! watched keys on one shard and on several. Redis 7 answers a transaction
//! whose watched key changed with a null reply to EXEC and runs nothing.

mod common;

use common::{Exec, Server, key_on_shard};
use redis::Value;

/// MULTI, the commands, EXEC: EXEC's raw reply.
fn transaction(c: &mut redis::Connection, cmds: &[&[&str]]) -> Value {
    let _: () = c.ok(&["MULTI"]);
    for cmd in cmds {
        let q: String = c.ok(cmd);
        assert_eq!(q, "QUEUED");
    }
    c.ok(&["EXEC"])
}

fn get(c: &mut redis::Connection, key: &str) -> Option<String> {
    c.ok(&["GET", key])
}

#[test]
fn exec_runs_nothing_when_a_watched_key_changed_on_any_shard() {
    let s = Server::start();
    let (mut c, mut other) = (s.client(), s.client());
    let (a, b) = (key_on_shard("a", 0, 2), key_on_shard("b", 1, 2));
    let _: () = c.ok(&["MSET", &a, "1", &b, "1"]);

    // Watched keys on both shards, a transaction on one, a write on the other.
    let _: () = c.ok(&["WATCH", &a, &b]);
    let _: () = other.ok(&["SET", &b, "changed"]);
    assert_eq!(transaction(&mut c, &[&["SET", &a, "tx"]]), Value::Nil);
    assert_eq!(get(&mut c, &a).as_deref(), Some("1"), "nothing of the transaction ran");

    // Untouched, the same transaction runs; the watch is gone after EXEC.
    let _: () = c.ok(&["WATCH", &a, &b]);
    let _: () = other.ok(&["GET", &b]);
    assert_ne!(transaction(&mut c, &[&["SET", &a, "tx"], &["SET", &b, "tx"]]), Value::Nil);
    assert_eq!(get(&mut c, &b).as_deref(), Some("tx"));
    let _: () = other.ok(&["SET", &a, "later"]);
    assert_ne!(transaction(&mut c, &[&["INCR", "n"]]), Value::Nil);

    // A transaction and watch on the same shard (checked in one admission).
    let _: () = c.ok(&["WATCH", &a]);
    let _: () = other.ok(&["APPEND", &a, "!"]);
    assert_eq!(transaction(&mut c, &[&["SET", &a, "tx"]]), Value::Nil);
    assert_eq!(get(&mut c, &a).as_deref(), Some("later!"));

    // Its own writes touch a client's watched keys too, as in Redis.
    let _: () = c.ok(&["WATCH", &b]);
    let _: () = c.ok(&["SET", &b, "mine"]);
    assert_eq!(transaction(&mut c, &[&["SET", &a, "tx"]]), Value::Nil);

    // So do INCR and DECR, which take the connection's fast path unwatched.
    let _: () = c.ok(&["SET", &a, "1"]);
    for op in ["INCR", "DECR"] {
        let _: () = c.ok(&["WATCH", &a]);
        let _: i64 = other.ok(&[op, &a]);
        assert_eq!(transaction(&mut c, &[&["SET", &a, "tx"]]), Value::Nil, "{op}");
    }
    assert_eq!(get(&mut c, &a).as_deref(), Some("1"));
}

#[test]
fn unwatch_discard_and_reset_forget_watched_keys() {
    let s = Server::start();
    let (mut c, mut other) = (s.client(), s.client());
    let _: () = c.ok(&["WATCH", "k"]);
    let _: () = other.ok(&["SET", "k", "1"]);
    let _: () = c.ok(&["UNWATCH"]);
    assert_ne!(transaction(&mut c, &[&["SET", "k", "2"]]), Value::Nil);

    let _: () = c.ok(&["WATCH", "k"]);
    let _: () = other.ok(&["SET", "k", "3"]);
    let _: () = c.ok(&["MULTI"]);
    let _: () = c.ok(&["DISCARD"]);
    assert_ne!(transaction(&mut c, &[&["SET", "k", "4"]]), Value::Nil);
    assert_eq!(get(&mut c, "k").as_deref(), Some("4"));

    let _: () = c.ok(&["WATCH", "k"]);
    let _: () = other.ok(&["SET", "k", "5"]);
    let _: String = c.ok(&["RESET"]);
    assert_ne!(transaction(&mut c, &[&["SET", "k", "6"]]), Value::Nil);
    assert_eq!(get(&mut c, "k").as_deref(), Some("6"));
}

#[test]
fn what_counts_as_touching_a_watched_key() {
    let s = Server::start();
    let (mut c, mut other) = (s.client(), s.client());
    assert_eq!(c.err(&["WATCH"]), "ERR wrong number of arguments for 'watch' command");
    // Refused inside MULTI, without aborting the transaction.
    let _: () = c.ok(&["MULTI"]);
    assert_eq!(c.err(&["WATCH", "k"]), "ERR WATCH inside MULTI is not allowed");
    let r: Value = c.ok(&["EXEC"]);
    assert_eq!(r, Value::Array(vec![]));

    // A write that changes nothing does not touch.
    let _: () = c.ok(&["WATCH", "missing"]);
    let _: i64 = other.ok(&["DEL", "missing"]);
    assert_ne!(transaction(&mut c, &[&["SET", "x", "1"]]), Value::Nil);

    // A key that expires after WATCH counts as changed.
    let _: () = c.ok(&["SET", "ttl", "v", "PX", "100"]);
    let _: () = c.ok(&["WATCH", "ttl"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(transaction(&mut c, &[&["SET", "x", "2"]]), Value::Nil);

    // FLUSHALL touches the watched keys that existed; MOVE touches the key.
    let _: () = c.ok(&["SET", "f", "v"]);
    let _: () = c.ok(&["WATCH", "f"]);
    let _: () = other.ok(&["FLUSHALL"]);
    assert_eq!(transaction(&mut c, &[&["SET", "x", "3"]]), Value::Nil);
    let _: () = c.ok(&["WATCH", "never"]);
    let _: () = other.ok(&["FLUSHALL"]);
    assert_ne!(transaction(&mut c, &[&["SET", "x", "4"]]), Value::Nil);
    let _: () = c.ok(&["SET", "m", "v"]);
    let _: () = c.ok(&["WATCH", "m"]);
    let _: i64 = other.ok(&["MOVE", "m", "3"]);
    assert_eq!(transaction(&mut c, &[&["SET", "x", "5"]]), Value::Nil);
    assert_eq!(get(&mut c, "x").as_deref(), Some("4"));

    // SWAPDB: a watched key that appears by the swap is touched; a
    // refused SWAPDB touches nothing.
    let _: () = c.ok(&["WATCH", "w"]);
    assert_eq!(other.err(&["SWAPDB", "0", "99"]), "ERR DB index is out of range");
    assert_ne!(transaction(&mut c, &[&["SET", "x", "6"]]), Value::Nil);
    let _: () = other.ok(&["SELECT", "1"]);
    let _: () = other.ok(&["SET", "w", "in db 1"]);
    let _: () = c.ok(&["WATCH", "w"]);
    let _: () = other.ok(&["SWAPDB", "0", "1"]);
    assert_eq!(transaction(&mut c, &[&["SET", "x", "7"]]), Value::Nil);
    assert_eq!(get(&mut c, "w").as_deref(), Some("in db 1"));
}

#[test]
fn a_multi_shard_write_touches_watched_keys() {
    let s = Server::start();
    let (mut c, mut other) = (s.client(), s.client());
    let (a, b) = (key_on_shard("a", 0, 2), key_on_shard("b", 1, 2));
    let _: () = c.ok(&["SET", &a, "v"]);
    // RENAME across shards goes through the locked gather path.
    let _: () = c.ok(&["WATCH", &b]);
    let _: () = other.ok(&["RENAME", &a, &b]);
    assert_eq!(transaction(&mut c, &[&["GET", &b]]), Value::Nil);
    // MSET split over both shards.
    let _: () = c.ok(&["WATCH", &a]);
    let _: () = other.ok(&["MSET", &a, "1", &b, "2"]);
    assert_eq!(transaction(&mut c, &[&["GET", &a]]), Value::Nil);
}
