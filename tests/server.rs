//! Server commands and process behaviour: INFO sections in Redis's field
//! format, CONFIG GET/SET/RESETSTAT, COMMAND and its metadata, TIME,
//! DEBUG SLEEP, SHUTDOWN, signals, the config file, a busy port.

mod common;

use common::{Exec, Frame, Server, Value, info_field, run_with_timeout};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn info(c: &mut redis::Connection, section: &[&str]) -> String {
    let mut args = vec!["INFO"];
    args.extend_from_slice(section);
    c.ok(&args)
}

fn num(info: &str, f: &str) -> i64 {
    info_field(info, f)
        .unwrap_or_else(|| panic!("INFO has no field {f}:\n{info}"))
        .parse()
        .unwrap_or_else(|_| panic!("INFO field {f} is not a number:\n{info}"))
}

#[test]
fn info_default_sections_and_fields() {
    let s = Server::start();
    let mut c = s.client();
    let all = info(&mut c, &[]);
    for header in ["# Server", "# Clients", "# Memory", "# Stats", "# Replication", "# Keyspace"] {
        assert!(all.lines().any(|l| l.trim_end() == header), "INFO lacks {header}:\n{all}");
    }
    assert!(all.contains("\r\n"), "INFO lines end with CRLF as in Redis");
    let version = info_field(&all, "redis_version").expect("redis_version");
    assert!(version.split('.').count() == 3, "{version}");
    assert_eq!(info_field(&all, "tcp_port"), Some(s.port().to_string()));
    assert_eq!(info_field(&all, "role").as_deref(), Some("master"));
    for f in [
        "process_id",
        "uptime_in_seconds",
        "connected_clients",
        "used_memory",
        "used_memory_human",
        "total_commands_processed",
        "total_connections_received",
        "instantaneous_ops_per_sec",
        "expired_keys",
        "keyspace_hits",
        "keyspace_misses",
        "connected_slaves",
        "master_replid",
        "master_repl_offset",
    ] {
        assert!(info_field(&all, f).is_some(), "INFO lacks {f}:\n{all}");
    }
    assert!(num(&all, "used_memory") > 0);
    assert!(num(&all, "connected_clients") >= 1);
}

#[test]
fn info_one_section() {
    let s = Server::start();
    let mut c = s.client();
    let ks = info(&mut c, &["keyspace"]);
    assert!(ks.contains("# Keyspace"), "{ks}");
    assert!(!ks.contains("# Server") && !ks.contains("# Stats"), "{ks}");
    let repl = info(&mut c, &["replication"]);
    assert_eq!(info_field(&repl, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&repl, "connected_slaves").as_deref(), Some("0"));
    let srv = info(&mut c, &["SERVER"]);
    assert!(srv.contains("redis_version:") && !srv.contains("# Clients"), "{srv}");
    let two = info(&mut c, &["clients", "memory"]);
    assert!(two.contains("# Clients") && two.contains("# Memory") && !two.contains("# Stats"), "{two}");
}

#[test]
fn info_keyspace_counts_keys_and_expires() {
    let s = Server::start();
    let mut c = s.client();
    let ks = info(&mut c, &["keyspace"]);
    assert!(!ks.contains("db0:"), "an empty db has no line:\n{ks}");
    for i in 0..20 {
        c.ok::<()>(&["SET", &format!("k{i}"), "v"]);
    }
    for i in 0..5 {
        c.ok::<()>(&["EXPIRE", &format!("k{i}"), "1000"]);
    }
    c.ok::<()>(&["SELECT", "3"]);
    c.ok::<()>(&["SET", "x", "y"]);
    let ks = info(&mut c, &["keyspace"]);
    let db0 = info_field(&ks, "db0").unwrap_or_else(|| panic!("no db0 line:\n{ks}"));
    assert!(db0.starts_with("keys=20,expires=5,avg_ttl="), "{db0}");
    let avg: i64 = db0.rsplit('=').next().unwrap().parse().unwrap();
    // An estimate in milliseconds (Redis samples it), never above the TTLs set.
    assert!((0..=1_000_000).contains(&avg), "avg_ttl in ms: {avg}");
    let db3 = info_field(&ks, "db3").unwrap_or_else(|| panic!("no db3 line:\n{ks}"));
    assert!(db3.starts_with("keys=1,expires=0,avg_ttl=0"), "{db3}");
}

