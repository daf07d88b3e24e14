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
/// handler, and the agent goes on.
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
    /// Adding a publication or subscription failed (a channel the driver refused, say).
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
    /// The client has closed itself: it lost its driver (no heartbeat within the driver
    /// timeout) or was closed by the driver. Reported once; make a new client to go on.
    #[error("the Aeron client of {} has closed (driver lost or client timed out)", dir.display())]
    Closed {
        /// The driver directory.
        dir: PathBuf,
    },
}
