//! Generic key commands through a real client on a two-shard server: DEL,
//! EXISTS, TYPE, the expiry family, KEYS, SCAN walking every shard,
//! RANDOMKEY, RENAME/COPY across shards, DBSIZE, FLUSH*, SWAPDB, SELECT.

mod common;

use common::{Exec, Server, Value, key_on_shard, shard_of};
use std::collections::{BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_s() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Sets `n` keys `{prefix}{i}` = i with one MSET; returns their names.
fn fill(c: &mut redis::Connection, prefix: &str, n: usize) -> Vec<String> {
    let keys: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    let mut cmd = redis::cmd("MSET");
    for (i, k) in keys.iter().enumerate() {
        cmd.arg(k).arg(i);
    }
    let r: Value = cmd.query(c).unwrap();
    assert_eq!(r, Value::Okay);
    keys
}

fn sorted(v: Vec<String>) -> Vec<String> {
    let mut v = v;
    v.sort();
    v
}

#[test]
fn del_unlink_exists_touch() {
    let s = Server::start();
    let mut c = s.client();
    let keys = fill(&mut c, "k", 100);
    let mut exists = vec!["EXISTS"];
    exists.extend(keys.iter().map(String::as_str));
    exists.push("missing");
    assert_eq!(c.val(&exists), Ok(Value::Int(100)));
    // A key named twice counts twice.
    assert_eq!(c.val(&["EXISTS", "k1", "k1", "nokey"]), Ok(Value::Int(2)));
    let mut touch = vec!["TOUCH"];
    touch.extend(keys.iter().map(String::as_str));
    assert_eq!(c.val(&touch), Ok(Value::Int(100)));

    let mut del = vec!["DEL"];
    del.extend(keys[..50].iter().map(String::as_str));
    del.push("missing");
    assert_eq!(c.val(&del), Ok(Value::Int(50)));
    let mut unlink = vec!["UNLINK"];
    unlink.extend(keys[50..].iter().map(String::as_str));
    assert_eq!(c.val(&unlink), Ok(Value::Int(50)));
    assert_eq!(c.val(&exists), Ok(Value::Int(0)));
    assert_eq!(c.ok::<i64>(&["DBSIZE"]), 0);
    assert_eq!(c.val(&["DEL", "k1"]), Ok(Value::Int(0)));
    assert_eq!(c.err(&["DEL"]), "ERR wrong number of arguments for 'del' command");
    assert_eq!(c.err(&["EXISTS"]), "ERR wrong number of arguments for 'exists' command");
}

#[test]
fn type_command() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "s", "v"]);
    assert_eq!(c.val(&["TYPE", "s"]), Ok(Value::SimpleString("string".into())));
    assert_eq!(c.val(&["TYPE", "missing"]), Ok(Value::SimpleString("none".into())));
    assert_eq!(c.err(&["TYPE"]), "ERR wrong number of arguments for 'type' command");
}

