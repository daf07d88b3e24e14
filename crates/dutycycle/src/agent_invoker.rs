//! [`AgentInvoker`]: an agent driven from the caller's own loop.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::error_handler::print_error;
use crate::runner::ParkDeadline;
use crate::{Agent, AgentError, AgentFailure, Drain, ErrorAction, IdleStrategy};

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
/// to the handler). Dropping a started invoker that is not yet closed (draining or not)
/// closes it, so `on_close` runs even when the caller's loop panics. Panics in agent code are
/// not caught: they unwind into the caller, who owns the thread. The one exception is a drop
/// during such a panic: then a panic in `on_close` (or in the error handler) would abort the
/// process, so it is caught, and a panic of `on_close` goes to the error handler as an error
/// ("panicked: ...").
///
/// Draining follows the agent contract too: [`start_drain`](AgentInvoker::start_drain) calls
/// `on_drain` once, after which `invoke` goes on calling `do_work` and
/// [`is_drained`](AgentInvoker::is_drained) asks the agent whether it holds anything more, for
/// a caller that drives the drain from its own loop; or
/// [`drain_and_close`](AgentInvoker::drain_and_close) does all of it, with an idle strategy
/// and a deadline, as a runner does.
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
    /// Running, after `on_drain`.
    Draining,
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
        if !self.is_running() {
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
        if matches!(was, State::Running | State::Draining) {
            if let Err(error) = self.agent.on_close() {
                self.report(error);
            }
        }
    }

    /// Begins the drain: calls `on_drain` once, if the agent is running and not draining
    /// already; [`invoke`](AgentInvoker::invoke) then goes on calling `do_work`. An error from
    /// `on_drain` is handled like one from `do_work` (reported, and the agent closed on
    /// [`AgentError::terminate`], [`AgentError::fail`] or [`ErrorAction::Stop`]).
    pub fn start_drain(&mut self) {
        if self.state != State::Running {
            return;
        }
        self.state = State::Draining;
        if let Err(error) = self.agent.on_drain() {
            if error.is_terminate() || self.report(error) {
                self.close();
            }
        }
    }

    /// Whether the agent holds no more work: its [`is_drained`](Agent::is_drained) while it
    /// runs; `true` before it starts and once it is closed.
    pub fn is_drained(&self) -> bool {
        !self.is_running() || self.agent.is_drained()
    }

    /// Drains the agent, then closes it, on the caller's thread: [`start_drain`], then
    /// `do_work` with `idle` between calls until the agent [is drained](Agent::is_drained) or
    /// `timeout` has passed since this call (the built-in parking strategies end a park at
    /// that deadline), then [`close`]. Returns how the drain went; `Drain::NotRequested` when
    /// the agent was not running or `timeout` is zero (then it is closed at once).
    ///
    /// [`start_drain`]: AgentInvoker::start_drain
    /// [`close`]: AgentInvoker::close
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{Agent, AgentError, AgentInvoker, BackoffIdleStrategy, Drain};
    ///
    /// struct Outbox { queued: u32, accepting: bool }
    /// impl Agent for Outbox {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         if self.accepting { self.queued += 1; }
    ///         let sent = self.queued.min(1);
    ///         self.queued -= sent;
    ///         Ok(sent as usize)
    ///     }
    ///     fn on_drain(&mut self) -> Result<(), AgentError> { self.accepting = false; Ok(()) }
    ///     fn is_drained(&self) -> bool { self.queued == 0 }
    /// }
    ///
    /// let mut invoker = AgentInvoker::new(Outbox { queued: 5, accepting: true });
    /// invoker.start();
    /// invoker.invoke();
    /// let drain = invoker.drain_and_close(Duration::from_secs(5), &mut BackoffIdleStrategy::default());
    /// assert!(matches!(drain, Drain::Completed { .. }));
    /// assert!(invoker.is_closed());
    /// assert_eq!(invoker.agent().queued, 0);
    /// ```
    pub fn drain_and_close(&mut self, timeout: Duration, idle: &mut impl IdleStrategy) -> Drain {
        if !self.is_running() || timeout.is_zero() {
            self.close();
            return Drain::NotRequested;
        }
        let began = Instant::now();
        let deadline = began.checked_add(timeout);
        let _parks = deadline.map(ParkDeadline::set);
        self.start_drain();
        let drain = loop {
            if !self.is_running() {
                break Drain::Interrupted { after: began.elapsed() };
            }
            if self.agent.is_drained() {
                break Drain::Completed { took: began.elapsed() };
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break Drain::DeadlineExceeded { deadline: timeout };
            }
            let work = self.invoke();
            idle.idle(work);
        };
        self.close();
        drain
    }

    /// Whether the agent has started and not yet closed (draining counts).
    pub fn is_running(&self) -> bool {
        matches!(self.state, State::Running | State::Draining)
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
        // Running and draining alike, as in `close`: a draining agent is still open.
        let was_running = self.is_running();
        self.state = State::Closed;
        if !was_running {
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
