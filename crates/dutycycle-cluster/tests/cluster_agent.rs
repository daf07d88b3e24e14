//! `ClusterAgent` on real runners: the session is made, used and closed on the agent's
//! thread, with a SessionCloseRequest from `on_close`.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{serial, FakeAgent, Seen, Shared};
use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination};
use dutycycle_aeron::{cause, AeronClient, ClientConfig, ClientError, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::codec::SessionMessage;
use dutycycle_cluster::{
    ClusterAgent, ClusterClient, ClusterClientAgent, ClusterClientConfig, ClusterError, ConfigError,
    EgressListener,
};
use dutycycle_test_support::wait::errors_until;

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Sends 10 messages; notes where it runs.
struct Gateway {
    sent: u64,
    echoes: Arc<AtomicU64>,
    session: Arc<Mutex<Option<i64>>>,
    threads: Arc<Mutex<Vec<String>>>,
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_owned()
}

impl EgressListener for Gateway {
    fn on_message(&mut self, _echo: &SessionMessage<'_>) {
        self.echoes.fetch_add(1, Ordering::AcqRel);
    }
}

impl ClusterClientAgent for Gateway {
    fn do_work(&mut self, cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        if self.sent < 10 && cluster.offer(&self.sent.to_le_bytes()).is_ok() {
            self.sent += 1;
            *self.session.lock().unwrap() = cluster.cluster_session_id();
            return Ok(1);
        }
        Ok(0)
    }

    fn on_close(&mut self, cluster: &mut ClusterClient) -> Result<(), AgentError> {
        assert!(cluster.state().is_connected(), "the session is still open in on_close");
        self.threads.lock().unwrap().push(format!("on_close:{}", thread_name()));
        Ok(())
    }
}

#[test]
fn the_agent_closes_its_session_with_a_close_request_on_its_own_thread() {
    let _serial = serial();
    let driver_config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(driver_config.aeron_dir());
    let driver_latch = AgentTermination::new();
    let driver = AgentRunner::builder()
        .name("driver")
        .termination(driver_latch.clone())
        .start(move || Ok(MediaDriverAgent::launch(driver_config)?))
        .expect("driver");
    let shared = Arc::new(Shared::default());
    let fake_shared = Arc::clone(&shared);
    let fake_client = client.clone();
    let fake = AgentRunner::builder()
        .name("fake-cluster")
        .start(move || Ok(FakeAgent::new(&fake_client, fake_shared)))
        .expect("fake cluster");
    wait_until("the fake cluster's ingress", || shared.endpoints.lock().unwrap().is_some());
    let endpoints = shared.endpoints.lock().unwrap().clone().unwrap();

    let echoes = Arc::new(AtomicU64::new(0));
    let session = Arc::new(Mutex::new(None));
    let threads = Arc::new(Mutex::new(Vec::new()));
    let gateway = {
        let (echoes, session, threads) = (Arc::clone(&echoes), Arc::clone(&session), Arc::clone(&threads));
        let config = ClusterClientConfig::new().ingress_endpoints(endpoints);
        AgentRunner::builder()
            .name("gateway")
            .start(move || {
                threads.lock().unwrap().push(format!("built:{}", thread_name()));
                let logic = Gateway { sent: 0, echoes, session, threads };
                Ok(ClusterAgent::connect(&client, &config, logic)?)
            })
            .expect("gateway")
    };
    wait_until("10 echoes", || echoes.load(Ordering::Acquire) == 10);
    let report = gateway.close().expect("gateway closes");
    assert!(report.is_clean(), "{report}");
    assert_eq!(*threads.lock().unwrap(), vec!["built:gateway".to_owned(), "on_close:gateway".to_owned()]);

    let session = session.lock().unwrap().expect("a session");
    wait_until("the close request", || {
        shared
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|s| matches!(s, Seen::Close { session: id, .. } if *id == session))
    });
    fake.close().expect("fake cluster closes");
    driver_latch.signal();
    assert!(driver.join().expect("driver").is_clean());
}

#[test]
fn a_bad_configuration_fails_the_start_with_a_typed_error() {
    let _serial = serial();
    let config = ClusterClientConfig::new().ingress_endpoints("0=127.0.0.1:9002,0=127.0.0.1:9102");
    let client = ClientConfig::new().dir("/nonexistent/no-driver-needed");
    let logic = Gateway { sent: 0, echoes: Arc::default(), session: Arc::default(), threads: Arc::default() };
    let error = AgentRunner::start(move || Ok(ClusterAgent::connect(&client, &config, logic)?)).unwrap_err();
    // The configuration is checked before the Aeron client is made (there is no driver here).
    assert!(
        matches!(cause::<ClusterError>(&error), Some(ClusterError::Config(ConfigError::Endpoints(_)))),
        "{error}"
    );
}

/// Logic whose every turn fails.
struct Failing;

impl EgressListener for Failing {
    fn on_message(&mut self, _message: &SessionMessage<'_>) {}
}

impl ClusterClientAgent for Failing {
    fn do_work(&mut self, _cluster: &mut ClusterClient) -> Result<usize, AgentError> {
        Err(AgentError::msg("the logic failed"))
    }
}

#[test]
fn an_aeron_client_error_met_in_a_failing_turn_is_returned_later_not_lost() {
    let _serial = serial();
    let mut driver = MediaDriverAgent::launch(MediaDriverConfig::new()).expect("driver");
    let client_config = ClientConfig::new().dir(driver.dir()).driver_timeout(Duration::from_millis(500));
    let client = AeronClient::connect(&client_config).expect("client");
    let config = ClusterClientConfig::new()
        .ingress_endpoints("0=127.0.0.1:9")
        .message_timeout(Duration::from_secs(60));
    let mut agent = ClusterAgent::with_client(client, &config, Failing).expect("the connect starts");
    for _ in 0..10 {
        driver.do_work().expect("driver");
        assert!(agent.do_work().is_err(), "the logic fails every turn");
    }

    // The driver goes: the client's conductor reports its timeout, then the client reports
    // that it closed, once. Every turn of the logic fails meanwhile.
    driver.on_close().expect("driver closes");
    let seen = errors_until(&mut agent, |e: &ClientError| matches!(e, ClientError::Closed { .. }));
    assert!(seen.iter().any(|e| e.starts_with("Conductor")), "{seen:?}");
    let _ = agent.on_close(); // the driver is gone: the close may fail
}
