//! Aeron clients owned by agents.
//!
//! - [`aeron_client`]: [`AeronClient`], a client made, used and closed on its agent's thread;
//! - [`conductor_mode`]: [`ConductorMode`], who runs the client's conductor;
//! - [`config`]: [`ClientConfig`], how a client is made;
//! - [`agent`]: [`AeronAgent`], an agent that owns a client and runs [`ClientAgent`] logic
//!   with it, in the right order;
//! - [`error`]: [`ClientError`], what went wrong with a client or what it added.

pub(crate) mod aeron_client;
pub(crate) mod agent;
pub(crate) mod conductor_mode;
pub(crate) mod config;
pub(crate) mod error;

pub use aeron_client::AeronClient;
pub use agent::{AeronAgent, ClientAgent};
pub use conductor_mode::ConductorMode;
pub use config::ClientConfig;
pub use error::ClientError;
