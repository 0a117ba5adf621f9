//! Server runtime: starts one glommio executor per shard, each pinned to a
//! core, each listening on the port with SO_REUSEPORT and serving the
//! connections it accepts; wires the shards into a full channel mesh; runs
//! the active expiry cycle; and shuts down on SIGTERM/SIGINT or SHUTDOWN.

mod admin;
mod admission;
mod blocking;
mod client;
mod config_cmd;
mod conn;
mod info;
mod locks;
mod multi;
mod readiness;

mod shard;
mod stream;
mod watch;

use crate::config::Config;
use crate::mesh::Msg;
use glommio::channels::channel_mesh::MeshBuilder;
use glommio::net::TcpListener;
use glommio::{LocalExecutorBuilder, Placement};
use shard::Shard;
use std::net::ToSocketAddrs;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// The shards' listening sockets. On exit the main thread shuts them down
/// before the process ends: a listener with an accept in flight on its
/// shard's io_uring otherwise outlives the process by up to half a second
/// (the ring is torn down asynchronously), still accepting connections
/// that nobody serves, and a server restarted on the same port at once
/// found the port taken and aborted (13 restarts in 15 after load).
static LISTENING: std::sync::Mutex<Vec<std::os::fd::RawFd>> = std::sync::Mutex::new(Vec::new());

/// Capacity of each shard-to-shard channel.
const MESH_CAPACITY: usize = 1024;

/// CPUs this process may run on (its affinity mask).
fn usable_cpus() -> Vec<usize> {
    // SAFETY: sched_getaffinity fills the set we pass for this process.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } == 0;
    let cpus: Vec<usize> = if ok {
        (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect()
    } else {
        Vec::new()
    };
    if cpus.is_empty() { vec![0] } else { cpus }
}

/// Raises the open-files soft limit to the hard limit, as Redis does, so
/// thousands of clients can connect.
fn raise_fd_limit() {
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn random_hex40() -> String {
    let mut seed = crate::keyspace::now_ms() ^ ((std::process::id() as u64) << 32);
    (0..40)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            char::from_digit((seed % 16) as u32, 16).unwrap_or('0')
        })
        .collect()
}

/// Checks every address like Redis would before the shards bind it: fails
/// when a server already listens there (SO_REUSEPORT, which the shards use,
/// would otherwise let us share the port silently) or the bind is refused,
/// and resolves port 0 to a concrete free port that all shards then bind.
/// The probe socket uses the shards' options, so connections of a previous
/// process still closing on the port (FIN_WAIT, TIME_WAIT) do not block a
/// restart.
fn reserve_port(cfg: &Config) -> Result<u16, String> {
    use socket2::{Domain, Socket, Type};
    let mut port = cfg.port;
    for addr in &cfg.bind {
        let sa = (addr.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("Invalid bind address '{addr}': {e}"))?
            .next()
            .ok_or_else(|| format!("Invalid bind address '{addr}'"))?;
        let in_use = |e: String| {
            format!(
                "Warning: Could not create server TCP listening socket {addr}:{port}: bind: {e}\nFailed listening on port {port} (tcp), aborting."
            )
        };
        if port != 0 && std::net::TcpStream::connect_timeout(&sa, Duration::from_millis(200)).is_ok() {
            return Err(in_use("Address already in use (os error 98)".into()));
        }
        let sk =
            Socket::new(Domain::for_address(sa), Type::STREAM, None).map_err(|e| in_use(e.to_string()))?;
        sk.set_reuse_port(true).map_err(|e| in_use(e.to_string()))?;
        sk.bind(&sa.into()).map_err(|e| in_use(e.to_string()))?;
        let local = sk.local_addr().map_err(|e| e.to_string())?;
        port = local.as_socket().map_or(port, |s| s.port());
    }
    Ok(port)
}

/// Runs the server until SIGTERM, SIGINT or SHUTDOWN.
pub fn run(mut cfg: Config) -> Result<(), String> {
    raise_fd_limit();
    cfg.port = reserve_port(&cfg)?;
    let n = cfg.shards;
    let cpus = usable_cpus();
    tracing::info!(
        "ringkv {} starting: port={} shards={} cpus={:?} pid={}",
        env!("CARGO_PKG_VERSION"),
        cfg.port,
        n,
        cpus,
        std::process::id()
    );
    // Before any shard starts: a shard answers clients as soon as it is up,
    // and a SIGINT that came before the handler would kill the process.
    let mut signals =
        signal_hook::iterator::Signals::new([signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT])
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let (stop_tx, stop_rx) = crossbeam_channel::unbounded::<&'static str>();
    let (ready_tx, ready_rx) = crossbeam_channel::unbounded::<Result<(), String>>();
    // Peers 0..n are the shards, peer n is the replication core.
    let mesh = MeshBuilder::<Msg, _>::full(n + 1, MESH_CAPACITY);
    let seq = Arc::new(AtomicU64::new(0));
    let dir = crate::mesh::Directory::new(n + 1);
    let run_id = random_hex40();
    let mut handles = Vec::new();
    {
        let (cfg, mesh, seq, ready_tx, dir) =
            (cfg.clone(), mesh.clone(), seq.clone(), ready_tx.clone(), dir.clone());
        // Unpinned: it shares the cores with the shards and mostly sleeps.
        let h = LocalExecutorBuilder::new(Placement::Unbound)
            .name("replication")
            .spawn(move || crate::replication::run(cfg, mesh, dir, seq, ready_tx))
            .map_err(|e| format!("cannot start the replication core: {e}"))?;
        handles.push(h);
    }
    for id in 0..n {
        let (cfg, mesh, stop_tx, ready_tx, run_id, seq, dir) = (
            cfg.clone(),
            mesh.clone(),
            stop_tx.clone(),
            ready_tx.clone(),
            run_id.clone(),
            seq.clone(),
            dir.clone(),
        );
        let cpu = cpus[id % cpus.len()];
        let h = LocalExecutorBuilder::new(Placement::Fixed(cpu))
            .name(&format!("shard-{id}"))
            .spawn(move || async move {
                let boot = Boot { id, cfg, mesh, dir, stop_tx, run_id, seq };
                if let Err(e) = shard_main(boot, ready_tx.clone()).await {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|e| format!("cannot start shard {id}: {e}"))?;
        handles.push(h);
    }
    for _ in 0..n + 1 {
        match ready_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err("shards did not start in time".into()),
        }
    }
    tracing::info!("Ready to accept connections tcp port={}", cfg.port);

    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let _ = stop_tx.send(if sig == signal_hook::consts::SIGINT { "SIGINT" } else { "SIGTERM" });
        }
    });
    let why = stop_rx.recv().unwrap_or("all shards stopped");
    tracing::info!("Received {why}, scheduling shutdown...");
    for &fd in LISTENING.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        // SAFETY: a socket of this process, open until it exits; shutdown
        // only stops it listening (its pending accepts fail).
        unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
    }
    // Nothing is persisted yet, so there is no state to flush: exit at once.
    tracing::info!("ringkv is now ready to exit, bye bye...");
    std::process::exit(0);
}

