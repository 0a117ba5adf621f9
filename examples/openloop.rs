//! An open-loop latency probe: `conns` connections each send one GET every
//! `conns / rate` seconds on a fixed schedule, whether or not the server
//! has answered the last, and each reply's latency is counted from its
//! scheduled send time (so a slow server cannot slow the load down and
//! hide its queueing, as a closed loop like redis-benchmark does).
//!
//! One thread, busy-polling its clock and an epoll set; pin it to a core
//! of its own. `scripts/latency` runs it against ringkv with and without
//! naps (`--coalesce-us`).
//!
//! Usage: openloop PORT CONNS RATE SECONDS

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const GET: &[u8] = b"*2\r\n$3\r\nGET\r\n$7\r\nlatency\r\n";

struct Conn {
    s: TcpStream,
    /// Scheduled send times of the requests still unanswered, oldest first.
    inflight: std::collections::VecDeque<Instant>,
    next: Instant,
    /// Bytes of a reply read so far (replies are `$-1\r\n`: the key is absent).
    partial: usize,
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 5 {
        eprintln!("usage: openloop PORT CONNS RATE SECONDS");
        std::process::exit(2);
    }
    let (port, n, rate, secs): (u16, usize, f64, f64) =
        (a[1].parse().unwrap(), a[2].parse().unwrap(), a[3].parse().unwrap(), a[4].parse().unwrap());
    let period = Duration::from_secs_f64(n as f64 / rate);
    // SAFETY: plain syscall; closed at exit.
    let ep = unsafe { libc::epoll_create1(0) };
    let start = Instant::now() + Duration::from_millis(50);
    let mut conns: Vec<Conn> = (0..n)
        .map(|i| {
            let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.set_nodelay(true).unwrap();
            s.set_nonblocking(true).unwrap();
            let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: i as u64 };
            // SAFETY: valid fds; `ev` outlives the call.
            unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, s.as_raw_fd(), &mut ev) };
            // Spread the connections' schedules evenly over one period.
            let next = start + period.mul_f64(i as f64 / n as f64);
            Conn { s, inflight: Default::default(), next, partial: 0 }
        })
        .collect();
    let end = start + Duration::from_secs_f64(secs);
    let warm = start + Duration::from_secs_f64(secs / 10.0);
    let mut lat: Vec<u32> = Vec::with_capacity((rate * secs) as usize);
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut buf = [0u8; 4096];
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        for c in conns.iter_mut() {
            while c.next <= now {
                c.s.write_all(GET).expect("write");
                c.inflight.push_back(c.next);
                c.next += period;
            }
        }
        // SAFETY: `events` has room for its length; timeout 0.
        let k = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, 0) };
        for ev in &events[..k.max(0) as usize] {
            let c = &mut conns[ev.u64 as usize];
            while let Ok(got) = c.s.read(&mut buf) {
                if got == 0 {
                    panic!("server closed the connection");
                }
                let t = Instant::now();
                c.partial += got;
                while c.partial >= 5 {
                    c.partial -= 5;
                    let sent = c.inflight.pop_front().expect("a reply nobody asked for");
                    if sent >= warm {
                        lat.push((t - sent).as_nanos().min(u32::MAX as u128) as u32);
                    }
                }
            }
        }
    }
    lat.sort_unstable();
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize] as f64 / 1000.0;
    println!(
        "conns={n} rate={rate} replies={} p50={:.1}us p90={:.1}us p99={:.1}us p99.9={:.1}us",
        lat.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999)
    );
}
