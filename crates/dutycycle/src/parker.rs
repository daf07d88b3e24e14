//! [`Parker`]: the park of a runner's idle strategy, which only the runner's stop, its latch
//! and its waker end.
//!
//! The thread's own park token (`std::thread::park`/`unpark`) is shared with every piece of
//! code on the thread: a channel's `recv_timeout`, a client library's wait. Such code consumes
//! an unpark meant for the runner (a stop, a wake-up) and the runner's next park then sleeps
//! its whole period. So a runner parks on a parker of its own, which no other code can reach:
//! the duty cycle makes it the thread's idle parker for the length of each idle call that may
//! park ([`Parker::idle_with`]), and the idle strategies' park ([`park_timeout`]) parks on it
//! there, and on the thread's own token everywhere else.
//!
//! A wake-up is an edge: it ends the current park, or the next one, once. A stop is a level:
//! from the stop on, every park returns at once, however many parks an idle call makes; until
//! the agent thread, having seen the stop, begins its drain ([`Parker::begin_drain`]): from then
//! on it parks again between the drain's duty cycles, and a stop no longer ends a park.

use std::cell::Cell;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::primitive::sync::{AtomicUsize, Condvar, Mutex, Ordering};
use crate::primitive::{lock, thread_local};

/// The agent thread is parked, or about to wait on the condition variable (set under `lock`).
const PARKED: usize = 0b001;
/// A wake-up the current or next park consumes.
const NOTIFIED: usize = 0b010;
/// Stopped: every park returns at once, unless `DRAINING` is set too.
const STOPPED: usize = 0b100;
/// The agent thread has seen the stop and drains: `STOPPED` no longer ends a park.
const DRAINING: usize = 0b1000;

/// Whether a park with this state returns at once: a wake-up is pending, or a stop not yet
/// seen by a drain.
#[inline]
fn ends_park(state: usize) -> bool {
    state & NOTIFIED != 0 || state & (STOPPED | DRAINING) == STOPPED
}

/// A runner's parker: parked by its agent thread alone, unparked from any thread.
#[derive(Default)]
pub(crate) struct Parker {
    /// `PARKED | NOTIFIED | STOPPED` bits. On a line of its own: wakers write it while the
    /// agent runs.
    state: CachePadded<AtomicUsize>,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Self {
        Parker::default()
    }

    /// Parks the calling thread (the agent thread: only it parks here) for up to `period`,
    /// unless a wake-up is pending or the parker is stopped. May return early, spuriously.
    pub(crate) fn park_timeout(&self, period: Duration) {
        // Acquire, here and below: pairs with the Release of the wake-up or stop it reads, so
        // what the waking thread wrote before it is visible once the park returns. A
        // read-modify-write: it consumes a pending wake-up.
        let state = self.state.fetch_and(!NOTIFIED, Ordering::Acquire);
        if ends_park(state) {
            return;
        }
        let guard = lock(&self.lock);
        // Under the lock: a waker that sees PARKED takes the lock before it notifies, so it
        // cannot notify before this thread waits. One that came before this shows here.
        let state = self.state.fetch_or(PARKED, Ordering::Acquire);
        if !ends_park(state) {
            // A notification, the timeout or a spurious wake-up: all end the park.
            drop(self.condvar.wait_timeout(guard, period));
        } else {
            drop(guard);
        }
        // Not parked any more, and a wake-up that ended this park (or came during it) is
        // consumed: it was meant for this park.
        self.state.fetch_and(!(PARKED | NOTIFIED), Ordering::Acquire);
    }

    /// Ends the current park, or makes the next one return at once. No system call unless
    /// the agent thread is parked.
    #[inline]
    pub(crate) fn unpark(&self) {
        self.set(NOTIFIED);
    }

    /// Ends the current park and makes every later park return at once (until the drain).
    pub(crate) fn stop(&self) {
        self.set(STOPPED);
    }

    /// Called by the agent thread (the only one that parks here) once it has seen the stop
    /// and goes on with the duty cycles of its drain: its parks wait again, and end on a
    /// wake-up or their period. A stop that comes after this (a second request) wakes the
    /// current park once, as any notification, and no later one.
    pub(crate) fn begin_drain(&self) {
        // Relaxed: only this thread reads the bit, in its own parks; a read-modify-write, so
        // that no other bit is lost.
        self.state.fetch_or(DRAINING, Ordering::Relaxed);
    }

    #[inline]
    fn set(&self, bit: usize) {
        // Release: pairs with the Acquire of the park that reads the bit (see `park_timeout`).
        // A read-modify-write, not a store, so it never loses another bit.
        let state = self.state.fetch_or(bit, Ordering::Release);
        if state & PARKED != 0 {
            self.notify();
        }
    }

