//! RDB writing: the file pieces a snapshot is made of, and the primitive
//! encodings ([`write_len`], [`write_string`]) the value writers share.
//!
//! We write only plain encodings (no ziplist/listpack blobs, no LZF): they
//! are the ones every Redis since 2.x loads, and Redis re-packs small
//! collections on load anyway. Strings of up to 11 bytes that are canonical
//! integers are int-encoded, as Redis does.

use super::values;
#[cfg(test)]
use super::values::Obj;
use super::{Crc64, VERSION, len, opcode};
use crate::keyspace::Entry;
use bytes::Bytes;

/// A length: 6, 14, 32 or 64 bits, as `rdbSaveLen`.
pub(super) fn write_len(out: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        out.push((len::BITS6 << 6) | n as u8);
    } else if n < 1 << 14 {
        out.push((len::BITS14 << 6) | (n >> 8) as u8);
        out.push(n as u8);
    } else if n <= u32::MAX as u64 {
        out.push(len::BITS32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(len::BITS64);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A string, int-encoded when it is a canonical integer that fits 32 bits
/// (`rdbTryIntegerEncoding`), else length-prefixed raw bytes.
pub(super) fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11
        && let Some(v) = crate::util::parse_i64(s)
    {
        let enc = len::ENCVAL << 6;
        if let Ok(v) = i8::try_from(v) {
            out.extend_from_slice(&[enc | len::ENC_INT8, v as u8]);
            return;
        }
        if let Ok(v) = i16::try_from(v) {
            out.push(enc | len::ENC_INT16);
            out.extend_from_slice(&v.to_le_bytes());
            return;
        }
        if let Ok(v) = i32::try_from(v) {
            out.push(enc | len::ENC_INT32);
            out.extend_from_slice(&v.to_le_bytes());
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// `n` then each string (list and set bodies).
pub(super) fn write_seq<S: AsRef<[u8]>>(out: &mut Vec<u8>, n: usize, items: impl Iterator<Item = S>) {
    write_len(out, n as u64);
    let mut count = 0;
    for it in items {
        write_string(out, it.as_ref());
        count += 1;
    }
    debug_assert_eq!(count, n, "collection len() disagrees with its iterator");
}

/// `n` then each field and value (hash bodies).
pub(super) fn write_pairs<F: AsRef<[u8]>, V: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    n: usize,
    pairs: impl Iterator<Item = (F, V)>,
) {
    write_len(out, n as u64);
    let mut count = 0;
    for (f, v) in pairs {
        write_string(out, f.as_ref());
        write_string(out, v.as_ref());
        count += 1;
    }
    debug_assert_eq!(count, n, "collection len() disagrees with its iterator");
}

/// `n` then each member and its score as 8 little-endian bytes (type 5).
pub(super) fn write_scored<M: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    n: usize,
    pairs: impl Iterator<Item = (M, f64)>,
) {
    write_len(out, n as u64);
    let mut count = 0;
    for (m, score) in pairs {
        write_string(out, m.as_ref());
        out.extend_from_slice(&score.to_le_bytes());
        count += 1;
    }
    debug_assert_eq!(count, n, "collection len() disagrees with its iterator");
}

/// `REDIS0009` followed by one AUX field per `(name, value)`, in order.
/// Redis writes `redis-ver`, `redis-bits`, `ctime`, `used-mem`, then for a
/// replica `repl-stream-db`, `repl-id`, `repl-offset`, and `aof-base`;
/// numbers are int-encoded automatically.
pub fn write_header(out: &mut Vec<u8>, aux: &[(&str, String)]) {
    out.extend_from_slice(format!("REDIS{VERSION:04}").as_bytes());
    for (name, value) in aux {
        out.push(opcode::AUX);
        write_string(out, name.as_bytes());
        write_string(out, value.as_bytes());
    }
}

/// SELECTDB: the keys that follow belong to database `db`.
pub fn write_select_db(out: &mut Vec<u8>, db: usize) {
    out.push(opcode::SELECTDB);
    write_len(out, db as u64);
}

/// RESIZEDB: a sizing hint for the database just selected (`keys` in all,
/// `expires` of them with a TTL). Optional; loaders only pre-size with it.
pub fn write_resize_db(out: &mut Vec<u8>, keys: usize, expires: usize) {
    out.push(opcode::RESIZEDB);
    write_len(out, keys as u64);
    write_len(out, expires as u64);
}

/// One key: EXPIRETIME_MS when it has a TTL, the type byte, the key, the
/// value. Strings are type 0 (int-encoded when they fit, like Redis), lists
/// type 1, sets 2, sorted sets 5 (binary scores), hashes 4.
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], entry: &Entry) {
    write_expire(out, entry.expire_at);
    out.push(values::type_byte(&entry.value));
    write_string(out, key);
    values::write_value(out, &entry.value);
}

fn write_expire(out: &mut Vec<u8>, expire_at: Option<u64>) {
    if let Some(at) = expire_at {
        out.push(opcode::EXPIRETIME_MS);
        out.extend_from_slice(&(at.min(i64::MAX as u64) as i64).to_le_bytes());
    }
}

