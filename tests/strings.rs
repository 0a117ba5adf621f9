//! String commands through a real client (the `redis` crate), on a server
//! with two shards: GET/SET and every SET option, the SET variants, MGET/MSET
//! across shards, counters, ranges, and the error texts clients see.

mod common;

use common::{Exec, Server, Value, key_on_shard, shard_of};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

#[test]
fn get_and_set() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["SET", "greeting", "hello"]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["GET", "greeting"]), "hello");
    assert_eq!(c.val(&["GET", "missing"]), Ok(Value::Nil));
    // Overwrite.
    assert_eq!(c.val(&["SET", "greeting", "bye"]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["GET", "greeting"]), "bye");
    // Empty value is a value.
    assert_eq!(c.val(&["SET", "empty", ""]), Ok(Value::Okay));
    assert_eq!(c.val(&["GET", "empty"]), Ok(Value::BulkString(vec![])));
    // Command names are case-insensitive.
    assert_eq!(c.ok::<String>(&["get", "greeting"]), "bye");
    assert_eq!(c.ok::<String>(&["gEt", "greeting"]), "bye");
}

#[test]
fn values_and_keys_are_binary_safe() {
    let s = Server::start();
    let mut c = s.client();
    let key: &[u8] = b"bin\x00key\r\n";
    let val: Vec<u8> = (0..=255u8).chain(b"\r\n$3\r\n*1\r\n".iter().copied()).collect();
    let r: Value = redis::cmd("SET").arg(key).arg(&val[..]).query(&mut c).unwrap();
    assert_eq!(r, Value::Okay);
    let got: Vec<u8> = redis::cmd("GET").arg(key).query(&mut c).unwrap();
    assert_eq!(got, val);
    let n: i64 = redis::cmd("STRLEN").arg(key).query(&mut c).unwrap();
    assert_eq!(n, val.len() as i64);
}

#[test]
fn keys_on_both_shards() {
    // 200 keys: with two shards about half live on the shard that did not
    // accept this connection, so their GET/SET travel between shards.
    let s = Server::start();
    let mut c = s.client();
    let keys: Vec<String> = (0..200).map(|i| format!("key:{i}")).collect();
    assert!(keys.iter().any(|k| shard_of(k, 2) == 0) && keys.iter().any(|k| shard_of(k, 2) == 1));
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(c.val(&["SET", k, &format!("v{i}")]), Ok(Value::Okay));
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(c.ok::<String>(&["GET", k]), format!("v{i}"));
    }
    assert_eq!(c.ok::<i64>(&["DBSIZE"]), 200);
}

#[test]
fn set_nx_xx() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["SET", "k", "v1", "NX"]), Ok(Value::Okay));
    assert_eq!(c.val(&["SET", "k", "v2", "NX"]), Ok(Value::Nil));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v1");
    assert_eq!(c.val(&["SET", "k", "v3", "XX"]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v3");
    assert_eq!(c.val(&["SET", "other", "v", "XX"]), Ok(Value::Nil));
    assert_eq!(c.val(&["EXISTS", "other"]), Ok(Value::Int(0)));
    // Options are case-insensitive.
    assert_eq!(c.val(&["SET", "lower", "v", "nx"]), Ok(Value::Okay));
}

#[test]
fn set_get_option() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["SET", "k", "v1", "GET"]), Ok(Value::Nil));
    assert_eq!(c.ok::<String>(&["SET", "k", "v2", "GET"]), "v1");
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v2");
    // Redis 7: NX and GET together: the old value, and nothing is written.
    assert_eq!(c.ok::<String>(&["SET", "k", "v3", "NX", "GET"]), "v2");
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v2");
    // XX GET on a missing key: nil, nothing written.
    assert_eq!(c.val(&["SET", "nokey", "v", "XX", "GET"]), Ok(Value::Nil));
    assert_eq!(c.val(&["GET", "nokey"]), Ok(Value::Nil));
}

