//! `RankTree`: the ordered index of a large sorted set, an order-statistic
//! B+tree. Leaves hold up to [`CAP`] items sorted by (score, member); inner
//! nodes hold, per child, the child's item count and its largest item. The
//! counts give rank queries (ZRANK, ZRANGE by index, ZCOUNT) in O(log n) and
//! the maxima give searches by score or member; a range of m items costs
//! O(log n + m).
//!
//! An item is a score and the index of its member in the sorted set's hash
//! table (see `zset.rs`), 12 bytes: members are stored once, in the table.
//! So the tree cannot compare items by itself; every search takes a closure
//! saying where an item sits relative to the target, and the caller resolves
//! member indexes there. When the table moves a member to another index
//! (swap-remove), [`RankTree::relabel`] follows it.
//!
//! Invariants: every leaf is at the same depth; every node but the root has
//! at least [`MIN`] entries and at most [`CAP`]; a child's `count` and `max`
//! describe its subtree exactly.

use std::cmp::Ordering::{self, Equal, Less};

/// Most entries of a node; a node passing it splits in two halves.
pub const CAP: usize = 64;
/// Fewest entries of a non-root node; one below it merges with a sibling.
pub const MIN: usize = CAP / 4;

/// One element: its score and its member's index in the hash table.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, packed(4))]
pub struct Item {
    pub score: f64,
    pub idx: u32,
}

impl Item {
    pub fn new(score: f64, idx: usize) -> Item {
        Item { score, idx: idx as u32 }
    }

    pub fn score(self) -> f64 {
        self.score
    }

    pub fn idx(self) -> usize {
        self.idx as usize
    }
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(Vec<Item>),
    Inner(Vec<Child>),
}

#[derive(Clone, Debug)]
struct Child {
    max: Item,
    count: usize,
    node: Node,
}

impl Child {
    fn of(node: Node) -> Child {
        Child { max: node.max(), count: node.count(), node }
    }

    fn refresh(&mut self) {
        self.max = self.node.max();
        self.count = self.node.count();
    }
}

fn leaf_with(items: &[Item]) -> Node {
    let mut v = Vec::with_capacity(CAP + 1);
    v.extend_from_slice(items);
    Node::Leaf(v)
}

impl Node {
    fn width(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(c) => c.len(),
        }
    }

    fn max(&self) -> Item {
        match self {
            Node::Leaf(v) => *v.last().expect("non-empty leaf"),
            Node::Inner(c) => c.last().expect("non-empty node").max,
        }
    }

    fn count(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(c) => c.iter().map(|c| c.count).sum(),
        }
    }

    /// Splits off and returns the upper half.
    fn split(&mut self) -> Node {
        match self {
            Node::Leaf(v) => {
                let right = leaf_with(&v[v.len() / 2..]);
                v.truncate(v.len() / 2);
                right
            }
            Node::Inner(c) => {
                let mut right = Vec::with_capacity(CAP + 1);
                right.extend(c.drain(c.len() / 2..));
                Node::Inner(right)
            }
        }
    }

    /// Appends the entries of `right` (a sibling at the same depth).
    fn merge(&mut self, right: Node) {
        match (self, right) {
            (Node::Leaf(a), Node::Leaf(b)) => a.extend(b),
            (Node::Inner(a), Node::Inner(b)) => a.extend(b),
            _ => unreachable!("siblings share a depth"),
        }
    }
}

/// The tree. `cmp(x)` closures answer "where is item `x` relative to the
/// target?" and must agree with the order of the items.
#[derive(Clone, Debug)]
pub struct RankTree {
    root: Node,
    len: usize,
}

impl Default for RankTree {
    fn default() -> Self {
        RankTree { root: leaf_with(&[]), len: 0 }
    }
}

fn insert_rec(node: &mut Node, item: Item, cmp: &impl Fn(Item) -> Ordering) -> Option<Node> {
    match node {
        Node::Leaf(items) => {
            let p = items.partition_point(|x| cmp(*x) == Less);
            items.insert(p, item);
        }
        Node::Inner(children) => {
            let j = children.partition_point(|c| cmp(c.max) == Less).min(children.len() - 1);
            let split = insert_rec(&mut children[j].node, item, cmp);
            let c = &mut children[j];
            c.count += 1;
            c.max = c.node.max();
            if let Some(right) = split {
                let right = Child::of(right);
                c.count -= right.count;
                c.max = c.node.max();
                children.insert(j + 1, right);
            }
        }
    }
    (node.width() > CAP).then(|| node.split())
}

