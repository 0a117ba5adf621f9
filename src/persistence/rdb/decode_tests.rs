//! Decoder tests: round trips through the plain encodings, hand-built files
//! for every compact encoding and opcode, and malformed input.

use super::super::encode::{write_len, write_obj_entry, write_string};
use super::super::{intset, listpack, ziplist};
use super::*;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// `REDISnnnn` + body + EOF (+ checksum for version >= 5).
fn file(version: u32, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version:04}").into_bytes();
    f.extend_from_slice(body);
    f.push(opcode::EOF);
    if version >= 5 {
        let crc = Crc64::checksum(&f);
        f.extend_from_slice(&crc.to_le_bytes());
    }
    f
}

/// A key `key` of type `t` whose value is the string `blob`.
fn blob_key(t: u8, key: &str, blob: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    write_string(&mut v, key.as_bytes());
    write_string(&mut v, blob);
    v
}

type Loaded = (usize, Bytes, Obj, Option<u64>);

fn load_all(data: &[u8]) -> Result<(RdbInfo, Vec<Loaded>), RdbError> {
    let mut keys = Vec::new();
    let info = load_objects(data, |db, k, o, e| {
        keys.push((db, k, o, e));
        Ok(())
    })?;
    Ok((info, keys))
}

fn only(data: &[u8]) -> Obj {
    let (_, mut keys) = load_all(data).unwrap();
    assert_eq!(keys.len(), 1);
    keys.pop().unwrap().2
}

fn sample_objects() -> Vec<(Bytes, Obj, Option<u64>)> {
    let big: Vec<Bytes> = (0..1000).map(|i| Bytes::from(format!("element-{i}"))).collect();
    vec![
        (b("s"), Obj::Str(b("hello")), None),
        (b("empty"), Obj::Str(Bytes::new()), Some(1_700_000_000_000)),
        (b("int"), Obj::Str(b("-123456")), None),
        (b("bigint"), Obj::Str(b("9223372036854775807")), None),
        (b("notint"), Obj::Str(b("0012")), None),
        (Bytes::from_static(b"bin\x00\xff\r\n"), Obj::Str(Bytes::from_static(b"\x00\x01\xfe")), None),
        (b("large"), Obj::Str(Bytes::from(vec![b'x'; 100_000])), Some(1)),
        (b("list"), Obj::List(vec![b("a"), b("1"), Bytes::new(), b("c")]), None),
        (b("biglist"), Obj::List(big.clone()), None),
        (b("set"), Obj::Set(vec![b("x"), b("y"), b("42")]), Some(u64::MAX >> 1)),
        (b("hash"), Obj::Hash(vec![(b("f"), b("v")), (b("n"), b("7")), (b("e"), Bytes::new())]), None),
        (
            b("zset"),
            Obj::ZSet(vec![
                (b("a"), 1.5),
                (b("b"), -0.0),
                (b("c"), f64::INFINITY),
                (b("d"), f64::NEG_INFINITY),
                (b("e"), 1e300),
                (b("f"), -3.0),
            ]),
            None,
        ),
    ]
}

#[test]
fn plain_round_trip_every_type_and_db() {
    let mut body = Vec::new();
    let mut want = Vec::new();
    for db in 0..NUM_DBS {
        crate::persistence::rdb::write_select_db(&mut body, db);
        for (k, o, e) in sample_objects() {
            let key = Bytes::from([&k[..], format!("@{db}").as_bytes()].concat());
            write_obj_entry(&mut body, &key, &o, e);
            want.push((db, key, o, e));
        }
    }
    let data = file(9, &body);
    let (info, got) = load_all(&data).unwrap();
    assert_eq!(info.version, 9);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0);
        assert_eq!(g.1, w.1);
        assert_eq!(g.3, w.3, "expiry of {:?}", w.1);
        match (&g.2, &w.2) {
            // -0.0 == 0.0: compare bit patterns so the sign survives too.
            (Obj::ZSet(a), Obj::ZSet(b)) => {
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(b) {
                    assert_eq!(x.0, y.0);
                    assert_eq!(x.1.to_bits(), y.1.to_bits());
                }
            }
            (a, b) => assert_eq!(a, b),
        }
    }
}

