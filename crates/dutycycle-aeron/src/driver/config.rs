//! [`MediaDriverConfig`]: the settings of an embedded media driver.

use std::path::{Path, PathBuf};
use std::time::Duration;

use dutycycle::IdleStrategyConfig;

use crate::driver::dir::{c_path, unique_dir};
use crate::driver::thread_placement::AeronIdleStrategy;
use crate::{DriverError, DriverThread, ThreadingMode};

/// Aeron's smallest term buffer: 64 KiB.
const MIN_TERM_LENGTH: usize = 64 * 1024;
/// Aeron's largest term buffer: 1 GiB.
const MAX_TERM_LENGTH: usize = 1024 * 1024 * 1024;
/// Aeron frames are aligned to 32 bytes, and a frame's header alone is 32 bytes.
const FRAME_ALIGNMENT: usize = 32;
/// The largest UDP payload Aeron sends.
const MAX_MTU_LENGTH: usize = 65_504;
/// The longest timeout Aeron can hold: its C code keeps timeouts as signed 64-bit nanoseconds
/// (a driver timeout of `u64::MAX` ms wraps, and a client then finds no driver heartbeat).
const MAX_AERON_TIMEOUT: Duration = Duration::from_nanos(i64::MAX.unsigned_abs());

/// Why `timeout` cannot be a driver timeout (of a driver or a client), if it cannot: under
/// 1 ms (Aeron counts it in whole milliseconds), or longer than Aeron can hold.
pub(crate) fn driver_timeout_problem(timeout: Duration) -> Option<&'static str> {
    if timeout < Duration::from_millis(1) {
        Some("must be at least 1 ms")
    } else if timeout > MAX_AERON_TIMEOUT {
        Some("must be at most 2^63 - 1 ns (about 292 years), the longest Aeron can hold")
    } else {
        None
    }
}

/// The settings of an embedded media driver: its directory, threading mode, the cores and idle
/// strategies of the threads Aeron starts ([`thread_core`](MediaDriverConfig::thread_core),
/// [`thread_idle_strategy`](MediaDriverConfig::thread_idle_strategy)) and the few settings an
/// embedded driver is usually tuned by. Everything else comes from Aeron's
/// environment variables (`AERON_*`), which the C driver reads when its context is made.
///
/// [`MediaDriverConfig::new`] picks a directory no other driver uses
/// (`/dev/shm/aeron-dutycycle-{pid}-{n}`) at once, so that clients can be pointed at
/// [`aeron_dir`](MediaDriverConfig::aeron_dir) before the driver starts; the agent removes it when it
/// closes. `Clone + Send`: make it on any thread, move it into the runner's factory.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_aeron::{DriverError, MediaDriverConfig, ThreadingMode};
///
/// let config = MediaDriverConfig::new()
///     .threading_mode(ThreadingMode::Shared)
///     .ipc_term_buffer_length(256 * 1024)
///     .driver_timeout(Duration::from_secs(5));
/// assert!(config.aeron_dir().to_str().unwrap().contains("aeron-dutycycle-"));
/// assert!(config.validate().is_ok());
///
/// let bad = MediaDriverConfig::new().term_buffer_length(100_000);
/// match bad.validate() {
///     Err(DriverError::InvalidSetting { setting, .. }) => assert_eq!(setting, "term_buffer_length"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone)]
pub struct MediaDriverConfig {
    pub(crate) dir: PathBuf,
    pub(crate) threading_mode: ThreadingMode,
    pub(crate) delete_dir_on_close: bool,
    pub(crate) driver_timeout: Duration,
    pub(crate) term_buffer_length: Option<usize>,
    pub(crate) ipc_term_buffer_length: Option<usize>,
    pub(crate) mtu_length: Option<usize>,
    pub(crate) term_buffer_sparse_file: Option<bool>,
    /// Per [`DriverThread`], in the order of [`DriverThread::ALL`].
    pub(crate) threads: [ThreadSettings; 5],
}

/// The placement of one driver thread: its core and idle strategy, each unset by default.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadSettings {
    pub(crate) core: Option<usize>,
    pub(crate) idle_strategy: Option<IdleStrategyConfig>,
}

impl ThreadSettings {
    fn is_set(&self) -> bool {
        self.core.is_some() || self.idle_strategy.is_some()
    }
}

impl MediaDriverConfig {
    /// Aeron's default driver timeout: 10 s.
    pub const DEFAULT_DRIVER_TIMEOUT: Duration = Duration::from_secs(10);

