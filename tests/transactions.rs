//! MULTI / EXEC / DISCARD: queuing, errors, and atomicity on one shard and
//! across shards, as a client sees it.

mod common;

use common::{Exec, Server, key_on_shard};

#[test]
fn queued_commands_run_on_exec_in_order() {
    let s = Server::start();
    let mut c = s.client();
    let (a, b) = (key_on_shard("a", 0, 2), key_on_shard("b", 1, 2));
    let _: () = c.ok(&["MULTI"]);
    let q: String = c.ok(&["SET", &a, "1"]);
    assert_eq!(q, "QUEUED");
    let _: String = c.ok(&["INCR", &a]);
    let _: String = c.ok(&["SET", &b, "x"]);
    let _: String = c.ok(&["PING"]);
    let _: String = c.ok(&["MGET", &a, &b]);
    let r: redis::Value = c.ok(&["EXEC"]);
    let text = format!("{r:?}");
    assert!(text.contains("Int(2)") && text.contains("pong") || text.contains("PONG"), "{text}");
    let got: Vec<String> = c.ok(&["MGET", &a, &b]);
    assert_eq!(got, ["2", "x"]);
}

#[test]
fn errors_discard_and_nesting() {
    let s = Server::start();
    let mut c = s.client();
    assert_eq!(c.err(&["EXEC"]), "ERR EXEC without MULTI");
    assert_eq!(c.err(&["DISCARD"]), "ERR DISCARD without MULTI");
    let _: () = c.ok(&["MULTI"]);
    assert_eq!(c.err(&["MULTI"]), "ERR MULTI calls can not be nested");
    let _: String = c.ok(&["SET", "k", "1"]);
    let _: () = c.ok(&["DISCARD"]);
    assert_eq!(c.ok::<Option<String>>(&["GET", "k"]), None);
    // A refused command aborts the whole transaction.
    let _: () = c.ok(&["MULTI"]);
    let _: String = c.ok(&["SET", "k", "1"]);
    assert!(c.err(&["NOSUCHCMD"]).starts_with("ERR unknown command"));
    assert!(c.err(&["GET"]).starts_with("ERR wrong number of arguments"));
    assert_eq!(c.err(&["EXEC"]), "EXECABORT Transaction discarded because of previous errors.");
    assert_eq!(c.ok::<Option<String>>(&["GET", "k"]), None);
    // A runtime error inside EXEC is that command's reply; the rest runs.
    let _: () = c.ok(&["SET", "str", "x"]);
    let mut raw = s.raw();
    raw.cmd(&["MULTI"]);
    raw.cmd(&["INCR", "str"]);
    raw.cmd(&["SET", "k", "2"]);
    assert_eq!(
        raw.cmd(&["EXEC"]),
        common::Frame::Array(vec![
            common::Frame::error("ERR value is not an integer or out of range"),
            common::Frame::simple("OK")
        ])
    );
    assert_eq!(c.ok::<Option<String>>(&["GET", "k"]).as_deref(), Some("2"));
}

#[test]
fn a_transaction_across_shards_is_never_seen_half_done() {
    let s = Server::start();
    let (a, b) = (key_on_shard("a", 0, 2), key_on_shard("b", 1, 2));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (a, b, stop) = (a.clone(), b.clone(), stop.clone());
            let mut c = s.client();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let v: Vec<Option<String>> = c.ok(&["MGET", &a, &b]);
                    assert_eq!(v[0], v[1], "saw half a transaction: {v:?}");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut w = s.client();
    for i in 0..500 {
        let v = i.to_string();
        let mut p = redis::pipe();
        p.atomic().cmd("SET").arg(&a).arg(&v).cmd("SET").arg(&b).arg(&v);
        let _: () = p.query(&mut w).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let got: Vec<String> = w.ok(&["MGET", &a, &b]);
    assert_eq!(got, ["499", "499"]);
}

#[test]
fn a_transaction_holding_a_server_command_runs_with_keys_on_any_shard() {
    // DBSIZE makes EXEC run its commands one by one. Several connections,
    // so the keys are remote to some of them (a remote reply once had no
    // slot to land in and took the shard down).
    let s = Server::start();
    let (a, b) = (key_on_shard("a", 0, 2), key_on_shard("b", 1, 2));
    for i in 0..8 {
        let v = i.to_string();
        let mut c = s.client();
        let _: () = c.ok(&["MULTI"]);
        for cmd in [&["DBSIZE"][..], &["SET", &a, &v], &["SET", &b, &v], &["MGET", &a, &b]] {
            let q: String = c.ok(cmd);
            assert_eq!(q, "QUEUED");
        }
        let (n, ok_a, ok_b, got): (i64, String, String, Vec<String>) = c.ok(&["EXEC"]);
        assert_eq!((n, ok_a.as_str(), ok_b.as_str()), (if i == 0 { 0 } else { 2 }, "OK", "OK"));
        assert_eq!(got, [v.clone(), v]);
    }
    let pong: String = s.client().ok(&["PING"]);
    assert_eq!(pong, "PONG");
}
