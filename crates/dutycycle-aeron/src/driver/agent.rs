//! [`MediaDriverAgent`]: an embedded Aeron media driver that is itself an agent.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dutycycle::{Agent, AgentError};
use rusteron_media_driver::{AeronCError, AeronDriver, AeronDriverContext};

use crate::cadence::CadenceState;
use crate::driver::dir::{self, c_path, DirLock, DriverIdentity, PrepareError, DIR_LOCK_TIMEOUT};
use crate::driver::thread_placement::{AeronIdleStrategy, ThreadPins, PIN_TIMEOUT};
use crate::{events, AeronCallError, DriverError, DutyCadence, MediaDriverConfig, ThreadingMode};

/// Aeron's C media driver, embedded, as an [`Agent`]: its duty cycle is the driver's own
/// (`aeron_driver_main_do_work`), run by whatever drives the agent — a runner on a thread of
/// its own, or a [`CompositeAgent`](dutycycle::CompositeAgent) beside other agents on one
/// (pinned) core.
///
/// - [`launch`](MediaDriverAgent::launch) checks the settings and the directory, then
///   initialises and starts the driver (manual main loop). From then on clients can connect:
///   the driver's heartbeat is written at initialisation, before its first duty cycle. On any
///   failure nothing is left behind: no driver, and no directory that `launch` created (unless
///   another program's driver runs in it); nothing `launch` did not create is removed.
/// - `do_work` runs one driver duty cycle: with [`ThreadingMode::Shared`], conductor, sender
///   and receiver; in the other modes the conductor, while Aeron's own threads run the rest.
///   It does so on every duty cycle of the agent, or on those a [`DutyCadence`] picks
///   ([`with_cadence`](MediaDriverAgent::with_cadence)): for a driver composed with a
///   busy-spinning agent on one core, where a driver duty on every cycle would sit between
///   each message and the poll that sees it.
///   The thread that runs the agent is placed by its runner (core, idle strategy); Aeron's own
///   threads by [`MediaDriverConfig::thread_core`] and
///   [`thread_idle_strategy`](MediaDriverConfig::thread_idle_strategy).
/// - `on_close` closes the driver (joining Aeron's own threads, if any) and removes its
///   directory (only while its CnC file still names this driver), on the agent's thread.
///   Dropping an agent that was never closed does the same.
///
/// Launch it in the runner's factory so that it is built on the thread that runs and closes
/// it. Start it before the agents that connect to it and close it after them (an
/// [`AgentGroup`](dutycycle::AgentGroup) closes in reverse start order); in a composite, put it
/// first: clients connect in their factories or `on_start`, once it has been launched.
///
/// # Examples
///
/// ```
/// use dutycycle::{AgentRunner, BackoffIdleStrategy};
/// use dutycycle_aeron::{AeronClient, ClientConfig, MediaDriverAgent, MediaDriverConfig};
///
/// let config = MediaDriverConfig::new();
/// let dir = config.aeron_dir().to_owned();
/// let driver = AgentRunner::builder()
///     .name("media-driver")
///     .idle_strategy(BackoffIdleStrategy::default())
///     .start(move || Ok(MediaDriverAgent::launch(config)?))?;
/// assert!(dir.join("cnc.dat").exists());
/// // Clients connect to `dir` (in their agents' factories; here, for brevity, on this thread).
/// AeronClient::connect(&ClientConfig::new().dir(&dir))?.close()?;
/// let report = driver.close()?;
/// assert!(report.is_clean());
/// assert!(!dir.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MediaDriverAgent {
    driver: Option<AeronDriver>,
    context: Option<AeronDriverContext>,
    dir: PathBuf,
    /// Whose the directory is, as its CnC file says: read at launch, checked before removal.
    identity: Option<DriverIdentity>,
    threading_mode: ThreadingMode,
    delete_dir_on_close: bool,
    /// The start hook's state, when Aeron's threads pin themselves: Aeron's context points to
    /// it, so it outlives the driver (dropped with the agent, after `close_driver`).
    _pins: Option<Arc<ThreadPins>>,
    cadence: CadenceState,
}

impl MediaDriverAgent {
    /// The agent's role name.
    pub const ROLE: &'static str = "media-driver";

