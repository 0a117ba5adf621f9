//! Set values, in three representations as in Redis 7.2:
//!
//! - `intset`: every member an integer (Redis's string2ll rules) and at most
//!   `set-max-intset-entries`: one sorted buffer of little-endian integers, all
//!   2, 4 or 8 bytes wide (the narrowest that holds every member; widened in
//!   one pass when a bigger one arrives). Lookup O(log n), change O(n).
//! - `listpack`: up to `set-max-listpack-entries` members of at most
//!   `set-max-listpack-value` bytes, packed back to back in insertion order
//!   ([`Packed`]). Lookup and change O(n), one byte of overhead per member.
//! - `hashtable`: an `IndexSet` of [`Member`]s (inline up to 22 bytes) with
//!   foldhash. O(1) lookup and change, and
//!   O(1) access by position, which gives uniform random members (SPOP,
//!   SRANDMEMBER) and a SSCAN cursor that survives changes.
//!
//! A set moves to a larger form when a member or the count passes a
//! threshold and never moves back, like Redis. The command layer removes a
//! set that becomes empty; this type does not know about keys.

use super::member::Member;
use super::packed::Packed;
use super::{Encodings, Hasher};
use crate::util::parse_i64;
use indexmap::IndexSet;
use std::borrow::Cow;

type Table = IndexSet<Member, Hasher>;

/// A set of byte-string members.
#[derive(Clone, Debug)]
pub struct Set(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Ints(IntSet),
    Packed(Packed<0>),
    Table(Box<Table>),
}

/// Sorted integers of one width (2, 4 or 8 bytes), little-endian.
#[derive(Clone)]
struct IntSet {
    width: u8,
    data: Box<[u8]>,
}

fn width_of(v: i64) -> u8 {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

fn put_int(out: &mut Vec<u8>, v: i64, width: u8) {
    out.extend_from_slice(&v.to_le_bytes()[..width as usize]);
}

impl IntSet {
    fn new() -> IntSet {
        IntSet { width: 2, data: Box::default() }
    }

    fn len(&self) -> usize {
        self.data.len() / self.width as usize
    }

    fn get(&self, i: usize) -> i64 {
        let w = self.width as usize;
        let b = &self.data[i * w..(i + 1) * w];
        match w {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes(b.try_into().expect("8 bytes")),
        }
    }

    fn search(&self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Adds `v`; false when present. Widens every member first if needed.
    fn insert(&mut self, v: i64) -> bool {
        let w = width_of(v).max(self.width);
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let mut out = Vec::with_capacity((self.len() + 1) * w as usize);
        if w == self.width {
            let at = pos * w as usize;
            out.extend_from_slice(&self.data[..at]);
            put_int(&mut out, v, w);
            out.extend_from_slice(&self.data[at..]);
        } else {
            for (i, x) in self.iter().enumerate() {
                if i == pos {
                    put_int(&mut out, v, w);
                }
                put_int(&mut out, x, w);
            }
            if pos == self.len() {
                put_int(&mut out, v, w);
            }
        }
        self.width = w;
        self.data = out.into_boxed_slice();
        true
    }

    fn remove(&mut self, v: i64) -> bool {
        let Ok(pos) = self.search(v) else { return false };
        let w = self.width as usize;
        let mut out = Vec::with_capacity(self.data.len() - w);
        out.extend_from_slice(&self.data[..pos * w]);
        out.extend_from_slice(&self.data[(pos + 1) * w..]);
        self.data = out.into_boxed_slice();
        true
    }
}

impl std::fmt::Debug for IntSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Decimal length of `v`, sign included.
fn digits(v: i64) -> usize {
    itoa::Buffer::new().format(v).len()
}

fn int_bytes(v: i64) -> Cow<'static, [u8]> {
    Cow::Owned(itoa::Buffer::new().format(v).as_bytes().to_vec())
}

/// `count` positions in `0..n` for random sampling: distinct ones (all of
/// them when `count >= n`), or independent draws that may repeat.
pub(super) fn sample_indexes(
    n: usize,
    count: usize,
    distinct: bool,
    rnd: &mut impl FnMut() -> u64,
) -> Vec<usize> {
    let mut pick = |bound: usize| (rnd() % bound as u64) as usize;
    if n == 0 {
        return Vec::new();
    }
    if !distinct {
        return (0..count).map(|_| pick(n)).collect();
    }
    if count >= n {
        return (0..n).collect();
    }
    if count * 3 > n {
        // Many of them: a partial Fisher-Yates shuffle.
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = i + pick(n - i);
            all.swap(i, j);
        }
        all.truncate(count);
        return all;
    }
    // Few of a large set: draw until enough distinct ones came up.
    let mut seen = std::collections::HashSet::with_capacity_and_hasher(count, Hasher::default());
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let i = pick(n);
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

impl Default for Set {
    fn default() -> Self {
        Set(Repr::Ints(IntSet::new()))
    }
}

impl PartialEq for Set {
    /// Same members, whatever the representations.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains(&m))
    }
}

