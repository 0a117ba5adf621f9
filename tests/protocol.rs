//! The wire protocol over raw sockets: pipelining 10,000 commands in one
//! write, inline commands, malformed requests and size limits (error, close,
//! server unharmed), a 10 MB value, 1,000 concurrent connections, and the
//! exact texts of unknown-command and arity errors.

mod common;

use common::{Exec, Frame, Raw, Server, encode, info_field, raise_nofile};
use std::io::Write;
use std::time::Duration;

/// Writes `bytes` in one `write_all` from another thread while this one
/// reads `n` replies, so neither side can block the other on full buffers.
fn pipeline(r: &mut Raw, bytes: Vec<u8>, n: usize) -> Vec<Frame> {
    let mut w = r.stream.try_clone().unwrap();
    let writer = std::thread::spawn(move || w.write_all(&bytes));
    let replies: Vec<Frame> = (0..n).map(|_| r.read()).collect();
    writer.join().unwrap().expect("write pipeline");
    replies
}

#[test]
fn pipeline_10000_commands_in_one_write() {
    let s = Server::start();
    let mut r = s.raw();
    // SET, GET of the same key, ECHO: keys spread over both shards, while ECHO
    // is answered locally; every reply must come back in request order.
    let mut buf = Vec::new();
    for i in 0..10_000 {
        let k = format!("p:{}", i / 3);
        match i % 3 {
            0 => buf.extend(encode(&[b"SET", k.as_bytes(), (i / 3).to_string().as_bytes()])),
            1 => buf.extend(encode(&[b"GET", k.as_bytes()])),
            _ => buf.extend(encode(&[b"ECHO", format!("e{i}").as_bytes()])),
        }
    }
    let replies = pipeline(&mut r, buf, 10_000);
    for (i, f) in replies.iter().enumerate() {
        let want = match i % 3 {
            0 => Frame::simple("OK"),
            1 => Frame::bulk(&(i / 3).to_string()),
            _ => Frame::bulk(&format!("e{i}")),
        };
        assert_eq!(f, &want, "reply {i} out of order");
    }
    assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(3334));
}

#[test]
fn command_names_in_any_spelling_within_one_pipeline() {
    let s = Server::start();
    let mut r = s.raw();
    // The parser takes a name spelled like the previous request's without
    // copying it: spellings that change from request to request, or a key
    // that looks like the name, must not confuse it.
    let names: [&[u8]; 6] = [b"SET", b"SET", b"set", b"Set", b"sEt", b"SET"];
    let mut buf = Vec::new();
    for (i, name) in names.iter().enumerate() {
        buf.extend(encode(&[name, b"SET", i.to_string().as_bytes()]));
        buf.extend(encode(&[b"GET", b"SET"]));
        buf.extend(encode(&[b"get", b"GET"]));
    }
    let replies = pipeline(&mut r, buf, names.len() * 3);
    for (i, f) in replies.chunks(3).enumerate() {
        assert_eq!(f, [Frame::simple("OK"), Frame::bulk(&i.to_string()), Frame::NilBulk], "round {i}");
    }
    assert_eq!(r.cmd(&["GeT", "SET"]), Frame::bulk("5"));
}

/// Requests written in one go, and the reply each must get, in order.
#[derive(Default)]
struct Script {
    buf: Vec<u8>,
    want: Vec<Frame>,
}

impl Script {
    fn req(&mut self, args: &[&[u8]], reply: Frame) {
        self.buf.extend(encode(args));
        self.want.push(reply);
    }

    /// Sends the whole script in one write and compares every reply.
    fn check(self, r: &mut Raw) {
        let replies = pipeline(r, self.buf, self.want.len());
        for (i, (got, want)) in replies.iter().zip(&self.want).enumerate() {
            assert_eq!(got, want, "reply {i}");
        }
    }
}

