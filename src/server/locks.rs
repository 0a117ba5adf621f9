//! A shard's key locks for multi-shard operations, and the operations
//! waiting for keys, queued per key.
//!
//! An operation is admitted at once when none of its keys is held or has
//! anyone waiting; otherwise it joins the queue of each of its keys and runs
//! when it is at the front of all of them and none is held. Operations on
//! disjoint keys never wait for each other (a single shard-wide FIFO would
//! let one operation stuck behind a hold stall every unrelated one behind
//! it), and operations sharing a key run in arrival order. Every waiter
//! joins all its queues at once, so for any two waiters the earlier one is
//! ahead on every key they share: no cycle, no deadlock between waiters.
//!
//! Operations that only read (the parts of MGET, EXISTS, ...) lock shared:
//! they run beside each other's holds, so concurrent readers of a key never
//! wait for one another, while a writer waits for them all and they for it.

use super::shard::LockKey;
use std::collections::{HashMap, VecDeque};

/// Lock keys are hashes already: the tables use them as they are.
pub(super) type KeyHasher = nohash_hasher::BuildNoHashHasher<LockKey>;

struct Waiter<T> {
    keys: Vec<LockKey>,
    shared: bool,
    item: T,
}

/// Held keys, with per-key FIFO queues of waiting items of type `T`.
pub(super) struct Locks<T> {
    /// Key -> number of holds (a key named twice is held twice), and
    /// whether they are shared: a key's holds are all shared or all not.
    held: HashMap<LockKey, (u32, bool), KeyHasher>,
    /// Key -> waiting items, by slot in `waiters`, oldest first.
    queues: HashMap<LockKey, VecDeque<usize>, KeyHasher>,
    waiters: Vec<Option<Waiter<T>>>,
    free: Vec<usize>,
}

impl<T> Default for Locks<T> {
    fn default() -> Self {
        Locks { held: HashMap::default(), queues: HashMap::default(), waiters: Vec::new(), free: Vec::new() }
    }
}

impl<T> Locks<T> {
    /// Nothing held, nobody waiting: the common case, two checks.
    pub fn is_idle(&self) -> bool {
        self.held.is_empty() && self.queues.is_empty()
    }

    /// No key of `keys` is waited for, or held but for shared holds when
    /// `shared`: an operation on them may run now.
    pub fn is_free(&self, keys: &[LockKey], shared: bool) -> bool {
        self.is_idle() || keys.iter().all(|k| !self.queues.contains_key(k) && self.compatible(k, shared))
    }

    /// `key` may be taken in this mode now, queues aside.
    fn compatible(&self, key: &LockKey, shared: bool) -> bool {
        match self.held.get(key) {
            None => true,
            Some(&(_, held_shared)) => shared && held_shared,
        }
    }

    /// True when any of `keys` is held.
    pub fn any_held(&self, mut keys: impl Iterator<Item = LockKey>) -> bool {
        !self.held.is_empty() && keys.any(|k| self.held.contains_key(&k))
    }

    /// Holds `keys`, which must be free in this mode (see [`Locks::is_free`]).
    pub fn hold(&mut self, keys: &[LockKey], shared: bool) {
        for &k in keys {
            self.held.entry(k).or_insert((0, shared)).0 += 1;
        }
    }

