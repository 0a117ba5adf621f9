//! Server configuration: command-line flags (Redis's names), an optional
//! redis.conf-style file as the first argument, and the CONFIG GET/SET table.
//!
//! Each shard holds its own copy of [`Config`]; CONFIG SET is applied on
//! every shard by the runtime, so nothing here is shared between threads.

use clap::Parser;

/// The Redis version we behave as; clients gate features on it.
pub const REDIS_VERSION: &str = "7.2.4";
use std::fmt::Write as _;

/// Command-line interface. Flags override the config file, as in Redis.
#[derive(Parser, Debug, Clone)]
#[command(name = "ringkv", version, about = "Redis-compatible thread-per-core key-value server")]
pub struct Cli {
    /// Path to a redis.conf-style configuration file.
    pub config_file: Option<String>,
    /// TCP port (0 = pick a free one; the chosen port is logged).
    #[arg(long)]
    pub port: Option<u16>,
    /// Addresses to listen on.
    #[arg(long, num_args = 1..)]
    pub bind: Option<Vec<String>>,
    /// Number of shards (executors pinned to cores). Default: usable cores.
    #[arg(long)]
    pub shards: Option<usize>,
    /// Password clients must AUTH with.
    #[arg(long)]
    pub requirepass: Option<String>,
    /// Start as a replica of HOST PORT.
    #[arg(long, num_args = 2, value_names = ["HOST", "PORT"])]
    pub replicaof: Option<Vec<String>>,
    /// Password for the master's AUTH.
    #[arg(long)]
    pub masterauth: Option<String>,
    /// debug, verbose, notice or warning.
    #[arg(long)]
    pub loglevel: Option<String>,
    /// Largest bulk argument in bytes.
    #[arg(long = "proto-max-bulk-len")]
    pub proto_max_bulk_len: Option<String>,
    /// Maximum simultaneous clients.
    #[arg(long)]
    pub maxclients: Option<usize>,
    /// Working directory for snapshot files.
    #[arg(long)]
    pub dir: Option<String>,
    /// Longest nap, in microseconds, a busy shard takes to gather its
    /// clients' requests instead of being woken by each (0: never nap).
    #[arg(long = "coalesce-us")]
    pub coalesce_us: Option<u64>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub shards: usize,
    pub requirepass: Option<String>,
    pub replicaof: Option<(String, u16)>,
    pub masterauth: Option<String>,
    pub loglevel: String,
    pub proto_max_bulk_len: usize,
    pub maxclients: usize,
    /// Idle client timeout in seconds, 0 = never.
    pub timeout: u64,
    /// Active expiry cycles per second.
    pub hz: u64,
    pub dir: String,
    pub dbfilename: String,
    /// Compact-encoding thresholds of the collection types.
    pub enc: crate::keyspace::Encodings,
    pub repl_backlog_size: usize,
    pub repl_ping_replica_period: u64,
    pub repl_timeout: u64,
    pub replica_read_only: bool,
    /// `client-output-buffer-limit replica <hard> <soft> <soft-seconds>`.
    pub replica_obuf: (usize, usize, u64),
    /// `--coalesce-us`: the longest nap of a shard's socket poller, µs.
    pub coalesce_us: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".into()],
            shards: std::thread::available_parallelism().map_or(1, |n| n.get()),
            requirepass: None,
            replicaof: None,
            masterauth: None,
            loglevel: "notice".into(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            maxclients: 10000,
            timeout: 0,
            hz: 10,
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            enc: crate::keyspace::Encodings::default(),
            repl_backlog_size: 1024 * 1024,
            repl_ping_replica_period: 10,
            repl_timeout: 60,
            replica_read_only: true,
            replica_obuf: (256 << 20, 64 << 20, 60),
            coalesce_us: 50,
        }
    }
}

