//! The state a runner's handle and its agent thread share: the stop request, the published
//! statistics, and the end of the thread. Kept apart from the thread code so that loom can
//! check its races (close racing the agent ending itself, two closes at once).

use std::time::Duration;

use crossbeam_utils::CachePadded;

use crate::parker::Parker;
use crate::primitive::sync::{fence, Arc, AtomicBool, AtomicUsize, Condvar, Mutex, Ordering};
use crate::primitive::{lock, wait_until};
use crate::runner::stats::Published;
use crate::{AgentReport, Ending};

pub(crate) struct RunnerState {
    /// Checked by the duty cycle once per cycle; set by `close` and by the termination latch.
    pub(crate) stop: Arc<StopFlag>,
    /// What the idle strategy parks on; stopped after the stop flag is set, woken by wakers.
    pub(crate) parker: Arc<Parker>,
    pub(crate) published: Arc<Published>,
    /// Set once, by the agent thread, last. Written under `finished_lock` so that a waiter,
    /// which checks it under the same lock before it sleeps, cannot miss the notification.
    finished: AtomicBool,
    finished_lock: Mutex<()>,
    finished_cv: Condvar,
    /// The agent's report, put by the agent thread before it marks itself finished, and
    /// taken by the handle: it does not wait for the thread's own end to get it.
    report: Mutex<Option<AgentReport>>,
}

impl RunnerState {
    pub(crate) fn new(published: Arc<Published>) -> Self {
        RunnerState {
            stop: Arc::new(StopFlag::new()),
            parker: Arc::new(Parker::new()),
            published,
            finished: AtomicBool::new(false),
            finished_lock: Mutex::new(()),
            finished_cv: Condvar::new(),
            report: Mutex::new(None),
        }
    }

    /// Asks the agent to stop and ends its park. Idempotent; never blocks.
    pub(crate) fn request_stop(&self) {
        let first = self.stop.request(StopCause::Runner);
        // After the flag: a park that this ends is followed by the flag's check; a park not yet
        // begun returns at once, and so does every later one (a stopped parker stays stopped).
        self.parker.stop();
        if !first {
            // Another cause came first. If it was the latch, the agent may be a group member
            // waiting for the members started after it, its parker draining, where this stop
            // ends only a park under way. A wake-up is an edge the next park consumes too, so
            // the member's check of `asked_by_runner` after its park cannot miss this request:
            // the park's Acquire on the parker's state pairs with the Release of `unpark`,
            // which follows the Release store of the request.
            self.parker.unpark();
        }
    }

    /// Called by the agent thread once the agent is closed and dropped, before `mark_finished`.
    pub(crate) fn put_report(&self, report: AgentReport) {
        *lock(&self.report) = Some(report);
    }

    /// The report, once the thread is finished (`None` before, or if the thread ended without
    /// one: a panic of the runner's own code).
    pub(crate) fn take_report(&self) -> Option<AgentReport> {
        lock(&self.report).take()
    }

    /// Called by the agent thread last, once the agent is closed and dropped.
    pub(crate) fn mark_finished(&self) {
        let _guard = lock(&self.finished_lock);
        // Release: pairs with the Acquire in `is_finished`; the agent is gone by then.
        self.finished.store(true, Ordering::Release);
        self.finished_cv.notify_all();
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }

    /// Waits until the agent thread is finished, up to `timeout` (`None`: no limit); returns
    /// whether it is.
    pub(crate) fn wait_finished(&self, timeout: Option<Duration>) -> bool {
        wait_until(&self.finished_cv, lock(&self.finished_lock), timeout, |_| self.is_finished())
    }
}

/// Who asked a runner's agent to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopCause {
    /// The runner's own handle: `close`, `close_timeout`, `request_stop`, or its drop.
    Runner,
    /// Its termination latch, with the number of the signal that signalled the latch, if one
    /// did (through `AgentTermination::from_signals`).
    Latch { signal: Option<i32> },
}

