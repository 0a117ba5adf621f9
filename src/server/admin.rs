//! Bodies of the connection-level commands: connection state (PING, SELECT,
//! HELLO, AUTH, CLIENT, RESET, QUIT) and server-wide ones that fan out to
//! every shard (INFO, CONFIG, SCAN, RANDOMKEY, CLIENT LIST/KILL, SHUTDOWN).

use super::conn::Conn;
use crate::commands::{self, Args, CmdError, ConnCmd, flags};
use crate::keyspace::NUM_DBS;
use crate::mesh::{Admin, KillFilter, Req, Resp, ShardStats};
use crate::protocol::Reply;
use crate::util::parse_i64;
use bytes::Bytes;
use std::fmt::Write as _;
use std::rc::Rc;

pub use crate::config::REDIS_VERSION;

type R = Result<Reply, CmdError>;

pub async fn run(conn: &mut Conn, cmd: ConnCmd, argv: Vec<Bytes>) -> Reply {
    let res = match cmd {
        ConnCmd::Ping => ping(&argv),
        ConnCmd::Echo => Ok(Reply::Bulk(argv[1].clone())),
        ConnCmd::Select => select(conn, &argv),
        ConnCmd::Quit => {
            conn.close = true;
            Ok(Reply::Ok)
        }
        ConnCmd::Hello => hello(conn, &argv),
        ConnCmd::Reset => {
            conn.db = 0;
            conn.resp3 = false;
            conn.info.db.set(0);
            conn.info.resp.set(2);
            *conn.info.name.borrow_mut() = Bytes::new();
            conn.authed = conn.shard.cfg.borrow().requirepass.is_none();
            conn.multi = None;
            conn.multi_err = false;
            Ok(Reply::simple("RESET"))
        }
        ConnCmd::Auth => auth(conn, &argv),
        ConnCmd::Client => client(conn, &argv).await,
        ConnCmd::Info => info(conn, &argv).await,
        ConnCmd::Config => config(conn, &argv).await,
        ConnCmd::Command => command(&argv),
        ConnCmd::Time => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            Ok(Reply::Array(vec![
                Reply::Bulk(now.as_secs().to_string().into()),
                Reply::Bulk(now.subsec_micros().to_string().into()),
            ]))
        }
        ConnCmd::Shutdown => shutdown(conn, &argv),
        ConnCmd::Debug => debug(&argv).await,
        ConnCmd::Scan => scan(conn, &argv).await,
        ConnCmd::RandomKey => randomkey(conn).await,
        ConnCmd::Lastsave => Ok(Reply::Int(
            (std::time::SystemTime::now() - conn.shard.started.elapsed())
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        )),
        ConnCmd::Role => Ok(conn.shard.peer.call(conn.shard.core, Req::Role).await.into_reply()),
        ConnCmd::Replconf => replconf(conn, &argv),
        ConnCmd::Replicaof => replicaof(conn, &argv).await,
        ConnCmd::Wait => wait(conn, &argv).await,
        // Handled by the connection loop itself (socket hand-off, transactions).
        ConnCmd::Psync | ConnCmd::Multi | ConnCmd::ExecTx | ConnCmd::Discard => {
            Err(CmdError::other("ERR internal: command outside the connection loop"))
        }
    };
    res.unwrap_or_else(Reply::from)
}

fn ping(argv: &[Bytes]) -> R {
    match argv.len() {
        1 => Ok(Reply::simple("PONG")),
        2 => Ok(Reply::Bulk(argv[1].clone())),
        _ => Err(CmdError::arity("ping")),
    }
}

fn select(conn: &mut Conn, argv: &[Bytes]) -> R {
    let n = parse_i64(&argv[1]).ok_or(CmdError::NotInteger)?;
    if !(0..NUM_DBS as i64).contains(&n) {
        return Err(CmdError::DbIndex);
    }
    conn.db = n as u8;
    conn.info.db.set(n as u8);
    Ok(Reply::Ok)
}

