//! RESP codec micro-benchmarks: parsing a pipelined batch of requests as one
//! read returns it, parsing one large value, and encoding common replies.
//!
//! `cargo bench --bench protocol`; throughput is reported in bytes so runs
//! with different batch shapes compare.

use bytes::{Buf, Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ringkv::protocol::{Limits, Reply, encode, parse_request, simple_request};
use std::hint::black_box;
use std::time::Duration;

/// `n` pipelined `SET key:<12 digits> <value>` requests in RESP2 multibulk form,
/// the shape redis-benchmark sends with `-r` and `-P`.
fn pipelined_sets(n: usize, value: &[u8]) -> BytesMut {
    let mut buf = BytesMut::new();
    for i in 0..n {
        let key = format!("key:{i:012}");
        buf.extend_from_slice(
            format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n", key.len(), value.len()).as_bytes(),
        );
        buf.extend_from_slice(value);
        buf.extend_from_slice(b"\r\n");
    }
    buf
}

/// Parses every request in `buf`, as the connection loop does after a read.
fn parse_all(mut buf: BytesMut, limits: &Limits) -> usize {
    let mut n = 0;
    while let Some(args) = parse_request(&mut buf, limits).expect("valid RESP") {
        n += args.len();
        black_box(args);
    }
    n
}

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut g = c.benchmark_group("parse");
    for (name, n, value) in [
        ("100 SET 3B pipelined", 100, vec![b'x'; 3]),
        ("16 SET 1KiB pipelined", 16, vec![b'x'; 1024]),
        ("1 SET 1MiB", 1, vec![b'x'; 1 << 20]),
    ] {
        let batch = pipelined_sets(n, &value);
        g.throughput(Throughput::Bytes(batch.len() as u64));
        g.bench_function(name, |b| {
            b.iter_batched(|| batch.clone(), |buf| parse_all(buf, &limits), BatchSize::SmallInput)
        });
    }
    // The fast path's reading of the same SETs: recognized in place, no
    // argument split off the buffer (`simple_request`, `conn/fast.rs`).
    let batch = pipelined_sets(100, b"xxx");
    g.throughput(Throughput::Bytes(batch.len() as u64));
    g.bench_function("100 SET 3B pipelined, in place", |b| {
        b.iter_batched(
            || batch.clone(),
            |mut buf| {
                let mut n = 0;
                while let Some(req) = simple_request(&buf, limits.max_bulk) {
                    black_box((
                        &buf[req.key.0..req.key.0 + req.key.1],
                        &buf[req.val.0..req.val.0 + req.val.1],
                    ));
                    buf.advance(req.len);
                    n += 1;
                }
                n
            },
            BatchSize::SmallInput,
        )
    });
    // Inline commands (PING_INLINE in redis-benchmark).
    let inline = BytesMut::from(&b"PING\r\n".repeat(100)[..]);
    g.throughput(Throughput::Bytes(inline.len() as u64));
    g.bench_function("100 PING inline", |b| {
        b.iter_batched(|| inline.clone(), |buf| parse_all(buf, &limits), BatchSize::SmallInput)
    });
    g.finish();
}

fn encode_replies(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    let mget = Reply::Array((0..10).map(|_| Reply::Bulk(Bytes::from_static(b"xxx"))).collect());
    let big = Reply::Bulk(Bytes::from(vec![b'x'; 1 << 20]));
    let lrange100 = Reply::Array((0..100).map(|_| Reply::Bulk(Bytes::from_static(b"xxx"))).collect());
    let cases: Vec<(&str, Vec<Reply>)> = vec![
        ("100 +OK", vec![Reply::Ok; 100]),
        ("100 bulk 3B", vec![Reply::Bulk(Bytes::from_static(b"xxx")); 100]),
        ("100 integer", (0..100).map(|i| Reply::Int(i * 1_000_003)).collect()),
        ("100 nil", vec![Reply::Nil; 100]),
        ("16 MGET 10x3B", vec![mget; 16]),
        ("1 LRANGE 100x3B", vec![lrange100]),
        ("1 bulk 1MiB", vec![big]),
    ];
    let mut out = BytesMut::with_capacity(2 << 20);
    for (name, replies) in &cases {
        out.clear();
        for r in replies {
            encode(&mut out, r, false);
        }
        g.throughput(Throughput::Bytes(out.len() as u64));
        g.bench_function(*name, |b| {
            b.iter(|| {
                out.clear();
                for r in replies {
                    encode(&mut out, r, false);
                }
                black_box(out.len())
            })
        });
    }
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
    targets = parse, encode_replies
}
criterion_main!(benches);
