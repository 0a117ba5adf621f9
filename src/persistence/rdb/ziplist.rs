//! Ziplist reading (RDB types 10, 12, 13 and the nodes of type 14), the
//! compact encoding of Redis before 7.0.
//!
//! Layout: `zlbytes:u32 zltail:u32 zllen:u16 entry* 0xFF`, little-endian.
//! Each entry is `prevlen encoding data`: `prevlen` is 1 byte below 254,
//! else `0xFE` and 4 bytes. Encodings:
//!
//! | first byte | meaning |
//! | --- | --- |
//! | `00pppppp` | string, 6-bit length |
//! | `01pppppp qqqqqqqq` | string, 14-bit length (big-endian) |
//! | `10______ + 4 bytes` | string, 32-bit length (big-endian) |
//! | `0xC0` / `0xD0` / `0xE0` | int16 / int32 / int64 |
//! | `0xF0` | int24 |
//! | `0xFE` | int8 |
//! | `0xF1`..`0xFD` | immediate 0..12 (low nibble minus one) |
//!
//! `zllen` saturates at 65535, so entries are counted by walking to the end
//! marker, never trusted from the header.

use super::{Cur, Item, RdbError, sign_extend};

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(format!("ziplist: {what}"))
}

/// Calls `f` with each entry of the ziplist `blob`, front to back.
pub(super) fn for_each(
    blob: &[u8],
    mut f: impl FnMut(Item<'_>) -> Result<(), RdbError>,
) -> Result<(), RdbError> {
    const HEADER: usize = 10;
    if blob.len() < HEADER + 1 {
        return Err(corrupt("shorter than its header"));
    }
    let zlbytes = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if zlbytes != blob.len() {
        return Err(corrupt("size header does not match its length"));
    }
    let mut c = Cur::new(blob, HEADER);
    let truncated = || corrupt("entry runs past the end");
    loop {
        let first = c.u8().ok_or_else(truncated)?;
        if first == 0xFF {
            break;
        }
        if first == 0xFE {
            c.take(4).ok_or_else(truncated)?;
        }
        let enc = c.u8().ok_or_else(truncated)?;
        let item = match enc >> 6 {
            0 => Item::Str(c.take((enc & 0x3F) as usize).ok_or_else(truncated)?),
            1 => {
                let lo = c.u8().ok_or_else(truncated)?;
                let n = ((enc as usize & 0x3F) << 8) | lo as usize;
                Item::Str(c.take(n).ok_or_else(truncated)?)
            }
            2 => {
                let n = u32::from_be_bytes(c.take(4).ok_or_else(truncated)?.try_into().expect("4 bytes"));
                Item::Str(c.take(n as usize).ok_or_else(truncated)?)
            }
            _ => match enc {
                0xC0 => Item::Int(sign_extend(c.le(2).ok_or_else(truncated)?, 16)),
                0xD0 => Item::Int(sign_extend(c.le(4).ok_or_else(truncated)?, 32)),
                0xE0 => Item::Int(c.le(8).ok_or_else(truncated)? as i64),
                0xF0 => Item::Int(sign_extend(c.le(3).ok_or_else(truncated)?, 24)),
                0xFE => Item::Int(sign_extend(c.le(1).ok_or_else(truncated)?, 8)),
                0xF1..=0xFD => Item::Int((enc & 0x0F) as i64 - 1),
                _ => return Err(corrupt(&format!("unknown entry encoding {enc:#04x}"))),
            },
        };
        f(item)?;
    }
    if c.remaining() != 0 {
        return Err(corrupt("bytes after the end marker"));
    }
    Ok(())
}

/// Builds a ziplist from raw entry encodings (encoding byte(s) + data),
/// adding prevlen fields and the header, for tests.
#[cfg(test)]
pub(super) fn build(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = 10usize;
    for e in entries {
        tail = 10 + body.len();
        let start = body.len();
        if prev < 254 {
            body.push(prev as u8);
        } else {
            body.push(0xFE);
            body.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        body.extend_from_slice(e);
        prev = body.len() - start;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&((10 + body.len() + 1) as u32).to_le_bytes());
    out.extend_from_slice(&(tail as u32).to_le_bytes());
    out.extend_from_slice(&(entries.len().min(65535) as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xFF);
    out
}

/// A ziplist string entry encoding for `s`, choosing the smallest form.
#[cfg(test)]
pub(super) fn str_entry(s: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    if s.len() < 64 {
        e.push(s.len() as u8);
    } else if s.len() < 16384 {
        e.push(0x40 | (s.len() >> 8) as u8);
        e.push(s.len() as u8);
    } else {
        e.push(0x80);
        e.extend_from_slice(&(s.len() as u32).to_be_bytes());
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
    fn every_entry_encoding() {
        let big = vec![b'x'; 300];
        let huge = vec![b'y'; 20000];
        let zl = build(&[
            str_entry(b"hello"),
            str_entry(&big),
            str_entry(&huge),
            vec![0xC0, 0x18, 0xFC],                // int16 -1000
            vec![0xD0, 0x00, 0x94, 0x35, 0x77],    // int32 2000000000
            vec![0xE0, 0, 0, 0, 0, 0, 0, 0, 0x80], // int64 min
            vec![0xF0, 0xFF, 0xFF, 0x7F],          // int24 8388607
            vec![0xF0, 0x00, 0x00, 0x80],          // int24 -8388608
            vec![0xFE, 0x80],                      // int8 -128
            vec![0xF1],                            // immediate 0
            vec![0xFD],                            // immediate 12
            str_entry(b""),
        ]);
        let got = items(&zl).unwrap();
        assert_eq!(got[0], "hello");
        assert_eq!(got[1].len(), 300);
        assert_eq!(got[2].len(), 20000);
        assert_eq!(
            &got[3..],
            ["-1000", "2000000000", &i64::MIN.to_string(), "8388607", "-8388608", "-128", "0", "12", ""]
        );
    }

    #[test]
    fn empty_ziplist() {
        assert!(items(&build(&[])).unwrap().is_empty());
    }

    #[test]
    fn malformed_ziplists_are_errors() {
        let good = build(&[str_entry(b"abc"), vec![0xFE, 5]]);
        assert!(items(&good).is_ok());
        for cut in 0..good.len() {
            assert!(items(&good[..cut]).is_err(), "cut at {cut}");
        }
        // Byte 11 is the first entry's encoding.
        for enc in [60u8, 0xC1, 0xFF] {
            let mut bad = good.clone();
            bad[11] = enc;
            assert!(items(&bad).is_err(), "encoding {enc:#x}");
        }
        let mut trailing = good.clone();
        let n = trailing.len() as u32 + 1;
        trailing.push(0);
        trailing[..4].copy_from_slice(&n.to_le_bytes());
        assert!(items(&trailing).is_err());
    }
}