impl Set {
    /// An empty set (an empty intset, as Redis starts SINTERSTORE's result).
    pub fn new() -> Set {
        Set::default()
    }

    /// An empty set in the form Redis picks for a new key about to receive
    /// `size_hint` members, the first being `first` (setTypeCreate).
    pub fn for_members(first: &[u8], size_hint: usize, enc: &Encodings) -> Set {
        if parse_i64(first).is_some() && size_hint <= enc.set_max_intset_entries {
            Set::default()
        } else if size_hint <= enc.set_max_listpack_entries {
            Set(Repr::Packed(Packed::default()))
        } else {
            Set(Repr::Table(Box::new(Table::with_capacity_and_hasher(size_hint, Hasher::default()))))
        }
    }

    /// Builds a set from members (duplicates collapse), converting as the
    /// thresholds say.
    pub fn from_members<M: AsRef<[u8]>>(members: impl IntoIterator<Item = M>, enc: &Encodings) -> Set {
        let mut s = Set::new();
        for m in members {
            s.insert(m.as_ref(), enc);
        }
        s
    }

    /// Converts ahead of adding `size_hint` members when they cannot fit the
    /// compact form anyway (setTypeMaybeConvert).
    pub fn reserve(&mut self, size_hint: usize, enc: &Encodings) {
        let too_many = match &self.0 {
            Repr::Ints(_) => size_hint > enc.set_max_intset_entries,
            Repr::Packed(_) => size_hint > enc.set_max_listpack_entries,
            Repr::Table(_) => false,
        };
        if too_many {
            self.make_table(size_hint);
        }
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Ints(s) => s.len(),
            Repr::Packed(p) => p.len(),
            Repr::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Ints(_) => "intset",
            Repr::Packed(_) => "listpack",
            Repr::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.0 {
            Repr::Ints(s) => parse_i64(member).is_some_and(|v| s.search(v).is_ok()),
            Repr::Packed(p) => p.find(member).is_some(),
            Repr::Table(t) => t.contains(member),
        }
    }

    /// Moves every member into a hash table sized for `hint` members.
    fn make_table(&mut self, hint: usize) {
        let mut t = Table::with_capacity_and_hasher(hint.max(self.len()), Hasher::default());
        t.extend(self.iter().map(|m| Member::new(&m)));
        self.0 = Repr::Table(Box::new(t));
    }

