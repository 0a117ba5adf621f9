//! Hash values, in Redis's two forms:
//!
//! - `listpack`: fields and values alternate in one [`Pack`] (Redis's
//!   listpack layout, integers stored compactly) while there are at most
//!   `hash-max-listpack-entries` fields and every field and value is at
//!   most `hash-max-listpack-value` bytes. Lookups are a linear scan of one
//!   contiguous buffer; no allocation per field.
//! - `hashtable`: an `IndexSet` (foldhash) of entries that each hold field
//!   and value in one allocation, `[field length: LEB128][field][value]`,
//!   hashed and compared by field alone. O(1) lookup and change, and O(1)
//!   access by position, which gives uniform HRANDFIELD picks and an HSCAN
//!   cursor that survives changes.
//!
//! A hash converts to the table when it passes a threshold and never
//! converts back, as in Redis. The command layer removes a hash that
//! becomes empty; this type knows nothing of keys.

use super::Encodings;
use super::Hasher;
use super::list::listpack::{Elem, Needle, Pack, Raw};
use indexmap::IndexSet;
use std::borrow::Borrow;

type Table = IndexSet<Entry, Hasher>;

/// One field and its value in a single allocation.
#[derive(Clone)]
struct Entry(Box<[u8]>);

impl Entry {
    fn new(field: &[u8], value: &[u8]) -> Entry {
        let mut n = field.len();
        let prefix = (usize::BITS - n.leading_zeros()).div_ceil(7).max(1) as usize;
        let mut buf = Vec::with_capacity(prefix + field.len() + value.len());
        while n >= 0x80 {
            buf.push(n as u8 | 0x80);
            n >>= 7;
        }
        buf.push(n as u8);
        buf.extend_from_slice(field);
        buf.extend_from_slice(value);
        Entry(buf.into_boxed_slice())
    }

    /// (start of the field, length of the field).
    fn split(&self) -> (usize, usize) {
        let (mut n, mut shift, mut i) = (0usize, 0, 0);
        loop {
            let b = self.0[i];
            n |= ((b & 0x7F) as usize) << shift;
            i += 1;
            if b & 0x80 == 0 {
                return (i, n);
            }
            shift += 7;
        }
    }

    fn field(&self) -> &[u8] {
        let (at, n) = self.split();
        &self.0[at..at + n]
    }

    fn value(&self) -> &[u8] {
        let (at, n) = self.split();
        &self.0[at + n..]
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.field() == other.field()
    }
}

impl Eq for Entry {}

impl std::hash::Hash for Entry {
    /// As the field's `[u8]` hash, so lookups by `&[u8]` find it.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.field().hash(state);
    }
}

impl Borrow<[u8]> for Entry {
    fn borrow(&self) -> &[u8] {
        self.field()
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        write!(f, "{:?}: {:?}", s(self.field()), s(self.value()))
    }
}

/// A map of byte-string fields to byte-string values.
#[derive(Clone, Debug)]
pub struct Hash(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Pack(Pack),
    Table(Box<Table>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash(Repr::Pack(Pack::default()))
    }
}

impl PartialEq for Hash {
    /// Same fields with the same values, whatever the representation.
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(&f).is_some_and(|w| *w == *v))
    }
}

/// Where a field sits in a pack: offsets of its field, value and the next
/// entry.
struct Slot {
    field: usize,
    value: usize,
    next: usize,
}

fn find_in(p: &Pack, field: &[u8]) -> Option<Slot> {
    let needle = Needle::new(field);
    let mut off = 0;
    while off < p.end() {
        let (f, value) = p.at(off);
        let next = p.at(value).1;
        if needle.matches(f) {
            return Some(Slot { field: off, value, next });
        }
        off = next;
    }
    None
}

/// The (field, value) pairs of a pack.
fn pairs(p: &Pack) -> impl Iterator<Item = (Raw<'_>, Raw<'_>)> {
    let mut it = p.iter();
    std::iter::from_fn(move || Some((it.next()?, it.next()?)))
}

impl Hash {
    pub fn new() -> Hash {
        Hash::default()
    }