#[test]
fn info_clients_counts_every_shard() {
    let s = Server::start();
    let mut c = s.client();
    let mut extra: Vec<_> = (0..6).map(|_| s.raw()).collect();
    for r in &mut extra {
        assert_eq!(r.cmd(&["PING"]), Frame::simple("PONG"));
    }
    let clients = info(&mut c, &["clients"]);
    assert_eq!(num(&clients, "connected_clients"), 7, "{clients}");
    drop(extra);
    let ok = common::wait_until(Duration::from_secs(5), || {
        num(&info(&mut c, &["clients"]), "connected_clients") == 1
    });
    assert!(ok, "closed connections must leave connected_clients");
}

#[test]
fn info_stats_count_commands_and_hits() {
    let s = Server::start();
    let mut c = s.client();
    let before = info(&mut c, &["stats"]);
    c.ok::<()>(&["SET", "k", "v"]);
    for _ in 0..10 {
        c.ok::<String>(&["GET", "k"]);
    }
    for i in 0..4 {
        c.ok::<Option<String>>(&["GET", &format!("missing{i}")]);
    }
    let after = info(&mut c, &["stats"]);
    let d = |f: &str| num(&after, f) - num(&before, f);
    assert!(d("total_commands_processed") >= 16, "{before}\n{after}");
    assert_eq!(d("keyspace_hits"), 10);
    assert_eq!(d("keyspace_misses"), 4);
    // Connections from both shards are counted.
    for _ in 0..5 {
        s.raw().cmd(&["PING"]);
    }
    let later = info(&mut c, &["stats"]);
    assert!(num(&later, "total_connections_received") - num(&after, "total_connections_received") >= 5);
}

#[test]
fn config_get_set_resetstat() {
    let s = Server::start();
    let mut c = s.client();
    // What redis-benchmark asks for.
    assert_eq!(c.ok::<Vec<String>>(&["CONFIG", "GET", "save"]), vec!["save", ""]);
    assert_eq!(c.ok::<Vec<String>>(&["CONFIG", "GET", "appendonly"]), vec!["appendonly", "no"]);
    assert_eq!(
        c.ok::<Vec<String>>(&["CONFIG", "GET", "port"]),
        vec!["port".to_string(), s.port().to_string()]
    );
    assert_eq!(c.ok::<Vec<String>>(&["CONFIG", "GET", "databases"]), vec!["databases", "16"]);
    assert_eq!(c.ok::<Vec<String>>(&["CONFIG", "GET", "nosuchparam"]), Vec::<String>::new());
    // Globs and several names at once.
    let many: Vec<String> = c.ok(&["CONFIG", "GET", "save", "appendonly", "max*"]);
    assert!(many.len() >= 6 && many.len().is_multiple_of(2), "{many:?}");
    assert!(many.contains(&"maxclients".to_string()));

    assert_eq!(c.val(&["CONFIG", "SET", "hz", "20"]), Ok(Value::Okay));
    assert_eq!(c.ok::<Vec<String>>(&["CONFIG", "GET", "hz"]), vec!["hz", "20"]);
    assert_eq!(c.val(&["CONFIG", "SET", "maxclients", "5000"]), Ok(Value::Okay));
    // Another connection (perhaps on the other shard) sees the new value.
    let mut c2 = s.client();
    assert_eq!(c2.ok::<Vec<String>>(&["CONFIG", "GET", "maxclients"]), vec!["maxclients", "5000"]);
    let e = c.err(&["CONFIG", "SET", "nosuchparam", "1"]);
    assert!(e.starts_with("ERR Unknown option or number of arguments for CONFIG SET"), "{e}");
    let e = c.err(&["CONFIG", "SET", "hz", "fast"]);
    assert!(e.starts_with("ERR ") && e.contains("'hz'"), "{e}");
    assert_eq!(c.err(&["CONFIG", "GET"]), "ERR wrong number of arguments for 'config|get' command");

    for _ in 0..20 {
        c.ok::<String>(&["PING"]);
    }
    assert!(num(&info(&mut c, &["stats"]), "total_commands_processed") > 20);
    assert_eq!(c.val(&["CONFIG", "RESETSTAT"]), Ok(Value::Okay));
    let stats = info(&mut c, &["stats"]);
    assert!(num(&stats, "total_commands_processed") <= 2, "RESETSTAT on every shard:\n{stats}");
    assert_eq!(num(&stats, "keyspace_hits"), 0);
}

