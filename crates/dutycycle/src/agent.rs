//! The [`Agent`] trait and the error type its methods return.

use std::error::Error as StdError;
use std::fmt;

/// A unit of work polled in a duty cycle, after Agrona's `org.agrona.concurrent.Agent`.
///
/// An agent is driven by an [`AgentRunner`](crate::AgentRunner) on a thread of its own, by an
/// [`AgentInvoker`](crate::AgentInvoker) on the caller's thread, or inside a composite. Whoever
/// drives it follows one contract:
///
/// 1. [`on_start`](Agent::on_start) is called once, before any work.
/// 2. [`do_work`](Agent::do_work) is called over and over (the *duty cycle*). It returns how
///    much work it did: `0` means "nothing to do", and the idle strategy then backs off; more
///    than `0` means work was done, and the idle strategy resets. An `Err` goes to the error
///    handler, whose [`ErrorAction`](crate::ErrorAction) says whether the cycle goes on,
///    unless it is [`AgentError::terminate`], which ends the agent on purpose (Agrona's
///    `AgentTerminationException`), or [`AgentError::fail`], which ends it with that cause.
/// 3. When a stop is asked for (the runner's `close`, `close_timeout`, `request_stop` or drop,
///    or its [`AgentTermination`](crate::AgentTermination) latch, which SIGINT and SIGTERM
///    signal through `from_signals`), the agent **drains**: [`on_drain`](Agent::on_drain) is
///    called once (stop taking new work), then `do_work` goes on being called, with the idle
///    strategy between calls, until [`is_drained`](Agent::is_drained) says the agent holds
///    nothing more or the runner's [drain deadline](crate::AgentRunnerBuilder::drain_timeout)
///    passes. `is_drained` is asked before each of these `do_work` calls, the first time right
///    after `on_drain`. The report's [`Drain`](crate::Drain) says which of the two ended it.
/// 4. [`on_close`](Agent::on_close) is called once at the end, **also when `on_start` failed,
///    `do_work` panicked or the drain was cut short**, so that the agent can release what it
///    holds. Then the agent is dropped.
///
/// In short: `on_start → do_work* → [on_drain → do_work* until is_drained or the deadline] →
/// on_close → drop`. The bracketed part happens only after a stop request, and only when the
/// drain deadline is not zero; an agent that ends itself (`terminate`), fails or panics goes
/// straight to `on_close`. An agent that keeps the defaults (`on_drain` does nothing,
/// `is_drained` is `true`) gets `on_drain` and then `on_close` at once, with no `do_work` in
/// between: it closes as promptly as if drains did not exist.
///
/// A stop request that comes while the agent drains (a second `close` or `request_stop`, the
/// latch after a `close`, a signal after a `close`) changes nothing: the drain goes on to its
/// end or its deadline, and the first request stays the report's cause. Bounds shorter than
/// the drain deadline are the caller's: [`close_timeout`](crate::AgentRunner::close_timeout)
/// gives the caller back its thread (its bound covers the drain and `on_close`), and with
/// [`from_signals`](crate::AgentTermination::from_signals) a second SIGINT or SIGTERM ends the
/// process at once.
///
/// While it drains, `do_work` and `on_drain` may still return [`AgentError::terminate`] or
/// [`AgentError::fail`] (the drain ends and the agent closes), an error (to the error handler,
/// as before) or panic (the agent closes);
/// the report's [`Drain::Interrupted`](crate::Drain::Interrupted) then says the drain did not
/// finish.
///
/// Every method but `do_work` has a default: the hooks do nothing, `is_drained` is `true`.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentInvoker};
///
/// struct Counter { count: u64 }
///
/// impl Agent for Counter {
///     fn role_name(&self) -> &str { "counter" }
///     fn do_work(&mut self) -> Result<usize, AgentError> {
///         self.count += 1;
///         if self.count == 3 { return Err(AgentError::terminate()); }
///         Ok(1)
///     }
/// }
///
/// let mut invoker = AgentInvoker::new(Counter { count: 0 });
/// invoker.start();
/// while invoker.is_running() {
///     invoker.invoke();
/// }
/// assert_eq!(invoker.agent().count, 3);
/// assert!(invoker.is_closed());
/// ```
pub trait Agent {
    /// Called once before the first [`do_work`](Agent::do_work). An `Err` (or a panic) means
    /// the agent did not start: [`on_close`](Agent::on_close) is still called, then the agent
    /// is dropped, and whoever started it is told why.
    fn on_start(&mut self) -> Result<(), AgentError> {
        Ok(())
    }

    /// One turn of the duty cycle: do what there is to do without blocking and return how
    /// much that was (`0` for nothing).
    fn do_work(&mut self) -> Result<usize, AgentError>;

