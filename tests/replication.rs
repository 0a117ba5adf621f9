//! Replication end to end: ringkv masters and replicas on loopback, and
//! interop both ways with Debian's redis-server. Every check is what a user
//! would look at: the replica's data, INFO replication, ROLE, WAIT.

mod common;

use common::{Exec, Server, key_on_shard, require_tool};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Polls `f` until it returns true or `secs` pass.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for: {what}");
}

fn info_field(c: &mut redis::Connection, field: &str) -> Option<String> {
    let text: String = c.ok(&["INFO", "replication"]);
    text.lines().find_map(|l| l.strip_prefix(&format!("{field}:")).map(|v| v.trim().to_string()))
}

fn link_up(replica: &Server) -> bool {
    info_field(&mut replica.client(), "master_link_status").as_deref() == Some("up")
}

fn start_replica(master: &Server, extra: &[&str]) -> Server {
    let port = master.port().to_string();
    let mut args = vec!["--replicaof", "127.0.0.1", port.as_str()];
    args.extend_from_slice(extra);
    let r = Server::with_args(&args);
    eventually(10, "replica link up", || link_up(&r));
    r
}

/// Every key of `db` with its type, value and absolute expiry.
fn dump(c: &mut redis::Connection, db: u8) -> BTreeMap<String, (String, String, i64)> {
    let _: () = c.ok(&["SELECT", &db.to_string()]);
    let keys: Vec<String> = c.ok(&["KEYS", "*"]);
    let mut out = BTreeMap::new();
    for k in keys {
        let t: String = c.ok(&["TYPE", &k]);
        let v = match t.as_str() {
            "string" => c.ok::<String>(&["GET", &k]),
            "list" => c.ok::<Vec<String>>(&["LRANGE", &k, "0", "-1"]).join(","),
            "hash" => {
                let mut m: Vec<(String, String)> =
                    c.ok::<BTreeMap<String, String>>(&["HGETALL", &k]).into_iter().collect();
                m.sort();
                format!("{m:?}")
            }
            "set" => {
                let mut m: Vec<String> = c.ok(&["SMEMBERS", &k]);
                m.sort();
                m.join(",")
            }
            "zset" => c.ok::<Vec<String>>(&["ZRANGE", &k, "0", "-1", "WITHSCORES"]).join(","),
            other => panic!("unexpected type {other} for {k}"),
        };
        let at: i64 = c.ok(&["PEXPIRETIME", &k]);
        out.insert(k, (t, v, at));
    }
    let _: () = c.ok(&["SELECT", "0"]);
    out
}

