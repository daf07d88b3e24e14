//! The Aeron ping-pong's measured phase allocates nothing on the agent threads: a counting
//! global allocator, switched on by each agent (ping, and pong composed with the media driver)
//! on its own thread when its warm-up ends and off when its measured phase ends, sees no
//! allocation or free from Rust code. (Aeron's C code allocates with `malloc` directly, past
//! any Rust allocator; it does not allocate in the steady state either, by Aeron's design.)
//!
//! Run with `cargo test -p dutycycle-benches --features aeron --test aeron_no_alloc`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use dutycycle_benches::scenarios::aeron::ping_pong_through_dutycycle;

struct CountingAllocator;

thread_local! {
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static EVENTS: Cell<u64> = const { Cell::new(0) };
}

/// Allocations and frees seen in any agent's measured phase, and phases that ended.
static SEEN: AtomicU64 = AtomicU64::new(0);
static PHASES: AtomicU64 = AtomicU64::new(0);

fn note() {
    if MEASURING.try_with(Cell::get).unwrap_or(false) {
        let _ = EVENTS.try_with(|e| e.set(e.get() + 1));
    }
}

// SAFETY: every method forwards to the system allocator with the caller's arguments; the
// counting touches only const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn phase(start: bool) {
    if start {
        EVENTS.set(0);
        MEASURING.set(true);
    } else {
        MEASURING.set(false);
        SEEN.fetch_add(EVENTS.get(), Ordering::Relaxed);
        PHASES.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn the_aeron_ping_pong_through_dutycycle_allocates_nothing_in_its_measured_phase() {
    for mask in [0, 63] {
        SEEN.store(0, Ordering::Relaxed);
        PHASES.store(0, Ordering::Relaxed);
        let rtts = ping_pong_through_dutycycle(10_000, 100_000, mask, phase).expect("ping-pong ran");
        assert_eq!(rtts.len(), 100_000);
        assert_eq!(PHASES.load(Ordering::Relaxed), 2, "ping and pong both ended their measured phase");
        assert_eq!(
            SEEN.load(Ordering::Relaxed),
            0,
            "allocations or frees on the agent threads (mask {mask})"
        );
    }
}
