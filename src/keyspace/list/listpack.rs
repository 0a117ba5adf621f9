//! `Pack`: Redis's listpack, the compact form of small lists and hashes
//! (and each node of a large list).
//!
//! One heap buffer holds the entries back to back, each as
//! `[header][payload][backlen]`, with Redis's encodings:
//!
//! | header                  | entry                                  |
//! | ----------------------- | -------------------------------------- |
//! | `0xxxxxxx`              | integer 0..=127, no payload            |
//! | `110xxxxx yyyyyyyy`     | 13-bit signed integer                  |
//! | `0xF1`/`F2`/`F3`/`F4`   | 16/24/32/64-bit integer, little-endian |
//! | `10xxxxxx`              | string of up to 63 bytes               |
//! | `1110xxxx yyyyyyyy`     | string of up to 4095 bytes             |
//! | `0xF0` + 4 bytes LE     | longer string                          |
//!
//! `backlen` is the size of header plus payload in 1 to 5 bytes of 7 bits,
//! read from its last byte backwards, so the buffer walks both ways. Only a
//! string that is an integer in canonical form (Redis's string2ll rules:
//! no sign but `-`, no leading zero) is stored as an integer, so reading it
//! back gives the same bytes. A 3-byte string costs 5 bytes, a small number
//! 2 or 3.
//!
//! Positions are byte offsets of entry starts; the entry count is kept
//! beside the buffer. Inserting or removing moves the bytes after the
//! point, as in Redis: O(size of the pack), which the callers bound.

use crate::util::parse_i64;
use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

/// What Redis's listpack spends besides its entries (6-byte header and
/// end byte): added to [`Pack::bytes`] so the size limits compare with
/// the same numbers as Redis's.
pub const OVERHEAD: usize = 7;

/// A decoded entry, before formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// One element as bytes: a slice of the buffer, or an integer entry
/// formatted in decimal on a small inline buffer.
pub struct Elem<'a>(ElemRepr<'a>);

enum ElemRepr<'a> {
    Str(&'a [u8]),
    Int([u8; 20], u8),
}

impl<'a> Elem<'a> {
    pub fn new(raw: Raw<'a>) -> Elem<'a> {
        match raw {
            Raw::Str(s) => Elem(ElemRepr::Str(s)),
            Raw::Int(v) => {
                let mut b = itoa::Buffer::new();
                let s = b.format(v).as_bytes();
                let mut buf = [0u8; 20];
                buf[..s.len()].copy_from_slice(s);
                Elem(ElemRepr::Int(buf, s.len() as u8))
            }
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl Deref for Elem<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            ElemRepr::Str(s) => s,
            ElemRepr::Int(b, n) => &b[..*n as usize],
        }
    }
}

impl AsRef<[u8]> for Elem<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl PartialEq<[u8]> for Elem<'_> {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

impl fmt::Debug for Elem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

/// A value to compare entries with, its integer form parsed once.
#[derive(Clone, Copy)]
pub struct Needle<'a> {
    bytes: &'a [u8],
    int: Option<i64>,
}

impl<'a> Needle<'a> {
    pub fn new(bytes: &'a [u8]) -> Needle<'a> {
        Needle { bytes, int: if bytes.len() <= 20 { parse_i64(bytes) } else { None } }
    }

    /// Whether `raw` holds these bytes (integers compare as integers: a
    /// canonical integer string is always stored as one).
    pub fn matches(&self, raw: Raw) -> bool {
        match raw {
            Raw::Int(v) => self.int == Some(v),
            Raw::Str(s) => self.int.is_none() && s == self.bytes,
        }
    }
}

/// Header and inline payload of one entry, as it will be written.
struct Head {
    bytes: [u8; 9],
    n: u8,
    /// Whether the value's bytes follow the header (strings).
    string: bool,
}

impl Head {
    fn of(v: &[u8]) -> Head {
        let mut h = Head { bytes: [0; 9], n: 1, string: false };
        if let Some(i) = Needle::new(v).int {
            match i {
                0..=127 => h.bytes[0] = i as u8,
                -4096..=4095 => {
                    let u = (i as u16) & 0x1FFF;
                    h.bytes[0] = 0xC0 | (u >> 8) as u8;
                    h.bytes[1] = u as u8;
                    h.n = 2;
                }
                _ => {
                    let (tag, w) = if i16::try_from(i).is_ok() {
                        (0xF1, 2)
                    } else if (-(1 << 23)..(1 << 23)).contains(&i) {
                        (0xF2, 3)
                    } else if i32::try_from(i).is_ok() {
                        (0xF3, 4)
                    } else {
                        (0xF4, 8)
                    };
                    h.bytes[0] = tag;
                    h.bytes[1..1 + w].copy_from_slice(&i.to_le_bytes()[..w]);
                    h.n = 1 + w as u8;
                }
            }
            return h;
        }
        h.string = true;
        let len = v.len();
        if len < 64 {
            h.bytes[0] = 0x80 | len as u8;
        } else if len < 4096 {
            h.bytes[0] = 0xE0 | (len >> 8) as u8;
            h.bytes[1] = len as u8;
            h.n = 2;
        } else {
            h.bytes[0] = 0xF0;
            h.bytes[1..5].copy_from_slice(&(len as u32).to_le_bytes());
            h.n = 5;
        }
        h
    }

