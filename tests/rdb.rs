//! The RDB codec against Debian's real `redis-server` (7.0: writes RDB 10
//! with listpack and quicklist encodings, LZF strings, intsets):
//!
//! - Redis writes, we read: a dataset with every type in its compact and
//!   large forms, TTLs and several databases is SAVEd by Redis and loaded
//!   with [`rdb::load`]; every key, value and expiry must match what Redis
//!   serves.
//! - We write, Redis reads: a file from [`rdb::encode_all`] passes
//!   `redis-check-rdb`, Redis loads it at start-up and serves the same
//!   dataset, and what Redis saves from it loads back equal.
//!
//! Every `redis-server` is killed on drop (also when a test panics), every
//! socket has a timeout and every tool runs under a deadline.

mod common;

use bytes::Bytes;
use common::{has_tool, require_tool, run_with_timeout};
use ringkv::keyspace::{Encodings, Entry, Hash, List, NUM_DBS, Set, Value, ZSet};
use ringkv::persistence::rdb::{self, LoadedKey};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "ringkv-rdb-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("create temp dir");
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `redis-server` on 127.0.0.1, killed by PID on drop.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts `redis-server` with its files in `dir` and waits until it
    /// accepts connections and has finished loading.
    fn start(dir: &Path, extra: &[&str]) -> Redis {
        require_tool("redis-server");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes"])
            // Redis's own defaults (Debian's build differs for hashes).
            .args(["--hash-max-listpack-entries", "128", "--zset-max-listpack-entries", "128"])
            .args(["--set-max-intset-entries", "512", "--list-max-listpack-size", "-2", "--dir"])
            .arg(dir)
            .args(extra)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let mut r = Redis { child, port };
        let deadline = Instant::now() + TIMEOUT;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(st) = r.child.try_wait().unwrap() {
                panic!("redis-server exited with {st} (log: {:?})", std::fs::read_to_string(dir.join("log")));
            }
            assert!(Instant::now() < deadline, "redis-server did not start within {TIMEOUT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        // A PING answers -LOADING while a dataset loads.
        let mut con = r.client();
        while redis::cmd("PING").query::<String>(&mut con).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not finish loading within {TIMEOUT:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        r
    }

    fn client(&self) -> redis::Connection {
        let c = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).unwrap();
        let con = c.get_connection_with_timeout(TIMEOUT).expect("connect to redis-server");
        con.set_read_timeout(Some(TIMEOUT)).unwrap();
        con.set_write_timeout(Some(TIMEOUT)).unwrap();
        con
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A value in a form both sides can produce and compare: sets and hashes
/// unordered, sorted sets by (score, member).
#[derive(Debug, Clone, PartialEq)]
enum Canon {
    Str(Vec<u8>),
    List(Vec<Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    ZSet(Vec<(Vec<u8>, f64)>),
}

fn sorted_zset(mut v: Vec<(Vec<u8>, f64)>) -> Canon {
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Canon::ZSet(v)
}

/// The canonical form of one of our values.
fn canon(v: &Value) -> Canon {
    match v {
        Value::Str(s) => Canon::Str(s.to_vec()),
        Value::List(l) => Canon::List(l.iter().map(|e| e.to_vec()).collect()),
        Value::Set(s) => Canon::Set(s.iter().map(|m| m.to_vec()).collect()),
        Value::Hash(h) => Canon::Hash(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()),
        Value::ZSet(z) => sorted_zset(z.iter().map(|(m, s)| (m.to_vec(), s)).collect()),
    }
}

fn q<T: redis::FromRedisValue>(con: &mut redis::Connection, args: &[&[u8]]) -> T {
    let mut c = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        c.arg(*a);
    }
    c.query(con).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(args[0])))
}

fn parse_score(s: &[u8]) -> f64 {
    match s {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        _ => std::str::from_utf8(s).unwrap().parse().unwrap(),
    }
}