    /// Called once, on the agent's thread, when a graceful stop begins: stop taking new work
    /// (stop polling for new requests, refuse new orders, unsubscribe from new input) and keep
    /// what is in hand, which the `do_work` calls that follow finish. It is not called when
    /// the agent ends itself, fails or panics, nor when the runner's drain deadline is zero.
    ///
    /// An `Err` is handled like one from `do_work`: it goes to the error handler, and the
    /// drain goes on unless the handler returns [`ErrorAction::Stop`](crate::ErrorAction::Stop);
    /// [`AgentError::terminate`] and [`AgentError::fail`] end the drain and the agent (a
    /// composite's, when one of its sub-agents returns them); a panic ends the agent like a
    /// panic in `do_work`. Either way `on_close` still runs.
    ///
    /// # Examples
    ///
    /// A gateway that answers the requests it has accepted before it closes:
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use dutycycle::{Agent, AgentError, AgentRunner, Drain};
    ///
    /// struct Gateway { accepting: bool, in_flight: VecDeque<u64>, answered: u64 }
    ///
    /// impl Agent for Gateway {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         if self.accepting { self.in_flight.push_back(self.answered); } // a new request
    ///         match self.in_flight.pop_front() {
    ///             Some(_) => { self.answered += 1; Ok(1) }
    ///             None => Ok(0),
    ///         }
    ///     }
    ///     fn on_drain(&mut self) -> Result<(), AgentError> {
    ///         self.accepting = false; // no new requests; answer the ones in hand
    ///         Ok(())
    ///     }
    ///     fn is_drained(&self) -> bool { self.in_flight.is_empty() }
    /// }
    ///
    /// let gateway = || Ok(Gateway { accepting: true, in_flight: VecDeque::from([1, 2, 3]), answered: 0 });
    /// let report = AgentRunner::start(gateway)?.close()?;
    /// assert!(matches!(report.drain(), Drain::Completed { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn on_drain(&mut self) -> Result<(), AgentError> {
        Ok(())
    }

    /// Whether the agent holds no more work: asked on the agent's thread after
    /// [`on_drain`](Agent::on_drain) and before each `do_work` of the drain; the first `true`
    /// ends the drain and the agent is closed. The default, `true`, says that an agent holds
    /// nothing between two `do_work` calls, so it closes as soon as it is asked to stop.
    ///
    /// Keep it cheap (it is asked once per duty cycle while draining) and make it say `true`
    /// eventually: an agent that never drains is closed at the drain deadline, and its report
    /// says [`Drain::DeadlineExceeded`](crate::Drain::DeadlineExceeded), which is not clean.
    fn is_drained(&self) -> bool {
        true
    }

    /// Called once when the agent stops, whatever the reason: release resources here. After
    /// a drain, whether it finished or its deadline cut it short.
    fn on_close(&mut self) -> Result<(), AgentError> {
        Ok(())
    }

    /// The agent's role, used in reports, error messages and, when the runner is not given a
    /// name, as its thread's name.
    fn role_name(&self) -> &str {
        "agent"
    }
}

impl<A: Agent + ?Sized> Agent for Box<A> {
    fn on_start(&mut self) -> Result<(), AgentError> {
        (**self).on_start()
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        (**self).do_work()
    }

    fn on_drain(&mut self) -> Result<(), AgentError> {
        (**self).on_drain()
    }

    fn is_drained(&self) -> bool {
        (**self).is_drained()
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        (**self).on_close()
    }

    fn role_name(&self) -> &str {
        (**self).role_name()
    }
}

/// The error an [`Agent`] method (or an agent factory) returns.
///
/// Any `std::error::Error + Send + Sync + 'static` converts into it with `?`: such an error
/// goes to the error handler, which decides whether the agent goes on.
/// [`AgentError::terminate`] is the request to end the agent, and [`AgentError::fail`] ends it
/// with a cause, whatever the error handler would say. Like `anyhow::Error`, this type
/// does not itself implement `std::error::Error` (that would make the blanket `From`
/// impossible); it dereferences to one with [`AgentError::as_error`] and converts into
/// `Box<dyn Error + Send + Sync>`.
///
/// The `Send + Sync` bound is deliberate: an error travels from the agent thread to whoever
/// joins it, so it can never carry a non-`Send` value (an `Rc`, an Aeron handle) off the agent
/// thread.
///
/// # Examples
///
/// ```
/// use dutycycle::AgentError;
///
/// fn parse(s: &str) -> Result<usize, AgentError> {
///     Ok(s.parse::<usize>()?)
/// }
///
/// assert_eq!(parse("7").unwrap(), 7);
/// let err = parse("x").unwrap_err();
/// assert!(!err.is_terminate());
/// assert_eq!(err.to_string(), "invalid digit found in string");
/// assert!(AgentError::terminate().is_terminate());
/// ```
pub struct AgentError {
    inner: Inner,
}