/// Parses a memory size as Redis does: bytes, or with k/kb/m/mb/g/gb.
pub fn parse_memory(s: &str) -> Option<usize> {
    let l = s.to_ascii_lowercase();
    let (num, mul) = [
        ("gb", 1 << 30),
        ("g", 1_000_000_000),
        ("mb", 1 << 20),
        ("m", 1_000_000),
        ("kb", 1 << 10),
        ("k", 1000),
    ]
    .iter()
    .find_map(|(suf, mul)| l.strip_suffix(suf).map(|n| (n.to_string(), *mul)))
    .unwrap_or((l.clone(), 1));
    num.parse::<usize>().ok()?.checked_mul(mul)
}

fn yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

type Getter = fn(&Config) -> String;
type Setter = fn(&mut Config, &str) -> Result<(), String>;

/// One CONFIG parameter: its name, how to read it and, when it can change
/// at run time, how to set it.
pub struct Param {
    pub name: &'static str,
    pub get: Getter,
    pub set: Option<Setter>,
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| "argument couldn't be parsed into an integer".to_string())
}

/// The parameters we honour. CONFIG GET matches these by glob.
pub const PARAMS: &[Param] = &[
    Param { name: "port", get: |c| c.port.to_string(), set: None },
    Param { name: "bind", get: |c| c.bind.join(" "), set: None },
    Param {
        name: "requirepass",
        get: |c| c.requirepass.clone().unwrap_or_default(),
        set: Some(|c, v| {
            c.requirepass = (!v.is_empty()).then(|| v.to_string());
            Ok(())
        }),
    },
    Param {
        name: "masterauth",
        get: |c| c.masterauth.clone().unwrap_or_default(),
        set: Some(|c, v| {
            c.masterauth = (!v.is_empty()).then(|| v.to_string());
            Ok(())
        }),
    },
    Param {
        name: "loglevel",
        get: |c| c.loglevel.clone(),
        set: Some(|c, v| {
            let v = v.to_ascii_lowercase();
            if !["debug", "verbose", "notice", "warning", "nothing"].contains(&v.as_str()) {
                return Err(
                    "argument(s) must be one of the following: debug, verbose, notice, warning, nothing"
                        .into(),
                );
            }
            c.loglevel = v;
            Ok(())
        }),
    },
    Param {
        name: "proto-max-bulk-len",
        get: |c| c.proto_max_bulk_len.to_string(),
        set: Some(|c, v| {
            let n = parse_memory(v).ok_or("argument must be a memory value")?;
            if n < 1024 * 1024 {
                return Err("argument must be between 1048576 and 9223372036854775807 inclusive".into());
            }
            c.proto_max_bulk_len = n;
            Ok(())
        }),
    },
    Param {
        name: "maxclients",
        get: |c| c.maxclients.to_string(),
        set: Some(|c, v| {
            c.maxclients = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "timeout",
        get: |c| c.timeout.to_string(),
        set: Some(|c, v| {
            c.timeout = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "hz",
        get: |c| c.hz.to_string(),
        set: Some(|c, v| {
            let hz: u64 = num(v)?;
            c.hz = hz.clamp(1, 500);
            Ok(())
        }),
    },
    Param {
        name: "list-max-listpack-size",
        get: |c| c.enc.list_max_listpack_size.to_string(),
        set: Some(|c, v| {
            c.enc.list_max_listpack_size = num(v)?;
            Ok(())
        }),
    },
    Param { name: "list-compress-depth", get: |_| "0".into(), set: None },
    Param {
        name: "hash-max-listpack-entries",
        get: |c| c.enc.hash_max_listpack_entries.to_string(),
        set: Some(|c, v| {
            c.enc.hash_max_listpack_entries = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "hash-max-listpack-value",
        get: |c| c.enc.hash_max_listpack_value.to_string(),
        set: Some(|c, v| {
            c.enc.hash_max_listpack_value = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "set-max-intset-entries",
        get: |c| c.enc.set_max_intset_entries.to_string(),
        set: Some(|c, v| {
            c.enc.set_max_intset_entries = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "set-max-listpack-entries",
        get: |c| c.enc.set_max_listpack_entries.to_string(),
        set: Some(|c, v| {
            c.enc.set_max_listpack_entries = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "set-max-listpack-value",
        get: |c| c.enc.set_max_listpack_value.to_string(),
        set: Some(|c, v| {
            c.enc.set_max_listpack_value = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "zset-max-listpack-entries",
        get: |c| c.enc.zset_max_listpack_entries.to_string(),
        set: Some(|c, v| {
            c.enc.zset_max_listpack_entries = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "zset-max-listpack-value",
        get: |c| c.enc.zset_max_listpack_value.to_string(),
        set: Some(|c, v| {
            c.enc.zset_max_listpack_value = num(v)?;
            Ok(())
        }),
    },
    Param {
        name: "repl-backlog-size",
        get: |c| c.repl_backlog_size.to_string(),
        set: Some(|c, v| {
            c.repl_backlog_size = parse_memory(v).ok_or("argument must be a memory value")?.max(16 * 1024);
            Ok(())
        }),
    },
    Param {
        name: "repl-ping-replica-period",
        get: |c| c.repl_ping_replica_period.to_string(),
        set: Some(|c, v| {
            c.repl_ping_replica_period = num::<u64>(v)?.max(1);
            Ok(())
        }),
    },
    Param {
        name: "repl-timeout",
        get: |c| c.repl_timeout.to_string(),
        set: Some(|c, v| {
            c.repl_timeout = num::<u64>(v)?.max(1);
            Ok(())
        }),
    },
    Param {
        name: "replica-read-only",
        get: |c| if c.replica_read_only { "yes" } else { "no" }.into(),
        set: Some(|c, v| {
            c.replica_read_only = yes_no(v)?;
            Ok(())
        }),
    },
    Param { name: "repl-diskless-sync", get: |_| "yes".into(), set: None },
    Param {
        name: "client-output-buffer-limit",
        get: |c| {
            let (h, s, t) = c.replica_obuf;
            format!("normal 0 0 0 slave {h} {s} {t} pubsub 33554432 8388608 60")
        },
        set: Some(|c, v| {
            let parts: Vec<&str> = v.split_whitespace().collect();
            if !parts.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            for p in parts.chunks(4) {
                let class = p[0].to_ascii_lowercase();
                let hard = parse_memory(p[1])
                    .ok_or("Error in hard, soft or soft_seconds setting in buffer limit configuration.")?;
                let soft = parse_memory(p[2])
                    .ok_or("Error in hard, soft or soft_seconds setting in buffer limit configuration.")?;
                let secs: u64 = p[3].parse().map_err(
                    |_| "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
                )?;
                match class.as_str() {
                    "slave" | "replica" => c.replica_obuf = (hard, soft, secs),
                    "normal" | "pubsub" => {}
                    _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
                }
            }
            Ok(())
        }),
    },
    Param { name: "databases", get: |_| crate::keyspace::NUM_DBS.to_string(), set: None },
    Param { name: "dir", get: |c| c.dir.clone(), set: None },
    Param {
        name: "dbfilename",
        get: |c| c.dbfilename.clone(),
        set: Some(|c, v| {
            c.dbfilename = v.to_string();
            Ok(())
        }),
    },
    // We never snapshot on a schedule nor keep an AOF: these say so truthfully
    // (redis-benchmark reads them) and refuse other values.
    Param {
        name: "save",
        get: |_| String::new(),
        set: Some(
            |_, v| if v.trim().is_empty() { Ok(()) } else { Err("scheduled saving is not supported".into()) },
        ),
    },
    Param {
        name: "appendonly",
        get: |_| "no".into(),
        set: Some(|_, v| if !yes_no(v)? { Ok(()) } else { Err("AOF is not supported yet".into()) }),
    },
];

pub fn param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

impl Config {
    /// Builds the configuration from the CLI and the optional file.
    pub fn load(cli: Cli) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(path) = &cli.config_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("Fatal error, can't open config file '{path}': {e}"))?;
            c.apply_file(&text)?;
        }
        if let Some(p) = cli.port {
            c.port = p;
        }
        if let Some(b) = cli.bind {
            c.bind = b;
        }
        if let Some(s) = cli.shards {
            if s == 0 {
                return Err("--shards must be at least 1".into());
            }
            c.shards = s;
        }
        if let Some(p) = cli.requirepass {
            c.requirepass = Some(p);
        }
        if let Some(r) = cli.replicaof {
            c.replicaof = Some(parse_replicaof(&r[0], &r[1])?);
        }
        if let Some(p) = cli.masterauth {
            c.masterauth = Some(p);
        }
        if let Some(l) = cli.loglevel {
            c.set("loglevel", &l)?;
        }
        if let Some(l) = cli.proto_max_bulk_len {
            c.set("proto-max-bulk-len", &l)?;
        }
        if let Some(m) = cli.maxclients {
            c.maxclients = m;
        }
        if let Some(d) = cli.dir {
            c.dir = d;
        }
        if let Some(n) = cli.coalesce_us {
            c.coalesce_us = n;
        }
        Ok(c)
    }

    /// Applies redis.conf lines: `name value...`, `#` comments.
    pub fn apply_file(&mut self, text: &str) -> Result<(), String> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(2, char::is_whitespace);
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            let value = parts.next().unwrap_or_default().trim().trim_matches('"');
            let res = match name.as_str() {
                "port" => num(value).map(|p| self.port = p),
                "bind" => {
                    self.bind = value.split_whitespace().map(String::from).collect();
                    Ok(())
                }
                "dir" => {
                    self.dir = value.to_string();
                    Ok(())
                }
                "shards" => num(value).map(|s| self.shards = s),
                "coalesce-us" => num(value).map(|n| self.coalesce_us = n),
                "replicaof" | "slaveof" => {
                    let mut it = value.split_whitespace();
                    match (it.next(), it.next()) {
                        (Some(h), Some(p)) => parse_replicaof(h, p).map(|r| self.replicaof = Some(r)),
                        _ => Err("wrong number of arguments".into()),
                    }
                }
                other => self.set(other, value),
            };
            res.map_err(|e| {
                format!("\n*** FATAL CONFIG FILE ERROR ***\nline {}\n>>> '{}'\n{}", n + 1, line, e)
            })?;
        }
        Ok(())
    }

    /// CONFIG SET one parameter.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let p = param(name).ok_or_else(|| format!("Bad directive or wrong number of arguments: '{name}'"))?;
        let set = p.set.ok_or_else(|| "can't set immutable config".to_string())?;
        set(self, value)
    }

    /// CONFIG GET: every (name, value) whose name matches one of the globs.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(&'static str, String)> {
        PARAMS
            .iter()
            .filter(|p| patterns.iter().any(|pat| crate::util::glob_match(pat, p.name.as_bytes(), true)))
            .map(|p| (p.name, (p.get)(self)))
            .collect()
    }

    /// A short description for logs.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "port={} shards={} bind={}", self.port, self.shards, self.bind.join(","));
        s
    }
}

fn parse_replicaof(host: &str, port: &str) -> Result<(String, u16), String> {
    let port: u16 = port.parse().map_err(|_| format!("Invalid master port: '{port}'"))?;
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_memory_units() {
        let mut c = Config::default();
        c.apply_file(
            "# comment\nport 7000\nbind 127.0.0.1 ::1\nproto-max-bulk-len 2mb\nreplicaof 10.0.0.1 6380\n",
        )
        .unwrap();
        assert_eq!(c.port, 7000);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
        assert_eq!(c.proto_max_bulk_len, 2 << 20);
        assert_eq!(c.replicaof, Some(("10.0.0.1".into(), 6380)));
        assert!(c.apply_file("nosuchthing 1\n").unwrap_err().contains("line 1"));
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("5k"), Some(5000));
    }

    #[test]
    fn get_by_glob() {
        let c = Config::default();
        let got = c.get_matching(&[b"save", b"appendonly"]);
        assert_eq!(got, vec![("save", String::new()), ("appendonly", "no".to_string())]);
        assert!(c.get_matching(&[b"*max*"]).iter().any(|(n, _)| *n == "maxclients"));
    }
}