fn check_password(conn: &mut Conn, user: &[u8], pass: &[u8]) -> R {
    let required = conn.shard.cfg.borrow().requirepass.clone();
    match required {
        None if user.eq_ignore_ascii_case(b"default") => {
            conn.authed = true;
            Ok(Reply::Ok)
        }
        Some(pw) if user.eq_ignore_ascii_case(b"default") && pw.as_bytes() == pass => {
            conn.authed = true;
            Ok(Reply::Ok)
        }
        _ => Err(CmdError::other("WRONGPASS invalid username-password pair or user is disabled.")),
    }
}

fn auth(conn: &mut Conn, argv: &[Bytes]) -> R {
    match argv.len() {
        2 => {
            if conn.shard.cfg.borrow().requirepass.is_none() {
                return Err(CmdError::other(
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                ));
            }
            check_password(conn, b"default", &argv[1])
        }
        3 => check_password(conn, &argv[1], &argv[2]),
        _ => Err(CmdError::Syntax),
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(conn: &mut Conn, argv: &[Bytes]) -> R {
    let mut args = Args::new(argv);
    let mut proto = if conn.resp3 { 3 } else { 2 };
    if !args.is_empty() {
        let v = parse_i64(args.next()?)
            .ok_or_else(|| CmdError::other("ERR Protocol version is not an integer or out of range"))?;
        if v != 2 && v != 3 {
            return Err(CmdError::other("NOPROTO unsupported protocol version"));
        }
        proto = v;
    }
    let mut name = None;
    while !args.is_empty() {
        if args.flag("AUTH") && args.remaining() >= 2 {
            let (user, pass) = (args.next()?.clone(), args.next()?.clone());
            check_password(conn, &user, &pass)?;
        } else if args.flag("SETNAME") && args.remaining() >= 1 {
            let n = args.next()?.clone();
            valid_client_name(&n)?;
            name = Some(n);
        } else {
            return Err(CmdError::other(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(args.next()?)
            )));
        }
    }
    if !conn.authed {
        return Err(CmdError::other(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(n) = name {
        *conn.info.name.borrow_mut() = n;
    }
    conn.resp3 = proto == 3;
    conn.info.resp.set(proto as u8);
    Ok(Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(REDIS_VERSION)),
        (Reply::bulk("proto"), Reply::Int(proto)),
        (Reply::bulk("id"), Reply::Int(conn.info.id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ]))
}

fn valid_client_name(n: &[u8]) -> Result<(), CmdError> {
    if n.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::other(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// Asks every shard and collects the answers.
async fn all_shards(conn: &Conn, make: impl Fn() -> Admin) -> Vec<Resp> {
    let shard = &conn.shard;
    let mut pending = Vec::with_capacity(shard.nshards);
    for s in 0..shard.nshards {
        pending.push(shard.request(s, Req::Admin(make())).await);
    }
    let mut out = Vec::with_capacity(pending.len());
    for h in pending {
        out.push(h.get().await);
    }
    out
}

async fn client(conn: &mut Conn, argv: &[Bytes]) -> R {
    let sub = argv.get(1).map(|s| s.to_ascii_lowercase()).unwrap_or_default();
    let arity = |n: usize| {
        if argv.len() != n {
            Err(CmdError::other(format!(
                "ERR wrong number of arguments for 'client|{}' command",
                String::from_utf8_lossy(&sub)
            )))
        } else {
            Ok(())
        }
    };
    match &sub[..] {
        b"id" => {
            arity(2)?;
            Ok(Reply::Int(conn.info.id as i64))
        }
        b"setname" => {
            arity(3)?;
            valid_client_name(&argv[2])?;
            *conn.info.name.borrow_mut() = argv[2].clone();
            Ok(Reply::Ok)
        }
        b"getname" => {
            arity(2)?;
            let n = conn.info.name.borrow().clone();
            Ok(if n.is_empty() { Reply::Nil } else { Reply::Bulk(n) })
        }
        b"setinfo" => {
            arity(4)?;
            let attr = argv[2].to_ascii_lowercase();
            let slot = match &attr[..] {
                b"lib-name" => &conn.info.lib_name,
                b"lib-ver" => &conn.info.lib_ver,
                _ => {
                    return Err(CmdError::other(format!(
                        "ERR Unrecognized option '{}'",
                        String::from_utf8_lossy(&argv[2])
                    )));
                }
            };
            *slot.borrow_mut() = argv[3].clone();
            Ok(Reply::Ok)
        }
        b"info" => {
            arity(2)?;
            Ok(Reply::Verbatim(format!("{}\n", conn.info.line()).into()))
        }
        b"list" => {
            let mut ids = Vec::new();
            let mut args = Args::new(&argv[1..]);
            while !args.is_empty() {
                if args.flag("ID") {
                    while !args.is_empty() {
                        ids.push(args.i64().map_err(|_| CmdError::other("ERR Invalid client ID"))? as u64);
                    }
                } else if args.flag("TYPE") {
                    let t = args.next()?.to_ascii_lowercase();
                    if !matches!(&t[..], b"normal" | b"master" | b"replica" | b"slave" | b"pubsub") {
                        return Err(CmdError::other(format!(
                            "ERR Unknown client type '{}'",
                            String::from_utf8_lossy(&t)
                        )));
                    }
                    if t != b"normal" {
                        return Ok(Reply::Verbatim(Bytes::new()));
                    }
                } else {
                    return Err(CmdError::Syntax);
                }
            }
            let me = conn.info.id;
            let mut lines: Vec<String> = all_shards(conn, || Admin::ClientList { ids: ids.clone(), me })
                .await
                .into_iter()
                .flat_map(|r| if let Resp::Lines(l) = r { l } else { Vec::new() })
                .collect();
            lines.sort_by_key(|l| l.split(' ').next().and_then(|f| f[3..].parse::<u64>().ok()));
            let mut text = String::new();
            for l in lines {
                text.push_str(&l);
                text.push('\n');
            }
            Ok(Reply::Verbatim(text.into()))
        }
        b"kill" => client_kill(conn, argv).await,
        b"no-evict" | b"no-touch" => {
            arity(3)?;
            if argv[2].eq_ignore_ascii_case(b"on") || argv[2].eq_ignore_ascii_case(b"off") {
                Ok(Reply::Ok)
            } else {
                Err(CmdError::Syntax)
            }
        }
        b"help" => Ok(Reply::Array(
            [
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ID",
                "GETNAME",
                "SETNAME <name>",
                "SETINFO <LIB-NAME|LIB-VER> <value>",
                "INFO",
                "LIST [TYPE normal] [ID <id> ...]",
                "KILL <ip:port> | KILL <filter> <value> ...",
                "NO-EVICT (ON|OFF)",
                "NO-TOUCH (ON|OFF)",
            ]
            .iter()
            .map(|s| Reply::simple(s))
            .collect(),
        )),
        _ => Err(CmdError::other(format!(
            "ERR unknown subcommand '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(argv.get(1).map_or(&b""[..], |b| &b[..]))
        ))),
    }
}

/// CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [SKIPME yes/no]
async fn client_kill(conn: &mut Conn, argv: &[Bytes]) -> R {
    if argv.len() == 3 {
        let filter =
            KillFilter { addr: Some(String::from_utf8_lossy(&argv[2]).into_owned()), ..Default::default() };
        let n = count(all_shards(conn, || Admin::ClientKill(filter.clone())).await);
        return if n == 0 { Err(CmdError::other("ERR No such client")) } else { Ok(Reply::Ok) };
    }
    if argv.len() < 4 || !argv.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let mut f = KillFilter { skip_id: Some(conn.info.id), ..Default::default() };
    for pair in argv[2..].chunks(2) {
        let v = String::from_utf8_lossy(&pair[1]).into_owned();
        match &pair[0].to_ascii_lowercase()[..] {
            b"id" => {
                f.id = Some(v.parse().map_err(|_| CmdError::other("ERR client-id should be greater than 0"))?)
            }
            b"addr" => f.addr = Some(v),
            b"laddr" => f.laddr = Some(v),
            b"skipme" => match v.to_ascii_lowercase().as_str() {
                "yes" => f.skip_id = Some(conn.info.id),
                "no" => f.skip_id = None,
                _ => return Err(CmdError::Syntax),
            },
            b"type" if matches!(v.to_ascii_lowercase().as_str(), "replica" | "slave") => {
                let n = match conn.shard.peer.call(conn.shard.core, Req::KillReplicas).await {
                    Resp::Count(n) => n,
                    _ => 0,
                };
                return Ok(Reply::Int(n as i64));
            }
            b"type" | b"user" | b"maxage" => {}
            _ => return Err(CmdError::Syntax),
        }
    }
    let n = count(all_shards(conn, || Admin::ClientKill(f.clone())).await);
    Ok(Reply::Int(n as i64))
}

fn count(resps: Vec<Resp>) -> u64 {
    resps.into_iter().map(|r| if let Resp::Count(n) = r { n } else { 0 }).sum()
}

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
async fn info(conn: &mut Conn, argv: &[Bytes]) -> R {
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
                "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\n{}",
                sum(|s| s.connections_received),
                sum(|s| s.commands_processed),
                sum(|s| s.net_input),
                sum(|s| s.net_output),
                sum(|s| s.rejected),
                sum(|s| s.expired),
                sum(|s| s.hits),
                sum(|s| s.misses),
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

/// CONFIG GET|SET|RESETSTAT|REWRITE|HELP
async fn config(conn: &mut Conn, argv: &[Bytes]) -> R {
    let sub = argv[1].to_ascii_lowercase();
    match &sub[..] {
        b"get" if argv.len() >= 3 => {
            let pats: Vec<&[u8]> = argv[2..].iter().map(|b| &b[..]).collect();
            let cfg = conn.shard.cfg.borrow();
            Ok(Reply::Map(
                cfg.get_matching(&pats)
                    .into_iter()
                    .map(|(k, v)| (Reply::bulk(k), Reply::Bulk(v.into())))
                    .collect(),
            ))
        }
        b"set" if argv.len() >= 4 && argv.len().is_multiple_of(2) => {
            let pairs: Vec<(String, String)> = argv[2..]
                .chunks(2)
                .map(|p| {
                    (String::from_utf8_lossy(&p[0]).into_owned(), String::from_utf8_lossy(&p[1]).into_owned())
                })
                .collect();
            // Validate on a copy first so a bad pair changes nothing anywhere.
            let mut trial = conn.shard.cfg.borrow().clone();
            for (k, v) in &pairs {
                if crate::config::param(k).is_none() {
                    return Err(CmdError::other(format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{k}'"
                    )));
                }
                trial.set(k, v).map_err(|e| {
                    CmdError::other(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{k}') - {e}"
                    ))
                })?;
            }
            all_shards(conn, || Admin::ConfigSet(pairs.clone())).await;
            conn.shard.peer.call(conn.shard.core, Req::Admin(Admin::ConfigSet(pairs))).await;
            Ok(Reply::Ok)
        }
        b"resetstat" if argv.len() == 2 => {
            all_shards(conn, || Admin::ResetStat).await;
            Ok(Reply::Ok)
        }
        b"rewrite" if argv.len() == 2 => {
            Err(CmdError::other("ERR The server is running without a config file"))
        }
        b"help" => Ok(Reply::Array(
            [
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "SET <directive> <value>",
                "RESETSTAT",
                "REWRITE",
            ]
            .iter()
            .map(|s| Reply::simple(s))
            .collect(),
        )),
        b"get" | b"set" | b"resetstat" | b"rewrite" => Err(CmdError::other(format!(
            "ERR wrong number of arguments for 'config|{}' command",
            String::from_utf8_lossy(&sub)
        ))),
        _ => Err(CmdError::other(format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            String::from_utf8_lossy(&argv[1])
        ))),
    }
}

fn command_info(c: &commands::CommandSpec) -> Reply {
    let flag_list =
        flags::NAMES.iter().filter(|(f, _)| c.flags & f != 0).map(|(_, n)| Reply::simple(n)).collect();
    Reply::Array(vec![
        Reply::bulk(c.name),
        Reply::Int(c.arity as i64),
        Reply::Set(flag_list),
        Reply::Int(c.first_key as i64),
        Reply::Int(c.last_key as i64),
        Reply::Int(c.step as i64),
        Reply::Set(vec![]),
        Reply::Set(vec![]),
        Reply::Array(vec![]),
        Reply::Array(vec![]),
    ])
}

fn command_doc(c: &commands::CommandSpec) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("summary"), Reply::bulk(c.summary)),
        (Reply::bulk("since"), Reply::bulk("1.0.0")),
        (Reply::bulk("group"), Reply::bulk(c.group)),
    ])
}

