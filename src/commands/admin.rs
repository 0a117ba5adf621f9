//! Table rows of server commands whose bodies run in the connection task
//! (they span shards or threads): CONFIG, COMMAND, TIME, SHUTDOWN, DEBUG,
//! SCAN, RANDOMKEY, LASTSAVE, ROLE and the replication commands. The bodies
//! live in `server::admin` and `server::conn`.

use super::flags::*;
use super::{CommandSpec, ConnCmd, Exec, NO_KEYS};

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("config", -2, ADMIN | NOSCRIPT | LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Config), "server", "A container for server configuration commands."),
    CommandSpec::new("command", -1, LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Command), "server", "Returns detailed information about all commands."),
    CommandSpec::new("time", 1, LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Time), "server", "Returns the server time."),
    CommandSpec::new("shutdown", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_AUTH, NO_KEYS, Exec::Conn(ConnCmd::Shutdown), "server", "Synchronously saves the database(s) to disk and shuts down the Redis server."),
    CommandSpec::new("debug", -2, ADMIN | NOSCRIPT | LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Debug), "server", "A container for debugging commands."),
    CommandSpec::new("scan", -2, READONLY, NO_KEYS, Exec::Conn(ConnCmd::Scan), "generic", "Iterates over the key names in the database."),
    CommandSpec::new("randomkey", 1, READONLY, NO_KEYS, Exec::Conn(ConnCmd::RandomKey), "generic", "Returns a random key name from the database."),
    CommandSpec::new("lastsave", 1, LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Lastsave), "server", "Returns the Unix timestamp of the last successful save to disk."),
    CommandSpec::new("psync", -3, ADMIN | NOSCRIPT, NO_KEYS, Exec::Conn(ConnCmd::Psync), "server", "An internal command used in replication."),
    CommandSpec::new("sync", 1, ADMIN | NOSCRIPT, NO_KEYS, Exec::Conn(ConnCmd::Psync), "server", "An internal command used in replication."),
    CommandSpec::new("replconf", -1, ADMIN | NOSCRIPT | LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Replconf), "server", "An internal command for configuring the replication stream."),
    CommandSpec::new("replicaof", 3, ADMIN | NOSCRIPT | STALE, NO_KEYS, Exec::Conn(ConnCmd::Replicaof), "server", "Configures a server as replica of another, or promotes it to a master."),
    CommandSpec::new("slaveof", 3, ADMIN | NOSCRIPT | STALE, NO_KEYS, Exec::Conn(ConnCmd::Replicaof), "server", "Sets a Redis server as a replica of another, or promotes it to being a master."),
    CommandSpec::new("wait", 3, NOSCRIPT, NO_KEYS, Exec::Conn(ConnCmd::Wait), "generic", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed."),
    CommandSpec::new("role", 1, NOSCRIPT | LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Role), "server", "Returns the replication role."),
];
