//! Agents, idle strategies and agent runners after Aeron's and Agrona's, for Rust: the thread
//! that owns a resource creates it, uses it and closes it; every other thread can only *ask*
//! it to stop.
//!
//! - An [`Agent`] is a unit of work polled in a duty cycle: `on_start`, `do_work` over and
//!   over, `on_close`.
//! - An [`AgentRunner`] spawns a named thread, optionally pinned to a core, builds the agent
//!   **on that thread** from a `Send` factory (so the agent itself need not be `Send`: it may
//!   hold `Rc`-based handles such as Aeron's), runs the duty cycle with an
//!   [`IdleStrategy`], and on termination closes and drops the agent on that same thread.
//! - An [`AgentTermination`] is the latch that other threads and signal handlers signal; it
//!   wakes parked agents so shutdown is prompt.
//! - A stop is graceful: the agent first **drains** ([`Agent::on_drain`], then `do_work` until
//!   [`Agent::is_drained`] or the runner's drain deadline), then closes; the report's
//!   [`Drain`] says whether it finished. An [`AgentGroup`] stops its runners last started first.
//! - An [`AgentInvoker`] drives an agent from the caller's own loop.
//!
//! # Examples
//!
//! ```
//! use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination, BackoffIdleStrategy};
//! use std::rc::Rc;
//!
//! struct Ticker { ticks: u64, _not_send: Rc<()> }
//!
//! impl Agent for Ticker {
//!     fn role_name(&self) -> &str { "ticker" }
//!     fn do_work(&mut self) -> Result<usize, AgentError> { self.ticks += 1; Ok(1) }
//! }
//!
//! let termination = AgentTermination::new();
//! let runner = AgentRunner::builder()
//!     .name("ticker")
//!     .idle_strategy(BackoffIdleStrategy::default())
//!     .termination(termination.clone())
//!     .start(|| Ok(Ticker { ticks: 0, _not_send: Rc::new(()) }))?;
//! std::thread::sleep(std::time::Duration::from_millis(10));
//! termination.signal();
//! let report = runner.join()?;
//! assert!(report.duty_cycles() > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The threading contract and the lifecycle are drawn in `docs/DESIGN.md`.
//!
//! # Features
//!
//! - `tracing`: lifecycle events and the default error handler's log through `tracing`.
//! - `serde`: `Serialize` and `Deserialize` for [`IdleStrategyConfig`] and [`Statistics`],
//!   as the strings they print and parse (`"backoff:10,20,1us,1ms"`, `"timed:1ms"`), and
//!   `RunnerConfig`, a runner's options as a configuration file holds them.
// The workspace's lints (Cargo.toml) add unsafe_op_in_unsafe_fn and
// clippy::undocumented_unsafe_blocks for every crate of the workspace.
#![deny(missing_docs, missing_debug_implementations)]
// Under `--cfg loom` only the parts that loom models are built (see `loom_tests.rs`): the
// runner's thread code uses real threads, which loom cannot drive.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

// Pinning (sched_setaffinity and the cgroup cpuset), timer slack (PR_SET_TIMERSLACK) and thread
// names (pthread_setname_np) are Linux's; the low-latency hosts this crate is for run Linux.
#[cfg(not(target_os = "linux"))]
compile_error!("dutycycle supports Linux only");

mod agent;
#[cfg(not(loom))]
mod agent_group;
mod agent_invoker;
mod composite_agent;
mod dynamic_composite_agent;
mod error_handler;
mod events;
mod failure;
mod idle_strategy;
#[cfg(all(test, loom))]
mod loom_tests;
mod os_thread_name;
mod parker;
mod primitive;
mod runner;
#[cfg(feature = "serde")]
mod serde_text;
mod termination;
mod waker;

pub use agent::{Agent, AgentError};
#[cfg(not(loom))]
pub use agent_group::AgentGroup;
pub use agent_invoker::AgentInvoker;
pub use composite_agent::{CompositeAgent, CompositeAgentError};
pub use dynamic_composite_agent::{
    AgentId, DynamicCompositeAgent, DynamicCompositeControl, DynamicCompositeError, PendingChange,
};
pub use error_handler::ErrorAction;
pub use failure::AgentFailure;
pub use idle_strategy::park_timeout;
pub use idle_strategy::{
    AnyIdleStrategy, BackoffIdleStrategy, BusySpinIdleStrategy, ControllableIdleStrategy, IdleControl,
    IdleMode, IdleStrategy, IdleStrategyArgError, IdleStrategyConfig, IdleStrategyError,
    IdleStrategyParseError, NoOpIdleStrategy, SleepingIdleStrategy, SleepingMillisIdleStrategy,
    YieldingIdleStrategy, MAX_PARK_PERIOD,
};
pub use os_thread_name::OsThreadName;
#[cfg(all(feature = "serde", not(loom)))]
pub use runner::RunnerConfig;
pub use runner::{
    allowed_cores, pin_current_thread, AgentReport, Drain, DutyCycleDelta, DutyCycleRates, DutyCycleStats,
    Ending, Statistics, StatisticsParseError, StatsReader, DEFAULT_DRAIN_TIMEOUT, MAX_DRAIN_TIMEOUT,
};
#[cfg(not(loom))]
pub use runner::{
    AgentFailed, AgentRunner, AgentRunnerBuilder, CloseError, CloseTimedOut, StartError, ThreadStep,
};
pub use termination::AgentTermination;
pub use waker::AgentWaker;

/// The README's example, compiled as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
