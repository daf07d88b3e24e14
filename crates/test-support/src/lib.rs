//! Test support shared by dutycycle's tests, examples and benchmarks. Never published.
//!
//! - [`cluster`]: a real three-node Aeron Cluster (aeron-all's echo service nodes) on this
//!   machine: start it, find and kill its leader, restart nodes; it always cleans up its
//!   processes and directories, also when a test panics or the test process is killed.
//! - [`process`]: child processes that die with the process that started them.
//! - [`child`]: the running test binary re-executed as a child, for signals, stderr and exit
//!   status.
//! - [`alloc`]: a counting global allocator: live heap bytes, allocations per thread.
//! - [`probe`]: a probe agent that logs every call into it and the thread it ran on.
//! - [`thread`]: the OS's view of a thread (tid, name, affinity, CPU, timer slack) and a lock
//!   for CPU-hungry tests.
//! - [`wait`]: polling with a deadline only a failing test reaches, and an agent cycled until
//!   it returns an error of a given kind.
//! - [`error_chain`]: the check that an error prints each cause once along its chain.
//! - [`java`]: the flags every JVM running Aeron needs here.
//! - `logs` (feature `tracing`): a capturing `tracing` subscriber, for tests of log events.
//!
//! # Examples
//!
//! ```
//! use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
//!
//! // Waits for any other cluster on the machine, then for an elected leader.
//! let cluster = Cluster::start(ClusterConfig::default())?;
//! let leader = cluster.leader().expect("start returns once a leader is elected");
//! assert!(cluster.is_running(leader));
//! assert_eq!(
//!     cluster.ingress_endpoints(),
//!     "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202"
//! );
//! drop(cluster); // ends the JVMs and removes their directories
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs, missing_debug_implementations, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

// Parent-death signals, /proc and /dev/shm are Linux's.
#[cfg(not(target_os = "linux"))]
compile_error!("dutycycle-test-support supports Linux only");

pub mod alloc;
pub mod child;
pub mod cluster;
pub mod error_chain;
pub mod java;
#[cfg(feature = "tracing")]
pub mod logs;
pub mod probe;
pub mod process;
pub mod thread;
pub mod wait;
