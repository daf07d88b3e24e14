//! The gateway example against a real three-node Aeron Cluster (aeron-all's echo service
//! nodes, from the shared harness: one cluster at a time on the machine): a leader SIGKILLed
//! mid-run, SIGTERM at random moments (while connecting, in steady state, during an election),
//! a cluster that is down, endpoints that do not parse.
//!
//! Every gateway process a test starts is ended by the test (SIGKILL on drop, its driver
//! directory removed); the harness ends the JVMs and removes their directories, also when a
//! test fails.

mod common;

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use common::{closed_on_their_own_threads, numbers, serial, values, Gateway, Rng, EXIT_TIMEOUT};
use dutycycle_test_support::cluster::{Cluster, ClusterConfig, ClusterLock, NodeId};

/// A cluster that admits one session at a time and times a silent one out only after a
/// minute: a session the gateway left without closing it by request would make the next
/// gateway's connect fail ("concurrent session limit") for the rest of the test.
fn one_session_cluster() -> Cluster {
    Cluster::start(ClusterConfig {
        properties: vec![
            ("aeron.cluster.max.sessions".into(), "1".into()),
            ("aeron.cluster.session.timeout".into(), "60s".into()),
        ],
        ..ClusterConfig::default()
    })
    .expect("a three-node cluster with a leader")
}

/// Asserts the end of a run that drained: exit 0; the account as the last line with every
/// request answered exactly once; the gateway and the driver each closed on the thread that
/// built it, cleanly; a session that was opened closed by request; no driver directory left.
/// Returns the account.
fn assert_drained_exit(
    status: ExitStatus,
    gateway: &Gateway,
    what: &str,
) -> std::collections::HashMap<String, String> {
    let output = gateway.output();
    assert_eq!(status.code(), Some(0), "{what}: {status}\n{output}");
    let lines = gateway.stdout_lines();
    let last = lines.last().filter(|l| l.starts_with("account: "));
    let last = last.unwrap_or_else(|| panic!("{what}: the last line is the account\n{output}"));
    let (account, words) = (numbers(last), values(last));
    assert_eq!(account["unanswered"], 0, "{what}: drained\n{output}");
    assert_eq!(account["answered"], account["sent"], "{what}\n{output}");
    assert_eq!(account["missing"], 0, "{what}: each sequence number answered\n{output}");
    assert_eq!(account["answered-twice"], 0, "{what}: none answered twice\n{output}");
    assert_eq!(account["malformed"], 0, "{what}\n{output}");

    let closed = closed_on_their_own_threads(&lines, what, &output);
    assert_eq!(closed, ["gateway", "media-driver"], "{what}: every agent closes once\n{output}");
    let reports: Vec<&String> = lines.iter().filter(|l| l.starts_with("report: ")).collect();
    assert_eq!(reports.len(), 2, "{what}: a report per runner\n{output}");
    for report in reports {
        assert!(
            report.contains("closed by its runner") && report.contains(" 0 errors"),
            "{what}: {report}\n{output}"
        );
    }

    if lines.iter().any(|l| l.starts_with("gateway: connected: ")) {
        assert!(
            lines.iter().any(
                |l| l.contains("closed by request on thread gateway: SessionCloseRequest sent to leader")
            ),
            "{what}: the session was closed by request\n{output}"
        );
        assert_eq!(words["session-close"], "requested", "{what}\n{output}");
    } else {
        // No session opened: nothing to close (the connect had not sent its request).
        assert_eq!(words["session-close"], "not-connected", "{what}\n{output}");
    }
    let dir = gateway.driver_dir().unwrap_or_else(|| panic!("{what}: no driver line\n{output}"));
    assert!(!dir.exists(), "{what}: {} left behind", dir.display());
    assert_eq!(gateway.leftover_dirs(), Vec::<PathBuf>::new(), "{what}");
    assert!(!gateway.stderr().contains("panicked"), "{what}: {output}");
    words
}

/// The leader's member id from the gateway's `connected:` line.
fn connected_leader(line: &str) -> u8 {
    values(line)["leader"].parse().expect("a leader id")
}

