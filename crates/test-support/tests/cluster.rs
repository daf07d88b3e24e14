//! The real-cluster harness against real JVMs: leader election, failover, restart, clean-up.
//!
//! Clusters run one at a time through the harness's own lock, so cargo's parallel test threads
//! simply queue. Measured figures are printed (`--nocapture` shows them).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use dutycycle_test_support::cluster::{
    remove_stale_dirs, Cluster, ClusterConfig, NodeError, NodeId, StartError, INGRESS_ENDPOINTS, LOCK_PATH,
};

/// A cluster may be moved to, and shared with, other threads.
const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Cluster>();
};

/// Set in a child process of this binary to make `child_cluster` run.
const CHILD_VAR: &str = "DUTYCYCLE_TEST_SUPPORT_CHILD";

fn start() -> Cluster {
    let cluster = Cluster::start(ClusterConfig::default()).unwrap_or_else(|e| panic!("{}", chain(&e)));
    println!("measured: nodes spawned to leader {:.2} s", cluster.startup_time().as_secs_f64());
    cluster
}

/// The error and its causes, so that a failure shows why.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Whether any process on the machine runs (zombies included) with `pid`.
fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Whether `pid` runs: it exists and is not a zombie (a container's init may never reap the
/// orphans of a killed process).
fn runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat.rfind(')').and_then(|end| stat[end + 1..].split_whitespace().next());
        !matches!(state, None | Some("Z" | "X"))
    })
}

/// Pids of every process whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

fn pids(cluster: &Cluster) -> Vec<u32> {
    NodeId::ALL.iter().map(|&n| cluster.pid(n).expect("every node runs")).collect()
}

/// Polls `done` every 20 ms for up to `timeout`.
fn eventually(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    done()
}

#[test]
fn start_elects_a_leader_idles_cheaply_and_drop_leaves_nothing_behind() {
    let cluster = start();
    assert_eq!(cluster.ingress_endpoints(), INGRESS_ENDPOINTS);
    let leader = cluster.leader().expect("start returns once a leader is elected");
    assert_eq!(cluster.wait_for_leader().unwrap(), leader);
    let pids = pids(&cluster);
    let dirs = cluster.dirs();
    for dir in &dirs {
        assert!(dir.is_dir(), "{} exists while the cluster runs", dir.display());
    }

    // Another process cannot take the lock while the cluster holds it.
    let status = Command::new("flock").args(["-n", LOCK_PATH, "true"]).status().expect("flock(1) runs");
    assert!(!status.success(), "the lock is held while the cluster runs");

    // Idle CPU of the three JVMs, once start-up compiling has settled.
    thread::sleep(Duration::from_secs(2));
    let (at, before) = (Instant::now(), cluster.cpu_time());
    thread::sleep(Duration::from_secs(8));
    let cores = (cluster.cpu_time() - before).as_secs_f64() / at.elapsed().as_secs_f64();
    println!("measured: idle CPU of the three JVMs {cores:.3} cores");
    assert!(cores < 0.6, "an idle cluster uses {cores:.3} cores: are the idle strategies applied?");
    assert_eq!(cluster.leader(), Some(leader), "no election while idle");

    drop(cluster);
    for pid in pids {
        assert!(!exists(pid), "node process {pid} ended and was reaped");
    }
    for dir in &dirs {
        assert!(!dir.exists(), "{} removed", dir.display());
    }
    let aeron_dir = dirs[1].to_string_lossy().replace("-0-driver", "");
    assert_eq!(processes_mentioning(&aeron_dir), Vec::<u32>::new());
}

