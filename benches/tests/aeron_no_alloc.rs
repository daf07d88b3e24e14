//! The Aeron ping-pong's measured phase allocates nothing on the agent threads: a counting
//! global allocator, switched on by each agent (ping, and pong composed with the media driver)
//! on its own thread when its warm-up ends and off when its measured phase ends, sees no
//! allocation or free from Rust code. (Aeron's C code allocates with `malloc` directly, past
//! any Rust allocator; it does not allocate in the steady state either, by Aeron's design.)
//!
//! Run with `cargo test -p dutycycle-benches --features aeron --test aeron_no_alloc`.

use std::sync::atomic::{AtomicU64, Ordering};

use dutycycle_benches::scenarios::aeron::{ping_pong_through_dutycycle, Cadences};
use dutycycle_test_support::alloc::{start_counting, stop_counting, CountingAllocator};

/// Allocations and frees seen in any agent's measured phase, and phases that ended.
static SEEN: AtomicU64 = AtomicU64::new(0);
static PHASES: AtomicU64 = AtomicU64::new(0);

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn phase(start: bool) {
    if start {
        start_counting();
    } else {
        SEEN.fetch_add(stop_counting().total(), Ordering::Relaxed);
        PHASES.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn the_aeron_ping_pong_through_dutycycle_allocates_nothing_in_its_measured_phase() {
    for cadences in [Cadences::EVERY_CYCLE, Cadences::DEFAULTS] {
        SEEN.store(0, Ordering::Relaxed);
        PHASES.store(0, Ordering::Relaxed);
        let rtts = ping_pong_through_dutycycle(10_000, 100_000, cadences, phase).expect("ping-pong ran");
        assert_eq!(rtts.len(), 100_000);
        assert_eq!(PHASES.load(Ordering::Relaxed), 2, "ping and pong both ended their measured phase");
        assert_eq!(
            SEEN.load(Ordering::Relaxed),
            0,
            "allocations or frees on the agent threads ({cadences:?})"
        );
    }
}
