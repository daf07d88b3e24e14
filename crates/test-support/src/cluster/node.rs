//! One cluster node: a JVM running aeron-all's echo service node.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use super::config::Launch;
use super::counters::{self, Standing};
use super::dirs::RunDirs;
use super::error::{NodeError, NodeLogs};
use crate::process::Spawner;

/// A cluster member: 0, 1 or 2.
///
/// Node `n` listens on ports `9000 + 100·n` and up (the sample's fixed layout); its client
/// ingress endpoint is `127.0.0.1:<9002 + 100·n>`.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::cluster::NodeId;
///
/// let node = NodeId::try_from(2)?;
/// assert_eq!(node, NodeId::ALL[2]);
/// assert_eq!(node.ingress_endpoint(), "127.0.0.1:9202");
/// assert!(NodeId::try_from(3).is_err());
/// # Ok::<(), dutycycle_test_support::cluster::InvalidNodeId>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u8);

impl NodeId {
    /// The three members, in order.
    pub const ALL: [NodeId; 3] = [NodeId(0), NodeId(1), NodeId(2)];

    /// The member number.
    pub const fn get(self) -> u8 {
        self.0
    }

    /// The client ingress endpoint, `host:port`.
    pub fn ingress_endpoint(self) -> String {
        format!("127.0.0.1:{}", 9002 + 100 * u16::from(self.0))
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A member number other than 0, 1 or 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no cluster node {0}: the cluster has nodes 0, 1 and 2")]
pub struct InvalidNodeId(pub u8);

impl TryFrom<u8> for NodeId {
    type Error = InvalidNodeId;

    fn try_from(id: u8) -> Result<Self, InvalidNodeId> {
        NodeId::ALL.get(usize::from(id)).copied().ok_or(InvalidNodeId(id))
    }
}

/// How long after its last update Aeron takes a node's mark files (consensus module, service
/// container, archive) for the mark of a live process and refuses to start: 10 s
/// (`ClusteredServiceContainer.Configuration.LIVENESS_TIMEOUT_MS`, not configurable). The
/// files are updated every second until the process ends.
pub(super) const MARK_FILE_LIVENESS: Duration = Duration::from_secs(10);

/// How many of a node's last output lines (stack frames left out) errors show.
const LOG_TAIL_LINES: usize = 12;

#[derive(Debug)]
pub(super) struct Node {
    id: NodeId,
    child: Option<Child>,
    /// When the last process of this node was seen to have ended.
    ended_at: Option<Instant>,
    log: PathBuf,
    driver_dir: PathBuf,
}

impl Node {
    pub(super) fn new(id: NodeId, dirs: &RunDirs) -> Self {
        Self {
            id,
            child: None,
            ended_at: None,
            log: dirs.work.join(format!("node-{id}.log")),
            driver_dir: dirs.driver(id),
        }
    }

    /// Starts the node's JVM; its output goes to `node-<id>.log` in the working directory.
    pub(super) fn spawn(
        &mut self,
        launch: &Launch,
        dirs: &RunDirs,
        spawner: &Spawner,
    ) -> Result<(), NodeError> {
        if self.is_running() {
            return Err(NodeError::Running { node: self.id });
        }
        self.reap();
        let log_error = |source| NodeError::Log { node: self.id, path: self.log.clone(), source };
        let out = OpenOptions::new().create(true).append(true).open(&self.log).map_err(log_error)?;
        let err = out.try_clone().map_err(log_error)?;
        let mut command = launch.command(self.id, &dirs.work, &dirs.aeron);
        command.stdout(out).stderr(err);
        let child = spawner.spawn(command).map_err(|source| NodeError::Spawn {
            node: self.id,
            java: launch.java.clone(),
            source,
        })?;
        self.child = Some(child);
        Ok(())
    }

    /// The pid of the node's process while it runs.
    pub(super) fn pid(&self) -> Option<u32> {
        let pid = self.child.as_ref()?.id();
        is_alive(pid).then_some(pid)
    }

    pub(super) fn is_running(&self) -> bool {
        self.pid().is_some()
    }

    /// The node's standing in the cluster while it runs.
    pub(super) fn standing(&self) -> Option<Standing> {
        counters::standing(&self.driver_dir, self.pid()?)
    }

    /// How the node's process ended, if it has (reaping it).
    pub(super) fn exit_status(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        self.child = None;
        self.ended_at = Some(Instant::now());
        Some(status)
    }

    /// Reaps a process that ended on its own.
    fn reap(&mut self) {
        let _ = self.exit_status();
    }

    /// SIGKILLs the node's process and waits for it.
    pub(super) fn kill(&mut self) -> Result<(), NodeError> {
        self.reap();
        let child = self.child.as_mut().ok_or(NodeError::NotRunning { node: self.id })?;
        let signal_error = |source| NodeError::Signal { node: self.id, source };
        child.kill().map_err(signal_error)?;
        child.wait().map_err(signal_error)?;
        self.child = None;
        self.ended_at = Some(Instant::now());
        Ok(())
    }

    /// SIGTERMs the node's process and waits up to `timeout` for it to end; SIGKILLs it after
    /// that.
    pub(super) fn stop(&mut self, timeout: Duration) -> Result<(), NodeError> {
        self.reap();
        let pid = self.pid().ok_or(NodeError::NotRunning { node: self.id })?;
        let signal_error = |source| NodeError::Signal { node: self.id, source };
        // SAFETY: kill(2) has no memory-safety preconditions; `pid` is our unreaped child, so
        // it cannot name a recycled pid.
        if unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) } != 0 {
            return Err(signal_error(io::Error::last_os_error()));
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.exit_status().is_some() {
                return Ok(());
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.kill()?;
        Err(NodeError::StopTimeout { node: self.id, waited: timeout })
    }

    /// Waits until Aeron will accept the node's mark files again (see [`MARK_FILE_LIVENESS`]).
    pub(super) fn wait_for_stale_mark_files(&self) {
        if let Some(ended_at) = self.ended_at {
            let ready = ended_at + MARK_FILE_LIVENESS + Duration::from_millis(500);
            if let Some(left) = ready.checked_duration_since(Instant::now()) {
                thread::sleep(left);
            }
        }
    }

    /// CPU time the node's process has used, user and system.
    pub(super) fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.pid()?)
    }