    #[cold]
    fn notify(&self) {
        // Taking the lock waits until the parking thread is in its wait (it set PARKED under
        // the lock), so the notification cannot come before the wait and be lost.
        drop(lock(&self.lock));
        self.condvar.notify_one();
    }

    /// Runs `idle` (an idle call of the runner's duty cycle) with this parker as the calling
    /// thread's idle parker: a [`park_timeout`] in it parks here.
    #[inline]
    pub(crate) fn idle_with<R>(&self, idle: impl FnOnce() -> R) -> R {
        /// Puts back the thread's previous idle parker, also if `idle` panics.
        struct Restore(*const Parker);
        impl Drop for Restore {
            #[inline]
            fn drop(&mut self) {
                IDLE_PARKER.with(|current| current.set(self.0));
            }
        }
        let _restore = Restore(IDLE_PARKER.with(|current| current.replace(self)));
        idle()
    }
}

#[cfg(not(loom))]
thread_local! {
    /// The parker of the runner whose idle call this thread is in; null outside idle calls.
    static IDLE_PARKER: Cell<*const Parker> = const { Cell::new(std::ptr::null()) };
}

// loom's thread_local! takes no `const` initialiser.
#[cfg(loom)]
thread_local! {
    static IDLE_PARKER: Cell<*const Parker> = Cell::new(std::ptr::null());
}

/// Parks the calling thread for up to `period`: on the runner's [`Parker`] inside a runner's
/// idle call (see [`Parker::idle_with`]), on the thread's own park token everywhere else.
/// Returns earlier when unparked, and may return spuriously.
#[inline]
pub(crate) fn park_timeout(period: Duration) {
    let parker = IDLE_PARKER.try_with(Cell::get).unwrap_or(std::ptr::null());
    if parker.is_null() {
        crate::primitive::thread::park_timeout(period);
    } else {
        // SAFETY: a non-null pointer was set by `Parker::idle_with`, which borrows the parker
        // for as long as the call it wraps, and puts the previous value back before it
        // returns or unwinds: the parker is alive for the whole of this call.
        unsafe { &*parker }.park_timeout(period);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn a_wake_up_before_the_park_ends_it_once() {
        let parker = Parker::new();
        parker.unpark();
        let start = Instant::now();
        parker.park_timeout(Duration::from_secs(30));
        assert!(start.elapsed() < Duration::from_secs(10));
        let start = Instant::now();
        parker.park_timeout(Duration::from_millis(20));
        assert!(start.elapsed() >= Duration::from_millis(20), "the wake-up was not consumed");
    }

    #[test]
    fn a_stop_ends_every_later_park() {
        let parker = Parker::new();
        parker.stop();
        parker.unpark();
        let start = Instant::now();
        for _ in 0..3 {
            parker.park_timeout(Duration::from_secs(30));
        }
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn once_the_drain_begins_parks_wait_again_and_a_wake_up_still_ends_one() {
        let parker = Parker::new();
        parker.stop();
        parker.begin_drain();
        let start = Instant::now();
        parker.park_timeout(Duration::from_millis(20));
        assert!(start.elapsed() >= Duration::from_millis(20), "a seen stop still ended the park");
        parker.stop(); // a second stop request: no lasting effect
        parker.unpark();
        let start = Instant::now();
        parker.park_timeout(Duration::from_secs(30));
        assert!(start.elapsed() < Duration::from_secs(10), "the wake-up was lost");
        let start = Instant::now();
        parker.park_timeout(Duration::from_millis(20));
        assert!(start.elapsed() >= Duration::from_millis(20), "the second stop ended every park");
    }

    #[test]
    fn the_threads_own_token_neither_ends_nor_is_taken_by_the_runners_park() {
        let parker = Parker::new();
        std::thread::current().unpark();
        let start = Instant::now();
        parker.idle_with(|| park_timeout(Duration::from_millis(20)));
        assert!(start.elapsed() >= Duration::from_millis(20), "the thread's token ended the runner's park");
        let start = Instant::now();
        std::thread::park_timeout(Duration::from_secs(30));
        assert!(start.elapsed() < Duration::from_secs(10), "the runner's park took the thread's token");
    }

    #[test]
    fn an_unpark_from_another_thread_ends_a_park_in_an_idle_call() {
        let parker = Arc::new(Parker::new());
        let (parking_tx, parking) = std::sync::mpsc::channel();
        let agent = {
            let parker = Arc::clone(&parker);
            std::thread::spawn(move || {
                parking_tx.send(()).unwrap();
                let start = Instant::now();
                parker.idle_with(|| park_timeout(Duration::from_secs(30)));
                start.elapsed()
            })
        };
        parking.recv().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        parker.unpark();
        assert!(agent.join().unwrap() < Duration::from_secs(10));
    }
}
