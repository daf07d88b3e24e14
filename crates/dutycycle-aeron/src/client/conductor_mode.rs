//! [`ConductorMode`]: who runs an Aeron client's conductor.

use std::fmt;
use std::str::FromStr;

use crate::ClientError;

/// Who runs an Aeron client's conductor (the duty cycle that talks to the media driver, keeps
/// the client alive and fires image callbacks).
///
/// # Examples
///
/// ```
/// use dutycycle_aeron::ConductorMode;
///
/// assert_eq!(ConductorMode::default(), ConductorMode::Invoker);
/// assert_eq!("thread".parse::<ConductorMode>()?, ConductorMode::Thread);
/// # Ok::<(), dutycycle_aeron::ClientError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConductorMode {
    /// The agent's own duty cycle runs it (Aeron's *conductor agent invoker*:
    /// `aeron_main_do_work` from [`AeronClient::do_work`](crate::AeronClient::do_work)). One
    /// thread, pinned if you like, runs the conductor and the application; image and error
    /// callbacks run on it too, so the agent sees them in order with its own work and nothing
    /// needs a lock. Aeron starts no thread. The default.
    #[default]
    Invoker,
    /// Aeron starts a conductor thread of its own (`aeron-client`, unpinned, with Aeron's idle
    /// strategy); callbacks run there and reach the agent through a queue. For agents whose
    /// duty cycle may stall for longer than the client's keepalive allows, or that do not want
    /// the conductor's work on their core.
    Thread,
}

impl FromStr for ConductorMode {
    type Err = ClientError;

    fn from_str(s: &str) -> Result<Self, ClientError> {
        match s.to_ascii_lowercase().as_str() {
            "invoker" => Ok(ConductorMode::Invoker),
            "thread" => Ok(ConductorMode::Thread),
            _ => Err(ClientError::InvalidSetting {
                setting: "conductor",
                value: s.to_owned(),
                reason: "expected invoker or thread".to_owned(),
            }),
        }
    }
}

impl fmt::Display for ConductorMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConductorMode::Invoker => "invoker",
            ConductorMode::Thread => "thread",
        })
    }
}
