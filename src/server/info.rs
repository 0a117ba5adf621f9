//! INFO: Redis's sections, built from every shard's counters (summed), the
//! replication core's own text, and this process's memory and CPU use.

use super::admin::{R, all_shards};
use super::conn::Conn;
use crate::config::REDIS_VERSION;
use crate::keyspace::NUM_DBS;
use crate::mesh::{Admin, Req, Resp, ShardStats};
use crate::protocol::Reply;
use bytes::Bytes;
use std::fmt::Write as _;

fn human(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    for (unit, size) in [("G", 1u64 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
        if b >= size as f64 {
            return format!("{:.2}{unit}", b / size as f64);
        }
    }
    format!("{}B", bytes.max(0))
}

fn rss_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<i64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

/// INFO [section ...]
pub(super) async fn info(conn: &mut Conn, argv: &[Bytes]) -> R {
    let wanted: Vec<String> =
        argv[1..].iter().map(|s| String::from_utf8_lossy(s).to_ascii_lowercase()).collect();
    let all = wanted.is_empty() || wanted.iter().any(|w| w == "all" || w == "everything" || w == "default");
    let want = |s: &str| all || wanted.iter().any(|w| w == s);
    let stats: Vec<ShardStats> = all_shards(conn, || Admin::Stats)
        .await
        .into_iter()
        .filter_map(|r| if let Resp::Stats(s) = r { Some(*s) } else { None })
        .collect();
    let sum = |f: fn(&ShardStats) -> u64| stats.iter().map(f).sum::<u64>();
    let shard = &conn.shard;
    let cfg = shard.cfg.borrow().clone();
    let mut out = String::new();
    let mut section = |name: &str, body: String| {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let _ = write!(out, "# {name}\r\n{body}");
    };
    let uptime = shard.started.elapsed().as_secs();
    if want("server") {
        let mut s = String::new();
        let _ = write!(
            s,
            "redis_version:{REDIS_VERSION}\r\nringkv_version:{}\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmultiplexing_api:io_uring\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\nhz:{}\r\nshards:{}\r\nexecutable:{}\r\n",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH,
            std::process::id(),
            shard.run_id,
            cfg.port,
            uptime / 86400,
            cfg.hz,
            shard.nshards,
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
        );
        section("Server", s);
    }
    if want("clients") {
        section(
            "Clients",
            format!(
                "connected_clients:{}\r\nblocked_clients:{}\r\nmaxclients:{}\r\ntracking_clients:0\r\n",
                stats.iter().map(|s| s.clients).sum::<usize>(),
                stats.iter().map(|s| s.blocked).sum::<usize>(),
                cfg.maxclients
            ),
        );
    }
    if want("memory") {
        let used: i64 = stats.iter().map(|s| s.allocated).sum::<i64>().max(0);
        let rss = rss_bytes();
        section(
            "Memory",
            format!(
                "used_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\nmem_fragmentation_ratio:{:.2}\r\nmem_allocator:libc\r\n",
                human(used),
                human(rss),
                if used > 0 { rss as f64 / used as f64 } else { 0.0 },
            ),
        );
    }
    if want("persistence") {
        section(
            "Persistence",
            format!(
                "loading:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:0\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\n",
                sum(|s| s.dirty)
            ),
        );
    }
    if want("stats") {
        let repl = match shard.peer.call(shard.core, Req::ReplStats).await {
            Resp::Text(t) => t,
            _ => String::new(),
        };
        section(
            "Stats",
            format!(
                "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\ncoalesce_naps:{}\r\n{}",
                sum(|s| s.connections_received),
                sum(|s| s.commands_processed),
                sum(|s| s.net_input),
                sum(|s| s.net_output),
                sum(|s| s.rejected),
                sum(|s| s.expired),
                sum(|s| s.hits),
                sum(|s| s.misses),
                sum(|s| s.naps),
                repl,
            ),
        );
    }
    if want("replication") {
        let text = match shard.peer.call(shard.core, Req::ReplInfo).await {
            Resp::Text(t) => t,
            _ => String::new(),
        };
        section("Replication", text);
    }
    if want("cpu") {
        let (sys, user) = cpu_times();
        section("CPU", format!("used_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\n"));
    }
    if want("keyspace") {
        let mut s = String::new();
        for db in 0..NUM_DBS {
            let keys: usize = stats.iter().map(|st| st.keys.get(db).map_or(0, |k| k.0)).sum();
            let expires: usize = stats.iter().map(|st| st.keys.get(db).map_or(0, |k| k.1)).sum();
            if keys > 0 {
                let _ = write!(s, "db{db}:keys={keys},expires={expires},avg_ttl=0\r\n");
            }
        }
        section("Keyspace", s);
    }
    Ok(Reply::Verbatim(out.into()))
}