    /// Adds `member`; false when it was there. Converts as Redis's
    /// setTypeAdd does: a non-integer leaves the intset for a listpack if
    /// everything would fit one, else for a hash table.
    pub fn insert(&mut self, member: &[u8], enc: &Encodings) -> bool {
        match &mut self.0 {
            Repr::Ints(s) => {
                if let Some(v) = parse_i64(member) {
                    if s.search(v).is_ok() {
                        return false;
                    }
                    let n = s.len();
                    if n < enc.set_max_intset_entries {
                        return s.insert(v);
                    }
                    self.make_table(n + 1);
                } else {
                    let n = s.len();
                    let widest = if n == 0 { 0 } else { digits(s.get(0)).max(digits(s.get(n - 1))) };
                    let fits = n < enc.set_max_listpack_entries
                        && member.len() <= enc.set_max_listpack_value
                        && widest <= enc.set_max_listpack_value;
                    if fits {
                        let mut buf = itoa::Buffer::new();
                        let mut p = Packed::default();
                        for v in s.iter() {
                            p.push(buf.format(v).as_bytes(), []);
                        }
                        p.push(member, []);
                        self.0 = Repr::Packed(p);
                        return true;
                    }
                    self.make_table(n + 1);
                }
            }
            Repr::Packed(p) => {
                if p.find(member).is_some() {
                    return false;
                }
                let n = p.len();
                if n < enc.set_max_listpack_entries && member.len() <= enc.set_max_listpack_value {
                    p.push(member, []);
                    return true;
                }
                self.make_table(n + 1);
            }
            Repr::Table(_) => {}
        }
        let Repr::Table(t) = &mut self.0 else { unreachable!("converted above") };
        t.insert(Member::new(member))
    }

    /// Removes `member`; false when it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.0 {
            Repr::Ints(s) => parse_i64(member).is_some_and(|v| s.remove(v)),
            Repr::Packed(p) => match p.find(member) {
                Some(e) => {
                    p.remove(e.start, e.end);
                    true
                }
                None => false,
            },
            Repr::Table(t) => t.swap_remove(member),
        }
    }

    /// Members in storage order (integers formatted in decimal).
    pub fn iter(&self) -> Iter<'_> {
        Iter(match &self.0 {
            Repr::Ints(s) => IterRepr::Ints(s, 0),
            Repr::Packed(p) => IterRepr::Packed(p.iter()),
            Repr::Table(t) => IterRepr::Table(t.iter()),
        })
    }

    /// Member access by position: O(1), after an O(n) table for a listpack.
    fn indexed(&self) -> Indexed<'_> {
        match &self.0 {
            Repr::Ints(s) => Indexed::Ints(s),
            Repr::Packed(p) => Indexed::List(p.iter().map(|e| e.member).collect()),
            Repr::Table(t) => Indexed::Table(t),
        }
    }

    /// One uniformly chosen member.
    pub fn random_member(&self, rnd: &mut impl FnMut() -> u64) -> Option<Cow<'_, [u8]>> {
        self.random_members(1, true, rnd).pop()
    }

    /// `count` random members: distinct ones (the whole set when `count`
    /// reaches its size) or independent draws that may repeat.
    pub fn random_members(
        &self,
        count: usize,
        distinct: bool,
        rnd: &mut impl FnMut() -> u64,
    ) -> Vec<Cow<'_, [u8]>> {
        let idx = self.indexed();
        sample_indexes(self.len(), count, distinct, rnd).into_iter().map(|i| idx.get(i)).collect()
    }

    /// One SSCAN step: calls `visit` for some members and returns the next
    /// cursor (0 when done). The compact forms are returned whole in one
    /// call, as Redis does. A hash table is walked by position from the end,
    /// so a cursor survives removals (the last member moves into the hole,
    /// already visited) and additions (appended behind the cursor): every
    /// member present for the whole scan is returned at least once.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(Cow<'_, [u8]>)) -> u64 {
        let Repr::Table(t) = &self.0 else {
            self.iter().for_each(visit);
            return 0;
        };
        let len = t.len() as u64;
        let mut next = if cursor == 0 || cursor > len { len } else { cursor };
        let mut seen = 0;
        while next > 0 && seen < count {
            next -= 1;
            visit(Cow::Borrowed(t[next as usize].as_bytes()));
            seen += 1;
        }
        next
    }
}

