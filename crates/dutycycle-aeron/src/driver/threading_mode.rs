//! [`ThreadingMode`]: how the media driver spreads its work over threads.

use std::fmt;
use std::str::FromStr;

use rusteron_media_driver::bindings::aeron_threading_mode_enum;

/// How an embedded media driver spreads its conductor, sender and receiver over threads.
///
/// The [`MediaDriverAgent`](crate::MediaDriverAgent) always runs the driver's *main* duty cycle
/// on its own agent thread, through `aeron_driver_main_do_work`; the mode decides what that
/// duty cycle holds and whether Aeron starts threads of its own.
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::ThreadingMode;
///
/// assert_eq!(ThreadingMode::default(), ThreadingMode::Shared);
/// assert_eq!("dedicated".parse::<ThreadingMode>()?, ThreadingMode::Dedicated);
/// assert_eq!(ThreadingMode::SharedNetwork.to_string(), "shared_network");
/// assert!("invoker".parse::<ThreadingMode>().is_err());
/// # Ok::<(), dutycycle_aeron::UnknownThreadingMode>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ThreadingMode {
    /// Conductor, sender and receiver in one duty cycle, on the agent's thread: no thread of
    /// Aeron's own. The mode for a driver that shares a core with other agents.
    #[default]
    Shared,
    /// The conductor on the agent's thread; sender and receiver share one thread that Aeron
    /// starts (and joins when the agent closes).
    SharedNetwork,
    /// The conductor on the agent's thread; sender and receiver each on a thread of Aeron's.
    Dedicated,
}

impl ThreadingMode {
    /// Aeron's name for the mode (`AERON_THREADING_MODE`): `shared`, `shared_network`,
    /// `dedicated`.
    pub fn name(self) -> &'static str {
        match self {
            ThreadingMode::Shared => "shared",
            ThreadingMode::SharedNetwork => "shared_network",
            ThreadingMode::Dedicated => "dedicated",
        }
    }

    pub(crate) fn to_aeron(self) -> aeron_threading_mode_enum {
        match self {
            ThreadingMode::Shared => aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED,
            ThreadingMode::SharedNetwork => aeron_threading_mode_enum::AERON_THREADING_MODE_SHARED_NETWORK,
            ThreadingMode::Dedicated => aeron_threading_mode_enum::AERON_THREADING_MODE_DEDICATED,
        }
    }
}

impl fmt::Display for ThreadingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A threading mode name that is not `shared`, `shared_network` or `dedicated`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown media driver threading mode {0:?} (expected shared, shared_network or dedicated)")]
pub struct UnknownThreadingMode(pub String);

impl FromStr for ThreadingMode {
    type Err = UnknownThreadingMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "shared" => Ok(ThreadingMode::Shared),
            "shared_network" | "shared-network" => Ok(ThreadingMode::SharedNetwork),
            "dedicated" => Ok(ThreadingMode::Dedicated),
            _ => Err(UnknownThreadingMode(s.to_owned())),
        }
    }
}
