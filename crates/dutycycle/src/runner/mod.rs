//! The runner: an agent on a thread of its own, from `start` to the report.
//!
//! A runner's life, and the file that holds each step:
//!
//! 1. `builder.rs`: [`AgentRunnerBuilder`] collects the options; `start` checks them on the
//!    caller's thread (nothing is spawned for a bad one), spawns the agent thread and waits
//!    until the agent has started there.
//! 2. `agent_thread.rs`: the agent thread's body. It sets the thread up (`thread_setup.rs`:
//!    pinning, timer slack, name), builds the agent with the factory, registers with the
//!    termination latch, calls `on_start`, runs the duty cycle, then `on_close` and drops the
//!    agent, all on that thread, and makes the [`AgentReport`] (`report.rs`), whose
//!    [`Ending`] says who or what ended the agent.
//! 3. `duty_cycle.rs`: the loop itself: check the stop flag, `do_work` (its errors to the
//!    error handler, whose `ErrorAction` may end the agent), record, idle. The statistics
//!    mode is a recorder type (`stats.rs`: `Off`, `Counting`, `Timing`), so each mode is its
//!    own loop.
//! 4. `drain.rs`: what happens after the duty cycle ends on a stop request: a group member
//!    stopped by its group's latch waits for the members started after it (`stop_order.rs`),
//!    then the agent drains (`on_drain`, duty cycles until `is_drained` or the deadline), and
//!    the [`Drain`] in the report says how that went.
//! 5. `handle.rs`: [`AgentRunner`], the handle the caller keeps: it reads statistics, wakes,
//!    asks the agent to stop and takes the report the thread hands back (the thread, detached,
//!    ends on its own right after); it never touches the agent.
//! 6. `state.rs`: what the handle and the agent thread share: the stop flag (which holds who
//!    asked: the runner, or its latch and the signal), the published statistics, the end of
//!    the thread; loom checks its races.
//! 7. `error.rs`: how starting, joining and closing fail.
//! 8. `current.rs`: [`StatsReader::current`], the runner's statistics for code on its agent
//!    thread.
//!
//! Beside the life: `rates.rs` turns two statistics snapshots into what the runner did
//! between them and per second ([`DutyCycleDelta`], [`DutyCycleRates`]);
//! `statistics_text.rs` reads and prints a [`Statistics`] mode (`timed:1ms`); `config.rs`
//! (feature `serde`) holds a runner's options as a configuration file does, and makes the
//! builder from them; `cycle_clock.rs` is the clock timed statistics read once a cycle (the
//! CPU's cycle counter where the kernel trusts it, else `CLOCK_MONOTONIC`).

#[cfg(not(loom))]
mod agent_thread;
#[cfg(not(loom))]
mod builder;
#[cfg(all(feature = "serde", not(loom)))]
mod config;
#[cfg(not(loom))]
mod current;
mod cycle_clock;
mod drain;
#[cfg(not(loom))]
mod duty_cycle;
#[cfg(not(loom))]
mod error;
#[cfg(not(loom))]
mod handle;
mod rates;
mod report;
pub(crate) mod state;
mod statistics_text;
pub(crate) mod stats;
#[cfg(not(loom))]
pub(crate) mod stop_order;
mod thread_setup;

#[cfg(not(loom))]
pub use builder::AgentRunnerBuilder;
#[cfg(all(feature = "serde", not(loom)))]
pub use config::RunnerConfig;
pub(crate) use drain::{park_period, ParkDeadline};
pub use drain::{Drain, DEFAULT_DRAIN_TIMEOUT, MAX_DRAIN_TIMEOUT};
#[cfg(not(loom))]
pub use error::{AgentFailed, CloseError, CloseTimedOut, StartError, ThreadStep};
#[cfg(not(loom))]
pub use handle::AgentRunner;
pub use rates::{DutyCycleDelta, DutyCycleRates};
pub use report::{AgentReport, Ending};
pub use statistics_text::StatisticsParseError;
pub use stats::{DutyCycleStats, Statistics, StatsReader};
pub use thread_setup::{allowed_cores, pin_current_thread};