#[test]
fn killing_the_leader_elects_another_and_restart_rejoins() {
    let mut cluster = start();
    let heartbeat = ClusterConfig::default().leader_heartbeat_timeout;
    let old = cluster.leader().unwrap();

    cluster.kill(old).unwrap();
    let killed_at = Instant::now();
    assert!(!cluster.is_running(old));
    assert!(matches!(cluster.kill(old), Err(NodeError::NotRunning { .. })));
    let new = cluster.wait_for_new_leader(old).unwrap_or_else(|e| panic!("{}", chain(&e)));
    let election = killed_at.elapsed();
    println!("measured: SIGKILL of the leader to a new leader {:.2} s", election.as_secs_f64());
    assert_ne!(new, old);
    // Aeron's default heartbeat timeout alone is 10 s: faster means ours applies.
    assert!(
        election < heartbeat + Duration::from_secs(6),
        "new leader after {election:?} with a {heartbeat:?} heartbeat timeout"
    );

    assert!(matches!(cluster.restart(new), Err(NodeError::Running { .. })));
    cluster.restart(old).unwrap_or_else(|e| panic!("{}", chain(&e)));
    println!("measured: SIGKILL to the restarted node rejoined {:.2} s", killed_at.elapsed().as_secs_f64());
    assert!(cluster.is_running(old));
    assert_eq!(cluster.leader(), Some(new), "the restarted node follows");

    let stopped_at = Instant::now();
    cluster.stop(new).unwrap();
    println!(
        "measured: SIGTERM of the leader to its process's exit {:.2} s",
        stopped_at.elapsed().as_secs_f64()
    );
    let third = cluster.wait_for_new_leader(new).unwrap_or_else(|e| panic!("{}", chain(&e)));
    println!("measured: SIGTERM of the leader to a new leader {:.2} s", stopped_at.elapsed().as_secs_f64());
    assert_ne!(third, new);
}

#[test]
fn a_panicking_test_leaves_no_process_or_dir() {
    let seen: Mutex<Option<(Vec<u32>, Vec<PathBuf>)>> = Mutex::new(None);
    let outcome = std::panic::catch_unwind(|| {
        let cluster = start();
        *seen.lock().unwrap() = Some((pids(&cluster), cluster.dirs()));
        panic!("a failing test");
    });
    assert!(outcome.is_err());
    let (pids, dirs) = seen.into_inner().unwrap().expect("the cluster started");
    for pid in pids {
        assert!(!exists(pid), "node process {pid} ended");
    }
    for dir in dirs {
        assert!(!dir.exists(), "{} removed", dir.display());
    }
}

/// A child process of this test binary running `child_cluster`, and the `child ...` lines
/// it printed (the rest of its output is drained, so that it never meets a closed pipe).
struct Child {
    process: std::process::Child,
    lines: mpsc::Receiver<String>,
}

impl Child {
    fn run(mode: &str, under_flock: bool) -> Child {
        let exe = std::env::current_exe().unwrap();
        let mut command = if under_flock {
            let mut c = Command::new("flock");
            c.arg(LOCK_PATH).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        command
            .args(["--exact", "child_cluster", "--ignored", "--nocapture"])
            .env(CHILD_VAR, mode)
            .stdout(Stdio::piped());
        let mut process = command.spawn().unwrap();
        let out = BufReader::new(process.stdout.take().unwrap());
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if let Some(line) = line.strip_prefix("child ") {
                    let _ = send.send(line.to_string());
                }
            }
        });
        Child { process, lines }
    }

    /// The next `child <key> <value>` line's value, if it has `key`.
    fn next(&self, key: &str) -> Option<String> {
        let line = self.lines.recv_timeout(Duration::from_secs(600)).ok()?;
        line.strip_prefix(key)?.strip_prefix(' ').map(str::to_string)
    }

    /// The pids and directories of the child's cluster.
    fn cluster(&self) -> (Vec<u32>, Vec<PathBuf>) {
        let pids: Vec<u32> = self
            .next("pids")
            .expect("the child started a cluster")
            .split(' ')
            .map(|p| p.parse().unwrap())
            .collect();
        let dirs = self.next("dirs").unwrap().split(' ').map(PathBuf::from).collect();
        (pids, dirs)
    }
}