    /// A hash of `pairs` (a repeated field keeps its last value), in the
    /// form the thresholds pick.
    pub fn from_pairs<F: AsRef<[u8]>, V: AsRef<[u8]>>(
        pairs: impl IntoIterator<Item = (F, V)>,
        enc: &Encodings,
    ) -> Hash {
        let mut h = Hash::new();
        for (f, v) in pairs {
            h.set(f.as_ref(), v.as_ref(), enc);
        }
        h
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Pack(p) => p.len() / 2,
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Pack(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<Elem<'_>> {
        match &self.0 {
            Repr::Pack(p) => find_in(p, field).map(|s| Elem::new(p.at(s.value).0)),
            Repr::Table(t) => t.get(field).map(|e| Elem::new(Raw::Str(e.value()))),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match &self.0 {
            Repr::Pack(p) => find_in(p, field).is_some(),
            Repr::Table(t) => t.contains(field),
        }
    }

    fn convert_to_table(&mut self) {
        if let Repr::Pack(p) = &self.0 {
            let mut t = Table::with_capacity_and_hasher(p.len() / 2 + 1, Hasher::default());
            t.extend(pairs(p).map(|(f, v)| Entry::new(&Elem::new(f), &Elem::new(v))));
            self.0 = Repr::Table(Box::new(t));
        }
    }

    /// Sets `field` to `value`; true when the field is new. Converts to
    /// the table first when either is too long for the listpack, and after
    /// adding when there are too many fields (hashTypeTryConversion,
    /// hashTypeSet).
    pub fn set(&mut self, field: &[u8], value: &[u8], enc: &Encodings) -> bool {
        let max = enc.hash_max_listpack_value;
        if field.len() > max || value.len() > max {
            self.convert_to_table();
        }
        let new = match &mut self.0 {
            Repr::Pack(p) => match find_in(p, field) {
                Some(s) => {
                    p.replace(s.value, value);
                    false
                }
                None => {
                    p.push_back(field);
                    p.push_back(value);
                    true
                }
            },
            Repr::Table(t) => t.replace(Entry::new(field, value)).is_none(),
        };
        if self.len() > enc.hash_max_listpack_entries {
            self.convert_to_table();
        }
        new
    }

    /// Removes `field`; true when it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Pack(p) => match find_in(p, field) {
                Some(s) => {
                    p.remove_span(s.field, s.next, 2);
                    true
                }
                None => false,
            },
            Repr::Table(t) => t.swap_remove(field),
        }
    }

    /// (field, value) pairs in storage order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(match &self.0 {
            Repr::Pack(p) => IterRepr::Pack(p.iter()),
            Repr::Table(t) => IterRepr::Table(t.iter()),
        })
    }

    /// The pair at position `i` of the storage order (O(1) in the table).
    fn pair_at<'a>(&'a self, i: usize, packed: &[(Raw<'a>, Raw<'a>)]) -> (Elem<'a>, Elem<'a>) {
        match &self.0 {
            Repr::Pack(_) => (Elem::new(packed[i].0), Elem::new(packed[i].1)),
            Repr::Table(t) => {
                let e = t.get_index(i).expect("index in range");
                (Elem::new(Raw::Str(e.field())), Elem::new(Raw::Str(e.value())))
            }
        }
    }

    /// `count` random pairs: distinct ones (the whole hash when `count`
    /// reaches its size) or independent draws that may repeat.
    pub fn random_pairs(
        &self,
        count: usize,
        distinct: bool,
        rnd: &mut impl FnMut() -> u64,
    ) -> Vec<(Elem<'_>, Elem<'_>)> {
        let packed: Vec<(Raw, Raw)> = match &self.0 {
            Repr::Pack(p) => pairs(p).collect(),
            Repr::Table(_) => Vec::new(),
        };
        let picks = super::set::sample_indexes(self.len(), count, distinct, rnd);
        picks.into_iter().map(|i| self.pair_at(i, &packed)).collect()
    }

    /// One HSCAN step: calls `visit` for some pairs and returns the next
    /// cursor (0 when done). A listpack is returned whole in one call, as
    /// Redis does. The table is walked by position from the end, so a
    /// cursor survives removals (the last entry moves into the hole,
    /// already visited) and additions (appended behind the cursor): every
    /// pair present for the whole scan is returned at least once.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(Elem<'_>, Elem<'_>)) -> u64 {
        let Repr::Table(t) = &self.0 else {
            self.iter().for_each(|(f, v)| visit(f, v));
            return 0;
        };
        let len = t.len() as u64;
        let mut next = if cursor == 0 || cursor > len { len } else { cursor };
        let mut seen = 0;
        while next > 0 && seen < count {
            next -= 1;
            let e = &t[next as usize];
            visit(Elem::new(Raw::Str(e.field())), Elem::new(Raw::Str(e.value())));
            seen += 1;
        }
        next
    }
}

