//! Aeron clients owned by agents, against Aeron's real C media driver.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use common::{serial, wait_until, PubSub, Seen};
use dutycycle::{AgentError, AgentRunner};
use dutycycle_aeron::rusteron_client::{self, AeronImage, AeronSubscription, Handler};
use dutycycle_aeron::{
    AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, ClientError, ConductorMode,
    ExclusivePublicationSlot, ImageEvent, MediaDriverAgent, MediaDriverConfig, PublicationSlot,
    SubscriptionSlot,
};
use dutycycle_test_support::wait::errors_until;

/// A driver on a runner of its own, and a client config pointing at it.
fn driver() -> (AgentRunner, ClientConfig) {
    let config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(config.aeron_dir());
    let runner =
        AgentRunner::builder().name("driver").start(move || Ok(MediaDriverAgent::launch(config)?)).unwrap();
    (runner, client)
}

fn publish_and_subscribe(mode: ConductorMode) {
    let (driver, client) = driver();
    let client = client.conductor(mode);
    let seen = Arc::new(Seen::default());
    let agent_seen = Arc::clone(&seen);
    let agent = AgentRunner::builder()
        .name("pubsub")
        .start(move || {
            let agent = AeronAgent::connect(&client, PubSub::new(Channel::ipc(), 20, 10_000, agent_seen))?;
            assert_eq!(agent.client().unwrap().conductor_mode(), mode);
            Ok(agent)
        })
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || seen.received() == 10_000),
        "received {}",
        seen.received()
    );
    assert_eq!(seen.sent(), 10_000);
    assert_eq!(seen.out_of_order.load(Ordering::Relaxed), 0);
    let events = seen.events();
    assert!(matches!(events.first(), Some(ImageEvent::Available(_))), "{events:?}");

    let report = agent.close().unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.errors(), 0);
    assert!(driver.close().unwrap().is_clean());
}

#[test]
fn publish_and_subscribe_through_an_agent_that_invokes_its_conductor() {
    let _serial = serial();
    publish_and_subscribe(ConductorMode::Invoker);
}

#[test]
fn publish_and_subscribe_through_an_agent_with_aerons_conductor_thread() {
    let _serial = serial();
    publish_and_subscribe(ConductorMode::Thread);
}

#[test]
fn connect_fails_at_once_and_names_the_directory_when_no_driver_runs_there() {
    let dir = std::env::temp_dir().join(format!("dutycycle-no-driver-{}", std::process::id()));
    let start = Instant::now();
    let error = AeronClient::connect(&ClientConfig::new().dir(&dir)).unwrap_err();
    // Aeron's own connect would wait the whole driver timeout (10 s) first.
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    match &error {
        ClientError::NoDriver { dir: named } => assert_eq!(named, &dir),
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains(&dir.display().to_string()));
    assert!(!dir.exists());
}

/// Publishes on an exclusive publication that it closes and adds again on request.
struct Restarter {
    out: ExclusivePublicationSlot,
    restarts_wanted: Arc<std::sync::atomic::AtomicU64>,
    restarts_done: u64,
}

impl ClientAgent for Restarter {
    fn role_name(&self) -> &str {
        "restarter"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.out.add(client)?)
    }

    fn do_work(&mut self, client: &mut AeronClient) -> Result<usize, AgentError> {
        let mut work = self.out.poll()?;
        if self.restarts_wanted.load(Ordering::Acquire) > self.restarts_done {
            self.restarts_done += 1;
            self.out.close()?;
            self.out.add(client)?;
            work += 1;
        }
        if self.out.offer(b"ping").is_ok() {
            work += 1;
        }
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.out.close()?)
    }
}

/// Subscribes and records image events.
struct Watcher {
    input: SubscriptionSlot,
    events: Arc<Mutex<Vec<ImageEvent>>>,
}

impl ClientAgent for Watcher {
    fn role_name(&self) -> &str {
        "watcher"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.input.add(client)?)
    }

    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let mut work = self.input.poll()?;
        while let Some(event) = self.input.next_image_event() {
            self.events.lock().unwrap().push(event);
            work += 1;
        }
        work += self.input.poll_fn(|_, _| {}, 10)?;
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.input.close()?)
    }
}

