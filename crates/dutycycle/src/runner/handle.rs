//! [`AgentRunner`]: the handle to an agent running on a thread of its own.

use std::fmt;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::state::RunnerState;
use crate::primitive::sync::Arc;
use crate::{
    Agent, AgentError, AgentFailed, AgentReport, AgentRunnerBuilder, AgentTermination, AgentWaker,
    CloseError, CloseTimedOut, DutyCycleStats, Ending, StartError, StatsReader,
};

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
/// agent.on_drain()                          // after a stop request: the drain (see Agent)
/// while !agent.is_drained() && before the drain deadline { do_work, idle }
/// agent.on_close(); drop(agent)             // on this thread, even after a panic
/// ```
///
/// It is monomorphic: the agent, the idle strategy and the statistics mode are type
/// parameters of the thread's loop, so nothing in it is a dynamic call (the error handler, a
/// boxed closure, is called out of line, on errors only). The loop runs in turns of 32
/// cycles, two loops of 16 that the compiler unrolls for a small agent, so that the
/// statistics cost nothing per cycle: each cycle is the code a hand-written loop would have.
///
/// The handle is `Send + Sync` and gives no access to the agent. Stop the agent with
/// [`close`](AgentRunner::close) (this runner only) or by signalling its
/// [`AgentTermination`] (every runner on that latch), then [`join`](AgentRunner::join) for the
/// [`AgentReport`], which comes back as soon as the agent is closed and dropped (the OS thread
/// ends on its own right after). Dropping the handle closes and waits for that end; dropped
/// on the agent's own thread (by its agent), it asks the agent to stop and lets the thread
/// end on its own, since no thread can wait for its own end. For the same reason `join` and
/// `close` panic there, and `close_timeout` times out (see each).
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
    handle: Option<JoinHandle<()>>,
    shared: Arc<RunnerState>,
    termination: AgentTermination,
    drain_timeout: Duration,
}

impl AgentRunner {
    /// How long [`join`](AgentRunner::join), [`close`](AgentRunner::close) and
    /// [`close_timeout`](AgentRunner::close_timeout) poll for the agent's end, yielding the CPU
    /// between polls, before they block: 250 µs. A stop is a wake-up of the agent thread, its
    /// `on_close` and its drop, which take tens of microseconds; polled for, that end is seen
    /// at once, where a blocked thread would first have to be woken (on a virtual machine
    /// whose idle CPUs halt, tens of microseconds more: half the time of a stop).
    pub const JOIN_SPIN_PERIOD: Duration = Duration::from_micros(250);

    pub(super) fn new(
        role: String,
        handle: JoinHandle<()>,
        shared: Arc<RunnerState>,
        termination: AgentTermination,
        drain_timeout: Duration,
    ) -> Self {
        AgentRunner { role, handle: Some(handle), shared, termination, drain_timeout }
    }

    /// A builder for a runner with options.
    pub fn builder() -> AgentRunnerBuilder {
        AgentRunnerBuilder::new()
    }

    /// Starts an agent with the defaults: [`BackoffIdleStrategy::default`](crate::BackoffIdleStrategy::default), not pinned, a fresh
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

    /// How long the agent may drain when asked to stop
    /// ([`AgentRunnerBuilder::drain_timeout`]).
    pub fn drain_timeout(&self) -> Duration {
        self.drain_timeout
    }

    /// Whether the agent thread is still running: `false` once the agent has been closed and
    /// dropped. A `true` may already be stale.
    pub fn is_running(&self) -> bool {
        !self.shared.is_finished()
    }

    /// Errors `do_work` has returned so far, in every [`Statistics`](crate::Statistics) mode.
    pub fn error_count(&self) -> u64 {
        self.shared.published.errors()
    }

    /// The duty-cycle statistics now (see [`DutyCycleStats`] for how current they are; while
    /// the agent runs under [`Statistics::Off`](crate::Statistics::Off), all zero but
    /// `errors`, which is always current).
    pub fn stats(&self) -> DutyCycleStats {
        self.shared.published.read()
    }

    /// A handle that reads the statistics from any thread, also after the runner is gone.
    pub fn stats_reader(&self) -> StatsReader {
        StatsReader::new(Arc::clone(&self.shared.published))
    }

    /// A handle that wakes the agent from a park (see [`AgentWaker`]; an agent that is woken
    /// idles best with [`BackoffIdleStrategy::woken`](crate::BackoffIdleStrategy::woken)).
    pub fn waker(&self) -> AgentWaker {
        AgentWaker::new(Arc::clone(&self.shared.parker))
    }

