//! The stop order of an [`AgentGroup`](crate::AgentGroup)'s members: last started, first
//! stopped, also when the group's latch stops them all at once.
//!
//! Each member holds a [`Seat`], numbered in start order. A member stopped by the latch goes on
//! with its duty cycle until every seat after its own is finished, and only then drains and
//! closes: a media driver (started first) keeps serving its clients while they drain, and
//! closes after them. A finishing member unparks the members before it, so that one parked
//! by its idle strategy moves on at once.

use std::fmt;

use crate::primitive::lock;
use crate::primitive::sync::{Arc, Mutex};
use crate::AgentWaker;

/// A group's seats, in start order.
#[derive(Default)]
pub(crate) struct StopOrder {
    seats: Mutex<Vec<SeatState>>,
}

struct SeatState {
    /// What wakes its agent thread, once the thread has taken the seat.
    waker: Option<AgentWaker>,
    finished: bool,
}

/// One member's place in its group's [`StopOrder`].
#[derive(Clone)]
pub(crate) struct Seat {
    order: Arc<StopOrder>,
    index: usize,
}

impl StopOrder {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(StopOrder::default())
    }

    /// The seat after every seat reserved so far. It counts as running until it is
    /// [left](Seat::leave).
    pub(crate) fn reserve(self: &Arc<Self>) -> Seat {
        let mut seats = lock(&self.seats);
        seats.push(SeatState { waker: None, finished: false });
        Seat { order: Arc::clone(self), index: seats.len() - 1 }
    }
}

impl Seat {
    /// Called by the member's agent thread, so that members after it can wake it.
    pub(crate) fn take(&self, waker: AgentWaker) {
        lock(&self.order.seats)[self.index].waker = Some(waker);
    }

    /// Whether every member started after this one has finished.
    pub(crate) fn later_members_finished(&self) -> bool {
        lock(&self.order.seats)[self.index + 1..].iter().all(|seat| seat.finished)
    }

    /// Marks the member finished and wakes the members before it that still run.
    /// Idempotent.
    pub(crate) fn leave(&self) {
        let mut seats = lock(&self.order.seats);
        seats[self.index].finished = true;
        for seat in &seats[..self.index] {
            if let (Some(waker), false) = (&seat.waker, seat.finished) {
                waker.wake();
            }
        }
    }
}

impl fmt::Debug for Seat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seat").field("index", &self.index).finish_non_exhaustive()
    }
}