/// COMMAND [COUNT | INFO name... | DOCS [name...] | LIST | GETKEYS cmd args...]
fn command(argv: &[Bytes]) -> R {
    let Some(sub) = argv.get(1).map(|s| s.to_ascii_lowercase()) else {
        return Ok(Reply::Array(commands::all().map(command_info).collect()));
    };
    let named = |args: &[Bytes], f: fn(&commands::CommandSpec) -> Reply| -> Vec<(Reply, Reply)> {
        args.iter().filter_map(|n| commands::lookup(n).map(|c| (Reply::bulk(c.name), f(c)))).collect()
    };
    match &sub[..] {
        b"count" => Ok(Reply::Int(commands::all().count() as i64)),
        b"list" => Ok(Reply::Array(commands::all().map(|c| Reply::bulk(c.name)).collect())),
        b"info" => Ok(Reply::Array(if argv.len() == 2 {
            commands::all().map(command_info).collect()
        } else {
            argv[2..].iter().map(|n| commands::lookup(n).map_or(Reply::Nil, command_info)).collect()
        })),
        b"docs" => Ok(Reply::Map(if argv.len() == 2 {
            commands::all().map(|c| (Reply::bulk(c.name), command_doc(c))).collect()
        } else {
            named(&argv[2..], command_doc)
        })),
        b"getkeys" if argv.len() >= 3 => {
            let Some(spec) = commands::lookup(&argv[2]) else {
                return Err(CmdError::other("ERR Invalid command specified"));
            };
            let args = &argv[2..];
            if !spec.arity_ok(args.len()) {
                return Err(CmdError::other("ERR Invalid number of arguments specified for command"));
            }
            let keys: Vec<Reply> = spec.keys_in(args).map(|i| Reply::Bulk(args[i].clone())).collect();
            if keys.is_empty() {
                return Err(CmdError::other("ERR The command has no key arguments"));
            }
            Ok(Reply::Array(keys))
        }
        _ => Err(CmdError::other(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(&argv[1])
        ))),
    }
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
fn shutdown(conn: &mut Conn, argv: &[Bytes]) -> R {
    for a in &argv[1..] {
        let a = a.to_ascii_lowercase();
        match &a[..] {
            b"nosave" | b"save" | b"now" | b"force" => {}
            b"abort" => return Err(CmdError::other("ERR No shutdown in progress.")),
            _ => return Err(CmdError::Syntax),
        }
    }
    let _ = conn.shard.shutdown.send("SHUTDOWN command");
    // Redis closes the connection without a reply.
    conn.close = true;
    Ok(Reply::Ok)
}

