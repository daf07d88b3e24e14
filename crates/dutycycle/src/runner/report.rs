//! [`AgentReport`]: how an agent's life ended, and its figures.

use std::fmt;

use crate::{AgentFailure, Drain, DutyCycleStats};

/// Who or what ended an agent. How its end went (`on_close`, `Drop`) is beside it in the
/// [`AgentReport`].
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination, Ending};
///
/// struct Idle;
/// impl Agent for Idle {
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let report = AgentRunner::start(|| Ok(Idle))?.close()?;
/// assert!(matches!(report.ending(), Ending::Closed));
/// assert_eq!(report.ending().to_string(), "closed by its runner");
///
/// let termination = AgentTermination::new();
/// let runner = AgentRunner::builder().termination(termination.clone()).start(|| Ok(Idle))?;
/// termination.signal();
/// let report = runner.join()?;
/// assert!(matches!(report.ending(), Ending::LatchSignalled { signal: None }));
/// assert_eq!(report.ending().to_string(), "its termination latch was signalled");
///
/// struct Fragile;
/// impl Agent for Fragile {
///     fn do_work(&mut self) -> Result<usize, AgentError> { panic!("feed corrupted") }
/// }
///
/// let failed = AgentRunner::start(|| Ok(Fragile))?.join().unwrap_err();
/// assert!(matches!(failed.report().ending(), Ending::Panicked(m) if m == "feed corrupted"));
/// assert!(!failed.report().ending().is_normal());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Ending {
    /// Its runner stopped it: [`close`](crate::AgentRunner::close),
    /// [`close_timeout`](crate::AgentRunner::close_timeout),
    /// [`request_stop`](crate::AgentRunner::request_stop), or the runner dropped.
    Closed,
    /// Its [`AgentTermination`](crate::AgentTermination) latch was signalled, by
    /// [`signal`](crate::AgentTermination::signal) (`signal: None`) or by the process signal
    /// `signal` through [`from_signals`](crate::AgentTermination::from_signals). A stop asked
    /// for by the runner and by the latch at once reports whichever came first.
    LatchSignalled {
        /// The signal's number (SIGINT = 2, SIGTERM = 15) when a process signal signalled the
        /// latch.
        signal: Option<i32>,
    },
    /// It ended itself by returning [`AgentError::terminate`](crate::AgentError::terminate).
    Terminated,
    /// A failure ended it: `do_work` returned [`AgentError::fail`](crate::AgentError::fail)
    /// (the agent ended itself with this cause), or the error handler returned
    /// [`ErrorAction::Stop`](crate::ErrorAction::Stop) for this error of `do_work`;
    /// `on_close` still ran on the agent thread. The cause is typed:
    /// [`AgentFailure::error`] then [`AgentError::downcast_ref`](crate::AgentError::downcast_ref).
    Failed(AgentFailure),
    /// `do_work`, the error handler or the idle strategy panicked; `on_close` still ran on the
    /// agent thread.
    Panicked(String),
    /// It did not start: `on_start` failed (this failure), and `on_close` ran.
    StartFailed(AgentFailure),
}

impl Ending {
    /// Whether the agent stopped as asked or ended itself: no failure, no panic, no start
    /// failure.
    pub fn is_normal(&self) -> bool {
        matches!(self, Ending::Closed | Ending::LatchSignalled { .. } | Ending::Terminated)
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Closed => f.write_str("closed by its runner"),
            Ending::LatchSignalled { signal: None } => f.write_str("its termination latch was signalled"),
            Ending::LatchSignalled { signal: Some(signal) } => {
                write!(f, "its termination latch was signalled ({})", SignalName(*signal))
            }
            Ending::Terminated => f.write_str("ended itself"),
            Ending::Failed(failure) => write!(f, "failed: {failure}"),
            Ending::Panicked(message) => write!(f, "panicked: {message}"),
            Ending::StartFailed(failure) => write!(f, "failed to start: {failure}"),
        }
    }
}

