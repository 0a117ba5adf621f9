//! CONFIG GET/SET/RESETSTAT: the command side of the parameters defined in
//! `crate::config`. A SET is validated in full before any shard applies it.

use super::admin::{R, all_shards};
use super::conn::Conn;
use crate::commands::CmdError;
use crate::mesh::{Admin, Req};
use crate::protocol::Reply;
use bytes::Bytes;

/// CONFIG GET|SET|RESETSTAT|REWRITE|HELP
pub(super) async fn config(conn: &mut Conn, argv: &[Bytes]) -> R {
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