/// DEBUG SLEEP seconds | DEBUG HELP. Sleeps this connection only: other
/// clients keep being served (Redis blocks the whole server).
async fn debug(argv: &[Bytes]) -> R {
    let sub = argv[1].to_ascii_lowercase();
    match &sub[..] {
        b"sleep" if argv.len() == 3 => {
            let secs = crate::util::parse_f64(&argv[2]).ok_or(CmdError::NotFloat)?;
            if secs > 0.0 {
                glommio::timer::sleep(std::time::Duration::from_secs_f64(secs)).await;
            }
            Ok(Reply::Ok)
        }
        b"help" => Ok(Reply::Array(vec![Reply::simple("SLEEP <seconds>")])),
        _ => Err(CmdError::other(format!(
            "ERR unknown subcommand '{}'. Try DEBUG HELP.",
            String::from_utf8_lossy(&argv[1])
        ))),
    }
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
///
/// The cursor encodes (shard-local cursor, shard): local * shards + shard.
/// Each call walks shards in order until COUNT slots were visited.
async fn scan(conn: &mut Conn, argv: &[Bytes]) -> R {
    let cursor: u64 = std::str::from_utf8(&argv[1])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CmdError::other("ERR invalid cursor"))?;
    let mut args = Args::new(&argv[1..]);
    let (mut pattern, mut count, mut typ) = (None, 10usize, None);
    while !args.is_empty() {
        if args.flag("MATCH") {
            let p = args.next()?.clone();
            pattern = (&p[..] != b"*").then_some(p);
        } else if args.flag("COUNT") {
            let n = args.i64()?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = n as usize;
        } else if args.flag("TYPE") {
            typ = Some(args.next()?.clone());
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let shard: &Rc<_> = &conn.shard;
    let n = shard.nshards as u64;
    let (mut local, mut s) = (cursor / n, (cursor % n) as usize);
    let mut keys = Vec::new();
    loop {
        let req =
            Admin::Scan { db: conn.db, cursor: local, count, pattern: pattern.clone(), typ: typ.clone() };
        let Resp::Scan(next, found) = shard.call(s, Req::Admin(req)).await else {
            return Err(CmdError::other("ERR internal: bad scan reply"));
        };
        keys.extend(found.into_iter().map(Reply::Bulk));
        if next != 0 {
            local = next;
            break;
        }
        s += 1;
        local = 0;
        if s as u64 >= n || keys.len() >= count {
            break;
        }
    }
    let next = if s as u64 >= n { 0 } else { local * n + s as u64 };
    Ok(Reply::Array(vec![Reply::Bulk(next.to_string().into()), Reply::Array(keys)]))
}

/// RANDOMKEY: a shard chosen by its share of the db's keys, then a key there.
async fn randomkey(conn: &mut Conn) -> R {
    let stats: Vec<usize> = all_shards(conn, || Admin::Stats)
        .await
        .into_iter()
        .map(|r| if let Resp::Stats(s) = r { s.keys[conn.db as usize].0 } else { 0 })
        .collect();
    let total: usize = stats.iter().sum();
    if total == 0 {
        return Ok(Reply::Nil);
    }
    let mut pick = (conn.shard.random() % total as u64) as usize;
    let mut s = 0;
    while pick >= stats[s] {
        pick -= stats[s];
        s += 1;
    }
    match conn.shard.call(s, Req::Admin(Admin::RandomKey { db: conn.db })).await {
        Resp::Key(k) => Ok(k.into()),
        _ => Ok(Reply::Nil),
    }
}

/// REPLCONF listening-port <port> | capa <capa> ... | ack <offset> | getack *
fn replconf(conn: &mut Conn, argv: &[Bytes]) -> R {
    if argv.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    for pair in argv[1..].chunks(2) {
        let opt = pair[0].to_ascii_lowercase();
        match &opt[..] {
            b"listening-port" => {
                conn.repl_port = std::str::from_utf8(&pair[1])
                    .ok()
                    .and_then(|p| p.parse().ok())
                    .ok_or(CmdError::NotInteger)?;
            }
            b"capa" => {
                if pair[1].eq_ignore_ascii_case(b"eof") {
                    conn.capa_eof = true;
                }
            }
            b"ip-address" | b"ack" | b"getack" | b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                return Err(CmdError::other(format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(&pair[0])
                )));
            }
        }
    }
    Ok(Reply::Ok)
}

