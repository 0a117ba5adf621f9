//! Key → slot → shard, as Redis Cluster maps keys to slots: CRC16 (XMODEM)
//! of the key, or of its first non-empty `{hashtag}`, mod 16384; then slot
//! mod shard count. Keys sharing a hashtag therefore share a shard, and a
//! later cluster mode can map the same slots to nodes.

use crc::{CRC_16_XMODEM, Crc, Table};

/// Sixteen bytes per step (an 8 KiB table): a key is routed up to twice per
/// multi-key command, and the byte-at-a-time table made that a visible
/// cost of cross-shard commands.
static CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_XMODEM);

/// Number of hash slots, as in Redis Cluster.
pub const SLOTS: u16 = 16384;

/// The part of `key` that is hashed: the first non-empty `{...}` if any.
pub fn hash_part(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&c| c == b'{')
        && let Some(len) = key[open + 1..].iter().position(|&c| c == b'}')
        && len > 0
    {
        return &key[open + 1..open + 1 + len];
    }
    key
}

pub fn slot(key: &[u8]) -> u16 {
    CRC16.checksum(hash_part(key)) % SLOTS
}

pub fn shard_of(key: &[u8], nshards: usize) -> usize {
    if nshards == 1 { 0 } else { slot(key) as usize % nshards }
}

/// Where a command's keys live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// No keys: any shard may run it.
    None,
    One(usize),
    /// Keys on several shards; the first key's shard.
    Spans(usize),
}

/// The shard(s) owning the keys at `positions` of `argv`.
pub fn owner(argv: &[bytes::Bytes], positions: impl Iterator<Item = usize>, nshards: usize) -> Owner {
    let mut owner = Owner::None;
    for i in positions {
        let s = shard_of(&argv[i], nshards);
        owner = match owner {
            Owner::None => Owner::One(s),
            Owner::One(o) if o != s => return Owner::Spans(o),
            same => same,
        };
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // Values from CLUSTER KEYSLOT on a real Redis.
        assert_eq!(slot(b"foo"), 12182);
        assert_eq!(slot(b"bar"), 5061);
        assert_eq!(slot(b"123456789"), 12739);
        assert_eq!(slot(b"{user1000}.following"), slot(b"user1000"));
        assert_eq!(slot(b"foo{}{bar}"), slot(b"foo{}{bar}"));
        assert_eq!(hash_part(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_part(b"foo{{bar}}zap"), b"{bar");
        // Longer than one 16-byte step of the table.
        assert_eq!(slot(b"key:000000012345"), 12533);
        assert_eq!(slot(b"key:0000000123456789"), 10964);
        assert_eq!(slot(b"a-rather-long-key-name-of-forty-bytes-ok"), 12145);
        assert_eq!(slot(b"{user1000}.following.and.more.bytes"), 3443);
    }
}
