//! Cross-shard round trip: one side sends a request to a peer on another
//! core and waits for the reply, with 1, 16 or 256 requests in flight. The
//! figure is time per request (for N=1, the full round trip latency), the
//! same shape as the transport table in the design doc:
//!
//! - glommio `channel_mesh` (bounded SPSC `shared_channel`s, what the server's
//!   shards use), default executors;
//! - the same with `spin_before_park(100 µs)`;
//! - crossbeam-channel between two plain pinned threads.
//!
//! Both ends are pinned to the first two usable cores and live for the whole
//! group; criterion's thread only tells the driver how many requests to time.
//!
//! `cargo bench --bench cross_shard`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use glommio::channels::channel_mesh::MeshBuilder;
use glommio::{LocalExecutorBuilder, Placement};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Channel capacity; must hold every request in flight.
const CAPACITY: usize = 1024;
const STOP: u64 = u64::MAX;
const IN_FLIGHT: [u64; 3] = [1, 16, 256];

/// The first two CPUs this process may run on (the same CPU twice on a
/// one-core machine).
fn two_cpus() -> (usize, usize) {
    // SAFETY: sched_getaffinity fills the set we pass for this process.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } == 0;
    let cpus: Vec<usize> = match ok {
        true => (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect(),
        false => vec![0],
    };
    (cpus[0], *cpus.get(1).unwrap_or(&cpus[0]))
}

fn pin_thread(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t with one bit set, applied to this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A requester/responder pair; `run(iters, n)` times `iters` requests with
/// up to `n` in flight, measured on the requester's side.
struct Pair {
    ctl: crossbeam_channel::Sender<(u64, u64)>,
    done: crossbeam_channel::Receiver<Duration>,
    threads: Vec<JoinHandle<()>>,
}

impl Pair {
    fn run(&self, iters: u64, n: u64) -> Duration {
        self.ctl.send((iters, n)).expect("driver alive");
        self.done.recv().expect("driver alive")
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.ctl.send((0, 0));
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Both ends as glommio executors joined by a two-peer channel mesh.
fn glommio_pair(spin: Option<Duration>) -> Pair {
    let (cpu_a, cpu_b) = two_cpus();
    let mesh = MeshBuilder::<u64, _>::full(2, CAPACITY);
    let (ctl, ctl_rx) = crossbeam_channel::unbounded::<(u64, u64)>();
    let (done_tx, done) = crossbeam_channel::unbounded();
    let builder = |cpu: usize, name: &str| {
        let b = LocalExecutorBuilder::new(Placement::Fixed(cpu)).name(name);
        match spin {
            Some(d) => b.spin_before_park(d),
            None => b,
        }
    };
    let responder = {
        let mesh = mesh.clone();
        builder(cpu_b, "responder")
            .spawn(move || async move {
                let (tx, rx) = mesh.join().await.expect("mesh");
                let peer = 1 - tx.peer_id();
                while let Ok(Some(m)) = rx.recv_from(peer).await {
                    if m == STOP || tx.send_to(peer, m).await.is_err() {
                        break;
                    }
                }
            })
            .expect("spawn responder")
    };
    let requester = builder(cpu_a, "requester")
        .spawn(move || async move {
            let (tx, rx) = mesh.join().await.expect("mesh");
            let peer = 1 - tx.peer_id();
            // Blocking on the control channel is fine: between runs nothing
            // is in flight, so this executor has nothing else to do.
            while let Ok((iters, n)) = ctl_rx.recv() {
                if iters == 0 {
                    break;
                }
                let start = Instant::now();
                let (mut sent, mut got) = (0, 0);
                while sent < iters.min(n) {
                    tx.send_to(peer, sent).await.expect("send");
                    sent += 1;
                }
                while got < iters {
                    rx.recv_from(peer).await.expect("recv").expect("open");
                    got += 1;
                    if sent < iters {
                        tx.send_to(peer, sent).await.expect("send");
                        sent += 1;
                    }
                }
                done_tx.send(start.elapsed()).expect("bench alive");
            }
            let _ = tx.send_to(peer, STOP).await;
        })
        .expect("spawn requester");
    let threads = vec![
        std::thread::spawn(move || {
            requester.join().expect("requester");
        }),
        std::thread::spawn(move || {
            responder.join().expect("responder");
        }),
    ];
    Pair { ctl, done, threads }
}

/// Both ends as plain threads pinned to the two cores, crossbeam channels
/// between them (blocking receive: crossbeam spins briefly, then parks).
fn crossbeam_pair() -> Pair {
    let (cpu_a, cpu_b) = two_cpus();
    let (req_tx, req_rx) = crossbeam_channel::bounded::<u64>(CAPACITY);
    let (rep_tx, rep_rx) = crossbeam_channel::bounded::<u64>(CAPACITY);
    let (ctl, ctl_rx) = crossbeam_channel::unbounded::<(u64, u64)>();
    let (done_tx, done) = crossbeam_channel::unbounded();
    let responder = std::thread::spawn(move || {
        pin_thread(cpu_b);
        while let Ok(m) = req_rx.recv() {
            if m == STOP || rep_tx.send(m).is_err() {
                break;
            }
        }
    });
    let requester = std::thread::spawn(move || {
        pin_thread(cpu_a);
        while let Ok((iters, n)) = ctl_rx.recv() {
            if iters == 0 {
                break;
            }
            let start = Instant::now();
            let (mut sent, mut got) = (0, 0);
            while sent < iters.min(n) {
                req_tx.send(sent).expect("send");
                sent += 1;
            }
            while got < iters {
                rep_rx.recv().expect("recv");
                got += 1;
                if sent < iters {
                    req_tx.send(sent).expect("send");
                    sent += 1;
                }
            }
            done_tx.send(start.elapsed()).expect("bench alive");
        }
        let _ = req_tx.send(STOP);
    });
    Pair { ctl, done, threads: vec![requester, responder] }
}

/// A named way to build a requester/responder pair.
type Transport = (&'static str, fn() -> Pair);

fn round_trip(c: &mut Criterion) {
    let transports: [Transport; 3] = [
        ("glommio mesh", || glommio_pair(None)),
        ("glommio mesh spin 100us", || glommio_pair(Some(Duration::from_micros(100)))),
        ("crossbeam threads", crossbeam_pair),
    ];
    let mut g = c.benchmark_group("cross_shard_round_trip");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(1));
    for (name, make) in transports {
        let pair = make();
        for n in IN_FLIGHT {
            g.bench_function(format!("{name}/in_flight={n}"), |b| b.iter_custom(|iters| pair.run(iters, n)));
        }
    }
    g.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