#[test]
fn lengths_of_every_width_decode() {
    for n in [0u64, 63, 64, 16383, 16384, u32::MAX as u64, 1 << 40] {
        let mut v = Vec::new();
        write_len(&mut v, n);
        let mut r = Reader { data: &v, pos: 0 };
        assert_eq!(r.length().unwrap(), n);
        assert_eq!(r.remaining(), 0);
    }
}

#[test]
fn int_encoded_and_lzf_strings() {
    // Keys and values in every special encoding.
    let mut body = vec![ty::STRING, 0xC0, 0x85]; // key "-123"
    body.extend_from_slice(&[0xC1, 0x39, 0x30]); // "12345"
    body.extend_from_slice(&[ty::STRING, 1, b'k', 0xC2, 0x00, 0x94, 0x35, 0x77]); // "2000000000"
    // LZF: literal "ab", then 19 bytes from 2 back: "ab" * 10 + "a".
    let packed = [1, b'a', b'b', 7 << 5, 10, 1];
    body.extend_from_slice(&[ty::STRING, 1, b'z', 0xC3, packed.len() as u8, 21]);
    body.extend_from_slice(&packed);
    let (_, keys) = load_all(&file(9, &body)).unwrap();
    assert_eq!(keys[0].1, b("-123"));
    assert_eq!(keys[0].2, Obj::Str(b("12345")));
    assert_eq!(keys[1].2, Obj::Str(b("2000000000")));
    assert_eq!(keys[2].2, Obj::Str(b("ababababababababababa")));
}

#[test]
fn bad_lzf_is_corruption() {
    let packed = [1, b'a', b'b', 7 << 5, 10, 1];
    let mut body = vec![ty::STRING, 1, b'z', 0xC3, packed.len() as u8, 22];
    body.extend_from_slice(&packed);
    let e = load_all(&file(9, &body)).unwrap_err();
    assert!(e.to_string().contains("LZF"), "{e}");
    assert!(e.to_string().contains("\"z\""), "names the key: {e}");
}

#[test]
fn ziplist_types() {
    let zl = ziplist::build(&[ziplist::str_entry(b"a"), vec![0xF3], vec![0xFE, 0x9C]]);
    assert_eq!(
        only(&file(7, &blob_key(ty::LIST_ZIPLIST, "l", &zl))),
        Obj::List(vec![b("a"), b("2"), b("-100")])
    );

    let zl = ziplist::build(&[
        ziplist::str_entry(b"f"),
        ziplist::str_entry(b"v"),
        ziplist::str_entry(b"n"),
        vec![0xF2],
    ]);
    assert_eq!(
        only(&file(7, &blob_key(ty::HASH_ZIPLIST, "h", &zl))),
        Obj::Hash(vec![(b("f"), b("v")), (b("n"), b("1"))])
    );

    let zl = ziplist::build(&[
        ziplist::str_entry(b"m1"),
        vec![0xF4],
        ziplist::str_entry(b"m2"),
        ziplist::str_entry(b"2.5"),
        ziplist::str_entry(b"m3"),
        ziplist::str_entry(b"inf"),
    ]);
    assert_eq!(
        only(&file(7, &blob_key(ty::ZSET_ZIPLIST, "z", &zl))),
        Obj::ZSet(vec![(b("m1"), 3.0), (b("m2"), 2.5), (b("m3"), f64::INFINITY)])
    );

    // Odd entry count in a hash ziplist.
    let zl = ziplist::build(&[ziplist::str_entry(b"f")]);
    assert!(load_all(&file(7, &blob_key(ty::HASH_ZIPLIST, "h", &zl))).is_err());
    // Unparseable score.
    let zl = ziplist::build(&[ziplist::str_entry(b"m"), ziplist::str_entry(b"x")]);
    assert!(load_all(&file(7, &blob_key(ty::ZSET_ZIPLIST, "z", &zl))).is_err());
}