    /// Defaults: a unique directory of its own, removed on close; [`ThreadingMode::Shared`];
    /// Aeron's driver timeout (10 s); Aeron's buffer sizes.
    pub fn new() -> Self {
        MediaDriverConfig {
            dir: unique_dir(),
            threading_mode: ThreadingMode::Shared,
            delete_dir_on_close: true,
            driver_timeout: Self::DEFAULT_DRIVER_TIMEOUT,
            term_buffer_length: None,
            ipc_term_buffer_length: None,
            mtu_length: None,
            term_buffer_sparse_file: None,
            threads: Default::default(),
        }
    }

    /// The driver's directory (Aeron's `aeron.dir`). The agent creates it, refuses one that a
    /// live driver uses or that holds something other than an old Aeron directory, and removes
    /// it on close unless [`delete_dir_on_close`](Self::delete_dir_on_close)`(false)`.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// The threading mode (default [`ThreadingMode::Shared`]).
    pub fn threading_mode(mut self, mode: ThreadingMode) -> Self {
        self.threading_mode = mode;
        self
    }

    /// Whether the agent removes the directory when it closes (default `true`).
    pub fn delete_dir_on_close(mut self, delete: bool) -> Self {
        self.delete_dir_on_close = delete;
        self
    }

    /// How long without a heartbeat before a driver, or a client, counts as dead (Aeron's
    /// `aeron.driver.timeout`); also how recent another driver's heartbeat must be for its
    /// directory to count as taken. At least 1 ms, and at most 2^63 - 1 ns (Aeron holds
    /// timeouts in signed 64-bit nanoseconds).
    pub fn driver_timeout(mut self, timeout: Duration) -> Self {
        self.driver_timeout = timeout;
        self
    }

    /// The term buffer length of UDP publications: a power of two from 64 KiB to 1 GiB.
    pub fn term_buffer_length(mut self, length: usize) -> Self {
        self.term_buffer_length = Some(length);
        self
    }

    /// The term buffer length of IPC publications: a power of two from 64 KiB to 1 GiB.
    pub fn ipc_term_buffer_length(mut self, length: usize) -> Self {
        self.ipc_term_buffer_length = Some(length);
        self
    }

    /// The MTU of UDP publications: a multiple of 32 from 64 to 65504.
    pub fn mtu_length(mut self, length: usize) -> Self {
        self.mtu_length = Some(length);
        self
    }

    /// Whether term buffers are sparse files (Aeron's default: yes). `false` touches every
    /// page up front: slower to create, no page faults on the hot path.
    pub fn term_buffer_sparse_file(mut self, sparse: bool) -> Self {
        self.term_buffer_sparse_file = Some(sparse);
        self
    }