#[test]
fn a_restarted_publisher_shows_as_its_image_going_away_and_a_new_one_coming() {
    let _serial = serial();
    let (driver, client) = driver();
    let events = Arc::new(Mutex::new(Vec::new()));
    let watcher_events = Arc::clone(&events);
    let watcher_client = client.clone();
    let watcher = AgentRunner::builder()
        .name("watcher")
        .start(move || {
            let input = SubscriptionSlot::new(Channel::ipc(), 30);
            Ok(AeronAgent::connect(&watcher_client, Watcher { input, events: watcher_events })?)
        })
        .unwrap();
    let restarts = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let wanted = Arc::clone(&restarts);
    let restarter = AgentRunner::builder()
        .name("restarter")
        .start(move || {
            let out = dutycycle_aeron::PublicationSlot::exclusive(Channel::ipc(), 30);
            Ok(AeronAgent::connect(&client, Restarter { out, restarts_wanted: wanted, restarts_done: 0 })?)
        })
        .unwrap();

    let available = |events: &[ImageEvent]| events.iter().filter(|e| e.is_available()).count();
    assert!(wait_until(Duration::from_secs(30), || available(&events.lock().unwrap()) == 1));
    restarts.store(1, Ordering::Release);
    // The driver notices a closed publication on its next timer tick (Aeron's 1 s interval).
    assert!(wait_until(Duration::from_secs(30), || {
        let events = events.lock().unwrap();
        available(&events) == 2 && events.iter().any(|e| !e.is_available())
    }));

    let events = events.lock().unwrap().clone();
    let first = events[0].info().clone();
    let gone = events.iter().find(|e| !e.is_available()).unwrap().info().clone();
    let second = events.iter().filter(|e| e.is_available()).nth(1).unwrap().info().clone();
    assert_eq!(gone.session_id, first.session_id, "the first image went away: {events:?}");
    assert_ne!(second.session_id, first.session_id, "a new session came: {events:?}");
    assert_eq!(second.stream_id, 30);
    assert_eq!(second.source_identity, "aeron:ipc");

    assert!(restarter.close().unwrap().is_clean());
    assert!(watcher.close().unwrap().is_clean());
    assert!(driver.close().unwrap().is_clean());
}

