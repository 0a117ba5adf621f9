//! Sorted set values, in two representations as in Redis:
//!
//! - `listpack`: up to `zset-max-listpack-entries` members of at most
//!   `zset-max-listpack-value` bytes, packed back to back in (score, member)
//!   order with an 8-byte score each ([`Packed`]). Everything is a linear
//!   scan; memory is the member plus 9 bytes.
//! - `skiplist` (the name Redis reports for its large form): a hash table
//!   member → score (`IndexMap` with foldhash, members inline up to 22
//!   bytes: [`Member`]) plus an order-statistic
//!   B+tree ([`RankTree`]) of (score, member index) items. Score lookup is
//!   O(1); insert, remove, rank, and the start of any range by rank, score or
//!   member are O(log n); a range of m items is O(log n + m). Members are
//!   stored once, in the table; the tree refers to them by position, and a
//!   removal that moves the table's last member into the hole relabels that
//!   member's tree item. Positions also give O(1) uniform random members
//!   (ZRANDMEMBER) and a ZSCAN cursor that survives changes.
//!
//! Order is by score, then member bytes; -0 is stored as 0. Scores are never NaN (the command layer refuses them). A sorted
//! set moves to the large form when it passes a threshold and never back.

use super::member::Member;
use super::packed::{Entry, Packed};
use super::ranktree::{Item, RankTree};
use super::{Encodings, Hasher};
use indexmap::IndexMap;
use std::cmp::Ordering;

type Dict = IndexMap<Member, f64, Hasher>;

/// A sorted set: members with a score each, ordered by (score, member).
#[derive(Clone, Debug)]
pub struct ZSet(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Packed(Packed<8>),
    Skip(Box<Big>),
}

#[derive(Clone, Debug)]
struct Big {
    dict: Dict,
    tree: RankTree,
}

fn cmp_score(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// The sorted-set order of (score, member) pairs.
fn order(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    cmp_score(a.0, b.0).then_with(|| a.1.cmp(b.1))
}

/// -0 is stored as 0, as Redis's listpack stores an integral score as an
/// integer, so ZSCORE never answers "-0".
fn canonical(score: f64) -> f64 {
    if score == 0.0 { 0.0 } else { score }
}

fn score_of(e: &Entry<'_, 8>) -> f64 {
    f64::from_le_bytes(e.trailer)
}

impl Big {
    fn member(dict: &Dict, idx: usize) -> &[u8] {
        dict.get_index(idx).expect("tree items index the table").0.as_bytes()
    }

    /// "Where is item x relative to (score, member)?", for the tree.
    fn locate<'a>(dict: &'a Dict, score: f64, member: &'a [u8]) -> impl Fn(Item) -> Ordering + 'a {
        move |x| order((x.score(), Big::member(dict, x.idx())), (score, member))
    }

    fn from_sorted<'m>(pairs: impl ExactSizeIterator<Item = (&'m [u8], f64)>) -> Big {
        let mut dict = Dict::with_capacity_and_hasher(pairs.len(), Hasher::default());
        let mut items = Vec::with_capacity(pairs.len());
        for (m, s) in pairs {
            let (i, _) = dict.insert_full(m.into(), s);
            items.push(Item::new(s, i));
        }
        Big { dict, tree: RankTree::from_sorted(items) }
    }

    fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        if let Some((i, _, s)) = self.dict.get_full_mut(member) {
            let old = std::mem::replace(s, score);
            let dict = &self.dict;
            self.tree.remove(Big::locate(dict, old, member)).expect("indexed member");
            self.tree.insert(Item::new(score, i), Big::locate(dict, score, member));
            return Some(old);
        }
        let (i, _) = self.dict.insert_full(member.into(), score);
        let dict = &self.dict;
        self.tree.insert(Item::new(score, i), Big::locate(dict, score, member));
        None
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (i, _, &score) = self.dict.get_full(member)?;
        let dict = &self.dict;
        self.tree.remove(Big::locate(dict, score, member)).expect("indexed member");
        // swap_remove moves the last member to position i: relabel it first,
        // while every index the tree holds still resolves.
        let last = dict.len() - 1;
        if i != last {
            let (lm, &ls) = dict.get_index(last).expect("last member");
            self.tree.relabel(last, i, Big::locate(dict, ls, lm));
        }
        self.dict.swap_remove_index(i);
        Some(score)
    }
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet(Repr::Packed(Packed::default()))
    }
}

