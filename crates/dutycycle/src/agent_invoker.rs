//! [`AgentInvoker`]: an agent driven from the caller's own loop.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::error_handler::print_error;
use crate::{Agent, AgentError, AgentFailure, ErrorAction};

/// Drives an [`Agent`] from the caller's thread and loop, with no thread and no idle
/// strategy of its own (Agrona's `AgentInvoker`): for an agent that shares a thread with
/// something else, or that a test steps call by call.
///
/// [`start`](AgentInvoker::start), [`invoke`](AgentInvoker::invoke) and
/// [`close`](AgentInvoker::close) are idempotent and follow the agent contract: a failing
/// `on_start` is reported and the agent closed; an error from `do_work` goes to the error
/// handler and is counted, and closes the agent when the handler returns
/// [`ErrorAction::Stop`]; [`AgentError::terminate`] closes the agent, and so does
/// [`AgentError::fail`] (counted, kept as the [`failure`](AgentInvoker::failure), not passed
/// to the handler). Dropping a started
/// invoker that is not yet closed closes it, so `on_close` runs even when the caller's loop
/// panics. Panics in agent code are not caught: they unwind into the caller, who owns the
/// thread. The one exception is a drop during such a panic: then a panic in `on_close` (or in
/// the error handler) would abort the process, so it is caught, and a panic of `on_close`
/// goes to the error handler as an error ("panicked: ...").
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentInvoker};
///
/// #[derive(Default)]
/// struct Echo { polls: u32, closed: bool }
/// impl Agent for Echo {
///     fn do_work(&mut self) -> Result<usize, AgentError> { self.polls += 1; Ok(0) }
///     fn on_close(&mut self) -> Result<(), AgentError> { self.closed = true; Ok(()) }
/// }
///
/// let mut invoker = AgentInvoker::new(Echo::default());
/// assert_eq!(invoker.invoke(), 0); // not started: does nothing
/// invoker.start();
/// invoker.start(); // idempotent
/// for _ in 0..3 { invoker.invoke(); }
/// invoker.close();
/// assert_eq!(invoker.invoke(), 0);
/// assert_eq!(invoker.agent().polls, 3);
/// assert!(invoker.agent().closed);
/// ```
///
/// `H` is the error handler's type (the same shape as a runner's, see [`ErrorAction`]), so an
/// invoker is `Send` exactly when its agent and handler are, and a handler on the caller's
/// thread may hold an `Rc`.
pub struct AgentInvoker<A: Agent, H = fn(&str, &AgentError) -> ErrorAction>
where
    H: FnMut(&str, &AgentError) -> ErrorAction,
{
    agent: A,
    state: State,
    errors: u64,
    failure: Option<AgentError>,
    error_handler: H,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    Running,
    Closed,
}

impl<A: Agent> AgentInvoker<A> {
    /// An invoker for `agent`; errors go to stderr, one line each with the role name.
    pub fn new(agent: A) -> Self {
        AgentInvoker { agent, state: State::New, errors: 0, failure: None, error_handler: print_error }
    }
}

impl<A: Agent, H: FnMut(&str, &AgentError) -> ErrorAction> AgentInvoker<A, H> {
    /// An invoker for `agent` whose errors go to `handler`, with the role name; the handler's
    /// [`ErrorAction`] says whether the agent goes on.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use dutycycle::{Agent, AgentError, AgentInvoker, ErrorAction};
    ///
    /// struct Flaky;
    /// impl Agent for Flaky {
    ///     fn role_name(&self) -> &str { "flaky" }
    ///     fn do_work(&mut self) -> Result<usize, AgentError> { Err(AgentError::msg("timeout")) }
    /// }
    ///
    /// let seen = Rc::new(RefCell::new(Vec::new()));
    /// let log = Rc::clone(&seen);
    /// let mut invoker = AgentInvoker::with_error_handler(Flaky, move |role, err| {
    ///     log.borrow_mut().push(format!("{role}: {err}"));
    ///     ErrorAction::Continue
    /// });
    /// invoker.start();
    /// invoker.invoke();
    /// assert_eq!(*seen.borrow(), ["flaky: timeout"]);
    /// assert_eq!(invoker.error_count(), 1);
    /// ```
    pub fn with_error_handler(agent: A, handler: H) -> Self {
        AgentInvoker { agent, state: State::New, errors: 0, failure: None, error_handler: handler }
    }

