//! [`MediaDriverAgent`]: an embedded Aeron media driver that is itself an agent.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use dutycycle::{Agent, AgentError};
use rusteron_media_driver::{AeronCError, AeronDriver, AeronDriverContext};

use crate::driver::dir::{c_path, driver_active, CNC_FILE};
use crate::{AeronCallError, DriverError, MediaDriverConfig, ThreadingMode};

/// Aeron's C media driver, embedded, as an [`Agent`]: its duty cycle is the driver's own
/// (`aeron_driver_main_do_work`), run by whatever drives the agent — a runner on a thread of
/// its own, or a [`CompositeAgent`](dutycycle::CompositeAgent) beside other agents on one
/// (pinned) core.
///
/// - [`launch`](MediaDriverAgent::launch) checks the settings and the directory, then
///   initialises and starts the driver (manual main loop). From then on clients can connect:
///   the driver's heartbeat is written at initialisation, before its first duty cycle. On any
///   failure nothing is left behind: no driver, and no directory that `launch` created.
/// - `do_work` runs one driver duty cycle: with [`ThreadingMode::Shared`], conductor, sender
///   and receiver; in the other modes the conductor, while Aeron's own threads run the rest.
/// - `on_close` closes the driver (joining Aeron's own threads, if any) and removes its
///   directory, on the agent's thread. Dropping an agent that was never closed does the same.
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
    threading_mode: ThreadingMode,
    delete_dir_on_close: bool,
}

impl MediaDriverAgent {
    /// The agent's role name.
    pub const ROLE: &'static str = "media-driver";

    /// Checks `config`, prepares the directory, then initialises and starts the driver on the
    /// calling thread (call it from the runner's factory).
    ///
    /// # Errors
    ///
    /// [`DriverError`]: a setting out of range ([`InvalidSetting`](DriverError::InvalidSetting)),
    /// a directory that cannot be written ([`DirNotWritable`](DriverError::DirNotWritable)),
    /// is in use by a live driver ([`AlreadyActive`](DriverError::AlreadyActive)) or holds
    /// other files ([`NotAnAeronDir`](DriverError::NotAnAeronDir)), or Aeron refusing to start
    /// ([`Aeron`](DriverError::Aeron)). No driver runs afterwards, and a directory `launch`
    /// created is removed.
    pub fn launch(config: MediaDriverConfig) -> Result<MediaDriverAgent, DriverError> {
        config.validate()?;
        let dir = config.dir.clone();
        let created = prepare_dir(&config)?;
        match start_driver(&config) {
            Ok((context, driver)) => Ok(MediaDriverAgent {
                driver: Some(driver),
                context: Some(context),
                dir,
                threading_mode: config.threading_mode,
                delete_dir_on_close: config.delete_dir_on_close,
            }),
            Err(error) => {
                // Aeron may have recreated the directory before failing: leave nothing behind
                // that this call made, nor an Aeron directory that would have been removed on
                // close.
                if created || config.delete_dir_on_close {
                    let _ = remove_dir(&dir);
                }
                Err(error)
            }
        }
    }

    /// The driver's directory, for clients to connect to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The driver's threading mode.
    pub fn threading_mode(&self) -> ThreadingMode {
        self.threading_mode
    }

    /// Whether the driver is running (launched, not yet closed).
    pub fn is_running(&self) -> bool {
        self.driver.is_some()
    }

    /// Closes the driver and removes its directory (if so configured). Idempotent.
    fn close_driver(&mut self) -> Result<(), DriverError> {
        if self.driver.is_none() && self.context.is_none() {
            return Ok(());
        }
        // aeron_driver_close: stops and joins Aeron's own agent threads (other modes than
        // Shared), closes the conductor, unmaps the CnC file. The context goes after it.
        drop(self.driver.take());
        drop(self.context.take());
        if self.delete_dir_on_close {
            remove_dir(&self.dir)
                .map_err(|source| DriverError::RemoveDir { dir: self.dir.clone(), source })?;
        }
        Ok(())
    }
}

impl Agent for MediaDriverAgent {
    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let Some(driver) = &self.driver else { return Ok(0) };
        match driver.main_do_work() {
            Ok(work) => Ok(usize::try_from(work).unwrap_or(0)),
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
            .field("delete_dir_on_close", &self.delete_dir_on_close)
            .finish()
    }
}

/// Makes sure the directory can be the driver's: created if missing, writable, not in use by
/// a live driver, and holding nothing but an old Aeron directory. Returns whether it created
/// the directory.
fn prepare_dir(config: &MediaDriverConfig) -> Result<bool, DriverError> {
    let dir = &config.dir;
    let not_writable = |source: io::Error| DriverError::DirNotWritable { dir: dir.clone(), source };
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => Err(not_writable(io::Error::new(
            io::ErrorKind::NotADirectory,
            "it exists and is not a directory",
        ))),
        Ok(_) => {
            if dir.join(CNC_FILE).exists() {
                if driver_active(dir, config.driver_timeout) {
                    return Err(DriverError::AlreadyActive { dir: dir.clone() });
                }
            } else if std::fs::read_dir(dir).map_err(not_writable)?.next().is_some() {
                return Err(DriverError::NotAnAeronDir { dir: dir.clone() });
            }
            probe_writable(dir).map_err(not_writable)?;
            Ok(false)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(not_writable)?;
            if let Err(source) = probe_writable(dir) {
                let _ = remove_dir(dir);
                return Err(not_writable(source));
            }
            Ok(true)
        }
        Err(e) => Err(not_writable(e)),
    }
}

/// Creates and removes a file in `dir`: write permission bits do not tell about read-only
/// mounts or root's override, a real write does.
fn probe_writable(dir: &Path) -> io::Result<()> {
    let probe = dir.join(format!(".dutycycle-probe-{}", std::process::id()));
    std::fs::File::create(&probe)?;
    std::fs::remove_file(&probe)
}

/// Removes the directory and everything in it; one that is already gone is fine.
fn remove_dir(dir: &Path) -> io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
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

/// Builds the context, then initialises and starts the driver with a manual main loop.
fn start_driver(config: &MediaDriverConfig) -> Result<(AeronDriverContext, AeronDriver), DriverError> {
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
    let driver = AeronDriver::new(&context).map_err(aeron_error(dir, "aeron_driver_init"))?;
    // Manual main loop: Aeron starts no thread for the main duty cycle; the agent runs it.
    driver.start(true).map_err(aeron_error(dir, "aeron_driver_start"))?;
    Ok((context, driver))
}
