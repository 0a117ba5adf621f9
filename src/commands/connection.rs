//! Connection commands. Their bodies need connection state, so they run in
//! the server's connection task; this file holds their table rows.

use super::flags::*;
use super::{CommandSpec, ConnCmd, Exec, NO_KEYS};

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("ping", -1, FAST | STALE, NO_KEYS, Exec::Conn(ConnCmd::Ping), "connection", "Returns the server's liveliness response."),
    CommandSpec::new("echo", 2, FAST, NO_KEYS, Exec::Conn(ConnCmd::Echo), "connection", "Returns the given string."),
    CommandSpec::new("select", 2, LOADING | STALE | FAST, NO_KEYS, Exec::Conn(ConnCmd::Select), "connection", "Changes the selected database."),
    CommandSpec::new("quit", -1, NO_AUTH | STALE | FAST | LOADING, NO_KEYS, Exec::Conn(ConnCmd::Quit), "connection", "Closes the connection."),
];
