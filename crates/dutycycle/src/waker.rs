//! [`AgentWaker`]: wake an agent from its idle strategy's park.

use crate::primitive::thread::Thread;
use std::fmt;

/// Wakes a runner's agent from a park, so that work handed to it is seen now rather than at
/// the end of the park period (`Clone + Send + Sync`; from
/// [`AgentRunner::waker`](crate::AgentRunner::waker)).
///
/// A producer that has just given the agent work (pushed to its queue, say) calls
/// [`wake`](AgentWaker::wake). If the agent is parked by [`BackoffIdleStrategy`],
/// [`SleepingIdleStrategy`] or [`SleepingMillisIdleStrategy`], the park ends at once. If it is
/// not parked, the wake-up is remembered and its next park returns at once, so no wake-up is
/// lost: the agent sees the work no later than the end of one park period, and in practice on
/// its next cycle.
///
/// `wake` on an agent that is not parked costs one atomic swap and no system call (the
/// standard library's thread parker: only a thread that is actually parked is woken with a
/// `futex` call).
///
/// [`BackoffIdleStrategy`]: crate::BackoffIdleStrategy
/// [`SleepingIdleStrategy`]: crate::SleepingIdleStrategy
/// [`SleepingMillisIdleStrategy`]: crate::SleepingMillisIdleStrategy
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
    thread: Thread,
}

impl AgentWaker {
    pub(crate) fn new(thread: Thread) -> Self {
        AgentWaker { thread }
    }

    /// Ends the agent's current park, or makes its next park return at once.
    #[inline]
    pub fn wake(&self) {
        self.thread.unpark();
    }
}

impl fmt::Debug for AgentWaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentWaker").field("thread", &self.thread.name()).finish()
    }
}
