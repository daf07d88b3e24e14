//! [`MediaDriver`]: an embedded media driver on threads of Aeron's own.

use std::fmt;
use std::path::Path;

use crate::driver::agent::MainLoop;
use crate::{DriverError, MediaDriverAgent, MediaDriverConfig, ThreadingMode};

/// Aeron's C media driver, embedded, with every duty cycle on a thread Aeron starts: the
/// conductor too (or, in [`Shared`](ThreadingMode::Shared) mode, the one thread of the whole
/// driver). The layout of Aeron's own `aeronmd`, for a driver that needs no agent: nothing to
/// compose it with, its conductor placed like its other threads by the config
/// ([`MediaDriverConfig::thread_core`], [`thread_idle_strategy`](MediaDriverConfig::thread_idle_strategy)).
/// Everything else is as for a [`MediaDriverAgent`]: the same checks, directory, lock and
/// clean-up, the same errors.
///
/// [`launch`](MediaDriver::launch) returns once the driver is initialised (clients can
/// connect) and every thread with a core has pinned itself. [`close`](MediaDriver::close)
/// stops and joins Aeron's threads and removes the directory; dropping it does the same.
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::{AeronClient, ClientConfig, DriverThread, MediaDriver, MediaDriverConfig, ThreadingMode};
///
/// let core = *dutycycle::allowed_cores()?.last().unwrap();
/// let config = MediaDriverConfig::new()
///     .threading_mode(ThreadingMode::Shared)
///     .thread_core(DriverThread::Shared, core)
///     .thread_idle_strategy(DriverThread::Shared, "sleep-ns:1ms".parse()?);
/// let driver = MediaDriver::launch(config)?;
/// let dir = driver.dir().to_owned();
/// AeronClient::connect(&ClientConfig::new().dir(&dir))?.close()?;
/// driver.close()?;
/// assert!(!dir.exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MediaDriver {
    /// The driver, launched with Aeron's own main loop thread; its `do_work` is never called.
    driver: MediaDriverAgent,
}

impl MediaDriver {
    /// Checks `config`, prepares the directory, then initialises and starts the driver, every
    /// duty cycle on a thread of Aeron's, and waits for the threads that have a core to pin
    /// themselves.
    ///
    /// # Errors
    ///
    /// As [`MediaDriverAgent::launch`], except that the conductor and the shared thread can be
    /// placed (no [`ThreadRunByAgent`](DriverError::ThreadRunByAgent)). No driver runs
    /// afterwards; a directory this call created is removed unless a driver of someone else's
    /// runs in it, and nothing else is.
    pub fn launch(config: MediaDriverConfig) -> Result<MediaDriver, DriverError> {
        Ok(MediaDriver { driver: MediaDriverAgent::launch_with(config, MainLoop::AeronThread)? })
    }

    /// The driver's directory, for clients to connect to.
    pub fn dir(&self) -> &Path {
        self.driver.dir()
    }

    /// The driver's threading mode.
    pub fn threading_mode(&self) -> ThreadingMode {
        self.driver.threading_mode()
    }

    /// Stops the driver (joining Aeron's threads) and removes its directory, if so configured,
    /// only while its CnC file still names this driver.
    ///
    /// # Errors
    ///
    /// [`DriverError::RemoveDir`] when the directory could not be removed;
    /// [`DriverError::DirLocked`] when another launch or close kept the lock.
    pub fn close(mut self) -> Result<(), DriverError> {
        self.driver.close()
    }
}

impl fmt::Debug for MediaDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaDriver")
            .field("dir", &self.dir())
            .field("threading_mode", &self.threading_mode())
            .field("running", &self.driver.is_running())
            .finish()
    }
}
