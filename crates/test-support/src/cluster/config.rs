//! How the three nodes are started: the JVM, its options and Aeron's properties.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::error::StartError;
use super::NodeId;

/// The environment variable naming the `aeron-all` jar (set by `scripts/env.sh`, the jar is
/// fetched by `scripts/setup.sh`).
pub const AERON_ALL_JAR_VAR: &str = "AERON_ALL_JAR";

/// The Java class each node runs: aeron-all's sample of a clustered echo service (a media
/// driver, an archive, a consensus module and a service that echoes every message back).
pub const ECHO_SERVICE_NODE_CLASS: &str = "io.aeron.samples.cluster.EchoServiceNode";

/// The idle strategy the nodes' agents use, by Aeron's alias (`aeron.*.idle.strategy`).
///
/// It applies to the media driver (one shared agent), the archive (one shared agent), the
/// consensus module and the clustered service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AeronIdleStrategy {
    /// `backoff`: spin, yield, then park from 1 µs up to 1 ms (Aeron's default).
    Backoff,
    /// `sleep-ns`: park for 1 µs (about 50 µs in practice on Linux).
    SleepNs,
    /// `sleep-ms`: sleep 1 ms.
    SleepMs,
    /// `yield`: `Thread.yield()`.
    Yield,
    /// `spin`: busy spin.
    Spin,
    /// `noop`: return at once.
    Noop,
}

impl AeronIdleStrategy {
    /// The alias Aeron's configuration accepts.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle_test_support::cluster::AeronIdleStrategy;
    ///
    /// assert_eq!(AeronIdleStrategy::SleepMs.alias(), "sleep-ms");
    /// ```
    pub const fn alias(self) -> &'static str {
        match self {
            Self::Backoff => "backoff",
            Self::SleepNs => "sleep-ns",
            Self::SleepMs => "sleep-ms",
            Self::Yield => "yield",
            Self::Spin => "spin",
            Self::Noop => "noop",
        }
    }
}

/// How [`Cluster::start`](super::Cluster::start) starts the nodes, and how long it waits.
///
/// The defaults suit tests on a small, shared machine (two vCPUs, beside the Rust code under
/// test): 128 MiB heaps with the serial collector and the client compiler only, shared
/// threading in driver and archive, no driver executor thread, sparse term buffers, small
/// terms (ingress 128 KiB, log 512 KiB), 1 ms sleeps when idle with 1 ms of timer slack, and
/// a 3 s leader heartbeat timeout (shorter ones risk spurious elections when the machine is
/// loaded).
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::cluster::{AeronIdleStrategy, ClusterConfig};
/// use std::time::Duration;
///
/// let config = ClusterConfig {
///     leader_heartbeat_timeout: Duration::from_secs(5),
///     idle_strategy: AeronIdleStrategy::Backoff,
///     properties: vec![("aeron.cluster.session.timeout".into(), "20s".into())],
///     ..ClusterConfig::default()
/// };
/// assert_eq!(config.max_heap_mib, 128);
/// ```
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// The `java` to run; `None`: `$JAVA_HOME/bin/java` when `JAVA_HOME` is set, else `java`
    /// from `PATH`.
    pub java: Option<PathBuf>,
    /// The `aeron-all` jar; `None`: the path in the `AERON_ALL_JAR` environment variable.
    pub aeron_all_jar: Option<PathBuf>,
    /// Each node's maximum Java heap (`-Xmx`), in MiB. Default: 128.
    pub max_heap_mib: u32,
    /// How long followers wait for the leader's heartbeat before they elect another
    /// (`aeron.cluster.leader.heartbeat.timeout`). Default: 3 s.
    pub leader_heartbeat_timeout: Duration,
    /// The idle strategy of every agent in the nodes. Default: [`AeronIdleStrategy::SleepMs`],
    /// the least CPU at idle; latency benchmarks may prefer [`AeronIdleStrategy::Backoff`].
    pub idle_strategy: AeronIdleStrategy,
    /// How long [`Cluster::start`](super::Cluster::start) and
    /// [`Cluster::restart`](super::Cluster::restart) wait for the nodes to be ready.
    /// Default: 120 s.
    pub start_timeout: Duration,
    /// How long [`Cluster::wait_for_leader`](super::Cluster::wait_for_leader) and
    /// [`Cluster::wait_for_new_leader`](super::Cluster::wait_for_new_leader) wait.
    /// Default: 60 s.
    pub election_timeout: Duration,
    /// How long [`Cluster::start`](super::Cluster::start) waits for another cluster on this
    /// machine to end (see [`LOCK_PATH`](super::LOCK_PATH)). Default: 600 s.
    pub lock_timeout: Duration,
    /// The timer slack of the nodes' threads (`PR_SET_TIMERSLACK`): how much later than asked
    /// the kernel may end their sleeps, to wake them together. `None`: Linux's default, 50 µs.
    /// Default: 1 ms.
    pub timer_slack: Option<Duration>,
    /// More JVM options (`-XX:...`), placed after the harness's own so that they win.
    pub jvm_options: Vec<String>,
    /// More Java system properties (`-Dkey=value`), placed after the harness's own so that
    /// they win.
    pub properties: Vec<(String, String)>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            java: None,
            aeron_all_jar: None,
            max_heap_mib: 128,
            leader_heartbeat_timeout: Duration::from_secs(3),
            idle_strategy: AeronIdleStrategy::SleepMs,
            start_timeout: Duration::from_secs(120),
            election_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(600),
            timer_slack: Some(Duration::from_millis(1)),
            jvm_options: Vec::new(),
            properties: Vec::new(),
        }
    }
}

