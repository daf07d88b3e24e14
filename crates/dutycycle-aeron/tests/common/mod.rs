//! Helpers shared by the test binaries: a lock that keeps driver tests from overlapping, a
//! publish-and-subscribe agent, and polling with a deadline.
#![allow(dead_code)] // each test binary uses its own part of this

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dutycycle::AgentError;
use dutycycle_aeron::{AeronClient, Channel, ClientAgent, ImageEvent, PublicationSlot, SubscriptionSlot};

/// Tests that run media drivers take this lock: on 2 vCPUs, overlapping drivers and agents
/// only make each test slower and its timing less telling.
pub use dutycycle_test_support::thread::exclusive_cpu as serial;

/// Polls `done` every millisecond until it holds or `timeout` passes; whether it held.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    done()
}

/// What a [`PubSub`] agent did, readable from the test thread.
#[derive(Debug, Default)]
pub struct Seen {
    pub sent: AtomicU64,
    pub received: AtomicU64,
    /// Each message carries its number: received out of order or twice counts here.
    pub out_of_order: AtomicU64,
    pub events: Mutex<Vec<ImageEvent>>,
}

impl Seen {
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Acquire)
    }

    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Acquire)
    }

    pub fn events(&self) -> Vec<ImageEvent> {
        self.events.lock().unwrap().clone()
    }
}

/// Publishes `to_send` numbered messages on a channel and stream, and subscribes to it.
pub struct PubSub {
    pub out: PublicationSlot,
    pub input: SubscriptionSlot,
    pub to_send: u64,
    pub seen: Arc<Seen>,
}

impl PubSub {
    pub fn new(channel: Channel, stream_id: i32, to_send: u64, seen: Arc<Seen>) -> PubSub {
        PubSub {
            out: PublicationSlot::new(channel.clone(), stream_id),
            input: SubscriptionSlot::new(channel, stream_id),
            to_send,
            seen,
        }
    }
}

impl ClientAgent for PubSub {
    fn role_name(&self) -> &str {
        "pubsub"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.out.add(client)?;
        self.input.add(client)?;
        Ok(())
    }

    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let mut work = self.out.poll()? + self.input.poll()?;
        while let Some(event) = self.input.next_image_event() {
            self.seen.events.lock().unwrap().push(event);
            work += 1;
        }
        let sent = self.seen.sent.load(Ordering::Relaxed);
        // Publish only once the subscription has an image, so that no message goes unheard.
        if sent < self.to_send && self.input.is_connected() && self.out.offer(&sent.to_le_bytes()).is_ok() {
            self.seen.sent.store(sent + 1, Ordering::Release);
            work += 1;
        }
        let seen = &self.seen;
        work += self.input.poll_fn(
            |message, _header| {
                let n = u64::from_le_bytes(message.try_into().unwrap_or([0xff; 8]));
                let expected = seen.received.load(Ordering::Relaxed);
                if n != expected {
                    seen.out_of_order.fetch_add(1, Ordering::Relaxed);
                }
                seen.received.store(expected + 1, Ordering::Release);
            },
            10,
        )?;
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        self.out.close()?;
        self.input.close()?;
        Ok(())
    }
}
