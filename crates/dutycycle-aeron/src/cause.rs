//! [`cause`]: the typed error inside a runner's [`StartError`].

use std::error::Error;

use dutycycle::{CompositeAgentError, StartError};

/// The error of type `E` that made an agent's factory or `on_start` fail, found inside the
/// runner's [`StartError`] — also inside a [`CompositeAgentError`] when the agent was a
/// composite (the first sub-agent's error of that type).
///
/// A [`DriverError`](crate::DriverError) or [`ClientError`](crate::ClientError) returned in a
/// factory travels to `start`'s caller as a `StartError::Factory`; this gets it back, typed.
///
/// # Examples
///
/// ```
/// use dutycycle::AgentRunner;
/// use dutycycle_aeron::{cause, DriverError, MediaDriverAgent, MediaDriverConfig};
///
/// let config = MediaDriverConfig::new().mtu_length(1000); // not a multiple of 32
/// let err = AgentRunner::start(move || Ok(MediaDriverAgent::launch(config)?)).unwrap_err();
/// match cause::<DriverError>(&err) {
///     Some(DriverError::InvalidSetting { setting, .. }) => assert_eq!(*setting, "mtu_length"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn cause<E: Error + 'static>(error: &StartError) -> Option<&E> {
    let agent_error = error.agent_failure()?.error()?;
    if let Some(found) = agent_error.downcast_ref::<E>() {
        return Some(found);
    }
    agent_error
        .downcast_ref::<CompositeAgentError>()?
        .failures()
        .iter()
        .find_map(|(_, failure)| failure.error().and_then(|e| e.downcast_ref::<E>()))
}
