//! The open session's hot path allocates nothing: `offer` and `poll` (egress read, decoded
//! and delivered to the listener, keep-alive timer checked) make no Rust heap allocation in
//! steady state. A counting global allocator counts only while the test thread is inside
//! those calls (Aeron's C code allocates with malloc, outside this count; it does not
//! allocate per message either).

mod common;

use std::time::Duration;

use common::{serial, World};
use dutycycle_cluster::codec::SessionMessage;
use dutycycle_cluster::{ClusterClientConfig, ClusterState, EgressListener};
use dutycycle_test_support::alloc::{counted, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

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
    assert_eq!(control.allocations, 1, "the counter counts");

    let mut world = World::udp(1);
    let config = ClusterClientConfig::new()
        .ingress_endpoints(world.fake.endpoints())
        .keep_alive_interval(Duration::from_millis(5)); // keep-alives in the measured idle polls
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
            allocations += n.allocations;
        }
        turns += 1;
        assert!(turns < 2_000_000, "the echoes did not come");
    }
    assert_eq!(allocations, 0, "allocations in {turns} offers and polls");
    assert_eq!(sum.bytes, 64 * sum.messages);

    // Idle: polls only, and the keep-alives they send. The offers above sent none (each offer
    // counts as ingress and puts the keep-alive off), so the keep-alives are measured here.
    let keep_alives =
        |w: &World| w.fake.seen.iter().filter(|s| matches!(s, common::Seen::KeepAlive { .. })).count();
    let idle_turns = |world: &mut World, duration| {
        let deadline = std::time::Instant::now() + duration;
        while std::time::Instant::now() < deadline {
            world.turn_others();
        }
    };
    idle_turns(&mut world, Duration::from_millis(20)); // what was sent before is seen
    let before = keep_alives(&world);
    let deadline = std::time::Instant::now() + Duration::from_millis(100);
    while std::time::Instant::now() < deadline {
        world.turn_others();
        let cluster = world.cluster.as_mut().expect("client");
        let (_, n) = counted(|| cluster.poll(&mut sum).expect("poll"));
        allocations += n.allocations;
    }
    // The fake cluster reads what the measured polls sent; the client is not polled.
    idle_turns(&mut world, Duration::from_millis(20));
    let sent = keep_alives(&world) - before;
    assert!(sent >= 5, "keep-alives sent by the measured polls: {sent}");
    assert_eq!(allocations, 0, "allocations in idle polls with keep-alives");
    world.close();
}