    /// The node's last output lines.
    pub(super) fn logs(&self) -> NodeLogs {
        NodeLogs(vec![(self.id, tail(&self.log, LOG_TAIL_LINES))])
    }

    pub(super) fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether `pid` runs (exists and is not a zombie).
fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rfind(')').and_then(|end| stat[end + 1..].split_whitespace().next());
    !matches!(state, None | Some("Z" | "X"))
}

/// User plus system CPU time of `pid` (fields 14 and 15 of `/proc/<pid>/stat`, in clock ticks).
pub(super) fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    let ticks = utime + stime;
    Some(
        Duration::from_secs(ticks / ticks_per_second)
            + Duration::from_secs_f64((ticks % ticks_per_second) as f64 / ticks_per_second as f64),
    )
}

/// The last `lines` lines of the file at `path`, leaving out the frames of Java stack traces
/// (`\tat ...`, `\t... 12 more`) so that exceptions and their causes show (at most the file's
/// last 16 KiB are read).
fn tail(path: &Path, lines: usize) -> String {
    let read = || -> io::Result<String> {
        let mut file = File::open(path)?;
        let length = file.metadata()?.len();
        file.seek(SeekFrom::Start(length.saturating_sub(16 * 1024)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> =
                text.lines().filter(|l| !l.starts_with("\tat ") && !l.starts_with("\t...")).collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(error) => format!("(no log: {error})"),
    }
}
