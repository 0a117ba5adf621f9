//! List values, in Redis 7.2's two forms:
//!
//! - `listpack`: one [`Pack`] (see [`listpack`]) while the whole list fits
//!   one node of `list-max-listpack-size` (8 KB by default): no per-element
//!   allocation, a few bytes of overhead per element.
//! - `quicklist`: a `VecDeque` of packs, each within that limit, with the
//!   element count cached. Push and pop at either end touch one node: O(1)
//!   in the list's length (O(node size) bytes moved, as in Redis). Access
//!   by index walks nodes from the nearer end, skipping whole nodes by
//!   their counts.
//!
//! A list becomes a quicklist when an addition would pass the limit, and
//! goes back to a listpack when removals leave one node of at most half
//! the limit (Redis's hysteresis). Mutating methods take the current
//! [`Encodings`], so CONFIG SET applies to the next change. The command
//! layer deletes a list that becomes empty; this type knows nothing of keys.

pub(crate) mod listpack;

use super::Encodings;
use bytes::Bytes;
pub use listpack::Elem;
use listpack::{Needle, OVERHEAD, Pack, PackIter, entry_size};
use std::collections::VecDeque;
use std::collections::vec_deque;

/// Node limits for `list-max-listpack-size`: (bytes, entries). Negative
/// values pick a size (-1 = 4 KB ... -5 = 64 KB); positive ones a count,
/// with an 8 KB safety limit on size, as Redis's quicklistNodeLimit.
fn limits(fill: i64) -> (usize, usize) {
    const SIZES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    if fill >= 0 { (8192, fill.max(1) as usize) } else { (SIZES[((-fill - 1) as usize).min(4)], usize::MAX) }
}

fn exceeds(fill: i64, bytes: usize, count: usize) -> bool {
    let (b, c) = limits(fill);
    bytes > b || count > c
}

/// A list of byte strings.
#[derive(Clone, Debug)]
pub struct List(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Pack(Pack),
    Quick(Box<Quick>),
}

#[derive(Clone, Debug)]
struct Quick {
    nodes: VecDeque<Pack>,
    len: usize,
}

impl Default for List {
    fn default() -> Self {
        List(Repr::Pack(Pack::default()))
    }
}