#[test]
fn config_set_proto_max_bulk_len_applies() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["CONFIG", "SET", "proto-max-bulk-len", "2mb"]), Ok(Value::Okay));
    assert_eq!(
        c.ok::<Vec<String>>(&["CONFIG", "GET", "proto-max-bulk-len"]),
        vec!["proto-max-bulk-len", "2097152"]
    );
    // New connections on any shard enforce it.
    for _ in 0..4 {
        let mut r = s.raw();
        r.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n");
        assert_eq!(r.read(), Frame::error("ERR Protocol error: invalid bulk length"));
    }
}

const ISSUE_2_COMMANDS: &[(&str, i64)] = &[
    ("get", 2),
    ("set", -3),
    ("setnx", 3),
    ("setex", 4),
    ("psetex", 4),
    ("getset", 3),
    ("getdel", 2),
    ("getex", -2),
    ("mget", -2),
    ("mset", -3),
    ("msetnx", -3),
    ("incr", 2),
    ("decr", 2),
    ("incrby", 3),
    ("decrby", 3),
    ("incrbyfloat", 3),
    ("append", 3),
    ("strlen", 2),
    ("getrange", 4),
    ("setrange", 4),
    ("substr", 4),
    ("del", -2),
    ("unlink", -2),
    ("exists", -2),
    ("type", 2),
    ("expire", -3),
    ("pexpire", -3),
    ("expireat", -3),
    ("pexpireat", -3),
    ("ttl", 2),
    ("pttl", 2),
    ("expiretime", 2),
    ("pexpiretime", 2),
    ("persist", 2),
    ("keys", 2),
    ("scan", -2),
    ("randomkey", 1),
    ("rename", 3),
    ("renamenx", 3),
    ("copy", -3),
    ("touch", -2),
    ("dbsize", 1),
    ("flushdb", -1),
    ("flushall", -1),
    ("swapdb", 3),
    ("ping", -1),
    ("echo", 2),
    ("select", 2),
    ("quit", -1),
    ("hello", -1),
    ("reset", 1),
    ("auth", -2),
    ("client", -2),
    ("info", -1),
    ("config", -2),
    ("command", -1),
    ("time", 1),
    ("shutdown", -1),
    ("debug", -2),
];

#[test]
fn command_info_for_every_issue_2_command() {
    let s = Server::start();
    let mut c = s.client();
    let all: Vec<Value> = c.ok(&["COMMAND"]);
    let count: i64 = c.ok(&["COMMAND", "COUNT"]);
    assert_eq!(count as usize, all.len(), "COMMAND COUNT = length of COMMAND");
    assert!(count >= ISSUE_2_COMMANDS.len() as i64);
    for (name, arity) in ISSUE_2_COMMANDS {
        let info: Vec<Value> = c.ok(&["COMMAND", "INFO", name]);
        let Some(Value::Array(entry)) = info.first() else { panic!("COMMAND INFO {name}: {info:?}") };
        assert_eq!(entry[0], Value::BulkString(name.as_bytes().to_vec()), "{entry:?}");
        assert_eq!(entry[1], Value::Int(*arity), "arity of {name}");
        assert!(matches!(entry[2], Value::Array(_) | Value::Set(_)), "flags of {name}: {entry:?}");
        assert!(all.iter().any(|e| matches!(e, Value::Array(v) if v[0] == entry[0])), "COMMAND lacks {name}");
    }
    // Key positions as Redis declares them.
    let keys = |c: &mut redis::Connection, n: &str| -> (i64, i64, i64) {
        let info: Vec<Vec<Value>> = c.ok(&["COMMAND", "INFO", n]);
        let v = &info[0];
        let i = |x: &Value| match x {
            Value::Int(i) => *i,
            o => panic!("{o:?}"),
        };
        (i(&v[3]), i(&v[4]), i(&v[5]))
    };
    assert_eq!(keys(&mut c, "get"), (1, 1, 1));
    assert_eq!(keys(&mut c, "mset"), (1, -1, 2));
    assert_eq!(keys(&mut c, "mget"), (1, -1, 1));
    assert_eq!(keys(&mut c, "rename"), (1, 2, 1));
    assert_eq!(keys(&mut c, "ping"), (0, 0, 0));
    // Flags.
    let flags = |c: &mut redis::Connection, n: &str| -> Vec<String> {
        let info: Vec<Vec<Value>> = c.ok(&["COMMAND", "INFO", n]);
        redis::from_redis_value(info[0][2].clone()).unwrap()
    };
    assert!(flags(&mut c, "set").contains(&"write".to_string()));
    assert!(flags(&mut c, "get").contains(&"readonly".to_string()));
    assert!(flags(&mut c, "get").contains(&"fast".to_string()));
    // Unknown names give nil entries; names are case-insensitive.
    assert_eq!(c.ok::<Vec<Value>>(&["COMMAND", "INFO", "nosuchcmd"]), vec![Value::Nil]);
    let two: Vec<Value> = c.ok(&["COMMAND", "INFO", "GET", "SeT"]);
    assert_eq!(two.len(), 2);
    assert!(matches!(&two[1], Value::Array(v) if v[0] == Value::BulkString(b"set".to_vec())));
}

