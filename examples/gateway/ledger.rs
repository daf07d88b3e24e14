//! The gateway's book of requests, whatever carries them: what is in flight, what to send
//! (again), which answer to accept and which to drop, and an audit of what was accepted.
//!
//! Ingress to a cluster is at most once across a failover, and answers can come twice (the
//! original and the resent copy both answered). So the gateway
//!
//! - gives each request a sequence number, once, and sends it again under the same number:
//!   every request in flight when a new leader comes ([`Ledger::resend_all`]), and any request
//!   unanswered for the retry timeout;
//! - accepts the first answer for a sequence number in flight and drops every later one as a
//!   duplicate (checking, when the service says where it ordered the request, that the
//!   duplicate agrees: `inconsistent` must stay 0);
//! - hands each accepted sequence number to an [`Audit`], kept apart from the book, that
//!   counts any number accepted twice and, at the end, any number never accepted.

use std::collections::VecDeque;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::stats::GatewayFigures;
use crate::wire::{Answer, Request};

/// How many recent answers the book remembers for the consistency check of duplicates: far
/// more than can be in flight.
const MEMORY: usize = 1 << 16;

/// A request sent and not yet answered.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    sequence: u64,
    last_sent_ns: u64,
    /// Send it again as soon as ingress takes it.
    resend: bool,
}

/// What [`Ledger::on_answer`] made of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Booked {
    /// The first answer to a request in flight: delivered to the application.
    Accepted,
    /// A second answer, dropped.
    Duplicate,
}

/// What [`Ledger::send`] sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// Requests sent again.
    pub again: usize,
    /// New requests.
    pub new: usize,
}

impl Sent {
    /// Messages that went out.
    pub fn total(&self) -> usize {
        self.again + self.new
    }
}

/// The requests in flight, the answers accepted, the account.
pub struct Ledger {
    window: usize,
    retry_timeout_ns: u64,
    in_flight: Vec<InFlight>,
    next_sequence: u64,
    /// `(sequence + 1, log index)` of recent ordered answers by `sequence % MEMORY`.
    orders: Box<[(u64, u64)]>,
    audit: Audit,
    answered: u64,
    duplicates: u64,
    inconsistent: u64,
    resent: u64,
    malformed: u64,
    /// Round trips since the last statistics line, in nanoseconds.
    pub second: Histogram<u64>,
    /// Round trips over the whole run.
    pub run: Histogram<u64>,
}

impl Ledger {
    /// An empty book: at most `window` requests in flight, each sent again after
    /// `retry_timeout` without an answer.
    pub fn new(window: usize, retry_timeout: Duration) -> Ledger {
        let histogram = || Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds");
        Ledger {
            window,
            retry_timeout_ns: u64::try_from(retry_timeout.as_nanos()).unwrap_or(u64::MAX),
            in_flight: Vec::with_capacity(window),
            next_sequence: 0,
            orders: vec![(0, 0); MEMORY].into_boxed_slice(),
            audit: Audit::default(),
            answered: 0,
            duplicates: 0,
            inconsistent: 0,
            resent: 0,
            malformed: 0,
            second: histogram(),
            run: histogram(),
        }
    }

    /// Sends what is due through `offer` (which says whether the bytes went out): first the
    /// requests to send again, in order, then up to `new` new requests within the window.
    /// Stops at the first offer that fails.
    pub fn send(&mut self, now: u64, new: usize, mut offer: impl FnMut(&[u8]) -> bool) -> Sent {
        let mut sent = Sent::default();
        for f in &mut self.in_flight {
            if f.resend || now.saturating_sub(f.last_sent_ns) >= self.retry_timeout_ns {
                if !offer(&Request { sequence: f.sequence, sent_ns: now }.encode()) {
                    f.resend = true;
                    return sent;
                }
                f.resend = false;
                f.last_sent_ns = now;
                self.resent += 1;
                sent.again += 1;
            }
        }
        while sent.new < new && self.in_flight.len() < self.window {
            let sequence = self.next_sequence;
            if !offer(&Request { sequence, sent_ns: now }.encode()) {
                break;
            }
            self.in_flight.push(InFlight { sequence, last_sent_ns: now, resend: false });
            self.next_sequence += 1;
            sent.new += 1;
        }
        sent
    }