    /// Checks `config`, prepares the directory, then initialises and starts the driver on the
    /// calling thread (call it from the runner's factory).
    ///
    /// Two launches in one directory, in this process or in two, do not interleave: each
    /// holds a lock on the directory's parent (`flock`) from its first look at the directory
    /// until its driver's heartbeat is written, so the second finds the first's driver alive
    /// and fails with [`AlreadyActive`](DriverError::AlreadyActive), touching nothing.
    ///
    /// # Errors
    ///
    /// [`DriverError`]: a setting out of range ([`InvalidSetting`](DriverError::InvalidSetting)),
    /// a driver thread misplaced ([`ThreadNotInMode`](DriverError::ThreadNotInMode),
    /// [`IdleStrategyNotInAeron`](DriverError::IdleStrategyNotInAeron),
    /// [`CoreNotAllowed`](DriverError::CoreNotAllowed), or
    /// [`ThreadRunByAgent`](DriverError::ThreadRunByAgent) for a core or idle strategy of the
    /// duty cycle this agent runs, which are its runner's), a thread of Aeron's that could not
    /// pin itself ([`ThreadPin`](DriverError::ThreadPin)),
    /// a directory that cannot be written ([`DirNotWritable`](DriverError::DirNotWritable)),
    /// is in use by a live driver ([`AlreadyActive`](DriverError::AlreadyActive)) or holds
    /// other files ([`NotAnAeronDir`](DriverError::NotAnAeronDir)), a lock another launch or
    /// close kept too long ([`DirLocked`](DriverError::DirLocked)), or Aeron refusing to start
    /// ([`Aeron`](DriverError::Aeron)). No driver runs afterwards; a directory this call
    /// created is removed unless a driver of someone else's runs in it, and nothing else is.
    pub fn launch(config: MediaDriverConfig) -> Result<MediaDriverAgent, DriverError> {
        Self::launch_with(config, MainLoop::Agent)
    }

    /// Launches the driver with its main duty cycle run by `main_loop`: the agent's
    /// (`launch`), or a thread of Aeron's ([`MediaDriver`](crate::MediaDriver)).
    pub(crate) fn launch_with(
        config: MediaDriverConfig,
        main_loop: MainLoop,
    ) -> Result<MediaDriverAgent, DriverError> {
        events::driver_launching(&config.dir);
        let dir = config.dir.clone();
        let launched = Self::launch_checked(config, main_loop);
        match &launched {
            Ok(agent) => events::driver_started(&agent.dir),
            Err(error) => events::driver_launch_failed(&dir, error),
        }
        launched
    }

    /// [`launch`](MediaDriverAgent::launch) but for its events.
    fn launch_checked(
        config: MediaDriverConfig,
        main_loop: MainLoop,
    ) -> Result<MediaDriverAgent, DriverError> {
        config.validate()?;
        if main_loop == MainLoop::Agent {
            if let Some((thread, _)) = config.placed_threads().find(|(thread, _)| thread.is_run_by_agent()) {
                return Err(DriverError::ThreadRunByAgent { thread });
            }
        }
        let dir = config.dir.clone();
        let _lock = DirLock::acquire(&dir, DIR_LOCK_TIMEOUT).map_err(|source| lock_error(&dir, source))?;
        let created = dir::prepare(&dir, config.driver_timeout).map_err(|e| match e {
            PrepareError::NotWritable(source) => DriverError::DirNotWritable { dir: dir.clone(), source },
            PrepareError::AlreadyActive => DriverError::AlreadyActive { dir: dir.clone() },
            PrepareError::NotAnAeronDir => DriverError::NotAnAeronDir { dir: dir.clone() },
        })?;
        match start_driver(&config, main_loop) {
            Ok(Started { context, driver, pins }) => Ok(MediaDriverAgent {
                driver: Some(driver),
                context: Some(context),
                identity: DriverIdentity::read(&dir).ok(),
                dir,
                threading_mode: config.threading_mode,
                delete_dir_on_close: config.delete_dir_on_close,
                _pins: pins,
                cadence: CadenceState::new(DutyCadence::EVERY_CYCLE),
            }),
            Err(error) => {
                // Aeron may have filled the directory before failing: remove it if this call
                // created it, unless a driver that is not this one (another program's, which
                // does not take the lock) is alive in it.
                let someone_elses = matches!(error, DriverError::AlreadyActive { .. })
                    || dir::driver_active(&dir, config.driver_timeout);
                if created && !someone_elses {
                    let _ = dir::remove_all(&dir);
                }
                Err(error)
            }
        }
    }