/// Waits until the replica's dataset (dbs 0 and 3) equals the master's.
fn assert_same_data(master: &Server, replica: &Server) {
    let mut m = master.client();
    let mut r = replica.client();
    let want: Vec<_> = [0u8, 3].iter().map(|&db| dump(&mut m, db)).collect();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        got = [0u8, 3].iter().map(|&db| dump(&mut r, db)).collect();
        if got == want {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    for (db, (w, g)) in want.iter().zip(&got).enumerate() {
        for (k, v) in w {
            if g.get(k) != Some(v) {
                panic!("db#{db}: key {k}: master {v:?}, replica {:?}", g.get(k));
            }
        }
        for k in g.keys() {
            assert!(w.contains_key(k), "db#{db}: replica has extra key {k}");
        }
    }
    panic!("datasets differ");
}

/// A mixed workload over every write family, keys spread over both shards.
fn workload(c: &mut redis::Connection, rounds: usize) {
    for i in 0..rounds {
        let k = |p: &str| format!("{p}:{}", i % 37);
        let _: redis::Value = c.ok(&["SET", &k("s"), &i.to_string()]);
        let _: redis::Value = c.ok(&["SET", &k("ex"), "v", "EX", "1000"]);
        let _: redis::Value = c.ok(&["INCR", &k("n")]);
        let _: redis::Value = c.ok(&["INCRBYFLOAT", &k("f"), "0.1"]);
        let _: redis::Value = c.ok(&["APPEND", &k("a"), "x"]);
        let _: redis::Value = c.ok(&["EXPIRE", &k("s"), "500"]);
        let _: redis::Value = c.ok(&["MSET", &k("m1"), "1", &k("m2"), "2", &k("m3"), "3"]);
        let _: redis::Value = c.ok(&["LPUSH", &k("l"), &i.to_string(), "y"]);
        let _: redis::Value = c.ok(&["RPOP", &k("l")]);
        let _: redis::Value = c.ok(&["HSET", &k("h"), "f", &i.to_string(), "g", "1"]);
        let _: redis::Value = c.ok(&["HINCRBYFLOAT", &k("h"), "g", "1.5"]);
        let _: redis::Value = c.ok(&["SADD", &k("set"), &i.to_string(), "a", "b", "c"]);
        let _: redis::Value = c.ok(&["SPOP", &k("set")]);
        let _: redis::Value = c.ok(&["ZADD", &k("z"), &i.to_string(), &format!("m{i}")]);
        let _: redis::Value = c.ok(&["ZINCRBY", &k("z"), "2", "m0"]);
        if i % 5 == 0 {
            let _: redis::Value = c.ok(&["DEL", &k("m1"), &k("a")]);
            let _: redis::Value = c.ok(&["RENAME", &k("m2"), &format!("renamed:{i}")]);
            let _: redis::Value =
                c.ok(&["SUNIONSTORE", &k("u"), &k("set"), &format!("set:{}", (i + 1) % 37)]);
        }
        if i % 3 == 0 {
            // Pipelined split commands on disjoint keys run concurrently;
            // each must still reach the replica as its own unit.
            let (a, b) = (|j: usize| format!("pm{j}:a:{}", i % 11), |j: usize| format!("pm{j}:b:{}", i % 11));
            let mut p = redis::pipe();
            for j in 0..8 {
                p.cmd("MSET").arg(a(j)).arg(i).arg(b(j)).arg(i).ignore();
            }
            p.cmd("DEL").arg(a(1)).arg(b(2)).arg("pm-missing").ignore();
            p.cmd("MSET").arg(a(1)).arg("again").arg(b(9)).arg(i).ignore();
            let _: () = p.query(c).unwrap();
        }
        if i % 7 == 0 {
            let _: () = c.ok(&["SELECT", "3"]);
            let _: redis::Value = c.ok(&["SET", &format!("db3:{i}"), "x", "PX", "900000"]);
            let _: () = c.ok(&["SELECT", "0"]);
        }
    }
}

#[test]
fn seed_steps_replica_follows_set_incr_and_roles() {
    let master = Server::start();
    let replica = start_replica(&master, &[]);
    let mut m = master.client();
    let mut r = replica.client();
    let _: () = m.ok(&["SET", "mykey", "hello"]);
    eventually(5, "replica GET mykey", || {
        r.ok::<Option<String>>(&["GET", "mykey"]).as_deref() == Some("hello")
    });
    assert_eq!(info_field(&mut m, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&mut r, "role").as_deref(), Some("slave"));
    assert_eq!(info_field(&mut m, "connected_slaves").as_deref(), Some("1"));
    let _: () = m.ok(&["SET", "c", "1"]);
    let _: i64 = m.ok(&["INCR", "c"]);
    eventually(5, "replica GET c == 2", || r.ok::<Option<String>>(&["GET", "c"]).as_deref() == Some("2"));
    // Offsets advance and agree once the replica caught up.
    eventually(5, "offsets agree", || {
        let mo = info_field(&mut m, "master_repl_offset").unwrap();
        let ro = info_field(&mut r, "slave_repl_offset").unwrap();
        mo != "0" && mo == ro
    });
    assert_eq!(info_field(&mut r, "master_replid"), info_field(&mut m, "master_replid"));
    // Writes on the replica are refused; reads are served.
    assert_eq!(r.err(&["SET", "x", "1"]), "READONLY You can't write against a read only replica.");
    let role: redis::Value = r.ok(&["ROLE"]);
    assert!(format!("{role:?}").contains("slave"), "{role:?}");
}

#[test]
fn every_family_replicates_to_an_identical_dataset() {
    let master = Server::start();
    let mut m = master.client();
    // Some data before the replica exists (full sync), the rest after (stream).
    workload(&mut m, 60);
    let replica = start_replica(&master, &[]);
    workload(&mut m, 120);
    assert_same_data(&master, &replica);
}

#[test]
fn replica_never_shows_a_later_write_without_an_earlier_one() {
    let master = Server::start();
    let replica = start_replica(&master, &[]);
    let x = key_on_shard("x", 0, 2);
    let y = key_on_shard("y", 1, 2);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let (x, y) = (x.clone(), y.clone());
        let mut r = replica.client();
        std::thread::spawn(move || {
            let mut checks = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Read y first: x was written before y, so x >= y.
                let yv: Option<i64> = r.ok(&["GET", &y]);
                let xv: Option<i64> = r.ok(&["GET", &x]);
                assert!(xv.unwrap_or(0) >= yv.unwrap_or(0), "replica shows y={yv:?} but x={xv:?}");
                checks += 1;
            }
            checks
        })
    };
    let mut m = master.client();
    for i in 1..=2000 {
        let _: () = m.ok(&["SET", &x, &i.to_string()]);
        let _: () = m.ok(&["SET", &y, &i.to_string()]);
    }
    let mut r = replica.client();
    eventually(10, "replica caught up", || r.ok::<Option<String>>(&["GET", &y]).as_deref() == Some("2000"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 10);
}