#[test]
fn set_expiry_options() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "ex", "v", "EX", "100"]);
    let ttl: i64 = c.ok(&["TTL", "ex"]);
    assert!((99..=100).contains(&ttl), "TTL after EX 100: {ttl}");

    c.ok::<()>(&["SET", "px", "v", "PX", "100000"]);
    let pttl: i64 = c.ok(&["PTTL", "px"]);
    assert!((98_000..=100_000).contains(&pttl), "PTTL after PX 100000: {pttl}");

    let at = now_ms() / 1000 + 200;
    c.ok::<()>(&["SET", "exat", "v", "EXAT", &at.to_string()]);
    assert_eq!(c.ok::<u64>(&["EXPIRETIME", "exat"]), at);

    let pat = now_ms() + 300_000;
    c.ok::<()>(&["SET", "pxat", "v", "PXAT", &pat.to_string()]);
    assert_eq!(c.ok::<u64>(&["PEXPIRETIME", "pxat"]), pat);

    // A plain SET clears the TTL; KEEPTTL keeps it.
    c.ok::<()>(&["SET", "ex", "v2", "KEEPTTL"]);
    let ttl: i64 = c.ok(&["TTL", "ex"]);
    assert!((98..=100).contains(&ttl), "TTL after KEEPTTL: {ttl}");
    assert_eq!(c.ok::<String>(&["GET", "ex"]), "v2");
    c.ok::<()>(&["SET", "ex", "v3"]);
    assert_eq!(c.ok::<i64>(&["TTL", "ex"]), -1);

    // Lower-case units, and options in any order.
    c.ok::<()>(&["SET", "mixed", "v", "px", "50000", "nx"]);
    assert!(c.ok::<i64>(&["PTTL", "mixed"]) > 0);
}

#[test]
fn set_errors() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.err(&["SET", "k"]), "ERR wrong number of arguments for 'set' command");
    assert_eq!(c.err(&["SET", "k", "v", "EX", "0"]), "ERR invalid expire time in 'set' command");
    assert_eq!(c.err(&["SET", "k", "v", "EX", "-5"]), "ERR invalid expire time in 'set' command");
    assert_eq!(c.err(&["SET", "k", "v", "PX", "0"]), "ERR invalid expire time in 'set' command");
    assert_eq!(c.err(&["SET", "k", "v", "EX", "ten"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["SET", "k", "v", "EX"]), "ERR syntax error");
    assert_eq!(c.err(&["SET", "k", "v", "NX", "XX"]), "ERR syntax error");
    assert_eq!(c.err(&["SET", "k", "v", "EX", "10", "PX", "100"]), "ERR syntax error");
    assert_eq!(c.err(&["SET", "k", "v", "EX", "10", "KEEPTTL"]), "ERR syntax error");
    assert_eq!(c.err(&["SET", "k", "v", "FOO"]), "ERR syntax error");
    // Nothing was written by the failed commands, and the connection goes on.
    assert_eq!(c.val(&["GET", "k"]), Ok(Value::Nil));
    assert_eq!(c.ok::<String>(&["PING"]), "PONG");
}

#[test]
fn get_arity_and_unknown_command() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.err(&["GET"]), "ERR wrong number of arguments for 'get' command");
    assert_eq!(c.err(&["GET", "a", "b"]), "ERR wrong number of arguments for 'get' command");
    assert_eq!(c.err(&["FOO", "a", "b"]), "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
}

#[test]
fn setnx_setex_psetex() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["SETNX", "k", "a"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["SETNX", "k", "b"]), Ok(Value::Int(0)));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "a");

    assert_eq!(c.val(&["SETEX", "se", "100", "v"]), Ok(Value::Okay));
    assert_eq!(c.ok::<String>(&["GET", "se"]), "v");
    assert!((99..=100).contains(&c.ok::<i64>(&["TTL", "se"])));
    assert_eq!(c.err(&["SETEX", "se", "0", "v"]), "ERR invalid expire time in 'setex' command");
    assert_eq!(c.err(&["SETEX", "se", "x", "v"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["SETEX", "se", "10"]), "ERR wrong number of arguments for 'setex' command");

    assert_eq!(c.val(&["PSETEX", "pse", "100000", "v"]), Ok(Value::Okay));
    let pttl: i64 = c.ok(&["PTTL", "pse"]);
    assert!((98_000..=100_000).contains(&pttl), "{pttl}");
    assert_eq!(c.err(&["PSETEX", "pse", "-1", "v"]), "ERR invalid expire time in 'psetex' command");
}