    /// Header plus payload.
    fn body(&self, v: &[u8]) -> usize {
        self.n as usize + if self.string { v.len() } else { 0 }
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..0x80 => 1,
        0x80..0x4000 => 2,
        0x4000..0x20_0000 => 3,
        0x20_0000..0x1000_0000 => 4,
        _ => 5,
    }
}

/// Size in the buffer of an entry holding `v`.
pub fn entry_size(v: &[u8]) -> usize {
    let body = Head::of(v).body(v);
    body + backlen_size(body)
}

/// Writes the entry for `v` into `out`, which is exactly its size.
fn write_entry(out: &mut [u8], v: &[u8]) {
    let h = Head::of(v);
    let n = h.n as usize;
    out[..n].copy_from_slice(&h.bytes[..n]);
    let mut body = n;
    if h.string {
        out[n..n + v.len()].copy_from_slice(v);
        body += v.len();
    }
    let bl = backlen_size(body);
    for i in 0..bl {
        let more = if i + 1 < bl { 0x80 } else { 0 };
        out[body + bl - 1 - i] = ((body >> (7 * i)) & 0x7F) as u8 | more;
    }
}

/// Decodes the entry at `off`: its value and its whole size.
fn decode(buf: &[u8], off: usize) -> (Raw<'_>, usize) {
    let b = buf[off];
    let int = |w: usize| {
        let mut le = [0u8; 8];
        le[..w].copy_from_slice(&buf[off + 1..off + 1 + w]);
        // Sign-extend from w bytes.
        let shift = 64 - 8 * w as u32;
        ((i64::from_le_bytes(le) << shift) >> shift, 1 + w)
    };
    let (raw, body) = if b < 0x80 {
        (Raw::Int(b as i64), 1)
    } else if b & 0xC0 == 0x80 {
        let len = (b & 0x3F) as usize;
        (Raw::Str(&buf[off + 1..off + 1 + len]), 1 + len)
    } else if b & 0xE0 == 0xC0 {
        let u = (((b & 0x1F) as i64) << 8) | buf[off + 1] as i64;
        (Raw::Int(if u >= 1 << 12 { u - (1 << 13) } else { u }), 2)
    } else if b & 0xF0 == 0xE0 {
        let len = (((b & 0x0F) as usize) << 8) | buf[off + 1] as usize;
        (Raw::Str(&buf[off + 2..off + 2 + len]), 2 + len)
    } else {
        match b {
            0xF0 => {
                let len = u32::from_le_bytes(buf[off + 1..off + 5].try_into().expect("4 bytes")) as usize;
                (Raw::Str(&buf[off + 5..off + 5 + len]), 5 + len)
            }
            0xF1 => (Raw::Int(int(2).0), 3),
            0xF2 => (Raw::Int(int(3).0), 4),
            0xF3 => (Raw::Int(int(4).0), 5),
            0xF4 => (Raw::Int(int(8).0), 9),
            _ => unreachable!("bad listpack header {b:#x}"),
        }
    };
    (raw, body + backlen_size(body))
}

/// Size of the entry that ends at `end` (read from its backlen).
fn size_before(buf: &[u8], end: usize) -> usize {
    let (mut p, mut val, mut shift) = (end - 1, 0usize, 0);
    loop {
        let b = buf[p];
        val |= ((b & 0x7F) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        p -= 1;
    }
    val + (end - p)
}

/// A sequence of entries in one buffer; see the module doc.
#[derive(Clone, Default)]
pub struct Pack {
    buf: Vec<u8>,
    len: u32,
}

impl Pack {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The size Redis's listpack of the same entries would have.
    pub fn bytes(&self) -> usize {
        self.buf.len() + OVERHEAD
    }

    /// Heap bytes held (capacity included).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Offset just past the last entry.
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    /// The entry at `off` and the offset of the next one.
    pub fn at(&self, off: usize) -> (Raw<'_>, usize) {
        let (raw, size) = decode(&self.buf, off);
        (raw, off + size)
    }

    /// Offset of the entry before the one at `off` (`off > 0`).
    pub fn prev(&self, off: usize) -> usize {
        off - size_before(&self.buf, off)
    }

    /// Offset of entry `index` (`index <= len`; `len` gives the end),
    /// walking from the nearer end.
    pub fn offset_of(&self, index: usize) -> usize {
        let len = self.len();
        debug_assert!(index <= len);
        if index <= len / 2 {
            (0..index).fold(0, |off, _| self.at(off).1)
        } else {
            (index..len).fold(self.end(), |off, _| self.prev(off))
        }
    }

    pub fn iter(&self) -> PackIter<'_> {
        PackIter { buf: &self.buf, front: 0, back: self.buf.len(), left: self.len() }
    }

    /// Entries from `index` on.
    pub fn iter_from(&self, index: usize) -> PackIter<'_> {
        let front = self.offset_of(index);
        PackIter { buf: &self.buf, front, back: self.buf.len(), left: self.len() - index }
    }

