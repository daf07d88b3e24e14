//! [`AddErrorPolicy`]: what a slot does when its add fails.

use std::time::Duration;

/// What a [`PublicationSlot`](crate::PublicationSlot) or
/// [`SubscriptionSlot`](crate::SubscriptionSlot) does when an add cannot succeed: the driver
/// refused the channel, the port is taken, the driver is gone.
///
/// - [`Fail`](AddErrorPolicy::Fail) (the default): the slot's `poll` (or `add`) returns
///   [`ClientError::Add`](crate::ClientError::Add), and the slot is empty. That error
///   [ends the agent](crate::ClientError::ends_agent): an [`AeronAgent`](crate::AeronAgent)
///   ends with [`Ending::Failed`](dutycycle::Ending::Failed) and this cause, instead of
///   running on without its resource.
/// - [`Retry`](AddErrorPolicy::Retry): the slot's `poll` returns
///   [`ClientError::AddRetrying`](crate::ClientError::AddRetrying) once per failed attempt
///   (the error handler logs and counts it, and the agent goes on), and the slot adds again
///   by itself `backoff` later, from `poll`, until the add succeeds or the slot is closed.
///   `add` does not fail: a refused start is reported by the next `poll`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle_aeron::{AddErrorPolicy, Channel, SubscriptionSlot};
///
/// let channel: Channel = "aeron:udp?endpoint=127.0.0.1:40456".parse()?;
/// let slot = SubscriptionSlot::new(channel, 10)
///     .on_add_error(AddErrorPolicy::Retry { backoff: Duration::from_secs(1) });
/// assert_eq!(slot.add_error_policy(), AddErrorPolicy::Retry { backoff: Duration::from_secs(1) });
/// assert_eq!(AddErrorPolicy::default(), AddErrorPolicy::Fail);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AddErrorPolicy {
    /// A failed add ends the owning agent with its cause.
    #[default]
    Fail,
    /// A failed add is reported and tried again `backoff` later.
    Retry {
        /// How long after a failed attempt the next one starts.
        backoff: Duration,
    },
}