impl ClusterConfig {
    /// Resolves the java binary and the jar, so that a missing jar is an error before
    /// anything starts.
    pub(super) fn resolve(&self) -> Result<Launch, StartError> {
        let jar = match &self.aeron_all_jar {
            Some(jar) => jar.clone(),
            None => jar_from_env(std::env::var_os(AERON_ALL_JAR_VAR))?,
        };
        if !jar.is_file() {
            return Err(StartError::JarNotFound { path: jar });
        }
        let java = match &self.java {
            Some(java) => java.clone(),
            None => java_from_env(std::env::var_os("JAVA_HOME")),
        };
        Ok(Launch { java, jar, config: self.clone() })
    }
}

fn jar_from_env(value: Option<OsString>) -> Result<PathBuf, StartError> {
    match value {
        Some(value) if !value.is_empty() => Ok(PathBuf::from(value)),
        _ => Err(StartError::JarNotSet),
    }
}

fn java_from_env(java_home: Option<OsString>) -> PathBuf {
    match java_home {
        Some(home) if !home.is_empty() => Path::new(&home).join("bin").join("java"),
        _ => PathBuf::from("java"),
    }
}

/// A configuration with its java and jar resolved: builds each node's command line.
#[derive(Debug, Clone)]
pub(super) struct Launch {
    pub(super) java: PathBuf,
    pub(super) jar: PathBuf,
    pub(super) config: ClusterConfig,
}