    /// Pins `thread` to `core` (what Aeron's `aeron.*.cpu.affinity` settings are for): the
    /// thread pins itself as it starts, before its first duty cycle. For a
    /// [`MediaDriverAgent`](crate::MediaDriverAgent), only the threads Aeron starts (not
    /// [`DriverThread::is_run_by_agent`]): pin the conductor (or, in
    /// [`Shared`](ThreadingMode::Shared) mode, the whole driver) with the core of the runner
    /// that drives the agent. For a [`MediaDriver`](crate::MediaDriver), every thread of the
    /// mode. A thread without a core runs where the thread that launched the driver may run
    /// (on the runner's core, if it has one).
    ///
    /// [`validate`](Self::validate) checks that the thread exists in the threading mode and
    /// that the core is one this process may use ([`dutycycle::allowed_cores`]); the launch
    /// fails if the OS refuses the pin.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_aeron::{DriverError, DriverThread, MediaDriverConfig, ThreadingMode};
    ///
    /// let core = *dutycycle::allowed_cores()?.last().unwrap();
    /// let config = MediaDriverConfig::new()
    ///     .threading_mode(ThreadingMode::Dedicated)
    ///     .thread_core(DriverThread::Sender, core)
    ///     .thread_core(DriverThread::Receiver, core);
    /// assert_eq!(config.core_of(DriverThread::Sender), Some(core));
    /// assert!(config.validate().is_ok());
    ///
    /// let far = MediaDriverConfig::new()
    ///     .threading_mode(ThreadingMode::Dedicated)
    ///     .thread_core(DriverThread::Sender, 100_000);
    /// assert!(matches!(far.validate(), Err(DriverError::CoreNotAllowed { core: 100_000, .. })));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread_core(mut self, thread: DriverThread, core: usize) -> Self {
        self.threads[thread as usize].core = Some(core);
        self
    }

    /// Sets `thread`'s idle strategy by dutycycle's name for it (Aeron's
    /// `aeron.*.idle.strategy` and its init args). Aeron C runs its own strategies, so the
    /// strategy must be one of them: `spin`, `noop`, `yield`, `sleep-ns` (`sleep-ms` becomes
    /// `sleep-ns` with the same period) or `backoff`; `controllable` is not, and
    /// [`validate`](Self::validate) refuses it. As with
    /// [`thread_core`](Self::thread_core), only for a thread Aeron starts when the driver is a
    /// [`MediaDriverAgent`](crate::MediaDriverAgent): the runner's idle strategy is the
    /// conductor's; a [`MediaDriver`](crate::MediaDriver) takes one for every thread. Unset, Aeron's default: `backoff`, or its `AERON_*_IDLE_STRATEGY`
    /// environment variable.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::IdleStrategyConfig;
    /// use dutycycle_aeron::{DriverError, DriverThread, MediaDriverConfig, ThreadingMode};
    ///
    /// let config = MediaDriverConfig::new()
    ///     .threading_mode(ThreadingMode::SharedNetwork)
    ///     .thread_idle_strategy(DriverThread::SharedNetwork, "sleep-ns:100us".parse()?);
    /// assert!(config.validate().is_ok());
    ///
    /// let controllable = config.thread_idle_strategy(DriverThread::SharedNetwork, "controllable".parse()?);
    /// assert!(matches!(
    ///     controllable.validate(),
    ///     Err(DriverError::IdleStrategyNotInAeron { thread: DriverThread::SharedNetwork, .. })
    /// ));
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn thread_idle_strategy(mut self, thread: DriverThread, idle: IdleStrategyConfig) -> Self {
        self.threads[thread as usize].idle_strategy = Some(idle);
        self
    }

    /// The core set for `thread`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_aeron::{DriverThread, MediaDriverConfig};
    ///
    /// let config = MediaDriverConfig::new().thread_core(DriverThread::Receiver, 1);
    /// assert_eq!(config.core_of(DriverThread::Receiver), Some(1));
    /// assert_eq!(config.core_of(DriverThread::Sender), None);
    /// ```
    pub fn core_of(&self, thread: DriverThread) -> Option<usize> {
        self.threads[thread as usize].core
    }

    /// The idle strategy set for `thread`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_aeron::{DriverThread, MediaDriverConfig};
    ///
    /// let config = MediaDriverConfig::new().thread_idle_strategy(DriverThread::Sender, "yield".parse()?);
    /// assert_eq!(config.idle_strategy_of(DriverThread::Sender).map(|s| s.alias()), Some("yield"));
    /// assert!(config.idle_strategy_of(DriverThread::Receiver).is_none());
    /// # Ok::<(), dutycycle::IdleStrategyParseError>(())
    /// ```
    pub fn idle_strategy_of(&self, thread: DriverThread) -> Option<&IdleStrategyConfig> {
        self.threads[thread as usize].idle_strategy.as_ref()
    }

    /// The threads with a core or an idle strategy set, with their settings.
    pub(crate) fn placed_threads(&self) -> impl Iterator<Item = (DriverThread, &ThreadSettings)> {
        DriverThread::ALL.into_iter().map(|t| (t, &self.threads[t as usize])).filter(|(_, s)| s.is_set())
    }

    /// The directory the driver will use (Aeron's `aeron.dir`): where its clients connect.
    /// Named apart from the builder method [`dir`](Self::dir), which sets it.
    ///
    /// ```
    /// use dutycycle_aeron::{ClientConfig, MediaDriverConfig};
    ///
    /// let driver = MediaDriverConfig::new().dir("/dev/shm/aeron-example");
    /// let client = ClientConfig::new().dir(driver.aeron_dir()); // known before the driver starts
    /// assert_eq!(client.aeron_dir(), Some(driver.aeron_dir()));
    /// ```
    pub fn aeron_dir(&self) -> &Path {
        &self.dir
    }

    /// Checks every setting, without touching the driver's directory or Aeron (it reads the
    /// cores this process may use, when a thread has a core).
    ///
    /// # Errors
    ///
    /// [`DriverError::InvalidSetting`] naming the first setting out of range;
    /// [`DriverError::ThreadNotInMode`] for a thread placed that the threading mode does not
    /// run; [`DriverError::IdleStrategyNotInAeron`] for an idle strategy Aeron C cannot run;
    /// [`DriverError::CoreNotAllowed`] for a core outside the process's allowed set
    /// ([`DriverError::AllowedCores`] if that set cannot be read).
    pub fn validate(&self) -> Result<(), DriverError> {
        self.validate_settings()?;
        self.validate_threads()
    }

    /// Each placed thread exists in the mode, runs an Aeron C strategy, on an allowed core.
    fn validate_threads(&self) -> Result<(), DriverError> {
        let mut allowed: Option<Vec<usize>> = None;
        for (thread, settings) in self.placed_threads() {
            if !thread.exists_in(self.threading_mode) {
                return Err(DriverError::ThreadNotInMode { thread, mode: self.threading_mode });
            }
            if let Some(idle) = &settings.idle_strategy {
                if let Err(reason) = AeronIdleStrategy::of(idle) {
                    return Err(DriverError::IdleStrategyNotInAeron {
                        thread,
                        strategy: idle.to_string(),
                        reason,
                    });
                }
            }
            if let Some(core) = settings.core {
                if allowed.is_none() {
                    allowed = Some(
                        dutycycle::allowed_cores().map_err(|source| DriverError::AllowedCores { source })?,
                    );
                }
                let allowed = allowed.as_deref().unwrap_or_default();
                if !allowed.contains(&core) {
                    return Err(DriverError::CoreNotAllowed { thread, core, allowed: allowed.to_vec() });
                }
            }
        }
        Ok(())
    }

    /// The settings that are plain values: directory, timeout, lengths.
    fn validate_settings(&self) -> Result<(), DriverError> {
        let invalid = |setting: &'static str, value: String, reason: &str| DriverError::InvalidSetting {
            setting,
            value,
            reason: reason.to_owned(),
        };
        if self.dir.as_os_str().is_empty() || c_path(&self.dir).is_none() {
            return Err(invalid(
                "dir",
                format!("{:?}", self.dir),
                "must be a non-empty path without NUL bytes",
            ));
        }
        if let Some(reason) = driver_timeout_problem(self.driver_timeout) {
            return Err(invalid("driver_timeout", format!("{:?}", self.driver_timeout), reason));
        }
        for (setting, length) in [
            ("term_buffer_length", self.term_buffer_length),
            ("ipc_term_buffer_length", self.ipc_term_buffer_length),
        ] {
            if let Some(length) = length {
                if !length.is_power_of_two() || !(MIN_TERM_LENGTH..=MAX_TERM_LENGTH).contains(&length) {
                    return Err(invalid(
                        setting,
                        length.to_string(),
                        "must be a power of two from 65536 to 1073741824",
                    ));
                }
            }
        }
        if let Some(mtu) = self.mtu_length {
            if mtu % FRAME_ALIGNMENT != 0 || !(2 * FRAME_ALIGNMENT..=MAX_MTU_LENGTH).contains(&mtu) {
                return Err(invalid(
                    "mtu_length",
                    mtu.to_string(),
                    "must be a multiple of 32 from 64 to 65504",
                ));
            }
        }
        Ok(())
    }
}