#[test]
fn command_docs_gives_summaries() {
    let s = Server::start();
    let mut c = s.client();
    // RESP2: a flat array name, docs (a flat array of field, value).
    let docs: Vec<Value> = c.ok(&["COMMAND", "DOCS", "get", "set"]);
    assert_eq!(docs.len(), 4, "{docs:?}");
    assert_eq!(docs[0], Value::BulkString(b"get".to_vec()));
    let Value::Array(fields) = &docs[1] else { panic!("{docs:?}") };
    let i = fields.iter().position(|f| f == &Value::BulkString(b"summary".to_vec())).expect("summary field");
    let summary: String = redis::from_redis_value(fields[i + 1].clone()).unwrap();
    assert!(!summary.is_empty());
    for f in ["since", "group"] {
        assert!(fields.contains(&Value::BulkString(f.as_bytes().to_vec())), "no {f} in {fields:?}");
    }
    // No argument: every command.
    let every: Vec<Value> = c.ok(&["COMMAND", "DOCS"]);
    let count: i64 = c.ok(&["COMMAND", "COUNT"]);
    assert_eq!(every.len() as i64, count * 2);
}

#[test]
fn time_command() {
    let s = Server::start();
    let mut c = s.client();
    let t: Vec<String> = c.ok(&["TIME"]);
    assert_eq!(t.len(), 2);
    let secs: i64 = t[0].parse().unwrap();
    let micros: i64 = t[1].parse().unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((secs - now).abs() <= 2, "TIME {secs} vs {now}");
    assert!((0..1_000_000).contains(&micros));
    assert_eq!(c.err(&["TIME", "x"]), "ERR wrong number of arguments for 'time' command");
}

#[test]
fn debug_sleep() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["DEBUG", "SLEEP", "0"]), Ok(Value::Okay));
    let t = Instant::now();
    assert_eq!(c.val(&["DEBUG", "SLEEP", "0.3"]), Ok(Value::Okay));
    assert!(t.elapsed() >= Duration::from_millis(290), "{:?}", t.elapsed());
}

#[test]
fn shutdown_exits_zero() {
    let mut s = Server::start();
    let mut c = s.client();
    c.ok::<()>(&["SET", "k", "v"]);
    let mut r = s.raw();
    r.send_cmd(&[b"SHUTDOWN"]);
    let st = s.wait_exit(Duration::from_secs(10)).expect("SHUTDOWN must stop the server");
    assert!(st.success(), "SHUTDOWN exit status: {st}");
    assert!(r.is_closed());
}

#[test]
fn shutdown_nosave_exits_zero() {
    let mut s = Server::start();
    s.raw().send_cmd(&[b"SHUTDOWN", b"NOSAVE"]);
    let st = s.wait_exit(Duration::from_secs(10)).expect("SHUTDOWN NOSAVE must stop the server");
    assert!(st.success(), "{st}");
}

#[test]
fn sigterm_exits_zero() {
    let mut s = Server::start();
    // With clients connected to both shards.
    let mut conns: Vec<_> = (0..4).map(|_| s.raw()).collect();
    for r in &mut conns {
        r.cmd(&["SET", "k", "v"]);
    }
    s.signal(libc::SIGTERM);
    let st = s.wait_exit(Duration::from_secs(10)).expect("SIGTERM must stop the server");
    assert!(st.success(), "SIGTERM exit status: {st}");
}

