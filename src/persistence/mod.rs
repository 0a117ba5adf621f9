//! Persistence formats: the RDB codec that full sync, SAVE and loading at
//! start-up share.
//!
//! Pure data transformation: nothing here does I/O, owns a thread or knows
//! of shards, connections or commands. Callers hand in values and get bytes,
//! or hand in bytes and get keys. Depends on [`crate::keyspace`] (the value
//! types) and [`crate::util`] only.

pub mod rdb;
