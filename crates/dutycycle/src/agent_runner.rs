//! [`AgentRunner`]: an agent on a thread of its own.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::failure::{catch, close_and_drop};
use crate::primitive::sync::Arc;
use crate::runner_state::RunnerState;
use crate::stats::{Counters, Local};
use crate::termination::StopFlag;
use crate::thread;
use crate::{
    Agent, AgentError, AgentFailed, AgentReport, AgentTermination, AgentWaker, BackoffIdleStrategy,
    CloseError, CloseTimedOut, DutyCycleStats, Ending, IdleStrategy, StartError, Statistics, StatsReader,
};

/// How the agent thread reports an error that `do_work` returned.
type ErrorHandler = Box<dyn FnMut(&AgentError) + Send>;

/// Runs an [`Agent`] on a thread of its own: the thread builds the agent, starts it, runs its
/// duty cycle, closes it and drops it. No other thread ever touches the agent.
///
/// [`AgentRunner::start`] (defaults) or [`AgentRunner::builder`] (name, core, idle strategy,
/// termination, error handler, statistics, timer slack) spawn the thread and return once the
/// agent is running. The agent is made on its thread by a factory, which must be `Send`; the
/// agent need not be. The duty cycle is, in full:
///
/// ```text
/// loop {
///     if stop requested { break }          // one load of a cache line nobody else writes
///     let work = agent.do_work()            // Err: to the error handler, counted, go on
///     record statistics                     // registers; stores every 64 cycles and before a park
///     idle_strategy.idle(work)
/// }
/// agent.on_close(); drop(agent)             // on this thread, even after a panic
/// ```
///
/// It is monomorphic: the agent, the idle strategy and the statistics mode are type
/// parameters of the thread's loop, so nothing in it is a dynamic call (the error handler, a
/// boxed closure, is called out of line, on errors only).
///
/// The handle is `Send + Sync` and gives no access to the agent. Stop the agent with
/// [`close`](AgentRunner::close) (this runner only) or by signalling its
/// [`AgentTermination`] (every runner on that latch), then [`join`](AgentRunner::join) for the
/// [`AgentReport`]. Dropping the handle closes and joins.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination, BusySpinIdleStrategy};
/// use std::rc::Rc;
///
/// struct Ticker { ticks: u64, _not_send: Rc<()> }
///
/// impl Agent for Ticker {
///     fn role_name(&self) -> &str { "ticker" }
///     fn do_work(&mut self) -> Result<usize, AgentError> { self.ticks += 1; Ok(1) }
/// }
///
/// let termination = AgentTermination::new();
/// let runner = AgentRunner::builder()
///     .name("ticker-1")
///     .idle_strategy(BusySpinIdleStrategy)
///     .termination(termination.clone())
///     .start(|| Ok(Ticker { ticks: 0, _not_send: Rc::new(()) }))?;
/// assert!(runner.is_running());
/// while runner.stats().duty_cycles == 0 {
///     std::thread::yield_now();
/// }
/// termination.signal();
/// let report = runner.join()?;
/// assert_eq!(report.thread_name(), "ticker-1");
/// assert!(report.duty_cycles() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "dropping the runner stops the agent at once"]
pub struct AgentRunner {
    role: String,
    handle: Option<JoinHandle<Option<AgentReport>>>,
    shared: Arc<RunnerState>,
    termination: AgentTermination,
}

impl AgentRunner {
    /// A builder for a runner with options.
    pub fn builder() -> AgentRunnerBuilder {
        AgentRunnerBuilder::new()
    }

    /// Starts an agent with the defaults: [`BackoffIdleStrategy::default`], not pinned, a fresh
    /// [`AgentTermination`], counters on, errors printed to stderr, and the thread named after
    /// the agent's role.
    ///
    /// # Errors
    ///
    /// See [`AgentRunnerBuilder::start`].
    pub fn start<A, F>(factory: F) -> Result<AgentRunner, StartError>
    where
        A: Agent + 'static,
        F: FnOnce() -> Result<A, AgentError> + Send + 'static,
    {
        AgentRunner::builder().start(factory)
    }

    /// The agent's role name.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The latch this runner stops on (shared with every runner started with the same one).
    pub fn termination(&self) -> &AgentTermination {
        &self.termination
    }

    /// Whether the agent thread is still running: `false` once the agent has been closed and
    /// dropped. A `true` may already be stale.
    pub fn is_running(&self) -> bool {
        !self.shared.is_finished()
    }

    /// Errors `do_work` has returned so far.
    pub fn error_count(&self) -> u64 {
        self.shared.counters.errors()
    }

    /// The duty-cycle statistics now (see [`DutyCycleStats`] for how current they are; all
    /// zero while the agent runs under [`Statistics::Off`]).
    pub fn stats(&self) -> DutyCycleStats {
        self.shared.counters.read()
    }