/// Everything in database `db` of a running Redis: key → (value, expiry).
fn redis_dataset(con: &mut redis::Connection, db: usize) -> BTreeMap<Vec<u8>, (Canon, Option<u64>)> {
    let _: () = q(con, &[b"SELECT", db.to_string().as_bytes()]);
    let keys: Vec<Vec<u8>> = q(con, &[b"KEYS", b"*"]);
    let mut out = BTreeMap::new();
    for k in keys {
        let t: String = q(con, &[b"TYPE", &k]);
        let v = match t.as_str() {
            "string" => Canon::Str(q(con, &[b"GET", &k])),
            "list" => Canon::List(q(con, &[b"LRANGE", &k, b"0", b"-1"])),
            "set" => Canon::Set(q::<Vec<Vec<u8>>>(con, &[b"SMEMBERS", &k]).into_iter().collect()),
            "hash" => {
                let flat: Vec<Vec<u8>> = q(con, &[b"HGETALL", &k]);
                Canon::Hash(flat.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
            }
            "zset" => {
                let flat: Vec<Vec<u8>> = q(con, &[b"ZRANGE", &k, b"0", b"-1", b"WITHSCORES"]);
                sorted_zset(flat.chunks(2).map(|p| (p[0].clone(), parse_score(&p[1]))).collect())
            }
            other => panic!("unexpected type {other}"),
        };
        let at: i64 = q(con, &[b"PEXPIRETIME", &k]);
        out.insert(k, (v, (at >= 0).then_some(at as u64)));
    }
    out
}

/// Loaded keys grouped like [`redis_dataset`].
fn our_dataset(keys: &[LoadedKey], db: usize) -> BTreeMap<Vec<u8>, (Canon, Option<u64>)> {
    keys.iter()
        .filter(|k| k.db == db)
        .map(|k| (k.key.to_vec(), (canon(&k.entry.value), k.entry.expire_at)))
        .collect()
}

fn assert_same(
    ours: &BTreeMap<Vec<u8>, (Canon, Option<u64>)>,
    theirs: &BTreeMap<Vec<u8>, (Canon, Option<u64>)>,
) {
    assert_eq!(
        ours.keys().map(|k| String::from_utf8_lossy(k)).collect::<Vec<_>>(),
        theirs.keys().map(|k| String::from_utf8_lossy(k)).collect::<Vec<_>>()
    );
    for (k, v) in ours {
        assert_eq!(Some(v), theirs.get(k), "key {:?}", String::from_utf8_lossy(k));
    }
}

fn enc(con: &mut redis::Connection, key: &str) -> String {
    q(con, &[b"OBJECT", b"ENCODING", key.as_bytes()])
}

#[test]
fn redis_dump_loads_with_every_encoding() {
    let dir = TempDir::new();
    let redis = Redis::start(&dir.0, &[]);
    let mut con = redis.client();
    // Elements of 100 bytes and more become PLAIN quicklist nodes.
    let _: () = q(&mut con, &[b"DEBUG", b"QUICKLIST-PACKED-THRESHOLD", b"100"]);

    let mut p = redis::pipe();
    // Strings: raw, int-encoded of every width, LZF-compressed, binary, empty.
    p.cmd("SET").arg("s").arg("hello");
    for (k, v) in [("i8", "-7"), ("i16", "1234"), ("i32", "-2000000000"), ("i64", "9223372036854775807")] {
        p.cmd("SET").arg(k).arg(v);
    }
    p.cmd("SET").arg("lzf").arg("abcdefgh".repeat(500));
    p.cmd("SET").arg(&b"bin\x00\xffkey"[..]).arg(&b"\x00\x01\x02\xff"[..]);
    p.cmd("SET").arg("empty").arg("");
    // Lists: one listpack node with integers of every listpack width; many
    // nodes; plain nodes.
    p.cmd("RPUSH").arg("small_list").arg(&[
        "a",
        "0",
        "127",
        "128",
        "-1",
        "4095",
        "-4096",
        "4096",
        "32767",
        "-32768",
        "8388607",
        "-8388608",
        "2147483647",
        "-2147483648",
        "9223372036854775807",
        "-9223372036854775808",
        "",
        "012",
    ]);
    let big: Vec<String> = (0..1000).map(|i| format!("element-{i}-{}", "x".repeat(i % 90))).collect();
    p.cmd("RPUSH").arg("big_list").arg(&big);
    p.cmd("RPUSH").arg("plain_list").arg("short").arg("p".repeat(5000)).arg("tail");
    // Sets: intsets of every width, a small and a big string set.
    p.cmd("SADD").arg("iset16").arg(&["1", "2", "-3"]);
    p.cmd("SADD").arg("iset32").arg(&["1", "70000", "-70000"]);
    p.cmd("SADD").arg("iset64").arg(&["1", "9223372036854775807", "-9223372036854775808"]);
    p.cmd("SADD").arg("small_set").arg(&["a", "b", "c", "1"]);
    let members: Vec<String> = (0..1000).map(|i| format!("m{i}")).collect();
    p.cmd("SADD").arg("big_set").arg(&members);
    p.cmd("SADD").arg("big_iset").arg((0..1000).map(|i| (i * 7).to_string()).collect::<Vec<_>>());
    // Hashes: listpack (with integer values) and hashtable.
    p.cmd("HSET").arg("small_hash").arg(&["f1", "v1", "f2", "123", "f3", "", "42", "-99999"]);
    let fields: Vec<String> = (0..500).flat_map(|i| [format!("field{i}"), format!("value{i}")]).collect();
    p.cmd("HSET").arg("big_hash").arg(&fields);
    p.cmd("HSET").arg("long_value_hash").arg("f").arg("v".repeat(100));
    // Sorted sets: listpack (integer and fractional scores) and skiplist.
    p.cmd("ZADD")
        .arg("small_zset")
        .arg(&["1", "one", "2.5", "two", "-3", "neg", "inf", "top", "-inf", "bottom"]);
    p.cmd("ZADD").arg("small_zset").arg(&["0.1", "tenth", "1e100", "huge", "123456789012", "bigint"]);
    let scored: Vec<String> =
        (0..500).flat_map(|i| [format!("{}", i as f64 / 3.0), format!("z{i}")]).collect();
    p.cmd("ZADD").arg("big_zset").arg(&scored);
    // TTLs, in milliseconds and seconds.
    p.cmd("SET").arg("ttl_ms").arg("v").arg("PX").arg(1_000_000);
    p.cmd("PEXPIREAT").arg("small_hash").arg(4_102_444_800_123u64);
    p.cmd("EXPIRE").arg("big_list").arg(100_000);
    // Another database.
    p.cmd("SELECT").arg(3);
    p.cmd("SET").arg("in3").arg("three");
    p.cmd("RPUSH").arg("list3").arg(&["x", "y"]);
    p.cmd("SET").arg("ttl3").arg("t").arg("EX").arg(5000);
    p.cmd("SELECT").arg(15);
    p.cmd("SET").arg("s").arg("in fifteen");
    p.cmd("SELECT").arg(0);
    let _: () = p.query(&mut con).unwrap();

    // The encodings this test means to cover are really in use.
    for (k, e) in [
        ("small_hash", "listpack"),
        ("small_zset", "listpack"),
        ("iset16", "intset"),
        ("iset64", "intset"),
        ("big_set", "hashtable"),
        ("big_hash", "hashtable"),
        ("big_zset", "skiplist"),
        ("i16", "int"),
    ] {
        assert_eq!(enc(&mut con, k), e, "encoding of {k}");
    }
    let _: () = q(&mut con, &[b"SAVE"]);
    let data = std::fs::read(dir.0.join("dump.rdb")).expect("dump.rdb");
    assert!(data.starts_with(b"REDIS0010"), "Redis 7.0 writes RDB 10");

    let mut keys = Vec::new();
    let info = rdb::load(&data, |k| keys.push(k)).unwrap();
    assert_eq!(info.version, 10);
    assert!(info.aux("redis-ver").is_some_and(|v| v.starts_with("7.")), "{:?}", info.aux);
    assert_eq!(info.aux("redis-bits"), Some("64"));

    for db in 0..NUM_DBS {
        let theirs = redis_dataset(&mut con, db);
        let ours = our_dataset(&keys, db);
        assert_same(&ours, &theirs);
    }
    assert_eq!(keys.len(), 27);
    // Spot checks on what the generic comparison might hide.
    let get = |name: &[u8]| keys.iter().find(|k| k.db == 0 && &k.key[..] == name).unwrap();
    assert_eq!(canon(&get(b"lzf").entry.value), Canon::Str("abcdefgh".repeat(500).into_bytes()));
    assert_eq!(get(b"small_hash").entry.expire_at, Some(4_102_444_800_123));
    let Canon::List(l) = canon(&get(b"big_list").entry.value) else { panic!("not a list") };
    assert_eq!(l.len(), 1000);
    assert_eq!(l[999], big[999].as_bytes());
    assert!(get(b"big_list").entry.expire_at.is_some());
    let Canon::List(l) = canon(&get(b"plain_list").entry.value) else { panic!("not a list") };
    assert_eq!(l[1].len(), 5000);
}

/// `n` strings from a closure.
fn strs(n: usize, f: impl Fn(usize) -> String) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(f(i))).collect()
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Our dataset for the "we write, Redis reads" test.
fn our_values() -> Vec<(usize, Vec<(Bytes, Entry)>)> {
    let e = Encodings::default();
    let far = 4_102_444_800_000u64; // year 2100
    let entry = |value, expire_at| Entry { value, expire_at };
    let mut db0 = vec![
        (b("str"), entry(Value::Str(b("hello world").into()), None)),
        (b("empty"), entry(Value::Str(Bytes::new().into()), None)),
        (b("int8"), entry(Value::Str(b("-100").into()), None)),
        (b("int16"), entry(Value::Str(b("30000").into()), None)),
        (b("int32"), entry(Value::Str(b("-2147483648").into()), None)),
        (b("int64"), entry(Value::Str(b("9223372036854775807").into()), None)),
        (b("leading0"), entry(Value::Str(b("007").into()), None)),
        (
            Bytes::from_static(b"bin\x00\r\n\xff"),
            entry(Value::Str(Bytes::from_static(b"\x00\xfe\xff").into()), None),
        ),
        (b("large"), entry(Value::Str(Bytes::from(vec![b'L'; 1 << 20]).into()), Some(far))),
        (
            b("list"),
            entry(Value::List(List::from_elements(vec![b("a"), b("1"), Bytes::new(), b("a")], &e)), None),
        ),
        (b("big_list"), entry(Value::List(List::from_elements(strs(2000, |i| format!("e{i}")), &e)), None)),
        (b("set"), entry(Value::Set(Set::from_members(vec![b("x"), b("y")], &e)), Some(far + 1))),
        (b("int_set"), entry(Value::Set(Set::from_members(strs(10, |i| (i * 1000).to_string()), &e)), None)),
        (b("big_set"), entry(Value::Set(Set::from_members(strs(1000, |i| format!("m{i}")), &e)), None)),
        (
            b("hash"),
            entry(Value::Hash(Hash::from_pairs(vec![(b("f"), b("v")), (b("n"), b("12"))], &e)), None),
        ),
        (
            b("big_hash"),
            entry(
                Value::Hash(Hash::from_pairs(
                    strs(300, |i| format!("f{i}")).into_iter().zip(strs(300, |i| "v".repeat(i))),
                    &e,
                )),
                None,
            ),
        ),
        (
            b("zset"),
            entry(
                Value::ZSet(ZSet::from_pairs(
                    vec![
                        (b("a"), 1.0),
                        (b("b"), -2.5),
                        (b("c"), f64::INFINITY),
                        (b("d"), f64::NEG_INFINITY),
                        (b("e"), 1e-300),
                    ],
                    &e,
                )),
                None,
            ),
        ),
        (
            b("big_zset"),
            entry(
                Value::ZSet(ZSet::from_pairs(
                    strs(1000, |i| format!("z{i}"))
                        .into_iter()
                        .zip((0..1000).map(|i| i as f64 * 0.7 - 100.0)),
                    &e,
                )),
                None,
            ),
        ),
    ];
    db0.push((b("ttl"), entry(Value::Str(b("v").into()), Some(far + 123))));
    let mut dbs = vec![(0, db0)];
    for db in 1..NUM_DBS {
        dbs.push((
            db,
            vec![(
                Bytes::from(format!("key-in-{db}")),
                entry(Value::Str(Bytes::from(db.to_string()).into()), None),
            )],
        ));
    }
    dbs
}

