//! What can go wrong starting, waiting for and handling nodes.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use super::NodeId;

/// The last lines each node wrote to its standard output and error, to show why it did not
/// come up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeLogs(pub Vec<(NodeId, String)>);

impl fmt::Display for NodeLogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (node, tail) in &self.0 {
            write!(f, "\n--- node {node}, last lines:")?;
            if tail.trim().is_empty() {
                write!(f, " (nothing)")?;
            }
            for line in tail.lines() {
                write!(f, "\n{line}")?;
            }
        }
        Ok(())
    }
}

/// Why [`Cluster::start`](super::Cluster::start) failed. Whatever it had started is ended and
/// removed before it returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// `AERON_ALL_JAR` is not set.
    #[error("the aeron-all jar is unknown: set AERON_ALL_JAR (scripts/env.sh does) after fetching it with scripts/setup.sh")]
    JarNotSet,
    /// The jar named by the configuration or `AERON_ALL_JAR` is not a file.
    #[error("the aeron-all jar {path} (AERON_ALL_JAR) is not there: run scripts/setup.sh to fetch it")]
    JarNotFound {
        /// The path that was looked at.
        path: PathBuf,
    },
    /// The lock file could not be opened or locked.
    #[error("could not lock {path}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Another cluster held the lock for longer than the configured lock timeout.
    #[error("another cluster held {path} for more than {waited:?}")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long start waited.
        waited: Duration,
    },
    /// Some of the nodes' UDP ports stayed in use (by a cluster started without the lock,
    /// say).
    #[error("UDP ports {ports:?} on 127.0.0.1 stayed in use for {waited:?}")]
    PortsInUse {
        /// The ports still taken.
        ports: Vec<u16>,
        /// How long start waited for them.
        waited: Duration,
    },
    /// The cluster's directories could not be created.
    #[error("could not create the cluster's directory {path}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The thread that spawns the nodes could not be started.
    #[error("could not start the thread that spawns the nodes")]
    Spawner(#[source] io::Error),
    /// A node could not be started.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// No leader was elected in time.
    #[error(transparent)]
    NoLeader(#[from] LeaderTimeout),
}

/// Why starting, stopping or killing one node failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The node's process could not be spawned (no `java`, for instance).
    #[error("could not run {java} for node {node}")]
    Spawn {
        /// The node.
        node: NodeId,
        /// The java binary that was run.
        java: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The node's log file could not be created.
    #[error("could not create the log file {path} of node {node}")]
    Log {
        /// The node.
        node: NodeId,
        /// The log file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The node's process ended while it was starting.
    #[error("node {node} exited while starting ({status}){logs}")]
    Exited {
        /// The node.
        node: NodeId,
        /// How it ended.
        status: ExitStatus,
        /// Its last output lines.
        logs: NodeLogs,
    },
    /// The node did not join the cluster in time.
    #[error("node {node} did not join the cluster within {waited:?}{logs}")]
    JoinTimeout {
        /// The node.
        node: NodeId,
        /// How long the harness waited.
        waited: Duration,
        /// Its last output lines.
        logs: NodeLogs,
    },
    /// The node is not running (it was killed or stopped, or it died).
    #[error("node {node} is not running")]
    NotRunning {
        /// The node.
        node: NodeId,
    },
    /// The node is running, so it cannot be started again.
    #[error("node {node} is already running")]
    Running {
        /// The node.
        node: NodeId,
    },
    /// Signalling or waiting for the node's process failed.
    #[error("could not signal or wait for node {node}")]
    Signal {
        /// The node.
        node: NodeId,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The node did not exit in time after SIGTERM; it was killed.
    #[error("node {node} did not exit within {waited:?} of SIGTERM and was killed")]
    StopTimeout {
        /// The node.
        node: NodeId,
        /// How long the harness waited.
        waited: Duration,
    },
}

/// No leader (or no new leader) was elected in time.
#[derive(Debug, thiserror::Error)]
#[error("no {what}leader was elected within {waited:?}{logs}")]
pub struct LeaderTimeout {
    what: &'static str,
    /// How long the harness waited.
    pub waited: Duration,
    /// The nodes' last output lines.
    pub logs: NodeLogs,
}

impl LeaderTimeout {
    pub(super) fn new(replacing: Option<NodeId>, waited: Duration, logs: NodeLogs) -> Self {
        Self { what: if replacing.is_some() { "new " } else { "" }, waited, logs }
    }
}