#[test]
fn quicklist_of_ziplists() {
    let n1 = ziplist::build(&[ziplist::str_entry(b"a"), ziplist::str_entry(b"b")]);
    let n2 = ziplist::build(&[vec![0xC0, 0xE8, 0x03]]);
    let mut body = vec![ty::LIST_QUICKLIST];
    write_string(&mut body, b"q");
    write_len(&mut body, 3);
    write_string(&mut body, &n1);
    write_string(&mut body, &ziplist::build(&[]));
    write_string(&mut body, &n2);
    assert_eq!(only(&file(9, &body)), Obj::List(vec![b("a"), b("b"), b("1000")]));
}

#[test]
fn quicklist2_plain_and_packed_nodes() {
    let lp = listpack::build(&[listpack::str_entry(b"x"), vec![0x05]]);
    let mut body = vec![ty::LIST_QUICKLIST_2];
    write_string(&mut body, b"q");
    write_len(&mut body, 3);
    write_len(&mut body, 2);
    write_string(&mut body, &lp);
    write_len(&mut body, 1);
    write_string(&mut body, &vec![b'P'; 10_000]);
    write_len(&mut body, 2);
    write_string(&mut body, &listpack::build(&[vec![0xF3, 0, 0, 0, 0x80]]));
    let Obj::List(v) = only(&file(10, &body)) else { panic!("not a list") };
    assert_eq!(v.len(), 4);
    assert_eq!((&v[0][..], &v[1][..]), (&b"x"[..], &b"5"[..]));
    assert_eq!(v[2].len(), 10_000);
    assert_eq!(v[3], b(&i32::MIN.to_string()));

    let mut bad = vec![ty::LIST_QUICKLIST_2];
    write_string(&mut bad, b"q");
    write_len(&mut bad, 1);
    write_len(&mut bad, 3);
    write_string(&mut bad, &lp);
    let e = load_all(&file(10, &bad)).unwrap_err();
    assert!(e.to_string().contains("container 3"), "{e}");
}

#[test]
fn listpack_types() {
    let lp = listpack::build(&[
        listpack::str_entry(b"f"),
        vec![0x0A],
        listpack::str_entry(b"g"),
        listpack::str_entry(b""),
    ]);
    assert_eq!(
        only(&file(10, &blob_key(ty::HASH_LISTPACK, "h", &lp))),
        Obj::Hash(vec![(b("f"), b("10")), (b("g"), Bytes::new())])
    );
    let lp = listpack::build(&[
        listpack::str_entry(b"a"),
        vec![0xDF, 0xFF],
        listpack::str_entry(b"b"),
        listpack::str_entry(b"-inf"),
    ]);
    assert_eq!(
        only(&file(10, &blob_key(ty::ZSET_LISTPACK, "z", &lp))),
        Obj::ZSet(vec![(b("a"), -1.0), (b("b"), f64::NEG_INFINITY)])
    );
    let lp = listpack::build(&[listpack::str_entry(b"m"), vec![0x01], vec![0xF1, 0x00, 0x80]]);
    assert_eq!(
        only(&file(11, &blob_key(ty::SET_LISTPACK, "s", &lp))),
        Obj::Set(vec![b("m"), b("1"), b("-32768")])
    );
}

#[test]
fn intset_and_zipmap() {
    let is = intset::build(8, &[-1, 5, i64::MAX]);
    assert_eq!(
        only(&file(6, &blob_key(ty::SET_INTSET, "i", &is))),
        Obj::Set(vec![b("-1"), b("5"), b(&i64::MAX.to_string())])
    );
    let zm = [1, 1, b'a', 2, 0, b'1', b'2', 255];
    assert_eq!(only(&file(4, &blob_key(ty::HASH_ZIPMAP, "zm", &zm))), Obj::Hash(vec![(b("a"), b("12"))]));
}

