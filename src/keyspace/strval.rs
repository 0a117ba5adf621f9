//! `Str`: a string value as the keyspace stores it. Up to [`INLINE`] bytes
//! live inside the value itself, longer ones in a `Bytes`.
//!
//! Most string values are short (counters, flags, ids, small JSON); stored
//! inline they cost no allocation of their own: with the system allocator a
//! 3-byte `Bytes` takes a 32-byte heap chunk plus its 32-byte handle, which
//! made a small string key 25% larger than in Redis. The inline form fills
//! the space `Value` already has (its largest variant is 40 bytes), so it
//! costs nothing in the table entry either.

use bytes::{Bytes, BytesMut};
use std::ops::Deref;

/// Longest value kept inline: `Str` stays 40 bytes, the size of its heap
/// form (a tag word plus a 32-byte `Bytes`).
pub const INLINE: usize = 38;

#[derive(Clone)]
pub enum Str {
    Inline(u8, [u8; INLINE]),
    Heap(Bytes),
}

impl Str {
    /// A copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Str {
        match crate::util::inline_bytes(bytes) {
            Some((n, buf)) => Str::Inline(n, buf),
            None => Str::Heap(Bytes::copy_from_slice(bytes)),
        }
    }

    /// Replaces the bytes with a copy of `bytes`: in place when old and new
    /// both fit inline, so a SET over a short string builds no value to
    /// move into the table (each move of a freshly written 40-byte value
    /// is a stalled store-to-load forward).
    pub fn assign(&mut self, bytes: &[u8]) {
        match self {
            Str::Inline(n, buf) if bytes.len() <= INLINE => {
                buf[..bytes.len()].copy_from_slice(bytes);
                *n = bytes.len() as u8;
            }
            _ => *self = Str::new(bytes),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Str::Inline(n, buf) => &buf[..*n as usize],
            Str::Heap(b) => b,
        }
    }

    /// An owned handle for a reply: a refcount for the heap form, a copy of
    /// the few bytes of the inline form.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Str::Inline(..) => Bytes::copy_from_slice(self.as_bytes()),
            Str::Heap(b) => b.clone(),
        }
    }

    /// The bytes as a growable buffer (APPEND, SETRANGE); free when the heap
    /// form is not shared with a reply still in flight.
    pub fn into_mut(self) -> BytesMut {
        match self {
            Str::Inline(..) => BytesMut::from(self.as_bytes()),
            Str::Heap(b) => BytesMut::from(b),
        }
    }
}

impl Default for Str {
    fn default() -> Str {
        Str::Inline(0, [0; INLINE])
    }
}

/// Keeps a large `Bytes` as it is (no copy); inlines a small one.
impl From<Bytes> for Str {
    fn from(b: Bytes) -> Str {
        if b.len() <= INLINE { Str::new(&b) } else { Str::Heap(b) }
    }
}

impl From<BytesMut> for Str {
    fn from(b: BytesMut) -> Str {
        b.freeze().into()
    }
}

impl From<&[u8]> for Str {
    fn from(b: &[u8]) -> Str {
        Str::new(b)
    }
}

impl Deref for Str {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl std::fmt::Debug for Str {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assign_replaces_the_bytes_in_either_form() {
        let long = vec![b'x'; INLINE + 1];
        let mut s = Str::new(b"hello");
        s.assign(b"hi");
        assert_eq!(&*s, b"hi");
        s.assign(&long);
        assert!(matches!(s, Str::Heap(_)));
        assert_eq!(&*s, &long[..]);
        s.assign(b"");
        assert!(matches!(s, Str::Inline(0, _)));
        assert_eq!(s, Str::new(b""));
    }

    #[test]
    fn inline_up_to_the_limit_and_value_stays_40_bytes() {
        assert_eq!(std::mem::size_of::<Str>(), 40);
        assert_eq!(std::mem::size_of::<super::super::Value>(), 40);
        assert!(matches!(Str::new(&[1; INLINE]), Str::Inline(..)));
        assert!(matches!(Str::new(&[1; INLINE + 1]), Str::Heap(_)));
        assert!(matches!(Str::from(Bytes::from(vec![1; INLINE + 1])), Str::Heap(_)));
        assert!(matches!(Str::from(Bytes::from_static(b"abc")), Str::Inline(3, _)));
        assert_eq!(&*Str::new(b"abc"), b"abc");
        assert_eq!(Str::new(b"").len(), 0);
        assert_eq!(Str::new(b"abc").to_bytes(), Bytes::from_static(b"abc"));
    }

    #[test]
    fn into_mut_keeps_the_bytes() {
        for v in [&b"short"[..], &[9; 100]] {
            let mut m = Str::new(v).into_mut();
            m.extend_from_slice(b"!");
            assert_eq!(&m[..v.len()], v);
            assert_eq!(Str::from(m).len(), v.len() + 1);
        }
    }
}