    /// Asks this runner's agent to stop (its termination latch is left alone), without
    /// waiting: it drains (see [`Agent::on_drain`]), then closes. Idempotent: a request while
    /// the agent drains changes nothing. An [`AgentGroup`](crate::AgentGroup) member that the
    /// group's latch stopped first, and that still waits for the members started after it,
    /// waits no longer: it drains and closes now (its report still names the latch).
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
        crate::events::stop_requested(&self.role, "runner");
        self.shared.request_stop();
    }

    /// Waits for the agent to end (its termination latch signalled, or the agent ending
    /// itself) and returns its report.
    ///
    /// The report comes back as soon as the agent is closed and dropped on its thread, without
    /// waiting for the OS thread's own end: what is left of the thread then, its exit (the
    /// destructors of its thread-locals), runs on after `join` has returned, and the thread,
    /// detached, is freed by the OS when it ends. A thread-local whose `Drop` must finish
    /// before the process exits (a file flushed there, say) needs a `close_timeout`, which
    /// waits for the thread's end; one whose `Drop` blocks keeps the thread alive. To see the end
    /// without a blocked thread's wake-up (tens of microseconds on a virtual machine), `join`
    /// polls for it for up to [`JOIN_SPIN_PERIOD`](AgentRunner::JOIN_SPIN_PERIOD), yielding its
    /// CPU between polls, before it blocks.
    ///
    /// # Errors
    ///
    /// [`AgentFailed`], with the report, when the agent did not end cleanly: it failed or
    /// panicked, its drain was cut short by the deadline, or its `on_close` or `Drop` failed.
    ///
    /// # Panics
    ///
    /// When called on the agent's own thread (from inside its agent), at once: no thread can
    /// wait for its own end. Drop the runner there instead (see [`AgentRunner`]). The runner,
    /// dropped as the panic unwinds, asks the agent to stop, as a drop there does: the stop
    /// stands whatever becomes of the panic. Caught inside `do_work`, the agent is closed and
    /// dropped on its thread once `do_work` returns (`Ending::Closed`); not caught, the panic
    /// ends `do_work` like any other (`Ending::Panicked` with this message, which the panic
    /// hook prints), and the agent is closed and dropped all the same. Either way the report
    /// is dropped with the runner, and the thread ends on its own.
    #[track_caller]
    pub fn join(mut self) -> Result<AgentReport, AgentFailed> {
        self.refuse_the_agents_own_thread("join");
        let report = self.join_thread(None);
        if report.is_clean() {
            Ok(report)
        } else {
            Err(AgentFailed::new(report))
        }
    }

    /// Asks this runner's agent to stop and waits for its report: [`request_stop`] then
    /// [`join`]. The agent drains first (up to its [drain
    /// deadline](AgentRunnerBuilder::drain_timeout)), then closes. Other runners on the same
    /// termination latch go on.
    ///
    /// [`request_stop`]: AgentRunner::request_stop
    /// [`join`]: AgentRunner::join
    ///
    /// # Errors
    ///
    /// As [`join`](AgentRunner::join).
    ///
    /// # Panics
    ///
    /// As [`join`](AgentRunner::join), on the agent's own thread; the stop stands.
    #[track_caller]
    pub fn close(self) -> Result<AgentReport, AgentFailed> {
        self.refuse_the_agents_own_thread("close");
        self.request_stop();
        self.join()
    }

    /// Like [`close`](AgentRunner::close), but gives up after `timeout`, which covers the
    /// drain and `on_close` both: a `timeout` shorter than the drain deadline may return
    /// while the agent still drains.
    ///
    /// The report is handed back once the agent is closed and dropped on its thread. What is
    /// left of the thread then, its exit (the destructors of its thread-locals), is waited for
    /// until `timeout` has passed, no longer: a thread still exiting then is detached, and the
    /// OS frees it when it ends.
    ///
    /// # Errors
    ///
    /// [`CloseError::TimedOut`] names the role of an agent that did not finish in time (a
    /// `do_work` or `on_close` that blocks); see [`CloseTimedOut`] for what then happens to
    /// the thread. [`CloseError::Failed`] when it finished but not cleanly.
    ///
    /// Called on the agent's own thread (from inside its agent), it returns
    /// [`CloseError::TimedOut`] at once: the agent cannot finish within any `timeout` while
    /// this call runs in it, since no thread can wait for its own end. The stop stands, and
    /// the [`CloseTimedOut`] dropped there detaches the thread, which closes and drops the
    /// agent once the agent's current call returns.
    pub fn close_timeout(mut self, timeout: Duration) -> Result<AgentReport, CloseError> {
        let deadline = Instant::now().checked_add(timeout);
        self.request_stop();
        if self.is_on_the_agent_thread() || !self.wait_finished(Some(timeout)) {
            return Err(CloseError::TimedOut(CloseTimedOut {
                role: self.role.clone(),
                timeout,
                runner: Some(self),
            }));
        }
        // A deadline past the clock's range: no limit, as `wait_finished` took it.
        let report = match deadline {
            Some(deadline) => self.join_thread(Some(deadline)),
            None => self.join_thread(None),
        };
        if report.is_clean() {
            Ok(report)
        } else {
            Err(CloseError::Failed(AgentFailed::new(report)))
        }
    }

    /// Waits until the agent thread has closed and dropped the agent, up to `timeout` (`None`:
    /// no limit); returns whether it has. Polls first (see [`AgentRunner::JOIN_SPIN_PERIOD`]),
    /// then blocks.
    fn wait_finished(&self, timeout: Option<Duration>) -> bool {
        let began = Instant::now();
        let spin = timeout.map_or(Self::JOIN_SPIN_PERIOD, |t| t.min(Self::JOIN_SPIN_PERIOD));
        loop {
            if self.shared.is_finished() {
                return true;
            }
            if began.elapsed() >= spin {
                break;
            }
            // Gives the CPU to any other thread ready to run on it (the agent thread, when it
            // shares this CPU); returns at once when there is none.
            std::thread::yield_now();
        }
        let left = timeout.map(|t| t.saturating_sub(began.elapsed()));
        self.shared.wait_finished(left)
    }

    /// The report, once the thread has closed and dropped the agent. The thread's exit is
    /// joined until `deadline` (the thread is detached if it has not ended by then); without a
    /// deadline, not waited for: the thread is detached at once, and the OS frees it when it
    /// ends. A thread that ended without a report (a panic of the runner's own code) is joined
    /// for its panic message.
    fn join_thread(&mut self, deadline: Option<Instant>) -> AgentReport {
        let handle = self.handle.take().expect("join_thread is called once");
        if deadline.is_none() {
            self.wait_finished(None);
        }
        if let Some(report) = self.shared.take_report() {
            match deadline {
                Some(deadline) => join_until(handle, deadline),
                // Dropping a `JoinHandle` detaches its thread.
                None => drop(handle),
            }
            return report;
        }
        let joined = handle.join();
        let ending = match joined {
            Ok(()) => match self.shared.take_report() {
                Some(report) => return report,
                // A runner exists only for an agent that started, so its thread made a report.
                None => Ending::Panicked("the agent thread returned no report".to_owned()),
            },
            // The thread body catches every panic of agent code; this would be a panic of ours.
            Err(payload) => Ending::Panicked(crate::failure::take_panic_message(payload)),
        };
        AgentReport {
            role: self.role.clone(),
            thread_name: String::new(),
            ending,
            drain: crate::Drain::NotRequested,
            stats: self.shared.published.read(),
            close_failure: None,
            drop_failure: None,
        }
    }

    /// Panics, naming `call`, when called on the agent's own thread: what `call` would wait
    /// for, the thread's end, cannot come while the thread waits. Unwinding then drops the
    /// runner, which asks the agent to stop and detaches the thread (see `Drop`).
    #[track_caller]
    fn refuse_the_agents_own_thread(&self, call: &str) {
        assert!(
            !self.is_on_the_agent_thread(),
            "AgentRunner::{call} called on the agent's own thread (role {:?}): no thread can wait \
             for its own end; drop the runner there instead, which stops the agent",
            self.role
        );
    }

    /// Whether the calling thread is the agent's, while this runner still holds its handle.
    fn is_on_the_agent_thread(&self) -> bool {
        self.handle.as_ref().is_some_and(|handle| handle.thread().id() == std::thread::current().id())
    }

    /// Lets the thread run on alone (see [`CloseTimedOut`]).
    pub(crate) fn detach(mut self) {
        self.handle.take();
    }
}

