//! Listpack reading (RDB types 16, 17, 20 and the packed nodes of type 18),
//! the compact encoding of Redis 7.
//!
//! Layout: `total:u32 count:u16 entry* 0xFF`, little-endian. Each entry is
//! `encoding data backlen`, where `backlen` stores the size of
//! `encoding data` in 1 to 5 bytes so the list can be walked backwards.
//! Encodings:
//!
//! | first byte | meaning |
//! | --- | --- |
//! | `0xxxxxxx` | 7-bit unsigned integer |
//! | `10pppppp` | string, 6-bit length |
//! | `110xxxxx yyyyyyyy` | 13-bit signed integer |
//! | `1110pppp qqqqqqqq` | string, 12-bit length |
//! | `0xF0 + 4 bytes` | string, 32-bit length |
//! | `0xF1` / `0xF2` / `0xF3` / `0xF4` | int16 / int24 / int32 / int64 |
//!
//! `count` saturates at 65535, so entries are counted by walking to the end
//! marker. Each `backlen` is checked against the entry it follows.

use super::{Cur, Item, RdbError, sign_extend};

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(format!("listpack: {what}"))
}

/// The `backlen` bytes Redis writes after an entry of `l` bytes.
fn backlen(l: usize) -> ([u8; 5], usize) {
    let n = match l {
        0..=127 => 1,
        128..16383 => 2,
        16383..2097151 => 3,
        2097151..268435455 => 4,
        _ => 5,
    };
    let mut b = [0u8; 5];
    for (i, slot) in b[..n].iter_mut().enumerate() {
        let shift = 7 * (n - 1 - i);
        let group = ((l >> shift) & 127) as u8;
        // Every byte but the first (most significant) carries the flag.
        *slot = if i == 0 { group } else { group | 128 };
    }
    (b, n)
}

