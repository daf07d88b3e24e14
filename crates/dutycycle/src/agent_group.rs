//! [`AgentGroup`]: start several runners as one, stop them as one.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::{Agent, AgentError, AgentFailed, AgentReport, AgentRunner, AgentRunnerBuilder, AgentTermination};
use crate::{IdleStrategy, StartError};

/// Several runners on one shared [`AgentTermination`], started in order and closed in reverse
/// order, so that `main` reads: build the group, [`wait`](AgentGroup::wait) for a signal,
/// [`close`](AgentGroup::close).
///
/// Closing goes from the last runner started to the first, each stopped and joined before the
/// next is asked: agents that depend on one started before them (clients on an embedded media
/// driver, say) are gone before it goes. When the shared latch has been signalled, every agent
/// is already stopping; `close` then joins them in that same reverse order. Dropping the group
/// closes it.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentGroup, AgentRunner, AgentTermination};
///
/// struct Idle(&'static str);
/// impl Agent for Idle {
///     fn role_name(&self) -> &str { self.0 }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let mut group = AgentGroup::new(AgentTermination::new());
/// group.start(AgentRunner::builder(), || Ok(Idle("driver")))?;
/// group.start(AgentRunner::builder(), || Ok(Idle("gateway")))?;
/// group.termination().signal(); // in a real main: a signal, with AgentGroup::from_signals()
/// group.wait();
/// let reports = group.close();
/// assert_eq!(reports.len(), 2);
/// assert_eq!(reports[0].as_ref().unwrap().role(), "driver");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the group stops its agents at once"]
pub struct AgentGroup {
    termination: AgentTermination,
    runners: Vec<AgentRunner>,
}

impl AgentGroup {
    /// An empty group whose runners stop on `termination`.
    pub fn new(termination: AgentTermination) -> Self {
        AgentGroup { termination, runners: Vec::new() }
    }

    /// An empty group on the process's SIGINT/SIGTERM latch
    /// ([`AgentTermination::from_signals`]).
    ///
    /// # Errors
    ///
    /// As [`AgentTermination::from_signals`].
    pub fn from_signals() -> io::Result<Self> {
        Ok(AgentGroup::new(AgentTermination::from_signals()?))
    }

    /// Starts a runner from `builder` (its termination replaced by the group's) and adds it.
    ///
    /// # Errors
    ///
    /// As [`AgentRunnerBuilder::start`]; runners already in the group keep running.
    pub fn start<I, A, F>(
        &mut self,
        builder: AgentRunnerBuilder<I>,
        factory: F,
    ) -> Result<&AgentRunner, StartError>
    where
        I: IdleStrategy + Send + 'static,
        A: Agent + 'static,
        F: FnOnce() -> Result<A, AgentError> + Send + 'static,
    {
        let runner = builder.termination(self.termination.clone()).start(factory)?;
        self.runners.push(runner);
        Ok(self.runners.last().expect("just pushed"))
    }

    /// The shared latch.
    pub fn termination(&self) -> &AgentTermination {
        &self.termination
    }

    /// The runners, in start order.
    pub fn runners(&self) -> &[AgentRunner] {
        &self.runners
    }

    /// Blocks until the shared latch is signalled.
    pub fn wait(&self) {
        self.termination.wait();
    }

    /// Blocks until the shared latch is signalled or `timeout` passes; returns whether it is
    /// signalled.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.termination.wait_timeout(timeout)
    }

    /// Stops and joins every runner, last started first; returns their reports in **start**
    /// order (`reports[i]` is the i-th runner started). Does not signal the shared latch.
    pub fn close(mut self) -> Vec<Result<AgentReport, AgentFailed>> {
        self.close_all()
    }

    fn close_all(&mut self) -> Vec<Result<AgentReport, AgentFailed>> {
        let mut reports: Vec<_> = std::iter::from_fn(|| self.runners.pop()).map(AgentRunner::close).collect();
        reports.reverse();
        reports
    }
}

impl Drop for AgentGroup {
    fn drop(&mut self) {
        self.close_all();
    }
}

impl fmt::Debug for AgentGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentGroup")
            .field("termination", &self.termination)
            .field("runners", &self.runners)
            .finish()
    }
}
