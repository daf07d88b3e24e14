//! [`ClientError`]: what went wrong with an agent's Aeron client.

use std::path::PathBuf;

use crate::{AeronCallError, ResourceKind};

/// What went wrong with an [`AeronClient`](crate::AeronClient) or one of its publications or
/// subscriptions. Every variant names what it is about; its `Display` says what failed, and the
/// cause (Aeron's call, code and message) is only its [`source`](std::error::Error::source),
/// so that a reporter walking the chain prints each cause once.
///
/// From [`AeronClient::connect`](crate::AeronClient::connect) (in a runner's factory) it comes
/// back from `start` inside [`StartError::Factory`](dutycycle::StartError::Factory);
/// [`cause`](crate::cause) finds it there. From a duty cycle it goes to the runner's error
/// handler, and the agent goes on, except for an error that
/// [ends the agent](ClientError::ends_agent) (a failed add).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_aeron::{AeronClient, ClientConfig, ClientError};
///
/// let config = ClientConfig::new().driver_timeout(Duration::ZERO);
/// match AeronClient::connect(&config) {
///     Err(ClientError::InvalidSetting { setting, .. }) => assert_eq!(setting, "driver_timeout"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A setting is invalid; checked before anything is touched.
    #[error("invalid Aeron client setting {setting} = {value}: {reason}")]
    InvalidSetting {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What a valid value is.
        reason: String,
    },
    /// No media driver is active in the directory (no CnC file, or a stale heartbeat).
    #[error("no active Aeron media driver in {} (start one there, or set AERON_DIR)", dir.display())]
    NoDriver {
        /// The directory.
        dir: PathBuf,
    },
    /// A call into Aeron failed.
    #[error("an Aeron client call failed")]
    Aeron(#[source] AeronCallError),
    /// The client conductor reported an error on its own (a failed command, a timeout).
    #[error("the Aeron client conductor reported an error")]
    Conductor(#[source] AeronCallError),
    /// Adding a publication or subscription failed (a channel the driver refused, a port
    /// taken, a driver gone) under [`AddErrorPolicy::Fail`](crate::AddErrorPolicy::Fail): it
    /// [ends the owning agent](ClientError::ends_agent).
    #[error("adding {kind} on {channel} stream {stream_id} failed")]
    Add {
        /// What was being added.
        kind: ResourceKind,
        /// The channel.
        channel: String,
        /// The stream id.
        stream_id: i32,
        /// The failed call.
        #[source]
        source: AeronCallError,
    },
    /// An attempt to add a publication or subscription failed under
    /// [`AddErrorPolicy::Retry`](crate::AddErrorPolicy::Retry): the slot adds again after
    /// `backoff`, and the agent goes on.
    #[error("adding {kind} on {channel} stream {stream_id} failed; trying again in {backoff:?}")]
    AddRetrying {
        /// What was being added.
        kind: ResourceKind,
        /// The channel.
        channel: String,
        /// The stream id.
        stream_id: i32,
        /// How long until the next attempt.
        backoff: std::time::Duration,
        /// The failed call.
        #[source]
        source: AeronCallError,
    },
    /// Closing a publication or subscription failed.
    #[error("closing {kind} on {channel} stream {stream_id} failed")]
    Close {
        /// What was being closed.
        kind: ResourceKind,
        /// The channel.
        channel: String,
        /// The stream id.
        stream_id: i32,
        /// The failed call.
        #[source]
        source: AeronCallError,
    },
    /// Adding one of an [`AeronAgent`](crate::AeronAgent)'s counters failed (the driver's
    /// counters file is full, the driver is gone). The agent goes on without that counter.
    #[error("adding the Aeron counter {label:?} failed")]
    CounterAdd {
        /// The counter's label.
        label: String,
        /// The failed call.
        #[source]
        source: AeronCallError,
    },
    /// Closing one of an [`AeronAgent`](crate::AeronAgent)'s counters failed.
    #[error("closing the Aeron counter {label:?} failed")]
    CounterClose {
        /// The counter's label.
        label: String,
        /// The failed call.
        #[source]
        source: AeronCallError,
    },
    /// The client has closed itself: it lost its driver (no heartbeat within the driver
    /// timeout) or was closed by the driver. Reported once; make a new client to go on.
    #[error("the Aeron client of {} has closed (driver lost or client timed out)", dir.display())]
    Closed {
        /// The driver directory.
        dir: PathBuf,
    },
}

impl ClientError {
    /// Whether this error ends the agent that owns the client: a failed add under
    /// [`AddErrorPolicy::Fail`](crate::AddErrorPolicy::Fail) ([`ClientError::Add`]), since
    /// an agent without its publication or subscription would run on doing nothing.
    /// [`AeronAgent`](crate::AeronAgent) ends with such an error as its cause
    /// ([`Ending::Failed`](dutycycle::Ending::Failed)); an agent of your own does the same
    /// with [`into_agent_error`](ClientError::into_agent_error).
    ///
    /// ```
    /// use std::time::Duration;
    /// use dutycycle_aeron::ClientError;
    ///
    /// let no_driver = ClientError::NoDriver { dir: "/dev/shm/nowhere".into() };
    /// assert!(!no_driver.ends_agent());
    /// assert!(!no_driver.into_agent_error().is_failure());
    /// ```
    pub fn ends_agent(&self) -> bool {
        matches!(self, ClientError::Add { .. })
    }

    /// This error as an agent's error: one that [ends the agent](dutycycle::AgentError::fail)
    /// when [`ends_agent`](ClientError::ends_agent) says so, otherwise one for the error
    /// handler. For `?` in an [`Agent`](dutycycle::Agent) of your own:
    /// `self.input.poll().map_err(ClientError::into_agent_error)?`.
    pub fn into_agent_error(self) -> dutycycle::AgentError {
        if self.ends_agent() {
            dutycycle::AgentError::fail(self)
        } else {
            dutycycle::AgentError::new(self)
        }
    }
}