enum Inner {
    Terminate,
    Error(Box<dyn StdError + Send + Sync + 'static>),
    /// An error that ends the agent: [`AgentError::fail`].
    Failure(Box<dyn StdError + Send + Sync + 'static>),
}

impl AgentError {
    /// The request to end the agent (Agrona's `AgentTerminationException`). It is not an
    /// error: it is not passed to the error handler nor counted, and the runner's report says
    /// the agent ended itself.
    pub fn terminate() -> Self {
        AgentError { inner: Inner::Terminate }
    }

    /// The agent ends itself with `cause` as its failure: returned from `do_work`, the agent
    /// is closed (`on_close`, then dropped) and a runner's report says
    /// [`Ending::Failed`](crate::Ending::Failed) with this cause, which is not a clean end;
    /// returned from `on_start`, the agent does not start
    /// ([`Ending::StartFailed`](crate::Ending::StartFailed)). The error handler is not asked
    /// (the agent has decided), but the error is counted. The cause stays typed:
    /// [`downcast_ref`](AgentError::downcast_ref) and
    /// [`as_error`](AgentError::as_error) reach it, and an
    /// [`AgentFailed`](crate::AgentFailed) gives it as its `source()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{Agent, AgentError, AgentRunner, Ending};
    ///
    /// #[derive(Debug)]
    /// struct FeedLost { feed: u32 }
    /// impl std::fmt::Display for FeedLost {
    ///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    ///         write!(f, "feed {} lost", self.feed)
    ///     }
    /// }
    /// impl std::error::Error for FeedLost {}
    ///
    /// struct Reader;
    /// impl Agent for Reader {
    ///     fn role_name(&self) -> &str { "reader" }
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         Err(AgentError::fail(FeedLost { feed: 7 }))
    ///     }
    /// }
    ///
    /// // The default error handler would go on after an error; this one ends the agent.
    /// let failed = AgentRunner::start(|| Ok(Reader))?.join().unwrap_err();
    /// let Ending::Failed(failure) = failed.report().ending() else { panic!("{failed}") };
    /// assert_eq!(failure.error().unwrap().downcast_ref::<FeedLost>().unwrap().feed, 7);
    /// assert!(!failed.report().is_clean());
    /// assert_eq!(failed.report().errors(), 1);
    /// let cause = std::error::Error::source(&failed).unwrap();
    /// assert_eq!(cause.to_string(), "feed 7 lost");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail<E>(cause: E) -> Self
    where
        E: Into<Box<dyn StdError + Send + Sync + 'static>>,
    {
        AgentError { inner: Inner::Failure(cause.into()) }
    }

    /// This error, made one that ends the agent (see [`AgentError::fail`]);
    /// [`AgentError::terminate`] stays what it is.
    ///
    /// ```
    /// use dutycycle::AgentError;
    ///
    /// let err = AgentError::msg("port taken").into_failure();
    /// assert!(err.is_failure());
    /// assert_eq!(err.to_string(), "port taken");
    /// assert!(AgentError::terminate().into_failure().is_terminate());
    /// ```
    pub fn into_failure(self) -> Self {
        match self.inner {
            Inner::Error(e) => AgentError { inner: Inner::Failure(e) },
            inner => AgentError { inner },
        }
    }

    /// Wraps an error.
    pub fn new<E>(error: E) -> Self
    where
        E: StdError + Send + Sync + 'static,
    {
        AgentError { inner: Inner::Error(Box::new(error)) }
    }

    /// An error made of a message.
    ///
    /// ```
    /// let err = dutycycle::AgentError::msg("feed lost");
    /// assert_eq!(err.to_string(), "feed lost");
    /// ```
    pub fn msg(message: impl fmt::Display) -> Self {
        AgentError::new(Message(message.to_string()))
    }

    /// Whether this is [`AgentError::terminate`].
    pub fn is_terminate(&self) -> bool {
        matches!(self.inner, Inner::Terminate)
    }

    /// Whether this error ends the agent: made by [`AgentError::fail`] or
    /// [`into_failure`](AgentError::into_failure).
    pub fn is_failure(&self) -> bool {
        matches!(self.inner, Inner::Failure(_))
    }

    /// The wrapped error, or `None` for [`AgentError::terminate`].
    pub fn as_error(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        match &self.inner {
            Inner::Terminate => None,
            Inner::Error(e) | Inner::Failure(e) => Some(&**e),
        }
    }

    /// The wrapped error downcast to `E`, if it is one.
    ///
    /// ```
    /// use dutycycle::AgentError;
    /// let err = AgentError::new(std::io::Error::other("disk"));
    /// assert_eq!(err.downcast_ref::<std::io::Error>().unwrap().to_string(), "disk");
    /// ```
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.as_error().and_then(|e| e.downcast_ref::<E>())
    }
}

impl<E> From<E> for AgentError
where
    E: StdError + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        AgentError::new(error)
    }
}

impl From<AgentError> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: AgentError) -> Self {
        match error.inner {
            Inner::Terminate => Box::new(Message("agent terminated".to_owned())),
            Inner::Error(e) | Inner::Failure(e) => e,
        }
    }
}

impl From<AgentError> for Box<dyn StdError + 'static> {
    fn from(error: AgentError) -> Self {
        Box::<dyn StdError + Send + Sync>::from(error)
    }
}

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Terminate => f.write_str("agent terminated"),
            Inner::Error(e) | Inner::Failure(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl fmt::Debug for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Terminate => f.write_str("AgentError::Terminate"),
            Inner::Error(e) => f.debug_tuple("AgentError").field(e).finish(),
            Inner::Failure(e) => f.debug_tuple("AgentError::Failure").field(e).finish(),
        }
    }
}

/// A plain message as an error.
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}
