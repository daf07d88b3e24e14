//! A real three-node Aeron Cluster on this machine, for tests, demos and benchmarks.
//!
//! [`Cluster::start`] runs three JVMs of aeron-all's `EchoServiceNode` sample (media driver,
//! archive, consensus module and a service that echoes every message back) on 127.0.0.1, with
//! settings tuned for tests on a small machine ([`ClusterConfig`]), and returns once a leader
//! is elected. The cluster can then lose nodes ([`kill`](Cluster::kill): SIGKILL,
//! [`stop`](Cluster::stop): SIGTERM), get them back ([`restart`](Cluster::restart)) and report
//! who leads ([`leader`](Cluster::leader), [`wait_for_new_leader`](Cluster::wait_for_new_leader)).
//!
//! # The map
//!
//! - `config.rs`: [`ClusterConfig`] and each node's command line.
//! - `node.rs`: one node's JVM: spawn, signals, log, CPU time; [`NodeId`].
//! - `counters.rs`: a node's role and election state, read from its driver's `cnc.dat`.
//! - `lock.rs`: one cluster at a time on the machine ([`LOCK_PATH`]).
//! - `ports.rs`: the nodes' fixed UDP ports, and waiting until they are free.
//! - `dirs.rs`: the cluster's directories, and removing those of runs that died.
//! - `error.rs`: [`StartError`], [`NodeError`], [`LeaderTimeout`].
//!
//! # Nothing is left behind
//!
//! - Dropping a [`Cluster`] (also while a test panics) SIGKILLs its JVMs, waits for them and
//!   removes its directories.
//! - If the process is killed instead, the kernel kills the JVMs: a [`Spawner`] thread starts
//!   them with `PR_SET_PDEATHSIG`. That signal fires when the *thread* that forked a child
//!   ends, not the process; the spawner thread lives exactly as long as the `Cluster`, so a
//!   cluster may be moved between threads, or outlive the test thread that started it. The
//!   next [`Cluster::start`] on the machine removes the directories of such dead runs.
//!
//! # One at a time
//!
//! The nodes' ports are fixed (9000-9205), so [`Cluster::start`] takes an exclusive lock on
//! [`LOCK_PATH`] for the cluster's life, waiting for other clusters of this process (cargo's
//! parallel test threads) and of other processes (other test binaries, scripts).
//!
//! # Examples
//!
//! ```
//! use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
//!
//! let mut cluster = Cluster::start(ClusterConfig::default())?;
//! let leader = cluster.wait_for_leader()?;
//! cluster.kill(leader)?;
//! let next = cluster.wait_for_new_leader(leader)?;
//! assert_ne!(next, leader);
//! drop(cluster); // ends the JVMs and removes their directories
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod config;
mod counters;
mod dirs;
mod error;
mod lock;
mod node;
mod ports;

pub use config::{AeronIdleStrategy, ClusterConfig, AERON_ALL_JAR_VAR, ECHO_SERVICE_NODE_CLASS};
pub use error::{LeaderTimeout, NodeError, NodeLogs, StartError};
pub use lock::{ClusterLock, LOCK_PATH};
pub use node::{InvalidNodeId, NodeId};

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use config::Launch;
use counters::Standing;
use dirs::RunDirs;
use node::Node;

use crate::process::Spawner;

/// The client ingress endpoints of the three nodes, as Aeron Cluster clients take them.
pub const INGRESS_ENDPOINTS: &str = "0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202";

/// How long [`Cluster::stop`] waits for a node to exit after SIGTERM.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);

const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// A running three-node Aeron Cluster of echo services. See the [module docs](self).
#[derive(Debug)]
pub struct Cluster {
    nodes: [Node; 3],
    launch: Launch,
    dirs: RunDirs,
    spawner: Spawner,
    startup_time: Duration,
    // Released last, after the nodes have ended and the directories are gone.
    _lock: ClusterLock,
}

