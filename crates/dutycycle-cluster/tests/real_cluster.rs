//! The cluster client against a real three-node Aeron Cluster (aeron-all's echo service nodes,
//! started by the shared harness, one cluster at a time on the machine): connect and echo,
//! connect through a follower only, a leader SIGKILLed under load, a cluster that is down.
//!
//! The client runs on the test's thread, one turn at a time, beside its own embedded media
//! driver; the harness ends the JVMs and removes their directories also when a test fails.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dutycycle::Agent;
use dutycycle_aeron::{AeronClient, ClientConfig, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::codec::{NewLeaderEvent, SessionMessage};
use dutycycle_cluster::{
    CloseOutcome, ClusterClient, ClusterClientConfig, ClusterError, ClusterState, ConnectStep, EgressListener,
};
use dutycycle_test_support::cluster::{Cluster, ClusterConfig, ClusterLock, NodeId, INGRESS_ENDPOINTS};

/// Generous: three JVMs share two vCPUs with the test.
const LONG: Duration = Duration::from_secs(60);

/// What the session's listener heard: each echo's sequence number, and the new leaders.
#[derive(Debug, Default)]
struct Heard {
    echoes: Vec<u64>,
    new_leaders: Vec<i32>,
}

impl EgressListener for Heard {
    fn on_message(&mut self, message: &SessionMessage<'_>) {
        let sequence = message.payload.try_into().map(u64::from_le_bytes).expect("an 8-byte echo");
        self.echoes.push(sequence);
    }

    fn on_new_leader(&mut self, event: &NewLeaderEvent<'_>) {
        self.new_leaders.push(event.leader_member_id);
    }
}

/// A cluster client with its own driver, turned by the test's thread. Fields drop in order:
/// the session, the Aeron client, then the driver (which removes its directory).
struct Client {
    cluster: ClusterClient,
    aeron: AeronClient,
    driver: MediaDriverAgent,
    heard: Heard,
    errors: Vec<ClusterError>,
}

impl Client {
    /// Starts connecting to `endpoints`.
    fn connect(config: ClusterClientConfig) -> Client {
        let driver = MediaDriverAgent::launch(MediaDriverConfig::new()).expect("driver");
        let aeron = AeronClient::connect(&ClientConfig::new().dir(driver.dir())).expect("client");
        let cluster = ClusterClient::connect(&aeron, &config).expect("the connect starts");
        Client { cluster, aeron, driver, heard: Heard::default(), errors: Vec::new() }
    }

    /// One turn: the driver, the client's conductor, the session.
    fn turn(&mut self) {
        let mut work = self.driver.do_work().expect("driver");
        work += self.aeron.do_work().expect("client conductor");
        match self.cluster.poll(&mut self.heard) {
            Ok(n) => work += n,
            Err(error) => self.errors.push(error),
        }
        if work == 0 {
            std::thread::sleep(Duration::from_micros(200)); // leave the CPUs to the cluster
        }
    }

    fn run_until(&mut self, what: &str, mut done: impl FnMut(&mut Client) -> bool) {
        let deadline = Instant::now() + LONG;
        while !done(self) {
            assert!(Instant::now() < deadline, "no {what} within {LONG:?}; errors {:?}", self.errors);
            self.turn();
        }
    }

    fn connected(&mut self) {
        self.run_until("session", |c| c.cluster.state() == ClusterState::Connected);
    }

    /// Sends `0..count` one after the other and waits for each echo.
    fn echo(&mut self, count: u64) {
        for sequence in 0..count {
            self.run_until("offer", |c| c.cluster.offer(&sequence.to_le_bytes()).is_ok());
            self.run_until("echo", |c| c.heard.echoes.last() == Some(&sequence));
        }
        assert_eq!(self.heard.echoes, (0..count).collect::<Vec<_>>(), "each echo once, in order");
    }

    /// Closes the session, the client and the driver (whose directory goes).
    fn close(mut self) -> CloseOutcome {
        let outcome = self.cluster.close().expect("close the session");
        self.aeron.close().expect("close the client");
        self.driver.on_close().expect("close the driver");
        outcome
    }
}

fn config(endpoints: &str) -> ClusterClientConfig {
    ClusterClientConfig::new().ingress_endpoints(endpoints).client_name("real-cluster-test")
}

/// The tests take this, one at a time: each needs the machine's one cluster (or, to test a
/// cluster that is down, the certainty that none runs).
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn start_cluster() -> Cluster {
    Cluster::start(ClusterConfig::default()).expect("a three-node cluster with a leader")
}

#[test]
fn connects_to_a_real_cluster_and_echoes() {
    let _serial = serial();
    let cluster = start_cluster();
    let leader = cluster.leader().expect("a leader");
    let mut client = Client::connect(config(cluster.ingress_endpoints()));
    client.connected();
    assert_eq!(client.cluster.leader_member_id(), Some(i32::from(leader.get())));
    client.echo(100);
    assert!(client.errors.is_empty(), "{:?}", client.errors);
    assert_eq!(client.close(), CloseOutcome::Requested);
}

#[test]
fn a_follower_alone_redirects_the_connect_to_the_leader() {
    let _serial = serial();
    let cluster = start_cluster();
    let leader = cluster.leader().expect("a leader");
    let follower = NodeId::ALL.into_iter().find(|&n| n != leader).expect("a follower");
    // Only the follower's endpoint: the session can open only through its REDIRECT.
    let endpoints = format!("{follower}={}", follower.ingress_endpoint());
    let mut client = Client::connect(config(&endpoints));
    client.connected();
    assert_eq!(client.cluster.leader_member_id(), Some(i32::from(leader.get())));
    client.echo(10);
    assert_eq!(client.close(), CloseOutcome::Requested);
}

/// A gateway's book over the client: sequence numbers in flight, sent again after a new
/// leader or a second without an answer; the first echo of a number in flight is delivered to
/// the application, any other dropped and counted.
///
/// Duplicate echoes are legitimate, so the book can only drop them: a request resent after a
/// second without an answer may have been only slow (a loaded machine, an election) and is
/// then echoed twice; and an echo the old leader sent may still be read, from its image,
/// after the NewLeaderEvent (on the new leader's image) that made the book resend it.
#[derive(Default)]
struct Book {
    next: u64,
    /// Sequence number -> when it was last sent, or `None`: send it again.
    in_flight: BTreeMap<u64, Option<Instant>>,
    delivered: Vec<u64>,
    duplicates: u64,
    resent: u64,
}

impl Book {
    /// Sends what is due, keeping at most 16 in flight and issuing numbers below `total`.
    fn send(&mut self, cluster: &mut ClusterClient, total: u64) {
        if !cluster.state().is_connected() {
            return;
        }
        let due: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, sent)| sent.is_none_or(|at| at.elapsed() > Duration::from_secs(1)))
            .map(|(&s, _)| s)
            .collect();
        for sequence in due {
            if cluster.offer(&sequence.to_le_bytes()).is_err() {
                return;
            }
            self.in_flight.insert(sequence, Some(Instant::now()));
            self.resent += 1;
        }
        while self.in_flight.len() < 16 && self.next < total {
            if cluster.offer(&self.next.to_le_bytes()).is_err() {
                return;
            }
            self.in_flight.insert(self.next, Some(Instant::now()));
            self.next += 1;
        }
    }

    /// Books the echoes heard since the last call.
    fn book(&mut self, heard: &mut Heard) {
        for sequence in heard.echoes.drain(..) {
            if self.in_flight.remove(&sequence).is_some() {
                self.delivered.push(sequence);
            } else {
                self.duplicates += 1;
            }
        }
    }

    fn resend_all(&mut self) {
        for sent in self.in_flight.values_mut() {
            *sent = None;
        }
    }
}