/// A stop cause as one word, so that "stopped, and by what" is one atomic value: 0 is no
/// stop, and no cause encodes to 0.
const NOT_REQUESTED: usize = 0;
const BY_RUNNER: usize = usize::MAX;
const BY_LATCH: usize = usize::MAX - 1;

impl StopCause {
    pub(crate) fn to_word(self) -> usize {
        match self {
            StopCause::Runner => BY_RUNNER,
            StopCause::Latch { signal: None } => BY_LATCH,
            // Signal numbers are small and positive; anything else is recorded as no signal.
            StopCause::Latch { signal: Some(n) } => match usize::try_from(n) {
                Ok(n) if n != NOT_REQUESTED && n < BY_LATCH => n,
                _ => BY_LATCH,
            },
        }
    }

    pub(crate) fn from_word(word: usize) -> Option<StopCause> {
        match word {
            NOT_REQUESTED => None,
            BY_RUNNER => Some(StopCause::Runner),
            BY_LATCH => Some(StopCause::Latch { signal: None }),
            n => Some(StopCause::Latch { signal: i32::try_from(n).ok() }),
        }
    }

    /// The ending of an agent stopped for this cause.
    pub(crate) fn ending(self) -> Ending {
        match self {
            StopCause::Runner => Ending::Closed,
            StopCause::Latch { signal } => Ending::LatchSignalled { signal },
        }
    }
}

/// One runner's stop request: made by its handle or by its termination latch, checked by its
/// duty cycle once per cycle. On a cache line of its own, so that the check is one load of a
/// line nobody writes until shutdown. The first request wins: its cause is the one the
/// agent's report gives.
#[derive(Default)]
pub(crate) struct StopFlag {
    cause: CachePadded<AtomicUsize>,
    /// Whether the runner's own handle has asked, first or after the latch: a group member
    /// stopped by its latch waits for the members started after it only until then. Read once
    /// per cycle of that wait, never by the duty cycle.
    by_runner: AtomicBool,
}

impl StopFlag {
    pub(crate) fn new() -> Self {
        StopFlag::default()
    }

    /// Requests the stop, unless one was requested before; returns whether this request was
    /// the first. A request of the runner's own handle is recorded either way
    /// ([`asked_by_runner`](StopFlag::asked_by_runner)).
    pub(crate) fn request(&self, cause: StopCause) -> bool {
        if cause == StopCause::Runner {
            // Release: pairs with the Acquire in `asked_by_runner`. Before the cause, so that an
            // agent that sees its runner's cause sees this too.
            self.by_runner.store(true, Ordering::Release);
        }
        // Release: pairs with the Acquire fence in `cause`, so that what the stopping thread
        // wrote before the request is visible to the agent once it acts on it. A compare and
        // swap, not a store: a later request must not replace the first one's cause.
        self.cause
            .compare_exchange(NOT_REQUESTED, cause.to_word(), Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    /// Whether the runner's own handle has asked for the stop (`close`, `close_timeout`,
    /// `request_stop`, its drop), whether or not another cause came first. A `false` may be
    /// stale at once; a `true` stays.
    pub(crate) fn asked_by_runner(&self) -> bool {
        // Acquire: pairs with the Release store in `request`.
        self.by_runner.load(Ordering::Acquire)
    }

    /// Whether the stop was requested: the duty cycle's check, one plain load. Relaxed: a
    /// thread that sees `true` calls [`cause`](StopFlag::cause) (an Acquire fence) before it
    /// acts on the request.
    #[inline(always)]
    pub(crate) fn is_set(&self) -> bool {
        self.cause.load(Ordering::Relaxed) != NOT_REQUESTED
    }

    /// Who requested the stop, if anyone did.
    #[cold]
    pub(crate) fn cause(&self) -> Option<StopCause> {
        let word = self.cause.load(Ordering::Relaxed);
        // Acquire: with the load above, pairs with the Release of the request it read.
        fence(Ordering::Acquire);
        StopCause::from_word(word)
    }
}
