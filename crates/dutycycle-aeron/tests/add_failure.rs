//! An add that cannot succeed ends the agent that owns the slot, with the add's error as the
//! cause, unless the slot was told to retry: then the agent runs on and the add succeeds once
//! what stood in its way is gone.

mod common;

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{serial, wait_until};
use dutycycle::{AgentError, AgentFailure, AgentRunner, Ending, ErrorAction};
use dutycycle_aeron::{
    AddErrorPolicy, AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, ClientError,
    MediaDriverAgent, MediaDriverConfig, ResourceKind, SubscriptionSlot,
};

/// A driver on a runner of its own, and a client config pointing at it.
fn driver() -> (AgentRunner, ClientConfig) {
    let config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(config.aeron_dir());
    let runner =
        AgentRunner::builder().name("driver").start(move || Ok(MediaDriverAgent::launch(config)?)).unwrap();
    (runner, client)
}

/// A UDP port on loopback held by this process until the socket drops.
fn taken_port() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// Subscribes on one channel; says when the subscription is ready.
struct Listener {
    input: SubscriptionSlot,
    ready: Arc<AtomicBool>,
}

impl ClientAgent for Listener {
    fn role_name(&self) -> &str {
        "listener"
    }
    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.input.add(client)?)
    }
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let work = self.input.poll()?;
        self.ready.store(self.input.is_ready(), Ordering::Release);
        Ok(work)
    }
    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.input.close()?)
    }
}

#[test]
fn a_subscription_on_a_taken_port_ends_its_agent_with_the_port_and_aerons_error() {
    let _serial = serial();
    let (driver, client) = driver();
    let (_socket, port) = taken_port();
    let channel: Channel = format!("aeron:udp?endpoint=127.0.0.1:{port}").parse().unwrap();
    let ready = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ready);
    let runner = AgentRunner::builder()
        .name("listener")
        .error_handler(|_, _| ErrorAction::Continue) // the add's error ends the agent regardless
        .start(move || {
            let input = SubscriptionSlot::new(channel, 10);
            Ok(AeronAgent::connect(&client, Listener { input, ready: flag })?)
        })
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || !runner.is_running()),
        "the agent runs on without its subscription"
    );
    let failed = runner.join().unwrap_err();
    let report = failed.report();
    assert!(!report.is_clean());
    let Ending::Failed(AgentFailure::Error(cause)) = report.ending() else { panic!("{failed}") };
    let Some(ClientError::Add { kind, channel, stream_id, source }) = cause.downcast_ref::<ClientError>()
    else {
        panic!("{failed}")
    };
    assert_eq!(*kind, ResourceKind::Subscription);
    assert!(channel.contains(&format!(":{port}")), "{channel}");
    assert_eq!(*stream_id, 10);
    assert!(!source.message().is_empty(), "Aeron's own message: {source}");
    let shown = report.to_string();
    assert!(shown.contains(&port.to_string()), "the report names the port: {shown}");
    assert!(std::error::Error::source(&failed).is_some());
    assert!(!ready.load(Ordering::Acquire));
    assert!(driver.close().unwrap().is_clean());
}

#[test]
fn a_subscription_that_retries_runs_on_and_is_added_once_the_port_is_free() {
    let _serial = serial();
    let (driver, client) = driver();
    let (socket, port) = taken_port();
    let channel: Channel = format!("aeron:udp?endpoint=127.0.0.1:{port}").parse().unwrap();
    let ready = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ready);
    let retries = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let seen = Arc::clone(&retries);
    let runner = AgentRunner::builder()
        .name("retrier")
        .error_handler(move |_, err| {
            if matches!(err.downcast_ref::<ClientError>(), Some(ClientError::AddRetrying { .. })) {
                seen.fetch_add(1, Ordering::Relaxed);
            }
            ErrorAction::Continue
        })
        .start(move || {
            let input = SubscriptionSlot::new(channel, 11)
                .on_add_error(AddErrorPolicy::Retry { backoff: Duration::from_millis(50) });
            Ok(AeronAgent::connect(&client, Listener { input, ready: flag })?)
        })
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || retries.load(Ordering::Relaxed) >= 2),
        "no failed attempt seen"
    );
    assert!(runner.is_running(), "a retrying slot keeps its agent running");
    assert!(!ready.load(Ordering::Acquire));
    drop(socket);
    assert!(
        wait_until(Duration::from_secs(30), || ready.load(Ordering::Acquire)),
        "not added once the port was free"
    );
    let report = runner.close().unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(report.errors() >= 2);
    assert!(driver.close().unwrap().is_clean());
}