fn aux() -> Vec<(&'static str, String)> {
    vec![
        ("redis-ver", "7.2.4".to_string()),
        ("redis-bits", "64".to_string()),
        ("ctime", "1700000000".to_string()),
        ("used-mem", "1048576".to_string()),
        ("repl-stream-db", "0".to_string()),
        ("repl-id", "0123456789abcdef0123456789abcdef01234567".to_string()),
        ("repl-offset", "0".to_string()),
        ("aof-base", "0".to_string()),
    ]
}

#[test]
fn redis_loads_our_file() {
    let dir = TempDir::new();
    let dbs = our_values();
    let file = rdb::encode_all(dbs.clone(), &aux());
    std::fs::write(dir.0.join("ours.rdb"), &file).unwrap();

    // Our own decoder agrees first.
    let mut back = Vec::new();
    let info = rdb::load(&file, |k| back.push(k)).unwrap();
    assert_eq!(info.version, rdb::VERSION);
    assert_eq!(info.aux("repl-id"), Some("0123456789abcdef0123456789abcdef01234567"));

    if has_tool("redis-check-rdb") {
        let mut cmd = Command::new("redis-check-rdb");
        cmd.arg(dir.0.join("ours.rdb"));
        let out = run_with_timeout(&mut cmd, None, TIMEOUT);
        let text =
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("RDB looks OK"), "redis-check-rdb:\n{text}");
    } else {
        eprintln!("redis-check-rdb not installed: skipping that check");
    }

    let redis = Redis::start(&dir.0, &["--dbfilename", "ours.rdb"]);
    let mut con = redis.client();
    for (db, entries) in &dbs {
        let want: BTreeMap<_, _> =
            entries.iter().map(|(k, e)| (k.to_vec(), (canon(&e.value), e.expire_at))).collect();
        let theirs = redis_dataset(&mut con, *db);
        assert_same(&want, &theirs);
    }
    let _: () = q(&mut con, &[b"SELECT", b"0"]);
    for (k, e) in
        [("int_set", "intset"), ("big_set", "hashtable"), ("hash", "listpack"), ("big_zset", "skiplist")]
    {
        assert_eq!(enc(&mut con, k), e, "encoding of {k} after Redis loaded it");
    }

    // What Redis saves from our data (now in its compact encodings) loads
    // back equal.
    let _: () = q(&mut con, &[b"SAVE"]);
    let resaved = std::fs::read(dir.0.join("ours.rdb")).unwrap();
    assert!(resaved.starts_with(b"REDIS0010"));
    let mut again = Vec::new();
    rdb::load(&resaved, |k| again.push(k)).unwrap();
    for (db, entries) in &dbs {
        let want: BTreeMap<_, _> =
            entries.iter().map(|(k, e)| (k.to_vec(), (canon(&e.value), e.expire_at))).collect();
        assert_same(&our_dataset(&again, *db), &want);
    }
}
