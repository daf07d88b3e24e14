//! Test support shared by dutycycle's tests, examples and benchmarks. Never published.
//!
//! - [`cluster`]: a real three-node Aeron Cluster (aeron-all's echo service nodes) on this
//!   machine: start it, find and kill its leader, restart nodes; it always cleans up its
//!   processes and directories, also when a test panics or the test process is killed.
//! - [`process`]: child processes that die with the process that started them.
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

pub mod cluster;
pub mod process;