impl PartialEq for List {
    /// Same elements in the same order, whatever the representation.
    fn eq(&self, other: &List) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| *a == *b)
    }
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// A list of `elems` front to back, in the form the thresholds pick.
    pub fn from_elements<E: AsRef<[u8]>>(elems: impl IntoIterator<Item = E>, enc: &Encodings) -> List {
        let mut l = List::new();
        for e in elems {
            l.push_back(e.as_ref(), enc);
        }
        l
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Pack(p) => p.len(),
            Repr::Quick(q) => q.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Pack(_) => "listpack",
            Repr::Quick(_) => "quicklist",
        }
    }

    /// Heap bytes held by the elements' buffers (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Pack(p) => p.heap_bytes(),
            Repr::Quick(q) => {
                q.nodes.iter().map(Pack::heap_bytes).sum::<usize>()
                    + q.nodes.capacity() * std::mem::size_of::<Pack>()
            }
        }
    }

    /// Elements front to back (double-ended).
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// Elements from `index` to the back.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        let index = index.min(self.len());
        match &self.0 {
            Repr::Pack(p) => {
                Iter(RawIter { front: Some(p.iter_from(index)), back: None, nodes: NO_NODES.iter() })
            }
            Repr::Quick(q) => {
                let (ni, i) = q.locate(index);
                let front = q.nodes.get(ni).map(|node| node.iter_from(i));
                Iter(RawIter { front, back: None, nodes: q.nodes.range((ni + 1).min(q.nodes.len())..) })
            }
        }
    }

    /// The element at `index` from the front.
    pub fn get(&self, index: usize) -> Option<Elem<'_>> {
        if index >= self.len() {
            return None;
        }
        self.iter_from(index).next()
    }

    /// Converts to a quicklist ahead of adding `count` elements of `bytes`
    /// bytes that would not fit one node (listTypeTryConvertListpack).
    fn grow(&mut self, bytes: usize, count: usize, enc: &Encodings) {
        if let Repr::Pack(p) = &mut self.0
            && exceeds(enc.list_max_listpack_size, p.bytes() + bytes, p.len() + count)
        {
            let p = std::mem::take(p);
            let len = p.len();
            let nodes = if p.is_empty() { VecDeque::new() } else { VecDeque::from([p]) };
            self.0 = Repr::Quick(Box::new(Quick { nodes, len }));
        }
    }

    /// Goes back to a listpack when one node of at most half the limits is
    /// left (listTypeTryConvertQuicklist, shrinking).
    fn shrink(&mut self, enc: &Encodings) {
        if let Repr::Quick(q) = &mut self.0
            && q.nodes.len() <= 1
        {
            let (b, c) = limits(enc.list_max_listpack_size);
            let fits = q.nodes.front().is_none_or(|n| n.bytes() <= b / 2 && n.len() <= c / 2);
            if fits {
                self.0 = Repr::Pack(q.nodes.pop_front().unwrap_or_default());
            }
        }
    }

    pub fn push_front(&mut self, v: &[u8], enc: &Encodings) {
        self.grow(v.len(), 1, enc);
        match &mut self.0 {
            Repr::Pack(p) => p.push_front(v),
            Repr::Quick(q) => q.push(v, true, enc.list_max_listpack_size),
        }
    }

    pub fn push_back(&mut self, v: &[u8], enc: &Encodings) {
        self.grow(v.len(), 1, enc);
        match &mut self.0 {
            Repr::Pack(p) => p.push_back(v),
            Repr::Quick(q) => q.push(v, false, enc.list_max_listpack_size),
        }
    }

    /// Removes and returns the first element.
    pub fn pop_front(&mut self, enc: &Encodings) -> Option<Bytes> {
        self.pop_n(1, true, enc).pop()
    }

    /// Removes and returns the last element.
    pub fn pop_back(&mut self, enc: &Encodings) -> Option<Bytes> {
        self.pop_n(1, false, enc).pop()
    }

    /// Removes up to `n` elements from the front (or the back) and returns
    /// them in the order they were popped.
    pub fn pop_n(&mut self, n: usize, front: bool, enc: &Encodings) -> Vec<Bytes> {
        let n = n.min(self.len());
        let out: Vec<Bytes> = if front {
            self.iter().take(n).map(|e| e.to_bytes()).collect()
        } else {
            self.iter().rev().take(n).map(|e| e.to_bytes()).collect()
        };
        self.remove_ends(if front { n } else { 0 }, if front { 0 } else { n }, enc);
        out
    }

    /// Removes `front` elements from the front and `back` from the back
    /// (LTRIM; together at most the length).
    pub fn remove_ends(&mut self, front: usize, back: usize, enc: &Encodings) {
        let (front, back) = (front.min(self.len()), back.min(self.len() - front.min(self.len())));
        match &mut self.0 {
            Repr::Pack(p) => {
                if front > 0 {
                    p.remove_front(front);
                }
                if back > 0 {
                    p.remove_back(back);
                }
            }
            Repr::Quick(q) => {
                q.remove_front(front);
                q.remove_back(back);
            }
        }
        self.shrink(enc);
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: usize, v: &[u8], enc: &Encodings) -> bool {
        if index >= self.len() {
            return false;
        }
        self.grow(v.len(), 0, enc);
        match &mut self.0 {
            Repr::Pack(p) => p.replace(p.offset_of(index), v),
            Repr::Quick(q) => {
                let (ni, i) = q.locate(index);
                let node = &mut q.nodes[ni];
                node.replace(node.offset_of(i), v);
                q.split_if_needed(ni, enc.list_max_listpack_size);
            }
        }
        true
    }

    /// Inserts `v` so that it becomes element `index` (`index <= len`).
    pub fn insert(&mut self, index: usize, v: &[u8], enc: &Encodings) {
        debug_assert!(index <= self.len());
        self.grow(v.len(), 1, enc);
        match &mut self.0 {
            Repr::Pack(p) => p.insert(p.offset_of(index), v),
            Repr::Quick(q) => q.insert(index, v, enc.list_max_listpack_size),
        }
    }

    /// Index of the first element equal to `v`.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        let needle = Needle::new(v);
        let mut it = self.raw_iter();
        let mut i = 0;
        loop {
            let raw = it.next()?;
            if needle.matches(raw) {
                return Some(i);
            }
            i += 1;
        }
    }

    /// Indexes of elements equal to `v`, as LPOS looks for them: skipping
    /// the first `skip` matches, at most `count` of them (0 = all), among
    /// the first `maxlen` elements looked at (0 = all), from the back when
    /// `rev` (indexes still count from the front).
    pub fn positions(&self, v: &[u8], skip: usize, count: usize, maxlen: usize, rev: bool) -> Vec<usize> {
        let needle = Needle::new(v);
        let (len, limit) = (self.len(), if maxlen == 0 { usize::MAX } else { maxlen });
        let count = if count == 0 { usize::MAX } else { count };
        let mut it = self.raw_iter();
        let (mut out, mut skip) = (Vec::new(), skip);
        for i in 0..len.min(limit) {
            let raw = if rev { it.next_back() } else { it.next() }.expect("within length");
            if needle.matches(raw) {
                if skip > 0 {
                    skip -= 1;
                } else {
                    out.push(if rev { len - 1 - i } else { i });
                    if out.len() >= count {
                        break;
                    }
                }
            }
        }
        out
    }

    /// Removes elements equal to `v` (LREM): the first `count` from the
    /// front when `count > 0`, the last `-count` when negative, all when 0.
    /// Returns how many went.
    pub fn remove_value(&mut self, v: &[u8], count: i64, enc: &Encodings) -> usize {
        let needle = Needle::new(v);
        let rev = count < 0;
        let mut left = if count == 0 { usize::MAX } else { count.unsigned_abs() as usize };
        let mut removed = 0;
        let fill = enc.list_max_listpack_size;
        match &mut self.0 {
            Repr::Pack(p) => removed = remove_in(p, &needle, &mut left, rev),
            Repr::Quick(q) => {
                let n = q.nodes.len();
                for k in 0..n {
                    if left == 0 {
                        break;
                    }
                    let ni = if rev { n - 1 - k } else { k };
                    removed += remove_in(&mut q.nodes[ni], &needle, &mut left, rev);
                }
                q.len -= removed;
                if removed > 0 {
                    q.nodes.retain(|n| !n.is_empty());
                    q.merge_small(fill);
                }
            }
        }
        if removed > 0 {
            self.shrink(enc);
        }
        removed
    }

    /// Raw entries, for comparisons without formatting integers.
    fn raw_iter(&self) -> RawIter<'_> {
        match &self.0 {
            Repr::Pack(p) => RawIter { front: Some(p.iter()), back: None, nodes: NO_NODES.iter() },
            Repr::Quick(q) => RawIter { front: None, back: None, nodes: q.nodes.iter() },
        }
    }
}

