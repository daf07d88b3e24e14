//! [`ErrorAction`]: what an error handler decides about an agent's error.

use crate::AgentError;

/// What an error handler decides about an error an agent returned: go on, or end the agent
/// with it.
///
/// A runner ([`AgentRunnerBuilder::error_handler`](crate::AgentRunnerBuilder::error_handler))
/// and an invoker ([`AgentInvoker::with_error_handler`](crate::AgentInvoker::with_error_handler))
/// take the same handler: `FnMut(&str, &AgentError) -> ErrorAction`, called with the agent's
/// [`role_name`](crate::Agent::role_name) and the error, on the thread that runs the agent.
/// The default handler prints one line naming the role to stderr (with the `tracing`
/// feature and a subscriber that takes it: logs an `ERROR` event with the role, the thread
/// and the error instead) and returns `Continue`; it never panics, also when stderr is closed
/// (the line is then lost).
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentInvoker, ErrorAction};
///
/// struct Flaky;
/// impl Agent for Flaky {
///     fn role_name(&self) -> &str { "flaky" }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Err(AgentError::msg("port taken")) }
/// }
///
/// // An error that cannot go away ends the agent.
/// let mut invoker = AgentInvoker::with_error_handler(Flaky, |_role, err| {
///     if err.to_string().contains("port taken") { ErrorAction::Stop } else { ErrorAction::Continue }
/// });
/// invoker.start();
/// invoker.invoke();
/// assert!(invoker.is_closed());
/// assert_eq!(invoker.failure().unwrap().to_string(), "port taken");
/// assert_eq!(ErrorAction::default(), ErrorAction::Continue);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ErrorAction {
    /// Go on: the error has been dealt with (logged, counted), and the next duty cycle runs.
    #[default]
    Continue,
    /// End the agent with this error as the cause: it is closed (`on_close`, then dropped)
    /// as after any other end, and a runner's report says
    /// [`Ending::Failed`](crate::Ending::Failed) with the error, which is not a clean end.
    Stop,
}

/// The default error handler: one line on stderr, the role and the error, and go on. With
/// the `tracing` feature and a subscriber that takes it, an `ERROR` event instead (target
/// `dutycycle`, fields `role`, `thread` and `error`), so that no error is lost to a program
/// that installed no subscriber. It never panics: a line that cannot be written (stderr
/// closed by the parent: `EPIPE`) is dropped, where `eprintln!` would panic and end the agent.
pub(crate) fn print_error(role: &str, error: &AgentError) -> ErrorAction {
    #[cfg(feature = "tracing")]
    if tracing::enabled!(target: "dutycycle", tracing::Level::ERROR) {
        crate::events::agent_error(role, error);
        return ErrorAction::Continue;
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{role}: {error}");
    ErrorAction::Continue
}