/// [`write_entry`] for a decoded object (tests of encodings that
/// `Value` does not pick by itself).
#[cfg(test)]
pub(super) fn write_obj_entry(out: &mut Vec<u8>, key: &[u8], obj: &Obj, expire_at: Option<u64>) {
    write_expire(out, expire_at);
    out.push(obj.type_byte());
    write_string(out, key);
    obj.write(out);
}

/// The EOF opcode. The caller then appends the 8 little-endian bytes of the
/// CRC-64 of the whole file so far, EOF byte included.
pub fn write_eof(out: &mut Vec<u8>) {
    out.push(opcode::EOF);
}

/// A whole file: header with `aux`, each non-empty database (SELECTDB,
/// RESIZEDB, its keys), EOF and checksum.
pub fn encode_all(
    dbs: impl IntoIterator<Item = (usize, Vec<(Bytes, Entry)>)>,
    aux: &[(&str, String)],
) -> Vec<u8> {
    let mut out = Vec::new();
    write_header(&mut out, aux);
    for (db, keys) in dbs {
        if keys.is_empty() {
            continue;
        }
        write_select_db(&mut out, db);
        let expires = keys.iter().filter(|(_, e)| e.expire_at.is_some()).count();
        write_resize_db(&mut out, keys.len(), expires);
        for (key, entry) in &keys {
            write_entry(&mut out, key, entry);
        }
    }
    write_eof(&mut out);
    let crc = Crc64::checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Encodes the object alone (type byte not included), for tests and the
/// [`Obj`] writer.
#[cfg(test)]
pub(super) fn obj_bytes(obj: &Obj) -> Vec<u8> {
    let mut out = Vec::new();
    obj.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len_bytes(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        write_len(&mut v, n);
        v
    }

    fn str_bytes(s: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        write_string(&mut v, s);
        v
    }

    #[test]
    fn lengths_like_rdb_save_len() {
        assert_eq!(len_bytes(0), [0x00]);
        assert_eq!(len_bytes(63), [0x3F]);
        assert_eq!(len_bytes(64), [0x40, 0x40]);
        assert_eq!(len_bytes(16383), [0x7F, 0xFF]);
        assert_eq!(len_bytes(16384), [0x80, 0, 0, 0x40, 0]);
        assert_eq!(len_bytes(u32::MAX as u64), [0x80, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(len_bytes(1 << 32), [0x81, 0, 0, 0, 1, 0, 0, 0, 0]);
    }

    #[test]
    fn strings_int_encode_like_redis() {
        assert_eq!(str_bytes(b"0"), [0xC0, 0]);
        assert_eq!(str_bytes(b"-128"), [0xC0, 0x80]);
        assert_eq!(str_bytes(b"128"), [0xC1, 0x80, 0x00]);
        assert_eq!(str_bytes(b"-32768"), [0xC1, 0x00, 0x80]);
        assert_eq!(str_bytes(b"2147483647"), [0xC2, 0xFF, 0xFF, 0xFF, 0x7F]);
        // Too wide for 32 bits, or not canonical: raw.
        assert_eq!(
            str_bytes(b"2147483648"),
            [10, b'2', b'1', b'4', b'7', b'4', b'8', b'3', b'6', b'4', b'8']
        );
        assert_eq!(str_bytes(b"007"), [3, b'0', b'0', b'7']);
        assert_eq!(str_bytes(b"+1"), [2, b'+', b'1']);
        assert_eq!(str_bytes(b"-0"), [2, b'-', b'0']);
        assert_eq!(str_bytes(b" 1"), [2, b' ', b'1']);
        assert_eq!(str_bytes(b""), [0]);
    }

    #[test]
    fn header_is_redis0009_with_aux() {
        let mut out = Vec::new();
        write_header(&mut out, &[("redis-bits", "64".to_string()), ("redis-ver", "7.2.4".to_string())]);
        let mut want = b"REDIS0009".to_vec();
        want.extend_from_slice(&[0xFA, 10]);
        want.extend_from_slice(b"redis-bits");
        want.extend_from_slice(&[0xC0, 64, 0xFA, 9]);
        want.extend_from_slice(b"redis-ver");
        want.extend_from_slice(&[5]);
        want.extend_from_slice(b"7.2.4");
        assert_eq!(out, want);
    }

    #[test]
    fn empty_file_is_header_eof_and_crc() {
        let file = encode_all(std::iter::empty(), &[]);
        assert_eq!(&file[..10], b"REDIS0009\xFF");
        assert_eq!(file.len(), 18);
        assert_eq!(u64::from_le_bytes(file[10..].try_into().unwrap()), Crc64::checksum(&file[..10]));
    }

    #[test]
    fn obj_writer_layouts() {
        let zs = Obj::ZSet(vec![(Bytes::from_static(b"m"), 1.5)]);
        let mut want = vec![1, 1, b'm'];
        want.extend_from_slice(&1.5f64.to_le_bytes());
        assert_eq!(obj_bytes(&zs), want);
        let h = Obj::Hash(vec![(Bytes::from_static(b"f"), Bytes::from_static(b"12"))]);
        assert_eq!(obj_bytes(&h), [1, 1, b'f', 0xC0, 12]);
    }
}
