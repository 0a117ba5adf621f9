//! Connection and transaction commands. Their bodies need connection
//! state, so they run in the server's connection task; this file holds
//! their table rows.

use super::flags::*;
use super::{CommandSpec, ConnCmd, Exec, NO_KEYS, keys};

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, FAST | STALE, NO_KEYS, Exec::Conn(ConnCmd::Ping), "connection", "Returns the server's liveliness response."),
    CommandSpec::new("echo", 2, FAST, NO_KEYS, Exec::Conn(ConnCmd::Echo), "connection", "Returns the given string."),
    CommandSpec::new("select", 2, LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Select), "connection", "Changes the selected database."),
    CommandSpec::new("hello", -1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, NO_KEYS, Exec::Conn(ConnCmd::Hello), "connection", "Handshakes with the Redis server."),
    CommandSpec::new("reset", 1, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, NO_KEYS, Exec::Conn(ConnCmd::Reset), "connection", "Resets the connection."),
    CommandSpec::new("auth", -2, NOSCRIPT | LOADING | STALE | FAST | NO_AUTH, NO_KEYS, Exec::Conn(ConnCmd::Auth), "connection", "Authenticates the connection."),
    CommandSpec::new("client", -2, NOSCRIPT | LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Client), "connection", "A container for client connection commands."),
    CommandSpec::new("multi", 1, NOSCRIPT | LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Multi), "transactions", "Starts a transaction."),
    CommandSpec::new("exec", 1, NOSCRIPT | LOADING | STALE | SKIP_MONITOR, NO_KEYS, Exec::Conn(ConnCmd::ExecTx), "transactions", "Executes all commands in a transaction."),
    CommandSpec::new("discard", 1, NOSCRIPT | LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Discard), "transactions", "Discards a transaction."),
    CommandSpec::new("watch", -2, NOSCRIPT | LOADING | STALE | FAST, keys(1, -1, 1), Exec::Conn(ConnCmd::Watch), "transactions", "Monitors changes to keys to determine the execution of a transaction."),
    CommandSpec::new("unwatch", 1, NOSCRIPT | LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Unwatch), "transactions", "Forgets about watched keys of a transaction."),
    CommandSpec::new("quit", -1, NO_AUTH | STALE | FAST | LOADING, NO_KEYS, Exec::Conn(ConnCmd::Quit), "connection", "Closes the connection."),
];