impl PartialEq for ZSet {
    /// Same members with the same scores, whatever the representations.
    fn eq(&self, other: &ZSet) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a.0 == b.0 && a.1 == b.1)
    }
}

impl ZSet {
    /// An empty sorted set in the compact form.
    pub fn new() -> ZSet {
        ZSet::default()
    }

    /// An empty sorted set in the form Redis picks for `size_hint` members
    /// the longest of which has `max_len` bytes (zsetTypeCreate).
    pub fn with_hint(size_hint: usize, max_len: usize, enc: &Encodings) -> ZSet {
        if size_hint <= enc.zset_max_listpack_entries && max_len <= enc.zset_max_listpack_value {
            return ZSet::default();
        }
        let big = Big {
            dict: Dict::with_capacity_and_hasher(size_hint, Hasher::default()),
            tree: RankTree::default(),
        };
        ZSet(Repr::Skip(Box::new(big)))
    }

    /// Builds a sorted set from (member, score) pairs in any order; a
    /// repeated member keeps its last score. Compact when both thresholds
    /// allow, as Redis leaves the result of ZUNIONSTORE or an RDB load.
    pub fn from_pairs<M: AsRef<[u8]>>(pairs: impl IntoIterator<Item = (M, f64)>, enc: &Encodings) -> ZSet {
        let mut v: Vec<(M, f64)> = pairs.into_iter().map(|(m, s)| (m, canonical(s))).collect();
        let keep: Vec<bool> = {
            let mut last = std::collections::HashMap::with_capacity_and_hasher(v.len(), Hasher::default());
            for (i, (m, _)) in v.iter().enumerate() {
                last.insert(m.as_ref(), i);
            }
            (0..v.len()).map(|i| last.get(v[i].0.as_ref()) == Some(&i)).collect()
        };
        let mut k = keep.into_iter();
        v.retain(|_| k.next().unwrap_or(true));
        v.sort_by(|a, b| order((a.1, a.0.as_ref()), (b.1, b.0.as_ref())));
        let max_len = v.iter().map(|(m, _)| m.as_ref().len()).max().unwrap_or(0);
        if v.len() <= enc.zset_max_listpack_entries && max_len <= enc.zset_max_listpack_value {
            return ZSet(Repr::Packed(Packed::from_entries(
                v.iter().map(|(m, s)| (m.as_ref(), s.to_le_bytes())),
            )));
        }
        ZSet(Repr::Skip(Box::new(Big::from_sorted(v.iter().map(|(m, s)| (m.as_ref(), *s))))))
    }

    /// Converts ahead of adding `size_hint` members that cannot fit the
    /// compact form anyway (zsetTypeMaybeConvert).
    pub fn reserve(&mut self, size_hint: usize, enc: &Encodings) {
        if matches!(self.0, Repr::Packed(_)) && size_hint > enc.zset_max_listpack_entries {
            self.make_big();
        }
    }