#[test]
fn getset_getdel_getex() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["GETSET", "k", "one"]), Ok(Value::Nil));
    c.ok::<()>(&["EXPIRE", "k", "100"]);
    assert_eq!(c.ok::<String>(&["GETSET", "k", "two"]), "one");
    assert_eq!(c.ok::<i64>(&["TTL", "k"]), -1, "GETSET clears the TTL");

    assert_eq!(c.ok::<String>(&["GETDEL", "k"]), "two");
    assert_eq!(c.val(&["EXISTS", "k"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["GETDEL", "k"]), Ok(Value::Nil));

    c.ok::<()>(&["SET", "g", "v"]);
    assert_eq!(c.ok::<String>(&["GETEX", "g"]), "v");
    assert_eq!(c.ok::<i64>(&["TTL", "g"]), -1);
    assert_eq!(c.ok::<String>(&["GETEX", "g", "EX", "100"]), "v");
    assert!((99..=100).contains(&c.ok::<i64>(&["TTL", "g"])));
    assert_eq!(c.ok::<String>(&["GETEX", "g", "PX", "200000"]), "v");
    assert!(c.ok::<i64>(&["PTTL", "g"]) > 100_000);
    let at = now_ms() / 1000 + 500;
    assert_eq!(c.ok::<String>(&["GETEX", "g", "EXAT", &at.to_string()]), "v");
    assert_eq!(c.ok::<u64>(&["EXPIRETIME", "g"]), at);
    let pat = now_ms() + 600_000;
    assert_eq!(c.ok::<String>(&["GETEX", "g", "PXAT", &pat.to_string()]), "v");
    assert_eq!(c.ok::<u64>(&["PEXPIRETIME", "g"]), pat);
    assert_eq!(c.ok::<String>(&["GETEX", "g", "PERSIST"]), "v");
    assert_eq!(c.ok::<i64>(&["TTL", "g"]), -1);
    assert_eq!(c.val(&["GETEX", "missing", "EX", "10"]), Ok(Value::Nil));
    assert_eq!(c.err(&["GETEX", "g", "EX", "10", "PX", "10"]), "ERR syntax error");
    assert_eq!(c.err(&["GETEX", "g", "EX", "0"]), "ERR invalid expire time in 'getex' command");
    assert_eq!(c.err(&["GETEX", "g", "FOO"]), "ERR syntax error");
    assert_eq!(c.err(&["GETDEL"]), "ERR wrong number of arguments for 'getdel' command");
}