    /// Runs the driver's duty cycle on `cadence` instead of on every duty cycle of the agent:
    /// at least every [`interval`](DutyCadence::interval)-th cycle, and on every cycle after
    /// one on which it did work. For a driver composed with other agents in a
    /// [`CompositeAgent`](dutycycle::CompositeAgent) whose runner spins; on a runner of its
    /// own keep the default ([`DutyCadence::EVERY_CYCLE`]): a skipped cycle does no work, so
    /// the runner would idle (and a parking strategy park) between the driver's turns.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::{Agent, AgentRunner, BusySpinIdleStrategy, CompositeAgent};
    /// use dutycycle_aeron::{DutyCadence, MediaDriverAgent, MediaDriverConfig};
    ///
    /// let config = MediaDriverConfig::new();
    /// let runner = AgentRunner::builder().idle_strategy(BusySpinIdleStrategy).start(move || {
    ///     let driver = MediaDriverAgent::launch(config)?.with_cadence(DutyCadence::every(64));
    ///     assert_eq!(driver.cadence().interval(), 64);
    ///     // ... and the agents that share its core, first, so that the driver closes last.
    ///     let agents: Vec<Box<dyn Agent>> = vec![Box::new(driver)];
    ///     Ok(CompositeAgent::new(agents))
    /// })?;
    /// assert!(runner.close()?.is_clean());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_cadence(mut self, cadence: DutyCadence) -> Self {
        self.cadence = CadenceState::new(cadence);
        self
    }

    /// The cadence of the driver's duty cycle ([`DutyCadence::EVERY_CYCLE`] unless set with
    /// [`with_cadence`](MediaDriverAgent::with_cadence)).
    pub fn cadence(&self) -> DutyCadence {
        self.cadence.cadence()
    }

    /// The driver's directory, for clients to connect to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The driver's threading mode.
    pub fn threading_mode(&self) -> ThreadingMode {
        self.threading_mode
    }

    /// Closes the driver and removes its directory, as `on_close` does.
    pub(crate) fn close(&mut self) -> Result<(), DriverError> {
        self.close_driver()
    }

    /// Whether the driver is running (launched, not yet closed).
    pub fn is_running(&self) -> bool {
        self.driver.is_some()
    }

    /// Closes the driver and removes its directory (if so configured), under the directory
    /// lock and only while its CnC file still names this driver. Idempotent.
    fn close_driver(&mut self) -> Result<(), DriverError> {
        if self.driver.is_none() && self.context.is_none() {
            return Ok(());
        }
        events::driver_closing(&self.dir);
        let closed = self.close_and_remove_dir();
        events::driver_closed(&self.dir, closed.is_ok());
        closed
    }

    /// [`close_driver`](MediaDriverAgent::close_driver) but for its events.
    fn close_and_remove_dir(&mut self) -> Result<(), DriverError> {
        // aeron_driver_close: stops and joins Aeron's own agent threads (other modes than
        // Shared), closes the conductor, unmaps the CnC file. The context goes after it.
        drop(self.driver.take());
        drop(self.context.take());
        if self.delete_dir_on_close {
            let remove_error = |source| DriverError::RemoveDir { dir: self.dir.clone(), source };
            let identity = self.identity.ok_or_else(|| {
                remove_error(io::Error::other(
                    "its CnC file could not be read at launch, so whose it is is unknown",
                ))
            })?;
            let _lock = DirLock::acquire(&self.dir, DIR_LOCK_TIMEOUT).map_err(remove_error)?;
            dir::remove_if_own(&self.dir, identity).map_err(remove_error)?;
        }
        Ok(())
    }
}

impl Agent for MediaDriverAgent {
    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let Some(driver) = &self.driver else { return Ok(0) };
        if !self.cadence.due(0) {
            return Ok(0);
        }
        match driver.main_do_work() {
            Ok(work) => {
                let work = usize::try_from(work).unwrap_or(0);
                self.cadence.ran(work);
                Ok(work)
            }
            Err(error) => Err(aeron_error(&self.dir, "aeron_driver_main_do_work")(error).into()),
        }
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        Ok(self.close_driver()?)
    }

    fn role_name(&self) -> &str {
        Self::ROLE
    }
}

impl Drop for MediaDriverAgent {
    fn drop(&mut self) {
        let _ = self.close_driver();
    }
}

impl fmt::Debug for MediaDriverAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaDriverAgent")
            .field("dir", &self.dir)
            .field("threading_mode", &self.threading_mode)
            .field("running", &self.is_running())
            .field("identity", &self.identity)
            .field("delete_dir_on_close", &self.delete_dir_on_close)
            .field("cadence", &self.cadence.cadence())
            .finish()
    }
}

/// A lock that could not be taken: [`DriverError::DirLocked`] when another holder kept it,
/// [`DriverError::DirNotWritable`] when the parent directory cannot be made or opened.
fn lock_error(dir: &Path, source: io::Error) -> DriverError {
    if source.kind() == io::ErrorKind::TimedOut {
        DriverError::DirLocked { dir: dir.to_owned() }
    } else {
        DriverError::DirNotWritable { dir: dir.to_owned(), source }
    }
}

