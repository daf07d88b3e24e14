//! [`AgentRunnerBuilder`]: a runner's options, and `start`.

use std::fmt;
use std::sync::mpsc;
use std::time::Duration;

use super::agent_thread::ThreadSetup;
use super::error::ThreadStep;
use super::state::RunnerState;
use super::stats::Published;
use super::stop_order::Seat;
use super::thread_setup as thread;
use crate::primitive::sync::Arc;
use crate::{
    Agent, AgentError, AgentRunner, AgentTermination, BackoffIdleStrategy, ErrorAction, IdleStrategy,
    StartError, Statistics, DEFAULT_DRAIN_TIMEOUT, MAX_DRAIN_TIMEOUT,
};

/// What the agent thread does with an error that `do_work` returned.
pub(super) type ErrorHandler = Box<dyn FnMut(&str, &AgentError) -> ErrorAction + Send>;

/// Options for an [`AgentRunner`]; `I` is the idle strategy's type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, ErrorAction, SleepingIdleStrategy, Statistics};
///
/// struct Poller;
/// impl Agent for Poller {
///     fn role_name(&self) -> &str { "poller" }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let runner = AgentRunner::builder()
///     .name("poller")
///     .idle_strategy(SleepingIdleStrategy::new(Duration::from_micros(100))?)
///     .timer_slack(Duration::from_micros(1))
///     .statistics(Statistics::Timed { threshold: Duration::from_millis(1) })
///     .error_handler(|role, err| {
///         eprintln!("{role}: {err}");
///         ErrorAction::Continue
///     })
///     .start(|| Ok(Poller))?;
/// let report = runner.close()?;
/// assert!(report.stats().max_cycle.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a builder does nothing until `start`"]
pub struct AgentRunnerBuilder<I = BackoffIdleStrategy> {
    name: Option<String>,
    core: Option<usize>,
    idle: I,
    termination: Option<AgentTermination>,
    error_handler: Option<ErrorHandler>,
    statistics: Statistics,
    timer_slack: Option<Duration>,
    drain_timeout: Duration,
    seat: Option<Seat>,
}

impl AgentRunnerBuilder {
    /// A builder with the defaults of [`AgentRunner::start`].
    pub fn new() -> Self {
        AgentRunnerBuilder {
            name: None,
            core: None,
            idle: BackoffIdleStrategy::default(),
            termination: None,
            error_handler: None,
            statistics: Statistics::default(),
            timer_slack: None,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            seat: None,
        }
    }
}

