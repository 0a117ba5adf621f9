//! Zipmap reading (RDB type 9): the small-hash encoding of Redis before 2.6,
//! still found in old files.
//!
//! Layout: `zmlen:u8 (len field len free value pad)* 0xFF`, where each
//! `len` is one byte below 254, else `0xFE` and a 4-byte little-endian
//! length, and `free` counts unused bytes after the value.

use super::{Cur, RdbError};

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(format!("zipmap: {what}"))
}

/// One length field; `None` at the end marker.
fn read_len(c: &mut Cur<'_>) -> Result<Option<usize>, RdbError> {
    match c.u8().ok_or_else(|| corrupt("truncated"))? {
        255 => Ok(None),
        254 => Ok(Some(c.le(4).ok_or_else(|| corrupt("truncated"))? as usize)),
        n => Ok(Some(n as usize)),
    }
}

/// Calls `f` with each (field, value) pair of the zipmap `blob`.
pub(super) fn for_each(
    blob: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> Result<(), RdbError>,
) -> Result<(), RdbError> {
    let mut c = Cur::new(blob, 1);
    if blob.is_empty() {
        return Err(corrupt("empty"));
    }
    let truncated = || corrupt("entry runs past the end");
    while let Some(klen) = read_len(&mut c)? {
        let field = c.take(klen).ok_or_else(truncated)?;
        let vlen = read_len(&mut c)?.ok_or_else(|| corrupt("field without a value"))?;
        let free = c.u8().ok_or_else(truncated)? as usize;
        let value = c.take(vlen).ok_or_else(truncated)?;
        c.take(free).ok_or_else(truncated)?;
        f(field, value)?;
    }
    if c.peek().is_some() {
        return Err(corrupt("bytes after the end marker"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

    fn pairs(blob: &[u8]) -> Result<Pairs, RdbError> {
        let mut v = Vec::new();
        for_each(blob, |f, val| {
            v.push((f.to_vec(), val.to_vec()));
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn reads_pairs_with_free_space_and_long_values() {
        let long = vec![b'z'; 300];
        let mut zm = vec![2, 3];
        zm.extend_from_slice(b"foo");
        zm.extend_from_slice(&[3, 2]);
        zm.extend_from_slice(b"bar\0\0");
        zm.push(1);
        zm.push(b'k');
        zm.push(254);
        zm.extend_from_slice(&300u32.to_le_bytes());
        zm.push(0);
        zm.extend_from_slice(&long);
        zm.push(255);
        let got = pairs(&zm).unwrap();
        assert_eq!(got, [(b"foo".to_vec(), b"bar".to_vec()), (b"k".to_vec(), long)]);
        for cut in 0..zm.len() {
            assert!(pairs(&zm[..cut]).is_err(), "cut at {cut}");
        }
        assert!(pairs(&[0, 255]).unwrap().is_empty());
        assert!(pairs(&[0, 1, b'a', 255]).is_err());
    }
}
