//! Connection commands: PING, ECHO, SELECT, QUIT, HELLO (RESP3), RESET, AUTH
//! with `--requirepass`, and CLIENT ID/SETNAME/GETNAME/LIST/INFO/KILL across
//! connections that landed on different shards.

mod common;

use common::{Exec, Frame, Raw, Server, Value};

#[test]
fn ping_and_echo() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.val(&["PING"]), Ok(Value::SimpleString("PONG".into())));
    assert_eq!(c.val(&["PING", "hello"]), Ok(Value::BulkString(b"hello".to_vec())));
    assert_eq!(c.err(&["PING", "a", "b"]), "ERR wrong number of arguments for 'ping' command");
    assert_eq!(c.val(&["ECHO", "hi there"]), Ok(Value::BulkString(b"hi there".to_vec())));
    assert_eq!(c.err(&["ECHO"]), "ERR wrong number of arguments for 'echo' command");
    let mut r = s.raw();
    assert_eq!(r.cmd(&["PING"]), Frame::simple("PONG"));
    assert_eq!(r.cmd(&["ECHO", ""]), Frame::bulk(""));
}

#[test]
fn select_is_per_connection() {
    let s = Server::start();
    let mut a = s.raw();
    let mut b = s.raw();
    assert_eq!(a.cmd(&["SELECT", "7"]), Frame::simple("OK"));
    assert_eq!(a.cmd(&["SET", "k", "in7"]), Frame::simple("OK"));
    assert_eq!(b.cmd(&["GET", "k"]), Frame::NilBulk);
    assert_eq!(b.cmd(&["SELECT", "7"]), Frame::simple("OK"));
    assert_eq!(b.cmd(&["GET", "k"]), Frame::bulk("in7"));
    assert_eq!(a.cmd(&["SELECT", "16"]), Frame::error("ERR DB index is out of range"));
}

#[test]
fn quit_replies_ok_and_closes() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["SET", "k", "v"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["QUIT"]), Frame::simple("OK"));
    assert!(r.is_closed(), "QUIT must close the connection");
    // The server goes on.
    assert_eq!(s.raw().cmd(&["GET", "k"]), Frame::bulk("v"));
}

fn map_get<'a>(m: &'a [(Frame, Frame)], key: &str) -> &'a Frame {
    m.iter()
        .find(|(k, _)| k.text() == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("HELLO map has no '{key}': {m:?}"))
}

