//! `Packed`: the compact form of small sets and sorted sets, in the spirit of
//! Redis's listpack. One exactly-sized heap buffer holds every entry back to
//! back as `[member length: LEB128][member bytes][T trailer bytes]`; the
//! trailer is a sorted set's score (8 bytes, f64 little-endian) and empty for
//! sets. A member of up to 127 bytes costs one byte of overhead.
//!
//! Every lookup is a linear scan and every change reallocates the buffer:
//! that is the trade, as in Redis. Collections stay in this form only below
//! CONFIG's `*-max-listpack-entries` (128 by default), where one scan of a
//! contiguous buffer is cheaper than hashing and pointer chasing, and the
//! memory per member is its length plus one byte.

/// A packed sequence of `(member, trailer)` entries; order is the caller's.
#[derive(Clone, Default)]
pub(super) struct Packed<const T: usize> {
    len: u32,
    buf: Box<[u8]>,
}

/// One entry as found in the buffer: its byte span, member and trailer.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry<'a, const T: usize> {
    pub start: usize,
    pub end: usize,
    pub member: &'a [u8],
    pub trailer: [u8; T],
}

fn put_varint(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

impl<const T: usize> Packed<T> {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Bytes of the buffer (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_, T> {
        Iter { buf: &self.buf, pos: 0 }
    }

    /// The entry holding `member`.
    pub fn find(&self, member: &[u8]) -> Option<Entry<'_, T>> {
        self.iter().find(|e| e.member == member)
    }

    fn encode(out: &mut Vec<u8>, member: &[u8], trailer: &[u8; T]) {
        put_varint(out, member.len());
        out.extend_from_slice(member);
        out.extend_from_slice(trailer);
    }

    /// Inserts an entry at byte offset `at` (an entry boundary).
    pub fn insert_at(&mut self, at: usize, member: &[u8], trailer: [u8; T]) {
        let add = varint_len(member.len()) + member.len() + T;
        let mut v = Vec::with_capacity(self.buf.len() + add);
        v.extend_from_slice(&self.buf[..at]);
        Self::encode(&mut v, member, &trailer);
        v.extend_from_slice(&self.buf[at..]);
        self.buf = v.into_boxed_slice();
        self.len += 1;
    }

    /// Appends an entry.
    pub fn push(&mut self, member: &[u8], trailer: [u8; T]) {
        self.insert_at(self.buf.len(), member, trailer);
    }

    /// Removes the entry spanning bytes `start..end`.
    pub fn remove(&mut self, start: usize, end: usize) {
        let mut v = Vec::with_capacity(self.buf.len() - (end - start));
        v.extend_from_slice(&self.buf[..start]);
        v.extend_from_slice(&self.buf[end..]);
        self.buf = v.into_boxed_slice();
        self.len -= 1;
    }

    /// Builds a buffer from entries in the given order.
    pub fn from_entries<'m>(entries: impl IntoIterator<Item = (&'m [u8], [u8; T])>) -> Self {
        let mut v = Vec::new();
        let mut len = 0u32;
        for (m, t) in entries {
            Self::encode(&mut v, m, &t);
            len += 1;
        }
        Packed { len, buf: v.into_boxed_slice() }
    }
}

/// Iterator over the entries of a [`Packed`], front to back.
pub(super) struct Iter<'a, const T: usize> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a, const T: usize> Iterator for Iter<'a, T> {
    type Item = Entry<'a, T>;

    fn next(&mut self) -> Option<Entry<'a, T>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let (mut n, mut shift) = (0usize, 0);
        loop {
            let b = self.buf[self.pos];
            self.pos += 1;
            n |= ((b & 0x7f) as usize) << shift;
            if b < 0x80 {
                break;
            }
            shift += 7;
        }
        let member = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        let trailer: [u8; T] = self.buf[self.pos..self.pos + T].try_into().expect("trailer width");
        self.pos += T;
        Some(Entry { start, end: self.pos, member, trailer })
    }
}

impl<const T: usize> std::fmt::Debug for Packed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|e| (String::from_utf8_lossy(e.member).into_owned(), e.trailer)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_find_remove() {
        let mut p = Packed::<2>::default();
        p.push(b"b", [2, 0]);
        p.insert_at(0, b"a", [1, 0]);
        let long = vec![b'x'; 300];
        p.push(&long, [3, 0]);
        p.push(b"", [4, 0]);
        assert_eq!(p.len(), 4);
        let got: Vec<(Vec<u8>, u8)> = p.iter().map(|e| (e.member.to_vec(), e.trailer[0])).collect();
        assert_eq!(got, vec![(b"a".to_vec(), 1), (b"b".to_vec(), 2), (long.clone(), 3), (vec![], 4)]);
        assert_eq!(p.heap_bytes(), 4 + 4 + (2 + 300 + 2) + 3);
        let e = p.find(&long).unwrap();
        p.remove(e.start, e.end);
        assert!(p.find(&long).is_none());
        assert_eq!(p.find(b"").unwrap().trailer, [4, 0]);
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn from_entries_matches_pushes() {
        let a = Packed::<0>::from_entries([(&b"x"[..], []), (&b"yy"[..], [])]);
        let mut b = Packed::<0>::default();
        b.push(b"x", []);
        b.push(b"yy", []);
        assert_eq!(a.buf, b.buf);
        assert_eq!(a.len(), 2);
    }
}