#[test]
fn a_replica_applies_a_transaction_as_one_unit() {
    let master = Server::start();
    let replica = start_replica(&master, &[]);
    // One transaction over two shards, one over a single shard.
    let (a, b) = (key_on_shard("a", 0, 2), key_on_shard("b", 1, 2));
    let (c, d) = ("{t}c".to_string(), "{t}d".to_string());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let keys = [a.clone(), b.clone(), c.clone(), d.clone()];
        let mut r = replica.client();
        std::thread::spawn(move || {
            let mut checks = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // MGET is atomic on the replica too: it sees both or neither.
                let v: Vec<Option<i64>> = r.ok(&["MGET", &keys[0], &keys[1], &keys[2], &keys[3]]);
                assert_eq!(v[0], v[1], "replica shows half a transaction: {v:?}");
                assert_eq!(v[2], v[3], "replica shows half a transaction: {v:?}");
                checks += 1;
            }
            checks
        })
    };
    let mut m = master.client();
    for _ in 0..1000 {
        for (x, y) in [(&a, &b), (&c, &d)] {
            let _: () = m.ok(&["MULTI"]);
            let _: String = m.ok(&["INCR", x]);
            let _: String = m.ok(&["INCR", y]);
            let _: Vec<i64> = m.ok(&["EXEC"]);
        }
    }
    let mut r = replica.client();
    eventually(10, "replica caught up", || r.ok::<Option<String>>(&["GET", &d]).as_deref() == Some("1000"));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 10);
    assert_same_data(&master, &replica);
    // The offsets agree: the units were counted whole.
    let mut mc = master.client();
    let mut rc = replica.client();
    eventually(5, "offsets agree", || {
        info_field(&mut mc, "master_repl_offset") == info_field(&mut rc, "master_repl_offset")
    });
}

#[test]
fn killed_replica_is_dropped_and_resyncs_when_back() {
    let master = Server::start();
    let mut m = master.client();
    let _: () = m.ok(&["SET", "before", "1"]);
    let replica = start_replica(&master, &[]);
    eventually(5, "one replica", || info_field(&mut m, "connected_slaves").as_deref() == Some("1"));
    drop(replica);
    eventually(3, "replica dropped", || info_field(&mut m, "connected_slaves").as_deref() == Some("0"));
    let _: () = m.ok(&["SET", "after", "2"]);
    let replica = start_replica(&master, &[]);
    let mut r = replica.client();
    eventually(5, "resynced", || r.ok::<Option<String>>(&["GET", "after"]).as_deref() == Some("2"));
    assert_eq!(r.ok::<Option<String>>(&["GET", "before"]).as_deref(), Some("1"));
}