    /// Books an answer: the first for a request in flight is accepted (and its round trip
    /// recorded), any other is a duplicate.
    pub fn on_answer(&mut self, answer: Answer, now: u64) -> Booked {
        let sequence = answer.request.sequence;
        let slot = (sequence % MEMORY as u64) as usize;
        match self.in_flight.iter().position(|f| f.sequence == sequence) {
            Some(i) => {
                self.in_flight.swap_remove(i);
                self.answered += 1;
                self.audit.accept(sequence);
                if let Some(order) = answer.order {
                    self.orders[slot] = (sequence + 1, order.index);
                }
                let rtt = now.saturating_sub(answer.request.sent_ns).max(1);
                self.second.saturating_record(rtt);
                self.run.saturating_record(rtt);
                Booked::Accepted
            }
            None => {
                self.duplicates += 1;
                let (remembered, index) = self.orders[slot];
                if answer.order.is_some_and(|o| remembered == sequence + 1 && o.index != index) {
                    self.inconsistent += 1; // the same request ordered twice: must never be
                }
                Booked::Duplicate
            }
        }
    }

    /// Counts an answer that did not decode.
    pub fn on_malformed(&mut self) {
        self.malformed += 1;
    }

    /// Marks every request in flight to be sent again (a new leader: whatever went to the old
    /// one may be lost). Returns how many.
    pub fn resend_all(&mut self) -> usize {
        for f in &mut self.in_flight {
            f.resend = true;
        }
        self.in_flight.len()
    }

    /// Requests sent and not answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Publishes the account for main: relaxed stores of monotonic counters, then the number
    /// in flight with Release.
    pub fn publish(&self, figures: &GatewayFigures) {
        use std::sync::atomic::Ordering::{Relaxed, Release};
        figures.sent.store(self.next_sequence, Relaxed);
        figures.answered.store(self.answered, Relaxed);
        figures.duplicates.store(self.duplicates, Relaxed);
        figures.inconsistent.store(self.inconsistent, Relaxed);
        figures.resent.store(self.resent, Relaxed);
        figures.malformed.store(self.malformed, Relaxed);
        figures.answered_twice.store(self.audit.twice(), Relaxed);
        figures.missing.store(self.audit.missing(self.next_sequence), Relaxed);
        // Release: a reader that sees this value (Acquire) sees the figures stored above.
        figures.in_flight.store(self.in_flight.len() as u64, Release);
    }
}

/// Which sequence numbers the application received, checked apart from the book: every number
/// below `complete_below` was accepted exactly once; `above` holds, for the numbers from
/// `complete_below` on, whether each was accepted.
#[derive(Debug, Default)]
pub struct Audit {
    complete_below: u64,
    above: VecDeque<bool>,
    /// How many of `above` are `true`.
    received_above: u64,
    /// Numbers accepted a second time: must stay 0.
    twice: u64,
}

impl Audit {
    /// Records that the application received `sequence`.
    pub fn accept(&mut self, sequence: u64) {
        let Some(at) = sequence.checked_sub(self.complete_below) else {
            self.twice += 1;
            return;
        };
        let at = usize::try_from(at).unwrap_or(usize::MAX);
        if at >= self.above.len() {
            self.above.resize(at + 1, false);
        }
        if std::mem::replace(&mut self.above[at], true) {
            self.twice += 1;
        } else {
            self.received_above += 1;
        }
        while self.above.front() == Some(&true) {
            self.above.pop_front();
            self.received_above -= 1;
            self.complete_below += 1;
        }
    }

    /// How many of the numbers below `issued` were never received.
    pub fn missing(&self, issued: u64) -> u64 {
        issued.saturating_sub(self.complete_below).saturating_sub(self.received_above)
    }

    /// Numbers received more than once.
    pub fn twice(&self) -> u64 {
        self.twice
    }
}

/// Paces new requests at a rate: `allowance` says how many may go now, at most a window's
/// worth at once after a pause.
#[derive(Debug)]
pub struct Pacer {
    /// Nanoseconds between requests; `None`: as fast as the window allows.
    interval_ns: Option<u64>,
    /// When the next request is due.
    next_ns: u64,
    burst: u64,
}

impl Pacer {
    /// `rate` requests a second (`0`: no limit), bursts of at most `burst`.
    pub fn new(rate: u64, burst: usize, now: u64) -> Pacer {
        Pacer {
            interval_ns: (rate > 0).then(|| (1_000_000_000 / rate).max(1)),
            next_ns: now,
            burst: burst as u64,
        }
    }

    /// How many requests may go out at `now`.
    pub fn allowance(&mut self, now: u64) -> usize {
        let Some(interval) = self.interval_ns else { return usize::MAX };
        // No credit piles up beyond a burst while nothing could be sent.
        self.next_ns = self.next_ns.max(now.saturating_sub(self.burst * interval));
        if now < self.next_ns {
            return 0;
        }
        usize::try_from((now - self.next_ns) / interval + 1).unwrap_or(usize::MAX)
    }