#[test]
fn a_leader_killed_mid_run_is_followed_and_after_sigterm_every_request_is_answered_once() {
    let _serial = serial();
    let mut cluster = one_session_cluster();
    let endpoints = cluster.ingress_endpoints();
    let args = ["--cluster-endpoints", endpoints, "--run-time", "0", "--drain-timeout", "30s", "--log"];
    let mut gateway = Gateway::spawn(&args);
    let connected = gateway.wait_for("connected", |l| l.starts_with("gateway: connected: "));
    let old = cluster.leader().expect("a leader");
    assert_eq!(connected_leader(&connected), old.get(), "{connected}");
    std::thread::sleep(Duration::from_secs(2));
    cluster.kill(old).expect("SIGKILL the leader");
    let new = cluster.wait_for_new_leader(old).expect("a new leader");
    let followed = gateway.wait_for("new leader", |l| l.starts_with("gateway: new leader "));
    assert!(followed.starts_with(&format!("gateway: new leader {new} ")), "{followed}");
    // Some steady load with the new leader, then the end the article's gateway met: SIGTERM.
    std::thread::sleep(Duration::from_secs(2));
    gateway.signal(libc::SIGTERM);
    let status = gateway.wait(EXIT_TIMEOUT);
    let account = assert_drained_exit(status, &gateway, "leader killed mid-run");
    let n = |key: &str| account[key].parse::<u64>().unwrap();
    assert_eq!(n("new-leaders"), 1, "{account:?}");
    assert!(n("resent") > 0, "what was in flight at the kill went again: {account:?}");
    assert!(n("sent") > 2000, "about 1000 a second for 2 s before the kill and 2 s after: {account:?}");
    // --log: the session's steps on the gateway's thread, the failover among them, in order
    // (a redirect or the old leader's image going may come between), the close last.
    let stderr = gateway.stderr();
    let steps: Vec<(&str, &str)> = stderr
        .lines()
        .filter(|l| l.contains(" thread=gateway "))
        .filter_map(|l| Some((l.split(" DEBUG dutycycle_cluster: ").nth(1)?.split(' ').next()?, l)))
        .collect();
    let mut expected =
        ["connecting", "connected", "new_leader", "new_leader_connected", "closed"].into_iter().peekable();
    for (step, _) in &steps {
        expected.next_if_eq(step);
    }
    assert_eq!(expected.next(), None, "the session's steps in order: {steps:?}\n{stderr}");
    assert!(!steps.iter().any(|(step, _)| *step == "session_ended"), "{stderr}");
    let new_leader = steps.iter().find(|(step, _)| *step == "new_leader").unwrap().1;
    assert!(new_leader.contains(&format!(" leader_member_id={new}")), "{new_leader}");
    let (last, line) = steps.last().unwrap();
    assert!(*last == "closed" && line.contains(" outcome=Requested"), "{stderr}");
    println!("{}", gateway.stdout_lines().last().unwrap());
}

/// When the SIGTERM comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Moment {
    /// While the gateway starts and connects.
    Connect,
    /// While requests and answers flow.
    Steady,
    /// After the leader was SIGKILLed, before or after the cluster elected another.
    Election,
}