    fn make_big(&mut self) {
        if let Repr::Packed(p) = &self.0 {
            let pairs: Vec<(&[u8], f64)> = p.iter().map(|e| (e.member, score_of(&e))).collect();
            self.0 = Repr::Skip(Box::new(Big::from_sorted(pairs.into_iter())));
        }
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.len(),
            Repr::Skip(b) => b.dict.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match &self.0 {
            Repr::Packed(_) => "listpack",
            Repr::Skip(_) => "skiplist",
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.0 {
            Repr::Packed(p) => p.find(member).map(|e| score_of(&e)),
            Repr::Skip(b) => b.dict.get(member).copied(),
        }
    }

    /// Sets `member`'s score, adding it if new; returns the previous score.
    /// A new member that does not fit the compact form converts the set.
    pub fn insert(&mut self, member: &[u8], score: f64, enc: &Encodings) -> Option<f64> {
        let score = canonical(score);
        if let Repr::Packed(p) = &mut self.0 {
            let found = p.find(member).map(|e| (e.start, e.end, score_of(&e)));
            let old = found.map(|(start, end, s)| {
                p.remove(start, end);
                s
            });
            let fits = p.len() < enc.zset_max_listpack_entries && member.len() <= enc.zset_max_listpack_value;
            if old.is_some() || fits {
                let at = p
                    .iter()
                    .find(|e| order((score_of(e), e.member), (score, member)) == Ordering::Greater)
                    .map_or(p.heap_bytes(), |e| e.start);
                p.insert_at(at, member, score.to_le_bytes());
                return old;
            }
            self.make_big();
        }
        let Repr::Skip(b) = &mut self.0 else { unreachable!("converted above") };
        b.insert(member, score)
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.0 {
            Repr::Packed(p) => {
                let (start, end, s) = p.find(member).map(|e| (e.start, e.end, score_of(&e)))?;
                p.remove(start, end);
                Some(s)
            }
            Repr::Skip(b) => b.remove(member),
        }
    }

    /// Zero-based rank (ascending) and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match &self.0 {
            Repr::Packed(p) => {
                p.iter().enumerate().find(|(_, e)| e.member == member).map(|(i, e)| (i, score_of(&e)))
            }
            Repr::Skip(b) => {
                let score = *b.dict.get(member)?;
                Some((b.tree.rank(Big::locate(&b.dict, score, member))?, score))
            }
        }
    }

    /// How many members come before the first one for which `before` is
    /// false; `before` must hold for a prefix of the order (a range bound).
    pub fn count_before(&self, before: impl Fn(&[u8], f64) -> bool) -> usize {
        match &self.0 {
            Repr::Packed(p) => p.iter().take_while(|e| before(e.member, score_of(e))).count(),
            Repr::Skip(b) => b.tree.count_before(|x| before(Big::member(&b.dict, x.idx()), x.score())),
        }
    }

    /// Up to `count` members from ascending rank `rank`, toward higher ranks
    /// or (`rev`) lower ones.
    pub fn range(&self, rank: usize, count: usize, rev: bool) -> Range<'_> {
        Range(match &self.0 {
            Repr::Packed(p) => {
                let all: Vec<(&[u8], f64)> = p.iter().map(|e| (e.member, score_of(&e))).collect();
                let sel: Vec<(&[u8], f64)> = if rank >= all.len() {
                    Vec::new()
                } else if rev {
                    all[..=rank].iter().rev().take(count).copied().collect()
                } else {
                    all[rank..].iter().take(count).copied().collect()
                };
                RangeRepr::List(sel.into_iter())
            }
            Repr::Skip(b) => RangeRepr::Tree(&b.dict, b.tree.iter_at(rank, count, rev)),
        })
    }

    /// Every member in order.
    pub fn iter(&self) -> Range<'_> {
        self.range(0, usize::MAX, false)
    }

    /// Removes and returns the first (or `max`: last) member.
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let n = self.len();
        let rank = if max { n.checked_sub(1)? } else { 0 };
        let (m, s) = self.range(rank, 1, false).next().map(|(m, s)| (m.to_vec(), s))?;
        self.remove(&m);
        Some((m, s))
    }

    /// `count` random members with their scores: distinct ones (all of
    /// them when `count` reaches the size) or independent draws.
    pub fn random_members(
        &self,
        count: usize,
        distinct: bool,
        rnd: &mut impl FnMut() -> u64,
    ) -> Vec<(&[u8], f64)> {
        let picks = super::set::sample_indexes(self.len(), count, distinct, rnd);
        match &self.0 {
            Repr::Packed(p) => {
                let all: Vec<(&[u8], f64)> = p.iter().map(|e| (e.member, score_of(&e))).collect();
                picks.into_iter().map(|i| all[i]).collect()
            }
            Repr::Skip(b) => picks
                .into_iter()
                .map(|i| {
                    let (m, s) = b.dict.get_index(i).expect("index in range");
                    (m.as_bytes(), *s)
                })
                .collect(),
        }
    }

    /// One ZSCAN step (see `Set::scan`: same cursor scheme over the table).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], f64)) -> u64 {
        let Repr::Skip(b) = &self.0 else {
            self.iter().for_each(|(m, s)| visit(m, s));
            return 0;
        };
        let len = b.dict.len() as u64;
        let mut next = if cursor == 0 || cursor > len { len } else { cursor };
        let mut seen = 0;
        while next > 0 && seen < count {
            next -= 1;
            let (m, s) = b.dict.get_index(next as usize).expect("index in range");
            visit(m.as_bytes(), *s);
            seen += 1;
        }
        next
    }
}

