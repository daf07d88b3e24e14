//! [`AgentGroup`]: start several runners as one, stop them as one.

use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use crate::primitive::sync::Arc;
use crate::runner::stop_order::StopOrder;
use crate::{Agent, AgentError, AgentFailed, AgentReport, AgentRunner, AgentRunnerBuilder, AgentTermination};
use crate::{CloseError, IdleStrategy, StartError};

/// What a dropped group allows each runner for `on_close`, on top of its drain deadline: 5 s,
/// as Agrona's default close timeout.
const DROP_CLOSE_ALLOWANCE: Duration = Duration::from_secs(5);

/// Several runners on one shared [`AgentTermination`], started in order and stopped in reverse
/// order, so that `main` reads: build the group, [`wait`](AgentGroup::wait) for a signal,
/// [`close`](AgentGroup::close).
///
/// # Stop order
///
/// Start the runners in dependency order: what others need first (an embedded media driver),
/// then what consumes from it (a cluster client, a service), last what takes work in from
/// outside (a gateway). The group stops them **last started first**, each one drained (see
/// [`Agent::on_drain`]) and closed before the one started before it is asked to stop: the
/// producers stop taking work first and finish what they hold while the consumers still serve
/// them; then the consumers drain; the media driver closes last, after every client of it.
///
/// - [`close`](AgentGroup::close) and [`close_timeout`](AgentGroup::close_timeout) ask each
///   runner in that order and wait for it before asking the next.
/// - When the shared latch is signalled (by [`signal`](AgentTermination::signal), or by SIGINT
///   or SIGTERM with [`from_signals`](AgentGroup::from_signals)), every member sees the stop at
///   once, but keeps up its duty cycle, as before the stop, until every member started after
///   it has finished; only then does it drain and close. So the order holds without anyone
///   calling `close`, and each drain deadline runs from the start of that member's own drain.
///   A member that its own runner asks to stop ([`AgentRunner::request_stop`], `close`,
///   `close_timeout`, or its drop), before the latch or after it, does not wait, or waits no
///   longer. The group's own close asks a member only once every member started after it has
///   finished or been given up on, so this keeps the order, and a stuck member cannot keep
///   the ones started before it from closing.
///
/// Dropping the group closes it in the same order, each runner waited for up to its drain
/// deadline plus 5 s (Agrona's default close timeout) from when it is asked; a runner that has
/// not finished by then is detached (see [`CloseTimedOut`](crate::CloseTimedOut)) and the next
/// one is asked. So a stuck agent cannot hang the drop, which returns within the sum of those
/// allowances, and the agents started before it are still closed and waited for, also after
/// the latch was signalled: asked by the group, they stop waiting for the stuck one. Dropped
/// inside one of its own agents, the group does not wait for that one (no thread can wait for
/// its own end): it asks it to stop, which it does once its current call returns, and goes on
/// to the members started before it.
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
    order: Arc<StopOrder>,
}

impl AgentGroup {
    /// An empty group whose runners stop on `termination`.
    pub fn new(termination: AgentTermination) -> Self {
        AgentGroup { termination, runners: Vec::new(), order: StopOrder::new() }
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

    /// Starts a runner from `builder` (its termination replaced by the group's) and adds it,
    /// after the runners started before it in the [stop order](AgentGroup#stop-order).
    ///
    /// # Errors
    ///
    /// As [`AgentRunnerBuilder::start`]; runners already in the group keep running, and the
    /// group still closes them (so a `?` on a failed start, which drops the group, closes the
    /// runners started before it, last started first).
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
        let seat = self.order.reserve();
        let started = builder.termination(self.termination.clone()).seat(seat.clone()).start(factory);
        // A start that failed before its thread took the seat must not hold the members
        // before it; leaving twice is harmless.
        let runner = started.inspect_err(|_| seat.leave())?;
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

    /// Stops and joins every runner, last started first, each drained and closed before the
    /// next is asked; returns their reports in **start** order (`reports[i]` is the i-th
    /// runner started). Does not signal the shared latch. Waits as long as it takes: see
    /// [`close_timeout`](AgentGroup::close_timeout) for a bound.
    ///
    /// # Panics
    ///
    /// Inside one of its own agents, when it comes to that agent's runner, as
    /// [`AgentRunner::close`] does there (no thread can wait for its own end); the group,
    /// dropped as the panic unwinds, still closes the members started before it. Drop the
    /// group there instead.
    pub fn close(mut self) -> Vec<Result<AgentReport, AgentFailed>> {
        let mut reports: Vec<_> = std::iter::from_fn(|| self.runners.pop()).map(AgentRunner::close).collect();
        reports.reverse();
        reports
    }

    /// Like [`close`](AgentGroup::close), but returns once `timeout` has passed, which covers
    /// the drains and closes of every runner. Runners are asked last started first, each
    /// waited for until it finishes or the time is up; once it is up, the runners not yet
    /// asked are asked at once (the order can no longer be kept; after the latch, too, they
    /// stop waiting for the members after them) and every runner that has not finished is
    /// reported as [`CloseError::TimedOut`], whose
    /// [`CloseTimedOut`](crate::CloseTimedOut) holds the runner (to wait again) or, dropped,
    /// detaches its thread, which still closes its agent on itself when its current call
    /// returns. Reports come in start order.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{Agent, AgentError, AgentGroup, AgentRunner, AgentTermination, CloseError};
    ///
    /// struct Idle;
    /// impl Agent for Idle {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
    /// }
    /// struct Stuck(std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<()>);
    /// impl Agent for Stuck {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         let _ = self.0.send(()); // "I am in do_work"
    ///         let _ = self.1.recv(); // blocks until unstuck
    ///         Ok(0)
    ///     }
    /// }
    ///
    /// let (entered_tx, entered) = std::sync::mpsc::channel();
    /// let (unstick, stuck) = std::sync::mpsc::channel();
    /// let mut group = AgentGroup::new(AgentTermination::new());
    /// group.start(AgentRunner::builder(), || Ok(Idle))?;
    /// group.start(AgentRunner::builder(), move || Ok(Stuck(entered_tx, stuck)))?;
    /// entered.recv()?;
    /// let mut reports = group.close_timeout(Duration::from_millis(50));
    /// let Err(CloseError::TimedOut(timed_out)) = reports.pop().unwrap() else { panic!("stuck") };
    /// unstick.send(())?;
    /// assert!(timed_out.into_runner().join()?.is_clean()); // it ends once unstuck
    /// // The idle one was asked once the time was up; it ends on its own.
    /// match reports.pop().unwrap() {
    ///     Ok(report) => assert!(report.is_clean()),
    ///     Err(CloseError::TimedOut(timed_out)) => assert!(timed_out.into_runner().join()?.is_clean()),
    ///     Err(other) => return Err(other.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close_timeout(mut self, timeout: Duration) -> Vec<Result<AgentReport, CloseError>> {
        // No deadline past the clock's range: then it waits as long as it takes.
        let deadline = Instant::now().checked_add(timeout);
        let mut reports: Vec<_> = std::iter::from_fn(|| self.runners.pop())
            .map(|runner| {
                let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(Instant::now()));
                runner.close_timeout(left)
            })
            .collect();
        reports.reverse();
        reports
    }
}

impl Drop for AgentGroup {
    fn drop(&mut self) {
        while let Some(runner) = self.runners.pop() {
            let allowance = runner.drain_timeout().saturating_add(DROP_CLOSE_ALLOWANCE);
            // A runner still running after its allowance is detached when the error drops.
            let _ = runner.close_timeout(allowance);
        }
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
