//! The state a runner's handle and its agent thread share: the stop request, the published
//! statistics, and the end of the thread. Kept apart from the thread code so that loom can
//! check its races (close racing the agent ending itself, two closes at once).

use std::time::Duration;

use crate::primitive::sync::{Arc, AtomicBool, Condvar, Mutex, Ordering};
use crate::primitive::thread::Thread;
use crate::primitive::{lock, wait_until};
use crate::runner::stats::Published;
use crate::termination::StopFlag;

pub(crate) struct RunnerState {
    /// Checked by the duty cycle once per cycle; set by `close` and by the termination latch.
    pub(crate) stop: Arc<StopFlag>,
    pub(crate) published: Arc<Published>,
    /// Set once, by the agent thread, last. Written under `finished_lock` so that a waiter,
    /// which checks it under the same lock before it sleeps, cannot miss the notification.
    finished: AtomicBool,
    finished_lock: Mutex<()>,
    finished_cv: Condvar,
}

impl RunnerState {
    pub(crate) fn new(published: Arc<Published>) -> Self {
        RunnerState {
            stop: Arc::new(StopFlag::new()),
            published,
            finished: AtomicBool::new(false),
            finished_lock: Mutex::new(()),
            finished_cv: Condvar::new(),
        }
    }

    /// Asks the agent on `agent_thread` to stop and ends its park. Idempotent; never blocks.
    pub(crate) fn request_stop(&self, agent_thread: &Thread) {
        self.stop.set();
        // After the flag: a park that this ends re-checks the flag on the next cycle; a park not
        // yet begun returns at once (the unpark token).
        agent_thread.unpark();
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
