//! A counting global allocator for INFO's `used_memory`.
//!
//! Each thread keeps its own net byte count in a thread-local (no atomics,
//! no sharing); INFO sums the shards' counts. Memory freed on another thread
//! than the one that allocated it moves between counts but the sum stays right.

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

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Net bytes allocated by the calling thread.
pub fn thread_allocated() -> i64 {
    NET.try_with(Cell::get).unwrap_or(0)
}