/// Removes up to `left` entries matching `needle` from one pack, scanning
/// from the back when `rev`.
fn remove_in(p: &mut Pack, needle: &Needle, left: &mut usize, rev: bool) -> usize {
    let mut offs = Vec::new();
    if rev {
        let mut off = p.end();
        while off > 0 && *left > 0 {
            off = p.prev(off);
            if needle.matches(p.at(off).0) {
                offs.push(off);
                *left -= 1;
            }
        }
        offs.reverse();
    } else {
        let mut off = 0;
        while off < p.end() && *left > 0 {
            let (raw, next) = p.at(off);
            if needle.matches(raw) {
                offs.push(off);
                *left -= 1;
            }
            off = next;
        }
    }
    p.remove_at(&offs);
    offs.len()
}

impl Quick {
    /// (node, index in node) of element `index`; `index == len` gives
    /// (nodes, 0).
    fn locate(&self, index: usize) -> (usize, usize) {
        if index >= self.len {
            return (self.nodes.len(), 0);
        }
        if index < self.len / 2 {
            let mut i = index;
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.len() {
                    return (ni, i);
                }
                i -= n.len();
            }
        } else {
            let mut from_back = self.len - index;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if from_back <= n.len() {
                    return (ni, n.len() - from_back);
                }
                from_back -= n.len();
            }
        }
        unreachable!("index within the cached length")
    }

    /// Whether `node` takes one more entry of `size` bytes.
    fn allows(node: &Pack, size: usize, fill: i64) -> bool {
        !exceeds(fill, node.bytes() + size, node.len() + 1)
    }

    fn push(&mut self, v: &[u8], front: bool, fill: i64) {
        let size = entry_size(v);
        let end = if front { self.nodes.front_mut() } else { self.nodes.back_mut() };
        match end {
            Some(node) if Quick::allows(node, size, fill) => {
                if front {
                    node.push_front(v)
                } else {
                    node.push_back(v)
                }
            }
            _ => {
                let mut node = Pack::default();
                node.push_back(v);
                if front { self.nodes.push_front(node) } else { self.nodes.push_back(node) }
            }
        }
        self.len += 1;
    }

    fn insert(&mut self, index: usize, v: &[u8], fill: i64) {
        if index == self.len {
            return self.push(v, false, fill);
        }
        let (ni, i) = self.locate(index);
        let size = entry_size(v);
        if i == 0 && ni > 0 && !Quick::allows(&self.nodes[ni], size, fill) {
            // At a node's head: the previous node's tail is the same place.
            let prev = &mut self.nodes[ni - 1];
            if Quick::allows(prev, size, fill) {
                prev.push_back(v);
                self.len += 1;
                return;
            }
        }
        let node = &mut self.nodes[ni];
        node.insert(node.offset_of(i), v);
        self.len += 1;
        self.split_if_needed(ni, fill);
    }

    /// Splits node `ni` in two halves while it is over the limits and has
    /// more than one entry.
    fn split_if_needed(&mut self, ni: usize, fill: i64) {
        let node = &mut self.nodes[ni];
        if node.len() > 1 && exceeds(fill, node.bytes(), node.len()) {
            let tail = node.split_off(node.len() / 2);
            self.nodes.insert(ni + 1, tail);
            self.split_if_needed(ni + 1, fill);
            self.split_if_needed(ni, fill);
        }
    }

    /// Joins neighbouring nodes whose entries fit one node together.
    fn merge_small(&mut self, fill: i64) {
        let mut i = 0;
        while i + 1 < self.nodes.len() {
            let (a, b) = (&self.nodes[i], &self.nodes[i + 1]);
            if exceeds(fill, a.bytes() + b.bytes() - OVERHEAD, a.len() + b.len()) {
                i += 1;
            } else {
                let b = self.nodes.remove(i + 1).expect("neighbour exists");
                self.nodes[i].append(&b);
            }
        }
    }

    fn remove_front(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let head = self.nodes.front_mut().expect("enough elements");
            if head.len() <= n {
                n -= head.len();
                self.nodes.pop_front();
            } else {
                head.remove_front(n);
                n = 0;
            }
        }
    }

    fn remove_back(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let tail = self.nodes.back_mut().expect("enough elements");
            if tail.len() <= n {
                n -= tail.len();
                self.nodes.pop_back();
            } else {
                tail.remove_back(n);
                n = 0;
            }
        }
    }
}

