//! The open session's hot path allocates nothing: `offer` and `poll` (egress read, decoded
//! and delivered to the listener, keep-alive timer checked) make no Rust heap allocation in
//! steady state. A counting global allocator counts only while the test thread is inside
//! those calls (Aeron's C code allocates with malloc, outside this count; it does not
//! allocate per message either).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use common::{serial, World};
use dutycycle_cluster::codec::SessionMessage;
use dutycycle_cluster::{ClusterClientConfig, ClusterState, EgressListener};

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

fn count() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to the system allocator unchanged; counting touches only
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counts the allocations `f` makes on this thread.
fn counted<T>(f: impl FnOnce() -> T) -> (T, u64) {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    (result, ALLOCATIONS.with(Cell::get))
}

#[derive(Default)]
struct Sum {
    messages: u64,
    bytes: u64,
}

impl EgressListener for Sum {
    fn on_message(&mut self, message: &SessionMessage<'_>) {
        self.messages += 1;
        self.bytes += message.payload.len() as u64;
    }
}

#[test]
fn offers_and_polls_of_an_open_session_allocate_nothing() {
    let _serial = serial();
    let (_, control) = counted(|| Box::new(1u8));
    assert_eq!(control, 1, "the counter counts");

    let mut world = World::udp(1);
    let config = ClusterClientConfig::new()
        .ingress_endpoints(world.fake.endpoints())
        .keep_alive_interval(Duration::from_millis(5)); // keep-alives inside the measured part too
    world.connect(&config);
    world.run_until("the session", Duration::from_secs(20), |w| {
        w.cluster().state() == ClusterState::Connected
    });

    let mut sum = Sum::default();
    let payload = [7u8; 64];
    let mut allocations = 0;
    let mut turns = 0u64;
    while sum.messages < 2000 {
        world.turn_others(); // the driver, the fake cluster, the client conductor: not counted
        let cluster = world.cluster.as_mut().expect("client");
        let (_, n) = counted(|| {
            let _ = cluster.offer(&payload);
            cluster.poll(&mut sum).expect("poll");
        });
        // The first round trips grow the client's buffers once; count after them.
        if sum.messages > 100 {
            allocations += n;
        }
        turns += 1;
        assert!(turns < 2_000_000, "the echoes did not come");
    }
    assert_eq!(allocations, 0, "allocations in {turns} offers and polls");
    assert_eq!(sum.bytes, 64 * sum.messages);

    // Idle: polls only, and the keep-alives they send.
    let keep_alives =
        |w: &World| w.fake.seen.iter().filter(|s| matches!(s, common::Seen::KeepAlive { .. })).count();
    let before = keep_alives(&world);
    let deadline = std::time::Instant::now() + Duration::from_millis(100);
    while std::time::Instant::now() < deadline {
        world.turn_others();
        let cluster = world.cluster.as_mut().expect("client");
        let (_, n) = counted(|| cluster.poll(&mut sum).expect("poll"));
        allocations += n;
    }
    world.run_for(Duration::from_millis(20));
    assert!(keep_alives(&world) - before >= 5, "keep-alives sent: {}", keep_alives(&world) - before);
    assert_eq!(allocations, 0, "allocations in idle polls with keep-alives");
    world.close();
}
