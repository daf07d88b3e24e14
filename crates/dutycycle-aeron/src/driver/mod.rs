//! The embedded media driver: as an agent, or on threads of Aeron's own.
//!
//! - [`agent`]: [`MediaDriverAgent`], Aeron's C media driver whose duty cycle is the agent's;
//! - [`media_driver`]: [`MediaDriver`], the same driver with every duty cycle on a thread of
//!   Aeron's;
//! - [`config`]: [`MediaDriverConfig`], its settings, checked before anything is touched;
//! - [`threading_mode`]: [`ThreadingMode`], what the driver's duty cycle holds and which threads
//!   Aeron starts;
//! - [`driver_thread`]: [`DriverThread`], the driver's threads by Aeron's names;
//! - [`thread_placement`]: Aeron C's idle strategy for a dutycycle strategy, and the start
//!   hook that pins Aeron's threads to their cores;
//! - [`dir`]: the driver's directory: unique names, preparing, and whether a driver is active
//!   in one;
//! - [`error`]: [`DriverError`], why a driver did not start or close cleanly.

pub(crate) mod agent;
pub(crate) mod config;
pub(crate) mod dir;
pub(crate) mod driver_thread;
pub(crate) mod error;
pub(crate) mod media_driver;
pub(crate) mod thread_placement;
pub(crate) mod threading_mode;

pub use agent::MediaDriverAgent;
pub use config::MediaDriverConfig;
pub use driver_thread::DriverThread;
pub use error::DriverError;
pub use media_driver::MediaDriver;
pub use threading_mode::{ThreadingMode, UnknownThreadingMode};