enum Indexed<'a> {
    Ints(&'a IntSet),
    List(Vec<&'a [u8]>),
    Table(&'a Table),
}

impl<'a> Indexed<'a> {
    fn get(&self, i: usize) -> Cow<'a, [u8]> {
        match self {
            Indexed::Ints(s) => int_bytes(s.get(i)),
            Indexed::List(v) => Cow::Borrowed(v[i]),
            Indexed::Table(t) => Cow::Borrowed(t[i].as_bytes()),
        }
    }
}

/// Iterator over a set's members (see [`Set::iter`]).
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Ints(&'a IntSet, usize),
    Packed(super::packed::Iter<'a, 0>),
    Table(indexmap::set::Iter<'a, Member>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Cow<'a, [u8]>;

    fn next(&mut self) -> Option<Cow<'a, [u8]>> {
        match &mut self.0 {
            IterRepr::Ints(s, i) => {
                let v = (*i < s.len()).then(|| s.get(*i))?;
                *i += 1;
                Some(int_bytes(v))
            }
            IterRepr::Packed(it) => it.next().map(|e| Cow::Borrowed(e.member)),
            IterRepr::Table(it) => it.next().map(|m| Cow::Borrowed(m.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn enc() -> Encodings {
        Encodings::default()
    }

    fn members(s: &Set) -> BTreeSet<Vec<u8>> {
        s.iter().map(|m| m.into_owned()).collect()
    }

    #[test]
    fn intset_widths_and_order() {
        let mut s = Set::new();
        for v in [5i64, -3, 300, 70_000, -9_000_000_000, i64::MAX, i64::MIN, 0] {
            assert!(s.insert(v.to_string().as_bytes(), &enc()));
        }
        assert!(!s.insert(b"300", &enc()));
        assert_eq!(s.encoding(), "intset");
        let got: Vec<String> = s.iter().map(|m| String::from_utf8(m.into_owned()).unwrap()).collect();
        let want = [i64::MIN, -9_000_000_000, -3, 0, 5, 300, 70_000, i64::MAX];
        assert_eq!(got, want.iter().map(|v| v.to_string()).collect::<Vec<_>>());
        assert!(s.contains(b"70000") && !s.contains(b"70001") && !s.contains(b"+5") && !s.contains(b"05"));
        assert!(s.remove(b"-3") && !s.remove(b"-3") && !s.remove(b"x"));
        assert_eq!(s.len(), 7);
        // Integers that string2ll rejects are strings: "05", "+1", "-0".
        let mut t = Set::new();
        t.insert(b"05", &enc());
        assert_eq!(t.encoding(), "listpack");
    }

    #[test]
    fn conversions_follow_the_thresholds() {
        let e = Encodings { set_max_intset_entries: 4, set_max_listpack_entries: 3, ..enc() };
        // An intset too big for a listpack goes straight to a hash table.
        let mut s = Set::from_members(["1", "2", "3"], &e);
        assert_eq!(s.encoding(), "intset");
        s.insert(b"a", &e);
        assert_eq!(s.encoding(), "hashtable");
        // A small one becomes a listpack; then a long member or one more
        // member than allowed makes it a hash table.
        let mut s = Set::from_members(["1", "a"], &e);
        assert_eq!((s.encoding(), s.len()), ("listpack", 2));
        s.insert(b"b", &e);
        assert_eq!(s.encoding(), "listpack");
        s.insert(b"c", &e);
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(members(&s), ["1", "a", "b", "c"].iter().map(|m| m.as_bytes().to_vec()).collect());
        let mut s = Set::from_members(["a"], &e);
        s.insert(&[b'x'; 65], &e);
        assert_eq!(s.encoding(), "hashtable");
        // Too many integers.
        let s = Set::from_members(["1", "2", "3", "4", "5"], &e);
        assert_eq!((s.encoding(), s.len()), ("hashtable", 5));
        // An intset whose widest integer is longer than a listpack value.
        let e2 = Encodings { set_max_listpack_value: 3, ..enc() };
        let mut s = Set::from_members(["1234"], &e2);
        s.insert(b"a", &e2);
        assert_eq!(s.encoding(), "hashtable");
        // Creation hints, as for SADD.
        assert_eq!(Set::for_members(b"1", 2, &e).encoding(), "intset");
        assert_eq!(Set::for_members(b"1", 5, &e).encoding(), "hashtable");
        assert_eq!(Set::for_members(b"a", 3, &e).encoding(), "listpack");
        let mut s = Set::for_members(b"a", 3, &e);
        s.reserve(4, &e);
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn random_against_a_model() {
        let mut x = 0x2545F4914F6CDD1Du64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for e in [enc(), Encodings { set_max_intset_entries: 8, set_max_listpack_entries: 8, ..enc() }] {
            let mut s = Set::new();
            let mut model = BTreeSet::new();
            for _ in 0..3000 {
                let v = rnd() % 700;
                let m = if rnd() % 4 == 0 { format!("m{v}") } else { v.to_string() };
                if rnd() % 3 == 0 {
                    assert_eq!(s.remove(m.as_bytes()), model.remove(m.as_bytes()));
                } else {
                    assert_eq!(s.insert(m.as_bytes(), &e), model.insert(m.as_bytes().to_vec()));
                }
                assert_eq!(s.len(), model.len());
            }
            assert_eq!(members(&s), model);
            let picked: BTreeSet<Vec<u8>> =
                s.random_members(10, true, &mut rnd).into_iter().map(|m| m.into_owned()).collect();
            assert_eq!(picked.len(), 10);
            assert!(picked.iter().all(|m| model.contains(m)));
            assert_eq!(s.random_members(5000, true, &mut rnd).len(), model.len());
            assert_eq!(s.random_members(5000, false, &mut rnd).len(), 5000);
            let clone = s.clone();
            assert_eq!(clone, s);
            let any = model.iter().next().unwrap().clone();
            s.remove(&any);
            assert_ne!(clone, s);
        }
    }

    #[test]
    fn equality_ignores_representation() {
        let e = Encodings { set_max_intset_entries: 1, ..enc() };
        let a = Set::from_members(["1", "2"], &e);
        let b = Set::from_members(["2", "1"], &enc());
        assert_ne!(a.encoding(), b.encoding());
        assert_eq!(a, b);
    }

    #[test]
    fn scan_survives_removals() {
        let s0 = Set::from_members((0..1000).map(|i| format!("m{i}")), &enc());
        let mut s = s0.clone();
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = s.scan(cursor, 10, |m| {
                seen.insert(m.into_owned());
            });
            round += 1;
            s.remove(format!("m{}", round * 2).as_bytes());
            if cursor == 0 {
                break;
            }
        }
        for i in (1..1000).step_by(2) {
            assert!(seen.contains(format!("m{i}").as_bytes()), "missed m{i}");
        }
        // The compact forms come back whole.
        let small = Set::from_members(["a", "b"], &enc());
        let mut n = 0;
        assert_eq!(small.scan(0, 1, |_| n += 1), 0);
        assert_eq!(n, 2);
    }

    #[test]
    fn a_set_is_no_bigger_than_a_string_value() {
        // Sets live inline in `Value`, whose size a string (`Bytes`) sets.
        assert!(std::mem::size_of::<Set>() <= std::mem::size_of::<bytes::Bytes>());
        assert!(std::mem::size_of::<super::super::ZSet>() <= std::mem::size_of::<bytes::Bytes>());
    }

    #[test]
    fn sampling() {
        let mut x = 7u64;
        let mut rnd = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            x >> 11
        };
        for (n, count) in [(10, 3), (10, 9), (1000, 5), (5, 5), (5, 50)] {
            let v = sample_indexes(n, count, true, &mut rnd);
            let set: BTreeSet<usize> = v.iter().copied().collect();
            assert_eq!((v.len(), set.len()), (count.min(n), count.min(n)));
            assert!(v.iter().all(|&i| i < n));
        }
        assert_eq!(sample_indexes(3, 10, false, &mut rnd).len(), 10);
        assert!(sample_indexes(0, 10, false, &mut rnd).is_empty());
    }
}
