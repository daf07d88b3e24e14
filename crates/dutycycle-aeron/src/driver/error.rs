//! [`DriverError`]: why an embedded media driver did not start or close cleanly.

use std::io;
use std::path::PathBuf;

use crate::{AeronCallError, DriverThread, ThreadingMode};

/// Why a [`MediaDriverAgent`](crate::MediaDriverAgent) could not start, or did not close
/// cleanly. Every variant names what it is about; its `Display` says what failed, and the
/// cause (the OS error, or Aeron's call, code and message) is only its
/// [`source`](std::error::Error::source), so that a reporter walking the chain prints each
/// cause once.
///
/// [`MediaDriverAgent::launch`](crate::MediaDriverAgent::launch) returns it **before**
/// anything is left half-built: a directory it created for the driver is removed again, and no
/// driver is running. Inside a runner's factory it comes back from `start` as
/// [`StartError::Factory`](dutycycle::StartError::Factory); [`cause`](crate::cause) finds it
/// there.
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::{DriverError, MediaDriverAgent, MediaDriverConfig};
///
/// // A path under a regular file can never be a directory.
/// let file = std::env::temp_dir().join(format!("not-a-dir-{}", std::process::id()));
/// std::fs::write(&file, b"")?;
/// let err = MediaDriverAgent::launch(MediaDriverConfig::new().dir(file.join("aeron"))).unwrap_err();
/// assert!(matches!(err, DriverError::DirNotWritable { .. }));
/// assert!(err.to_string().contains("not-a-dir-"));
/// # std::fs::remove_file(&file)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// A setting is out of range; checked before anything is touched.
    #[error("invalid media driver setting {setting} = {value}: {reason}")]
    InvalidSetting {
        /// The setting, as named by the [`MediaDriverConfig`](crate::MediaDriverConfig) method.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What a valid value is.
        reason: String,
    },
    /// A thread was given a core or an idle strategy that the threading mode does not run
    /// (the sender in [`Shared`](ThreadingMode::Shared) mode, say); checked before anything
    /// is touched.
    #[error("the media driver runs no {thread} thread in {mode} threading mode")]
    ThreadNotInMode {
        /// The thread.
        thread: DriverThread,
        /// The threading mode.
        mode: ThreadingMode,
    },
    /// A thread's idle strategy is not one Aeron C's driver can run; checked before anything
    /// is touched.
    #[error("the media driver's {thread} thread cannot run idle strategy {strategy}: {reason}")]
    IdleStrategyNotInAeron {
        /// The thread.
        thread: DriverThread,
        /// The strategy asked for, as [`IdleStrategyConfig`](dutycycle::IdleStrategyConfig)
        /// prints it.
        strategy: String,
        /// What Aeron C can run instead.
        reason: &'static str,
    },
    /// A thread's core is not one this process may run on
    /// ([`dutycycle::allowed_cores`]); checked before anything is touched.
    #[error(
        "core {core} of the media driver's {thread} thread is not in this process's allowed set {allowed:?}"
    )]
    CoreNotAllowed {
        /// The thread.
        thread: DriverThread,
        /// The core asked for.
        core: usize,
        /// The cores this process may use.
        allowed: Vec<usize>,
    },
    /// The cores this process may use could not be read, so a thread's core could not be
    /// checked.
    #[error("could not read the cores this process may use")]
    AllowedCores {
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A [`MediaDriverAgent`](crate::MediaDriverAgent) was given a core or an idle strategy
    /// for the duty cycle it runs itself (the conductor, or the shared one): those are the
    /// core and idle strategy of the runner that drives the agent. Nothing was touched.
    #[error("the media driver's {thread} duty cycle runs on the agent's thread: set its core and idle strategy on the agent's runner")]
    ThreadRunByAgent {
        /// The thread.
        thread: DriverThread,
    },
    /// One of Aeron's driver threads could not pin itself to its core as it started (the OS
    /// refused, or the thread did not start within 10 s). The driver was closed again.
    #[error("the media driver's {thread} thread could not be pinned to core {core}")]
    ThreadPin {
        /// The thread.
        thread: DriverThread,
        /// The core asked for.
        core: usize,
        /// The OS error, or [`io::ErrorKind::TimedOut`].
        #[source]
        source: io::Error,
    },
    /// The driver directory cannot be created or written.
    #[error("media driver directory {} is not writable", dir.display())]
    DirNotWritable {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Another media driver is active in the directory (its heartbeat is recent).
    #[error("a media driver is already active in {}", dir.display())]
    AlreadyActive {
        /// The directory.
        dir: PathBuf,
    },
    /// Another media driver launch or close, in this process or another, held the lock on
    /// the directory's parent for longer than a launch or a removal takes (10 s): a process
    /// stopped while holding it, say. Nothing was touched.
    #[error("the parent of media driver directory {} stayed locked by another launch or close", dir.display())]
    DirLocked {
        /// The directory.
        dir: PathBuf,
    },
    /// The directory exists, is not empty and holds no Aeron CnC file: starting a driver
    /// there would delete it, so the agent refuses.
    #[error("{} is not empty and is not an Aeron directory (no cnc.dat): refusing to let the media driver delete it", dir.display())]
    NotAnAeronDir {
        /// The directory.
        dir: PathBuf,
    },
    /// Aeron's C media driver refused to initialise or start (or failed in its duty cycle).
    #[error("the media driver in {} failed", dir.display())]
    Aeron {
        /// The directory.
        dir: PathBuf,
        /// The failed call.
        #[source]
        source: AeronCallError,
    },
    /// The directory could not be removed when the agent closed.
    #[error("could not remove media driver directory {}", dir.display())]
    RemoveDir {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}