    /// A handle that reads the statistics from any thread, also after the runner is gone.
    pub fn stats_reader(&self) -> StatsReader {
        StatsReader::new(Arc::clone(&self.shared.counters))
    }

    /// A handle that wakes the agent from a park (see [`AgentWaker`]).
    pub fn waker(&self) -> AgentWaker {
        AgentWaker::new(self.thread().clone())
    }

    /// Asks this runner's agent to stop (its termination latch is left alone), without
    /// waiting. Idempotent.
    ///
    /// ```
    /// # use dutycycle::{Agent, AgentError, AgentRunner};
    /// # struct Idle;
    /// # impl Agent for Idle { fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) } }
    /// let a = AgentRunner::start(|| Ok(Idle))?;
    /// let b = AgentRunner::builder().termination(a.termination().clone()).start(|| Ok(Idle))?;
    /// a.request_stop();
    /// let report = a.join()?; // a stops; b, on the same latch, goes on
    /// assert!(report.is_clean());
    /// assert!(b.is_running());
    /// b.termination().signal();
    /// b.join()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_stop(&self) {
        self.shared.request_stop(self.thread());
    }

    /// Waits for the agent to end (its termination latch signalled, or the agent ending
    /// itself) and returns its report.
    ///
    /// # Errors
    ///
    /// [`AgentFailed`], with the report, when the agent panicked or its `on_close` or `Drop`
    /// failed.
    pub fn join(mut self) -> Result<AgentReport, AgentFailed> {
        let report = self.join_thread();
        if report.is_clean() {
            Ok(report)
        } else {
            Err(AgentFailed::new(report))
        }
    }

    /// Asks this runner's agent to stop and waits for its report: [`request_stop`] then
    /// [`join`]. Other runners on the same termination latch go on.
    ///
    /// [`request_stop`]: AgentRunner::request_stop
    /// [`join`]: AgentRunner::join
    ///
    /// # Errors
    ///
    /// As [`join`](AgentRunner::join).
    pub fn close(self) -> Result<AgentReport, AgentFailed> {
        self.request_stop();
        self.join()
    }

    /// Like [`close`](AgentRunner::close), but gives up after `timeout`.
    ///
    /// # Errors
    ///
    /// [`CloseError::TimedOut`] names the role of an agent that did not finish in time (a
    /// `do_work` or `on_close` that blocks); see [`CloseTimedOut`] for what then happens to the
    /// thread. [`CloseError::Failed`] when it finished but not cleanly.
    pub fn close_timeout(self, timeout: Duration) -> Result<AgentReport, CloseError> {
        self.request_stop();
        if !self.shared.wait_finished(Some(timeout)) {
            return Err(CloseError::TimedOut(CloseTimedOut {
                role: self.role.clone(),
                timeout,
                runner: Some(self),
            }));
        }
        self.join().map_err(CloseError::Failed)
    }

    fn thread(&self) -> &std::thread::Thread {
        self.handle.as_ref().expect("the handle is present until join or detach").thread()
    }

    fn join_thread(&mut self) -> AgentReport {
        let handle = self.handle.take().expect("join_thread is called once");
        let ending = match handle.join() {
            Ok(Some(report)) => return report,
            // A runner exists only for an agent that started, so its thread returns a report.
            Ok(None) => Ending::Panicked("the agent thread returned no report".to_owned()),
            // The thread body catches every panic of agent code; this would be a panic of ours.
            Err(payload) => Ending::Panicked(crate::failure::take_panic_message(payload)),
        };
        AgentReport {
            role: self.role.clone(),
            thread_name: String::new(),
            ending,
            stats: self.shared.counters.read(),
            close_failure: None,
            drop_failure: None,
        }
    }

    /// Lets the thread run on alone (see [`CloseTimedOut`]).
    pub(crate) fn detach(mut self) {
        self.handle.take();
    }
}

impl Drop for AgentRunner {
    fn drop(&mut self) {
        if self.handle.is_some() {
            self.request_stop();
            let _ = self.join_thread();
        }
    }
}

impl fmt::Debug for AgentRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentRunner")
            .field("role", &self.role)
            .field("running", &self.is_running())
            .field("stats", &self.stats())
            .finish()
    }
}