    /// Holds `keys` in this mode if no other operation holds one of them
    /// incompatibly or waits for one, and says whether it did: the check of
    /// [`Locks::is_free`] and [`Locks::hold`] in one probe per key. A key
    /// named twice is held twice.
    pub fn try_hold(&mut self, keys: &[LockKey], shared: bool) -> bool {
        use std::collections::hash_map::Entry;
        if !self.queues.is_empty() && keys.iter().any(|k| self.queues.contains_key(k)) {
            return false;
        }
        for (n, &k) in keys.iter().enumerate() {
            match self.held.entry(k) {
                Entry::Vacant(e) => {
                    e.insert((1, shared));
                }
                Entry::Occupied(mut e) => {
                    let mine = keys[..n].contains(&k);
                    let (count, held_shared) = e.get_mut();
                    if mine || (shared && *held_shared) {
                        *count += 1;
                    } else {
                        self.release(keys[..n].iter().copied());
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Drops one hold of each key; returns the keys no longer held whose
    /// queues may now move (see [`Locks::take_runnable`]): none when
    /// nobody waits.
    pub fn release(&mut self, keys: impl IntoIterator<Item = LockKey>) -> Vec<LockKey> {
        let mut freed = Vec::new();
        let waiting = !self.queues.is_empty();
        for k in keys {
            if let Some((n, _)) = self.held.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    self.held.remove(&k);
                    if waiting {
                        freed.push(k);
                    }
                }
            }
        }
        freed
    }

    /// Queues `item` behind every key of `keys`, to take them shared or not.
    pub fn enqueue(&mut self, keys: Vec<LockKey>, shared: bool, item: T) {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.waiters.push(None);
                self.waiters.len() - 1
            }
        };
        for k in &keys {
            let q = self.queues.entry(*k).or_default();
            // A key named twice queues once.
            if q.back() != Some(&slot) {
                q.push_back(slot);
            }
        }
        self.waiters[slot] = Some(Waiter { keys, shared, item });
    }

    /// The item waiting at the front of `key`'s queue, if it is at the
    /// front of all its keys' queues and can take them all in its mode:
    /// removed from the queues, with its keys (whose queues may move next;
    /// the next of several readers, once this one holds).
    pub fn take_runnable(&mut self, key: &LockKey) -> Option<(Vec<LockKey>, T)> {
        if self.queues.is_empty() {
            return None;
        }
        let slot = *self.queues.get(key)?.front()?;
        let w = self.waiters[slot].as_ref().expect("queued slot is live");
        let ready =
            w.keys.iter().all(|k| self.compatible(k, w.shared) && self.queues[k].front() == Some(&slot));
        if !ready {
            return None;
        }
        let w = self.waiters[slot].take().expect("queued slot is live");
        self.free.push(slot);
        for k in &w.keys {
            if let Some(q) = self.queues.get_mut(k) {
                if q.front() == Some(&slot) {
                    q.pop_front();
                }
                if q.is_empty() {
                    self.queues.remove(k);
                }
            }
        }
        Some((w.keys, w.item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::shard::lock_key;

    fn k(s: &'static str) -> LockKey {
        lock_key(0, s.as_bytes())
    }

    /// Runs everything that can run after `keys` moved, in the order found.
    fn drain(l: &mut Locks<&'static str>, mut keys: Vec<LockKey>) -> Vec<&'static str> {
        let mut ran = Vec::new();
        while let Some(key) = keys.pop() {
            if let Some((ks, item)) = l.take_runnable(&key) {
                ran.push(item);
                keys.extend(ks);
            }
        }
        ran
    }

    #[test]
    fn waiters_on_disjoint_keys_do_not_block_each_other() {
        let mut l = Locks::default();
        l.hold(&[k("a"), k("b")], false);
        l.enqueue(vec![k("a")], false, "on a");
        l.enqueue(vec![k("b")], false, "on b");
        // Only b goes: the waiter on a must not hold up the one on b.
        let freed = l.release([k("b")]);
        assert_eq!(drain(&mut l, freed), vec!["on b"]);
        assert!(!l.is_free(&[k("a")], false));
        let freed = l.release([k("a")]);
        assert_eq!(drain(&mut l, freed), vec!["on a"]);
        assert!(l.is_idle());
    }

    #[test]
    fn waiters_sharing_a_key_run_in_arrival_order() {
        let mut l = Locks::default();
        l.hold(&[k("a")], false);
        l.enqueue(vec![k("a"), k("b")], false, "first");
        // Free b, but queued behind "first" on b: must wait.
        l.enqueue(vec![k("b")], false, "second");
        assert!(drain(&mut l, vec![k("b")]).is_empty());
        let freed = l.release([k("a")]);
        assert_eq!(drain(&mut l, freed), vec!["first", "second"]);
        assert!(l.is_idle());
    }

    #[test]
    fn readers_share_a_key_and_a_writer_waits_for_them_in_order() {
        let mut l = Locks::default();
        l.hold(&[k("a")], true);
        assert!(l.is_free(&[k("a")], true), "a second reader runs beside the first");
        assert!(!l.is_free(&[k("a")], false), "a writer does not");
        l.hold(&[k("a")], true);
        l.enqueue(vec![k("a")], false, "writer");
        // Behind a waiting writer, a reader queues too (no starving it).
        assert!(!l.is_free(&[k("a")], true));
        l.enqueue(vec![k("a")], true, "reader 1");
        l.enqueue(vec![k("a")], true, "reader 2");
        assert!(l.release([k("a")]).is_empty(), "one reader still holds");
        let freed = l.release([k("a")]);
        // The writer runs alone; the readers wait for its hold to go.
        let (keys, first) = l.take_runnable(&freed[0]).expect("writer runs");
        assert_eq!(first, "writer");
        l.hold(&keys, false);
        assert!(l.take_runnable(&k("a")).is_none());
        let freed = l.release([k("a")]);
        let (keys, r1) = l.take_runnable(&freed[0]).expect("first reader runs");
        l.hold(&keys, true);
        let (_, r2) = l.take_runnable(&k("a")).expect("second reader runs beside it");
        assert_eq!((r1, r2), ("reader 1", "reader 2"));
    }

    #[test]
    fn try_hold_takes_free_keys_or_nothing() {
        let mut l = Locks::default();
        assert!(l.try_hold(&[k("a"), k("b"), k("a")], false), "a key named twice is its own");
        assert!(l.release([k("a")]).is_empty());
        assert!(l.any_held([k("a")].into_iter()), "held twice, released once");
        // b is held: nothing of the second attempt stays held.
        assert!(!l.try_hold(&[k("c"), k("b")], false));
        assert!(!l.any_held([k("c")].into_iter()), "rolled back");
        l.release([k("a"), k("b")]);
        assert!(l.is_idle());
        // Readers share; a writer, and a reader behind a waiting writer, do not.
        assert!(l.try_hold(&[k("r")], true));
        assert!(l.try_hold(&[k("r")], true));
        assert!(!l.try_hold(&[k("r")], false));
        l.enqueue(vec![k("r")], false, "writer");
        assert!(!l.try_hold(&[k("r")], true));
        l.release([k("r")]);
        let freed = l.release([k("r")]);
        assert_eq!(drain(&mut l, freed), vec!["writer"]);
    }

    #[test]
    fn holds_count_and_a_key_named_twice_queues_once() {
        let mut l = Locks::default();
        l.hold(&[k("a"), k("a")], false);
        l.enqueue(vec![k("a"), k("b"), k("a")], false, "w");
        assert!(l.release([k("a")]).is_empty(), "still held once");
        assert!(l.any_held([k("a")].into_iter()));
        let freed = l.release([k("a")]);
        assert_eq!(drain(&mut l, freed), vec!["w"]);
        assert!(l.is_idle());
        // Slots are reused.
        l.hold(&[k("c")], false);
        l.enqueue(vec![k("c")], false, "x");
        assert_eq!(l.waiters.len(), 1);
    }
}
