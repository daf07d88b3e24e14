//! An Aeron Cluster client for [dutycycle] agents: a session to a real (Java) Aeron Cluster
//! whose every step — connect, ingress, egress, keep-alives, following a new leader, close —
//! runs in the owning agent's duty cycle, on the owning agent's thread.
//!
//! # Why
//!
//! An Aeron Cluster gateway died with SIGSEGV during a cluster failover because the main
//! thread's signal handler closed the `AeronCluster` client while the gateway thread was still
//! polling egress on it. Aeron's client objects are single-threaded; nothing in Java or C stops
//! a second thread, or a handler interrupting one, from closing one under the first.
//!
//! Here that program does not compile. A [`ClusterClient`] holds rusteron's `Rc` handles and
//! is neither `Send` nor `Sync`, and so are the [`ClusterAgent`] that owns it and
//! `dutycycle_aeron`'s Aeron client and publication slots: a
//! `signal_hook::low_level::register(SIGTERM, move || cluster.close())` or a
//! `std::thread::spawn(move || cluster.close())` fails with "cannot be sent between threads
//! safely" (the crate's `tests/ui` holds one such program per handle, and the right way,
//! which runs). The client is made in the agent's factory on the agent thread, polled and
//! offered to there, and closed there in `on_close` (or when dropped, also there). A signal
//! handler can only signal the runner's termination latch
//! ([`AgentTermination::from_signals`](dutycycle::AgentTermination::from_signals)); the agent
//! then sends the SessionCloseRequest and closes its egress subscription, its ingress
//! publications and its Aeron client, in that order (Java's `AeronCluster.close` closes the
//! subscription before the publication too), on its own thread.
//!
//! # The pieces
//!
//! - [`ClusterClient`]: one cluster session over an agent's
//!   [`AeronClient`](dutycycle_aeron::AeronClient), following Java's `AeronCluster` (its
//!   rustdoc lists the differences). Nothing blocks and nothing starts a thread: adds are
//!   asynchronous and polled, each [`poll`](ClusterClient::poll) takes one step.
//! - [`ClusterAgent`] with [`ClusterClientAgent`] logic: an agent that owns the Aeron client
//!   and the session and runs them in the right order; a gateway is the logic alone.
//! - [`EgressListener`]: what the cluster sends the session, delivered in the duty cycle.
//! - [`ClusterClientConfig`]: endpoints, channels, streams, timeouts, credentials, checked
//!   before anything starts ([`ConfigError`]).
//! - [`ClusterState`], [`ClusterError`], [`OfferError`]: where the session is and what went
//!   wrong, typed.
//! - Feature `tracing`: a `DEBUG` event at each change of the session (connecting,
//!   redirected, connected, new leader, leader lost, ended with its error, closed with its
//!   [`CloseOutcome`]), target `dutycycle_cluster`, on the polling thread.
//! - [`codec`]: the protocol's SBE messages (schema 111), byte for byte as Aeron's own Java
//!   codecs, decoded without allocating and without panicking on any input.
//!
//! The guide, `docs/CLUSTER.md` in the repository, has a whole gateway in about 30 lines
//! (`examples/gateway_in_30_lines.rs`), what is lost across a failover and how to resend and
//! deduplicate, the timeouts and their defaults, tuning on small machines, and how to run a
//! real cluster and the tests.
//!
//! # Contract
//!
//! - **Thread:** the agent's, for everything (the compiler enforces it).
//! - **Blocking:** none. A connect takes several duty cycles; its steps are
//!   [`ConnectStep`]s. `close` makes at most three back-to-back offers.
//! - **Timeouts:** the message timeout (5 s) bounds a connect and the connection to a new
//!   leader; the new leader timeout (twice the cluster's leader heartbeat timeout) bounds the
//!   wait for a new leader. Each ends the session with a typed [`ClusterError`].
//! - **Delivery:** ingress is at most once across a failover (the cluster acknowledges
//!   nothing): after [`EgressListener::on_new_leader`], resend what is unanswered, with
//!   sequence numbers the service can deduplicate, and drop duplicate answers.
//!
//! # Examples
//!
//! A gateway: send 100 numbered messages, count the echoes, stop. With a cluster running
//! aeron-all's `EchoServiceNode` on the endpoints and a media driver in `AERON_DIR`
//! (`examples/echo_client.rs` is the same with its own driver, resends and an account):
//!
//! ```no_run
//! use dutycycle::{AgentError, AgentRunner, AgentTermination};
//! use dutycycle_aeron::ClientConfig;
//! use dutycycle_cluster::codec::SessionMessage;
//! use dutycycle_cluster::{ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, EgressListener};
//!
//! #[derive(Default)]
//! struct Gateway { sent: u64, echoed: u64 }
//!
//! impl EgressListener for Gateway {
//!     fn on_message(&mut self, _echo: &SessionMessage<'_>) { self.echoed += 1; }
//! }
//!
//! impl ClusterClientAgent for Gateway {
//!     fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
//!         if self.echoed == 100 {
//!             return Err(AgentError::terminate());
//!         }
//!         if self.sent < 100 && cluster.offer(&self.sent.to_le_bytes()).is_ok() {
//!             self.sent += 1;
//!         }
//!         Ok(0)
//!     }
//! }
//!
//! let termination = AgentTermination::from_signals()?; // SIGINT/SIGTERM only signal the latch
//! let cluster = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202");
//! cluster.validate()?;
//! let aeron = ClientConfig::new();
//! let runner = AgentRunner::builder()
//!     .name("gateway")
//!     .termination(termination)
//!     .start(move || Ok(ClusterAgent::connect(&aeron, &cluster, Gateway::default())?))?;
//! let report = runner.join()?; // the session and the client were closed on "gateway"
//! assert!(report.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A bad endpoint list is a typed error before anything starts:
//!
//! ```
//! use dutycycle_cluster::{ClusterClientConfig, ConfigError, EndpointsError};
//!
//! let config = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002,1=127.0.0.1");
//! match config.validate() {
//!     Err(ConfigError::Endpoints(EndpointsError::InvalidEndpoint { entry, .. })) => assert_eq!(entry, "1=127.0.0.1"),
//!     other => panic!("{other:?}"),
//! }
//! ```
#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod client;
mod cluster_agent;
pub mod codec;
mod config;
mod endpoints;
mod error;
mod events;
mod listener;
mod state;

pub use client::{CloseOutcome, ClusterClient};
pub use cluster_agent::{ClusterAgent, ClusterClientAgent};
pub use config::{ClusterClientConfig, ConfigError, CredentialsSupplier};
pub use endpoints::{EndpointsError, IngressEndpoints};
pub use error::{ClusterError, OfferError};
pub use listener::EgressListener;
pub use state::{ClusterState, ConnectStep};