impl Default for MediaDriverConfig {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting_of(config: &MediaDriverConfig) -> Option<&'static str> {
        match config.validate() {
            Err(DriverError::InvalidSetting { setting, .. }) => Some(setting),
            Err(other) => panic!("unexpected {other}"),
            Ok(()) => None,
        }
    }

    #[test]
    fn out_of_range_settings_are_named() {
        assert_eq!(setting_of(&MediaDriverConfig::new()), None);
        assert_eq!(setting_of(&MediaDriverConfig::new().dir("")), Some("dir"));
        assert_eq!(setting_of(&MediaDriverConfig::new().dir("/tmp/a\0b")), Some("dir"));
        assert_eq!(
            setting_of(&MediaDriverConfig::new().driver_timeout(Duration::ZERO)),
            Some("driver_timeout")
        );
        assert_eq!(
            setting_of(&MediaDriverConfig::new().driver_timeout(Duration::MAX)),
            Some("driver_timeout")
        );
        assert_eq!(setting_of(&MediaDriverConfig::new().driver_timeout(MAX_AERON_TIMEOUT)), None);
        assert_eq!(
            setting_of(&MediaDriverConfig::new().driver_timeout(MAX_AERON_TIMEOUT + Duration::from_nanos(1))),
            Some("driver_timeout")
        );
        assert_eq!(
            setting_of(&MediaDriverConfig::new().term_buffer_length(1 << 15)),
            Some("term_buffer_length")
        );
        assert_eq!(
            setting_of(&MediaDriverConfig::new().term_buffer_length(1 << 31)),
            Some("term_buffer_length")
        );
        assert_eq!(
            setting_of(&MediaDriverConfig::new().ipc_term_buffer_length(70_000)),
            Some("ipc_term_buffer_length")
        );
        assert_eq!(setting_of(&MediaDriverConfig::new().ipc_term_buffer_length(1 << 16)), None);
        assert_eq!(setting_of(&MediaDriverConfig::new().mtu_length(1400)), Some("mtu_length"));
        assert_eq!(setting_of(&MediaDriverConfig::new().mtu_length(32)), Some("mtu_length"));
        assert_eq!(setting_of(&MediaDriverConfig::new().mtu_length(1408)), None);
    }

    #[test]
    fn each_config_gets_a_directory_of_its_own() {
        assert_ne!(MediaDriverConfig::new().aeron_dir(), MediaDriverConfig::new().aeron_dir());
    }
}