#[test]
fn a_broken_link_continues_from_the_backlog() {
    let master = Server::start();
    let replica = start_replica(&master, &[]);
    let mut m = master.client();
    let _: () = m.ok(&["SET", "k", "1"]);
    let mut r = replica.client();
    eventually(5, "k replicated", || r.ok::<Option<String>>(&["GET", "k"]).as_deref() == Some("1"));
    let full_before = stat(&mut m, "sync_full");
    let killed: i64 = m.ok(&["CLIENT", "KILL", "TYPE", "replica"]);
    assert_eq!(killed, 1);
    let _: () = m.ok(&["SET", "k", "2"]);
    eventually(10, "k == 2 after reconnect", || {
        r.ok::<Option<String>>(&["GET", "k"]).as_deref() == Some("2")
    });
    assert_eq!(stat(&mut m, "sync_full"), full_before, "the reconnect must not be a full sync");
    assert!(stat(&mut m, "sync_partial_ok") >= 1);
}

fn stat(c: &mut redis::Connection, field: &str) -> i64 {
    let text: String = c.ok(&["INFO", "stats"]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("INFO stats has no {field}"))
        .trim()
        .parse()
        .unwrap()
}

/// A free port below the kernel's ephemeral range, so the replica's own
/// reconnect attempts cannot take it while the master is down.
fn stable_port() -> u16 {
    let seed = std::process::id() as u16;
    (0..2000u16)
        .map(|i| 20000 + (seed.wrapping_mul(7).wrapping_add(i * 13)) % 10000)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port")
}

#[test]
fn replica_reconnects_after_the_master_restarts() {
    let port = stable_port();
    let master = Server::with_args(&["--port", &port.to_string()]);
    let replica = start_replica(&master, &[]);
    drop(master);
    eventually(5, "link down", || !link_up(&replica));
    let master = Server::with_args(&["--port", &port.to_string()]);
    let mut m = master.client();
    eventually(10, "link up again", || link_up(&replica));
    let _: () = m.ok(&["SET", "fresh", "yes"]);
    let mut r = replica.client();
    eventually(5, "fresh replicated", || r.ok::<Option<String>>(&["GET", "fresh"]).as_deref() == Some("yes"));
}

#[test]
fn wait_counts_acknowledging_replicas() {
    let master = Server::start();
    let mut m = master.client();
    let _: () = m.ok(&["SET", "a", "1"]);
    assert_eq!(m.ok::<i64>(&["WAIT", "0", "100"]), 0);
    let t = Instant::now();
    assert_eq!(m.ok::<i64>(&["WAIT", "1", "200"]), 0);
    assert!(t.elapsed() >= Duration::from_millis(180), "WAIT must wait out its timeout");
    let r1 = start_replica(&master, &[]);
    let _: () = m.ok(&["SET", "a", "2"]);
    assert_eq!(m.ok::<i64>(&["WAIT", "1", "5000"]), 1);
    let r2 = start_replica(&master, &[]);
    let _: () = m.ok(&["SET", "a", "3"]);
    assert_eq!(m.ok::<i64>(&["WAIT", "2", "5000"]), 2);
    assert_eq!(r2.client().ok::<Option<String>>(&["GET", "a"]).as_deref(), Some("3"));
    drop(r1);
}