/// Members with scores in rank order (see [`ZSet::range`]).
pub struct Range<'a>(RangeRepr<'a>);

enum RangeRepr<'a> {
    List(std::vec::IntoIter<(&'a [u8], f64)>),
    Tree(&'a Dict, super::ranktree::Iter<'a>),
}

impl<'a> Iterator for Range<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        match &mut self.0 {
            RangeRepr::List(it) => it.next(),
            RangeRepr::Tree(dict, it) => it.next().map(|x| (Big::member(dict, x.idx()), x.score())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            RangeRepr::List(it) => it.size_hint(),
            RangeRepr::Tree(_, it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Range<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc() -> Encodings {
        Encodings::default()
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

    fn pairs(z: &ZSet) -> Vec<(String, f64)> {
        z.iter().map(|(m, s)| (String::from_utf8_lossy(m).into_owned(), s)).collect()
    }

    /// The same operations on a ZSet and on a sorted Vec, compared after
    /// every step, in both representations (and across the conversion).
    #[test]
    fn random_against_a_naive_model() {
        let small = Encodings { zset_max_listpack_entries: 16, ..enc() };
        for e in [enc(), small] {
            let mut rnd = rng(0x1234_5678_9abc_def1);
            let mut z = ZSet::new();
            let mut model: Vec<(String, f64)> = Vec::new();
            let sort = |m: &mut Vec<(String, f64)>| {
                m.sort_by(|a, b| order((a.1, a.0.as_bytes()), (b.1, b.0.as_bytes())));
            };
            for step in 0..6000 {
                let member = format!("m{}", rnd() % 900);
                // Few distinct scores, so ties are ordered by member.
                let score = (rnd() % 40) as f64 - 20.0;
                let pos = model.iter().position(|(m, _)| *m == member);
                if rnd().is_multiple_of(4) {
                    assert_eq!(z.remove(member.as_bytes()), pos.map(|p| model.remove(p).1));
                } else {
                    let old = z.insert(member.as_bytes(), score, &e);
                    assert_eq!(old, pos.map(|p| model[p].1));
                    match pos {
                        Some(p) => model[p].1 = score,
                        None => model.push((member.clone(), score)),
                    }
                    sort(&mut model);
                }
                assert_eq!(z.len(), model.len());
                if step % 500 == 0 {
                    assert_eq!(pairs(&z), model);
                }
            }
            assert_eq!(z.encoding(), "skiplist");
            assert_eq!(pairs(&z), model);
            for (i, (m, s)) in model.iter().enumerate() {
                assert_eq!(z.rank(m.as_bytes()), Some((i, *s)));
                assert_eq!(z.score(m.as_bytes()), Some(*s));
            }
            let n = model.len();
            let got: Vec<f64> = z.range(10, 25, false).map(|(_, s)| s).collect();
            assert_eq!(got, model[10..35].iter().map(|p| p.1).collect::<Vec<_>>());
            let got: Vec<f64> = z.range(n - 1, 3, true).map(|(_, s)| s).collect();
            assert_eq!(got, model[n - 3..].iter().rev().map(|p| p.1).collect::<Vec<_>>());
            for bound in [-21.0, -5.0, 0.0, 19.0, 25.0] {
                let want = model.iter().filter(|p| p.1 < bound).count();
                assert_eq!(z.count_before(|_, s| s < bound), want);
            }
            let before_pop = model.len();
            assert_eq!(z.pop(false).map(|(m, s)| (String::from_utf8(m).unwrap(), s)), Some(model.remove(0)));
            assert_eq!(z.pop(true).map(|(m, s)| (String::from_utf8(m).unwrap(), s)), model.pop());
            assert_eq!(z.len(), before_pop - 2);
            let picked = z.random_members(20, true, &mut rnd);
            assert_eq!(picked.len(), 20);
            assert!(picked.iter().all(|(m, s)| z.score(m) == Some(*s)));
        }
    }

    #[test]
    fn conversions_follow_the_thresholds() {
        let e = Encodings { zset_max_listpack_entries: 3, zset_max_listpack_value: 4, ..enc() };
        let mut z = ZSet::new();
        for (i, m) in ["a", "b", "c"].iter().enumerate() {
            z.insert(m.as_bytes(), i as f64, &e);
        }
        assert_eq!(z.encoding(), "listpack");
        // Updating an existing member never converts.
        z.insert(b"a", 10.0, &e);
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"d", 0.5, &e);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(
            pairs(&z),
            vec![("d".into(), 0.5), ("b".into(), 1.0), ("c".into(), 2.0), ("a".into(), 10.0)]
        );
        let mut z = ZSet::new();
        z.insert(b"long-member", 1.0, &e);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(ZSet::with_hint(3, 4, &e).encoding(), "listpack");
        assert_eq!(ZSet::with_hint(4, 4, &e).encoding(), "skiplist");
        assert_eq!(ZSet::with_hint(1, 5, &e).encoding(), "skiplist");
        let mut z = ZSet::new();
        z.reserve(4, &e);
        assert_eq!(z.encoding(), "skiplist");
        let z = ZSet::from_pairs([("x", 2.0), ("y", 1.0), ("x", 0.0)], &e);
        assert_eq!((z.encoding(), pairs(&z)), ("listpack", vec![("x".into(), 0.0), ("y".into(), 1.0)]));
        let z = ZSet::from_pairs((0..10).map(|i| (format!("{i}"), -(i as f64))), &e);
        assert_eq!(z.encoding(), "skiplist");
        assert_eq!(z.range(0, 1, false).next(), Some((&b"9"[..], -9.0)));
    }

    #[test]
    fn equality_and_zero_scores() {
        let e = Encodings { zset_max_listpack_entries: 1, ..enc() };
        let a = ZSet::from_pairs([("a", 1.0), ("b", 2.0)], &e);
        let b = ZSet::from_pairs([("b", 2.0), ("a", 1.0)], &enc());
        assert_ne!(a.encoding(), b.encoding());
        assert_eq!(a, b);
        // -0 and 0 tie, so the member decides.
        let mut z = ZSet::new();
        z.insert(b"b", -0.0, &enc());
        z.insert(b"a", 0.0, &enc());
        assert_eq!(z.rank(b"a").unwrap().0, 0);
        assert!(z.score(b"b").unwrap().is_sign_positive(), "-0 is stored as 0");
    }

    #[test]
    fn scan_survives_removals() {
        let mut z = ZSet::from_pairs((0..1000).map(|i| (format!("m{i}"), i as f64)), &enc());
        let mut seen = std::collections::HashSet::new();
        let (mut cursor, mut round) = (0, 0);
        loop {
            cursor = z.scan(cursor, 10, |m, _| {
                seen.insert(m.to_vec());
            });
            round += 1;
            z.remove(format!("m{}", round * 2).as_bytes());
            if cursor == 0 {
                break;
            }
        }
        for i in (1..1000).step_by(2) {
            assert!(seen.contains(format!("m{i}").as_bytes()), "missed m{i}");
        }
    }
}
