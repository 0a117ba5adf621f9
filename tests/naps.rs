//! Naps (`--coalesce-us`): a busy shard gathers its clients' requests on a
//! timer instead of being woken by each packet. Its own test binary, so no
//! other test competes for the CPU: naps need a shard busy most of the time.

mod common;

use common::{Exec, Server, info_field, redis_benchmark};
use std::sync::Mutex;

/// The tests here run one at a time, for the same reason.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// 50 clients INCR one counter; returns the counter and, on ringkv, the
/// naps its shards took (`INFO stats` `coalesce_naps`).
fn fifty_clients_incr(s: &Server, n: u32) -> (i64, Option<u64>) {
    let n = n.to_string();
    redis_benchmark(s.port(), &["-t", "incr", "-c", "50", "-n", &n, "-q"], &["INCR"]);
    let mut c = s.client();
    let counter = c.ok::<i64>(&["GET", "counter:__rand_int__"]);
    let info = c.ok::<String>(&["INFO", "stats"]);
    (counter, info_field(&info, "coalesce_naps").map(|n| n.parse().unwrap()))
}

#[test]
fn many_clients_with_naps_lose_no_request() {
    // 50 connections coming back every few microseconds to one shard, busy
    // most of the time: it naps to gather requests rather than be woken by
    // each packet. Every request must still be answered once.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let s = Server::with_args(&["--shards", "1"]);
    let mut total = 0;
    // A moment of load from outside could keep the shard below the busy
    // share naps need; a few runs make the test independent of it.
    for _ in 0..4 {
        let (counter, naps) = fifty_clients_incr(&s, 100_000);
        total += 100_000;
        assert_eq!(counter, total);
        if s.is_redis || naps.expect("INFO stats has coalesce_naps") > 0 {
            return;
        }
    }
    panic!("no nap taken in four runs of 50 clients");
}

#[test]
fn coalesce_us_zero_turns_naps_off() {
    // As a flag, and as a line of the config file.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for s in [Server::with_args(&["--coalesce-us", "0"]), Server::with_config("coalesce-us 0\n", &[])] {
        if s.is_redis {
            return;
        }
        let (counter, naps) = fifty_clients_incr(&s, 100_000);
        assert_eq!(counter, 100_000);
        assert_eq!(naps, Some(0));
    }
}