#[test]
fn sigterm_at_random_moments_drains_and_closes_the_session_by_request() {
    use Moment::*;
    let _serial = serial();
    let mut cluster = one_session_cluster();
    let mut rng = Rng::from_env("DUTYCYCLE_KILL_SEED");
    // 22 rounds by default (DUTYCYCLE_CLUSTER_KILL_ROUNDS for more): an election every
    // seventh round, each after the node killed before has rejoined (a third of the cluster
    // down leaves a majority; two thirds would leave none), connects and steady runs between.
    let rounds =
        std::env::var("DUTYCYCLE_CLUSTER_KILL_ROUNDS").map_or(22, |n| n.parse().expect("a number of rounds"));
    let plan = (0..rounds).map(|round: usize| match round {
        r if r % 7 == 2 => Election,
        r if r % 2 == 0 => Connect,
        _ => Steady,
    });
    let mut killed: Option<(NodeId, Instant)> = None;
    let mut sessions = 0;
    for (round, moment) in plan.enumerate() {
        if moment == Election {
            if let Some((node, _)) = killed.take() {
                cluster.restart(node).expect("the killed node rejoins");
            }
        }
        let what = format!("round {round}, SIGTERM during {moment:?}");
        let mut gateway = Gateway::spawn(&["--run-time", "0", "--drain-timeout", "30s"]);
        gateway.wait_for("signal handling", |l| l.contains("handles SIGINT/SIGTERM"));
        match moment {
            Connect => {
                // The session's connect starts once the driver is up: before, during or just
                // after it.
                gateway.wait_for("driver", |l| l.starts_with("driver: "));
                std::thread::sleep(Duration::from_millis(rng.below(80)));
            }
            Steady => {
                gateway.wait_for("connected", |l| l.starts_with("gateway: connected: "));
                std::thread::sleep(Duration::from_millis(100 + rng.below(1500)));
            }
            Election => {
                let connected = gateway.wait_for("connected", |l| l.starts_with("gateway: connected: "));
                std::thread::sleep(Duration::from_millis(200 + rng.below(500)));
                let leader = cluster.leader().expect("a leader");
                assert_eq!(connected_leader(&connected), leader.get(), "{what}: {connected}");
                cluster.kill(leader).expect("SIGKILL the leader");
                killed = Some((leader, Instant::now()));
                // Before the new leader (about 4 s with a 3 s heartbeat timeout), or after.
                std::thread::sleep(Duration::from_millis(50 + rng.below(5000)));
            }
        }
        gateway.signal(libc::SIGTERM);
        let status = gateway.wait(EXIT_TIMEOUT);
        assert_drained_exit(status, &gateway, &what);
        if gateway.stdout_lines().iter().any(|l| l.starts_with("gateway: connected: ")) {
            sessions += 1;
        }
        if moment == Election {
            cluster.wait_for_new_leader(killed.unwrap().0).expect("a new leader");
        }
        println!("{what}: exit 0 after {:?}: {}", gateway.elapsed(), gateway.stdout_lines().last().unwrap());
    }
    assert!(sessions >= rounds * 4 / 10, "the steady and election rounds opened a session ({sessions})");
    // The last session was closed by request too: with room for one session, a new one opens.
    let (status, gateway) = Gateway::run(&["--run-time", "1"]);
    assert_drained_exit(status, &gateway, "after the last round");
    assert!(
        gateway.stdout_lines().iter().any(|l| l.starts_with("gateway: connected: ")),
        "{}",
        gateway.output()
    );
}

#[test]
fn a_cluster_that_is_down_ends_the_gateway_with_a_typed_connect_timeout() {
    // No cluster on the endpoints: hold the harness's lock so that none starts meanwhile.
    let _serial = serial();
    let _no_cluster = ClusterLock::acquire(Duration::from_secs(600)).expect("the cluster lock");
    let (status, gateway) = Gateway::run(&["--run-time", "0", "--connect-timeout", "2s"]);
    // From the spawn (building the binary, on the first use, comes before it).
    let elapsed = gateway.elapsed();
    let (stderr, output) = (gateway.stderr(), gateway.output());
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(elapsed < Duration::from_secs(30), "no hang: {elapsed:?}\n{output}");
    assert!(stderr.contains("gateway: the cluster session ended"), "{output}");
    assert!(
        stderr.contains(
            "no cluster session within the message timeout of 2s, still awaiting an ingress connection"
        ),
        "{output}"
    );
    assert!(stderr.contains("0=127.0.0.1:9002 not connected"), "{output}");
    let lines = gateway.stdout_lines();
    let account = numbers(lines.last().filter(|l| l.starts_with("account: ")).expect("the account last"));
    assert_eq!((account["sent"], account["unanswered"]), (0, 0), "{output}");
    assert_eq!(lines.iter().filter(|l| l.contains("same_thread=true result=ok")).count(), 2, "{output}");
    assert_eq!(gateway.leftover_dirs(), Vec::<PathBuf>::new());
}

#[test]
fn bad_endpoints_are_refused_naming_them_before_anything_starts() {
    let cases: [(&str, &str); 3] = [
        ("0=127.0.0.1:9002,1=nowhere", "ingress endpoint \"1=nowhere\""),
        ("0=127.0.0.1:9002,0=127.0.0.1:9102", "member 0 is listed twice"),
        ("", "no ingress endpoints"),
    ];
    for (endpoints, reason) in cases {
        let (status, gateway) = Gateway::run(&["--cluster-endpoints", endpoints]);
        let (stderr, output) = (gateway.stderr(), gateway.output());
        assert_eq!(status.code(), Some(2), "{endpoints:?}: {output}");
        assert!(stderr.contains(&format!("--cluster-endpoints {endpoints:?} is not usable")), "{output}");
        assert!(stderr.contains(reason), "{endpoints:?}: the reason {reason:?}:\n{output}");
        assert!(gateway.stdout_lines().is_empty(), "{endpoints:?}: nothing started:\n{output}");
        assert_eq!(gateway.leftover_dirs(), Vec::<PathBuf>::new());
    }
}