#[test]
fn mget_mset_across_shards() {
    let s = Server::start();
    let mut c = s.client();
    let a = key_on_shard("a", 0, 2);
    let b = key_on_shard("b", 1, 2);
    assert_eq!(c.val(&["MSET", &a, "1", &b, "2"]), Ok(Value::Okay));
    assert_eq!(
        c.ok::<Vec<Option<String>>>(&["MGET", &a, "missing", &b, &a]),
        vec![Some("1".into()), None, Some("2".into()), Some("1".into())]
    );
    // 100 keys in one MSET, read back in one MGET in request order.
    let mut args = vec!["MSET".to_string()];
    for i in 0..100 {
        args.push(format!("m{i}"));
        args.push(format!("val{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.val(&refs), Ok(Value::Okay));
    let mut get = vec!["MGET".to_string()];
    get.extend((0..100).rev().map(|i| format!("m{i}")));
    let refs: Vec<&str> = get.iter().map(String::as_str).collect();
    let got: Vec<String> = c.ok(&refs);
    let want: Vec<String> = (0..100).rev().map(|i| format!("val{i}")).collect();
    assert_eq!(got, want);
    // The last value of a key named twice wins.
    c.ok::<()>(&["MSET", "dup", "first", "dup", "second"]);
    assert_eq!(c.ok::<String>(&["GET", "dup"]), "second");
    // MSET clears TTLs like SET.
    c.ok::<()>(&["EXPIRE", &a, "100"]);
    c.ok::<()>(&["MSET", &a, "3"]);
    assert_eq!(c.ok::<i64>(&["TTL", &a]), -1);

    assert_eq!(c.err(&["MSET", "a"]), "ERR wrong number of arguments for 'mset' command");
    assert_eq!(c.err(&["MSET", "a", "1", "b"]), "ERR wrong number of arguments for 'mset' command");
    assert_eq!(c.err(&["MGET"]), "ERR wrong number of arguments for 'mget' command");
}

#[test]
fn msetnx_is_all_or_nothing() {
    let s = Server::start();
    let mut c = s.client();
    let a = key_on_shard("a", 0, 2);
    let b = key_on_shard("b", 1, 2);
    let d = key_on_shard("d", 1, 2);
    assert_eq!(c.val(&["MSETNX", &a, "1", &b, "2"]), Ok(Value::Int(1)));
    assert_eq!(c.ok::<Vec<String>>(&["MGET", &a, &b]), vec!["1", "2"]);
    // b exists: nothing is written, including d on the other shard.
    assert_eq!(c.val(&["MSETNX", &d, "x", &b, "y"]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXISTS", &d]), Ok(Value::Int(0)));
    assert_eq!(c.ok::<String>(&["GET", &b]), "2");
    assert_eq!(c.err(&["MSETNX", "a"]), "ERR wrong number of arguments for 'msetnx' command");
}

#[test]
fn incr_decr_family() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["INCR", "n"]), Ok(Value::Int(1)));
    assert_eq!(c.val(&["INCR", "n"]), Ok(Value::Int(2)));
    assert_eq!(c.val(&["INCRBY", "n", "10"]), Ok(Value::Int(12)));
    assert_eq!(c.val(&["DECR", "n"]), Ok(Value::Int(11)));
    assert_eq!(c.val(&["DECRBY", "n", "20"]), Ok(Value::Int(-9)));
    assert_eq!(c.val(&["INCRBY", "n", "-1"]), Ok(Value::Int(-10)));
    assert_eq!(c.ok::<String>(&["GET", "n"]), "-10");
    assert_eq!(c.val(&["DECR", "fresh"]), Ok(Value::Int(-1)));

    // The TTL survives INCR.
    c.ok::<()>(&["SET", "t", "5", "EX", "100"]);
    assert_eq!(c.val(&["INCR", "t"]), Ok(Value::Int(6)));
    assert!(c.ok::<i64>(&["TTL", "t"]) > 0);

    c.ok::<()>(&["SET", "s", "abc"]);
    assert_eq!(c.err(&["INCR", "s"]), "ERR value is not an integer or out of range");
    c.ok::<()>(&["SET", "s", " 1"]);
    assert_eq!(c.err(&["INCR", "s"]), "ERR value is not an integer or out of range");
    c.ok::<()>(&["SET", "s", "1.5"]);
    assert_eq!(c.err(&["DECR", "s"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["INCRBY", "n", "x"]), "ERR value is not an integer or out of range");
    assert_eq!(c.err(&["DECRBY", "n", "1.0"]), "ERR value is not an integer or out of range");

    c.ok::<()>(&["SET", "big", "9223372036854775807"]);
    assert_eq!(c.err(&["INCR", "big"]), "ERR increment or decrement would overflow");
    c.ok::<()>(&["SET", "small", "-9223372036854775808"]);
    assert_eq!(c.err(&["DECR", "small"]), "ERR increment or decrement would overflow");
    assert_eq!(c.ok::<String>(&["GET", "big"]), "9223372036854775807");
    assert_eq!(c.err(&["INCR"]), "ERR wrong number of arguments for 'incr' command");
}

#[test]
fn incrbyfloat() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "f", "10.50"]);
    assert_eq!(c.ok::<String>(&["INCRBYFLOAT", "f", "0.1"]), "10.6");
    assert_eq!(c.ok::<String>(&["INCRBYFLOAT", "f", "-5"]), "5.6");
    c.ok::<()>(&["SET", "f", "5.0e3"]);
    assert_eq!(c.ok::<String>(&["INCRBYFLOAT", "f", "2.0e2"]), "5200");
    assert_eq!(c.ok::<String>(&["GET", "f"]), "5200");
    assert_eq!(c.ok::<String>(&["INCRBYFLOAT", "new", "3"]), "3");
    assert_eq!(c.ok::<String>(&["INCRBYFLOAT", "new", "1.5"]), "4.5");
    c.ok::<()>(&["SET", "s", "abc"]);
    assert_eq!(c.err(&["INCRBYFLOAT", "s", "1"]), "ERR value is not a valid float");
    assert_eq!(c.err(&["INCRBYFLOAT", "f", "abc"]), "ERR value is not a valid float");
    assert_eq!(c.err(&["INCRBYFLOAT", "f", "inf"]), "ERR increment would produce NaN or Infinity");
    assert_eq!(c.ok::<String>(&["GET", "f"]), "5200");
}