/// The node list of a listpack-encoded list (it has none).
static NO_NODES: VecDeque<Pack> = VecDeque::new();

/// Entries over a pack and a run of nodes, both ways (a flatten).
struct RawIter<'a> {
    front: Option<PackIter<'a>>,
    back: Option<PackIter<'a>>,
    nodes: vec_deque::Iter<'a, Pack>,
}

impl<'a> Iterator for RawIter<'a> {
    type Item = listpack::Raw<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.front.as_mut().and_then(Iterator::next) {
                return Some(r);
            }
            match self.nodes.next() {
                Some(n) => self.front = Some(n.iter()),
                None => return self.back.as_mut().and_then(Iterator::next),
            }
        }
    }
}

impl DoubleEndedIterator for RawIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.back.as_mut().and_then(DoubleEndedIterator::next_back) {
                return Some(r);
            }
            match self.nodes.next_back() {
                Some(n) => self.back = Some(n.iter()),
                None => return self.front.as_mut().and_then(DoubleEndedIterator::next_back),
            }
        }
    }
}

/// Elements of a [`List`], front to back or back to front.
pub struct Iter<'a>(RawIter<'a>);

impl<'a> Iterator for Iter<'a> {
    type Item = Elem<'a>;

    fn next(&mut self) -> Option<Elem<'a>> {
        self.0.next().map(Elem::new)
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<Elem<'a>> {
        self.0.next_back().map(Elem::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(fill: i64) -> Encodings {
        Encodings { list_max_listpack_size: fill, ..Encodings::default() }
    }

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    fn items(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|e| e.to_vec()).collect()
    }