#[test]
fn expire_ttl_persist() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v"]);
    assert_eq!(c.val(&["TTL", "k"]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["PTTL", "k"]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["TTL", "missing"]), Ok(Value::Int(-2)));
    assert_eq!(c.val(&["PTTL", "missing"]), Ok(Value::Int(-2)));
    assert_eq!(c.val(&["EXPIRE", "k", "100"]), Ok(Value::Int(1)));
    let ttl: i64 = c.ok(&["TTL", "k"]);
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(c.val(&["EXPIRE", "missing", "100"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["PEXPIRE", "k", "50000"]), Ok(Value::Int(1)));
    let pttl: i64 = c.ok(&["PTTL", "k"]);
    assert!((48_000..=50_000).contains(&pttl), "{pttl}");
    assert_eq!(c.val(&["PERSIST", "k"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["TTL", "k"]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["PERSIST", "k"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["PERSIST", "missing"]), Ok(Value::Int(0)));
    assert_eq!(c.err(&["EXPIRE", "k", "soon"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["EXPIRE", "k"]), "ERR wrong number of arguments for 'expire' command");
    // A non-positive TTL deletes the key.
    assert_eq!(c.val(&["EXPIRE", "k", "-1"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXISTS", "k"]), Ok(Value::Int(0)));
}

#[test]
fn expireat_and_expiretime() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v"]);
    assert_eq!(c.val(&["EXPIRETIME", "k"]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["PEXPIRETIME", "k"]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["EXPIRETIME", "missing"]), Ok(Value::Int(-2)));
    assert_eq!(c.val(&["PEXPIRETIME", "missing"]), Ok(Value::Int(-2)));
    let at = now_s() + 1000;
    assert_eq!(c.val(&["EXPIREAT", "k", &at.to_string()]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXPIRETIME", "k"]), Ok(Value::Int(at)));
    assert_eq!(c.val(&["PEXPIRETIME", "k"]), Ok(Value::Int(at * 1000)));
    let ttl: i64 = c.ok(&["TTL", "k"]);
    assert!((998..=1000).contains(&ttl), "{ttl}");
    let pat = (now_s() + 2000) * 1000 + 123;
    assert_eq!(c.val(&["PEXPIREAT", "k", &pat.to_string()]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["PEXPIRETIME", "k"]), Ok(Value::Int(pat)));
    // In the past: the key is gone at once.
    assert_eq!(c.val(&["EXPIREAT", "k", "1"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["GET", "k"]), Ok(Value::Nil));
    assert_eq!(c.val(&["EXPIREAT", "missing", &at.to_string()]), Ok(Value::Int(0)));
}

#[test]
fn expire_nx_xx_gt_lt() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v"]);
    // No TTL yet: XX does nothing, NX sets.
    assert_eq!(c.val(&["EXPIRE", "k", "100", "XX"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["TTL", "k"]), Ok(Value::Int(-1)));
    // A key without TTL counts as an infinite TTL: GT fails, LT sets.
    assert_eq!(c.val(&["EXPIRE", "k", "100", "GT"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXPIRE", "k", "100", "NX"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXPIRE", "k", "200", "NX"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXPIRE", "k", "200", "XX"]), Ok(Value::Int(1)));
    assert!(c.ok::<i64>(&["TTL", "k"]) > 150);
    assert_eq!(c.val(&["EXPIRE", "k", "100", "GT"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXPIRE", "k", "300", "GT"]), Ok(Value::Int(1)));
    assert!(c.ok::<i64>(&["TTL", "k"]) > 250);
    assert_eq!(c.val(&["EXPIRE", "k", "400", "LT"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXPIRE", "k", "50", "LT"]), Ok(Value::Int(1)));
    assert!(c.ok::<i64>(&["TTL", "k"]) <= 50);
    assert_eq!(c.val(&["PEXPIRE", "k", "10000", "lt"]), Ok(Value::Int(1)));
    assert!(c.ok::<i64>(&["PTTL", "k"]) <= 10_000);
    c.ok::<()>(&["SET", "p", "v"]);
    assert_eq!(c.val(&["EXPIRE", "p", "100", "LT"]), Ok(Value::Int(1)));
    let at = now_s() + 5000;
    assert_eq!(c.val(&["EXPIREAT", "p", &at.to_string(), "GT"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXPIRETIME", "p"]), Ok(Value::Int(at)));
    assert_eq!(
        c.err(&["EXPIRE", "k", "10", "NX", "XX"]),
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    );
    assert_eq!(
        c.err(&["EXPIRE", "k", "10", "GT", "LT"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(c.err(&["EXPIRE", "k", "10", "FOO"]), "ERR Unsupported option FOO");
}

#[test]
fn keys_pattern_on_all_shards() {
    let s = Server::start();
    let mut c = s.client();
    let users = fill(&mut c, "user:", 50);
    fill(&mut c, "order:", 30);
    assert!(users.iter().any(|k| shard_of(k, 2) == 0) && users.iter().any(|k| shard_of(k, 2) == 1));
    assert_eq!(sorted(c.ok(&["KEYS", "user:*"])), sorted(users.clone()));
    assert_eq!(c.ok::<Vec<String>>(&["KEYS", "*"]).len(), 80);
    assert_eq!(sorted(c.ok(&["KEYS", "user:1?"])), sorted((10..20).map(|i| format!("user:{i}")).collect()));
    assert_eq!(sorted(c.ok(&["KEYS", "order:[12]"])), vec!["order:1", "order:2"]);
    assert_eq!(c.ok::<Vec<String>>(&["KEYS", "nothing*"]), Vec::<String>::new());
}

/// Runs a full SCAN iteration with the given extra arguments; returns every
/// key seen (with repeats) and asserts it ends with cursor 0 in bounded steps.
fn scan_all(c: &mut redis::Connection, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut seen = Vec::new();
    for _ in 0..10_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, keys): (String, Vec<String>) = c.ok(&args);
        seen.extend(keys);
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
    panic!("SCAN {extra:?} did not return cursor 0 within 10000 calls");
}

#[test]
fn scan_walks_every_shard() {
    let s = Server::start();
    let mut c = s.client();
    let keys = fill(&mut c, "key:", 1000);
    let other = fill(&mut c, "other:", 200);

    for extra in [&[][..], &["COUNT", "7"], &["COUNT", "1000"], &["COUNT", "100000"]] {
        let seen = scan_all(&mut c, extra);
        let set: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(set.len(), 1200, "SCAN {extra:?} must return every key");
        // Redis may repeat a key, but never invents one.
        assert!(seen.len() >= 1200);
    }
    let seen: BTreeSet<String> = scan_all(&mut c, &["MATCH", "other:*", "COUNT", "50"]).into_iter().collect();
    assert_eq!(seen, other.iter().cloned().collect::<BTreeSet<_>>());
    let seen: BTreeSet<String> = scan_all(&mut c, &["TYPE", "string"]).into_iter().collect();
    assert_eq!(seen.len(), 1200);
    assert!(scan_all(&mut c, &["TYPE", "list"]).is_empty());
    let seen: BTreeSet<String> =
        scan_all(&mut c, &["MATCH", "key:99*", "TYPE", "string", "COUNT", "20"]).into_iter().collect();
    let want: BTreeSet<String> = keys.iter().filter(|k| k.starts_with("key:99")).cloned().collect();
    assert_eq!(seen, want);

    // The cursor is a bulk string; a first reply with COUNT 10 is not the whole set.
    let first = c.val(&["SCAN", "0", "COUNT", "10"]).unwrap();
    match first {
        Value::Array(v) => {
            assert_eq!(v.len(), 2);
            assert!(matches!(v[0], Value::BulkString(_)), "cursor must be a bulk string: {:?}", v[0]);
            assert_ne!(v[0], Value::BulkString(b"0".to_vec()), "1200 keys do not fit one COUNT 10 step");
        }
        other => panic!("SCAN reply: {other:?}"),
    }
    assert_eq!(c.err(&["SCAN", "abc"]), "ERR invalid cursor");
    assert_eq!(c.err(&["SCAN", "0", "COUNT", "0"]), "ERR syntax error");
    assert_eq!(c.err(&["SCAN", "0", "FOO"]), "ERR syntax error");
}

#[test]
fn scan_empty_db_and_other_db() {
    let s = Server::start();
    let mut c = s.client();
    assert!(scan_all(&mut c, &[]).is_empty());
    c.ok::<()>(&["SELECT", "5"]);
    fill(&mut c, "five:", 20);
    assert_eq!(scan_all(&mut c, &[]).into_iter().collect::<BTreeSet<_>>().len(), 20);
    c.ok::<()>(&["SELECT", "0"]);
    assert!(scan_all(&mut c, &[]).is_empty());
}

#[test]
fn randomkey() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["RANDOMKEY"]), Ok(Value::Nil));
    let a = key_on_shard("a", 0, 2);
    let b = key_on_shard("b", 1, 2);
    c.ok::<()>(&["MSET", &a, "1", &b, "2"]);
    let mut seen = HashMap::new();
    for _ in 0..200 {
        let k: String = c.ok(&["RANDOMKEY"]);
        assert!(k == a || k == b, "RANDOMKEY returned {k}");
        *seen.entry(k).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 2, "200 RANDOMKEY calls must return keys of both shards: {seen:?}");
    assert_eq!(c.err(&["RANDOMKEY", "x"]), "ERR wrong number of arguments for 'randomkey' command");
}

#[test]
fn rename_across_shards() {
    let s = Server::start();
    let mut c = s.client();
    let mut cross = 0;
    for i in 0..50 {
        let (src, dst) = (format!("src{i}"), format!("dst{i}"));
        if shard_of(&src, 2) != shard_of(&dst, 2) {
            cross += 1;
        }
        c.ok::<()>(&["SET", &src, &format!("v{i}"), "EX", "1000"]);
        assert_eq!(c.val(&["RENAME", &src, &dst]), Ok(Value::Okay));
        assert_eq!(c.val(&["EXISTS", &src]), Ok(Value::Int(0)));
        assert_eq!(c.ok::<String>(&["GET", &dst]), format!("v{i}"));
        let ttl: i64 = c.ok(&["TTL", &dst]);
        assert!((990..=1000).contains(&ttl), "TTL moves with the key: {ttl}");
    }
    assert!(cross >= 10, "only {cross} pairs crossed shards");
    // Overwrites the destination, value and TTL.
    let a = key_on_shard("ra", 0, 2);
    let b = key_on_shard("rb", 1, 2);
    c.ok::<()>(&["SET", &a, "A"]);
    c.ok::<()>(&["SET", &b, "B", "EX", "100"]);
    c.ok::<()>(&["RENAME", &a, &b]);
    assert_eq!(c.ok::<String>(&["GET", &b]), "A");
    assert_eq!(c.val(&["TTL", &b]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["RENAME", &b, &b]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["GET", &b]), "A");
    assert_eq!(c.err(&["RENAME", "missing", "x"]), "ERR no such key");
    assert_eq!(c.err(&["RENAME", "x"]), "ERR wrong number of arguments for 'rename' command");
}

#[test]
fn renamenx_across_shards() {
    let s = Server::start();
    let mut c = s.client();
    let a = key_on_shard("na", 0, 2);
    let b = key_on_shard("nb", 1, 2);
    let d = key_on_shard("nd", 0, 2);
    c.ok::<()>(&["SET", &a, "A"]);
    assert_eq!(c.val(&["RENAMENX", &a, &b]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXISTS", &a]), Ok(Value::Int(0)));
    assert_eq!(c.ok::<String>(&["GET", &b]), "A");
    c.ok::<()>(&["SET", &d, "D"]);
    assert_eq!(c.val(&["RENAMENX", &d, &b]), Ok(Value::Int(0)));
    assert_eq!(c.ok::<String>(&["GET", &d]), "D");
    assert_eq!(c.ok::<String>(&["GET", &b]), "A");
    assert_eq!(c.err(&["RENAMENX", "missing", "x"]), "ERR no such key");
}

#[test]
fn copy_across_shards_and_dbs() {
    let s = Server::start();
    let mut c = s.client();
    let a = key_on_shard("ca", 0, 2);
    let b = key_on_shard("cb", 1, 2);
    c.ok::<()>(&["SET", &a, "A", "EX", "1000"]);
    assert_eq!(c.val(&["COPY", &a, &b]), Ok(Value::Int(1)));
    assert_eq!(c.ok::<String>(&["GET", &a]), "A");
    assert_eq!(c.ok::<String>(&["GET", &b]), "A");
    assert!(c.ok::<i64>(&["TTL", &b]) > 990, "COPY keeps the TTL");
    // Destination exists: no copy without REPLACE.
    c.ok::<()>(&["SET", &a, "A2"]);
    assert_eq!(c.val(&["COPY", &a, &b]), Ok(Value::Int(0)));
    assert_eq!(c.ok::<String>(&["GET", &b]), "A");
    assert_eq!(c.val(&["COPY", &a, &b, "REPLACE"]), Ok(Value::Int(1)));
    assert_eq!(c.ok::<String>(&["GET", &b]), "A2");
    assert_eq!(c.val(&["TTL", &b]), Ok(Value::Int(-1)));
    assert_eq!(c.val(&["COPY", "missing", &b]), Ok(Value::Int(0)));
    // Into another database.
    assert_eq!(c.val(&["COPY", &a, "indb3", "DB", "3"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXISTS", "indb3"]), Ok(Value::Int(0)));
    c.ok::<()>(&["SELECT", "3"]);
    assert_eq!(c.ok::<String>(&["GET", "indb3"]), "A2");
    c.ok::<()>(&["SELECT", "0"]);
    assert_eq!(c.err(&["COPY", &a, &a]), "ERR source and destination objects are the same");
    assert_eq!(c.err(&["COPY", &a, "x", "DB", "16"]), "ERR DB index is out of range");
    assert_eq!(c.err(&["COPY", &a, "x", "FOO"]), "ERR syntax error");
    // Many pairs, so some cross shards whatever the hash.
    for i in 0..40 {
        let (src, dst) = (format!("cs{i}"), format!("cd{i}"));
        c.ok::<()>(&["SET", &src, &i.to_string()]);
        assert_eq!(c.val(&["COPY", &src, &dst]), Ok(Value::Int(1)));
        assert_eq!(c.ok::<String>(&["GET", &dst]), i.to_string());
    }
}

#[test]
fn dbsize_flushdb_flushall() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(0)));
    fill(&mut c, "k", 300);
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(300)));
    c.ok::<()>(&["SELECT", "1"]);
    fill(&mut c, "one", 10);
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(10)));
    // FLUSHDB empties only the selected database, on every shard.
    assert_eq!(c.val(&["FLUSHDB"]), Ok(Value::Okay));
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(0)));
    c.ok::<()>(&["SELECT", "0"]);
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(300)));
    c.ok::<()>(&["SELECT", "2"]);
    fill(&mut c, "two", 10);
    assert_eq!(c.val(&["FLUSHALL"]), Ok(Value::Okay));
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(0)));
    c.ok::<()>(&["SELECT", "0"]);
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["GET", "k1"]), Ok(Value::Nil));
    // SYNC/ASYNC are accepted.
    fill(&mut c, "k", 10);
    assert_eq!(c.val(&["FLUSHDB", "ASYNC"]), Ok(Value::Okay));
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(0)));
    fill(&mut c, "k", 10);
    assert_eq!(c.val(&["FLUSHALL", "SYNC"]), Ok(Value::Okay));
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(0)));
    assert_eq!(c.err(&["FLUSHDB", "FOO"]), "ERR syntax error");
    assert_eq!(c.err(&["DBSIZE", "x"]), "ERR wrong number of arguments for 'dbsize' command");
}

#[test]
fn select_isolates_16_databases() {
    let s = Server::start();
    let mut c = s.client();
    for db in 0..16 {
        c.ok::<()>(&["SELECT", &db.to_string()]);
        c.ok::<()>(&["SET", "shared-name", &format!("db{db}")]);
        fill(&mut c, &format!("only{db}:"), db + 1);
    }
    for db in 0..16 {
        assert_eq!(c.val(&["SELECT", &db.to_string()]), Ok(Value::Okay));
        assert_eq!(c.ok::<String>(&["GET", "shared-name"]), format!("db{db}"));
        assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(db as i64 + 2)));
    }
    // Another connection starts in db 0.
    let mut c2 = s.client();
    assert_eq!(c2.ok::<String>(&["GET", "shared-name"]), "db0");
    assert_eq!(c.err(&["SELECT", "16"]), "ERR DB index is out of range");
    assert_eq!(c.err(&["SELECT", "-1"]), "ERR DB index is out of range");
    assert_eq!(c.err(&["SELECT", "one"]), "ERR value is not an integer or out of range");
    // A failed SELECT keeps the current database.
    assert_eq!(c.ok::<String>(&["GET", "shared-name"]), "db15");
}

#[test]
fn swapdb() {
    let s = Server::start();
    let mut c = s.client();
    fill(&mut c, "zero", 30);
    c.ok::<()>(&["SET", "where", "db0", "EX", "1000"]);
    c.ok::<()>(&["SELECT", "1"]);
    c.ok::<()>(&["SET", "where", "db1"]);
    assert_eq!(c.val(&["SWAPDB", "0", "1"]), Ok(Value::Okay));
    // This connection stays on db 1, which now holds db 0's data.
    assert_eq!(c.ok::<String>(&["GET", "where"]), "db0");
    assert!(c.ok::<i64>(&["TTL", "where"]) > 990);
    assert_eq!(c.val(&["DBSIZE"]), Ok(Value::Int(31)));
    let mut c2 = s.client();
    assert_eq!(c2.ok::<String>(&["GET", "where"]), "db1");
    assert_eq!(c2.val(&["DBSIZE"]), Ok(Value::Int(1)));
    assert_eq!(c.err(&["SWAPDB", "0", "16"]), "ERR DB index is out of range");
    assert_eq!(c.err(&["SWAPDB", "a", "1"]), "ERR invalid first DB index");
    assert_eq!(c.err(&["SWAPDB", "0", "b"]), "ERR invalid second DB index");
    assert_eq!(c.err(&["SWAPDB", "0"]), "ERR wrong number of arguments for 'swapdb' command");
}

#[test]
fn hashtags_keep_keys_together() {
    // {user1}:a and {user1}:b hash to the same slot, so to the same shard.
    assert_eq!(common::key_slot(b"{user1}:a"), common::key_slot(b"{user1}:b"));
    assert_eq!(common::key_slot(b"foo"), 12182);
    assert_eq!(common::key_slot(b"{foo}bar"), 12182);
    assert_eq!(common::crc16(b"123456789"), 0x31C3);
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["MSET", "{user1}:a", "1", "{user1}:b", "2"]);
    assert_eq!(c.ok::<Vec<String>>(&["MGET", "{user1}:a", "{user1}:b"]), vec!["1", "2"]);
    assert_eq!(c.val(&["RENAME", "{user1}:a", "{user1}:c"]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["GET", "{user1}:c"]), "1");
}

#[test]
fn move_between_databases() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v", "EX", "1000"]);
    assert_eq!(c.val(&["MOVE", "k", "4"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["EXISTS", "k"]), Ok(Value::Int(0)));
    c.ok::<()>(&["SELECT", "4"]);
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v");
    assert!(c.ok::<i64>(&["TTL", "k"]) > 990, "MOVE keeps the TTL");
    c.ok::<()>(&["SELECT", "0"]);
    // The target already has the key: nothing moves.
    c.ok::<()>(&["SET", "k", "other"]);
    assert_eq!(c.val(&["MOVE", "k", "4"]), Ok(Value::Int(0)));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "other");
    assert_eq!(c.val(&["MOVE", "missing", "4"]), Ok(Value::Int(0)));
    assert_eq!(c.err(&["MOVE", "k", "0"]), "ERR source and destination objects are the same");
    assert_eq!(c.err(&["MOVE", "k", "16"]), "ERR DB index is out of range");
    assert_eq!(c.err(&["MOVE", "k", "x"]), "ERR value is not an integer or out of range");
}

#[test]
fn object_introspection() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["MSET", "int", "12345", "short", "hello", "long", &"x".repeat(100)]);
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "int"]), "int");
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "short"]), "embstr");
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "long"]), "raw");
    assert_eq!(c.val(&["OBJECT", "ENCODING", "missing"]), Ok(Value::Nil));
    assert!(c.ok::<i64>(&["OBJECT", "REFCOUNT", "short"]) >= 1);
    assert!(c.ok::<i64>(&["OBJECT", "IDLETIME", "short"]) >= 0);
    assert!(c.ok::<Vec<String>>(&["OBJECT", "HELP"]).len() > 4);
    assert_eq!(c.err(&["OBJECT", "FOO", "k"]), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
    assert_eq!(c.err(&["OBJECT", "ENCODING"]), "ERR wrong number of arguments for 'object|encoding' command");
}