fn remove_rec(node: &mut Node, cmp: &impl Fn(Item) -> Ordering) -> Option<Item> {
    match node {
        Node::Leaf(items) => {
            let p = items.partition_point(|x| cmp(*x) == Less);
            (p < items.len() && cmp(items[p]) == Equal).then(|| items.remove(p))
        }
        Node::Inner(children) => {
            let j = children.partition_point(|c| cmp(c.max) == Less);
            if j == children.len() {
                return None;
            }
            let removed = remove_rec(&mut children[j].node, cmp)?;
            let c = &mut children[j];
            c.count -= 1;
            if c.count == 0 {
                children.remove(j);
            } else {
                c.max = c.node.max();
                if c.node.width() < MIN {
                    rebalance(children, j);
                }
            }
            Some(removed)
        }
    }
}

/// Merges the underfull child `j` with a neighbour, splitting the result
/// evenly again when it is too big.
fn rebalance(children: &mut Vec<Child>, j: usize) {
    if children.len() < 2 {
        return;
    }
    let l = if j + 1 < children.len() { j } else { j - 1 };
    let right = children.remove(l + 1);
    let left = &mut children[l];
    left.node.merge(right.node);
    if left.node.width() > CAP {
        let upper = left.node.split();
        left.refresh();
        children.insert(l + 1, Child::of(upper));
    } else {
        left.count += right.count;
        left.max = right.max;
    }
}

impl RankTree {
    /// Builds a tree from items already in order, leaves 3/4 full.
    pub fn from_sorted(items: Vec<Item>) -> RankTree {
        let len = items.len();
        if len <= CAP {
            return RankTree { root: leaf_with(&items), len };
        }
        let fill = CAP * 3 / 4;
        let mut level: Vec<Child> = chunks_even(&items, fill).map(|c| Child::of(leaf_with(c))).collect();
        while level.len() > CAP {
            let mut next = Vec::new();
            let mut rest = level.into_iter();
            let n = rest.len();
            for size in even_sizes(n, fill) {
                let mut v = Vec::with_capacity(CAP + 1);
                v.extend(rest.by_ref().take(size));
                next.push(Child::of(Node::Inner(v)));
            }
            level = next;
        }
        let mut root = Vec::with_capacity(CAP + 1);
        root.extend(level);
        RankTree { root: Node::Inner(root), len }
    }

    /// Inserts `item`; `cmp(x)` orders existing items against it.
    pub fn insert(&mut self, item: Item, cmp: impl Fn(Item) -> Ordering) {
        if let Some(right) = insert_rec(&mut self.root, item, &cmp) {
            let left = std::mem::replace(&mut self.root, Node::Inner(Vec::new()));
            let mut children = Vec::with_capacity(CAP + 1);
            children.push(Child::of(left));
            children.push(Child::of(right));
            self.root = Node::Inner(children);
        }
        self.len += 1;
    }

    /// Removes the item for which `cmp` says Equal.
    pub fn remove(&mut self, cmp: impl Fn(Item) -> Ordering) -> Option<Item> {
        let removed = remove_rec(&mut self.root, &cmp)?;
        self.len -= 1;
        loop {
            match &mut self.root {
                Node::Inner(c) if c.len() == 1 => self.root = c.pop().expect("one child").node,
                Node::Inner(c) if c.is_empty() => self.root = leaf_with(&[]),
                _ => break,
            }
        }
        Some(removed)
    }

    /// Rewrites the member index `from` of the item `cmp` finds to `to`,
    /// in its leaf and in every ancestor's copy of it.
    pub fn relabel(&mut self, from: usize, to: usize, cmp: impl Fn(Item) -> Ordering) {
        let (from, to) = (from as u32, to as u32);
        let mut node = &mut self.root;
        loop {
            match node {
                Node::Inner(children) => {
                    let j = children.partition_point(|c| cmp(c.max) == Less);
                    let c = &mut children[j];
                    if c.max.idx == from {
                        c.max.idx = to;
                    }
                    node = &mut c.node;
                }
                Node::Leaf(items) => {
                    let p = items.partition_point(|x| cmp(*x) == Less);
                    debug_assert!(items[p].idx == from);
                    items[p].idx = to;
                    return;
                }
            }
        }
    }

