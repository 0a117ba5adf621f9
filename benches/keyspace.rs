//! One shard's keyspace and command dispatch: GET/SET straight on a
//! `keyspace::Db`, the same through the command table and handlers (what a
//! shard does per request once it is parsed), the key → slot hash that
//! routes every keyed command, and a batch of lookups in a keyspace too
//! large for the caches, with and without looking the keys up ahead
//! (`Db::warm`, what a pipelined batch gets).
//!
//! `cargo bench --bench keyspace`.

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringkv::commands::{Args, Ctx, Exec, lookup};
use ringkv::keyspace::{Keyspace, Value};
use ringkv::protocol::{Limits, encode, parse_request_into, scan_requests};
use ringkv::route;
use std::hint::black_box;
use std::time::Duration;

/// Keys in the pre-filled database, about what `-r 100000` touches.
const KEYS: usize = 100_000;

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

fn filled() -> Keyspace {
    let mut ks = Keyspace::default();
    let db = ks.db(0);
    for i in 0..KEYS {
        db.set(&key(i), Value::Str(Bytes::from_static(b"xxx").into()));
    }
    ks
}

fn db_ops(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let mut ks = filled();
    let mut g = c.benchmark_group("db");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("get hit", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            black_box(ks.db(0).get(&keys[i], 1000).is_some())
        })
    });
    g.bench_function("get miss", |b| {
        let missing = b"nokey:000000000000";
        b.iter(|| black_box(ks.db(0).get(missing, 1000).is_some()))
    });
    g.bench_function("set overwrite 3B", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYS;
            ks.db(0).set(&keys[i], Value::Str(Bytes::copy_from_slice(b"yyy").into()))
        })
    });
    g.bench_function("set insert+remove 3B", |b| {
        let k = b"fresh:000000000000";
        b.iter(|| {
            ks.db(0).set(k, Value::Str(Bytes::copy_from_slice(b"zzz").into()));
            black_box(ks.db(0).remove(k, 1000).is_some())
        })
    });
    g.finish();
}

/// Runs `argv` through the command table as a shard does: lookup, arity,
/// handler on a `Ctx`.
fn dispatch_one(ks: &mut Keyspace, argv: &[Bytes]) -> bool {
    let spec = lookup(&argv[0]).expect("known command");
    assert!(spec.arity_ok(argv.len()));
    let Exec::Shard(f) = spec.exec else { panic!("not a shard command") };
    let mut ctx = Ctx::new(ks, 0, 1000, 512 << 20);
    f(&mut ctx, &mut Args::new(argv)).is_ok()
}

fn dispatch(c: &mut Criterion) {
    let mut ks = filled();
    let argvs = |cmd: &'static [u8], value: Option<&'static [u8]>| -> Vec<Vec<Bytes>> {
        (0..1024)
            .map(|i| {
                let mut v = vec![Bytes::from_static(cmd), Bytes::from(key(i * 97 % KEYS))];
                v.extend(value.map(Bytes::from_static));
                v
            })
            .collect()
    };
    let mut g = c.benchmark_group("dispatch");
    g.throughput(Throughput::Elements(1));
    for (name, cmds) in [
        ("GET", argvs(b"GET", None)),
        ("SET 3B", argvs(b"SET", Some(b"xxx"))),
        ("INCR", argvs(b"INCR", None)),
    ] {
        if name == "INCR" {
            // INCR needs integer values.
            for argv in &cmds {
                ks.db(0).set(&argv[1], Value::Str(Bytes::from_static(b"1").into()));
            }
        }
        let mut i = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % cmds.len();
                black_box(dispatch_one(&mut ks, &cmds[i]))
            })
        });
    }
    g.bench_function("lookup only", |b| b.iter(|| black_box(lookup(black_box(b"get")).is_some())));
    g.finish();
}

/// A pipelined batch of 16 GETs of random keys among 2M, parsed, run
/// through the command table and encoded one request after another, as a
/// connection does; then the same with the batch's keys looked up ahead
/// (`scan_requests` + `Db::warm`, what `Conn::prewarm` does). Back-to-back
/// lookups would overlap on their own; the work between them is what keeps
/// a batch's misses in series.
fn large(c: &mut Criterion) {
    const BIG: usize = 2_000_000;
    let mut ks = Keyspace::default();
    for i in 0..BIG {
        ks.db(0).set(&key(i), Value::Str(Bytes::from_static(b"xxx").into()));
    }
    let mut x: u64 = 1;
    let batches: Vec<Vec<u8>> = (0..4096)
        .map(|_| {
            let mut buf = Vec::new();
            for _ in 0..16 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let k = key((x >> 33) as usize % BIG);
                buf.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n${}\r\n", k.len()).as_bytes());
                buf.extend_from_slice(&k);
                buf.extend_from_slice(b"\r\n");
            }
            buf
        })
        .collect();
    let mut g = c.benchmark_group("large keyspace");
    g.throughput(Throughput::Elements(16));
    let limits = Limits::default();
    let mut out = BytesMut::with_capacity(4096);
    for warm in [false, true] {
        let name = if warm {
            "pipelined 16 GETs of 2M keys, looked up ahead"
        } else {
            "pipelined 16 GETs of 2M keys"
        };
        let mut n = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                n = (n + 1) % batches.len();
                let mut buf = BytesMut::from(&batches[n][..]);
                if warm {
                    let mut keys: Vec<&[u8]> = Vec::with_capacity(16);
                    scan_requests(&batches[n], 64, |_, k| keys.extend(k));
                    ks.db(0).warm(keys.into_iter());
                }
                let mut argv = Vec::new();
                out.clear();
                while parse_request_into(&mut buf, &limits, b"GET", &mut argv).expect("valid batch") {
                    let spec = lookup(&argv[0]).expect("GET");
                    let Exec::Shard(f) = spec.exec else { unreachable!() };
                    let mut ctx = Ctx::new(&mut ks, 0, 1000, 512 << 20);
                    let reply = f(&mut ctx, &mut Args::new(&argv)).expect("a reply");
                    encode(&mut out, &reply, false);
                    argv.clear();
                }
                black_box(out.len())
            })
        });
    }
    g.finish();
}

fn slot(c: &mut Criterion) {
    let mut g = c.benchmark_group("route");
    g.throughput(Throughput::Elements(1));
    let k = key(4242);
    g.bench_function("slot key:<12 digits>", |b| b.iter(|| route::slot(black_box(&k))));
    g.bench_function("slot {tag}key", |b| b.iter(|| route::slot(black_box(b"{user1000}.following"))));
    g.finish();
}

/// Short runs: the whole `cargo bench` should take a few minutes on 2 cores.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = db_ops, dispatch, slot, large
}
criterion_main!(benches);
