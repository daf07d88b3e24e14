//! Slots closed and added again, as a gateway does on every failover, keep the Rust heap
//! flat: a counting global allocator sees the bytes in use after many add/close cycles no
//! higher than after the first few. (Aeron's C code allocates with `malloc` directly, past any
//! Rust allocator; what is counted here is what the Rust side keeps.)
//!
//! A binary of its own: the allocator counts the whole process.

use std::time::{Duration, Instant};

use dutycycle::Agent;
use dutycycle_aeron::{
    AeronClient, Channel, ClientConfig, ConductorMode, MediaDriverAgent, MediaDriverConfig, PublicationSlot,
    SubscriptionSlot,
};
use dutycycle_test_support::alloc::{live_bytes, CountingAllocator};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs the driver's and the client's duty cycles on this thread until `done` holds.
fn turn_until(driver: &mut MediaDriverAgent, client: &mut AeronClient, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "no progress within 60 s");
        driver.do_work().unwrap();
        client.do_work().unwrap();
    }
}

/// Heap bytes kept by `cycles` add/poll-until-connected/close cycles of a subscription slot
/// and of an exclusive and a concurrent publication slot on its stream (after `warm_up` such
/// cycles), measured on one thread that also runs the driver.
fn bytes_kept_by_cycles(mode: ConductorMode, warm_up: usize, cycles: usize) -> i64 {
    let driver_config = MediaDriverConfig::new();
    let client_config = ClientConfig::new().dir(driver_config.aeron_dir()).conductor(mode);
    let mut driver = MediaDriverAgent::launch(driver_config).unwrap();
    let mut client = AeronClient::connect(&client_config).unwrap();
    let mut input = SubscriptionSlot::new(Channel::ipc(), 77);
    let mut exclusive = PublicationSlot::exclusive(Channel::ipc(), 77);
    let mut concurrent = PublicationSlot::new(Channel::ipc(), 77);
    let mut cycle = |driver: &mut MediaDriverAgent, client: &mut AeronClient| {
        input.add(client).unwrap();
        exclusive.add(client).unwrap();
        concurrent.add(client).unwrap();
        // Connected both ways: the subscription has an image (an image event came).
        turn_until(driver, client, || {
            input.poll().unwrap();
            exclusive.poll().unwrap();
            concurrent.poll().unwrap();
            input.is_connected() && exclusive.is_connected() && concurrent.is_connected()
        });
        input.close().unwrap();
        exclusive.close().unwrap();
        concurrent.close().unwrap();
        while input.next_image_event().is_some() {}
    };
    for _ in 0..warm_up {
        cycle(&mut driver, &mut client);
    }
    let before = live_bytes();
    for _ in 0..cycles {
        cycle(&mut driver, &mut client);
    }
    let kept = live_bytes() - before;
    client.close().unwrap();
    driver.on_close().unwrap();
    kept
}

#[test]
fn slots_added_and_closed_again_and_again_keep_no_memory() {
    // Aeron's conductor thread idles between its duty cycles, so a cycle takes longer there.
    for (mode, cycles) in [(ConductorMode::Invoker, 300), (ConductorMode::Thread, 100)] {
        let kept = bytes_kept_by_cycles(mode, 20, cycles);
        // A few hundred bytes of slack for one-off growth (a queue's block, a list's buffer);
        // a leak of even one small handler per cycle keeps thousands.
        assert!(kept < 1024, "{mode}: {cycles} add/close cycles kept {kept} bytes");
    }
}