/// Calls `f` with each entry of the listpack `blob`, front to back.
pub(super) fn for_each(
    blob: &[u8],
    mut f: impl FnMut(Item<'_>) -> Result<(), RdbError>,
) -> Result<(), RdbError> {
    const HEADER: usize = 6;
    if blob.len() < HEADER + 1 {
        return Err(corrupt("shorter than its header"));
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err(corrupt("size header does not match its length"));
    }
    let mut c = Cur::new(blob, HEADER);
    let truncated = || corrupt("entry runs past the end");
    loop {
        let start = c.pos;
        let enc = c.u8().ok_or_else(truncated)?;
        let item = if enc == 0xFF {
            break;
        } else if enc & 0x80 == 0 {
            Item::Int(enc as i64)
        } else if enc & 0xC0 == 0x80 {
            Item::Str(c.take((enc & 0x3F) as usize).ok_or_else(truncated)?)
        } else if enc & 0xE0 == 0xC0 {
            let lo = c.u8().ok_or_else(truncated)?;
            Item::Int(sign_extend(((enc as u64 & 0x1F) << 8) | lo as u64, 13))
        } else if enc & 0xF0 == 0xE0 {
            let lo = c.u8().ok_or_else(truncated)?;
            Item::Str(c.take(((enc as usize & 0x0F) << 8) | lo as usize).ok_or_else(truncated)?)
        } else {
            match enc {
                0xF0 => {
                    let n = c.le(4).ok_or_else(truncated)? as usize;
                    Item::Str(c.take(n).ok_or_else(truncated)?)
                }
                0xF1 => Item::Int(sign_extend(c.le(2).ok_or_else(truncated)?, 16)),
                0xF2 => Item::Int(sign_extend(c.le(3).ok_or_else(truncated)?, 24)),
                0xF3 => Item::Int(sign_extend(c.le(4).ok_or_else(truncated)?, 32)),
                0xF4 => Item::Int(c.le(8).ok_or_else(truncated)? as i64),
                _ => return Err(corrupt(&format!("unknown entry encoding {enc:#04x}"))),
            }
        };
        let (want, n) = backlen(c.pos - start);
        if c.take(n).ok_or_else(truncated)? != &want[..n] {
            return Err(corrupt("back length does not match its entry"));
        }
        f(item)?;
    }
    if c.remaining() != 0 {
        return Err(corrupt("bytes after the end marker"));
    }
    Ok(())
}

/// Builds a listpack from raw entry encodings (encoding byte(s) + data),
/// adding back lengths and the header, for tests.
#[cfg(test)]
pub(super) fn build(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in entries {
        body.extend_from_slice(e);
        let (b, n) = backlen(e.len());
        body.extend_from_slice(&b[..n]);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&((6 + body.len() + 1) as u32).to_le_bytes());
    out.extend_from_slice(&(entries.len().min(65535) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xFF);
    out
}

/// A listpack string entry encoding for `s`, choosing the smallest form.
#[cfg(test)]
pub(super) fn str_entry(s: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    if s.len() < 64 {
        e.push(0x80 | s.len() as u8);
    } else if s.len() < 4096 {
        e.push(0xE0 | (s.len() >> 8) as u8);
        e.push(s.len() as u8);
    } else {
        e.push(0xF0);
        e.extend_from_slice(&(s.len() as u32).to_le_bytes());
    }
    e.extend_from_slice(s);
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(blob: &[u8]) -> Result<Vec<String>, RdbError> {
        let mut v = Vec::new();
        for_each(blob, |it| {
            v.push(String::from_utf8(it.to_bytes().to_vec()).unwrap());
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn backlen_matches_redis() {
        assert_eq!(backlen(5), ([5, 0, 0, 0, 0], 1));
        assert_eq!(backlen(127), ([127, 0, 0, 0, 0], 1));
        // 128 = 1 * 128 + 0: first byte 1, then 0 with the flag.
        assert_eq!(backlen(128), ([1, 128, 0, 0, 0], 2));
        assert_eq!(backlen(16383).1, 3);
        assert_eq!(backlen(300_000_000).1, 5);
    }

    #[test]
    fn every_entry_encoding() {
        let s100 = vec![b'x'; 100];
        let s5000 = vec![b'y'; 5000];
        let lp = build(&[
            vec![0x05],                                                 // uint7 5
            vec![0x7F],                                                 // uint7 127
            str_entry(b"abc"),                                          // str6
            vec![0xC0 | 0x1F, 0xFF],                                    // int13 -1
            vec![0xC0 | 0x0F, 0xFF],                                    // int13 4095
            vec![0xD0, 0x00],                                           // int13 -4096
            str_entry(&s100),                                           // str12
            str_entry(&s5000),                                          // str32
            vec![0xF1, 0x18, 0xFC],                                     // int16 -1000
            vec![0xF2, 0xFF, 0xFF, 0x7F],                               // int24 8388607
            vec![0xF2, 0x00, 0x00, 0x80],                               // int24 -8388608
            vec![0xF3, 0x00, 0x94, 0x35, 0x77],                         // int32 2000000000
            vec![0xF4, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], // int64 max
            str_entry(b""),
        ]);
        let got = items(&lp).unwrap();
        assert_eq!(&got[..6], ["5", "127", "abc", "-1", "4095", "-4096"]);
        assert_eq!(got[6].len(), 100);
        assert_eq!(got[7].len(), 5000);
        assert_eq!(&got[8..], ["-1000", "8388607", "-8388608", "2000000000", &i64::MAX.to_string(), ""]);
    }

    #[test]
    fn malformed_listpacks_are_errors() {
        let good = build(&[str_entry(b"abc"), vec![7], vec![0xF1, 1, 2]]);
        assert_eq!(items(&good).unwrap(), ["abc", "7", "513"]);
        for cut in 0..good.len() {
            assert!(items(&good[..cut]).is_err(), "cut at {cut}");
        }
        // Byte 6 is the first entry's encoding.
        for enc in [0x80 | 60, 0xF5, 0xFE] {
            let mut bad = good.clone();
            bad[6] = enc;
            assert!(items(&bad).is_err(), "encoding {enc:#x}");
        }
        let mut bad_backlen = good.clone();
        bad_backlen[10] = 9; // the first entry's backlen (4)
        assert!(items(&bad_backlen).is_err());
    }
}