#[test]
fn sigint_exits_zero() {
    let mut s = Server::start();
    s.raw().cmd(&["PING"]);
    s.signal(libc::SIGINT);
    let st = s.wait_exit(Duration::from_secs(10)).expect("SIGINT must stop the server");
    assert!(st.success(), "SIGINT exit status: {st}");
}

#[test]
fn startup_log_names_version_port_and_shards() {
    let s = Server::with_args(&["--shards", "2"]);
    if s.is_redis {
        return;
    }
    let log = common::strip_ansi(&s.log_text());
    assert!(log.contains(&s.port().to_string()), "{log}");
    assert!(log.contains(env!("CARGO_PKG_VERSION")), "the start-up log names the version:\n{log}");
    assert!(log.to_lowercase().contains("shard"), "the start-up log names the shard count:\n{log}");
}

#[test]
fn one_shard_serves_everything() {
    let s = Server::with_args(&["--shards", "1"]);
    let mut c = s.client();
    c.ok::<()>(&["MSET", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.ok::<Vec<String>>(&["MGET", "a", "b", "c"]), vec!["1", "2", "3"]);
    c.ok::<()>(&["RENAME", "a", "z"]);
    assert_eq!(c.ok::<i64>(&["DBSIZE"]), 3);
    assert_eq!(c.ok::<i64>(&["DEL", "z", "b", "c"]), 3);
}

#[test]
fn config_file_as_first_argument() {
    let s = Server::with_config(
        "# a redis.conf\nrequirepass fromfile\nproto-max-bulk-len 2mb\nhz 15\n",
        &["--loglevel", "debug"],
    );
    let mut r = s.raw();
    assert_eq!(r.cmd(&["GET", "k"]), Frame::error("NOAUTH Authentication required."));
    assert_eq!(r.cmd(&["AUTH", "fromfile"]), Frame::simple("OK"));
    let got = r.cmd(&["CONFIG", "GET", "proto-max-bulk-len"]);
    assert_eq!(got, Frame::Array(vec![Frame::bulk("proto-max-bulk-len"), Frame::bulk("2097152")]));
    assert_eq!(r.cmd(&["CONFIG", "GET", "hz"]), Frame::Array(vec![Frame::bulk("hz"), Frame::bulk("15")]));
}

#[test]
fn busy_port_fails_with_redis_message() {
    let s = Server::start();
    let out = run_with_timeout(
        Command::new(env!("CARGO_BIN_EXE_ringkv")).args(["--port", &s.port().to_string(), "--shards", "2"]),
        None,
        Duration::from_secs(10),
    );
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "a second server on a busy port must fail:\n{text}");
    assert!(text.contains("Address already in use"), "{text}");
    // The first server is unharmed.
    assert_eq!(s.raw().cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn role_and_lastsave() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(
        c.val(&["ROLE"]),
        Ok(Value::Array(vec![Value::BulkString(b"master".to_vec()), Value::Int(0), Value::Array(vec![])]))
    );
    let last: i64 = c.ok(&["LASTSAVE"]);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!(last > 1_600_000_000 && last <= now + 1, "LASTSAVE {last}, now {now}");
    assert_eq!(c.err(&["ROLE", "x"]), "ERR wrong number of arguments for 'role' command");
}

/// A server stopped after serving clients and started again at once on
/// the same port comes up: the stopped process's listening sockets do not
/// outlive it (with an accept in flight on a shard's io_uring they did, for
/// up to half a second, and the new server found the port taken).
#[test]
fn restarts_at_once_on_the_same_port() {
    let mut s = Server::start();
    let port = s.port().to_string();
    for round in 0..5 {
        // Clients come and go, as before a real restart.
        let clients: Vec<_> = (0..20)
            .map(|i| {
                let addr = s.addr();
                std::thread::spawn(move || {
                    let mut c =
                        redis::Client::open(format!("redis://{addr}")).unwrap().get_connection().unwrap();
                    let _: () = redis::cmd("SET").arg(format!("k{i}")).arg(round).query(&mut c).unwrap();
                })
            })
            .collect();
        clients.into_iter().for_each(|t| t.join().unwrap());
        s.signal(libc::SIGTERM);
        assert!(s.wait_exit(Duration::from_secs(10)).is_some(), "round {round}: exits on SIGTERM");
        s = Server::with_args(&["--port", &port]);
        let pong: String = redis::cmd("PING").query(&mut s.client()).unwrap();
        assert_eq!(pong, "PONG", "round {round}");
    }
}
