//! One shard's keyspace and command dispatch: GET/SET straight on a
//! `keyspace::Db`, the same through the command table and handlers (what a
//! shard does per request once it is parsed), and the key → slot hash that
//! routes every keyed command.
//!
//! `cargo bench --bench keyspace`.

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ringkv::commands::{Args, Ctx, Exec, lookup};
use ringkv::keyspace::{Keyspace, Value};
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
    targets = db_ops, dispatch, slot
}
criterion_main!(benches);