    /// Every operation on a List and on a VecDeque, compared step by step,
    /// with node limits small enough that nodes split, merge and the list
    /// converts both ways many times.
    #[test]
    fn random_against_a_naive_model() {
        for fill in [3, -1, -2] {
            let e = enc(fill);
            let mut rnd = rng(0x9e37_79b9_7f4a_7c15 ^ fill as u64);
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            let mut encodings = std::collections::HashSet::new();
            for step in 0..20_000 {
                let v: Vec<u8> = match rnd() % 4 {
                    0 => (rnd() % 300).to_string().into_bytes(),
                    1 => format!("-{}", rnd() % 100_000).into_bytes(),
                    2 => vec![b'a' + (rnd() % 3) as u8; (rnd() % 4) as usize],
                    _ => vec![b'x'; (rnd() % 700) as usize],
                };
                // Bias toward growth, then toward shrinking, in waves.
                let grow = (step / 2000) % 2 == 0;
                match rnd() % 12 {
                    0..=2 if grow || m.len() < 5 => {
                        l.push_back(&v, &e);
                        m.push_back(v);
                    }
                    3..=4 if grow || m.len() < 5 => {
                        l.push_front(&v, &e);
                        m.push_front(v);
                    }
                    5 => assert_eq!(l.pop_front(&e).map(|b| b.to_vec()), m.pop_front()),
                    6 => assert_eq!(l.pop_back(&e).map(|b| b.to_vec()), m.pop_back()),
                    7 if !m.is_empty() => {
                        let i = (rnd() % m.len() as u64) as usize;
                        assert!(l.set(i, &v, &e));
                        m[i] = v;
                    }
                    8 => {
                        let i = (rnd() % (m.len() as u64 + 1)) as usize;
                        l.insert(i, &v, &e);
                        m.insert(i, v);
                    }
                    9 => {
                        let count = (rnd() % 5) as i64 - 2;
                        let want: Vec<usize> = if count < 0 {
                            let mut w: Vec<usize> = (0..m.len()).rev().filter(|&i| m[i] == v).collect();
                            w.truncate(count.unsigned_abs() as usize);
                            w
                        } else {
                            let w = (0..m.len()).filter(|&i| m[i] == v);
                            w.take(if count == 0 { usize::MAX } else { count as usize }).collect()
                        };
                        assert_eq!(l.remove_value(&v, count, &e), want.len());
                        let mut i = 0;
                        m.retain(|_| {
                            i += 1;
                            !want.contains(&(i - 1))
                        });
                    }
                    10 => {
                        let (f, b) = ((rnd() % 3) as usize, (rnd() % 3) as usize);
                        let (f, b) = (f.min(m.len()), b.min(m.len() - f.min(m.len())));
                        l.remove_ends(f, b, &e);
                        m.drain(..f);
                        m.truncate(m.len() - b);
                    }
                    _ => {
                        let n = (rnd() % 4) as usize;
                        let front = rnd().is_multiple_of(2);
                        let got: Vec<Vec<u8>> = l.pop_n(n, front, &e).iter().map(|b| b.to_vec()).collect();
                        let want: Vec<Vec<u8>> =
                            (0..n).filter_map(|_| if front { m.pop_front() } else { m.pop_back() }).collect();
                        assert_eq!(got, want);
                    }
                }
                assert_eq!(l.len(), m.len(), "step {step}");
                encodings.insert(l.encoding());
                if step % 97 == 0 {
                    assert_eq!(items(&l), Vec::from(m.clone()), "step {step}");
                    let back: Vec<Vec<u8>> = l.iter().rev().map(|e| e.to_vec()).collect();
                    assert_eq!(back, m.iter().rev().cloned().collect::<Vec<_>>());
                    if !m.is_empty() {
                        let i = (rnd() % m.len() as u64) as usize;
                        assert_eq!(l.get(i).map(|e| e.to_vec()), Some(m[i].clone()));
                        let tail: Vec<Vec<u8>> = l.iter_from(i).map(|e| e.to_vec()).collect();
                        assert_eq!(tail, m.range(i..).cloned().collect::<Vec<_>>());
                        assert_eq!(l.position(&m[i]), m.iter().position(|x| *x == m[i]));
                    }
                    if let Repr::Quick(q) = &l.0 {
                        assert!(q.nodes.iter().all(|n| !n.is_empty()), "no empty nodes");
                        assert_eq!(q.nodes.iter().map(Pack::len).sum::<usize>(), q.len);
                    }
                }
            }
            assert_eq!(encodings.len(), 2, "fill {fill}: both encodings were used");
        }
    }

