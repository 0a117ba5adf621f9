//! CLIENT: this connection's identity (ID, SETNAME, GETNAME, SETINFO, INFO)
//! and the server-wide LIST and KILL, which ask every shard about the
//! connections it serves and merge the answers.

use super::admin::{R, all_shards};
use super::conn::Conn;
use crate::commands::{Args, CmdError};
use crate::mesh::{Admin, KillFilter, Req, Resp};
use crate::protocol::Reply;
use bytes::Bytes;

/// A client name as Redis accepts it (CLIENT SETNAME, HELLO SETNAME):
/// printable ASCII without spaces.
pub(super) fn valid_client_name(n: &[u8]) -> Result<(), CmdError> {
    if n.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(CmdError::other(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

/// CLIENT ID | SETNAME | GETNAME | SETINFO | INFO | LIST | KILL | NO-EVICT | NO-TOUCH | HELP
pub(super) async fn client(conn: &mut Conn, argv: &[Bytes]) -> R {
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