    /// Zero-based rank of the item `cmp` finds.
    pub fn rank(&self, cmp: impl Fn(Item) -> Ordering) -> Option<usize> {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Inner(children) => {
                    let j = children.partition_point(|c| cmp(c.max) == Less);
                    let c = children.get(j)?;
                    rank += children[..j].iter().map(|c| c.count).sum::<usize>();
                    node = &c.node;
                }
                Node::Leaf(items) => {
                    let p = items.partition_point(|x| cmp(*x) == Less);
                    return (p < items.len() && cmp(items[p]) == Equal).then_some(rank + p);
                }
            }
        }
    }

    /// How many items come before the first one for which `before` is
    /// false; `before` must be true for a prefix of the order only.
    pub fn count_before(&self, before: impl Fn(Item) -> bool) -> usize {
        let mut node = &self.root;
        let mut n = 0;
        loop {
            match node {
                Node::Inner(children) => {
                    let j = children.partition_point(|c| before(c.max));
                    n += children[..j].iter().map(|c| c.count).sum::<usize>();
                    match children.get(j) {
                        Some(c) => node = &c.node,
                        None => return n,
                    }
                }
                Node::Leaf(items) => return n + items.partition_point(|x| before(*x)),
            }
        }
    }

    /// Up to `count` items from `rank`, toward higher ranks or (`rev`) lower.
    pub fn iter_at(&self, rank: usize, count: usize, rev: bool) -> Iter<'_> {
        let mut it = Iter { stack: Vec::new(), leaf: &[], pos: 0, left: 0, rev };
        if rank >= self.len || count == 0 {
            return it;
        }
        it.left = if rev { count.min(rank + 1) } else { count.min(self.len - rank) };
        let mut node = &self.root;
        let mut r = rank;
        loop {
            match node {
                Node::Inner(children) => {
                    let mut j = 0;
                    while r >= children[j].count {
                        r -= children[j].count;
                        j += 1;
                    }
                    it.stack.push((children, j));
                    node = &children[j].node;
                }
                Node::Leaf(items) => {
                    it.leaf = items;
                    it.pos = r;
                    return it;
                }
            }
        }
    }

    /// Checks every invariant (tests only); `lt(a, b)` is the item order.
    #[cfg(test)]
    pub fn check(&self, lt: &impl Fn(Item, Item) -> bool) {
        fn walk(
            node: &Node,
            root: bool,
            lt: &impl Fn(Item, Item) -> bool,
            depth: usize,
            leaf_depth: &mut Option<usize>,
        ) {
            assert!(node.width() <= CAP);
            assert!(root || node.width() >= MIN, "underfull node: {}", node.width());
            match node {
                Node::Leaf(items) => {
                    assert!(items.windows(2).all(|w| lt(w[0], w[1])), "leaf out of order");
                    assert_eq!(*leaf_depth.get_or_insert(depth), depth, "leaves at different depths");
                }
                Node::Inner(children) => {
                    assert!(root || !children.is_empty());
                    for (i, c) in children.iter().enumerate() {
                        assert_eq!(c.count, c.node.count(), "stale count");
                        assert_eq!(c.max, c.node.max(), "stale max");
                        if i > 0 {
                            assert!(lt(children[i - 1].max, c.node.iter_first()), "children out of order");
                        }
                        walk(&c.node, false, lt, depth + 1, leaf_depth);
                    }
                }
            }
        }
        assert_eq!(self.root.count(), self.len);
        walk(&self.root, true, lt, 0, &mut None);
    }
}

#[cfg(test)]
impl RankTree {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at zero-based `rank`.
    pub fn get(&self, rank: usize) -> Option<Item> {
        self.iter_at(rank, 1, false).next()
    }
}

#[cfg(test)]
impl Node {
    fn iter_first(&self) -> Item {
        match self {
            Node::Leaf(v) => v[0],
            Node::Inner(c) => c[0].node.iter_first(),
        }
    }
}

/// `n` split into parts of at most about `fill`, as even as possible.
fn even_sizes(n: usize, fill: usize) -> impl Iterator<Item = usize> {
    let parts = n.div_ceil(fill).max(1);
    (0..parts).map(move |i| n / parts + usize::from(i < n % parts))
}

fn chunks_even<T>(items: &[T], fill: usize) -> impl Iterator<Item = &[T]> {
    let mut start = 0;
    even_sizes(items.len(), fill).map(move |size| {
        let chunk = &items[start..start + size];
        start += size;
        chunk
    })
}

/// Items in rank order from a starting rank (see [`RankTree::iter_at`]).
pub struct Iter<'a> {
    stack: Vec<(&'a [Child], usize)>,
    leaf: &'a [Item],
    pos: usize,
    left: usize,
    rev: bool,
}

