//! [`AgentReport`]: how an agent's life ended, and its figures.

use std::fmt;

use crate::{AgentFailure, DutyCycleStats};

/// How an agent ended.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner, Ending};
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
    /// It was asked to stop: its termination latch was signalled or its runner closed.
    Signalled,
    /// It ended itself by returning [`AgentError::terminate`](crate::AgentError::terminate).
    Terminated,
    /// `do_work`, the error handler or the idle strategy panicked; `on_close` still ran on the
    /// agent thread.
    Panicked(String),
    /// It did not start: `on_start` failed (this failure), and `on_close` ran.
    StartFailed(AgentFailure),
}

impl Ending {
    /// Whether the agent stopped as asked or ended itself: no panic, no start failure.
    pub fn is_normal(&self) -> bool {
        matches!(self, Ending::Signalled | Ending::Terminated)
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Signalled => f.write_str("stopped on signal"),
            Ending::Terminated => f.write_str("ended itself"),
            Ending::Panicked(message) => write!(f, "panicked: {message}"),
            Ending::StartFailed(failure) => write!(f, "failed to start: {failure}"),
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
/// assert_eq!(report.duty_cycles(), 2);
/// assert!(report.is_clean());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AgentReport {
    pub(crate) role: String,
    pub(crate) thread_name: String,
    pub(crate) ending: Ending,
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

    /// Duty cycles completed.
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

    /// Whether the agent ended normally and `on_close` and `Drop` succeeded. Errors that
    /// `do_work` returned and the error handler took do not count against it.
    pub fn is_clean(&self) -> bool {
        self.ending.is_normal() && self.close_failure.is_none() && self.drop_failure.is_none()
    }
}

impl fmt::Display for AgentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ending {
            Ending::StartFailed(_) => write!(f, "{}: {}", self.role, self.ending)?,
            _ => write!(f, "{}: {} after {}", self.role, self.ending, self.stats)?,
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
