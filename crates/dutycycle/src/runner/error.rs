//! The errors of starting, joining and closing a runner.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::{AgentFailure, AgentReport, AgentRunner, Ending};

/// Why [`AgentRunner`] could not start an agent. When `start` returns this, no agent code is
/// running: a factory that failed built nothing; an agent whose `on_start` failed has already
/// been closed and dropped on its own thread, and that thread has been joined.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner, StartError};
///
/// struct NoFeed;
/// impl Agent for NoFeed {
///     fn role_name(&self) -> &str { "md-handler" }
///     fn on_start(&mut self) -> Result<(), AgentError> { Err(AgentError::msg("no feed")) }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let err = AgentRunner::start(|| Ok(NoFeed)).unwrap_err();
/// assert!(matches!(err, StartError::OnStart { .. }));
/// assert_eq!(err.to_string(), "md-handler: failed to start: no feed");
///
/// let err = AgentRunner::builder().core(4096).start(|| Ok(NoFeed)).unwrap_err();
/// let StartError::CoreNotAllowed { core, allowed } = err else { panic!() };
/// assert_eq!(core, 4096);
/// assert!(!allowed.is_empty());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The thread name is empty, or contains a NUL byte, which no OS thread name can hold.
    #[error("thread name {name:?} is empty or contains a NUL byte")]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// The timer slack is zero (which Linux reads as "restore the default") or over 1 s.
    #[error("timer slack of {slack:?} is out of range: it must be between 1 ns and 1 s")]
    InvalidTimerSlack {
        /// The slack given.
        slack: Duration,
    },
    /// The drain deadline is over [`MAX_DRAIN_TIMEOUT`](crate::MAX_DRAIN_TIMEOUT).
    #[error("drain timeout of {timeout:?} is longer than the {max:?} allowed")]
    InvalidDrainTimeout {
        /// The deadline given.
        timeout: Duration,
        /// The limit.
        max: Duration,
    },
    /// The core is not one this process may run on. Checked before any agent code runs.
    #[error("core {core} is not in this process's allowed set {allowed:?}")]
    CoreNotAllowed {
        /// The core asked for.
        core: usize,
        /// The cores this process may use.
        allowed: Vec<usize>,
    },
    /// The OS refused to spawn the thread, or to set it up (affinity, timer slack).
    #[error("could not {step}")]
    Thread {
        /// The step that failed.
        step: ThreadStep,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The agent thread ended before the agent was built: a panic in the runner's own set-up
    /// code, which catches every panic of agent code. It carries the panic's message.
    #[error("the agent thread ended before the agent started: {message}")]
    ThreadPanicked {
        /// The panic's message.
        message: String,
    },
    /// The factory returned an error or panicked; there is no agent.
    #[error("agent factory for {name:?} failed")]
    Factory {
        /// The runner's name, or `"agent"` when none was given.
        name: String,
        /// How it failed.
        #[source]
        failure: AgentFailure,
    },
    /// `on_start` returned an error or panicked; `on_close` has run and the agent has been
    /// dropped, on the agent thread. The report says how those went.
    #[error("{report}")]
    OnStart {
        /// The agent's report: its role, [`Ending::StartFailed`](crate::Ending::StartFailed) with
        /// how `on_start` failed, and how `on_close` and `Drop` went.
        report: Box<AgentReport>,
    },
}

/// The step of starting an agent thread that the OS refused ([`StartError::Thread`]).
///
/// # Examples
///
/// ```
/// use dutycycle::{StartError, ThreadStep};
///
/// let err = StartError::Thread {
///     step: ThreadStep::Pin { core: 3 },
///     source: std::io::Error::from_raw_os_error(22),
/// };
/// assert_eq!(err.to_string(), "could not pin the agent thread to core 3");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadStep {
    /// Reading which cores this process may run on (for [`core`](crate::AgentRunnerBuilder::core)).
    ReadAllowedCores,
    /// Spawning the thread.
    Spawn,
    /// Pinning the thread to a core.
    Pin {
        /// The core.
        core: usize,
    },
    /// Setting the thread's timer slack.
    SetTimerSlack {
        /// The slack asked for.
        slack: Duration,
    },
}

impl fmt::Display for ThreadStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadStep::ReadAllowedCores => f.write_str("read the cores this process may run on"),
            ThreadStep::Spawn => f.write_str("spawn the agent thread"),
            ThreadStep::Pin { core } => write!(f, "pin the agent thread to core {core}"),
            ThreadStep::SetTimerSlack { slack } => {
                write!(f, "set the agent thread's timer slack to {slack:?}")
            }
        }
    }
}

impl StartError {
    /// How the agent's own code failed, for [`StartError::Factory`] and
    /// [`StartError::OnStart`].
    pub fn agent_failure(&self) -> Option<&AgentFailure> {
        match self {
            StartError::Factory { failure, .. } => Some(failure),
            StartError::OnStart { report } => match report.ending() {
                crate::Ending::StartFailed(failure) => Some(failure),
                _ => None,
            },
            _ => None,
        }
    }
}