/// Maps a failed driver call to [`DriverError::Aeron`], or [`DriverError::AlreadyActive`]
/// when Aeron found a live driver itself (a race with a driver that started after our check).
fn aeron_error<'a>(dir: &'a Path, call: &'static str) -> impl Fn(AeronCError) -> DriverError + 'a {
    move |error| {
        let source = AeronCallError::driver(call, error);
        if source.message().contains("Active media driver detected") {
            DriverError::AlreadyActive { dir: dir.to_owned() }
        } else {
            DriverError::Aeron { dir: dir.to_owned(), source }
        }
    }
}

/// What runs the driver's main duty cycle (the conductor's, or in `Shared` mode the whole
/// driver's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MainLoop {
    /// The agent, through `aeron_driver_main_do_work` (Aeron's manual main loop).
    Agent,
    /// A thread Aeron starts, like the others.
    AeronThread,
}

/// A started driver, its context and the state of its start hook (if any), which must outlive
/// the driver.
struct Started {
    context: AeronDriverContext,
    driver: AeronDriver,
    pins: Option<Arc<ThreadPins>>,
}

/// Builds the context, then initialises and starts the driver with its main duty cycle run by
/// `main_loop`, and waits for Aeron's threads that have a core to pin themselves.
fn start_driver(config: &MediaDriverConfig, main_loop: MainLoop) -> Result<Started, DriverError> {
    let dir = &config.dir;
    let c_dir = c_path(dir).ok_or_else(|| DriverError::InvalidSetting {
        setting: "dir",
        value: format!("{dir:?}"),
        reason: "must not contain NUL bytes".to_owned(),
    })?;
    let context = AeronDriverContext::new().map_err(aeron_error(dir, "aeron_driver_context_init"))?;
    let set = aeron_error(dir, "aeron_driver_context_set_*");
    context.set_dir(&c_dir).map_err(&set)?;
    context.set_threading_mode(config.threading_mode.to_aeron()).map_err(&set)?;
    // The agent checked for a live driver; Aeron checks again (and deletes a dead one's files).
    context.set_dir_delete_on_start(false).map_err(&set)?;
    // The agent removes the directory itself on close, and reports if it cannot.
    context.set_dir_delete_on_shutdown(false).map_err(&set)?;
    let timeout_ms = u64::try_from(config.driver_timeout.as_millis()).unwrap_or(u64::MAX);
    context.set_driver_timeout_ms(timeout_ms).map_err(&set)?;
    if let Some(length) = config.term_buffer_length {
        context.set_term_buffer_length(length).map_err(&set)?;
    }
    if let Some(length) = config.ipc_term_buffer_length {
        context.set_ipc_term_buffer_length(length).map_err(&set)?;
    }
    if let Some(mtu) = config.mtu_length {
        context.set_mtu_length(mtu).map_err(&set)?;
    }
    if let Some(sparse) = config.term_buffer_sparse_file {
        context.set_term_buffer_sparse_file(sparse).map_err(&set)?;
    }
    for (thread, settings) in config.placed_threads() {
        if let Some(idle) = &settings.idle_strategy {
            // `validate` checked that Aeron C has it.
            let strategy = AeronIdleStrategy::of(idle).map_err(|reason| {
                DriverError::IdleStrategyNotInAeron { thread, strategy: idle.to_string(), reason }
            })?;
            strategy.apply(&context, thread).map_err(&set)?;
        }
    }
    let cores: Vec<_> = config.placed_threads().filter_map(|(thread, s)| Some((thread, s.core?))).collect();
    // Declared before the driver, so that it is dropped after it on every early return.
    let pins = match cores.is_empty() {
        true => None,
        false => Some(ThreadPins::install(&context, cores).map_err(&set)?),
    };
    let driver = AeronDriver::new(&context).map_err(aeron_error(dir, "aeron_driver_init"))?;
    // Manual main loop: Aeron starts no thread for the main duty cycle; the agent runs it.
    driver.start(main_loop == MainLoop::Agent).map_err(aeron_error(dir, "aeron_driver_start"))?;
    if let Some(pins) = &pins {
        // On failure the driver is dropped here: closed, its threads joined.
        pins.wait(PIN_TIMEOUT).map_err(|failure| DriverError::ThreadPin {
            thread: failure.thread,
            core: failure.core,
            source: failure.source,
        })?;
    }
    Ok(Started { context, driver, pins })
}