impl<'a> Iter<'a> {
    fn descend(&mut self, mut node: &'a Node) {
        loop {
            match node {
                Node::Inner(children) => {
                    let j = if self.rev { children.len() - 1 } else { 0 };
                    self.stack.push((children, j));
                    node = &children[j].node;
                }
                Node::Leaf(items) => {
                    self.leaf = items;
                    self.pos = if self.rev { items.len() - 1 } else { 0 };
                    return;
                }
            }
        }
    }

    fn step(&mut self) {
        if !self.rev && self.pos + 1 < self.leaf.len() {
            self.pos += 1;
            return;
        }
        if self.rev && self.pos > 0 {
            self.pos -= 1;
            return;
        }
        // Leaf exhausted: climb to the nearest ancestor with a next child.
        let rev = self.rev;
        while let Some((children, j)) = self.stack.last_mut() {
            let children: &'a [Child] = children;
            let next = match rev {
                false => (*j + 1 < children.len()).then_some(*j + 1),
                true => j.checked_sub(1),
            };
            match next {
                Some(k) => {
                    *j = k;
                    self.descend(&children[k].node);
                    return;
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

impl Iterator for Iter<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.left == 0 {
            return None;
        }
        let item = self.leaf[self.pos];
        self.left -= 1;
        if self.left > 0 {
            self.step();
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items keyed by score alone (distinct scores), idx = a tag.
    fn by_score(s: f64) -> impl Fn(Item) -> Ordering {
        move |x| x.score().partial_cmp(&s).unwrap()
    }

    fn lt(a: Item, b: Item) -> bool {
        a.score() < b.score()
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_against_a_sorted_vec() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        let mut t = RankTree::default();
        let mut model: Vec<f64> = Vec::new();
        for round in 0..20_000 {
            let s = (rng.next() % 5000) as f64;
            let pos = model.partition_point(|&x| x < s);
            let present = model.get(pos) == Some(&s);
            if rng.next().is_multiple_of(3) || present {
                let removed = t.remove(by_score(s));
                assert_eq!(removed.is_some(), present);
                if present {
                    model.remove(pos);
                }
            } else {
                t.insert(Item::new(s, round), by_score(s));
                model.insert(pos, s);
            }
            if round % 997 == 0 {
                t.check(&lt);
            }
        }
        t.check(&lt);
        assert_eq!(t.len(), model.len());
        for (i, &s) in model.iter().enumerate() {
            assert_eq!(t.rank(by_score(s)), Some(i));
            assert_eq!(t.get(i).unwrap().score(), s);
            assert_eq!(t.count_before(|x| x.score() < s), i);
        }
        assert_eq!(t.rank(by_score(0.5)), None);
        let all: Vec<f64> = t.iter_at(0, usize::MAX, false).map(Item::score).collect();
        assert_eq!(all, model);
        let back: Vec<f64> = t.iter_at(model.len() - 1, usize::MAX, true).map(Item::score).collect();
        assert_eq!(back, model.iter().rev().copied().collect::<Vec<_>>());
        let mid: Vec<f64> = t.iter_at(100, 250, false).map(Item::score).collect();
        assert_eq!(mid, model[100..350]);
        let mid_rev: Vec<f64> = t.iter_at(349, 250, true).map(Item::score).collect();
        assert_eq!(mid_rev, model[100..350].iter().rev().copied().collect::<Vec<_>>());
        // Drain completely: the root collapses back to an empty leaf.
        for s in model.drain(..) {
            assert!(t.remove(by_score(s)).is_some());
        }
        t.check(&lt);
        assert!(t.is_empty() && t.iter_at(0, 10, false).next().is_none());
    }

    #[test]
    fn bulk_build_and_relabel() {
        for n in [0, 1, 64, 65, 1000, 5000, 70_000] {
            let items: Vec<Item> = (0..n).map(|i| Item::new(i as f64, i)).collect();
            let mut t = RankTree::from_sorted(items);
            t.check(&lt);
            assert_eq!(t.len(), n);
            if n > 0 {
                let s = (n / 2) as f64;
                t.relabel(n / 2, 7_777_777, by_score(s));
                assert_eq!(t.get(n / 2).unwrap().idx(), 7_777_777);
                assert_eq!(t.rank(by_score(s)), Some(n / 2));
                let last = (n - 1) as f64;
                let from = if n == 1 { 7_777_777 } else { n - 1 };
                t.relabel(from, 1, by_score(last));
                assert_eq!(t.iter_at(n - 1, 1, false).next().unwrap().idx(), 1);
                t.check(&lt);
            }
        }
    }
}