    /// Records that `sent` new requests went out.
    pub fn took(&mut self, sent: usize) {
        if let Some(interval) = self.interval_ns {
            self.next_ns += sent as u64 * interval;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Order;

    fn answer(sequence: u64) -> Answer {
        Answer { request: Request { sequence, sent_ns: 0 }, order: None }
    }

    fn sequences(ledger: &mut Ledger, now: u64, new: usize) -> Vec<u64> {
        let mut out = Vec::new();
        ledger.send(now, new, |b| {
            out.push(Request::decode(b).unwrap().sequence);
            true
        });
        out
    }

    #[test]
    fn the_first_answer_is_accepted_and_later_ones_dropped() {
        let mut ledger = Ledger::new(4, Duration::from_secs(1));
        assert_eq!(sequences(&mut ledger, 0, 10), [0, 1, 2, 3], "the window holds four");
        assert_eq!(ledger.on_answer(answer(1), 5), Booked::Accepted);
        assert_eq!(ledger.on_answer(answer(1), 6), Booked::Duplicate);
        assert_eq!(ledger.on_answer(answer(9), 6), Booked::Duplicate, "never sent");
        assert_eq!(ledger.in_flight(), 3);
        assert_eq!((ledger.answered, ledger.duplicates), (1, 2));
        assert_eq!(ledger.audit.twice(), 0);
        assert_eq!(ledger.audit.missing(ledger.next_sequence), 3);
    }

    #[test]
    fn what_is_in_flight_goes_again_after_a_new_leader_or_the_retry_timeout() {
        let mut ledger = Ledger::new(8, Duration::from_nanos(100));
        assert_eq!(sequences(&mut ledger, 0, 3), [0, 1, 2]);
        ledger.on_answer(answer(1), 10);
        assert_eq!(ledger.resend_all(), 2);
        assert_eq!(sequences(&mut ledger, 20, 0), [0, 2], "the same numbers again");
        assert_eq!(sequences(&mut ledger, 50, 0), Vec::<u64>::new(), "not yet due");
        assert_eq!(sequences(&mut ledger, 120, 0), [0, 2], "the retry timeout");
        assert_eq!(ledger.resent, 4);
        ledger.on_answer(answer(0), 130);
        ledger.on_answer(answer(2), 130);
        ledger.on_answer(answer(2), 131);
        assert_eq!((ledger.answered, ledger.duplicates, ledger.audit.missing(3)), (3, 1, 0));
    }

    #[test]
    fn a_refused_offer_keeps_the_request_for_the_next_turn() {
        let mut ledger = Ledger::new(8, Duration::from_secs(1));
        assert_eq!(ledger.send(0, 2, |_| false).total(), 0);
        assert_eq!(ledger.in_flight(), 0, "a new request that did not go out is not in flight");
        assert_eq!(sequences(&mut ledger, 1, 1), [0], "and keeps its number");
        ledger.resend_all();
        assert_eq!(ledger.send(2, 0, |_| false).total(), 0);
        assert_eq!(sequences(&mut ledger, 3, 0), [0]);
    }

    #[test]
    fn a_duplicate_that_disagrees_on_the_order_is_inconsistent() {
        let mut ledger = Ledger::new(8, Duration::from_secs(1));
        sequences(&mut ledger, 0, 1);
        let ordered = |index| Answer {
            request: Request { sequence: 0, sent_ns: 0 },
            order: Some(Order { index, epoch: 1 }),
        };
        ledger.on_answer(ordered(5), 1);
        ledger.on_answer(ordered(5), 2);
        assert_eq!(ledger.inconsistent, 0);
        ledger.on_answer(ordered(6), 3);
        assert_eq!(ledger.inconsistent, 1);
    }

    #[test]
    fn the_audit_counts_numbers_received_twice_and_never() {
        let mut audit = Audit::default();
        for s in [0, 2, 1, 5, 2, 0] {
            audit.accept(s);
        }
        assert_eq!(audit.twice(), 2);
        assert_eq!(audit.missing(6), 2, "3 and 4");
        assert_eq!(audit.missing(3), 0);
    }

    #[test]
    fn the_pacer_allows_the_rate_and_a_burst_at_most() {
        let mut pacer = Pacer::new(1000, 4, 0); // one a millisecond
        assert_eq!(pacer.allowance(0), 1);
        pacer.took(1);
        assert_eq!(pacer.allowance(500_000), 0);
        assert_eq!(pacer.allowance(1_000_000), 1);
        assert_eq!(pacer.allowance(1_000_000_000), 5, "a pause earns a burst, not a second's worth");
        assert_eq!(Pacer::new(0, 4, 0).allowance(0), usize::MAX);
    }
}