impl Drop for AgentRunner {
    fn drop(&mut self) {
        if self.handle.is_none() {
            return;
        }
        self.request_stop();
        if self.is_on_the_agent_thread() {
            // Dropped by its own agent (also as a `join` or `close` there unwinds): no thread
            // can wait for its own end. The stop stands: the thread closes and drops the agent
            // once its current call returns, and ends detached (the OS frees it); its report is
            // dropped with the shared state.
            self.handle.take();
            return;
        }
        let _ = self.join_thread(None);
    }
}

/// Joins the thread of `handle` if it ends before `deadline`; else detaches it, and the OS frees
/// it when it ends. For a thread that has closed and dropped its agent: what it has left to do
/// is its exit (the destructors of its thread-locals), which may take any time.
fn join_until(handle: JoinHandle<()>, deadline: Instant) {
    use std::os::unix::thread::JoinHandleExt;

    let left = deadline.saturating_duration_since(Instant::now());
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_REALTIME always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    // pthread_timedjoin_np takes an absolute CLOCK_REALTIME time.
    let nanos = now.tv_nsec + libc::c_long::from(left.subsec_nanos());
    let abstime = libc::timespec {
        tv_sec: now
            .tv_sec
            .saturating_add(libc::time_t::try_from(left.as_secs()).unwrap_or(libc::time_t::MAX))
            .saturating_add(libc::time_t::from(nanos >= 1_000_000_000)),
        tv_nsec: nanos % 1_000_000_000,
    };
    let thread = handle.into_pthread_t();
    // SAFETY: `thread` is a joinable thread that nothing else joins or detaches:
    // `into_pthread_t` made us the owner of the only handle. `abstime` is a valid timespec and
    // the result pointer may be null.
    let joined = unsafe { libc::pthread_timedjoin_np(thread, std::ptr::null_mut(), &abstime) };
    if joined != 0 {
        // SAFETY: the join failed (timed out), so the thread is still joinable, and ours alone.
        unsafe { libc::pthread_detach(thread) };
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