/// Options for an [`AgentRunner`]; `I` is the idle strategy's type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, SleepingIdleStrategy, Statistics};
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
///     .error_handler(|err| eprintln!("poller: {err}"))
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
        }
    }

    /// The termination latch to stop on (default: a fresh one).
    pub fn termination(mut self, termination: AgentTermination) -> Self {
        self.termination = Some(termination);
        self
    }

    /// What to do with an error `do_work` returns, on the agent thread (default: one line on
    /// stderr naming the role). The duty cycle goes on afterwards. A panic here ends the agent
    /// like a panic in `do_work`. Do not close resources from here: return
    /// [`AgentError::terminate`] from the next `do_work` instead.
    pub fn error_handler(mut self, handler: impl FnMut(&AgentError) + Send + 'static) -> Self {
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
        if let Some(core) = self.core {
            let allowed = thread::allowed_cores()
                .map_err(|source| StartError::Thread { what: "read the allowed cores".into(), source })?;
            if !allowed.contains(&core) {
                return Err(StartError::CoreNotAllowed { core, allowed });
            }
        }

        let termination = self.termination.unwrap_or_default();
        let counters = Arc::new(Counters::new(matches!(self.statistics, Statistics::Timed { .. })));
        let shared = Arc::new(RunnerState::new(counters));

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
        };
        let (started_tx, started_rx) = mpsc::sync_channel(1);
        let handle = spawn
            .spawn(move || setup.run(factory, started_tx))
            .map_err(|source| StartError::Thread { what: "spawn a thread".into(), source })?;

        match started_rx.recv() {
            Ok(Ok(role)) => Ok(AgentRunner { role, handle: Some(handle), shared, termination }),
            Ok(Err(error)) => {
                let _ = handle.join();
                Err(error)
            }
            Err(mpsc::RecvError) => {
                let message = match handle.join() {
                    Err(payload) => crate::failure::take_panic_message(payload),
                    Ok(_) => "the agent thread ended before it started".to_owned(),
                };
                Err(StartError::Thread {
                    what: "start the agent thread".into(),
                    source: std::io::Error::other(message),
                })
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
            .finish_non_exhaustive()
    }
}

/// Everything the agent thread takes with it.
struct ThreadSetup<I> {
    name: Option<String>,
    core: Option<usize>,
    timer_slack: Option<Duration>,
    idle: I,
    statistics: Statistics,
    error_handler: Option<ErrorHandler>,
    termination: AgentTermination,
    shared: Arc<RunnerState>,
}

type Started = mpsc::SyncSender<Result<String, StartError>>;

impl<I: IdleStrategy> ThreadSetup<I> {
    /// The agent thread's body: set-up, factory, `on_start`, duty cycle, `on_close`, drop.
    fn run<A, F>(self, factory: F, started: Started) -> Option<AgentReport>
    where
        A: Agent,
        F: FnOnce() -> Result<A, AgentError>,
    {
        /// Marks the thread finished when dropped: after the report is made, or if our own
        /// code panicked, so that `is_running` and `close_timeout` never wait for a thread
        /// that has ended.
        struct Finish(Arc<RunnerState>);
        impl Drop for Finish {
            fn drop(&mut self) {
                self.0.mark_finished();
            }
        }
        let _finish = Finish(Arc::clone(&self.shared));
        self.run_agent(factory, &started)
    }

    /// `None` when the agent did not start (the error went to `started`).
    fn run_agent<A, F>(mut self, factory: F, started: &Started) -> Option<AgentReport>
    where
        A: Agent,
        F: FnOnce() -> Result<A, AgentError>,
    {
        let shared = Arc::clone(&self.shared);
        let fail = |error: StartError| {
            let _ = started.send(Err(error));
            None
        };
        if let Some(core) = self.core {
            if let Err(source) = thread::pin_current(core) {
                return fail(StartError::Thread { what: format!("pin to core {core}"), source });
            }
        }
        if let Some(slack) = self.timer_slack {
            if let Err(source) = thread::set_timer_slack(slack) {
                return fail(StartError::Thread { what: "set the timer slack".into(), source });
            }
        }

        let mut agent = match catch(factory) {
            Ok(agent) => agent,
            Err(failure) => {
                let name = self.name.clone().unwrap_or_else(|| "agent".to_owned());
                return fail(StartError::Factory { name, failure });
            }
        };
        // A role_name that panics fails the start like on_start would: the agent is closed.
        let (role, role_failure) = match catch(|| Ok(agent.role_name().to_owned())) {
            Ok(role) => (role, None),
            Err(failure) => ("agent".to_owned(), Some(failure)),
        };
        let thread_name = match thread::truncate_thread_name(self.name.as_deref().unwrap_or(&role)) {
            "" => "agent".to_owned(),
            name => name.to_owned(),
        };
        if self.name.is_none() {
            thread::set_current_name(&thread_name);
        }
        let _registration =
            self.termination.register(Arc::clone(&shared.stop), crate::primitive::thread::current());

        let mut report = AgentReport {
            role: role.clone(),
            thread_name,
            ending: Ending::Signalled,
            stats: DutyCycleStats::default(),
            close_failure: None,
            drop_failure: None,
        };

        let on_start = match role_failure {
            Some(failure) => Err(failure),
            None => catch(|| agent.on_start()),
        };
        if let Err(failure) = on_start {
            (report.close_failure, report.drop_failure) = close_and_drop(agent);
            report.ending = Ending::StartFailed(failure);
            return fail(StartError::OnStart { report: Box::new(report) });
        }
        let _ = started.send(Ok(role.clone()));

        let mut handler = self.error_handler.take().unwrap_or_else(|| {
            let role = role.clone();
            Box::new(move |err: &AgentError| eprintln!("{role}: do_work failed: {err}"))
        });
        let mut local = Local::default();
        let counters = &*shared.counters;
        let stop = &*shared.stop;
        let idle = &mut self.idle;
        let ending = panic::catch_unwind(AssertUnwindSafe(|| match self.statistics {
            Statistics::Off => {
                duty_cycle::<A, I, OFF>(&mut agent, idle, stop, counters, &mut handler, &mut local, 0)
            }
            Statistics::Counters => {
                duty_cycle::<A, I, COUNTERS>(&mut agent, idle, stop, counters, &mut handler, &mut local, 0)
            }
            Statistics::Timed { threshold } => {
                let threshold = u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX);
                duty_cycle::<A, I, TIMED>(
                    &mut agent,
                    idle,
                    stop,
                    counters,
                    &mut handler,
                    &mut local,
                    threshold,
                )
            }
        }));
        report.ending = match ending {
            Ok(ending) => ending,
            Err(payload) => Ending::Panicked(crate::failure::take_panic_message(payload)),
        };
        counters.publish(&local);
        counters.publish_timing(&local);
        (report.close_failure, report.drop_failure) = close_and_drop(agent);
        report.stats = counters.read();
        Some(report)
    }
}

