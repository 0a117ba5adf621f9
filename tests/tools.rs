//! The peers users drive ringkv with: `redis-cli` (commands and `--pipe`),
//! raw RESP through `nc` exactly as the seed document does it, and
//! `redis-benchmark` smoke runs. A missing tool fails the test with a
//! pointer to scripts/test, which installs it.

mod common;

use common::{Exec, Server, redis_benchmark, redis_cli, redis_cli_input, require_tool, run_with_timeout};
use std::process::Command;
use std::time::Duration;

#[test]
fn redis_cli_set_get() {
    let s = Server::start();
    let p = s.port();
    assert_eq!(redis_cli(p, &["PING"]), "PONG\n");
    assert_eq!(redis_cli(p, &["SET", "mykey", "hello"]), "OK\n");
    assert_eq!(redis_cli(p, &["GET", "mykey"]), "hello\n");
    assert_eq!(redis_cli(p, &["INCR", "n"]), "1\n");
    assert_eq!(redis_cli(p, &["GET", "nothing"]), "\n");
    assert_eq!(redis_cli(p, &["-n", "2", "SET", "in2", "x"]), "OK\n");
    assert_eq!(redis_cli(p, &["-n", "2", "DBSIZE"]), "1\n");
    assert_eq!(redis_cli(p, &["DBSIZE"]), "2\n");
    assert_eq!(redis_cli(p, &["MSET", "a", "1", "b", "2"]), "OK\n");
    assert_eq!(redis_cli(p, &["MGET", "a", "b", "zz"]), "1\n2\n\n");
    let err = redis_cli(p, &["GET"]);
    assert!(err.contains("ERR wrong number of arguments for 'get' command"), "{err:?}");
    let info = redis_cli(p, &["INFO", "server"]);
    assert!(info.contains("redis_version:"), "{info}");
    let mut c = s.client();
    assert_eq!(c.ok::<String>(&["GET", "mykey"]), "hello");
}

#[test]
fn redis_cli_with_password() {
    let s = Server::with_args(&["--requirepass", "pw"]);
    let out = redis_cli(s.port(), &["--no-auth-warning", "-a", "pw", "SET", "k", "v"]);
    assert_eq!(out, "OK\n");
    let out = redis_cli(s.port(), &["GET", "k"]);
    assert!(out.contains("NOAUTH Authentication required."), "{out:?}");
}

#[test]
fn redis_cli_pipe_mode() {
    let s = Server::start();
    let n = 5000;
    let mut input = Vec::new();
    for i in 0..n {
        input.extend(common::encode(&[b"SET", format!("pipe:{i}").as_bytes(), format!("{i}").as_bytes()]));
    }
    for i in 0..n / 2 {
        input.extend(common::encode(&[b"INCR", format!("pipe:{i}").as_bytes()]));
    }
    let out = redis_cli_input(s.port(), &["--pipe"], Some(&input));
    assert!(out.contains(&format!("errors: 0, replies: {}", n + n / 2)), "redis-cli --pipe summary: {out:?}");
    let mut c = s.client();
    assert_eq!(c.ok::<i64>(&["DBSIZE"]), n as i64);
    assert_eq!(c.ok::<String>(&["GET", "pipe:0"]), "1");
    assert_eq!(c.ok::<String>(&["GET", "pipe:4999"]), "4999");
}

fn sh(script: &str) -> String {
    require_tool("nc");
    let out = run_with_timeout(Command::new("sh").args(["-c", script]), None, Duration::from_secs(15));
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn nc_raw_resp_as_in_the_seed() {
    let s = Server::start();
    let p = s.port();
    let set =
        sh(&format!(r"printf '*3\r\n$3\r\nSET\r\n$5\r\nmykey\r\n$5\r\nhello\r\n' | nc -q 1 127.0.0.1 {p}"));
    assert_eq!(set, "+OK\r\n");
    let get = sh(&format!(r"printf '*2\r\n$3\r\nGET\r\n$5\r\nmykey\r\n' | nc -q 1 127.0.0.1 {p}"));
    assert_eq!(get, "$5\r\nhello\r\n");
    let ping = sh(&format!(r"printf 'PING\r\n' | nc -N 127.0.0.1 {p}"));
    assert_eq!(ping, "+PONG\r\n");
    let inline = sh(&format!(r"printf 'SET a b\r\nGET a\r\n' | nc -q 1 127.0.0.1 {p}"));
    assert_eq!(inline, "+OK\r\n$1\r\nb\r\n");
}

#[test]
fn redis_benchmark_set_get_incr_mset_pipelined() {
    let s = Server::start();
    redis_benchmark(
        s.port(),
        &["-t", "set,get,incr,mset", "-n", "100000", "-P", "16", "-q"],
        &["SET", "GET", "INCR", "MSET (10 keys)"],
    );
    // The keys redis-benchmark writes are really there.
    let mut c = s.client();
    assert_eq!(c.ok::<String>(&["GET", "key:__rand_int__"]).len(), 3);
    assert!(c.ok::<i64>(&["GET", "counter:__rand_int__"]) > 0);
}

#[test]
fn redis_benchmark_ping_inline_and_mbulk() {
    let s = Server::start();
    redis_benchmark(
        s.port(),
        &["-t", "ping_inline,ping_mbulk", "-n", "20000", "-q"],
        &["PING_INLINE", "PING_MBULK"],
    );
}

#[test]
fn redis_benchmark_whole_default_list() {
    // No -t: every default test, data types and blocking-free pops included.
    let s = Server::start();
    redis_benchmark(
        s.port(),
        &["-n", "5000", "-q"],
        &[
            "PING_INLINE",
            "PING_MBULK",
            "SET",
            "GET",
            "INCR",
            "LPUSH",
            "RPUSH",
            "LPOP",
            "RPOP",
            "SADD",
            "HSET",
            "SPOP",
            "ZADD",
            "ZPOPMIN",
            "LPUSH (needed to benchmark LRANGE)",
            "LRANGE_100 (first 100 elements)",
            "LRANGE_300 (first 300 elements)",
            "LRANGE_500 (first 500 elements)",
            "LRANGE_600 (first 600 elements)",
            "MSET (10 keys)",
        ],
    );
    let mut c = s.client();
    assert_eq!(c.ok::<String>(&["TYPE", "mylist"]), "list");
    assert_eq!(c.ok::<String>(&["OBJECT", "ENCODING", "mylist"]), "quicklist");
}