#[test]
fn a_leader_killed_under_load_is_followed_and_with_resends_every_request_is_answered() {
    let _serial = serial();
    let mut cluster = start_cluster();
    let old = cluster.leader().expect("a leader");
    let mut client = Client::connect(config(cluster.ingress_endpoints()));
    client.connected();
    let session = client.cluster.cluster_session_id();
    let total = 3000;
    let mut book = Book::default();
    let mut new_leaders = 0;
    let mut killed = None;
    client.run_until("every request answered", |c| {
        book.book(&mut c.heard);
        if c.heard.new_leaders.len() > new_leaders {
            new_leaders = c.heard.new_leaders.len();
            book.resend_all(); // whatever went to the old leader may be lost
        }
        if killed.is_none() && book.delivered.len() >= 500 {
            cluster.kill(old).expect("SIGKILL the leader");
            killed = Some(Instant::now());
        }
        book.send(&mut c.cluster, total);
        book.delivered.len() as u64 == total
    });
    let new = cluster.wait_for_new_leader(old).expect("a new leader");
    let mut delivered = book.delivered.clone();
    delivered.sort_unstable();
    // Delivered at most once by construction (the book drops duplicates); this checks that
    // none is missing: the resends made up for every request or answer the failover lost.
    assert_eq!(delivered, (0..total).collect::<Vec<_>>(), "every sequence number answered");
    assert_eq!(client.heard.new_leaders, vec![i32::from(new.get())], "the new leader followed");
    assert_eq!(client.cluster.leader_member_id(), Some(i32::from(new.get())));
    assert_eq!(client.cluster.cluster_session_id(), session, "the same session");
    assert!(book.resent > 0, "requests in flight at the kill were sent again");
    println!(
        "killed leader {old}, new leader {new}: {} resent, {} duplicates dropped, the last answer {:?} after the kill",
        book.resent,
        book.duplicates,
        killed.map(|k| k.elapsed())
    );
    assert!(client.errors.is_empty(), "{:?}", client.errors);
    assert_eq!(client.close(), CloseOutcome::Requested);
}

#[test]
fn a_cluster_that_is_down_ends_the_connect_with_a_typed_timeout() {
    // No cluster on the endpoints: hold the harness's lock so that none starts meanwhile.
    let _serial = serial();
    let _no_cluster = ClusterLock::acquire(Duration::from_secs(600)).expect("the cluster lock");
    let timeout = Duration::from_millis(1500);
    let mut client = Client::connect(config(INGRESS_ENDPOINTS).message_timeout(timeout));
    let started = Instant::now();
    client.run_until("error", |c| !c.errors.is_empty());
    let elapsed = started.elapsed();
    assert!(elapsed >= timeout && elapsed < timeout + Duration::from_secs(10), "{elapsed:?}");
    match &client.errors[0] {
        ClusterError::ConnectTimeout { step: ConnectStep::AwaitIngressConnected, timeout: t, ingress } => {
            assert_eq!(*t, timeout);
            assert!(ingress.contains("0=127.0.0.1:9002 not connected"), "{ingress}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.cluster.state(), ClusterState::Closed);
    assert_eq!(client.close(), CloseOutcome::AlreadyClosed);
}