/// REPLICAOF host port | REPLICAOF NO ONE
async fn replicaof(conn: &mut Conn, argv: &[Bytes]) -> R {
    let target = if argv[1].eq_ignore_ascii_case(b"no") && argv[2].eq_ignore_ascii_case(b"one") {
        None
    } else {
        let host = String::from_utf8_lossy(&argv[1]).into_owned();
        let port = parse_i64(&argv[2])
            .filter(|p| (0..=65535).contains(p))
            .ok_or_else(|| CmdError::other("ERR Invalid master port"))?;
        Some((host, port as u16))
    };
    Ok(conn.shard.peer.call(conn.shard.core, Req::ReplicaOf(target)).await.into_reply())
}

/// WAIT numreplicas timeout
async fn wait(conn: &mut Conn, argv: &[Bytes]) -> R {
    if conn.shard.replica.get() {
        return Err(CmdError::other(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        ));
    }
    let replicas = parse_i64(&argv[1]).ok_or(CmdError::NotInteger)?;
    let timeout = parse_i64(&argv[2])
        .ok_or_else(|| CmdError::other("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    let seq = conn.shard.seq.load(std::sync::atomic::Ordering::SeqCst);
    let req = Req::Wait { replicas: replicas.max(0) as usize, timeout_ms: timeout as u64, seq };
    Ok(conn.shard.peer.call(conn.shard.core, req).await.into_reply())
}
