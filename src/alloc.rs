//! The global allocator: counting for INFO's `used_memory`, and split by
//! block size between mimalloc (small blocks) and the system allocator
//! (64 KiB and more).
//!
//! Each thread keeps its own net byte count in a thread-local (no atomics,
//! no sharing); INFO sums the shards' counts. Memory freed on another thread
//! than the one that allocated it moves between counts but the sum stays right.
//!
//! Why two allocators: shards free many small blocks another shard allocated
//! (arguments, messages, replies of multi-shard commands). glibc takes the
//! owning arena's lock for each, and under cross-shard load the shards
//! queued on each other's arena locks (futex waits and wake-ups were a
//! fifth of the CPU of cross-shard MSET); mimalloc frees a foreign block
//! without a lock. Large blocks (key tables, big values) stay with glibc,
//! which returns them to the OS when freed: with mimalloc for everything,
//! RSS per small string key grew from 91 to 178 bytes (Redis: 99), since
//! the key table's old copies stayed mapped after each doubling. Measured:
//! cross-shard MSET/MGET of 10 keys at -P 16 went from ~195k/~170k to
//! ~300k/~305k requests/s, RSS per key within a few percent either way.

use mimalloc::MiMalloc;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
    static NET: Cell<i64> = const { Cell::new(0) };
}

fn add(n: i64) {
    // try_with: during thread teardown the slot may be gone; then skip.
    let _ = NET.try_with(|c| c.set(c.get() + n));
}

/// Blocks of this size and more come from the system allocator, smaller
/// ones from mimalloc.
const LARGE: usize = 64 * 1024;

/// Blocks of this size and more (the key tables of a large keyspace) are
/// asked to be backed by transparent huge pages where the kernel leaves
/// that to the program (`enabled = madvise`, the common default). A lookup
/// in a table of millions of keys misses the TLB at each step otherwise:
/// measured on GET over 1M random keys, TLB misses and page walks were a
/// large share of the lookup's cost. Redis advises turning THP off because
/// its fork-based snapshots copy whole huge pages on write; ringkv does not
/// fork. At most the last, partly used 2 MiB page of a block is backed
/// beyond what is touched.
const HUGE: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;

/// Advises huge pages for the whole 2 MiB pages inside `[ptr, ptr + size)`.
fn advise_huge(ptr: *mut u8, size: usize) {
    if ptr.is_null() || size < HUGE {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize + size) & !(HUGE_PAGE - 1);
    if end > start {
        // SAFETY: the range lies inside a block this allocator just handed
        // out; MADV_HUGEPAGE changes how it is backed, never its contents.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

// SAFETY: every block is allocated, reallocated and freed by the allocator
// its size selects (a layout's size is given on every call), and a realloc
// that crosses the threshold copies into a block of the other one.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        if layout.size() >= LARGE {
            let p = unsafe { System.alloc(layout) };
            advise_huge(p, layout.size());
            p
        } else {
            unsafe { MiMalloc.alloc(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64));
        if layout.size() >= LARGE {
            unsafe { System.dealloc(ptr, layout) }
        } else {
            unsafe { MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        if layout.size() >= LARGE {
            let p = unsafe { System.alloc_zeroed(layout) };
            advise_huge(p, layout.size());
            p
        } else {
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (old_large, new_large) = (layout.size() >= LARGE, new_size >= LARGE);
        if old_large == new_large {
            add(new_size as i64 - layout.size() as i64);
            return if new_large {
                let p = unsafe { System.realloc(ptr, layout, new_size) };
                advise_huge(p, new_size);
                p
            } else {
                unsafe { MiMalloc.realloc(ptr, layout, new_size) }
            };
        }
        // SAFETY: the caller guarantees `new_size` is a valid size for `layout.align()`.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

/// Net bytes allocated by the calling thread.
pub fn thread_allocated() -> i64 {
    NET.try_with(Cell::get).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vector grown and shrunk across the threshold keeps its bytes, and
    /// the thread's count follows its capacity (the test binary runs on
    /// this allocator too).
    #[test]
    fn realloc_across_the_threshold_keeps_contents_and_count() {
        let base = thread_allocated();
        let mut v: Vec<u8> = Vec::with_capacity(1000);
        v.extend((0..1000).map(|i| i as u8));
        assert_eq!(thread_allocated() - base, 1000);
        // Small to large: copied from mimalloc into glibc.
        v.reserve_exact(3 * LARGE);
        let cap = v.capacity();
        assert!(cap >= LARGE);
        assert_eq!(thread_allocated() - base, cap as i64);
        v.extend((0..2 * LARGE).map(|i| (i % 251) as u8));
        // Large to small: copied back.
        v.truncate(500);
        v.shrink_to_fit();
        assert_eq!(thread_allocated() - base, v.capacity() as i64);
        assert!(v.iter().enumerate().all(|(i, &b)| b == i as u8));
        // Large to large and small to small stay with their allocator.
        let mut big = vec![7u8; LARGE];
        big.resize(4 * LARGE, 9);
        assert!(big[..LARGE].iter().all(|&b| b == 7) && big[LARGE..].iter().all(|&b| b == 9));
        drop((v, big));
        assert_eq!(thread_allocated(), base);
        // Over-aligned blocks on both sides of the threshold.
        for size in [64, LARGE, 2 * LARGE] {
            let layout = Layout::from_size_align(size, 4096).unwrap();
            // SAFETY: non-zero size; freed with the same layout.
            unsafe {
                let p = Counting.alloc_zeroed(layout);
                assert!(!p.is_null() && (p as usize).is_multiple_of(4096));
                assert_eq!(*p.add(size - 1), 0);
                Counting.dealloc(p, layout);
            }
        }
        assert_eq!(thread_allocated(), base);
    }
}