#[test]
fn replicaof_at_run_time_and_promotion() {
    let master = Server::start();
    let mut m = master.client();
    let _: () = m.ok(&["SET", "k", "v"]);
    let replica = Server::start();
    let mut r = replica.client();
    let _: () = r.ok(&["REPLICAOF", "127.0.0.1", &master.port().to_string()]);
    eventually(10, "link up", || link_up(&replica));
    eventually(5, "k replicated", || r.ok::<Option<String>>(&["GET", "k"]).as_deref() == Some("v"));
    let old_id = info_field(&mut r, "master_replid").unwrap();
    let _: () = r.ok(&["REPLICAOF", "NO", "ONE"]);
    assert_eq!(info_field(&mut r, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&mut r, "master_replid2").as_deref(), Some(old_id.as_str()));
    assert_ne!(info_field(&mut r, "master_replid").as_deref(), Some(old_id.as_str()));
    // Promoted: keeps its data and takes writes.
    assert_eq!(r.ok::<Option<String>>(&["GET", "k"]).as_deref(), Some("v"));
    let _: () = r.ok(&["SET", "k2", "v2"]);
}

#[test]
fn chained_replica_follows_with_the_same_replid() {
    let master = Server::start();
    let mid = start_replica(&master, &[]);
    let leaf = start_replica(&mid, &[]);
    let mut m = master.client();
    workload(&mut m, 40);
    assert_same_data(&master, &leaf);
    let mut l = leaf.client();
    assert_eq!(info_field(&mut l, "master_replid"), info_field(&mut m, "master_replid"));
}

#[test]
fn real_redis_replica_follows_a_ringkv_master() {
    require_tool("redis-server");
    let master = Server::start();
    let mut m = master.client();
    workload(&mut m, 60);
    let port = master.port().to_string();
    let redis = Server::real_redis(&["--replicaof", "127.0.0.1", &port]);
    eventually(15, "redis replica link up", || link_up(&redis));
    assert_same_data(&master, &redis);
    workload(&mut m, 60);
    assert_same_data(&master, &redis);
}

#[test]
fn ringkv_replica_follows_a_real_redis_master() {
    require_tool("redis-server");
    let redis = Server::real_redis(&[]);
    let mut m = redis.client();
    // Encodings a Redis 7 master writes: listpack, quicklist, intset, LZF, ints.
    for i in 0..300 {
        let _: redis::Value = m.ok(&["RPUSH", "biglist", &format!("element-{i}-{}", "x".repeat(i % 90))]);
        let _: redis::Value = m.ok(&["HSET", "bighash", &format!("f{i}"), &i.to_string()]);
        let _: redis::Value = m.ok(&["SADD", "bigset", &format!("m{i}")]);
        let _: redis::Value = m.ok(&["ZADD", "bigzset", &i.to_string(), &format!("z{i}")]);
    }
    let _: redis::Value = m.ok(&["RPUSH", "smalllist", "a", "b", "c"]);
    let _: redis::Value = m.ok(&["SADD", "intset", "1", "2", "3"]);
    let _: redis::Value = m.ok(&["HSET", "smallhash", "a", "1"]);
    let _: redis::Value = m.ok(&["ZADD", "smallzset", "1.5", "a", "-2", "b"]);
    let _: redis::Value = m.ok(&["SET", "int", "12345"]);
    let _: redis::Value = m.ok(&["SET", "long", &"compressible ".repeat(100)]);
    let _: redis::Value = m.ok(&["SET", "ttl", "v", "EX", "1000"]);
    let port = redis.port().to_string();
    let replica = Server::with_args(&["--replicaof", "127.0.0.1", &port]);
    eventually(15, "ringkv replica link up", || link_up(&replica));
    assert_same_data(&redis, &replica);
    // And keeps following the stream.
    let _: redis::Value = m.ok(&["LPUSH", "smalllist", "z"]);
    let _: redis::Value = m.ok(&["INCR", "int"]);
    let _: redis::Value = m.ok(&["SELECT", "3"]);
    let _: redis::Value = m.ok(&["SET", "in3", "x", "PX", "100000"]);
    let _: redis::Value = m.ok(&["SELECT", "0"]);
    assert_same_data(&redis, &replica);
}