/// (field, value) pairs of a [`Hash`].
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Pack(super::list::listpack::PackIter<'a>),
    Table(indexmap::set::Iter<'a, Entry>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Elem<'a>, Elem<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Pack(it) => Some((Elem::new(it.next()?), Elem::new(it.next()?))),
            IterRepr::Table(it) => {
                it.next().map(|e| (Elem::new(Raw::Str(e.field())), Elem::new(Raw::Str(e.value()))))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            IterRepr::Pack(it) => it.len() / 2,
            IterRepr::Table(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn enc(entries: usize, value: usize) -> Encodings {
        Encodings {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value: value,
            ..Encodings::default()
        }
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

    fn contents(h: &Hash) -> HashMap<Vec<u8>, Vec<u8>> {
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn random_against_a_naive_model() {
        for e in [enc(128, 64), enc(16, 64), enc(128, 3)] {
            let mut rnd = rng(0x1234_5678_9abc_def1);
            let mut h = Hash::new();
            let mut m: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for step in 0..5000 {
                let f = match rnd() % 3 {
                    0 => (rnd() % 60).to_string().into_bytes(),
                    _ => format!("f{}", rnd() % 60).into_bytes(),
                };
                let v = match rnd() % 3 {
                    0 => (rnd() as i64 >> (rnd() % 64)).to_string().into_bytes(),
                    1 => Vec::new(),
                    _ => vec![b'v'; (rnd() % 5) as usize],
                };
                if rnd().is_multiple_of(3) {
                    assert_eq!(h.remove(&f), m.remove(&f).is_some());
                } else {
                    assert_eq!(h.set(&f, &v, &e), m.insert(f.clone(), v).is_none());
                }
                assert_eq!(h.len(), m.len());
                let probe = format!("f{}", rnd() % 60).into_bytes();
                assert_eq!(h.get(&probe).map(|v| v.to_vec()), m.get(&probe).cloned());
                assert_eq!(h.contains(&probe), m.contains_key(&probe));
                if step % 250 == 0 {
                    assert_eq!(contents(&h), m);
                }
            }
            assert_eq!(contents(&h), m);
        }
    }

    #[test]
    fn conversions_follow_the_thresholds() {
        let e = enc(3, 5);
        let mut h = Hash::from_pairs([("a", "1"), ("b", "2"), ("c", "3")], &e);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"a", b"12345", &e);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"d", b"4", &e);
        assert_eq!(h.encoding(), "hashtable");
        // Never back, even when small again.
        for f in ["a", "b", "c"] {
            h.remove(f.as_bytes());
        }
        assert_eq!((h.encoding(), h.len()), ("hashtable", 1));
        let mut h = Hash::from_pairs([("a", "1")], &e);
        h.set(b"a", b"123456", &e);
        assert_eq!(h.encoding(), "hashtable");
        let h = Hash::from_pairs([("long-field", "1")], &e);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"long-field").map(|v| v.to_vec()), Some(b"1".to_vec()));
        // A repeated field keeps its last value.
        let h = Hash::from_pairs([("a", "1"), ("a", "2")], &e);
        assert_eq!((h.len(), h.get(b"a").unwrap().to_vec()), (1, b"2".to_vec()));
    }

    #[test]
    fn equality_ignores_the_form() {
        let pairs = [("x", "1"), ("y", "two"), ("z", "")];
        let a = Hash::from_pairs(pairs, &enc(128, 64));
        let b = Hash::from_pairs(pairs.iter().rev().copied(), &enc(1, 64));
        assert_ne!(a.encoding(), b.encoding());
        assert_eq!(a, b);
        assert_ne!(a, Hash::from_pairs([("x", "1"), ("y", "two"), ("z", "!")], &enc(128, 64)));
        assert!(std::mem::size_of::<Hash>() <= 32, "{}", std::mem::size_of::<Hash>());
    }

    #[test]
    fn random_pairs_and_scan() {
        let mut rnd = rng(7);
        for e in [enc(128, 64), enc(4, 64)] {
            let h = Hash::from_pairs((0..10).map(|i| (format!("f{i}"), format!("v{i}"))), &e);
            let picks = h.random_pairs(5, true, &mut rnd);
            let fields: std::collections::HashSet<Vec<u8>> = picks.iter().map(|(f, _)| f.to_vec()).collect();
            assert_eq!(fields.len(), 5, "distinct");
            assert!(picks.iter().all(|(f, v)| f[1..] == v[1..]));
            assert_eq!(h.random_pairs(20, true, &mut rnd).len(), 10);
            assert_eq!(h.random_pairs(20, false, &mut rnd).len(), 20);
        }
        let mut h = Hash::from_pairs((0..1000).map(|i| (format!("f{i}"), "v")), &enc(128, 64));
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut round) = (0, 0);
        loop {
            cursor = h.scan(cursor, 10, |f, _| {
                seen.insert(f.to_vec());
            });
            round += 1;
            h.remove(format!("f{}", round * 2).as_bytes());
            if cursor == 0 {
                break;
            }
        }
        for i in (1..1000).step_by(2) {
            assert!(seen.contains(format!("f{i}").as_bytes()), "missed f{i}");
        }
        let small = Hash::from_pairs([("a", "1")], &enc(128, 64));
        assert_eq!(small.scan(0, 1, |_, _| {}), 0);
    }
}