/// `SIGINT`, `SIGTERM`, or `signal 10`.
struct SignalName(i32);

impl fmt::Display for SignalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            libc::SIGINT => f.write_str("SIGINT"),
            libc::SIGTERM => f.write_str("SIGTERM"),
            n => write!(f, "signal {n}"),
        }
    }
}

/// The account of one agent's life, given by [`AgentRunner::join`](crate::AgentRunner::join)
/// (and its kin) once the agent thread has closed and dropped the agent.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner, Ending};
///
/// struct Three { n: u32 }
/// impl Agent for Three {
///     fn role_name(&self) -> &str { "three" }
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         self.n += 1;
///         if self.n == 3 { Err(AgentError::terminate()) } else { Ok(1) }
///     }
/// }
///
/// let report = AgentRunner::start(|| Ok(Three { n: 0 }))?.join()?;
/// assert_eq!(report.role(), "three");
/// assert!(matches!(report.ending(), Ending::Terminated));
/// assert_eq!(report.duty_cycles(), 3); // every do_work call, the one that ended it too
/// assert!(report.is_clean());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AgentReport {
    pub(crate) role: String,
    pub(crate) thread_name: String,
    pub(crate) ending: Ending,
    pub(crate) drain: Drain,
    pub(crate) stats: DutyCycleStats,
    pub(crate) close_failure: Option<AgentFailure>,
    pub(crate) drop_failure: Option<AgentFailure>,
}

impl AgentReport {
    /// The agent's [`role_name`](crate::Agent::role_name).
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The agent thread's name as the OS shows it (at most 15 bytes).
    pub fn thread_name(&self) -> &str {
        &self.thread_name
    }

    /// How the agent ended.
    pub fn ending(&self) -> &Ending {
        &self.ending
    }

    /// How the agent's drain went: whether it finished what it held before `on_close`, or
    /// the deadline cut it short.
    pub fn drain(&self) -> &Drain {
        &self.drain
    }

    /// Duty cycles completed: every `do_work` call that returned (see
    /// [`DutyCycleStats::duty_cycles`]).
    pub fn duty_cycles(&self) -> u64 {
        self.stats.duty_cycles
    }

    /// Errors `do_work` returned (passed to the error handler).
    pub fn errors(&self) -> u64 {
        self.stats.errors
    }

    /// All final duty-cycle figures.
    pub fn stats(&self) -> &DutyCycleStats {
        &self.stats
    }

    /// How `on_close` failed, if it did.
    pub fn close_failure(&self) -> Option<&AgentFailure> {
        self.close_failure.as_ref()
    }

    /// How the agent's `Drop` failed (it panicked), if it did.
    pub fn drop_failure(&self) -> Option<&AgentFailure> {
        self.drop_failure.as_ref()
    }

    /// Whether the agent ended normally, its drain was not cut short by the deadline, and
    /// `on_close` and `Drop` succeeded. Errors that `do_work` returned and the error handler
    /// took do not count against it. A drain cut short counts: the agent closed holding work.
    pub fn is_clean(&self) -> bool {
        self.ending.is_normal()
            && !self.drain.is_cut_short()
            && self.close_failure.is_none()
            && self.drop_failure.is_none()
    }
}

impl fmt::Display for AgentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ending {
            Ending::StartFailed(_) => write!(f, "{}: {}", self.role, self.ending)?,
            _ => write!(f, "{}: {} after {}", self.role, self.ending, self.stats)?,
        }
        if self.drain != Drain::NotRequested {
            write!(f, "; {}", self.drain)?;
        }
        if let Some(failure) = &self.close_failure {
            write!(f, "; on_close failed: {failure}")?;
        }
        if let Some(failure) = &self.drop_failure {
            write!(f, "; drop failed: {failure}")?;
        }
        Ok(())
    }
}
