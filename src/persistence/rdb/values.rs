//! The boundary between the codec and the keyspace's value types: the one
//! file that knows the collections' APIs.
//!
//! Decoding produces an [`Obj`] (plain vectors, whatever encoding the file
//! used), which [`into_value`] turns into a keyspace [`Value`]; encoding
//! walks a `Value` with the collections' iterators.

use super::encode::{write_pairs, write_scored, write_seq, write_string};
use super::{RdbError, ty};
use crate::keyspace::{Encodings, Hash, List, Set, Value, ZSet};
use bytes::Bytes;

/// A decoded value, before it becomes a keyspace [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Obj {
    Str(Bytes),
    /// Elements front to back.
    List(Vec<Bytes>),
    Set(Vec<Bytes>),
    /// (field, value) pairs.
    Hash(Vec<(Bytes, Bytes)>),
    /// (member, score) pairs; scores are never NaN.
    ZSet(Vec<(Bytes, f64)>),
}

/// Writing decoded objects back serves tests of encodings `Value` does not
/// pick by itself.
#[cfg(test)]
impl Obj {
    /// The plain RDB type this object is written as.
    pub(super) fn type_byte(&self) -> u8 {
        match self {
            Obj::Str(_) => ty::STRING,
            Obj::List(_) => ty::LIST,
            Obj::Set(_) => ty::SET,
            Obj::Hash(_) => ty::HASH,
            Obj::ZSet(_) => ty::ZSET_2,
        }
    }

    /// Writes the body (everything after the key) in the plain encoding.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Obj::Str(s) => write_string(out, s),
            Obj::List(v) | Obj::Set(v) => write_seq(out, v.len(), v.iter().map(|b| &b[..])),
            Obj::Hash(v) => write_pairs(out, v.len(), v.iter().map(|(f, x)| (&f[..], &x[..]))),
            Obj::ZSet(v) => write_scored(out, v.len(), v.iter().map(|(m, s)| (&m[..], *s))),
        }
    }
}

/// The RDB type byte [`write_value`] writes for `v`.
pub(super) fn type_byte(v: &Value) -> u8 {
    match v {
        Value::Str(_) => ty::STRING,
        Value::List(_) => ty::LIST,
        Value::Set(_) => ty::SET,
        Value::Hash(_) => ty::HASH,
        Value::ZSet(_) => ty::ZSET_2,
    }
}

/// Writes the body of `v` in the plain encoding of [`type_byte`].
pub(super) fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Str(s) => write_string(out, s),
        Value::List(l) => write_seq(out, l.len(), l.iter()),
        Value::Set(s) => write_seq(out, s.len(), s.iter()),
        Value::Hash(h) => write_pairs(out, h.len(), h.iter()),
        Value::ZSet(z) => write_scored(out, z.len(), z.iter()),
    }
}

