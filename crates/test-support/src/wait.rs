//! Waiting with a deadline that only a failing test reaches.

use std::time::{Duration, Instant};

/// Long enough for anything a test waits on, even on a loaded 2-CPU machine; a test that hits
/// it has failed.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Polls `condition` every millisecond until it holds, failing the test (panicking, naming
/// `what`) after [`PATIENCE`].
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::wait::eventually;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let done = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&done);
/// std::thread::spawn(move || flag.store(true, Ordering::Release));
/// eventually("the thread ran", || done.load(Ordering::Acquire));
/// ```
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `agent`'s `do_work`, one cycle a millisecond, until a cycle returns an error of type
/// `E` for which `last` holds, failing the test after [`PATIENCE`] (naming the errors of type
/// `E` seen). Returns every error of type `E` the cycles returned, in order, `last` included,
/// in their `Debug` form; errors of other types (the agent's own) are passed over.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError};
/// use dutycycle_test_support::wait::errors_until;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("countdown at {0}")]
/// struct Countdown(u32);
///
/// /// Fails every cycle: with its own message on odd ones, with a `Countdown` on even ones.
/// struct Failing(u32);
/// impl Agent for Failing {
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         self.0 -= 1;
///         match self.0 % 2 {
///             0 => Err(AgentError::new(Countdown(self.0))),
///             _ => Err(AgentError::msg("odd")),
///         }
///     }
/// }
///
/// let seen = errors_until(&mut Failing(7), |e: &Countdown| e.0 == 2);
/// assert_eq!(seen, ["Countdown(6)", "Countdown(4)", "Countdown(2)"]);
/// ```
pub fn errors_until<E, A>(agent: &mut A, mut last: impl FnMut(&E) -> bool) -> Vec<String>
where
    E: std::error::Error + 'static,
    A: dutycycle::Agent,
{
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "timed out; the errors of the kind waited for seen: {seen:?}");
        if let Err(error) = agent.do_work() {
            if let Some(error) = error.downcast_ref::<E>() {
                seen.push(format!("{error:?}"));
                if last(error) {
                    return seen;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
