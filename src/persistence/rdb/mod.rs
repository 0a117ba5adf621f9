//! The RDB file format, as Redis writes and reads it.
//!
//! We *write* version 9 (`REDIS0009`) with the plain encodings only (strings,
//! possibly int-encoded; lists as type 1, sets 2, hashes 4, sorted sets 5
//! with binary scores): Redis 6.2 through 7.x and Valkey all load that.
//! We *read* versions 1 to 11 with every encoding a real Redis master sends:
//! int and LZF strings, zipmap, ziplist, intset, listpack, quicklist (1 and
//! 2). Anything we cannot represent (streams, modules, functions, a newer
//! version) is an [`RdbError`] that names it, never a silently partial load.
//!
//! A file is: `REDIS` + 4-digit version, AUX fields, then per database a
//! SELECTDB (and optional RESIZEDB) followed by its keys, then EOF and the
//! CRC-64 of everything before it as 8 little-endian bytes. The writer
//! pieces ([`write_header`], [`write_select_db`], [`write_entry`],
//! [`write_eof`]) let a caller stream a snapshot in chunks while feeding a
//! running [`Crc64`]; [`encode_all`] builds a whole file in one go.
//!
//! [`load`] decodes a whole file held in memory and hands each key to a
//! sink as it goes, in file order ([`load_with_encodings`] takes CONFIG's
//! compact-encoding thresholds). On an error, keys already handed over must
//! be discarded (the caller flushes): an unsupported type or a bad checksum
//! can appear after them.
//!
//! The decoder is safe on hostile input: it never panics, checks every length
//! against the bytes actually left before allocating, and bounds the output
//! of LZF by its input.

mod decode;
mod encode;
mod intset;
mod listpack;
mod lzf;
mod values;
mod ziplist;
mod zipmap;

pub use decode::{load, load_with_encodings};
pub use encode::{encode_all, write_entry, write_eof, write_header, write_resize_db, write_select_db};

use crate::keyspace::Entry;
use bytes::Bytes;
use std::fmt;

/// The RDB version we write: loads in Redis 6.2-7.x and Valkey.
pub const VERSION: u32 = 9;

/// The newest RDB version we read (Redis 7.2).
pub const MAX_VERSION: u32 = 11;

/// Opcodes that may appear where a value type byte is expected.
mod opcode {
    /// Valkey 8 / Redis 7.4 cluster slot sizes (three lengths); skipped.
    pub const SLOT_INFO: u8 = 244;
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Value type bytes.
mod ty {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// Length-encoding prefixes (the top two bits of the first byte).
mod len {
    pub const BITS6: u8 = 0;
    pub const BITS14: u8 = 1;
    pub const BITS32: u8 = 0x80;
    pub const BITS64: u8 = 0x81;
    pub const ENCVAL: u8 = 3;
    /// Special string encodings, in the low six bits after `ENCVAL`.
    pub const ENC_INT8: u8 = 0;
    pub const ENC_INT16: u8 = 1;
    pub const ENC_INT32: u8 = 2;
    pub const ENC_LZF: u8 = 3;
}

static CRC64: crc::Crc<u64, crc::Table<16>> = crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

/// CRC-64/Redis (Jones polynomial, reflected, no xor): a running digest over
/// every byte of the file up to and including the EOF opcode.
#[derive(Clone)]
pub struct Crc64 {
    digest: crc::Digest<'static, u64, crc::Table<16>>,
}

impl Crc64 {
    /// A digest over no bytes yet.
    pub fn new() -> Self {
        Crc64 { digest: CRC64.digest() }
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, b: &[u8]) {
        self.digest.update(b);
    }

    /// The checksum of everything fed so far; the digest can go on.
    pub fn finish(&self) -> u64 {
        self.digest.clone().finalize()
    }