/// What a shard thread starts from.
struct Boot {
    id: usize,
    cfg: Config,
    mesh: MeshBuilder<Msg, glommio::channels::channel_mesh::Full>,
    dir: Arc<crate::mesh::Directory>,
    stop_tx: crossbeam_channel::Sender<&'static str>,
    run_id: String,
    seq: Arc<AtomicU64>,
}

async fn shard_main(
    boot: Boot,
    ready_tx: crossbeam_channel::Sender<Result<(), String>>,
) -> Result<(), String> {
    let Boot { id, cfg, mesh, dir, stop_tx, run_id, seq } = boot;
    let (senders, mut receivers) = mesh.join().await.map_err(|_| format!("shard {id}: mesh join failed"))?;
    let mut listeners = Vec::new();
    for addr in &cfg.bind {
        let l = listen(addr, cfg.port).map_err(|e| format!("shard {id}: bind {addr}:{}: {e}", cfg.port))?;
        listeners.push(l);
    }
    let hz = cfg.hz;
    let replica = cfg.replicaof.is_some();
    let peer = crate::mesh::Peer::new(senders, id, &dir).await;
    let readiness =
        readiness::Readiness::new(cfg.coalesce_us).map_err(|e| format!("shard {id}: epoll: {e}"))?;
    glommio::spawn_local(readiness.clone().run()).detach();
    let shard = Rc::new(Shard::new(id, cfg, peer, stop_tx, run_id, seq, readiness));
    shard.replica.set(replica);
    for (_peer, rx) in receivers.streams() {
        let rx = Rc::new(rx);
        shard.mesh_rx.borrow_mut().push(rx.clone());
        let shard = shard.clone();
        glommio::spawn_local(async move {
            while let Some(msg) = rx.recv().await {
                shard.on_message(msg);
            }
        })
        .detach();
    }
    {
        let shard = shard.clone();
        glommio::spawn_local(async move {
            loop {
                let hz = shard.cfg.borrow().hz.max(1);
                glommio::timer::sleep(Duration::from_millis(1000 / hz)).await;
                shard.active_expire();
                shard.emit_expired();
                shard.emit_expired();
            }
        })
        .detach();
    }
    let _ = hz;
    let _ = ready_tx.send(Ok(()));
    let mut accepts = Vec::new();
    for l in listeners {
        let shard = shard.clone();
        accepts.push(glommio::spawn_local(async move { accept_loop(shard, l).await }));
    }
    for a in accepts {
        a.await;
    }
    Ok(())
}

/// A listening socket on `addr:port` shared with the other shards
/// (SO_REUSEPORT), as glommio's `TcpListener::bind` makes it, with its fd
/// kept in [`LISTENING`].
fn listen(addr: &str, port: u16) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    use std::os::fd::{FromRawFd, IntoRawFd};
    let sa = (addr, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let sk = Socket::new(Domain::for_address(sa), Type::STREAM, Some(Protocol::TCP))?;
    sk.set_reuse_port(true)?;
    sk.bind(&sa.into())?;
    sk.listen(1024)?;
    let fd = sk.into_raw_fd();
    LISTENING.lock().unwrap_or_else(|e| e.into_inner()).push(fd);
    // SAFETY: a bound, listening TCP socket whose fd nothing else owns.
    Ok(unsafe { TcpListener::from_raw_fd(fd) })
}

async fn accept_loop(shard: Rc<Shard>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok(stream) => {
                let max = shard.cfg.borrow().maxclients.div_ceil(shard.nshards);
                if shard.clients.borrow().len() >= max {
                    let c = &shard.counters;
                    c.rejected.set(c.rejected.get() + 1);
                    glommio::spawn_local(async move {
                        use futures_lite::AsyncWriteExt;
                        let mut stream = stream;
                        let _ = stream.write_all(b"-ERR max number of clients reached\r\n").await;
                    })
                    .detach();
                    continue;
                }
                glommio::spawn_local(conn::serve(shard.clone(), stream)).detach();
            }
            Err(e) => {
                tracing::warn!("shard {}: accept failed: {e}", shard.id);
                glommio::timer::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
