//! Read readiness of a shard's client sockets: one edge-triggered epoll set
//! per shard, itself polled through the shard's io_uring ring.
//!
//! glommio's own socket read arms a one-shot io_uring poll on the socket
//! after every short read: a submission, a wait-queue entry, task work and
//! a completion per read batch and client. Here each client socket is
//! registered once (`EPOLLIN | EPOLLRDHUP | EPOLLET`); the ring polls only
//! the epoll fd, and one `epoll_wait` hands out every socket that got data
//! since the last one, as Redis's event loop does. Writes still go through
//! glommio (`send` first, a poll only when the socket buffer is full).
//!
//! Edge-triggered, because a client that is busy (parked on a blocking
//! command, or waiting on another shard) may leave data unread: with level
//! triggering the epoll fd would stay readable and the shard would spin.
//! Every arrival after a short read raises an edge, which marks the slot
//! ready whether or not its task is waiting yet, so no wake-up is lost; a
//! hang-up marks it closed for good.
//!
//! Naps. With many connections and a fast shard, the shard runs dry after
//! every few requests and sleeps; each client packet that arrives while the
//! ring's poll is armed wakes it, and the client's `send` pays for that
//! wake-up (the epoll callback, task work, waking the thread). When the
//! clients are coming back fast enough, the poller instead sleeps on a timer
//! for a short nap with nothing armed: packets meanwhile only join the epoll
//! ready list, and one `epoll_wait` takes them all when the nap ends. The nap
//! is at most an eighth of the time a connection takes between two requests
//! (so a closed loop of few clients, which waits on its replies, loses at
//! most about that share of its rate, and below 10 µs no nap is taken at
//! all), only when at least one request is due within it (a lone or slow
//! client never naps), only while the shard's thread is busy at least 70% of
//! the time (an open loop at a moderate rate would pay the nap in latency
//! and gain nothing; `scripts/latency`), and never longer than
//! `--coalesce-us` (default 50).
//! Measured pinned against a 50-client redis-benchmark: `-P 1` GET +7-15%
//! requests/s at about 10% less CPU per request, `-P 16` GET 6-9% less CPU;
//! 1-16 clients unchanged (README, "Latest results"). Redis needs none of
//! this: its slower loop is still busy when the next packet comes.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// Events taken per `epoll_wait`; more are taken by calling it again.
const BATCH: usize = 256;

#[derive(Default)]
struct Slot {
    ready: bool,
    /// The peer shut down or the socket failed: reads end without waiting.
    /// (Data and the FIN often come in one edge; after a short read of the
    /// data, no further edge would say the end is there to be read.)
    closed: bool,
    waker: Option<Waker>,
    /// When the set last reported data on it (`Pace` clock, ns; 0: never).
    seen: u64,
}

/// A shard's epoll set and the readiness of each registered socket.
pub struct Readiness {
    epfd: OwnedFd,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
    /// The longest nap; zero: never nap.
    max_nap: u64,
    /// Naps taken, for INFO.
    naps: Cell<u64>,
}