    /// Starts the agent (`on_start`), once. If it fails, the error is reported and the agent
    /// closed; [`is_closed`](AgentInvoker::is_closed) then says so.
    pub fn start(&mut self) {
        if self.state != State::New {
            return;
        }
        self.state = State::Running;
        if let Err(error) = self.agent.on_start() {
            self.report(error);
            self.close();
        }
    }

    /// One duty cycle: calls `do_work` and returns its work count; 0 when the agent is not
    /// running. On [`AgentError::terminate`], and on an error for which the handler returns
    /// [`ErrorAction::Stop`], the agent is closed.
    #[inline]
    pub fn invoke(&mut self) -> usize {
        if self.state != State::Running {
            return 0;
        }
        match self.agent.do_work() {
            Ok(work) => work,
            Err(error) if error.is_terminate() => {
                self.close();
                0
            }
            Err(error) => {
                if self.report(error) {
                    self.close();
                }
                0
            }
        }
    }

    /// Closes the agent (`on_close`), once; an error is reported. Closing an invoker that was
    /// never started does not call `on_close`.
    pub fn close(&mut self) {
        let was = std::mem::replace(&mut self.state, State::Closed);
        if was == State::Running {
            if let Err(error) = self.agent.on_close() {
                self.report(error);
            }
        }
    }

    /// Whether the agent has started and not yet closed.
    pub fn is_running(&self) -> bool {
        self.state == State::Running
    }

    /// Whether the agent is closed.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Errors reported so far (from `on_start`, `do_work` and `on_close`).
    pub fn error_count(&self) -> u64 {
        self.errors
    }

    /// The first error for which the error handler returned [`ErrorAction::Stop`], or that the
    /// agent returned as [`AgentError::fail`]: the cause the agent was closed for, if it was.
    pub fn failure(&self) -> Option<&AgentError> {
        self.failure.as_ref()
    }

    /// The agent.
    pub fn agent(&self) -> &A {
        &self.agent
    }

    /// The agent, mutably.
    pub fn agent_mut(&mut self) -> &mut A {
        &mut self.agent
    }

    /// Counts `error` and passes it to the handler, unless it is a failure (which ends the
    /// agent without asking). Returns whether it ends the agent (then kept as the
    /// [`failure`](AgentInvoker::failure)).
    fn report(&mut self, error: AgentError) -> bool {
        if error.is_terminate() {
            return false;
        }
        self.errors += 1;
        if error.is_failure() {
            self.failure.get_or_insert(error);
            return true;
        }
        match (self.error_handler)(self.agent.role_name(), &error) {
            ErrorAction::Continue => false,
            ErrorAction::Stop => {
                self.failure.get_or_insert(error);
                true
            }
        }
    }
}

impl<A: Agent, H: FnMut(&str, &AgentError) -> ErrorAction> Drop for AgentInvoker<A, H> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.close();
            return;
        }
        // A panic of the caller's unwinds through here: a second panic would abort the
        // process. So `on_close` and the error handler are called under `catch_unwind`; a
        // panic of `on_close` goes to the handler as an error, one of the handler is dropped.
        let was = std::mem::replace(&mut self.state, State::Closed);
        if was != State::Running {
            return;
        }
        let error = match panic::catch_unwind(AssertUnwindSafe(|| self.agent.on_close())) {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error,
            Err(payload) => AgentError::new(AgentFailure::from_panic(payload)),
        };
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| self.report(error))) {
            drop(AgentFailure::from_panic(payload));
        }
    }
}

impl<A: Agent, H: FnMut(&str, &AgentError) -> ErrorAction> fmt::Debug for AgentInvoker<A, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentInvoker")
            .field("role", &self.agent.role_name())
            .field("state", &self.state)
            .field("errors", &self.errors)
            .finish()
    }
}
