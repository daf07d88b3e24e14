//! Aeron clients owned by agents.
//!
//! - [`aeron_client`]: [`AeronClient`], a client made, used and closed on its agent's thread;
//! - [`conductor_mode`]: [`ConductorMode`], who runs the client's conductor;
//! - [`config`]: [`ClientConfig`], how a client is made;
//! - [`agent`]: [`AeronAgent`], an agent that owns a client and runs [`ClientAgent`] logic
//!   with it, in the right order;
//! - [`agent_counters`]: the Aeron counters an [`AeronAgent`] keeps: its own statistics
//!   and an idle control written from outside;
//! - [`error`]: [`ClientError`], what went wrong with a client or what it added.

pub(crate) mod aeron_client;
pub(crate) mod agent;
pub(crate) mod agent_counters;
pub(crate) mod conductor_mode;
pub(crate) mod config;
pub(crate) mod error;

pub use aeron_client::AeronClient;
pub use agent::{AeronAgent, ClientAgent};
pub use agent_counters::{
    DUTY_CYCLES_COUNTER_TYPE_ID, ERRORS_COUNTER_TYPE_ID, IDLE_CONTROL_COUNTER_TYPE_ID,
    IDLE_CYCLES_COUNTER_TYPE_ID, MAX_CYCLE_NS_COUNTER_TYPE_ID, SLOW_CYCLES_COUNTER_TYPE_ID,
    TOTAL_WORK_COUNTER_TYPE_ID,
};
pub use conductor_mode::ConductorMode;
pub use config::ClientConfig;
pub use error::ClientError;