#[test]
fn plain_get_and_set_between_every_other_kind_of_request() {
    // GET and SET without options take a fast path where their keys are
    // this shard's and nothing needs the command itself; everything around
    // them here goes the general way, and all replies keep their order.
    let s = Server::start();
    let mut r = s.raw();
    let (a, b) = (common::key_on_shard("a", 0, 2), common::key_on_shard("b", 1, 2));
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut script = Script::default();
    let mut req = |args: &[&[u8]], reply: Frame| script.req(args, reply);
    req(&[b"set", a, b"1"], Frame::simple("OK"));
    req(&[b"SET", b, b"2"], Frame::simple("OK"));
    req(&[b"MSET", a, b"3", b, b"4"], Frame::simple("OK"));
    req(&[b"GET", a], Frame::bulk("3"));
    req(&[b"Get", b], Frame::bulk("4"));
    req(&[b"SET", a, b"5", b"XX", b"GET"], Frame::bulk("3"));
    req(&[b"GET", a], Frame::bulk("5"));
    req(&[b"RPUSH", b"list", b"x"], Frame::Int(1));
    req(
        &[b"GET", b"list"],
        Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    req(&[b"SET", b"list", b"now a string"], Frame::simple("OK"));
    req(&[b"GET", b"list"], Frame::bulk("now a string"));
    req(&[b"GET", b"missing"], Frame::NilBulk);
    req(&[b"SET", b"", b""], Frame::simple("OK"));
    req(&[b"GET", b""], Frame::bulk(""));
    req(&[b"SET", b"crlf", b"a\r\n$3\r\nGET\r\n"], Frame::simple("OK"));
    req(&[b"GET", b"crlf"], Frame::bulk("a\r\n$3\r\nGET\r\n"));
    req(&[b"GET", a, b"extra"], Frame::error("ERR wrong number of arguments for 'get' command"));
    req(&[b"SET", a], Frame::error("ERR wrong number of arguments for 'set' command"));
    req(&[b"MULTI"], Frame::simple("OK"));
    req(&[b"SET", a, b"6"], Frame::simple("QUEUED"));
    req(&[b"GET", a], Frame::simple("QUEUED"));
    req(&[b"EXEC"], Frame::Array(vec![Frame::simple("OK"), Frame::bulk("6")]));
    req(&[b"SET", b"t", b"v", b"PX", b"1"], Frame::simple("OK"));
    script.check(&mut r);
    // An expired key is gone for a plain GET, and counted as expired.
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(r.cmd(&["GET", "t"]), Frame::NilBulk);
    let stats = r.cmd(&["INFO", "stats"]).text();
    assert!(stats.contains("expired_keys:1\r\n"), "{stats}");
}

#[test]
fn plain_incr_and_decr_between_every_other_kind_of_request() {
    // INCR and DECR take the fast path too; errors, other shards' keys,
    // MULTI and arity errors around them, all in one pipeline.
    let s = Server::start();
    let mut r = s.raw();
    let (a, b) = (common::key_on_shard("a", 0, 2), common::key_on_shard("b", 1, 2));
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut script = Script::default();
    let mut req = |args: &[&[u8]], reply: Frame| script.req(args, reply);
    let not_int = || Frame::error("ERR value is not an integer or out of range");
    let overflow = || Frame::error("ERR increment or decrement would overflow");
    req(&[b"INCR", a], Frame::Int(1));
    req(&[b"incr", a], Frame::Int(2));
    req(&[b"dEcR", a], Frame::Int(1));
    req(&[b"DECR", b], Frame::Int(-1));
    req(&[b"INCR", b], Frame::Int(0));
    req(&[b"GET", a], Frame::bulk("1"));
    req(&[b"SET", b"s", b"abc"], Frame::simple("OK"));
    req(&[b"INCR", b"s"], not_int());
    req(&[b"SET", b"s", b" 1"], Frame::simple("OK"));
    req(&[b"DECR", b"s"], not_int());
    req(&[b"GET", b"s"], Frame::bulk(" 1"));
    req(&[b"RPUSH", b"list", b"x"], Frame::Int(1));
    req(
        &[b"INCR", b"list"],
        Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    req(&[b"SET", b"max", b"9223372036854775807"], Frame::simple("OK"));
    req(&[b"INCR", b"max"], overflow());
    req(&[b"GET", b"max"], Frame::bulk("9223372036854775807"));
    req(&[b"SET", b"min", b"-9223372036854775808"], Frame::simple("OK"));
    req(&[b"DECR", b"min"], overflow());
    req(&[b"SET", b"t", b"41", b"EX", b"100"], Frame::simple("OK"));
    req(&[b"INCR", b"t"], Frame::Int(42));
    req(&[b"INCR", b""], Frame::Int(1));
    req(&[b"INCR", a, b"extra"], Frame::error("ERR wrong number of arguments for 'incr' command"));
    req(&[b"DECR"], Frame::error("ERR wrong number of arguments for 'decr' command"));
    req(&[b"MULTI"], Frame::simple("OK"));
    req(&[b"INCR", a], Frame::simple("QUEUED"));
    req(&[b"EXEC"], Frame::Array(vec![Frame::Int(2)]));
    script.check(&mut r);
    // INCR keeps the key's time to live, as in Redis.
    match r.cmd(&["TTL", "t"]) {
        Frame::Int(ttl) => assert!((1..=100).contains(&ttl), "TTL {ttl}"),
        other => panic!("TTL: {other:?}"),
    }
}

#[test]
fn plain_collection_writes_between_every_other_kind_of_request() {
    // One-element LPUSH/RPUSH/SADD/HSET/ZADD and count-less LPOP/RPOP take
    // the fast path too; their other forms and errors go the general way,
    // all in order.
    let s = Server::start();
    let mut r = s.raw();
    let (a, b) = (common::key_on_shard("a", 0, 2), common::key_on_shard("b", 1, 2));
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut script = Script::default();
    let mut req = |args: &[&[u8]], reply: Frame| script.req(args, reply);
    let wrongtype = || Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value");
    for k in [a, b] {
        req(&[b"LPUSH", k, b"x"], Frame::Int(1));
        req(&[b"rpush", k, b"y"], Frame::Int(2));
        req(&[b"LPUSH", k, b"w", b"v"], Frame::Int(4));
        req(&[b"LRANGE", k, b"0", b"-1"], Frame::Array(["v", "w", "x", "y"].map(Frame::bulk).to_vec()));
        req(&[b"LPOP", k], Frame::bulk("v"));
        req(&[b"RPop", k], Frame::bulk("y"));
        req(&[b"LPOP", k, b"5"], Frame::Array(vec![Frame::bulk("w"), Frame::bulk("x")]));
        req(&[b"LPOP", k], Frame::NilBulk);
        req(&[b"EXISTS", k], Frame::Int(0));
    }
    req(&[b"SADD", a, b"m"], Frame::Int(1));
    req(&[b"SADD", a, b"m"], Frame::Int(0));
    req(&[b"sadd", a, b"5"], Frame::Int(1));
    req(&[b"SADD", b, b"1"], Frame::Int(1));
    req(&[b"SADD", b, b"2", b"x"], Frame::Int(2));
    req(&[b"SCARD", a], Frame::Int(2));
    req(&[b"SCARD", b], Frame::Int(3));
    req(&[b"SET", b"str", b"v"], Frame::simple("OK"));
    req(&[b"LPUSH", b"str", b"x"], wrongtype());
    req(&[b"RPOP", b"str"], wrongtype());
    req(&[b"SADD", b"str", b"x"], wrongtype());
    req(&[b"GET", b"str"], Frame::bulk("v"));
    let (ha, hb) = (common::key_on_shard("h", 0, 2), common::key_on_shard("h", 1, 2));
    let (za, zb) = (common::key_on_shard("z", 0, 2), common::key_on_shard("z", 1, 2));
    for (h, z) in [(ha.as_bytes(), za.as_bytes()), (hb.as_bytes(), zb.as_bytes())] {
        req(&[b"HSET", h, b"f", b"v"], Frame::Int(1));
        req(&[b"hset", h, b"f", b"w"], Frame::Int(0));
        req(&[b"HSET", h, b"g", b"1", b"k", b"2"], Frame::Int(2));
        req(&[b"HGET", h, b"f"], Frame::bulk("w"));
        req(&[b"HLEN", h], Frame::Int(3));
        req(&[b"ZADD", z, b"1.5", b"m"], Frame::Int(1));
        req(&[b"zadd", z, b"2", b"m"], Frame::Int(0));
        req(&[b"ZADD", z, b"-inf", b"n"], Frame::Int(1));
        req(&[b"ZSCORE", z, b"m"], Frame::bulk("2"));
        req(&[b"ZADD", z, b"NX", b"1"], Frame::error("ERR syntax error"));
        req(&[b"ZADD", z, b"abc", b"m"], Frame::error("ERR value is not a valid float"));
        req(&[b"ZADD", z, b"nan", b"m"], Frame::error("ERR value is not a valid float"));
        req(&[b"ZADD", z, b"XX", b"CH", b"3", b"m"], Frame::Int(1));
        req(
            &[b"ZRANGE", z, b"0", b"-1", b"WITHSCORES"],
            Frame::Array(["n", "-inf", "m", "3"].map(Frame::bulk).to_vec()),
        );
    }
    req(&[b"HSET", b"str", b"f", b"v"], wrongtype());
    req(&[b"ZADD", b"str", b"1", b"m"], wrongtype());
    req(&[b"HSET", b"h0", b"f"], Frame::error("ERR wrong number of arguments for 'hset' command"));
    req(&[b"LPUSH", b"", b""], Frame::Int(1));
    req(&[b"RPOP", b""], Frame::bulk(""));
    req(&[b"LPOP", b"missing", b"2"], Frame::NilArray);
    req(&[b"LPUSH", a], Frame::error("ERR wrong number of arguments for 'lpush' command"));
    req(&[b"SADD", a], Frame::error("ERR wrong number of arguments for 'sadd' command"));
    req(&[b"MULTI"], Frame::simple("OK"));
    req(&[b"RPUSH", b"tx", b"q"], Frame::simple("QUEUED"));
    req(&[b"LPOP", b"tx"], Frame::simple("QUEUED"));
    req(&[b"EXEC"], Frame::Array(vec![Frame::Int(1), Frame::bulk("q")]));
    script.check(&mut r);
}

#[test]
fn pipelined_incr_replies_in_order() {
    let s = Server::start();
    let mut r = s.raw();
    let a = common::key_on_shard("ctr", 0, 2);
    let b = common::key_on_shard("ctr", 1, 2);
    let mut buf = Vec::new();
    for i in 0..10_000 {
        let k = if i % 2 == 0 { &a } else { &b };
        buf.extend(encode(&[b"INCR", k.as_bytes()]));
    }
    let replies = pipeline(&mut r, buf, 10_000);
    for (i, f) in replies.iter().enumerate() {
        assert_eq!(f, &Frame::Int(i as i64 / 2 + 1), "reply {i}");
    }
}

#[test]
fn values_of_every_length_come_back_exactly() {
    // Short values are answered from a copy held in the reply, long ones
    // from the stored bytes: around the boundary (38 bytes) and with bytes
    // RESP itself uses, on both shards, through GET, MGET and a pipeline
    // that also holds PINGs.
    let s = Server::start();
    let mut r = s.raw();
    let lens = [0usize, 1, 2, 37, 38, 39, 40, 63, 64, 1000];
    let value = |n: usize| -> Vec<u8> { (0..n).map(|i| b"\r\n\0$*x"[i % 6]).collect() };
    let keys: Vec<String> =
        lens.iter().enumerate().map(|(i, n)| common::key_on_shard(&format!("len{n}"), i % 2, 2)).collect();
    let mut buf = Vec::new();
    for (k, &n) in keys.iter().zip(&lens) {
        buf.extend(encode(&[b"SET", k.as_bytes(), &value(n)]));
        buf.extend(encode(&[b"PING", k.as_bytes()]));
        buf.extend(encode(&[b"GET", k.as_bytes()]));
        buf.extend(encode(&[b"PING"]));
    }
    let replies = pipeline(&mut r, buf, 4 * lens.len());
    for (i, &n) in lens.iter().enumerate() {
        assert_eq!(replies[4 * i], Frame::simple("OK"), "SET of {n} bytes");
        assert_eq!(replies[4 * i + 1], Frame::bulk(&keys[i]), "PING {}", keys[i]);
        assert_eq!(replies[4 * i + 2], Frame::Bulk(value(n)), "GET of {n} bytes");
        assert_eq!(replies[4 * i + 3], Frame::simple("PONG"));
    }
    // MGET over keys of both shards (shard-local parts answered inline).
    let mut mget: Vec<&[u8]> = vec![b"MGET"];
    mget.extend(keys.iter().map(|k| k.as_bytes()));
    mget.push(b"missing");
    let mut want: Vec<Frame> = lens.iter().map(|&n| Frame::Bulk(value(n))).collect();
    want.push(Frame::NilBulk);
    r.send(&encode(&mget));
    assert_eq!(r.read(), Frame::Array(want));
    // PING inside MULTI is queued, then answered by EXEC in order.
    assert_eq!(r.cmd(&["MULTI"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["PING", "in-tx"]), Frame::simple("QUEUED"));
    assert_eq!(r.cmd(&["GET", &keys[5]]), Frame::simple("QUEUED"));
    assert_eq!(r.cmd(&["EXEC"]), Frame::Array(vec![Frame::bulk("in-tx"), Frame::Bulk(value(lens[5]))]));
}

#[test]
fn pipelined_large_values_split_across_reads() {
    // 200 SETs of 20 KB and more in one write: requests span reads, and the
    // read size grows and shrinks with the stream; then a light request.
    let s = Server::start();
    let mut r = s.raw();
    let value = |i: usize| -> Vec<u8> { (0..20_000 + i * 37).map(|j| ((i * 7 + j) % 251) as u8).collect() };
    let mut buf = Vec::new();
    for i in 0..200 {
        buf.extend(encode(&[b"SET", format!("big:{i}").as_bytes(), &value(i)]));
    }
    let replies = pipeline(&mut r, buf, 200);
    assert!(replies.iter().all(|f| *f == Frame::simple("OK")));
    let mut buf = Vec::new();
    for i in (0..200).rev() {
        buf.extend(encode(&[b"GET", format!("big:{i}").as_bytes()]));
    }
    let replies = pipeline(&mut r, buf, 200);
    for (n, f) in replies.into_iter().enumerate() {
        assert_eq!(f, Frame::Bulk(value(199 - n)), "GET big:{}", 199 - n);
    }
    assert_eq!(r.cmd(&["STRLEN", "big:3"]), Frame::Int(20_111));
}

#[test]
fn inline_commands() {
    let s = Server::start();
    let mut r = s.raw();
    r.send(b"PING\r\n");
    assert_eq!(r.read(), Frame::simple("PONG"));
    r.send(b"SET a b\r\n");
    assert_eq!(r.read(), Frame::simple("OK"));
    r.send(b"GET a\r\n");
    assert_eq!(r.read(), Frame::bulk("b"));
    r.send(b"SET c \"hello world\"\r\n");
    assert_eq!(r.read(), Frame::simple("OK"));
    assert_eq!(r.cmd(&["GET", "c"]), Frame::bulk("hello world"));
    // LF alone ends a line; empty lines are ignored; several per write.
    r.send(b"PING\n\r\n\r\nECHO x\r\nping\r\n");
    assert_eq!(r.read(), Frame::simple("PONG"));
    assert_eq!(r.read(), Frame::bulk("x"));
    assert_eq!(r.read(), Frame::simple("PONG"));
    // Inline and multibulk mixed in one write.
    let mut mixed = b"SET m 1\r\n".to_vec();
    mixed.extend(encode(&[b"INCR", b"m"]));
    mixed.extend(b"GET m\r\n");
    r.send(&mixed);
    assert_eq!(r.read(), Frame::simple("OK"));
    assert_eq!(r.read(), Frame::Int(2));
    assert_eq!(r.read(), Frame::bulk("2"));
}

#[test]
fn empty_multibulk_is_ignored() {
    let s = Server::start();
    let mut r = s.raw();
    r.send(b"*0\r\n*0\r\nPING\r\n");
    assert_eq!(r.read(), Frame::simple("PONG"));
}

#[test]
fn request_split_into_single_bytes() {
    let s = Server::start();
    let mut r = s.raw();
    for b in encode(&[b"SET", b"k", b"hello"]) {
        r.send(&[b]);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(r.read(), Frame::simple("OK"));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("hello"));
}

/// Sends `bad`, expects `-ERR Protocol error: <msg>` then a closed
/// connection, while a connection opened before keeps working.
fn assert_protocol_error(s: &Server, bad: &[u8], msg: &str) {
    let mut bystander = s.raw();
    assert_eq!(bystander.cmd(&["SET", "alive", "yes"]), Frame::simple("OK"));
    let mut r = s.raw();
    r.send(bad);
    assert_eq!(r.read(), Frame::Error(format!("ERR Protocol error: {msg}")), "for {bad:?}");
    assert!(r.is_closed(), "connection must be closed after a protocol error ({bad:?})");
    assert_eq!(bystander.cmd(&["GET", "alive"]), Frame::bulk("yes"));
    assert_eq!(s.raw().cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn malformed_requests_close_only_their_connection() {
    let s = Server::start();
    assert_protocol_error(&s, b"*x\r\n", "invalid multibulk length");
    assert_protocol_error(&s, b"*1\r\n$x\r\n", "invalid bulk length");
    assert_protocol_error(&s, b"*1\r\n$-5\r\n", "invalid bulk length");
    assert_protocol_error(&s, b"*1\r\nGET\r\n", "expected '$', got 'G'");
    assert_protocol_error(&s, b"*3000000000\r\n", "invalid multibulk length");
    assert_protocol_error(&s, b"SET a \"b\r\n", "unbalanced quotes in request");
    // Replies to good commands before the bad one still arrive.
    let mut r = s.raw();
    r.send(b"PING\r\n*1\r\n$3\r\nGET\r\n*x\r\n");
    assert_eq!(r.read(), Frame::simple("PONG"));
    assert_eq!(r.read(), Frame::error("ERR wrong number of arguments for 'get' command"));
    assert_eq!(r.read(), Frame::error("ERR Protocol error: invalid multibulk length"));
    assert!(r.is_closed());
}

#[test]
fn abandoned_partial_request_does_no_harm() {
    let s = Server::start();
    {
        let mut r = s.raw();
        r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc");
    }
    let mut r = s.raw();
    assert_eq!(r.cmd(&["GET", "k"]), Frame::NilBulk);
    assert_eq!(r.cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn bulk_beyond_proto_max_bulk_len() {
    let s = Server::with_args(&["--proto-max-bulk-len", "1mb"]);
    assert_protocol_error(&s, b"*2\r\n$3\r\nGET\r\n$2000000\r\n", "invalid bulk length");
    // At the limit it is accepted.
    let mut c = s.client();
    let v = vec![b'x'; 1024 * 1024];
    let r: redis::Value = redis::cmd("SET").arg("big").arg(&v[..]).query(&mut c).unwrap();
    assert_eq!(r, redis::Value::Okay);
    assert_eq!(c.ok::<i64>(&["STRLEN", "big"]), 1024 * 1024);
}

#[test]
fn bulk_beyond_default_limit_512mb() {
    let s = Server::start();
    assert_protocol_error(&s, b"*2\r\n$3\r\nGET\r\n$536870913\r\n", "invalid bulk length");
}

#[test]
fn ten_megabyte_value_round_trip() {
    let s = Server::start();
    let mut c = s.client();
    let v: Vec<u8> =
        (0..10 * 1024 * 1024).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    for key in [common::key_on_shard("big", 0, 2), common::key_on_shard("big", 1, 2)] {
        let r: redis::Value = redis::cmd("SET").arg(&key).arg(&v[..]).query(&mut c).unwrap();
        assert_eq!(r, redis::Value::Okay);
        let got: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut c).unwrap();
        assert!(got == v, "10 MB value of {key} came back different ({} bytes)", got.len());
        assert_eq!(c.ok::<i64>(&["STRLEN", &key]), v.len() as i64);
    }
    // And after it the connection is still in sync.
    assert_eq!(c.ok::<String>(&["PING"]), "PONG");
}

#[test]
fn request_with_10000_arguments() {
    let s = Server::start();
    let mut r = s.raw();
    let keys: Vec<Vec<u8>> = (0..10_000).map(|i| format!("many:{i}").into_bytes()).collect();
    let mut mset: Vec<&[u8]> = vec![b"MSET"];
    for k in &keys {
        mset.push(k);
        mset.push(k);
    }
    let replies = pipeline(&mut r, encode(&mset), 1);
    assert_eq!(replies[0], Frame::simple("OK"));
    let mut mget: Vec<&[u8]> = vec![b"MGET"];
    mget.extend(keys.iter().map(|k| &k[..]));
    let Frame::Array(v) = pipeline(&mut r, encode(&mget), 1).remove(0) else { panic!("MGET array") };
    assert_eq!(v.len(), 10_000);
    for (k, f) in keys.iter().zip(&v) {
        assert_eq!(f, &Frame::Bulk(k.clone()));
    }
}

#[test]
fn thousand_concurrent_connections() {
    let limit = raise_nofile(4096);
    assert!(limit >= 2200, "RLIMIT_NOFILE {limit} is too low for 1,000 connections on both ends");
    let s = Server::start();
    let mut conns: Vec<Raw> = (0..1000).map(|_| s.raw()).collect();
    for (i, r) in conns.iter_mut().enumerate() {
        let (k, v) = (format!("conn:{i}"), format!("value{i}"));
        let mut req = encode(&[b"SET", k.as_bytes(), v.as_bytes()]);
        req.extend(encode(&[b"GET", k.as_bytes()]));
        r.send(&req);
    }
    for (i, r) in conns.iter_mut().enumerate() {
        assert_eq!(r.read(), Frame::simple("OK"), "connection {i}");
        assert_eq!(r.read(), Frame::bulk(&format!("value{i}")), "connection {i}");
    }
    let mut c = s.client();
    assert_eq!(c.ok::<i64>(&["DBSIZE"]), 1000);
    let info: String = c.ok(&["INFO", "clients"]);
    assert_eq!(info_field(&info, "connected_clients").as_deref(), Some("1001"), "{info}");
    // All still usable.
    for r in conns.iter_mut().step_by(97) {
        assert_eq!(r.cmd(&["PING"]), Frame::simple("PONG"));
    }
}

#[test]
fn unknown_command_and_arity_texts() {
    let s = Server::start();
    let mut r = s.raw();
    r.send(&encode(&[b"FOO", b"a"]));
    let want = b"-ERR unknown command 'FOO', with args beginning with: 'a' \r\n";
    assert_eq!(r.read_exact_bytes(want.len()), want.to_vec());
    assert_eq!(r.cmd(&["foo"]), Frame::error("ERR unknown command 'foo', with args beginning with: "));
    r.send(b"*1\r\n$3\r\nGET\r\n");
    let want = b"-ERR wrong number of arguments for 'get' command\r\n";
    assert_eq!(r.read_exact_bytes(want.len()), want.to_vec());
    assert_eq!(r.cmd(&["GET", "a", "b"]), Frame::error("ERR wrong number of arguments for 'get' command"));
    assert_eq!(r.cmd(&["SET", "k"]), Frame::error("ERR wrong number of arguments for 'set' command"));
    // Inline too, and the connection goes on.
    r.send(b"FOO bar baz\r\n");
    assert_eq!(r.read(), Frame::error("ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' "));
    assert_eq!(r.cmd(&["PING"]), Frame::simple("PONG"));
}

/// Past 16,384 keys in a database the server looks up a pipelined batch's
/// keys before running it (and a shard those of a batch forwarded to it),
/// and a multi-key command its keys. Whatever the
/// look ahead sees, every reply must be the one the request alone would get:
/// reads, writes that create and delete keys, keys on both shards, commands
/// whose first key is not their first argument or that have none, an
/// unknown command, and a frame cut off at the end of a write.
#[test]
fn pipelines_over_a_large_keyspace_answer_as_alone() {
    for shards in ["1", "2"] {
        let s = Server::with_args(&["--shards", shards]);
        let mut r = s.raw();
        let n = 70_000;
        let mut buf = Vec::new();
        for i in 0..n {
            buf.extend(encode(&[b"SET", format!("k:{i}").as_bytes(), format!("v{i}").as_bytes()]));
        }
        assert!(pipeline(&mut r, buf, n).iter().all(|f| *f == Frame::simple("OK")));
        let mut buf = Vec::new();
        let mut want = Vec::new();
        for i in 0..3000usize {
            let k = format!("k:{}", (i * 7919) % n);
            let v = format!("v{}", (i * 7919) % n);
            match i % 10 {
                0..=2 => {
                    buf.extend(encode(&[b"GET", k.as_bytes()]));
                    want.push(Frame::bulk(&v));
                }
                3 => {
                    // With a TTL: lookups ahead then also visit the expiry table.
                    buf.extend(encode(&[b"SET", format!("new:{i}").as_bytes(), b"x", b"EX", b"1000"]));
                    want.push(Frame::simple("OK"));
                }
                4 => {
                    buf.extend(encode(&[b"GET", format!("never:{i}").as_bytes()]));
                    want.push(Frame::NilBulk);
                }
                5 => {
                    buf.extend(encode(&[b"GET", format!("new:{}", i - 2).as_bytes()]));
                    want.push(Frame::bulk("x"));
                }
                6 => {
                    buf.extend(encode(&[b"DEL", format!("new:{}", i - 3).as_bytes()]));
                    want.push(Frame::Int(1));
                }
                7 => {
                    buf.extend(encode(&[b"OBJECT", b"ENCODING", k.as_bytes()]));
                    want.push(Frame::bulk("embstr"));
                }
                8 => {
                    buf.extend(encode(&[b"PING"]));
                    want.push(Frame::simple("PONG"));
                }
                _ => {
                    buf.extend(encode(&[b"NOSUCH", k.as_bytes()]));
                    want.push(Frame::error(&format!(
                        "ERR unknown command 'NOSUCH', with args beginning with: '{k}' "
                    )));
                }
            }
        }
        let got = pipeline(&mut r, buf, want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "--shards {shards}, request {i}");
        }
        // Half a frame, then the rest in a second write.
        let frame = encode(&[b"GET", b"k:12345"]);
        let (a, b) = frame.split_at(frame.len() - 4);
        let mut two = encode(&[b"GET", b"k:1"]);
        two.extend_from_slice(a);
        r.send(&two);
        std::thread::sleep(std::time::Duration::from_millis(20));
        r.send(b);
        assert_eq!(r.read(), Frame::bulk("v1"));
        assert_eq!(r.read(), Frame::bulk("v12345"));
        assert_eq!(r.cmd(&["DBSIZE"]), Frame::Int(n as i64));
    }
}
