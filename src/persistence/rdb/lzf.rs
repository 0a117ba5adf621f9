//! LZF decompression (liblzf's format), for the compressed strings Redis
//! writes when `rdbcompression` is on (strings longer than 20 bytes that
//! shrink).
//!
//! The stream is a sequence of runs, each opened by a control byte:
//! - `000LLLLL`: a literal run of `L + 1` bytes follows;
//! - `LLLooooo oooooooo`: copy `L + 2` bytes from `o + 1` bytes back in the
//!   output (`L` = 1..6);
//! - `111ooooo LLLLLLLL oooooooo`: the same with length `L + 9`.
//!
//! Every reference is checked against the output written so far and the
//! output against the announced length, so corrupt input is `None`, never a
//! panic or an out-of-bounds copy.

/// A back reference expands at most 264 bytes out of 3 input bytes, so no
/// valid stream is longer than this many times its input.
pub(super) const MAX_RATIO: usize = 88;

/// Decompresses `input`, which must expand to exactly `out_len` bytes.
pub(super) fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if out_len > input.len().saturating_mul(MAX_RATIO) {
        return None;
    }
    let mut out = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            let lit = input.get(i..i + n)?;
            if out.len() + n > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            i += n;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += *input.get(i)? as usize;
                i += 1;
            }
            n += 2;
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            if back > out.len() || out.len() + n > out_len {
                return None;
            }
            let start = out.len() - back;
            if back >= n {
                out.extend_from_within(start..start + n);
            } else {
                // Overlapping copy (a run): byte by byte, as liblzf does.
                for k in start..start + n {
                    let b = out[k];
                    out.push(b);
                }
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_run() {
        assert_eq!(decompress(&[2, b'a', b'b', b'c'], 3).unwrap(), b"abc");
    }

    #[test]
    fn short_back_reference_overlapping() {
        // "a", then copy 3+2=5 bytes from 1 back: "aaaaaa".
        let input = [0, b'a', 3 << 5, 0];
        assert_eq!(decompress(&input, 6).unwrap(), b"aaaaaa");
    }

    #[test]
    fn long_back_reference() {
        // "ab", then 7+L=7+10, +2 = 19 bytes from 2 back.
        let input = [1, b'a', b'b', 7 << 5, 10, 1];
        let out = decompress(&input, 21).unwrap();
        assert_eq!(out, b"ababababababababababa");
    }

    #[test]
    fn non_overlapping_reference_with_high_offset_bits() {
        // 320 bytes in literal runs of 32, then a copy from 320 back.
        let mut input = Vec::new();
        let mut expect = Vec::new();
        for chunk in 0..10u8 {
            input.push(31);
            for j in 0..32u8 {
                let b = chunk.wrapping_mul(32).wrapping_add(j);
                input.push(b);
                expect.push(b);
            }
        }
        // Copy 4 bytes from 320 back: offset 319 = 0x13F → high bits 1, low 0x3F.
        input.extend_from_slice(&[(2 << 5) | 1, 0x3F]);
        expect.extend_from_within(0..4);
        assert_eq!(decompress(&input, expect.len()).unwrap(), expect);
    }

    #[test]
    fn corrupt_inputs_are_none() {
        // Reference before the start of the output.
        assert!(decompress(&[0, b'a', 1 << 5, 5], 4).is_none());
        // Truncated literal.
        assert!(decompress(&[5, b'a'], 6).is_none());
        // Truncated long reference.
        assert!(decompress(&[0, b'a', 7 << 5], 20).is_none());
        // Output longer or shorter than announced.
        assert!(decompress(&[2, b'a', b'b', b'c'], 2).is_none());
        assert!(decompress(&[2, b'a', b'b', b'c'], 4).is_none());
        // An absurd announced length allocates nothing.
        assert!(decompress(&[0, b'a'], usize::MAX).is_none());
        assert!(decompress(&[], 0).unwrap().is_empty());
    }
}
