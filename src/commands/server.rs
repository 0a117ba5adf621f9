//! Server commands: per-shard parts of DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, and
//! the table rows of INFO, CONFIG, COMMAND, TIME, SHUTDOWN, DEBUG, whose
//! bodies live in the server runtime because they span shards or threads.
//!
//! The keyspace-wide commands run on every shard with the same arguments, so
//! their argument errors are the same everywhere and the merge sees one text.

use super::flags::*;
use super::{Args, CmdError, CmdResult, CommandSpec, ConnCmd, Ctx, Exec, Merge, NO_KEYS};
use crate::keyspace::NUM_DBS;
use crate::protocol::Reply;
use crate::util::parse_i64;

/// DBSIZE — this shard's count; the runtime sums all shards.
fn dbsize(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    args.finish()?;
    Ok(Reply::Int(ctx.db().len() as i64))
}

/// The optional `ASYNC | SYNC` of FLUSHDB and FLUSHALL. Both free inline:
/// each shard flushes its own part in parallel with the others, so there is
/// no single large free to push to a background thread.
fn flush_mode(args: &mut Args) -> Result<(), CmdError> {
    if !args.flag("ASYNC") {
        args.flag("SYNC");
    }
    args.finish()
}

/// FLUSHDB [ASYNC | SYNC]
fn flushdb(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    flush_mode(args)?;
    let db = ctx.db();
    let removed = db.len() as u64;
    db.clear();
    ctx.dirty += removed;
    Ok(Reply::Ok)
}

/// FLUSHALL [ASYNC | SYNC]
fn flushall(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    flush_mode(args)?;
    ctx.dirty += ctx.ks.total_keys() as u64;
    ctx.ks.dbs.iter_mut().for_each(|db| db.clear());
    Ok(Reply::Ok)
}

/// SWAPDB index1 index2 — every shard swaps its two databases.
fn swapdb(ctx: &mut Ctx, args: &mut Args) -> CmdResult {
    // Redis reads each index as a C int, with its own message for each.
    let index = |arg: &[u8], msg: &str| {
        parse_i64(arg).filter(|&v| i32::try_from(v).is_ok()).ok_or_else(|| CmdError::other(msg))
    };
    let a = index(args.next()?, "ERR invalid first DB index")?;
    let b = index(args.next()?, "ERR invalid second DB index")?;
    args.finish()?;
    let in_range = |v: i64| usize::try_from(v).ok().filter(|&i| i < NUM_DBS);
    let (Some(a), Some(b)) = (in_range(a), in_range(b)) else {
        return Err(CmdError::DbIndex);
    };
    ctx.ks.swap(a, b);
    ctx.dirty += 1;
    Ok(Reply::Ok)
}

#[rustfmt::skip]
pub(super) const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dbsize", 1, READONLY | FAST, NO_KEYS, Exec::AllShards(dbsize, Merge::Sum), "server", "Returns the number of keys in the database."),
    CommandSpec::new("flushdb", -1, WRITE, NO_KEYS, Exec::AllShards(flushdb, Merge::Ok), "server", "Removes all keys from a database."),
    CommandSpec::new("flushall", -1, WRITE, NO_KEYS, Exec::AllShards(flushall, Merge::Ok), "server", "Removes all keys from all databases."),
    CommandSpec::new("swapdb", 3, WRITE | FAST, NO_KEYS, Exec::AllShards(swapdb, Merge::Ok), "server", "Swaps two Redis databases."),
    CommandSpec::new("info", -1, LOADING | STALE, NO_KEYS, Exec::Conn(ConnCmd::Info), "server", "Returns information and statistics about the server."),
];

#[cfg(test)]
mod tests {
    use super::super::keys::tests::Bench;

    #[test]
    fn dbsize_flush_swap() {
        let mut b = Bench::new();
        b.run(
            "SET a 1
             SET b 2
             SELECT 1
             SET c 3
             SELECT 0
             DBSIZE => :2
             DBSIZE x => ERR wrong number of arguments for 'dbsize' command
             FLUSHDB FOO => ERR syntax error
             FLUSHDB ASYNC SYNC => ERR syntax error
             FLUSHALL now => ERR syntax error
             FLUSHDB sync => OK
             DBSIZE => :0
             SELECT 1
             DBSIZE => :1
             SWAPDB 0 1 => OK
             DBSIZE => :0
             SELECT 0
             DBSIZE => :1
             SWAPDB a 1 => ERR invalid first DB index
             SWAPDB 0 b => ERR invalid second DB index
             SWAPDB a b => ERR invalid first DB index
             SWAPDB 0 2147483648 => ERR invalid second DB index
             SWAPDB 0 16 => ERR DB index is out of range
             SWAPDB -1 0 => ERR DB index is out of range
             SWAPDB 0 => ERR wrong number of arguments for 'swapdb' command
             SWAPDB 3 3 => OK
             SELECT 5
             SET d 4
             FLUSHDB => OK
             SET d 4
             FLUSHALL Async => OK
             DBSIZE => :0
             SELECT 0
             DBSIZE => :0
             SET e 5
             FLUSHALL => OK",
        );
        assert_eq!(b.ks.total_keys(), 0);
        // FLUSHDB: 2 + 1, SWAPDB twice, FLUSHALL: 2 + 1.
        assert_eq!(b.dirty, 3 + 2 + 3);
    }
}