/// Reads one `\r\n` line from a raw replica link.
fn raw_line(raw: &mut common::Raw) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    raw.reader.read_line(&mut line).expect("read line");
    line.trim_end().to_string()
}

/// Reads stream commands until `want` commands (ignoring PING) arrived.
fn stream_commands(raw: &mut common::Raw, want: usize) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    while out.len() < want {
        match raw.read() {
            common::Frame::Array(items) => {
                let argv: Vec<String> = items.iter().map(|f| f.text()).collect();
                if !argv[0].eq_ignore_ascii_case("PING") {
                    out.push(argv);
                }
            }
            other => panic!("unexpected frame in the stream: {other:?}"),
        }
    }
    out
}

/// Attaches to `master` by hand, as a replica does (REPLCONF, then PSYNC
/// ? -1), reads the full sync and waits until the master lists the link
/// as online. Returns the link and the RDB it received.
fn attach_raw(master: &Server, listening_port: u16) -> (common::Raw, Vec<u8>) {
    let mut raw = common::Raw::connect(master.port());
    let port = listening_port.to_string();
    assert_eq!(raw.cmd(&["REPLCONF", "listening-port", &port]), common::Frame::simple("OK"));
    assert_eq!(raw.cmd(&["REPLCONF", "capa", "psync2"]), common::Frame::simple("OK"));
    raw.send_cmd(&[b"PSYNC", b"?", b"-1"]);
    let full = raw_line(&mut raw);
    assert!(full.starts_with("+FULLRESYNC "), "{full}");
    let len: usize = raw_line(&mut raw).strip_prefix('$').expect("bulk RDB").parse().unwrap();
    let rdb = raw.read_exact_bytes(len);
    let mut m = master.client();
    let tag = format!("port={port},state=online");
    eventually(5, "raw replica online", || {
        let text: String = m.ok(&["INFO", "replication"]);
        text.contains(&tag)
    });
    (raw, rdb)
}

#[test]
fn a_replica_that_stops_acknowledging_is_dropped_after_repl_timeout() {
    let master = Server::start();
    let mut m = master.client();
    let _: () = m.ok(&["CONFIG", "SET", "repl-timeout", "2"]);
    // A real replica acknowledges every second and must stay.
    let replica = start_replica(&master, &[]);
    let (mut raw, _) = attach_raw(&master, 4322);
    assert_eq!(info_field(&mut m, "connected_slaves").as_deref(), Some("2"));
    // The raw link never sends REPLCONF ACK.
    eventually(10, "silent replica dropped", || {
        info_field(&mut m, "connected_slaves").as_deref() == Some("1")
    });
    assert!(raw.is_closed(), "the master closes the silent replica's socket");
    let kept = info_field(&mut m, "slave0").unwrap();
    assert!(!kept.contains("port=4322"), "the acknowledging replica stays: {kept}");
    let _: () = m.ok(&["SET", "after", "1"]);
    eventually(5, "replica still follows", || {
        replica.client().ok::<Option<String>>(&["GET", "after"]).as_deref() == Some("1")
    });
}

