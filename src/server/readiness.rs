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
}

/// A shard's epoll set and the readiness of each registered socket.
pub struct Readiness {
    epfd: OwnedFd,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
}

impl Readiness {
    pub fn new() -> io::Result<Rc<Readiness>> {
        // SAFETY: plain syscall; the fd is owned from here on.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Rc::new(Readiness { epfd, slots: RefCell::default(), free: RefCell::default() }))
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

    /// The shard's poller task: waits for the epoll fd on the ring, then
    /// marks and wakes every socket that reported data.
    pub async fn run(self: Rc<Self>) {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; BATCH];
        loop {
            if let Err(e) = glommio::io::poll_readable(self.epfd.as_raw_fd()).await {
                tracing::error!("epoll poll failed: {e}");
                glommio::timer::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
            loop {
                // SAFETY: `events` has room for BATCH entries; timeout 0.
                let n =
                    unsafe { libc::epoll_wait(self.epfd.as_raw_fd(), events.as_mut_ptr(), BATCH as i32, 0) };
                if n <= 0 {
                    break;
                }
                let mut slots = self.slots.borrow_mut();
                for ev in &events[..n as usize] {
                    if let Some(s) = slots.get_mut(ev.u64 as usize) {
                        s.ready = true;
                        s.closed |=
                            ev.events & (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0;
                        if let Some(w) = s.waker.take() {
                            w.wake();
                        }
                    }
                }
                if (n as usize) < BATCH {
                    break;
                }
            }
        }
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
