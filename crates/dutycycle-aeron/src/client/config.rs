//! [`ClientConfig`]: how an agent's Aeron client is made.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::driver::config::driver_timeout_problem;
use crate::driver::dir::c_path;
use crate::{ClientError, ConductorMode};

/// How to make an agent's [`AeronClient`](crate::AeronClient): which media driver directory,
/// who runs the conductor, the client's name and timeouts. `Clone + Send`: make it anywhere,
/// move it into the runner's factory.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_aeron::{ClientConfig, ConductorMode};
///
/// let config = ClientConfig::new()
///     .dir("/dev/shm/aeron-gateway")
///     .conductor(ConductorMode::Invoker)
///     .client_name("gateway");
/// assert!(config.validate().is_ok());
/// assert!(ClientConfig::new().client_name("a\0b").validate().is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    pub(crate) dir: Option<PathBuf>,
    pub(crate) conductor: ConductorMode,
    pub(crate) client_name: Option<String>,
    pub(crate) driver_timeout: Option<Duration>,
    pub(crate) pre_touch_mapped_memory: bool,
}

impl ClientConfig {
    /// Defaults: the driver directory from `AERON_DIR` or Aeron's default, the conductor
    /// invoked from the agent's duty cycle, Aeron's timeouts.
    pub fn new() -> Self {
        Self::default()
    }

    /// The media driver's directory (default: `AERON_DIR`, else Aeron's default
    /// `/dev/shm/aeron-$USER`).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Who runs the client conductor (default [`ConductorMode::Invoker`]).
    pub fn conductor(mut self, mode: ConductorMode) -> Self {
        self.conductor = mode;
        self
    }

    /// The client's name, as the driver shows it in its counters.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.client_name = Some(name.into());
        self
    }

    /// How long the client waits for the driver's heartbeat before it counts the driver as
    /// dead (default: the driver's setting, Aeron's 10 s). At least 1 ms, and at most
    /// 2^63 - 1 ns (Aeron holds timeouts in signed 64-bit nanoseconds).
    pub fn driver_timeout(mut self, timeout: Duration) -> Self {
        self.driver_timeout = Some(timeout);
        self
    }

    /// Whether the client touches every page of the log buffers it maps, so that the first
    /// messages do not pay for page faults (Aeron's `pre_touch_mapped_memory`, default off).
    pub fn pre_touch_mapped_memory(mut self, pre_touch: bool) -> Self {
        self.pre_touch_mapped_memory = pre_touch;
        self
    }

    /// The media driver directory given with [`dir`](Self::dir), if any (Aeron's
    /// `aeron.dir`; without one, the client uses `AERON_DIR` or Aeron's default).
    ///
    /// ```
    /// use dutycycle_aeron::ClientConfig;
    ///
    /// assert_eq!(ClientConfig::new().aeron_dir(), None);
    /// let config = ClientConfig::new().dir("/dev/shm/aeron-gateway");
    /// assert_eq!(config.aeron_dir(), Some(std::path::Path::new("/dev/shm/aeron-gateway")));
    /// ```
    pub fn aeron_dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Who will run the conductor, as set with [`conductor`](Self::conductor) (the name
    /// [`AeronClient::conductor_mode`](crate::AeronClient::conductor_mode) reports it by).
    ///
    /// ```
    /// use dutycycle_aeron::{ClientConfig, ConductorMode};
    ///
    /// assert_eq!(ClientConfig::new().conductor_mode(), ConductorMode::Invoker);
    /// let config = ClientConfig::new().conductor(ConductorMode::Thread);
    /// assert_eq!(config.conductor_mode(), ConductorMode::Thread);
    /// ```
    pub fn conductor_mode(&self) -> ConductorMode {
        self.conductor
    }

    /// Checks the settings without touching Aeron.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidSetting`] naming the setting.
    pub fn validate(&self) -> Result<(), ClientError> {
        if let Some(dir) = &self.dir {
            if dir.as_os_str().is_empty() || c_path(dir).is_none() {
                return Err(ClientError::InvalidSetting {
                    setting: "dir",
                    value: format!("{dir:?}"),
                    reason: "must be a non-empty path without NUL bytes".to_owned(),
                });
            }
        }
        if let Some(name) = &self.client_name {
            if name.contains('\0') {
                return Err(ClientError::InvalidSetting {
                    setting: "client_name",
                    value: format!("{name:?}"),
                    reason: "must not contain NUL bytes".to_owned(),
                });
            }
        }
        if let Some(timeout) = self.driver_timeout {
            if let Some(reason) = driver_timeout_problem(timeout) {
                return Err(ClientError::InvalidSetting {
                    setting: "driver_timeout",
                    value: format!("{timeout:?}"),
                    reason: reason.to_owned(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting_of(config: &ClientConfig) -> Option<&'static str> {
        match config.validate() {
            Err(ClientError::InvalidSetting { setting, .. }) => Some(setting),
            Err(other) => panic!("unexpected {other}"),
            Ok(()) => None,
        }
    }

    #[test]
    fn driver_timeouts_aeron_cannot_hold_are_refused() {
        assert_eq!(setting_of(&ClientConfig::new()), None);
        for timeout in
            [Duration::ZERO, Duration::from_micros(999), Duration::MAX, Duration::from_millis(u64::MAX)]
        {
            assert_eq!(
                setting_of(&ClientConfig::new().driver_timeout(timeout)),
                Some("driver_timeout"),
                "{timeout:?}"
            );
        }
        let longest = Duration::from_nanos(i64::MAX.unsigned_abs());
        assert_eq!(setting_of(&ClientConfig::new().driver_timeout(longest)), None);
        assert_eq!(setting_of(&ClientConfig::new().driver_timeout(Duration::from_secs(10))), None);
    }

    #[test]
    fn connect_refuses_an_overlong_driver_timeout_before_touching_aeron() {
        let config = ClientConfig::new().dir("/nonexistent/aeron").driver_timeout(Duration::MAX);
        match crate::AeronClient::connect(&config) {
            Err(ClientError::InvalidSetting { setting, .. }) => assert_eq!(setting, "driver_timeout"),
            other => panic!("{other:?}"),
        }
    }
}