/// The keyspace value for a decoded object; `None` for an empty collection,
/// which Redis also skips on load. Duplicate set members or hash fields and
/// duplicate sorted set members are corruption, as in Redis. `enc` picks
/// the collections' compact or large forms, as CONFIG does.
pub(super) fn into_value(obj: Obj, enc: &Encodings) -> Result<Option<Value>, RdbError> {
    let dup = |what: &str| Err(RdbError::Corrupt(format!("duplicate {what}")));
    Ok(Some(match obj {
        Obj::Str(s) => Value::Str(s.into()),
        Obj::List(v) if v.is_empty() => return Ok(None),
        Obj::List(v) => Value::List(List::from_elements(v, enc)),
        Obj::Set(v) if v.is_empty() => return Ok(None),
        Obj::Set(v) => {
            let n = v.len();
            let s = Set::from_members(v, enc);
            if s.len() != n {
                return dup("set members");
            }
            Value::Set(s)
        }
        Obj::Hash(v) if v.is_empty() => return Ok(None),
        Obj::Hash(v) => {
            let n = v.len();
            let h = Hash::from_pairs(v, enc);
            if h.len() != n {
                return dup("hash fields");
            }
            Value::Hash(h)
        }
        Obj::ZSet(v) if v.is_empty() => return Ok(None),
        Obj::ZSet(v) => {
            let n = v.len();
            let z = ZSet::from_pairs(v, enc);
            if z.len() != n {
                return dup("sorted set members");
            }
            Value::ZSet(z)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{LoadedKey, encode_all, load, load_with_encodings};
    use super::*;
    use crate::keyspace::{Entry, NUM_DBS};

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn strs(n: usize, f: impl Fn(usize) -> String) -> Vec<Bytes> {
        (0..n).map(|i| Bytes::from(f(i))).collect()
    }

    /// One key of every type and form, some with TTLs.
    fn dataset(e: &Encodings) -> Vec<(Bytes, Entry)> {
        let entry = |value, expire_at| Entry { value, expire_at };
        let pairs = |n: usize| strs(n, |i| format!("f{i}")).into_iter().zip(strs(n, |i| i.to_string()));
        vec![
            (b("str"), entry(Value::Str(b("hello").into()), None)),
            (b("empty"), entry(Value::Str(Bytes::new().into()), Some(1))),
            (b("int"), entry(Value::Str(b("-2147483648").into()), None)),
            (b("not-int"), entry(Value::Str(b("+5").into()), None)),
            (
                Bytes::from_static(b"\x00\xff\r\nkey"),
                entry(Value::Str(Bytes::from_static(b"\x00\x80").into()), None),
            ),
            (b("large"), entry(Value::Str(Bytes::from(vec![7u8; 300_000]).into()), Some(u64::MAX / 4))),
            (b("list"), entry(Value::List(List::from_elements([b("a"), Bytes::new(), b("99")], e)), None)),
            (
                b("big-list"),
                entry(Value::List(List::from_elements(strs(5000, |i| i.to_string()), e)), Some(5)),
            ),
            (b("intset"), entry(Value::Set(Set::from_members([b("1"), b("-70000")], e)), None)),
            (b("set"), entry(Value::Set(Set::from_members([b("x"), b("")], e)), None)),
            (b("big-set"), entry(Value::Set(Set::from_members(strs(1000, |i| format!("m{i}")), e)), None)),
            (b("hash"), entry(Value::Hash(Hash::from_pairs(pairs(3), e)), None)),
            (b("big-hash"), entry(Value::Hash(Hash::from_pairs(pairs(1000), e)), Some(1_700_000_000_000))),
            (
                b("zset"),
                entry(
                    Value::ZSet(ZSet::from_pairs(
                        [(b("a"), 1.5), (b("b"), f64::NEG_INFINITY), (b("c"), f64::INFINITY), (b("d"), -0.0)],
                        e,
                    )),
                    None,
                ),
            ),
            (
                b("big-zset"),
                entry(
                    Value::ZSet(ZSet::from_pairs(
                        strs(1000, |i| format!("z{i}")).into_iter().zip((0..1000).map(|i| i as f64 / 7.0)),
                        e,
                    )),
                    None,
                ),
            ),
        ]
    }

    fn load_all(file: &[u8]) -> Vec<LoadedKey> {
        let mut keys = Vec::new();
        load(file, |k| keys.push(k)).unwrap();
        keys
    }

    #[test]
    fn every_type_round_trips_in_all_16_dbs() {
        let e = Encodings::default();
        let dbs: Vec<_> = (0..NUM_DBS).map(|db| (db, dataset(&e))).collect();
        let file = encode_all(dbs.clone(), &[("redis-ver", "7.2.4".into())]);
        let keys = load_all(&file);
        let want: Vec<_> = dbs.iter().flat_map(|(db, kv)| kv.iter().map(move |(k, e)| (*db, k, e))).collect();
        assert_eq!(keys.len(), want.len());
        for (got, (db, key, entry)) in keys.iter().zip(want) {
            assert_eq!((got.db, &got.key), (db, key));
            assert_eq!(got.entry.expire_at, entry.expire_at, "{key:?}");
            assert_eq!(got.entry.value, entry.value, "{key:?}");
            // Loaded collections take the form the thresholds pick, as the
            // originals did.
            assert_eq!(got.entry.value.encoding(), entry.value.encoding(), "{key:?}");
        }
    }

    #[test]
    fn encodings_follow_the_thresholds_given() {
        let e = Encodings::default();
        let file = encode_all([(0, dataset(&e))], &[]);
        let tiny = Encodings {
            hash_max_listpack_entries: 1,
            set_max_intset_entries: 1,
            set_max_listpack_entries: 1,
            zset_max_listpack_entries: 1,
            ..e
        };
        let mut keys = Vec::new();
        load_with_encodings(&file, &tiny, |k| keys.push(k)).unwrap();
        let enc_of =
            |name: &str| keys.iter().find(|k| &k.key[..] == name.as_bytes()).unwrap().entry.value.encoding();
        assert_eq!(enc_of("hash"), "hashtable");
        assert_eq!(enc_of("intset"), "hashtable");
        assert_eq!(enc_of("zset"), "skiplist");
        assert_eq!(
            load_all(&file).iter().find(|k| &k.key[..] == b"hash").unwrap().entry.value.encoding(),
            "listpack"
        );
    }

    #[test]
    fn empty_collections_are_skipped_and_duplicates_rejected() {
        let e = Encodings::default();
        assert_eq!(into_value(Obj::List(vec![]), &e).unwrap(), None);
        assert_eq!(into_value(Obj::Set(vec![]), &e).unwrap(), None);
        assert_eq!(into_value(Obj::Hash(vec![]), &e).unwrap(), None);
        assert_eq!(into_value(Obj::ZSet(vec![]), &e).unwrap(), None);
        assert_eq!(into_value(Obj::Str(Bytes::new()), &e).unwrap(), Some(Value::Str(Bytes::new().into())));
        assert!(into_value(Obj::Set(vec![b("a"), b("a")]), &e).is_err());
        assert!(into_value(Obj::Hash(vec![(b("f"), b("1")), (b("f"), b("2"))]), &e).is_err());
        assert!(into_value(Obj::ZSet(vec![(b("m"), 1.0), (b("m"), 2.0)]), &e).is_err());
        // Lists may repeat elements.
        assert!(into_value(Obj::List(vec![b("a"), b("a")]), &e).unwrap().is_some());
    }

    #[test]
    fn streamed_pieces_equal_encode_all() {
        use super::super::{Crc64, write_entry, write_eof, write_header, write_resize_db, write_select_db};
        let e = Encodings::default();
        let data = dataset(&e);
        let aux = [("repl-id", "x".to_string()), ("repl-offset", "42".to_string())];
        let whole = encode_all([(2, data.clone())], &aux);
        // As a snapshot would: pieces in separate chunks, one running CRC.
        let mut crc = Crc64::new();
        let mut file = Vec::new();
        let mut chunk = Vec::new();
        write_header(&mut chunk, &aux);
        write_select_db(&mut chunk, 2);
        write_resize_db(&mut chunk, data.len(), data.iter().filter(|(_, e)| e.expire_at.is_some()).count());
        for (k, v) in &data {
            crc.update(&chunk);
            file.append(&mut chunk);
            write_entry(&mut chunk, k, v);
        }
        write_eof(&mut chunk);
        crc.update(&chunk);
        file.append(&mut chunk);
        file.extend_from_slice(&crc.finish().to_le_bytes());
        assert_eq!(file, whole);
    }
}