/// An agent that did not end cleanly: a failure ended it, it panicked, its drain was cut short
/// by the deadline, or its `on_close` or `Drop` failed. [`AgentFailed::report`] has the whole
/// account.
///
/// Its `Display` says what failed; its [`source`](std::error::Error::source) is the first
/// failure, an [`AgentFailure`]: the one that ended the agent ([`Ending::Failed`],
/// [`Ending::StartFailed`]), else `on_close`'s, else `Drop`'s. Failures after the first are
/// named in the `Display`, so that a reporter walking the chain prints each once.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentFailure, AgentRunner};
///
/// struct Leaky;
/// impl Agent for Leaky {
///     fn role_name(&self) -> &str { "leaky" }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Err(AgentError::terminate()) }
///     fn on_close(&mut self) -> Result<(), AgentError> { Err(AgentError::msg("flush failed")) }
/// }
///
/// let failed = AgentRunner::start(|| Ok(Leaky))?.join().unwrap_err();
/// assert_eq!(failed.report().close_failure().unwrap().to_string(), "flush failed");
/// assert_eq!(failed.to_string(), "agent \"leaky\" ended itself, then its on_close failed");
/// let cause = std::error::Error::source(&failed).unwrap();
/// assert_eq!(cause.to_string(), "flush failed");
/// assert!(cause.downcast_ref::<AgentFailure>().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AgentFailed {
    report: Box<AgentReport>,
}

impl AgentFailed {
    pub(crate) fn new(report: AgentReport) -> Self {
        AgentFailed { report: Box::new(report) }
    }

    /// The agent's report.
    pub fn report(&self) -> &AgentReport {
        &self.report
    }

    /// The agent's report, by value.
    pub fn into_report(self) -> AgentReport {
        *self.report
    }
}

impl AgentFailed {
    /// The failure that ended the agent, if one did.
    fn ending_failure(&self) -> Option<&AgentFailure> {
        match &self.report.ending {
            Ending::Failed(failure) | Ending::StartFailed(failure) => Some(failure),
            _ => None,
        }
    }

    /// The first failure: the `source()`.
    fn first_failure(&self) -> Option<&AgentFailure> {
        self.ending_failure().or(self.report.close_failure.as_ref()).or(self.report.drop_failure.as_ref())
    }
}

impl fmt::Display for AgentFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = &*self.report;
        write!(f, "agent {:?} ", report.role)?;
        match &report.ending {
            Ending::Failed(_) => f.write_str("failed")?,
            Ending::StartFailed(_) => f.write_str("failed to start")?,
            // A panic's message is not an error of its own: it is said here.
            Ending::Panicked(message) => write!(f, "panicked: {message}")?,
            ending => write!(f, "{ending}")?,
        }
        if report.drain.is_cut_short() {
            write!(f, ", {}", report.drain)?;
        }
        let first = self.first_failure().map(|failure| failure as *const AgentFailure);
        let is_first = |failure: &AgentFailure| first == Some(failure as *const AgentFailure);
        if let Some(failure) = &report.close_failure {
            if is_first(failure) {
                f.write_str(", then its on_close failed")?;
            } else {
                write!(f, "; on_close failed: {failure}")?;
            }
        }
        if let Some(failure) = &report.drop_failure {
            if is_first(failure) {
                f.write_str(", then its drop failed")?;
            } else {
                write!(f, "; drop failed: {failure}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for AgentFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.first_failure().map(|failure| failure as &(dyn std::error::Error + 'static))
    }
}

/// Why [`AgentRunner::close_timeout`] did not return a clean report.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    /// The agent did not finish in time.
    #[error(transparent)]
    TimedOut(CloseTimedOut),
    /// The agent finished, but not cleanly.
    #[error(transparent)]
    Failed(AgentFailed),
}

/// The agent did not finish within the timeout of [`AgentRunner::close_timeout`].
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, CloseError};
///
/// use std::sync::mpsc::{channel, Receiver, Sender};
///
/// struct Stuck(Sender<()>, Receiver<()>);
/// impl Agent for Stuck {
///     fn role_name(&self) -> &str { "stuck" }
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         let _ = self.0.send(()); // "I am in do_work"
///         let _ = self.1.recv(); // blocks until unstuck
///         Ok(0)
///     }
/// }
///
/// let (entered_tx, entered) = channel();
/// let (unstick, rx) = channel();
/// let runner = AgentRunner::start(move || Ok(Stuck(entered_tx, rx)))?;
/// entered.recv()?;
/// let Err(CloseError::TimedOut(timed_out)) = runner.close_timeout(Duration::from_millis(10)) else {
///     panic!("the agent is stuck in do_work")
/// };
/// assert_eq!(timed_out.role(), "stuck");
/// let runner = timed_out.into_runner(); // wait again, this time after unsticking it
/// unstick.send(())?;
/// assert!(runner.join()?.is_clean());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Its stop has been requested, so it stops as soon as its current call into the agent returns.
/// This value still owns the runner: [`into_runner`](CloseTimedOut::into_runner) gives it back to
/// wait again. Dropped, it **detaches** the thread instead of blocking: the thread goes on until
/// the agent's current call returns, then runs `on_close` and drops the agent on that same
/// thread, as always, and its report is discarded. A detached thread still running when the
/// process exits is ended with it, and its agent is then never closed.
#[derive(Debug)]
pub struct CloseTimedOut {
    pub(crate) role: String,
    pub(crate) timeout: Duration,
    pub(crate) runner: Option<AgentRunner>,
}

impl CloseTimedOut {
    /// The role of the agent that did not finish.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The runner, to wait for it again (`join`, `close_timeout`).
    pub fn into_runner(mut self) -> AgentRunner {
        self.runner.take().expect("the runner is only taken here")
    }
}

impl fmt::Display for CloseTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "agent {:?} did not finish within {:?} of being asked to stop", self.role, self.timeout)
    }
}

impl std::error::Error for CloseTimedOut {}

impl Drop for CloseTimedOut {
    fn drop(&mut self) {
        if let Some(runner) = self.runner.take() {
            runner.detach();
        }
    }
}