#[test]
fn append_and_strlen() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["APPEND", "k", "Hello"]), Ok(Value::Int(5)));
    assert_eq!(c.val(&["APPEND", "k", " World"]), Ok(Value::Int(11)));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "Hello World");
    assert_eq!(c.val(&["STRLEN", "k"]), Ok(Value::Int(11)));
    assert_eq!(c.val(&["STRLEN", "missing"]), Ok(Value::Int(0)));
    // APPEND to a counter works on its text.
    c.ok::<()>(&["SET", "n", "12"]);
    c.ok::<()>(&["APPEND", "n", "3"]);
    assert_eq!(c.val(&["INCR", "n"]), Ok(Value::Int(124)));
    assert_eq!(c.err(&["APPEND", "k"]), "ERR wrong number of arguments for 'append' command");
}

#[test]
fn getrange_and_substr() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "This is a string"]);
    for cmd in ["GETRANGE", "SUBSTR"] {
        assert_eq!(c.ok::<String>(&[cmd, "k", "0", "3"]), "This");
        assert_eq!(c.ok::<String>(&[cmd, "k", "-3", "-1"]), "ing");
        assert_eq!(c.ok::<String>(&[cmd, "k", "0", "-1"]), "This is a string");
        assert_eq!(c.ok::<String>(&[cmd, "k", "10", "100"]), "string");
        assert_eq!(c.ok::<String>(&[cmd, "k", "5", "3"]), "");
        assert_eq!(c.ok::<String>(&[cmd, "missing", "0", "10"]), "");
        assert_eq!(c.err(&[cmd, "k", "a", "3"]), "ERR value is not an integer or out of range");
    }
    assert_eq!(c.err(&["GETRANGE", "k", "0"]), "ERR wrong number of arguments for 'getrange' command");
}

#[test]
fn setrange() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "Hello World"]);
    assert_eq!(c.val(&["SETRANGE", "k", "6", "Redis"]), Ok(Value::Int(11)));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "Hello Redis");
    // Past the end: zero padding.
    assert_eq!(c.val(&["SETRANGE", "pad", "5", "x"]), Ok(Value::Int(6)));
    assert_eq!(c.ok::<Vec<u8>>(&["GET", "pad"]), b"\0\0\0\0\0x".to_vec());
    // An empty value on a missing key creates nothing.
    assert_eq!(c.val(&["SETRANGE", "none", "3", ""]), Ok(Value::Int(0)));
    assert_eq!(c.val(&["EXISTS", "none"]), Ok(Value::Int(0)));
    assert_eq!(c.err(&["SETRANGE", "k", "-1", "x"]), "ERR offset is out of range");
    assert_eq!(
        c.err(&["SETRANGE", "k", "536870912", "x"]),
        "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
    );
    assert_eq!(c.ok::<String>(&["GET", "k"]), "Hello Redis");
}

/// WRONGTYPE needs a key of another type, and only strings exist so far:
/// enable this when lists land.
#[test]
fn wrongtype_against_a_list() {
    let s = Server::start();
    let mut c = s.client();
    c.ok::<i64>(&["LPUSH", "l", "x"]);
    let wt = "WRONGTYPE Operation against a key holding the wrong kind of value";
    assert_eq!(c.err(&["GET", "l"]), wt);
    assert_eq!(c.err(&["INCR", "l"]), wt);
    assert_eq!(c.err(&["APPEND", "l", "x"]), wt);
    assert_eq!(c.err(&["SET", "l", "x", "GET"]), wt);
    assert_eq!(c.ok::<Vec<Option<String>>>(&["MGET", "l"]), vec![None]);
    // A plain SET overwrites any type.
    c.ok::<()>(&["SET", "l", "x"]);
    assert_eq!(c.ok::<String>(&["GET", "l"]), "x");
}