#[test]
fn hello_3_switches_to_resp3() {
    let s = Server::start();
    let mut r = s.raw();
    let id = match r.cmd(&["CLIENT", "ID"]) {
        Frame::Int(i) => i,
        other => panic!("CLIENT ID: {other:?}"),
    };
    let Frame::Map(m) = r.cmd(&["HELLO", "3"]) else { panic!("HELLO 3 must reply a RESP3 map") };
    for field in ["server", "version", "proto", "id", "mode", "role", "modules"] {
        map_get(&m, field);
    }
    assert_eq!(map_get(&m, "proto"), &Frame::Int(3));
    assert_eq!(map_get(&m, "id"), &Frame::Int(id));
    assert_eq!(map_get(&m, "mode").text(), "standalone");
    assert_eq!(map_get(&m, "role").text(), "master");
    assert!(matches!(map_get(&m, "modules"), Frame::Array(_) | Frame::Set(_)));
    let version = map_get(&m, "version").text();
    assert!(version.split('.').count() == 3, "version like 7.x.y: {version}");

    // RESP3 null for a missing key, written exactly as `_\r\n`.
    r.send(b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n");
    assert_eq!(r.read_exact_bytes(3), b"_\r\n");
    assert_eq!(r.cmd(&["SET", "k", "v"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(r.cmd(&["MGET", "k", "missing"]), Frame::Array(vec![Frame::bulk("v"), Frame::Null]));

    // Back to RESP2: HELLO 2 replies a flat array, nil is `$-1` again.
    match r.cmd(&["HELLO", "2"]) {
        Frame::Array(v) => assert_eq!(v.len(), 14, "{v:?}"),
        other => panic!("HELLO 2 reply: {other:?}"),
    }
    r.send(b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n");
    assert_eq!(r.read_exact_bytes(5), b"$-1\r\n");
}

#[test]
fn hello_errors_and_options() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["HELLO", "4"]), Frame::error("NOPROTO unsupported protocol version"));
    assert_eq!(
        r.cmd(&["HELLO", "x"]),
        Frame::error("ERR Protocol version is not an integer or out of range")
    );
    // No argument: the current protocol (RESP2 here) and its map as an array.
    match r.cmd(&["HELLO"]) {
        Frame::Array(v) => {
            assert_eq!(v.len(), 14);
            let i = v.iter().position(|f| f == &Frame::bulk("proto")).expect("proto field");
            assert_eq!(v[i + 1], Frame::Int(2));
        }
        other => panic!("HELLO reply: {other:?}"),
    }
    assert!(matches!(r.cmd(&["HELLO", "3", "SETNAME", "myconn"]), Frame::Map(_)));
    assert_eq!(r.cmd(&["CLIENT", "GETNAME"]), Frame::bulk("myconn"));
}

#[test]
fn reset_restores_connection_defaults() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(r.cmd(&["SET", "k", "db0"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["SELECT", "3"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["CLIENT", "SETNAME", "before"]), Frame::simple("OK"));
    assert!(matches!(r.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(r.cmd(&["RESET"]), Frame::simple("RESET"));
    // db 0, RESP2, no name.
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("db0"));
    assert_eq!(r.cmd(&["GET", "missing"]), Frame::NilBulk);
    assert_eq!(r.cmd(&["CLIENT", "GETNAME"]), Frame::NilBulk);
    assert_eq!(r.cmd(&["RESET", "x"]), Frame::error("ERR wrong number of arguments for 'reset' command"));
}

#[test]
fn auth_with_requirepass() {
    let s = Server::with_args(&["--requirepass", "s3cret"]);
    let mut r = s.raw();
    let noauth = Frame::error("NOAUTH Authentication required.");
    let wrongpass = Frame::error("WRONGPASS invalid username-password pair or user is disabled.");
    assert_eq!(r.cmd(&["GET", "k"]), noauth);
    assert_eq!(r.cmd(&["SET", "k", "v"]), noauth);
    assert_eq!(r.cmd(&["PING"]), noauth);
    assert_eq!(r.cmd(&["AUTH", "wrong"]), wrongpass);
    assert_eq!(r.cmd(&["AUTH", "default", "wrong"]), wrongpass);
    assert_eq!(r.cmd(&["AUTH", "someone", "s3cret"]), wrongpass);
    assert_eq!(r.cmd(&["GET", "k"]), noauth);
    assert_eq!(r.cmd(&["AUTH", "s3cret"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["SET", "k", "v"]), Frame::simple("OK"));
    assert_eq!(r.cmd(&["GET", "k"]), Frame::bulk("v"));
    assert_eq!(r.cmd(&["AUTH", "a", "b", "c"]), Frame::error("ERR syntax error"));
    // RESET logs the connection out.
    assert_eq!(r.cmd(&["RESET"]), Frame::simple("RESET"));
    assert_eq!(r.cmd(&["GET", "k"]), noauth);

    // AUTH default <pw>, and HELLO 3 AUTH in one step.
    let mut r2 = s.raw();
    assert_eq!(r2.cmd(&["AUTH", "default", "s3cret"]), Frame::simple("OK"));
    assert_eq!(r2.cmd(&["GET", "k"]), Frame::bulk("v"));
    let mut r3 = s.raw();
    match r3.cmd(&["HELLO", "3"]) {
        Frame::Error(e) => assert!(e.starts_with("NOAUTH"), "{e}"),
        other => panic!("HELLO 3 without auth must fail: {other:?}"),
    }
    assert_eq!(r3.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]), wrongpass);
    assert!(matches!(r3.cmd(&["HELLO", "3", "AUTH", "default", "s3cret"]), Frame::Map(_)));
    assert_eq!(r3.cmd(&["GET", "k"]), Frame::bulk("v"));
    // QUIT needs no auth.
    let mut r4 = s.raw();
    assert_eq!(r4.cmd(&["QUIT"]), Frame::simple("OK"));

    // A client library that authenticates from the URL.
    let mut c = s.client_url(&format!("redis://:s3cret@127.0.0.1:{}/", s.port()));
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v");
}

#[test]
fn auth_without_requirepass() {
    let s = Server::start();
    let mut r = s.raw();
    assert_eq!(
        r.cmd(&["AUTH", "foo"]),
        Frame::error(
            "ERR AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?"
        )
    );
    assert_eq!(r.cmd(&["PING"]), Frame::simple("PONG"));
}

fn client_id(r: &mut Raw) -> i64 {
    match r.cmd(&["CLIENT", "ID"]) {
        Frame::Int(i) => i,
        other => panic!("CLIENT ID: {other:?}"),
    }
}

/// `field=value` of one CLIENT LIST/INFO line.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split(' ').find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

#[test]
fn client_id_and_names() {
    let s = Server::start();
    let mut a = s.raw();
    let mut b = s.raw();
    let (ia, ib) = (client_id(&mut a), client_id(&mut b));
    assert!(ia > 0 && ib > 0 && ia != ib, "ids {ia} {ib}");
    assert_eq!(client_id(&mut a), ia, "an id is stable");
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), Frame::NilBulk);
    assert_eq!(a.cmd(&["CLIENT", "SETNAME", "worker-1"]), Frame::simple("OK"));
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), Frame::bulk("worker-1"));
    assert_eq!(b.cmd(&["CLIENT", "GETNAME"]), Frame::NilBulk);
    assert_eq!(
        a.cmd(&["CLIENT", "SETNAME", "has space"]),
        Frame::error("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), Frame::bulk("worker-1"));
    assert_eq!(a.cmd(&["CLIENT", "SETNAME", ""]), Frame::simple("OK"));
    assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), Frame::NilBulk);
    assert_eq!(a.cmd(&["CLIENT", "FOO"]), Frame::error("ERR unknown subcommand 'FOO'. Try CLIENT HELP."));
}