impl Default for AgentRunnerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl<I: IdleStrategy + Send + 'static> AgentRunnerBuilder<I> {
    /// The thread's name. Linux keeps 15 bytes: a longer name is cut at a character boundary
    /// to fit. An empty name, or one with a NUL byte, is refused by `start`
    /// ([`StartError::InvalidName`]). Without a name, the thread is named after the agent's
    /// [`role_name`](Agent::role_name), cut the same way and also at its first NUL byte; a role
    /// that leaves nothing (`""`) names the thread `agent`. A thread named after its role is
    /// named by the OS only (`/proc`, `top -H`, debuggers): the standard library, which names
    /// threads when they are spawned, before the role is known, calls it `<unnamed>` in panic
    /// messages.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Pins the thread to this CPU before any agent code runs. `start` refuses a core that is
    /// not in the process's allowed set ([`StartError::CoreNotAllowed`]).
    pub fn core(mut self, core: usize) -> Self {
        self.core = Some(core);
        self
    }

    /// The idle strategy (default [`BackoffIdleStrategy::default`]).
    pub fn idle_strategy<J: IdleStrategy + Send + 'static>(self, idle: J) -> AgentRunnerBuilder<J> {
        AgentRunnerBuilder {
            name: self.name,
            core: self.core,
            idle,
            termination: self.termination,
            error_handler: self.error_handler,
            statistics: self.statistics,
            timer_slack: self.timer_slack,
            drain_timeout: self.drain_timeout,
            seat: self.seat,
        }
    }

    /// The termination latch to stop on (default: a fresh one).
    pub fn termination(mut self, termination: AgentTermination) -> Self {
        self.termination = Some(termination);
        self
    }

    /// What to do with an error `do_work` returns, called on the agent thread with the agent's
    /// role and the error (default: one line on stderr naming the role, and go on). The
    /// handler's [`ErrorAction`] decides: [`Continue`](ErrorAction::Continue) goes on with the
    /// next duty cycle; [`Stop`](ErrorAction::Stop) ends the agent with this error as the
    /// cause: `on_close` runs and the report's ending is [`Ending::Failed`](crate::Ending::Failed),
    /// not clean. Either way the error is counted. A panic here ends the agent like a panic in
    /// `do_work`. Do not close resources from here: return [`ErrorAction::Stop`] and let
    /// `on_close` do it.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{Agent, AgentError, AgentRunner, Ending, ErrorAction};
    ///
    /// struct Publisher { tries: u32 }
    /// impl Agent for Publisher {
    ///     fn role_name(&self) -> &str { "publisher" }
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         self.tries += 1;
    ///         Err(AgentError::msg(format!("back pressure, try {}", self.tries)))
    ///     }
    /// }
    ///
    /// // Go on through two errors, end the agent on the third.
    /// let mut seen = 0;
    /// let failed = AgentRunner::builder()
    ///     .error_handler(move |_role, _err| {
    ///         seen += 1;
    ///         if seen < 3 { ErrorAction::Continue } else { ErrorAction::Stop }
    ///     })
    ///     .start(|| Ok(Publisher { tries: 0 }))?
    ///     .join()
    ///     .unwrap_err();
    /// let report = failed.report();
    /// let Ending::Failed(cause) = report.ending() else { panic!("{report}") };
    /// assert_eq!(cause.to_string(), "back pressure, try 3");
    /// assert_eq!(report.errors(), 3);
    /// assert!(!report.is_clean());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn error_handler(
        mut self,
        handler: impl FnMut(&str, &AgentError) -> ErrorAction + Send + 'static,
    ) -> Self {
        self.error_handler = Some(Box::new(handler));
        self
    }

    /// Which duty-cycle statistics to keep (default [`Statistics::Counters`]).
    pub fn statistics(mut self, statistics: Statistics) -> Self {
        self.statistics = statistics;
        self
    }

    /// The agent thread's timer slack (Linux `PR_SET_TIMERSLACK`), between 1 ns and 1 s.
    /// Linux lets a park or sleep end up to 50 µs late by default, which dominates short parks
    /// of Sleeping and Backoff strategies; a slack of 1 µs or less makes them end close to
    /// their period, at the cost of more timer interrupts. See `docs/TUNING.md`.
    pub fn timer_slack(mut self, slack: Duration) -> Self {
        self.timer_slack = Some(slack);
        self
    }

    /// How long the agent may drain when asked to stop (default [`DEFAULT_DRAIN_TIMEOUT`],
    /// 5 s): after [`on_drain`](Agent::on_drain), `do_work` goes on until
    /// [`is_drained`](Agent::is_drained) says `true` or this much time has passed since the
    /// drain began; then the agent is closed. `Duration::ZERO` means no drain: on a stop the
    /// agent is closed at once, without `on_drain`. A deadline over [`MAX_DRAIN_TIMEOUT`]
    /// (one hour) is refused by `start` ([`StartError::InvalidDrainTimeout`]).
    ///
    /// The deadline is checked before each duty cycle of the drain, and the built-in parking
    /// idle strategies end a park at the deadline, so a drain ends within one `do_work` call of
    /// its deadline; a `do_work` that blocks holds it longer, which
    /// [`close_timeout`](AgentRunner::close_timeout) bounds for the caller. An agent that keeps
    /// the default `is_drained` never waits for the deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle::{Agent, AgentError, AgentRunner, Drain, StartError};
    ///
    /// struct Outbox { queued: u32 }
    /// impl Agent for Outbox {
    ///     fn do_work(&mut self) -> Result<usize, AgentError> {
    ///         let sent = self.queued.min(1);
    ///         self.queued -= sent;
    ///         Ok(sent as usize)
    ///     }
    ///     fn is_drained(&self) -> bool { self.queued == 0 }
    /// }
    ///
    /// let report = AgentRunner::builder()
    ///     .drain_timeout(Duration::from_secs(10))
    ///     .start(|| Ok(Outbox { queued: 100 }))?
    ///     .close()?;
    /// assert!(matches!(report.drain(), Drain::Completed { .. }));
    ///
    /// // No drain: closed at once, the queue as it was.
    /// let report = AgentRunner::builder()
    ///     .drain_timeout(Duration::ZERO)
    ///     .start(|| Ok(Outbox { queued: 0 }))?
    ///     .close()?;
    /// assert_eq!(report.drain(), &Drain::NotRequested);
    ///
    /// let err = AgentRunner::builder()
    ///     .drain_timeout(Duration::from_secs(7200))
    ///     .start(|| Ok(Outbox { queued: 0 }))
    ///     .unwrap_err();
    /// assert!(matches!(err, StartError::InvalidDrainTimeout { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Makes the runner a group member in `seat` (see `stop_order.rs`).
    pub(crate) fn seat(mut self, seat: Seat) -> Self {
        self.seat = Some(seat);
        self
    }

    /// Checks the options as `start` does before it spawns anything: the name, the timer
    /// slack, the drain deadline, and that the core is one this process may run on.
    pub(crate) fn check(&self) -> Result<(), StartError> {
        if let Some(name) = &self.name {
            if name.is_empty() || name.contains('\0') {
                return Err(StartError::InvalidName { name: name.clone() });
            }
        }
        if let Some(slack) = self.timer_slack {
            if slack.is_zero() || slack > Duration::from_secs(1) {
                return Err(StartError::InvalidTimerSlack { slack });
            }
        }
        if self.drain_timeout > MAX_DRAIN_TIMEOUT {
            return Err(StartError::InvalidDrainTimeout {
                timeout: self.drain_timeout,
                max: MAX_DRAIN_TIMEOUT,
            });
        }
        if let Some(core) = self.core {
            let allowed = thread::allowed_cores()
                .map_err(|source| StartError::Thread { step: ThreadStep::ReadAllowedCores, source })?;
            if !allowed.contains(&core) {
                return Err(StartError::CoreNotAllowed { core, allowed });
            }
        }
        Ok(())
    }

    /// Spawns the agent thread; returns once the factory and `on_start` have run there.
    ///
    /// # Errors
    ///
    /// [`StartError`] naming the cause: a bad option (checked before anything runs), a thread
    /// that could not be spawned or set up, a factory that failed, or an `on_start` that failed
    /// (after which `on_close` has run on the agent thread).
    pub fn start<A, F>(self, factory: F) -> Result<AgentRunner, StartError>
    where
        A: Agent + 'static,
        F: FnOnce() -> Result<A, AgentError> + Send + 'static,
    {
        self.check()?;

        let termination = self.termination.unwrap_or_default();
        let published = Arc::new(Published::new(self.statistics));
        let shared = Arc::new(RunnerState::new(published));

        let mut spawn = std::thread::Builder::new();
        if let Some(name) = &self.name {
            spawn = spawn.name(thread::truncate_thread_name(name).to_owned());
        }
        let setup = ThreadSetup {
            name: self.name,
            core: self.core,
            timer_slack: self.timer_slack,
            idle: self.idle,
            statistics: self.statistics,
            error_handler: self.error_handler,
            termination: termination.clone(),
            shared: Arc::clone(&shared),
            drain_timeout: self.drain_timeout,
            seat: self.seat,
        };
        let (started_tx, started_rx) = mpsc::sync_channel(1);
        let handle = spawn
            .spawn(move || setup.run(factory, started_tx))
            .map_err(|source| StartError::Thread { step: ThreadStep::Spawn, source })?;

        match started_rx.recv() {
            Ok(Ok(role)) => Ok(AgentRunner::new(role, handle, shared, termination, self.drain_timeout)),
            Ok(Err(error)) => {
                let _ = handle.join();
                Err(error)
            }
            Err(mpsc::RecvError) => {
                // The thread dropped its sender without a word: our own set-up code panicked.
                let message = match handle.join() {
                    Err(payload) => crate::failure::take_panic_message(payload),
                    Ok(_) => "it ended without saying how the start went".to_owned(),
                };
                Err(StartError::ThreadPanicked { message })
            }
        }
    }
}

impl<I: fmt::Debug> fmt::Debug for AgentRunnerBuilder<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentRunnerBuilder")
            .field("name", &self.name)
            .field("core", &self.core)
            .field("idle_strategy", &self.idle)
            .field("termination", &self.termination)
            .field("statistics", &self.statistics)
            .field("timer_slack", &self.timer_slack)
            .field("drain_timeout", &self.drain_timeout)
            .finish_non_exhaustive()
    }
}