    /// Opens a gap of `n` bytes at `off`, growing the buffer by at least
    /// an eighth when it must grow, so appends amortise while slack stays
    /// small.
    fn open(&mut self, off: usize, n: usize) -> &mut [u8] {
        let old = self.buf.len();
        if self.buf.capacity() - old < n {
            self.buf.reserve_exact(n.max(old / 8));
        }
        self.buf.resize(old + n, 0);
        self.buf.copy_within(off..old, off + n);
        &mut self.buf[off..off + n]
    }

    /// Gives back memory when much of the buffer became slack.
    fn settle(&mut self) {
        let (len, cap) = (self.buf.len(), self.buf.capacity());
        if cap - len > len / 2 + 64 {
            self.buf.shrink_to(len + len / 8);
        }
    }

    /// Inserts `v` as the entry at `off` (an entry boundary or the end).
    pub fn insert(&mut self, off: usize, v: &[u8]) {
        write_entry(self.open(off, entry_size(v)), v);
        self.len += 1;
    }

    pub fn push_back(&mut self, v: &[u8]) {
        self.insert(self.end(), v);
    }

    pub fn push_front(&mut self, v: &[u8]) {
        self.insert(0, v);
    }

    /// Removes `count` entries spanning bytes `from..to`.
    pub fn remove_span(&mut self, from: usize, to: usize, count: usize) {
        self.buf.drain(from..to);
        self.len -= count as u32;
        self.settle();
    }

    /// Replaces the entry at `off` with `v`.
    pub fn replace(&mut self, off: usize, v: &[u8]) {
        let next = self.at(off).1;
        let (old, new) = (next - off, entry_size(v));
        if new > old {
            self.open(next, new - old);
        } else if new < old {
            self.buf.drain(off + new..next);
        }
        write_entry(&mut self.buf[off..off + new], v);
    }

    /// Removes the first `n` entries.
    pub fn remove_front(&mut self, n: usize) {
        let to = self.offset_of(n);
        self.remove_span(0, to, n);
    }

    /// Removes the last `n` entries.
    pub fn remove_back(&mut self, n: usize) {
        let from = self.offset_of(self.len() - n);
        self.remove_span(from, self.end(), n);
    }

    /// Removes the entries starting at the given offsets (ascending), in
    /// one pass.
    pub fn remove_at(&mut self, offs: &[usize]) {
        if offs.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(self.buf.len());
        let mut from = 0;
        for &off in offs {
            out.extend_from_slice(&self.buf[from..off]);
            from = self.at(off).1;
        }
        out.extend_from_slice(&self.buf[from..]);
        self.buf = out;
        self.len -= offs.len() as u32;
    }

    /// Moves the entries from `index` on into a new pack.
    pub fn split_off(&mut self, index: usize) -> Pack {
        let off = self.offset_of(index);
        let tail = Pack { buf: self.buf[off..].to_vec(), len: self.len - index as u32 };
        self.buf.truncate(off);
        self.len = index as u32;
        self.settle();
        tail
    }

    /// Appends every entry of `other`.
    pub fn append(&mut self, other: &Pack) {
        let at = self.end();
        self.open(at, other.buf.len()).copy_from_slice(&other.buf);
        self.len += other.len;
    }
}

