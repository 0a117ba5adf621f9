//! Bodies of the connection-level commands, and [`run`], which dispatches
//! them all: connection state (PING, SELECT, HELLO, AUTH, RESET, QUIT) and
//! server-wide ones that fan out to every shard (SCAN, RANDOMKEY, SHUTDOWN,
//! COMMAND, replication). CLIENT, INFO and CONFIG have their own files.

use super::client::{client, valid_client_name};
use super::config_cmd::config;
use super::conn::Conn;
use super::info::info;
use crate::commands::{self, Args, CmdError, ConnCmd, flags};
use crate::keyspace::NUM_DBS;
use crate::mesh::{Admin, Req, Resp};
use crate::protocol::Reply;
use crate::util::parse_i64;
use bytes::Bytes;
use std::rc::Rc;

pub use crate::config::REDIS_VERSION;

pub(super) type R = Result<Reply, CmdError>;

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
            conn.unwatch();
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
        ConnCmd::Unwatch => {
            conn.unwatch();
            Ok(Reply::Ok)
        }
        ConnCmd::Psync | ConnCmd::Multi | ConnCmd::ExecTx | ConnCmd::Discard | ConnCmd::Watch => {
            Err(CmdError::other("ERR internal: command outside the connection loop"))
        }
    };
    res.unwrap_or_else(Reply::from)
}

pub(super) fn ping(argv: &[Bytes]) -> R {
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

/// Asks every shard and collects the answers.
pub(super) async fn all_shards(conn: &Conn, make: impl Fn() -> Admin) -> Vec<Resp> {
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
