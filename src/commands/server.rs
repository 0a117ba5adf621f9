//! Server commands: per-shard parts of DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, and
//! the table rows of INFO, CONFIG, COMMAND, TIME, SHUTDOWN, DEBUG, whose
//! bodies live in the server runtime because they span shards or threads.

use super::flags::*;
use super::{Args, CmdResult, CommandSpec, ConnCmd, Ctx, Exec, Merge, NO_KEYS};
use crate::protocol::Reply;

/// DBSIZE — this shard's count; the runtime sums all shards.
fn dbsize(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    args.finish()?;
    Ok(Reply::Int(ctx.db().len() as i64))
}

pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dbsize", 1, READONLY | FAST, NO_KEYS, Exec::AllShards(dbsize, Merge::Sum), "server", "Returns the number of keys in the database."),
    CommandSpec::new("info", -1, LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Info), "server", "Returns information and statistics about the server."),
];