#[test]
fn client_list_and_info_cover_all_shards() {
    let s = Server::start();
    // Eight connections: the kernel spreads them over both shards.
    let mut conns: Vec<(Raw, i64, u16)> = (0..8)
        .map(|i| {
            let mut r = s.raw();
            let id = client_id(&mut r);
            assert_eq!(r.cmd(&["CLIENT", "SETNAME", &format!("conn{i}")]), Frame::simple("OK"));
            assert_eq!(r.cmd(&["SELECT", &(i % 3).to_string()]), Frame::simple("OK"));
            let port = r.stream.local_addr().unwrap().port();
            (r, id, port)
        })
        .collect();
    let mut ctl = s.raw();
    let ctl_id = client_id(&mut ctl);
    let list = ctl.cmd(&["CLIENT", "LIST"]).text();
    let lines: Vec<&str> = list.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 9, "CLIENT LIST must show all 9 connections:\n{list}");
    for (i, (_, id, port)) in conns.iter().enumerate() {
        let line = lines
            .iter()
            .find(|l| field(l, "id") == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("no line with id={id}:\n{list}"));
        assert_eq!(field(line, "addr"), Some(format!("127.0.0.1:{port}").as_str()), "{line}");
        assert_eq!(field(line, "name"), Some(format!("conn{i}").as_str()), "{line}");
        assert_eq!(field(line, "db"), Some((i % 3).to_string().as_str()), "{line}");
        for f in ["laddr", "age", "idle", "flags", "cmd"] {
            assert!(field(line, f).is_some(), "no {f}= in {line}");
        }
    }
    // CLIENT LIST ID filters.
    let (id0, id1) = (conns[0].1, conns[1].1);
    let some = ctl.cmd(&["CLIENT", "LIST", "ID", &id0.to_string(), &id1.to_string()]).text();
    assert_eq!(some.lines().filter(|l| !l.is_empty()).count(), 2, "{some}");

    let info = conns[3].0.cmd(&["CLIENT", "INFO"]).text();
    assert_eq!(info.trim_end().lines().count(), 1, "{info}");
    assert_eq!(field(info.trim_end(), "id"), Some(conns[3].1.to_string().as_str()));
    assert_eq!(field(info.trim_end(), "name"), Some("conn3"));
    assert_eq!(field(info.trim_end(), "cmd"), Some("client|info"));
    let own = ctl.cmd(&["CLIENT", "INFO"]).text();
    assert_eq!(field(own.trim_end(), "id"), Some(ctl_id.to_string().as_str()));
    conns.clear();
}

#[test]
fn client_kill_across_shards() {
    let s = Server::start();
    let mut victims: Vec<(Raw, i64)> = (0..8)
        .map(|_| {
            let mut r = s.raw();
            let id = client_id(&mut r);
            (r, id)
        })
        .collect();
    let mut ctl = s.raw();
    for (r, id) in victims.iter_mut().take(6) {
        assert_eq!(ctl.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]), Frame::Int(1));
        assert!(r.is_closed(), "client {id} must be disconnected by CLIENT KILL");
    }
    assert_eq!(ctl.cmd(&["CLIENT", "KILL", "ID", "999999"]), Frame::Int(0));
    // Old form: CLIENT KILL ip:port.
    let (r, id) = &mut victims[6];
    let addr = r.stream.local_addr().unwrap().to_string();
    assert_eq!(ctl.cmd(&["CLIENT", "KILL", &addr]), Frame::simple("OK"), "kill {id} by {addr}");
    assert!(r.is_closed());
    assert_eq!(ctl.cmd(&["CLIENT", "KILL", "127.0.0.1:1"]), Frame::error("ERR No such client"));
    // New form with ADDR.
    let (r, _) = &mut victims[7];
    let addr = r.stream.local_addr().unwrap().to_string();
    assert_eq!(ctl.cmd(&["CLIENT", "KILL", "ADDR", &addr]), Frame::Int(1));
    assert!(r.is_closed());
    // Only the control connection is left.
    let list = ctl.cmd(&["CLIENT", "LIST"]).text();
    assert_eq!(list.lines().filter(|l| !l.is_empty()).count(), 1, "{list}");
    assert_eq!(ctl.cmd(&["PING"]), Frame::simple("PONG"));
}

#[test]
fn resp3_through_client_library() {
    let s = Server::start();
    let mut c = s.client_url(&format!("redis://127.0.0.1:{}/?protocol=resp3", s.port()));
    c.ok::<()>(&["SET", "k", "v"]);
    assert_eq!(c.ok::<String>(&["GET", "k"]), "v");
    assert_eq!(c.val(&["GET", "missing"]), Ok(Value::Nil));
    assert_eq!(c.ok::<i64>(&["INCR", "n"]), 1);
}