    /// The checksum of `b` in one call.
    pub fn checksum(b: &[u8]) -> u64 {
        CRC64.checksum(b)
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Crc64::new()
    }
}

impl fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Crc64({:#018x})", self.finish())
    }
}

/// One key read from a file, in file order.
#[derive(Debug, Clone)]
pub struct LoadedKey {
    /// The database index of the last SELECTDB before it (0 if none).
    pub db: usize,
    pub key: Bytes,
    /// The value and its absolute expiry in Unix ms, even if already past:
    /// the caller decides whether to drop it.
    pub entry: Entry,
}

/// What a file says about itself besides its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbInfo {
    /// The version from the `REDISnnnn` header.
    pub version: u32,
    /// AUX fields in file order (`redis-ver`, `repl-id`, `repl-offset`, ...);
    /// integer-encoded values come back as decimal text.
    pub aux: Vec<(String, String)>,
}

impl RdbInfo {
    /// The value of AUX field `name`, if the file has one.
    pub fn aux(&self, name: &str) -> Option<&str> {
        self.aux.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a file could not be loaded. Every variant's text names what was
/// wrong, so a log line or a replica's error says which type or module it
/// met.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbError {
    /// The data does not start with `REDIS` and four digits (the first
    /// bytes found, at most 9).
    BadMagic(Vec<u8>),
    /// A version outside 1..=[`MAX_VERSION`].
    UnsupportedVersion(u32),
    /// A type byte that is no value type and no opcode we know.
    UnknownType(u8),
    /// A value type we know but cannot hold (streams, module values).
    UnsupportedType { type_id: u8, name: &'static str },
    /// Module data (a module value or module AUX), naming the module.
    Module { name: String },
    /// A function library (Redis 7 FUNCTION LOAD).
    FunctionsUnsupported,
    /// SELECTDB beyond our 16 databases.
    DbOutOfRange(u64),
    /// The stored checksum differs from the computed one.
    ChecksumMismatch { stored: u64, computed: u64 },
    /// The data ends in the middle of something.
    UnexpectedEof,
    /// Anything else malformed, with a description.
    Corrupt(String),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::BadMagic(found) => {
                write!(f, "bad RDB magic: expected \"REDISnnnn\", found {:?}", String::from_utf8_lossy(found))
            }
            RdbError::UnsupportedVersion(v) => {
                write!(f, "unsupported RDB version {v} (this build reads versions 1 to {MAX_VERSION})")
            }
            RdbError::UnknownType(t) => write!(f, "unknown RDB value type or opcode {t}"),
            RdbError::UnsupportedType { type_id, name } => {
                write!(f, "RDB value type {type_id} ({name}) is not supported")
            }
            RdbError::Module { name } => {
                write!(f, "RDB contains data of module '{name}', and modules are not supported")
            }
            RdbError::FunctionsUnsupported => {
                write!(f, "RDB contains functions: functions are not supported")
            }
            RdbError::DbOutOfRange(db) => {
                write!(f, "RDB selects database {db}, but only {} databases exist", crate::keyspace::NUM_DBS)
            }
            RdbError::ChecksumMismatch { stored, computed } => {
                write!(f, "RDB checksum mismatch (file says {stored:#018x}, computed {computed:#018x})")
            }
            RdbError::UnexpectedEof => write!(f, "RDB: unexpected end of data"),
            RdbError::Corrupt(what) => write!(f, "corrupt RDB: {what}"),
        }
    }
}

impl std::error::Error for RdbError {}

/// One element of a ziplist, listpack or intset: compact encodings store
/// integers apart from strings.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Item<'_> {
    /// The element as Redis shows it: integers as decimal text.
    fn to_bytes(self) -> Bytes {
        match self {
            Item::Str(s) => Bytes::copy_from_slice(s),
            Item::Int(i) => crate::util::i64_bytes(i),
        }
    }

    /// The element as a sorted-set score.
    fn to_score(self) -> Result<f64, RdbError> {
        match self {
            Item::Int(i) => Ok(i as f64),
            Item::Str(s) => parse_score(s),
        }
    }
}

/// A score stored as text (ziplist/listpack entries, type 3 zsets).
fn parse_score(s: &[u8]) -> Result<f64, RdbError> {
    match crate::util::parse_f64(s) {
        Some(v) => Ok(v),
        None => Err(RdbError::Corrupt(format!("invalid sorted set score {:?}", String::from_utf8_lossy(s)))),
    }
}

/// A bounds-checked cursor over a compact blob (ziplist, listpack, intset,
/// zipmap): `None` when the blob ends early, which each format reports as
/// corruption naming itself.
struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8], pos: usize) -> Self {
        Cur { b, pos }
    }

    fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    /// An unsigned little-endian integer of `n` <= 8 bytes.
    fn le(&mut self, n: usize) -> Option<u64> {
        Some(self.take(n)?.iter().rev().fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }

    fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis_test_vector() {
        // From Redis's crc64.c self-test.
        assert_eq!(Crc64::checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut c = Crc64::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.finish(), 0xe9c6d914c4b8d9ca);
        // finish() does not consume: the digest goes on.
        c.update(b"x");
        assert_ne!(c.finish(), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn sign_extension() {
        assert_eq!(sign_extend(0x7FFFFF, 24), 0x7FFFFF);
        assert_eq!(sign_extend(0x800000, 24), -0x800000);
        assert_eq!(sign_extend(0xFFFFFF, 24), -1);
        assert_eq!(sign_extend(0x1FFF, 13), -1);
        assert_eq!(sign_extend(0x0FFF, 13), 4095);
        assert_eq!(sign_extend(u64::MAX, 64), -1);
    }

    #[test]
    fn errors_name_what_was_wrong() {
        assert!(RdbError::UnsupportedVersion(12).to_string().contains("version 12"));
        assert!(RdbError::UnknownType(99).to_string().contains("99"));
        let e = RdbError::UnsupportedType { type_id: 21, name: "stream" };
        assert!(e.to_string().contains("stream"));
        assert!(RdbError::Module { name: "ReJSON-RL".into() }.to_string().contains("ReJSON-RL"));
        assert!(
            RdbError::ChecksumMismatch { stored: 1, computed: 2 }.to_string().contains("checksum mismatch")
        );
        assert!(RdbError::UnexpectedEof.to_string().contains("unexpected end of data"));
        assert!(RdbError::FunctionsUnsupported.to_string().contains("functions are not supported"));
        assert!(RdbError::BadMagic(b"HELLO".to_vec()).to_string().contains("HELLO"));
    }
}