/// The thread that ran the client, and the thread an image handler ran on (a handler
/// registered through rusteron directly, to see where Aeron calls it).
fn image_handler_thread(mode: ConductorMode) -> (ThreadId, ThreadId) {
    let (driver, client) = driver();
    let client = client.conductor(mode);
    let agent_thread = std::thread::spawn(move || {
        let (sender, receiver) = std::sync::mpsc::channel();
        let mut client = AeronClient::connect(&client).unwrap();
        let handler = Handler::new(move |_: AeronSubscription, _: AeronImage| {
            let _ = sender.send(std::thread::current().id());
        });
        let pending = client
            .aeron()
            .async_add_subscription(c"aeron:ipc", 40, Some(&handler), rusteron_client::Handlers::NONE)
            .unwrap();
        let mut out = PublicationSlot::new(Channel::ipc(), 40);
        out.add(&client).unwrap();
        let mut subscription: Option<AeronSubscription> = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        // The agent's duty cycle, by hand: the client's turn, then the adds.
        while !subscription.as_ref().is_some_and(AeronSubscription::is_connected) {
            assert!(Instant::now() < deadline, "the subscription never connected");
            client.do_work().unwrap();
            out.poll().unwrap();
            if subscription.is_none() {
                subscription = pending.poll().unwrap();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let handler_thread = receiver.recv_timeout(Duration::from_secs(30)).expect("the image handler ran");
        out.close().unwrap();
        if let Some(subscription) = subscription {
            subscription.close().unwrap();
        }
        drop(pending);
        client.close().unwrap();
        (std::thread::current().id(), handler_thread)
    });
    let threads = agent_thread.join().unwrap();
    assert!(driver.close().unwrap().is_clean());
    threads
}

#[test]
fn image_handlers_run_on_the_agent_thread_with_the_invoker_and_on_aerons_thread_otherwise() {
    let _serial = serial();
    let (agent, handler) = image_handler_thread(ConductorMode::Invoker);
    assert_eq!(agent, handler, "with the invoker, the conductor runs inside the agent's do_work");
    let (agent, handler) = image_handler_thread(ConductorMode::Thread);
    assert_ne!(agent, handler, "Aeron's own conductor thread runs the handler");
}

#[test]
fn an_add_the_driver_refuses_comes_back_as_an_add_error_naming_the_channel() {
    let _serial = serial();
    let (driver, client) = driver();
    // The URI parses, but the driver refuses a term length that is not a power of two.
    let channel: Channel = "aeron:ipc?term-length=1000".parse().unwrap();
    let mut client = AeronClient::connect(&client).unwrap();
    let mut slot = PublicationSlot::new(channel, 50);
    slot.add(&client).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let error = loop {
        client.do_work().ok();
        match slot.poll() {
            Err(error) => break error,
            Ok(_) => assert!(!slot.is_ready(), "the driver took a term length of 1000"),
        }
        assert!(Instant::now() < deadline, "no answer from the driver");
        std::thread::sleep(Duration::from_millis(1));
    };
    match &error {
        ClientError::Add { kind, channel, stream_id, .. } => {
            assert_eq!(*kind, dutycycle_aeron::ResourceKind::Publication);
            assert_eq!(channel, "aeron:ipc?term-length=1000");
            assert_eq!(*stream_id, 50);
        }
        other => panic!("{other}"),
    }
    assert!(!slot.is_ready() && !slot.is_adding());
    client.close().unwrap();
    assert!(driver.close().unwrap().is_clean());
}

#[test]
fn add_errors_name_the_c_functions_of_their_own_kind() {
    let _serial = serial();
    let (driver, client) = driver();
    let mut client = AeronClient::connect(&client).unwrap();
    // The URI parses, but the driver refuses a term length that is not a power of two.
    let channel: Channel = "aeron:ipc?term-length=1000".parse().unwrap();
    let mut exclusive = PublicationSlot::exclusive(channel.clone(), 51);
    exclusive.add(&client).unwrap();
    let mut concurrent = PublicationSlot::new(channel, 52);
    concurrent.add(&client).unwrap();
    let (mut exclusive_error, mut concurrent_error) = (None, None);
    let deadline = Instant::now() + Duration::from_secs(30);
    while exclusive_error.is_none() || concurrent_error.is_none() {
        assert!(Instant::now() < deadline, "no answer from the driver");
        client.do_work().ok();
        if let Err(e) = exclusive.poll() {
            exclusive_error = Some(e);
        }
        if let Err(e) = concurrent.poll() {
            concurrent_error = Some(e);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let call = |error: &ClientError| match error {
        ClientError::Add { source, .. } => source.call().to_owned(),
        other => panic!("{other}"),
    };
    assert_eq!(call(&exclusive_error.unwrap()), "aeron_async_add_exclusive_publication_poll");
    assert_eq!(call(&concurrent_error.unwrap()), "aeron_async_add_publication_poll");
    client.close().unwrap();
    assert!(driver.close().unwrap().is_clean());
}

/// A logic that fails on every duty cycle, its errors handled with `Continue`, while its
/// publication's add is pending.
struct FailsEveryCycle {
    out: PublicationSlot,
    ready: Arc<std::sync::atomic::AtomicBool>,
}

impl ClientAgent for FailsEveryCycle {
    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        Ok(self.out.add(client)?)
    }

    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        self.out.poll()?;
        self.ready.store(self.out.is_ready(), Ordering::Relaxed);
        Err(AgentError::msg("fails every cycle"))
    }
}

#[test]
fn a_logic_that_fails_every_cycle_still_gets_the_clients_turn() {
    let _serial = serial();
    let (driver, client) = driver();
    // With the conductor invoked by the agent, an add completes only in the client's turn.
    let client = client.conductor(ConductorMode::Invoker);
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let agent_ready = Arc::clone(&ready);
    let agent = AgentRunner::builder()
        .name("failing")
        .error_handler(|_, _| dutycycle::ErrorAction::Continue)
        .start(move || {
            let logic = FailsEveryCycle { out: PublicationSlot::new(Channel::ipc(), 31), ready: agent_ready };
            Ok(AeronAgent::connect(&client, logic)?)
        })
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || ready.load(Ordering::Relaxed)),
        "the add completed while every do_work failed"
    );
    assert!(agent.stats().errors > 0);
    let report = agent.close().unwrap();
    assert!(report.is_clean(), "{report}");
    assert!(driver.close().unwrap().is_clean());
}

/// Logic whose every cycle fails, and that does nothing else.
struct AlwaysFails;

impl ClientAgent for AlwaysFails {
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        Err(AgentError::msg("the logic failed"))
    }
}

#[test]
fn an_error_of_the_client_in_a_cycle_whose_logic_failed_too_is_returned_later_not_lost() {
    use dutycycle::Agent;

    let _serial = serial();
    let driver_config = MediaDriverConfig::new();
    let client_config = ClientConfig::new()
        .dir(driver_config.aeron_dir())
        .driver_timeout(Duration::from_millis(500))
        .conductor(ConductorMode::Invoker);
    let mut driver = MediaDriverAgent::launch(driver_config).unwrap();
    let mut agent = AeronAgent::connect(&client_config, AlwaysFails).unwrap();
    for _ in 0..100 {
        driver.do_work().unwrap();
        assert!(agent.do_work().is_err(), "the logic fails every cycle");
    }

    // The driver goes: the client's conductor reports its timeout, then the client reports that
    // it closed, once. Every cycle of the logic fails meanwhile.
    driver.on_close().unwrap();
    let seen = errors_until(&mut agent, |e: &ClientError| matches!(e, ClientError::Closed { .. }));
    assert!(seen.iter().any(|e| e.starts_with("Conductor")), "{seen:?}");
    let _ = agent.on_close(); // the driver is gone: the close may fail
}