impl Launch {
    /// The command that runs `node` in `work_dir` (where the sample keeps `aeron-cluster-<id>`)
    /// with media driver directories `<aeron_dir>-<id>-driver`.
    pub(super) fn command(&self, node: NodeId, work_dir: &Path, aeron_dir: &Path) -> Command {
        let config = &self.config;
        let mut command = Command::new(&self.java);
        command
            .current_dir(work_dir)
            .stdin(Stdio::null())
            // Its own process group: a terminal's Ctrl-C reaches the harness, which ends the
            // nodes itself.
            .process_group(0);
        command
            .args([
                format!("-Xmx{}m", config.max_heap_mib).as_str(),
                "-XX:+UseSerialGC",
                // The client compiler only: faster start-up and less compiling on a small machine.
                "-XX:TieredStopAtLevel=1",
                // No /tmp/hsperfdata_<user>/<pid> file, which SIGKILL would leave behind.
                "-XX:-UsePerfData",
            ])
            .args(crate::java::AERON_ADD_OPENS);
        if let Some(slack) = config.timer_slack {
            let nanos = libc::c_ulong::try_from(slack.as_nanos()).unwrap_or(libc::c_ulong::MAX);
            let hook = move || {
                // SAFETY: prctl(PR_SET_TIMERSLACK) is an async-signal-safe system call that
                // touches no memory of the parent.
                if unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, nanos, 0, 0, 0) } != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            // SAFETY: the hook makes one async-signal-safe system call and builds a raw OS
            // error (no allocation, no lock), as std's pre_exec contract requires. The slack
            // is inherited across exec and by every thread the JVM creates.
            unsafe { command.pre_exec(hook) };
        }
        command.args(&config.jvm_options);
        let idle = config.idle_strategy.alias();
        let heartbeat_ms = config.leader_heartbeat_timeout.as_millis().max(1);
        let properties: [(&str, String); 16] = [
            ("aeron.cluster.tutorial.nodeId", node.to_string()),
            ("aeron.cluster.tutorial.hostnames", "127.0.0.1,127.0.0.1,127.0.0.1".into()),
            ("aeron.dir", aeron_dir.display().to_string()),
            ("aeron.dir.delete.on.start", "true".into()),
            ("aeron.dir.delete.on.shutdown", "true".into()),
            ("aeron.threading.mode", "SHARED".into()),
            ("aeron.archive.threading.mode", "SHARED".into()),
            ("aeron.term.buffer.sparse.file", "true".into()),
            ("aeron.cluster.ingress.channel", "aeron:udp?term-length=128k".into()),
            ("aeron.cluster.log.channel", "aeron:udp?term-length=512k".into()),
            ("aeron.cluster.leader.heartbeat.timeout", format!("{heartbeat_ms}ms")),
            ("aeron.shared.idle.strategy", idle.into()),
            ("aeron.archive.idle.strategy", idle.into()),
            ("aeron.cluster.idle.strategy", idle.into()),
            // Blocking driver work on the conductor (name resolution, which loopback
            // addresses never need) instead of one more polling thread per node.
            ("aeron.driver.async.executor.enabled", "false".into()),
            ("java.net.preferIPv4Stack", "true".into()),
        ];
        for (key, value) in properties
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(config.properties.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            command.arg(format!("-D{key}={value}"));
        }
        command.arg("-cp").arg(&self.jar).arg(ECHO_SERVICE_NODE_CLASS);
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_or_empty_jar_variable_is_an_error_naming_it() {
        for value in [None, Some(OsString::new())] {
            let error = jar_from_env(value).unwrap_err();
            assert!(matches!(error, StartError::JarNotSet));
            let text = error.to_string();
            assert!(text.contains(AERON_ALL_JAR_VAR), "{text}");
            assert!(text.contains("scripts/setup.sh"), "{text}");
        }
    }

    #[test]
    fn java_home_is_respected() {
        assert_eq!(java_from_env(Some("/opt/jdk".into())), Path::new("/opt/jdk/bin/java"));
        assert_eq!(java_from_env(None), Path::new("java"));
    }

    #[test]
    fn a_jar_that_is_not_there_is_an_error_naming_the_path() {
        let error = ClusterConfig {
            aeron_all_jar: Some("/no/such/aeron-all.jar".into()),
            ..ClusterConfig::default()
        }
        .resolve()
        .unwrap_err();
        assert!(matches!(error, StartError::JarNotFound { .. }));
        assert!(error.to_string().contains("/no/such/aeron-all.jar"));
    }

    #[test]
    fn user_properties_come_after_the_harness_ones() {
        let launch = Launch {
            java: "java".into(),
            jar: "aeron-all.jar".into(),
            config: ClusterConfig {
                properties: vec![("aeron.cluster.leader.heartbeat.timeout".into(), "5s".into())],
                jvm_options: vec!["-Xmx64m".into()],
                ..ClusterConfig::default()
            },
        };
        let command = launch.command(NodeId::ALL[1], Path::new("/w"), Path::new("/a"));
        let args: Vec<String> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let position = |arg: &str| args.iter().position(|a| a == arg).unwrap();
        assert!(position("-Xmx64m") > position("-Xmx128m"));
        assert!(
            position("-Daeron.cluster.leader.heartbeat.timeout=5s")
                > position("-Daeron.cluster.leader.heartbeat.timeout=3000ms")
        );
        assert!(args.contains(&"-Daeron.cluster.tutorial.nodeId=1".to_string()));
        assert!(args.contains(&"-Daeron.dir=/a".to_string()));
        assert_eq!(args.last().unwrap(), ECHO_SERVICE_NODE_CLASS);
    }
}
