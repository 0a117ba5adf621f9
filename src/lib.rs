//! ringkv: a Redis-compatible in-memory key-value server, thread-per-core on
//! io_uring (glommio), shared-nothing.
//!
//! Module map (dependencies point down):
//! - [`server`]: shard executors, listeners, connections, routing, multi-shard ops
//! - [`replication`]: the replication core: ordered stream, backlog, master and replica sides
//! - [`persistence`]: the RDB format
//! - [`mesh`]: the messages that cross between threads
//! - [`route`]: key → slot → shard
//! - [`config`]: flags, redis.conf-style file, CONFIG GET/SET table
//! - [`commands`]: the command table and one file per command family
//! - [`keyspace`]: one shard's 16 databases, values, expiry
//! - [`protocol`]: RESP parsing and reply encoding
//! - [`util`]: number and glob helpers with Redis's exact rules

pub mod alloc;
pub mod commands;
pub mod config;
pub mod keyspace;
pub mod mesh;
pub mod persistence;
pub mod protocol;
pub mod replication;
pub mod route;
pub mod server;
pub mod util;

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;
