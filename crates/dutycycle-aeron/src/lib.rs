//! Aeron on [dutycycle] agents, over [rusteron](https://github.com/gsrxyz/rusteron) and the
//! real Aeron C media driver: every Aeron resource is made, used and closed on the thread of
//! the agent that owns it, and other threads can only ask that agent to stop.
//!
//! - [`MediaDriverAgent`]: an embedded media driver that is itself an agent, with a directory
//!   of its own removed on close; on a thread of its own or composed with other agents on one
//!   core. Its settings are a [`MediaDriverConfig`], which also places the threads Aeron starts
//!   ([`DriverThread`]); its errors a [`DriverError`]. [`MediaDriver`] is the same driver with
//!   every duty cycle, the conductor's too, on a thread of Aeron's.
//! - [`AeronClient`]: an Aeron client owned by one agent, its conductor run from the agent's
//!   duty cycle ([`ConductorMode::Invoker`], Aeron's conductor agent invoker) or on Aeron's
//!   own thread ([`ConductorMode::Thread`]). [`AeronAgent`] pairs one with [`ClientAgent`]
//!   logic and gets the order of things right.
//! - [`PublicationSlot`], [`ExclusivePublicationSlot`] and [`SubscriptionSlot`]: publications
//!   and subscriptions added without blocking the duty cycle (Aeron's asynchronous add,
//!   polled each cycle), subscriptions reporting their images coming and going as
//!   [`ImageEvent`]s.
//! - [`DutyCadence`]: on which duty cycles an agent runs Aeron's own duty (the client
//!   conductor, the composed driver): by default an [`AeronAgent`] runs its conductor every
//!   16th cycle and right after its logic's work, off the path of each message.
//! - [`Channel`]: a channel URI checked by Aeron's parser before anything is built.
//! - [`RusteronIdle`]: a dutycycle idle strategy where rusteron expects its `IdleStrategy`.
//!
//! The source follows the same concepts, each folder's `mod.rs` its map: `driver/` (the
//! agent, its config, threading mode, threads and their placement, directory and errors),
//! `client/` (the client, the agent that owns one, conductor mode, config and errors), `slot/`
//! (the one state machine every slot runs, the kinds, image events and their routing), beside
//! `cadence.rs`, `channel.rs`, `idle.rs`, `call_error.rs` and `cause.rs`.
//!
//! `docs/AERON.md` explains the patterns; the gateway demo (`examples/gateway/`, with
//! `--embedded`) is the whole of it in one program: a gateway and a service that fails over,
//! stopped by SIGTERM.
//!
//! # Examples
//!
//! A driver and a client agent, each on a thread of its own: the client publishes on IPC and
//! reads its own messages back.
//!
//! ```
//! use dutycycle::{AgentError, AgentGroup, AgentRunner, AgentTermination};
//! use dutycycle_aeron::*;
//!
//! struct Echo { out: PublicationSlot, input: SubscriptionSlot, sent: u32, received: u32 }
//!
//! impl ClientAgent for Echo {
//!     fn role_name(&self) -> &str { "echo" }
//!     fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
//!         self.out.add(client)?;
//!         Ok(self.input.add(client)?)
//!     }
//!     fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
//!         let mut work = self.out.poll()? + self.input.poll()?;
//!         if self.sent < 10 && self.out.offer(&self.sent.to_le_bytes()).is_ok() {
//!             self.sent += 1;
//!             work += 1;
//!         }
//!         let received = &mut self.received;
//!         work += self.input.poll_fn(|_, _| *received += 1, 10)?;
//!         if self.received == 10 {
//!             return Err(AgentError::terminate()); // done: the agent ends itself
//!         }
//!         Ok(work)
//!     }
//!     fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
//!         self.out.close()?;
//!         Ok(self.input.close()?)
//!     }
//! }
//!
//! let driver_config = MediaDriverConfig::new();
//! let client_config = ClientConfig::new().dir(driver_config.aeron_dir());
//! let dir = driver_config.aeron_dir().to_owned();
//!
//! let mut group = AgentGroup::new(AgentTermination::new());
//! group.start(AgentRunner::builder().name("driver"), move || {
//!     Ok(MediaDriverAgent::launch(driver_config)?)
//! })?;
//! group.start(AgentRunner::builder().name("echo"), move || {
//!     let echo = Echo {
//!         out: PublicationSlot::new(Channel::ipc(), 7),
//!         input: SubscriptionSlot::new(Channel::ipc(), 7),
//!         sent: 0,
//!         received: 0,
//!     };
//!     Ok(AeronAgent::connect(&client_config, echo)?)
//! })?;
//! while group.runners()[1].is_running() {
//!     std::thread::sleep(std::time::Duration::from_millis(5));
//! }
//! let reports = group.close(); // echo first, then the driver
//! assert!(reports.iter().all(|r| r.as_ref().is_ok_and(|r| r.is_clean())));
//! assert!(!dir.exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod cadence;
mod call_error;
mod cause;
mod channel;
mod client;
mod driver;
mod events;
mod idle;
mod slot;

pub use cadence::DutyCadence;
pub use call_error::AeronCallError;
pub use cause::cause;
pub use channel::{Channel, ChannelError, Media};
pub use client::{
    AeronAgent, AeronClient, ClientAgent, ClientConfig, ClientError, ConductorMode,
    DUTY_CYCLES_COUNTER_TYPE_ID, ERRORS_COUNTER_TYPE_ID, IDLE_CONTROL_COUNTER_TYPE_ID,
    IDLE_CYCLES_COUNTER_TYPE_ID, MAX_CYCLE_NS_COUNTER_TYPE_ID, SLOW_CYCLES_COUNTER_TYPE_ID,
    TOTAL_WORK_COUNTER_TYPE_ID,
};
pub use driver::{
    DriverError, DriverThread, MediaDriver, MediaDriverAgent, MediaDriverConfig, ThreadingMode,
    UnknownThreadingMode,
};
pub use idle::RusteronIdle;
pub use slot::{
    AddErrorPolicy, ExclusivePublicationSlot, ImageEvent, ImageInfo, PublicationKind, PublicationSlot,
    ResourceKind, SlotKind, SubscriptionSlot,
};

/// The rusteron client crate this crate is built on: its types appear in this crate's API
/// (`AeronPublication`, `AeronSubscription`, `AeronHeader`, `AeronOfferError`, ...), so use
/// them from here to stay on the same version.
pub use rusteron_client;
/// The rusteron media driver crate this crate is built on (`AeronDriverContext` and the
/// driver's settings beyond [`MediaDriverConfig`]).
pub use rusteron_media_driver;