impl Readiness {
    /// `max_nap_us`: `--coalesce-us`, the longest nap (0: none).
    pub fn new(max_nap_us: u64) -> io::Result<Rc<Readiness>> {
        // SAFETY: plain syscall; the fd is owned from here on.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Rc::new(Readiness {
            epfd,
            slots: RefCell::default(),
            free: RefCell::default(),
            max_nap: max_nap_us.saturating_mul(1000),
            naps: Cell::new(0),
        }))
    }

    /// Registers a socket; reads on it go through the returned value, which
    /// must be dropped before the socket is closed.
    pub fn register(self: &Rc<Self>, fd: RawFd) -> io::Result<Registration> {
        let slot = match self.free.borrow_mut().pop() {
            Some(i) => i,
            None => {
                let mut slots = self.slots.borrow_mut();
                slots.push(Slot::default());
                slots.len() - 1
            }
        };
        // A reused slot was reset when its last registration dropped.
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
            u64: slot as u64,
        };
        // SAFETY: valid epoll fd and socket fd; `ev` outlives the call.
        if unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            self.free.borrow_mut().push(slot);
            return Err(io::Error::last_os_error());
        }
        Ok(Registration { set: self.clone(), fd, slot, drained: Cell::new(false) })
    }

    /// Naps taken so far.
    pub fn naps(&self) -> u64 {
        self.naps.get()
    }

    /// The shard's poller task: waits for the epoll fd on the ring, or naps
    /// (see the module doc), then marks and wakes every socket that
    /// reported data.
    pub async fn run(self: Rc<Self>) {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; BATCH];
        let mut pace = Pace::new(self.max_nap);
        loop {
            if let Some(nap) = pace.nap() {
                // Let the connections just woken run, then look again.
                futures_lite::future::yield_now().await;
                if self.drain(&mut events, &mut pace) > 0 {
                    continue;
                }
                self.naps.set(self.naps.get() + 1);
                glommio::timer::sleep(nap).await;
                if self.drain(&mut events, &mut pace) > 0 {
                    continue;
                }
            }
            if let Err(e) = glommio::io::poll_readable(self.epfd.as_raw_fd()).await {
                tracing::error!("epoll poll failed: {e}");
                glommio::timer::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
            self.drain(&mut events, &mut pace);
        }
    }

    /// Takes every report the set holds, marks and wakes those sockets;
    /// returns how many there were.
    fn drain(&self, events: &mut [libc::epoll_event], pace: &mut Pace) -> usize {
        let mut total = 0;
        let mut now = 0;
        loop {
            // SAFETY: `events` has room for its length; timeout 0.
            let n = unsafe {
                libc::epoll_wait(self.epfd.as_raw_fd(), events.as_mut_ptr(), events.len() as i32, 0)
            };
            if n <= 0 {
                break;
            }
            total += n as usize;
            now = pace.now();
            let mut slots = self.slots.borrow_mut();
            for ev in &events[..n as usize] {
                if let Some(s) = slots.get_mut(ev.u64 as usize) {
                    pace.socket(s.seen, now);
                    s.seen = now;
                    s.ready = true;
                    s.closed |= ev.events & (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0;
                    if let Some(w) = s.waker.take() {
                        w.wake();
                    }
                }
            }
            if (n as usize) < events.len() {
                break;
            }
        }
        if total > 0 {
            pace.drained(total, now);
        }
        total
    }
}

/// A nap is at most this share of a connection's time between requests.
const NAP_SHARE: u64 = 8;
/// Shorter naps are not taken: a timer wake-up would cost the shard more
/// than the packet wake-ups it saves.
const NAP_MIN_NS: u64 = 10_000;
/// Samples are capped here, so one long idle spell does not dominate.
const SAMPLE_CAP_NS: u64 = 10_000_000;
/// Naps only when the shard's thread was busy at least this share of the
/// time (per mille): below it, a nap would add latency to a server that has
/// CPU to spare, for clients that are not waiting on it in a closed loop.
const BUSY_MIN: u64 = 700;
/// The busy share is measured over windows of at least this long.
const WINDOW_NS: u64 = 1_000_000;

/// `avg` moved `1/weight` of the way to `sample`; the first sample seeds it.
fn ewma(avg: u64, sample: u64, weight: u64) -> u64 {
    if avg == 0 { sample } else { avg - avg / weight + sample / weight }
}

/// CPU time of the calling thread, ns.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: valid clock id and out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// How fast the shard's clients come back, to decide whether to nap.
struct Pace {
    t0: std::time::Instant,
    /// EWMA (1/16) of the time between two reports on one socket, ns.
    cycle: u64,
    /// EWMA (1/8) of the time between two reports on any socket, ns.
    arrival: u64,
    /// When the last drain found data.
    last: u64,
    max: u64,
    /// Start of the current busy window (wall and thread CPU time, ns).
    win_start: u64,
    win_cpu: u64,
    /// EWMA (1/4) of the thread's busy share per window, per mille.
    busy: u64,
}

impl Pace {
    fn new(max: u64) -> Pace {
        Pace {
            t0: std::time::Instant::now(),
            cycle: 0,
            arrival: 0,
            last: 0,
            max,
            win_start: 0,
            win_cpu: 0,
            busy: 0,
        }
    }

    /// Nanoseconds since start, never 0 (0 marks "never seen").
    fn now(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64 + 1
    }

    /// A socket last seen at `seen` reported data again at `now`.
    fn socket(&mut self, seen: u64, now: u64) {
        if seen != 0 {
            self.cycle = ewma(self.cycle, (now - seen).min(SAMPLE_CAP_NS), 16);
        }
    }

    /// A drain at `now` found `n` reports.
    fn drained(&mut self, n: usize, now: u64) {
        if self.last != 0 {
            self.arrival = ewma(self.arrival, ((now - self.last) / n as u64).min(SAMPLE_CAP_NS), 8);
        }
        self.last = now;
        if now - self.win_start >= WINDOW_NS {
            let cpu = thread_cpu_ns();
            let b = ((cpu - self.win_cpu) * 1000 / (now - self.win_start)).min(1000);
            // Not seeded by the first window: the shard starts counted as idle.
            self.busy = self.busy - self.busy / 4 + b / 4;
            (self.win_start, self.win_cpu) = (now, cpu);
        }
    }