#[test]
fn text_double_zset() {
    let mut body = vec![ty::ZSET];
    write_string(&mut body, b"z");
    write_len(&mut body, 3);
    for (m, code) in [(&b"a"[..], &b"\x043.25"[..]), (b"b", b"\xFE"), (b"c", b"\xFF")] {
        write_string(&mut body, m);
        body.extend_from_slice(code);
    }
    assert_eq!(
        only(&file(3, &body)),
        Obj::ZSet(vec![(b("a"), 3.25), (b("b"), f64::INFINITY), (b("c"), f64::NEG_INFINITY)])
    );
    let mut nan = vec![ty::ZSET];
    write_string(&mut nan, b"z");
    nan.extend_from_slice(&[1, 1, b'a', 253]);
    assert!(load_all(&file(3, &nan)).unwrap_err().to_string().contains("NaN"));
    let mut nan2 = vec![ty::ZSET_2];
    write_string(&mut nan2, b"z");
    nan2.extend_from_slice(&[1, 1, b'a']);
    nan2.extend_from_slice(&f64::NAN.to_le_bytes());
    assert!(load_all(&file(9, &nan2)).is_err());
}

#[test]
fn opcodes_aux_expiry_and_metadata() {
    let mut body = Vec::new();
    for (k, v) in [("redis-ver", "7.0.15"), ("repl-id", "abc"), ("repl-offset", "12345")] {
        body.push(opcode::AUX);
        write_string(&mut body, k.as_bytes());
        write_string(&mut body, v.as_bytes());
    }
    body.extend_from_slice(&[opcode::FUNCTION2, 0]); // an empty library: skipped
    body.extend_from_slice(&[opcode::SELECTDB, 3, opcode::RESIZEDB, 2, 1]);
    body.extend_from_slice(&[opcode::SLOT_INFO, 1, 2, 3]);
    // Expiry in seconds, LRU idle and LFU freq before the type byte.
    body.push(opcode::EXPIRETIME);
    body.extend_from_slice(&1_000_000i32.to_le_bytes());
    body.extend_from_slice(&[opcode::IDLE, 0x40, 0x80, opcode::FREQ, 7]);
    body.extend_from_slice(&blob_key(ty::STRING, "a", b"1"));
    // The expiry applies to one key only.
    body.extend_from_slice(&blob_key(ty::STRING, "b", b"2"));
    body.push(opcode::EXPIRETIME_MS);
    body.extend_from_slice(&(-5i64).to_le_bytes());
    body.extend_from_slice(&blob_key(ty::STRING, "c", b"3"));
    let (info, keys) = load_all(&file(10, &body)).unwrap();
    assert_eq!(info.version, 10);
    assert_eq!(info.aux("repl-id"), Some("abc"));
    assert_eq!(info.aux("repl-offset"), Some("12345"));
    assert_eq!(info.aux.len(), 3);
    assert_eq!(
        keys.iter().map(|k| (k.0, k.3)).collect::<Vec<_>>(),
        [(3, Some(1_000_000_000)), (3, None), (3, Some(0))]
    );
}

