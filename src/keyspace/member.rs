//! `Member`: one member of a large set or sorted set, as its hash table
//! stores it. Up to [`INLINE`] bytes live inside the 24-byte value itself;
//! longer ones on the heap. Most members are short (ids, names, numbers),
//! so most members cost no allocation of their own: with the system
//! allocator that saves the 32-byte chunk a small `Box<[u8]>` takes, for 8
//! more bytes in the table entry.
//!
//! Hashes, compares and borrows as `[u8]`, so tables keyed by `Member` are
//! looked up with plain byte slices.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest member kept inline.
pub const INLINE: usize = 22;

#[derive(Clone)]
pub enum Member {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl Member {
    pub fn new(bytes: &[u8]) -> Member {
        match crate::util::inline_bytes(bytes) {
            Some((n, buf)) => Member::Inline(n, buf),
            None => Member::Heap(bytes.into()),
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Member::Inline(n, buf) => &buf[..*n as usize],
            Member::Heap(b) => b,
        }
    }
}

impl From<&[u8]> for Member {
    fn from(b: &[u8]) -> Member {
        Member::new(b)
    }
}

impl Deref for Member {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Member {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Member {
    fn eq(&self, other: &Member) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Member {}

impl Hash for Member {
    /// Exactly as `[u8]` hashes, which `Borrow<[u8]>` requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn inline_or_heap_and_same_as_bytes() {
        assert_eq!(std::mem::size_of::<Member>(), 24);
        let short = Member::new(b"abc");
        let edge = Member::new(&[7; INLINE]);
        let long = Member::new(&[7; INLINE + 1]);
        assert!(matches!(short, Member::Inline(3, _)) && matches!(edge, Member::Inline(..)));
        assert!(matches!(long, Member::Heap(_)));
        assert_eq!((&*short, edge.len(), long.len()), (&b"abc"[..], INLINE, INLINE + 1));
        let s = foldhash::fast::RandomState::default();
        assert_eq!(s.hash_one(&short), s.hash_one(&b"abc"[..]));
        assert_eq!(Member::new(b""), Member::new(b""));
        let mut set = indexmap::IndexSet::<Member, foldhash::fast::RandomState>::default();
        set.insert(long.clone());
        assert!(set.contains(&[7; INLINE + 1][..]) && !set.contains(&b"abc"[..]));
    }
}