    /// How long to nap instead of arming the poll, if at all.
    fn nap(&self) -> Option<std::time::Duration> {
        let d = (self.cycle / NAP_SHARE).min(self.max);
        (d >= NAP_MIN_NS && d >= self.arrival && self.busy >= BUSY_MIN)
            .then(|| std::time::Duration::from_nanos(d))
    }
}

/// One socket's membership in the set; reads through it.
pub struct Registration {
    set: Rc<Readiness>,
    fd: RawFd,
    slot: usize,
    /// The last read came back short or empty: wait for an edge before the
    /// next `recv` rather than spend a syscall to learn there is nothing.
    drained: Cell<bool>,
}

impl Registration {
    /// Reads what the socket holds, waiting for data when it has none.
    /// `Ok(0)` is end of stream.
    /// `buf` may be uninitialized: the bytes read are written, never read.
    pub async fn read(&self, buf: &mut [std::mem::MaybeUninit<u8>]) -> io::Result<usize> {
        loop {
            if self.drained.get() {
                self.wait().await;
            }
            // SAFETY: `buf` is valid for `buf.len()` bytes.
            let n = unsafe { libc::recv(self.fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
            if n >= 0 {
                let n = n as usize;
                self.drained.set(n < buf.len());
                return Ok(n);
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::WouldBlock => self.drained.set(true),
                io::ErrorKind::Interrupted => {}
                _ => return Err(e),
            }
        }
    }

    /// Waits until the poller has seen an edge since the last wait.
    async fn wait(&self) {
        poll_fn(|cx| {
            let mut slots = self.set.slots.borrow_mut();
            let s = &mut slots[self.slot];
            if s.ready || s.closed {
                s.ready = false;
                s.waker = None;
                Poll::Ready(())
            } else {
                if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    s.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        })
        .await
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Explicitly: a dup of the socket (a replica handed to the
        // replication core) would otherwise keep it in the set.
        // SAFETY: valid epoll fd; the socket is still open (see `register`).
        unsafe {
            libc::epoll_ctl(self.set.epfd.as_raw_fd(), libc::EPOLL_CTL_DEL, self.fd, std::ptr::null_mut())
        };
        self.set.slots.borrow_mut()[self.slot] = Slot::default();
        self.set.free.borrow_mut().push(self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::Pace;
    use std::time::Duration;

    /// Feeds `conns` sockets reporting round-robin, one every `gap_ns`,
    /// one report per drain, and returns the nap the poller would take.
    fn nap_after(conns: usize, gap_ns: u64, max_us: u64) -> Option<Duration> {
        nap_when_busy(conns, gap_ns, max_us, 900)
    }

    /// The same, with the shard's thread busy `busy` per mille of the time.
    fn nap_when_busy(conns: usize, gap_ns: u64, max_us: u64, busy: u64) -> Option<Duration> {
        let mut p = Pace::new(max_us * 1000);
        let mut seen = vec![0u64; conns];
        let mut now = 1;
        for i in 0..conns * 200 {
            now += gap_ns;
            let s = &mut seen[i % conns];
            p.socket(*s, now);
            *s = now;
            p.drained(1, now);
        }
        p.busy = busy;
        p.nap()
    }

    #[test]
    fn many_busy_connections_nap_an_eighth_of_their_cycle() {
        // 50 connections, one request every 6 µs: each comes back every 300 µs.
        let nap = nap_after(50, 6_000, 50).expect("a nap");
        assert!((Duration::from_micros(36)..=Duration::from_micros(38)).contains(&nap), "{nap:?}");
        assert_eq!(nap_after(50, 6_000, 20), Some(Duration::from_micros(20)));
    }

    #[test]
    fn few_or_slow_clients_never_nap() {
        // 8 connections at full speed: a nap would be under 10 µs.
        assert_eq!(nap_after(8, 7_000, 50), None);
        // One connection: nothing else is due within any nap.
        assert_eq!(nap_after(1, 1_000_000, 50), None);
        assert_eq!(nap_after(1, 30_000, 50), None);
        // 50 connections, idle between requests: none due within the nap.
        assert_eq!(nap_after(50, 200_000, 50), None);
        // --coalesce-us 0.
        assert_eq!(nap_after(50, 6_000, 0), None);
    }

    #[test]
    fn a_shard_with_cpu_to_spare_never_naps() {
        // Many connections, but an open loop at a moderate rate: a nap would
        // only add latency.
        assert_eq!(nap_when_busy(50, 6_000, 50, 400), None);
        assert!(nap_when_busy(50, 6_000, 50, 750).is_some());
    }
}
