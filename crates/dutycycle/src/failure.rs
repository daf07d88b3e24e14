//! [`AgentFailure`]: what went wrong in one call into an agent, an error or a panic.

use std::any::Any;
use std::error::Error as StdError;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::AgentError;

/// How a call into an agent (its factory, `on_start`, `do_work`, `on_close`, its `Drop`, the
/// error handler) failed: it returned an error, or it panicked. Runners catch panics on the
/// agent thread, so a panicking agent never takes its process down; the panic's message ends
/// up here.
///
/// # Examples
///
/// ```
/// use dutycycle::{AgentError, AgentFailure};
///
/// let failure = AgentFailure::Error(AgentError::msg("no route"));
/// assert_eq!(failure.to_string(), "no route");
/// let failure = AgentFailure::Panic("index out of bounds".into());
/// assert_eq!(failure.to_string(), "panicked: index out of bounds");
/// ```
#[derive(Debug)]
pub enum AgentFailure {
    /// The call returned this error.
    Error(AgentError),
    /// The call panicked with this message.
    Panic(String),
}

impl AgentFailure {
    /// Whether the failure is a panic.
    pub fn is_panic(&self) -> bool {
        matches!(self, AgentFailure::Panic(_))
    }

    /// The panic message, if the failure is a panic.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            AgentFailure::Panic(message) => Some(message),
            AgentFailure::Error(_) => None,
        }
    }

    /// The error, if the failure is an error.
    pub fn error(&self) -> Option<&AgentError> {
        match self {
            AgentFailure::Error(error) => Some(error),
            AgentFailure::Panic(_) => None,
        }
    }

    /// Builds a failure from the payload that `catch_unwind` returned.
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        AgentFailure::Panic(take_panic_message(payload))
    }
}

impl fmt::Display for AgentFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentFailure::Error(error) => fmt::Display::fmt(error, f),
            AgentFailure::Panic(message) => write!(f, "panicked: {message}"),
        }
    }
}

impl StdError for AgentFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            AgentFailure::Error(error) => error.as_error().and_then(|e| e.source()),
            AgentFailure::Panic(_) => None,
        }
    }
}

/// The message a panic carried: the `&str` or `String` given to `panic!`, or a placeholder.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// The message of a panic, the payload dropped without letting a panic in its own `Drop`
/// (possible with `panic_any`) unwind into the caller: such a second payload is leaked.
pub(crate) fn take_panic_message(payload: Box<dyn Any + Send>) -> String {
    let message = panic_message(&*payload);
    if let Err(second) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(second);
    }
    message
}

/// Runs `f`, turning both its error and its panic into an [`AgentFailure`].
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T, AgentError>) -> Result<T, AgentFailure> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(AgentFailure::Error(error)),
        Err(payload) => Err(AgentFailure::from_panic(payload)),
    }
}

/// Ends an agent on the calling thread: `on_close`, then its `Drop`, each caught; returns how
/// each failed, if it did.
pub(crate) fn close_and_drop<A: crate::Agent>(mut agent: A) -> (Option<AgentFailure>, Option<AgentFailure>) {
    let close = catch(|| agent.on_close()).err();
    (close, drop_caught(agent).err())
}

/// Drops `value`, catching a panic in its `Drop`.
pub(crate) fn drop_caught<T>(value: T) -> Result<(), AgentFailure> {
    panic::catch_unwind(AssertUnwindSafe(move || drop(value))).map_err(AgentFailure::from_panic)
}