impl Cluster {
    /// Starts three nodes and waits until one leads and the others follow.
    ///
    /// Waits first (up to [`ClusterConfig::lock_timeout`]) for any other cluster on the
    /// machine to end, then removes the directories of runs that died without cleaning up,
    /// and waits (up to 30 s) until the nodes' UDP ports are free: the JVMs of a run that was
    /// killed may still be ending after the lock was released.
    ///
    /// # Errors
    ///
    /// The jar is missing ([`StartError::JarNotSet`], [`StartError::JarNotFound`]), the lock
    /// could not be taken, the ports stayed taken ([`StartError::PortsInUse`]: a cluster that
    /// ignores the lock), a directory could not be made, a node could not be spawned or
    /// exited, or no leader was elected within [`ClusterConfig::start_timeout`] (the errors
    /// carry the nodes' last output lines). Whatever was started is ended and removed first.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    ///
    /// let cluster = Cluster::start(ClusterConfig::default())?;
    /// assert!(cluster.leader().is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(config: ClusterConfig) -> Result<Self, StartError> {
        let launch = config.resolve()?;
        let lock = ClusterLock::acquire(config.lock_timeout)?;
        dirs::remove_stale();
        let node_ports: Vec<u16> = ports::all().collect();
        ports::wait_until_free(&node_ports, ports::PORTS_TIMEOUT)
            .map_err(|busy| StartError::PortsInUse { ports: busy, waited: ports::PORTS_TIMEOUT })?;
        let dirs = RunDirs::new().map_err(|source| StartError::Dir { path: std::env::temp_dir(), source })?;
        std::fs::create_dir_all(&dirs.work)
            .map_err(|source| StartError::Dir { path: dirs.work.clone(), source })?;
        let spawner = Spawner::new().map_err(StartError::Spawner)?;
        // From here on, dropping `cluster` (on an error) ends and removes everything.
        let mut cluster = Cluster {
            nodes: NodeId::ALL.map(|id| Node::new(id, &dirs)),
            launch,
            dirs,
            spawner,
            startup_time: Duration::ZERO,
            _lock: lock,
        };
        let spawned_at = Instant::now();
        for node in &mut cluster.nodes {
            node.spawn(&cluster.launch, &cluster.dirs, &cluster.spawner)?;
        }
        let timeout = config.start_timeout;
        let ready = cluster.wait_until(timeout, None, |cluster| {
            let standings = cluster.nodes.each_ref().map(Node::standing);
            let leaders = standings.iter().filter(|s| **s == Some(Standing::Leader)).count();
            let followers = standings.iter().filter(|s| **s == Some(Standing::Follower)).count();
            (leaders == 1 && followers == 2).then_some(())
        })?;
        ready.ok_or_else(|| LeaderTimeout::new(None, timeout, cluster.logs()))?;
        cluster.startup_time = spawned_at.elapsed();
        Ok(cluster)
    }

    /// How long [`start`](Cluster::start) took from spawning the nodes to an elected leader
    /// with two followers (not counting the wait for other clusters to end).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// let cluster = Cluster::start(ClusterConfig::default())?;
    /// assert!(cluster.startup_time() < ClusterConfig::default().start_timeout);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn startup_time(&self) -> Duration {
        self.startup_time
    }

    /// The client ingress endpoints, `0=127.0.0.1:9002,1=127.0.0.1:9102,2=127.0.0.1:9202`.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_test_support::cluster::{NodeId, INGRESS_ENDPOINTS};
    ///
    /// let listed: Vec<String> = NodeId::ALL
    ///     .iter()
    ///     .map(|n| format!("{n}={}", n.ingress_endpoint()))
    ///     .collect();
    /// assert_eq!(listed.join(","), INGRESS_ENDPOINTS);
    /// ```
    pub fn ingress_endpoints(&self) -> &'static str {
        INGRESS_ENDPOINTS
    }

    /// The node that leads now, if one does: the only running node whose consensus module
    /// reports the leader role with no election in progress. `None` during an election.
    ///
    /// A node that leads by its own account may already have been replaced by a majority it
    /// cannot reach; on one machine with no partitions that lasts only until its next
    /// heartbeat timeout.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let leader = cluster.leader().expect("start returns once a leader is elected");
    /// assert!(cluster.is_running(leader));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn leader(&self) -> Option<NodeId> {
        let mut leaders = self
            .nodes
            .iter()
            .zip(NodeId::ALL)
            .filter(|(node, _)| node.standing() == Some(Standing::Leader))
            .map(|(_, id)| id);
        match (leaders.next(), leaders.next()) {
            (Some(leader), None) => Some(leader),
            _ => None,
        }
    }

    /// Waits up to [`ClusterConfig::election_timeout`] for a leader.
    ///
    /// # Errors
    ///
    /// No leader in time; the error carries the nodes' last output lines.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let leader = cluster.wait_for_leader()?;
    /// assert_eq!(cluster.leader(), Some(leader));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_leader(&self) -> Result<NodeId, LeaderTimeout> {
        self.wait_for_leader_other_than(None)
    }

    /// Waits up to [`ClusterConfig::election_timeout`] for a leader other than `old` (after
    /// `old` was killed or stopped, say).
    ///
    /// # Errors
    ///
    /// No new leader in time; the error carries the nodes' last output lines.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let old = cluster.wait_for_leader()?;
    /// cluster.kill(old)?;
    /// assert_ne!(cluster.wait_for_new_leader(old)?, old);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_new_leader(&self, old: NodeId) -> Result<NodeId, LeaderTimeout> {
        self.wait_for_leader_other_than(Some(old))
    }

    fn wait_for_leader_other_than(&self, old: Option<NodeId>) -> Result<NodeId, LeaderTimeout> {
        let timeout = self.launch.config.election_timeout;
        let deadline = Instant::now() + timeout;
        loop {
            match self.leader() {
                Some(leader) if Some(leader) != old => return Ok(leader),
                _ if Instant::now() >= deadline => return Err(LeaderTimeout::new(old, timeout, self.logs())),
                _ => thread::sleep(POLL_INTERVAL),
            }
        }
    }

    /// SIGKILLs `node` and waits for its process to end.
    ///
    /// # Errors
    ///
    /// [`NodeError::NotRunning`] if it was not running; [`NodeError::Signal`] if the signal
    /// or the wait failed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let leader = cluster.wait_for_leader()?;
    /// cluster.kill(leader)?;
    /// assert!(!cluster.is_running(leader));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kill(&mut self, node: NodeId) -> Result<(), NodeError> {
        self.node_mut(node).kill()
    }

    /// SIGTERMs `node` and waits up to [`STOP_TIMEOUT`] for its process to end.
    ///
    /// The echo service node closes its components on SIGTERM (in well under a second) but
    /// does not tell the other members it leaves: as after [`kill`](Cluster::kill), they elect
    /// a new leader only once the leader heartbeat timeout has passed.
    ///
    /// # Errors
    ///
    /// [`NodeError::NotRunning`] if it was not running; [`NodeError::StopTimeout`] if it did
    /// not end in time (it is SIGKILLed then); [`NodeError::Signal`] if a signal or the wait
    /// failed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// use dutycycle_test_support::cluster::NodeId;
    ///
    /// cluster.stop(NodeId::ALL[0])?;
    /// assert_eq!(cluster.pid(NodeId::ALL[0]), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(&mut self, node: NodeId) -> Result<(), NodeError> {
        self.node_mut(node).stop(STOP_TIMEOUT)
    }

    /// Starts `node` again, with its directory as it was left, and waits until it has rejoined
    /// the cluster (as follower or leader, no election in progress).
    ///
    /// Aeron refuses to start a node whose mark files were updated less than 10 s ago (the
    /// mark of a live process; updated every second, also after SIGTERM). `restart` waits out
    /// what is left of those 10 s since the node was seen to end, then starts it.
    ///
    /// # Errors
    ///
    /// [`NodeError::Running`] if it runs; [`NodeError::Spawn`] if it could not be started;
    /// [`NodeError::Exited`] if it ended while starting; [`NodeError::JoinTimeout`] if it did
    /// not rejoin within [`ClusterConfig::start_timeout`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let leader = cluster.wait_for_leader()?;
    /// cluster.kill(leader)?;
    /// let new = cluster.wait_for_new_leader(leader)?;
    /// cluster.restart(leader)?; // about 10 s after the kill
    /// assert_eq!(cluster.leader(), Some(new));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn restart(&mut self, node: NodeId) -> Result<(), NodeError> {
        let this = &mut self.nodes[usize::from(node.get())];
        if this.is_running() {
            return Err(NodeError::Running { node });
        }
        this.wait_for_stale_mark_files();
        this.spawn(&self.launch, &self.dirs, &self.spawner)?;
        let timeout = self.launch.config.start_timeout;
        let joined = self.wait_until(timeout, Some(node), |cluster| {
            matches!(
                cluster.nodes[usize::from(node.get())].standing(),
                Some(Standing::Leader | Standing::Follower)
            )
            .then_some(())
        })?;
        joined.ok_or_else(|| NodeError::JoinTimeout {
            node,
            waited: timeout,
            logs: self.nodes[usize::from(node.get())].logs(),
        })
    }

    /// Whether `node`'s process runs.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// use dutycycle_test_support::cluster::NodeId;
    ///
    /// assert!(NodeId::ALL.iter().all(|&n| cluster.is_running(n)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_running(&self, node: NodeId) -> bool {
        self.node(node).is_running()
    }

    /// The pid of `node`'s process while it runs.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let leader = cluster.wait_for_leader()?;
    /// let pid = cluster.pid(leader).expect("it runs");
    /// assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pid(&self, node: NodeId) -> Option<u32> {
        self.node(node).pid()
    }

    /// The CPU time (user and system) the running nodes have used since they started.
    ///
    /// Sampled twice, its difference over the interval is the cluster's CPU load.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let cluster = Cluster::start(ClusterConfig::default())?;
    /// let before = cluster.cpu_time();
    /// std::thread::sleep(std::time::Duration::from_secs(10));
    /// let load = (cluster.cpu_time() - before).as_secs_f64() / 10.0;
    /// assert!(load < 2.0, "{load} cores");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cpu_time(&self) -> Duration {
        self.nodes.iter().filter_map(Node::cpu_time).sum()
    }

    /// The nodes' working directory (their `aeron-cluster-<id>` directories and their output
    /// in `node-<id>.log`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// assert!(cluster.work_dir().join("aeron-cluster-0").is_dir());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn work_dir(&self) -> &Path {
        &self.dirs.work
    }

    /// Every directory of this cluster (whether it exists yet or not): the working directory
    /// and the three media driver directories. [`Drop`] removes them.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// let dirs = cluster.dirs();
    /// drop(cluster);
    /// assert!(dirs.iter().all(|d| !d.exists()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dirs(&self) -> Vec<PathBuf> {
        self.dirs.all()
    }

    /// The file where `node`'s standard output and error go.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// use dutycycle_test_support::cluster::NodeId;
    ///
    /// let log = std::fs::read_to_string(cluster.log_path(NodeId::ALL[0]))?;
    /// assert!(log.contains("Started Cluster Node"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_path(&self, node: NodeId) -> &Path {
        self.node(node).log_path()
    }

    /// The last output lines of every node.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use dutycycle_test_support::cluster::{Cluster, ClusterConfig};
    /// # let mut cluster = Cluster::start(ClusterConfig::default())?;
    /// assert_eq!(cluster.logs().0.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn logs(&self) -> NodeLogs {
        NodeLogs(self.nodes.iter().flat_map(|n| n.logs().0).collect())
    }

    fn node(&self, node: NodeId) -> &Node {
        &self.nodes[usize::from(node.get())]
    }

    fn node_mut(&mut self, node: NodeId) -> &mut Node {
        &mut self.nodes[usize::from(node.get())]
    }

    /// Polls `ready` until it returns `Some` or `timeout` passes (`Ok(None)`). Fails as soon
    /// as a watched node's process ends: every node when `watched` is `None`.
    fn wait_until<T>(
        &mut self,
        timeout: Duration,
        watched: Option<NodeId>,
        mut ready: impl FnMut(&Self) -> Option<T>,
    ) -> Result<Option<T>, NodeError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = ready(self) {
                return Ok(Some(value));
            }
            for id in NodeId::ALL {
                if watched.is_some_and(|w| w != id) {
                    continue;
                }
                let node = self.node_mut(id);
                if let Some(status) = node.exit_status() {
                    return Err(NodeError::Exited { node: id, status, logs: node.logs() });
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(POLL_INTERVAL);
        }
    }
}

/// Removes the directories of clusters whose process died without cleaning up, and returns
/// them. [`Cluster::start`] does this too.
///
/// Takes the cluster lock (waiting up to `lock_timeout`) so that it never races a starting
/// cluster.
///
/// # Errors
///
/// The lock could not be taken ([`StartError::Lock`], [`StartError::LockTimeout`]).
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::cluster::remove_stale_dirs;
/// use std::time::Duration;
///
/// for dir in remove_stale_dirs(Duration::from_secs(60))? {
///     assert!(!dir.exists());
/// }
/// # Ok::<(), dutycycle_test_support::cluster::StartError>(())
/// ```
pub fn remove_stale_dirs(lock_timeout: Duration) -> Result<Vec<PathBuf>, StartError> {
    let _lock = ClusterLock::acquire(lock_timeout)?;
    Ok(dirs::remove_stale())
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.kill();
        }
        let _ = self.dirs.remove();
    }
}