impl fmt::Debug for Pack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(Elem::new)).finish()
    }
}

/// Entries of a [`Pack`], both ways.
#[derive(Clone)]
pub struct PackIter<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
    left: usize,
}

impl<'a> Iterator for PackIter<'a> {
    type Item = Raw<'a>;

    fn next(&mut self) -> Option<Raw<'a>> {
        if self.left == 0 {
            return None;
        }
        let (raw, size) = decode(self.buf, self.front);
        self.front += size;
        self.left -= 1;
        Some(raw)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl DoubleEndedIterator for PackIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.back -= size_before(self.buf, self.back);
        self.left -= 1;
        Some(decode(self.buf, self.back).0)
    }
}

impl ExactSizeIterator for PackIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(p: &Pack) -> Vec<String> {
        p.iter().map(|r| String::from_utf8_lossy(&Elem::new(r)).into_owned()).collect()
    }

    #[test]
    fn every_encoding_round_trips_both_ways() {
        let long = "x".repeat(5000);
        let mid = "y".repeat(300);
        let vals = [
            "0",
            "127",
            "128",
            "-1",
            "4095",
            "-4096",
            "4096",
            "32767",
            "-32768",
            "32768",
            "8388607",
            "-8388608",
            "8388608",
            "2147483647",
            "-2147483648",
            "2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "",
            "a",
            "007",
            "+1",
            "-0",
            "1.5",
            "12345678901234567890",
            &mid,
            &long,
        ];
        let mut p = Pack::default();
        for v in vals {
            p.push_back(v.as_bytes());
        }
        assert_eq!(p.len(), vals.len());
        assert_eq!(strs(&p), vals);
        let back: Vec<String> =
            p.iter().rev().map(|r| String::from_utf8_lossy(&Elem::new(r)).into_owned()).collect();
        assert_eq!(back, vals.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>());
        // Integers really are stored compactly; strings that only look like
        // numbers are not.
        assert_eq!(entry_size(b"5"), 2);
        assert_eq!(entry_size(b"-100"), 3);
        assert_eq!(entry_size(b"1000000"), 5);
        assert_eq!(entry_size(b"abc"), 5);
        assert!(matches!(p.iter().nth(20), Some(Raw::Str(b"007"))));
        assert_eq!(entry_size(long.as_bytes()), 5 + 5000 + 2);
    }

    #[test]
    fn positional_edits() {
        let mut p = Pack::default();
        for v in ["b", "c", "d"] {
            p.push_back(v.as_bytes());
        }
        p.push_front(b"a");
        let off = p.offset_of(2);
        p.insert(off, b"x");
        assert_eq!(strs(&p), ["a", "b", "x", "c", "d"]);
        p.replace(p.offset_of(2), &[b'z'; 200]);
        p.replace(p.offset_of(0), b"42");
        assert_eq!(strs(&p)[0], "42");
        p.replace(p.offset_of(2), b"y");
        assert_eq!(strs(&p), ["42", "b", "y", "c", "d"]);
        p.remove_at(&[p.offset_of(1)]);
        assert_eq!(strs(&p), ["42", "y", "c", "d"]);
        let offs = [p.offset_of(0), p.offset_of(2)];
        p.remove_at(&offs);
        assert_eq!(strs(&p), ["y", "d"]);
        for i in 0..10 {
            p.push_back(i.to_string().as_bytes());
        }
        p.remove_front(3);
        p.remove_back(2);
        assert_eq!(strs(&p), ["1", "2", "3", "4", "5", "6", "7"]);
        let tail = p.split_off(4);
        assert_eq!(
            (strs(&p), strs(&tail)),
            (
                vec!["1", "2", "3", "4"].into_iter().map(String::from).collect(),
                vec!["5".to_string(), "6".into(), "7".into()]
            )
        );
        p.append(&tail);
        assert_eq!(p.len(), 7);
        assert_eq!(strs(&p).concat(), "1234567");
        let it = p.iter_from(5);
        assert_eq!(it.len(), 2);
        assert_eq!(p.offset_of(7), p.end());
    }

    #[test]
    fn needles_compare_integers_exactly() {
        assert!(Needle::new(b"12").matches(Raw::Int(12)));
        assert!(!Needle::new(b"012").matches(Raw::Int(12)));
        assert!(Needle::new(b"012").matches(Raw::Str(b"012")));
        assert!(!Needle::new(b"12").matches(Raw::Str(b"13")));
    }
}