#[test]
fn unsupported_things_are_named() {
    let mut func = vec![opcode::FUNCTION2];
    write_string(&mut func, b"#!lua name=lib\nredis.register_function('f', function() return 1 end)");
    assert_eq!(load_all(&file(10, &func)).unwrap_err(), RdbError::FunctionsUnsupported);

    // "ReJSON-RL" module id, encoding version 3.
    let charset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let id = b"ReJSON-RL"
        .iter()
        .fold(0u64, |id, c| (id << 6) | charset.iter().position(|x| x == c).unwrap() as u64);
    let id = (id << 10) | 3;
    let mut aux = vec![opcode::MODULE_AUX];
    write_len(&mut aux, id);
    let e = load_all(&file(9, &aux)).unwrap_err();
    assert_eq!(e, RdbError::Module { name: "ReJSON-RL".into() });
    assert!(e.to_string().contains("ReJSON-RL"));
    let mut val = vec![ty::MODULE_2];
    write_string(&mut val, b"k");
    write_len(&mut val, id);
    assert_eq!(load_all(&file(9, &val)).unwrap_err(), RdbError::Module { name: "ReJSON-RL".into() });

    for t in [ty::STREAM_LISTPACKS, ty::STREAM_LISTPACKS_2, ty::STREAM_LISTPACKS_3] {
        let e = load_all(&file(11, &blob_key(t, "st", b"whatever"))).unwrap_err();
        assert!(e.to_string().contains("stream"), "{e}");
    }
    for t in [8, 22, 99, 200, 243] {
        assert_eq!(load_all(&file(11, &blob_key(t, "k", b""))).unwrap_err(), RdbError::UnknownType(t));
    }
    assert_eq!(load_all(&file(9, &[opcode::FUNCTION_PRE_GA])).unwrap_err(), RdbError::FunctionsUnsupported);
    assert_eq!(load_all(&file(9, &[opcode::SELECTDB, 16])).unwrap_err(), RdbError::DbOutOfRange(16));
}

#[test]
fn versions_magic_checksum_and_trailing_bytes() {
    for v in 1..=11 {
        let (info, keys) = load_all(&file(v, &blob_key(ty::STRING, "k", b"v"))).unwrap();
        assert_eq!((info.version, keys.len()), (v, 1));
    }
    let e = load_all(&file(12, &[])).unwrap_err();
    assert_eq!(e, RdbError::UnsupportedVersion(12));
    assert!(e.to_string().contains("12"));
    assert_eq!(load_all(b"REDIS0000\xFF").unwrap_err(), RdbError::UnsupportedVersion(0));
    for bad in [&b""[..], b"REDIS", b"REDIX0009\xFF", b"REDIS00a9\xFF", b"\x00\x01\x02"] {
        assert!(matches!(load_all(bad).unwrap_err(), RdbError::BadMagic(_)), "{bad:?}");
    }

    let good = file(9, &blob_key(ty::STRING, "k", b"v"));
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 1] ^= 1;
    let e = load_all(&flipped).unwrap_err();
    assert!(e.to_string().contains("checksum mismatch"), "{e}");
    // A zero checksum means "not computed": accepted.
    let mut zero = good.clone();
    zero[n - 8..].fill(0);
    assert!(load_all(&zero).is_ok());
    // Versions before 5 have no checksum.
    let mut old = file(4, &blob_key(ty::STRING, "k", b"v"));
    assert!(load_all(&old).is_ok());
    old.push(0);
    assert!(load_all(&old).is_err());
    let mut trailing = good.clone();
    trailing.push(b'x');
    assert!(load_all(&trailing).unwrap_err().to_string().contains("after the end"));
    // Missing checksum.
    assert_eq!(load_all(&good[..n - 3]).unwrap_err(), RdbError::UnexpectedEof);
}

#[test]
fn empty_collections_are_passed_through_objects() {
    // load() drops them (see values::into_value); load_objects still sees them.
    let mut body = vec![ty::LIST];
    write_string(&mut body, b"l");
    write_len(&mut body, 0);
    assert_eq!(only(&file(9, &body)), Obj::List(vec![]));
}

#[test]
fn huge_counts_fail_before_allocating() {
    for t in [ty::LIST, ty::SET, ty::HASH, ty::ZSET, ty::ZSET_2, ty::LIST_QUICKLIST, ty::LIST_QUICKLIST_2] {
        let mut body = vec![t];
        write_string(&mut body, b"k");
        write_len(&mut body, u64::MAX);
        assert_eq!(load_all(&file(9, &body)).unwrap_err(), RdbError::UnexpectedEof, "type {t}");
    }
    // A string claiming 2^63 bytes; an LZF string claiming 2^40 bytes out.
    let mut body = vec![ty::STRING, 1, b'k', 0x81];
    body.extend_from_slice(&(1u64 << 63).to_be_bytes());
    assert_eq!(load_all(&file(9, &body)).unwrap_err(), RdbError::UnexpectedEof);
    let mut body = vec![ty::STRING, 1, b'k', 0xC3, 2, 0x81];
    body.extend_from_slice(&(1u64 << 40).to_be_bytes());
    body.extend_from_slice(&[0, b'a']);
    assert!(load_all(&file(9, &body)).unwrap_err().to_string().contains("LZF"));
}

