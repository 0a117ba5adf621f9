//! Expiry: lazy (an expired key is never returned, whatever reads it) and
//! active (keys nobody reads are removed by each shard's cycle, and counted).

mod common;

use common::{Exec, Server, Value, info_field, wait_until};
use std::thread::sleep;
use std::time::Duration;

#[test]
fn lazy_expiry_on_access() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v", "PX", "50"]);
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v");
    sleep(Duration::from_millis(100));
    assert_eq!(c.val(&["GET", "k"]), Ok(Value::Nil));
    assert_eq!(c.val(&["EXISTS", "k"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["TTL", "k"]), Ok(Value::Int(-2)));
    assert_eq!(c.val(&["SET", "k", "new", "NX"]), Ok(Value::Okay), "an expired key does not block NX");
}

#[test]
fn expired_keys_are_invisible_to_every_read() {
    let s = Server::start();
    let mut c = s.client();
    // Stop the active cycle from hiding a lazy-expiry bug: keep it slow.
    c.ok::<()>(&["CONFIG", "SET", "hz", "1"]);
    let keys: Vec<String> = (0..20).map(|i| format!("gone{i}")).collect();
    for k in &keys {
        c.ok::<()>(&["SET", k, "v", "PX", "30"]);
    }
    c.ok::<()>(&["SET", "stays", "v"]);
    sleep(Duration::from_millis(80));
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    assert!(c.ok::<Vec<Option<String>>>(&mget).iter().all(Option::is_none));
    let mut exists = vec!["EXISTS"];
    exists.extend(keys.iter().map(String::as_str));
    assert_eq!(c.val(&exists), Ok(Value::Int(0)));
    assert_eq!(c.ok::<Vec<String>>(&["KEYS", "*"]), vec!["stays"]);
    let (cursor, found): (String, Vec<String>) = c.ok(&["SCAN", "0", "COUNT", "1000"]);
    assert_eq!((cursor.as_str(), found), ("0", vec!["stays".to_string()]));
    assert_eq!(c.ok::<String>(&["RANDOMKEY"]), "stays");
    assert_eq!(c.val(&["STRLEN", "gone1"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["INCR", "gone2"]), Ok(Value::Int(1)), "INCR starts from 0 on an expired key");
    assert_eq!(c.val(&["APPEND", "gone3", "x"]), Ok(Value::Int(1)));
    assert_eq!(c.err(&["RENAME", "gone4", "z"]), "ERR no such key");
    assert_eq!(c.val(&["COPY", "gone5", "z"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["PERSIST", "gone6"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXPIRE", "gone7", "100"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["TYPE", "gone8"]), Ok(Value::SimpleString("none".into())));
}

#[test]
fn ttl_counts_down_in_milliseconds() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v", "PX", "1500"]);
    let p1: i64 = c.ok(&["PTTL", "k"]);
    sleep(Duration::from_millis(300));
    let p2: i64 = c.ok(&["PTTL", "k"]);
    assert!(p1 <= 1500 && p1 > 1300, "{p1}");
    assert!(p1 - p2 >= 290 && p1 - p2 < 700, "PTTL {p1} then {p2} after 300 ms");
    assert_eq!(c.ok::<i64>(&["TTL", "k"]), 1, "TTL rounds like Redis: (pttl + 500) / 1000");
}

#[test]
fn set_overwrite_and_keepttl() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v", "PX", "100"]);
    c.ok::<()>(&["SET", "k", "v2"]);
    c.ok::<()>(&["SET", "kt", "v", "PX", "100"]);
    c.ok::<()>(&["SET", "kt", "v2", "KEEPTTL"]);
    sleep(Duration::from_millis(200));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v2", "SET without KEEPTTL removes the TTL");
    assert_eq!(c.val(&["GET", "kt"]), Ok(Value::Nil), "KEEPTTL keeps it");
}

#[test]
fn getex_and_pexpire_then_expire() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.ok::<String>(&["GETEX", "a", "PX", "50"]), "1");
    assert_eq!(c.val(&["PEXPIRE", "b", "50"]), Ok(Value::Int(1)));
    c.ok::<()>(&["SET", "d", "4", "PXAT", "1"]);
    sleep(Duration::from_millis(120));
    assert_eq!(
        c.ok::<Vec<Option<String>>>(&["MGET", "a", "b", "c", "d"]),
        vec![None, None, Some("3".into()), None]
    );
}

fn keyspace_db0(c: &mut redis::Connection) -> Option<String> {
    let ks: String = c.ok(&["INFO", "keyspace"]);
    info_field(&ks, "db0")
}

#[test]
fn active_expiry_removes_keys_nobody_reads() {
    let s = Server::start();
    let mut c = s.client();
    // 1000 keys over both shards (and 100 in db 3), never read again.
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET").arg(format!("tmp:{i}")).arg("v").arg("PX").arg(100).ignore();
    }
    p.query::<()>(&mut c).unwrap();
    c.ok::<()>(&["SELECT", "3"]);
    let mut p = redis::pipe();
    for i in 0..100 {
        p.cmd("SET").arg(format!("tmp3:{i}")).arg("v").arg("PX").arg(100).ignore();
    }
    p.query::<()>(&mut c).unwrap();
    c.ok::<()>(&["SELECT", "0"]);
    c.ok::<()>(&["SET", "keeper", "v"]);
    assert!(c.ok::<i64>(&["DBSIZE"]) >= 1000, "the keys are there before they expire");

    // DBSIZE and INFO keyspace do not touch keys: only the active cycle can
    // bring them down.
    let db3_empty = |c: &mut redis::Connection| {
        let ks: String = c.ok(&["INFO", "keyspace"]);
        info_field(&ks, "db3").is_none_or(|l| l.starts_with("keys=0,"))
    };
    let gone = wait_until(Duration::from_millis(2500), || c.ok::<i64>(&["DBSIZE"]) == 1 && db3_empty(&mut c));
    let dbsize: i64 = c.ok(&["DBSIZE"]);
    let ks: String = c.ok(&["INFO", "keyspace"]);
    assert!(gone, "after 2.5 s active expiry left DBSIZE at {dbsize} (want 1); INFO keyspace:\n{ks}");
    let db0 = keyspace_db0(&mut c).expect("db0 still holds keeper");
    assert!(db0.starts_with("keys=1,expires=0"), "{db0}");
    let stats: String = c.ok(&["INFO", "stats"]);
    let expired: i64 = info_field(&stats, "expired_keys").expect("expired_keys").parse().unwrap();
    assert!(expired >= 1100, "expired_keys {expired} < 1100");
    assert_eq!(c.ok::<String>(&["GET", "keeper"]), "v");
}

#[test]
fn active_expiry_empties_keyspace_line() {
    let s = Server::start();
    let mut c = s.client();
    let mut p = redis::pipe();
    for i in 0..1000 {
        p.cmd("SET").arg(format!("t:{i}")).arg("v").arg("PX").arg(100).ignore();
    }
    p.query::<()>(&mut c).unwrap();
    assert!(keyspace_db0(&mut c).is_some());
    let ok = wait_until(Duration::from_millis(2500), || match keyspace_db0(&mut c) {
        None => true,
        Some(l) => l.starts_with("keys=0,"),
    });
    assert!(ok, "INFO keyspace still shows {:?} after 2.5 s", keyspace_db0(&mut c));
    assert_eq!(c.ok::<i64>(&["DBSIZE"]), 0);
}