#[test]
fn a_replica_that_stops_reading_is_dropped_past_its_output_buffer_limit() {
    let master = Server::start();
    let mut m = master.client();
    let _: () = m.ok(&["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 0 0"]);
    let replica = start_replica(&master, &[]);
    // Keeps acknowledging (so repl-timeout is not what drops it) but never
    // reads: the stream piles up in the socket buffers, then in the
    // master's buffer for this replica.
    let (mut raw, _) = attach_raw(&master, 4323);
    let value = "v".repeat(512 * 1024);
    let mut sent = 0;
    while info_field(&mut m, "connected_slaves").as_deref() == Some("2") {
        assert!(sent < 200, "100 MB written and the stalled replica is still connected");
        let _: () = m.ok(&["SET", &format!("big{sent}"), &value]);
        raw.send_cmd(&[b"REPLCONF", b"ACK", b"0"]);
        sent += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(info_field(&mut m, "connected_slaves").as_deref(), Some("1"));
    assert!(!info_field(&mut m, "slave0").unwrap().contains("port=4323"));
    // The replica that reads got every write; the master never slowed down.
    let last = format!("big{}", sent - 1);
    eventually(10, "replica has every write", || {
        let mut r = replica.client();
        r.ok::<i64>(&["STRLEN", &last]) == value.len() as i64 && r.ok::<i64>(&["DBSIZE"]) == sent as i64
    });
}

#[test]
fn the_stream_carries_deterministic_effects() {
    let master = Server::start();
    let mut m = master.client();
    let _: () = m.ok(&["SET", "before", "1"]);
    let (mut raw, rdb_bytes) = attach_raw(&master, 4321);
    let mut loaded = Vec::new();
    ringkv::persistence::rdb::load(&rdb_bytes, |k| loaded.push(k.key)).expect("a valid RDB");
    assert_eq!(loaded, vec![bytes::Bytes::from_static(b"before")]);
    assert!(info_field(&mut m, "slave0").unwrap().contains("port=4321"));

    let a = key_on_shard("a", 0, 2);
    let b = key_on_shard("b", 1, 2);
    let _: () = m.ok(&["SET", "k", "v", "EX", "100"]);
    let _: String = m.ok(&["INCRBYFLOAT", "f", "1.5"]);
    let _: () = m.ok(&["MSET", &a, "1", &b, "2"]);
    let _: i64 = m.ok(&["EXPIRE", &a, "50"]);
    let _: i64 = m.ok(&["SADD", "s", "x"]);
    let _: String = m.ok(&["SPOP", "s"]);
    let _: i64 = m.ok(&["DEL", "nosuchkey"]);
    let _: i64 = m.ok(&["DEL", &a, &b]);
    let got = stream_commands(&mut raw, 8);
    let names: Vec<&str> = got.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(names, ["SELECT", "SET", "SET", "MSET", "PEXPIREAT", "SADD", "SREM", "DEL"], "{got:?}");
    // Relative expiries travel as absolute deadlines.
    assert_eq!(got[1][3], "PXAT");
    let at: i64 = got[1][4].parse().unwrap();
    let expected: i64 = m.ok(&["PEXPIRETIME", "k"]);
    assert_eq!(at, expected);
    assert_eq!(got[2], ["SET", "f", "1.5", "KEEPTTL"]);
    assert_eq!(got[3], ["MSET", a.as_str(), "1", b.as_str(), "2"], "a multi-shard command is one unit");
    assert_eq!(got[6], ["SREM", "s", "x"]);
    assert_eq!(got[7], ["DEL", a.as_str(), b.as_str()]);
    // master_repl_offset counted every byte sent.
    let off: u64 = info_field(&mut m, "master_repl_offset").unwrap().parse().unwrap();
    assert!(off > 0);
}

#[test]
fn slaveof_is_an_alias_of_replicaof() {
    let master = Server::start();
    let replica = Server::start();
    let mut r = replica.client();
    let _: () = r.ok(&["SLAVEOF", "127.0.0.1", &master.port().to_string()]);
    eventually(10, "link up", || link_up(&replica));
    let _: () = r.ok(&["SLAVEOF", "NO", "ONE"]);
    assert_eq!(info_field(&mut r, "role").as_deref(), Some("master"));
}

#[test]
fn the_seed_demo_script_passes() {
    require_tool("redis-cli");
    require_tool("nc");
    let a = stable_port();
    let b = a + 1;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/replication-demo");
    let out = common::run_with_timeout(
        std::process::Command::new("bash").args([script, &a.to_string(), &b.to_string()]),
        None,
        Duration::from_secs(240),
    );
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scripts/replication-demo failed:\n{text}");
    assert!(text.contains("replica GET c: 2"), "{text}");
    assert!(text.contains("replica GET mykey over nc: world"), "{text}");
}
