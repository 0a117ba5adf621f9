//! Intset reading (RDB type 11): a sorted array of integers of one width.
//!
//! Layout: `encoding:u32 length:u32 contents`, little-endian, where
//! `encoding` is the width of every element in bytes (2, 4 or 8).

use super::{Cur, RdbError, sign_extend};

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(format!("intset: {what}"))
}

/// Calls `f` with each element of the intset `blob`, in stored order.
pub(super) fn for_each(blob: &[u8], mut f: impl FnMut(i64) -> Result<(), RdbError>) -> Result<(), RdbError> {
    let mut c = Cur::new(blob, 0);
    let width = c.le(4).ok_or_else(|| corrupt("shorter than its header"))? as usize;
    let len = c.le(4).ok_or_else(|| corrupt("shorter than its header"))? as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(corrupt(&format!("invalid element width {width}")));
    }
    if len.checked_mul(width) != Some(c.remaining()) {
        return Err(corrupt("length header does not match its size"));
    }
    for _ in 0..len {
        let v = c.le(width).ok_or_else(|| corrupt("truncated"))?;
        f(sign_extend(v, 8 * width as u32))?;
    }
    Ok(())
}

/// Builds an intset of `width`-byte elements, for tests.
#[cfg(test)]
pub(super) fn build(width: usize, elems: &[i64]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(elems.len() as u32).to_le_bytes());
    for e in elems {
        out.extend_from_slice(&e.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elems(blob: &[u8]) -> Result<Vec<i64>, RdbError> {
        let mut v = Vec::new();
        for_each(blob, |i| {
            v.push(i);
            Ok(())
        })?;
        Ok(v)
    }

    #[test]
    fn every_width() {
        assert_eq!(elems(&build(2, &[-5, 0, 7])).unwrap(), [-5, 0, 7]);
        assert_eq!(elems(&build(4, &[-70000, 1, 70000])).unwrap(), [-70000, 1, 70000]);
        assert_eq!(elems(&build(8, &[i64::MIN, i64::MAX])).unwrap(), [i64::MIN, i64::MAX]);
        assert!(elems(&build(2, &[])).unwrap().is_empty());
    }

    #[test]
    fn malformed_intsets_are_errors() {
        let good = build(4, &[1, 2, 3]);
        for cut in 0..good.len() {
            assert!(elems(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_width = good.clone();
        bad_width[0] = 3;
        assert!(elems(&bad_width).is_err());
        let mut long = good.clone();
        long.push(0);
        assert!(elems(&long).is_err());
        let mut huge_len = good;
        huge_len[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(elems(&huge_len).is_err());
    }
}