/// A file exercising every decoder path at once, for the malformed-input
/// tests.
fn rich_file() -> Vec<u8> {
    let mut body = Vec::new();
    body.push(opcode::AUX);
    write_string(&mut body, b"redis-ver");
    write_string(&mut body, b"7.0.15");
    body.extend_from_slice(&[opcode::SELECTDB, 0, opcode::RESIZEDB, 5, 1]);
    for (k, o, e) in sample_objects().into_iter().filter(|(k, ..)| &k[..] != b"large" && &k[..] != b"biglist")
    {
        write_obj_entry(&mut body, &k, &o, e);
    }
    let zl = ziplist::build(&[
        ziplist::str_entry(b"m"),
        vec![0xF4],
        ziplist::str_entry(b"n"),
        vec![0xF0, 1, 2, 3],
    ]);
    body.extend_from_slice(&blob_key(ty::ZSET_ZIPLIST, "zz", &zl));
    let lp = listpack::build(&[
        listpack::str_entry(b"f"),
        vec![0xF2, 1, 2, 3],
        listpack::str_entry(b"g"),
        vec![9],
    ]);
    body.extend_from_slice(&blob_key(ty::HASH_LISTPACK, "hl", &lp));
    body.extend_from_slice(&blob_key(ty::SET_INTSET, "is", &intset::build(2, &[1, 2, 3])));
    body.extend_from_slice(&[opcode::SELECTDB, 5]);
    body.push(ty::LIST_QUICKLIST_2);
    write_string(&mut body, b"q2");
    write_len(&mut body, 2);
    write_len(&mut body, 2);
    write_string(&mut body, &listpack::build(&[listpack::str_entry(b"x"), vec![0xC1, 0x00]]));
    write_len(&mut body, 1);
    write_string(&mut body, b"plain");
    let packed = [1, b'a', b'b', 7 << 5, 10, 1];
    body.extend_from_slice(&[ty::STRING, 1, b'z', 0xC3, packed.len() as u8, 21]);
    body.extend_from_slice(&packed);
    file(10, &body)
}

#[test]
fn truncated_input_is_an_error_never_a_panic() {
    let data = rich_file();
    let (_, keys) = load_all(&data).unwrap();
    assert_eq!(keys.len(), 15);
    for cut in 0..data.len() {
        assert!(load_all(&data[..cut]).is_err(), "cut at {cut} of {}", data.len());
        assert!(load(&data[..cut], |_| {}).is_err());
    }
}

#[test]
fn corrupted_input_never_panics() {
    let data = rich_file();
    let n = data.len();
    let mut checked = data.clone();
    // With the checksum zeroed, corrupt bytes reach every decoding path
    // instead of failing only at the end.
    checked[n - 8..].fill(0);
    for base in [&data, &checked] {
        for i in 0..n - 9 {
            for x in [0x01, 0x80, 0xFF, 0x3F, 0xC0] {
                let mut bad = base.clone();
                bad[i] ^= x;
                let r = load_all(&bad);
                if base == &data {
                    assert!(r.is_err(), "flip {x:#x} at {i} went unnoticed");
                }
                let _ = load(&bad, |_| {});
            }
        }
    }
    // Random garbage after a valid header.
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2000 {
        let len = (rnd() % 64) as usize;
        let mut f = b"REDIS0010".to_vec();
        f.extend((0..len).map(|_| rnd() as u8));
        let _ = load_all(&f);
    }
}