    #[test]
    fn conversions_follow_the_size_limit() {
        let e = enc(-2);
        let mut l = List::new();
        // 80 entries of 100 bytes (+3 each) = 8240 + 7 > 8192.
        for _ in 0..79 {
            l.push_back(&[b'v'; 100], &e);
        }
        assert_eq!(l.encoding(), "listpack");
        l.push_back(&[b'v'; 100], &e);
        assert_eq!(l.encoding(), "quicklist");
        // Back to a listpack only in a single node of half the limit:
        // 40 entries take 40 * 103 + 7 = 4127 bytes, 39 take 4024.
        l.pop_back(&e);
        assert_eq!(l.encoding(), "quicklist");
        l.pop_n(39, true, &e);
        assert_eq!((l.encoding(), l.len()), ("quicklist", 40));
        l.pop_n(1, true, &e);
        assert_eq!((l.encoding(), l.len()), ("listpack", 39));
        // One element bigger than a node: a quicklist at once.
        let mut big = List::new();
        big.push_back(&[b'x'; 9000], &e);
        assert_eq!(big.encoding(), "quicklist");
        // A count limit (positive fill).
        let e3 = enc(3);
        let l = List::from_elements(["a", "b", "c"], &e3);
        assert_eq!(l.encoding(), "listpack");
        let l = List::from_elements(["a", "b", "c", "d"], &e3);
        assert_eq!(l.encoding(), "quicklist");
        let Repr::Quick(q) = &l.0 else { unreachable!() };
        assert_eq!(q.nodes.iter().map(Pack::len).collect::<Vec<_>>(), [3, 1]);
        // LSET growing an element past the limit converts too.
        let mut l = List::from_elements(["a"], &e);
        l.set(0, &[b'y'; 8200], &e);
        assert_eq!(l.encoding(), "quicklist");
    }

    #[test]
    fn positions_like_lpos() {
        let e = enc(3);
        let l = List::from_elements(["a", "b", "c", "1", "2", "3", "c", "c"], &e);
        assert_eq!(l.positions(b"c", 0, 0, 0, false), [2, 6, 7]);
        assert_eq!(l.positions(b"c", 1, 1, 0, false), [6]);
        assert_eq!(l.positions(b"c", 0, 2, 0, true), [7, 6]);
        assert_eq!(l.positions(b"c", 0, 0, 7, false), [2, 6]);
        assert_eq!(l.positions(b"c", 0, 0, 2, true), [7, 6]);
        assert_eq!(l.positions(b"2", 0, 0, 0, false), [4]);
        assert_eq!(l.positions(b"02", 0, 0, 0, false), Vec::<usize>::new());
    }

    #[test]
    fn equality_ignores_the_form_and_the_type_stays_small() {
        let a = List::from_elements(["x", "y", "12"], &enc(-2));
        let b = List::from_elements(["x", "y", "12"], &enc(1));
        assert_ne!(a.encoding(), b.encoding());
        assert_eq!(a, b);
        assert_ne!(a, List::from_elements(["x", "y"], &enc(-2)));
        assert!(std::mem::size_of::<List>() <= 32, "{}", std::mem::size_of::<List>());
    }
}
