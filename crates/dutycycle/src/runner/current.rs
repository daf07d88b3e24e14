//! The statistics of the runner whose agent thread is the calling thread, for code that runs
//! on it (a factory, an agent's callbacks) and publishes them elsewhere.

use std::cell::RefCell;

use super::stats::StatsReader;

thread_local! {
    /// Set by the runner on its agent thread from before the factory until the agent and what
    /// the runner holds for it (idle strategy, error handler) have dropped; `None` on every
    /// other thread.
    static CURRENT: RefCell<Option<StatsReader>> = const { RefCell::new(None) };
}

impl StatsReader {
    /// The statistics of the runner whose agent thread calls this, or `None` on a thread that
    /// is not a runner's agent thread (a caller's thread running an
    /// [`AgentInvoker`](crate::AgentInvoker), a thread of your own).
    ///
    /// It answers from the runner's factory, `on_start`, `do_work`, `on_drain`, `on_close`
    /// and the agent's `Drop`, so that an agent can publish its own runner's figures (as
    /// Aeron counters, say) without the runner's handle, which only the thread that started
    /// it holds. The reader is the one [`AgentRunner::stats_reader`] returns, and stays valid
    /// after the runner ends.
    ///
    /// The figures are the runner's: for a [`CompositeAgent`](crate::CompositeAgent) or a
    /// [`DynamicCompositeAgent`](crate::DynamicCompositeAgent), every sub-agent gets the same
    /// reader, whose figures count the composite's duty cycles (one cycle is one turn of every
    /// sub-agent; the work is their sum).
    ///
    /// [`AgentRunner::stats_reader`]: crate::AgentRunner::stats_reader
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{Agent, AgentError, AgentRunner, StatsReader};
    ///
    /// struct SelfWatching { stats: Option<StatsReader> }
    /// impl Agent for SelfWatching {
    ///     fn on_start(&mut self) -> Result<(), AgentError> {
    ///         self.stats = StatsReader::current(); // this runner's statistics
    ///         Ok(())
    ///     }
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         let seen = self.stats.as_ref().map_or(0, |stats| stats.read().duty_cycles);
    ///         if seen >= 128 { Err(AgentError::terminate()) } else { Ok(1) }
    ///     }
    /// }
    ///
    /// assert!(StatsReader::current().is_none()); // not an agent thread
    /// let report = AgentRunner::start(|| Ok(SelfWatching { stats: None }))?.join()?;
    /// assert!(report.stats().duty_cycles > 128);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn current() -> Option<StatsReader> {
        // `try_with`: from a thread-local's destructor at thread exit the slot may be gone.
        CURRENT.try_with(|current| current.borrow().clone()).ok().flatten()
    }
}

/// Makes `reader` the calling thread's [`StatsReader::current`] until the returned guard
/// drops.
pub(super) fn enter(reader: StatsReader) -> Entered {
    CURRENT.with(|current| *current.borrow_mut() = Some(reader));
    Entered(())
}

/// Clears the calling thread's current reader when dropped.
pub(super) struct Entered(());

impl Drop for Entered {
    fn drop(&mut self) {
        // `try_with`: during the thread's own teardown the slot may already be gone.
        let _ = CURRENT.try_with(|current| current.borrow_mut().take());
    }
}
