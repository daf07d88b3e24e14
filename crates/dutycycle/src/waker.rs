//! [`AgentWaker`]: wake an agent from its idle strategy's park.

use std::fmt;

use crate::parker::Parker;
use crate::primitive::sync::Arc;

/// Wakes a runner's agent from a park, so that work handed to it is seen now rather than at
/// the end of the park period (`Clone + Send + Sync`; from
/// [`AgentRunner::waker`](crate::AgentRunner::waker)).
///
/// A producer that has just given the agent work (pushed to its queue, say) calls
/// [`wake`](AgentWaker::wake). If the agent is parked by its idle strategy
/// ([`BackoffIdleStrategy`], [`SleepingIdleStrategy`], [`SleepingMillisIdleStrategy`],
/// [`ControllableIdleStrategy`]), the park ends at once. If it is not parked, the wake-up is
/// remembered and its next park returns at once, so no wake-up is lost: the agent sees the
/// work on its next cycle. The runner's idle strategy parks on a parker of the runner's own, so
/// code in `do_work` that parks the thread itself (a channel's `recv_timeout`, a client
/// library's wait) can neither consume the wake-up nor be ended by it.
///
/// `wake` on an agent that is not parked costs one atomic read-modify-write and no system call:
/// only a parked agent is woken through its condition variable (a `futex` call).
///
/// # Which idle strategy
///
/// An agent that its producers wake needs no short parks: pair it with
/// [`BackoffIdleStrategy::woken`](crate::BackoffIdleStrategy::woken) (`"backoff-woken"` by
/// name), which spins and yields after work as Aeron's backoff does, then parks 10 ms at a
/// time. It answers a wake-up as fast as a thread parked by hand and woken with `unpark` (the
/// operating system's futex wake-up: 1.01x and 0.98x of it at one message every 2 ms and
/// 10 ms in the recorded benchmark run), at a fraction of the CPU of Aeron's default ramp of
/// parks from 1 µs to 1 ms, which wakes on its timer several times after every message (at
/// 500 messages per second: 1.20 % of a core against 4.43 %). Work that comes without a
/// wake-up waits up to one park, 10 ms.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, BackoffIdleStrategy};
///
/// struct Consumer { inbox: mpsc::Receiver<u64>, total: u64 }
/// impl Agent for Consumer {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         let mut work = 0;
///         while let Ok(n) = self.inbox.try_recv() {
///             self.total += n;
///             work += 1;
///         }
///         if self.total >= 6 { return Err(AgentError::terminate()); }
///         Ok(work)
///     }
/// }
///
/// let (tx, inbox) = mpsc::channel();
/// let runner = AgentRunner::builder()
///     .idle_strategy(BackoffIdleStrategy::woken())
///     .start(move || Ok(Consumer { inbox, total: 0 }))?;
/// let waker = runner.waker();
/// for n in 1..=3 {
///     std::thread::sleep(Duration::from_millis(2));
///     tx.send(n)?;
///     waker.wake(); // seen now, not at the end of a 10 ms park
/// }
/// assert!(runner.join()?.duty_cycles() >= 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`BackoffIdleStrategy`]: crate::BackoffIdleStrategy
/// [`SleepingIdleStrategy`]: crate::SleepingIdleStrategy
/// [`SleepingMillisIdleStrategy`]: crate::SleepingMillisIdleStrategy
/// [`ControllableIdleStrategy`]: crate::ControllableIdleStrategy
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, SleepingMillisIdleStrategy};
///
/// struct Consumer { inbox: Arc<AtomicU64>, seen: u64 }
/// impl Agent for Consumer {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         let n = self.inbox.load(Ordering::Acquire);
///         let work = (n - self.seen) as usize;
///         self.seen = n;
///         if n == 1 { return Err(AgentError::terminate()); }
///         Ok(work)
///     }
/// }
///
/// let inbox = Arc::new(AtomicU64::new(0));
/// let agent_inbox = Arc::clone(&inbox);
/// let runner = AgentRunner::builder()
///     .idle_strategy(SleepingMillisIdleStrategy::new(60_000)?) // parks a minute at a time
///     .start(move || Ok(Consumer { inbox: agent_inbox, seen: 0 }))?;
/// std::thread::sleep(Duration::from_millis(10));
/// inbox.store(1, Ordering::Release);
/// runner.waker().wake(); // the agent sees it now, not in a minute
/// let report = runner.join()?;
/// assert!(report.duty_cycles() >= 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AgentWaker {
    parker: Arc<Parker>,
}

impl AgentWaker {
    pub(crate) fn new(parker: Arc<Parker>) -> Self {
        AgentWaker { parker }
    }

    /// Ends the agent's current park, or makes its next park return at once.
    #[inline]
    pub fn wake(&self) {
        self.parker.unpark();
    }
}

impl fmt::Debug for AgentWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentWaker").finish_non_exhaustive()
    }
}