#[test]
fn killing_the_test_process_kills_its_nodes_and_the_next_run_removes_its_dirs() {
    let mut child = Child::run("hold", false);
    let (pids, dirs) = child.cluster();
    child.process.kill().unwrap();
    child.process.wait().unwrap();
    let killed_at = Instant::now();
    for &pid in &pids {
        assert!(
            eventually(Duration::from_secs(20), || !runs(pid)),
            "node process {pid} died with the test process"
        );
    }
    println!("measured: test process SIGKILL to its nodes gone {:.2} s", killed_at.elapsed().as_secs_f64());
    assert!(dirs.iter().any(|d| d.exists()), "nothing ran the dead run's Drop");
    // This, or a cluster that another test thread starts first, removes them.
    remove_stale_dirs(Duration::from_secs(600)).unwrap();
    for dir in &dirs {
        assert!(!dir.exists(), "{} removed", dir.display());
    }
}

#[test]
fn a_cluster_started_under_flock_of_the_lock_file_runs_inside_that_lock() {
    let mut child = Child::run("once", true);
    let (pids, _) = child.cluster();
    let status = child.process.wait().unwrap();
    assert!(status.success(), "the child's cluster started and ended: {status}");
    for pid in pids {
        assert!(!runs(pid), "node process {pid} ended with the child's cluster");
    }
}

#[test]
fn a_second_cluster_waits_for_the_first() {
    let cluster = start();
    let second = thread::scope(|s| {
        s.spawn(|| {
            Cluster::start(ClusterConfig {
                lock_timeout: Duration::from_millis(500),
                ..ClusterConfig::default()
            })
        })
        .join()
        .unwrap()
    });
    assert!(matches!(second, Err(StartError::LockTimeout { .. })), "{second:?}");
    assert!(cluster.leader().is_some());
}

#[test]
fn a_missing_jar_fails_before_anything_starts() {
    let error = Cluster::start(ClusterConfig {
        aeron_all_jar: Some("/no/such/aeron-all.jar".into()),
        // Fails before the lock: no waiting for other clusters.
        lock_timeout: Duration::ZERO,
        ..ClusterConfig::default()
    })
    .unwrap_err();
    assert!(matches!(error, StartError::JarNotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("scripts/setup.sh"));
}

#[test]
fn a_node_that_exits_while_starting_fails_start_with_its_output() {
    let error = Cluster::start(ClusterConfig {
        jvm_options: vec!["-XX:+NoSuchOptionForTheHarness".into()],
        ..ClusterConfig::default()
    })
    .unwrap_err();
    let StartError::Node(NodeError::Exited { status, logs, .. }) = &error else {
        panic!("{error:?}");
    };
    assert!(!status.success());
    assert!(error.to_string().contains("NoSuchOptionForTheHarness"), "{error}");
    assert_eq!(logs.0.len(), 1);
}

#[test]
fn no_leader_in_time_is_an_error_with_every_nodes_output() {
    let error =
        Cluster::start(ClusterConfig { start_timeout: Duration::from_millis(1), ..ClusterConfig::default() })
            .unwrap_err();
    let StartError::NoLeader(timeout) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(timeout.logs.0.iter().map(|(node, _)| *node).collect::<Vec<_>>(), NodeId::ALL);
    assert!(error.to_string().starts_with("no leader was elected within 1ms"), "{error}");
}

/// Not a test: the cluster of a child process run by the tests above (only with
/// `DUTYCYCLE_TEST_SUPPORT_CHILD` set). `hold`: start and wait to be killed; `once`: start and
/// end; `try`: wait at most 1 s for the lock and report.
#[test]
#[ignore = "run by other tests in a child process"]
fn child_cluster() {
    let Ok(mode) = std::env::var(CHILD_VAR) else {
        return;
    };
    let cluster =
        Cluster::start(ClusterConfig { lock_timeout: Duration::from_secs(600), ..ClusterConfig::default() })
            .unwrap_or_else(|e| panic!("{}", chain(&e)));
    let pids: Vec<String> = pids(&cluster).iter().map(u32::to_string).collect();
    let dirs: Vec<String> = cluster.dirs().iter().map(|d| d.display().to_string()).collect();
    println!("child pids {}", pids.join(" "));
    println!("child dirs {}", dirs.join(" "));
    if mode == "hold" {
        loop {
            thread::sleep(Duration::from_secs(60));
        }
    }
}
