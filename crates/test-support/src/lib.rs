//! Test support shared by dutycycle's tests, examples and benchmarks. Never published.
//!
//! - [`process`]: child processes that die with the process that started them.
//!
//! # Examples
//!
//! ```
//! use dutycycle_test_support::process::Spawner;
//! use std::process::Command;
//!
//! // Children spawned here are killed by the kernel if this process dies first.
//! let spawner = Spawner::new()?;
//! let mut child = spawner.spawn(Command::new("true"))?;
//! assert!(child.wait()?.success());
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

// Parent-death signals, /proc and /dev/shm are Linux's.
#[cfg(not(target_os = "linux"))]
compile_error!("dutycycle-test-support supports Linux only");

pub mod process;