const OFF: u8 = 0;
const COUNTERS: u8 = 1;
const TIMED: u8 = 2;

/// The duty cycle. `STATS` is a constant, so each mode compiles to its own loop with the
/// other modes' code gone. The running totals live in `totals`, a by-value local the compiler
/// keeps in registers (through `&mut Local` they would be loads and stores every cycle: a
/// third of the loop's speed in the overhead benchmark); they reach `local` when the loop
/// ends, also by a panic.
#[inline(never)]
fn duty_cycle<A: Agent, I: IdleStrategy, const STATS: u8>(
    agent: &mut A,
    idle: &mut I,
    stop: &StopFlag,
    counters: &Counters,
    handler: &mut ErrorHandler,
    local: &mut Local,
    threshold_ns: u64,
) -> Ending {
    // Published every 64 cycles, and before every idle call that may park (after a cycle
    // without work, with a strategy that parks), so that a reader is never more than 63 short
    // cycles or one park behind. Off only checkpoints its own totals, every 64 cycles.
    let parks = STATS != OFF && idle.parks();
    let mut totals = WriteBack { totals: *local, out: local };
    loop {
        let cycle_start = (STATS == TIMED).then(Instant::now);
        if stop.is_set() {
            return Ending::Signalled;
        }
        let work = match agent.do_work() {
            Ok(work) => work,
            Err(error) if error.is_terminate() => return Ending::Terminated,
            Err(error) => handle_error(counters, handler, &error),
        };
        let t = &mut totals.totals;
        t.duty_cycles += 1;
        t.total_work += work as u64;
        t.idle_cycles += u64::from(work == 0);
        if STATS == TIMED {
            if let Some(start) = cycle_start {
                let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                t.max_cycle_ns = t.max_cycle_ns.max(ns);
                t.slow_cycles += u64::from(ns > threshold_ns);
            }
        }
        if t.duty_cycles & 63 == 0 || (parks && work == 0) {
            match STATS {
                // Off checkpoints its totals into the thread's own `Local` instead: that keeps
                // them scalar registers, as in the other modes. With no read of them in the
                // loop, LLVM packed two counters into a vector that it spilled to the stack on
                // every cycle (five times slower in the overhead benchmark).
                OFF => *totals.out = *t,
                _ => {
                    counters.publish(t);
                    if STATS == TIMED {
                        counters.publish_timing(t);
                    }
                }
            }
        }
        idle.idle(work);
    }
}

/// Counts an error from `do_work` and passes it to the handler; out of the hot loop.
#[cold]
#[inline(never)]
fn handle_error(counters: &Counters, handler: &mut ErrorHandler, error: &AgentError) -> usize {
    counters.add_error();
    handler(error);
    0
}

/// The duty cycle's totals, written back to `out` when dropped: at the loop's end, or while a
/// panic unwinds out of it.
struct WriteBack<'a> {
    totals: Local,
    out: &'a mut Local,
}

impl Drop for WriteBack<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        *self.out = self.totals;
    }
}
