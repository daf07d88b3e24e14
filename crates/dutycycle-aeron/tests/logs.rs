//! With the `tracing` feature, an Aeron client agent's life is logged step by step: the
//! runner's events (role, thread) with the client's connect and close, the adds and the images
//! between them, all on the agent's thread. A capturing subscriber of this test's own records
//! them.
#![cfg(feature = "tracing")]

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::{serial, wait_until};
use dutycycle::{AgentError, AgentRunner};
use dutycycle_aeron::{
    AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, MediaDriverAgent, MediaDriverConfig,
    PublicationSlot, SubscriptionSlot,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event as recorded: its name, level, target and fields (as text).
#[derive(Debug, Clone)]
struct Recorded {
    name: &'static str,
    level: Level,
    target: String,
    fields: BTreeMap<String, String>,
}

impl Recorded {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Records every event of every thread (the process-wide default subscriber).
struct Capture {
    events: Mutex<Vec<Recorded>>,
    next_span: AtomicU64,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let metadata = event.metadata();
        self.events.lock().unwrap().push(Recorded {
            name: metadata.name(),
            level: *metadata.level(),
            target: metadata.target().to_owned(),
            fields,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture =
            Box::leak(Box::new(Capture { events: Mutex::new(Vec::new()), next_span: AtomicU64::new(0) }));
        tracing::subscriber::set_global_default(Forward(capture)).expect("the only subscriber");
        capture
    })
}

/// The subscriber installed, forwarding to the leaked [`Capture`].
struct Forward(&'static Capture);

impl Subscriber for Forward {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        self.0.enabled(m)
    }
    fn new_span(&self, a: &Attributes<'_>) -> Id {
        self.0.new_span(a)
    }
    fn record(&self, s: &Id, r: &Record<'_>) {
        self.0.record(s, r)
    }
    fn record_follows_from(&self, s: &Id, f: &Id) {
        self.0.record_follows_from(s, f)
    }
    fn event(&self, e: &Event<'_>) {
        self.0.event(e)
    }
    fn enter(&self, s: &Id) {
        self.0.enter(s)
    }
    fn exit(&self, s: &Id) {
        self.0.exit(s)
    }
}

/// The recorded events whose `field` is `value`, in order.
fn events_where(field: &str, value: &str) -> Vec<Recorded> {
    capture().events.lock().unwrap().iter().filter(|e| e.field(field) == value).cloned().collect()
}

/// Publishes to itself on IPC; ends itself once its subscription sees its publication's image.
struct Loopback {
    out: PublicationSlot,
    input: SubscriptionSlot,
}

impl ClientAgent for Loopback {
    fn role_name(&self) -> &str {
        "loopback"
    }
    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.out.add(client)?;
        Ok(self.input.add(client)?)
    }
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let work = self.out.poll()? + self.input.poll()?;
        if self.input.next_image_event().is_some() {
            return Err(AgentError::terminate());
        }
        Ok(work)
    }
    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        self.out.close()?;
        Ok(self.input.close()?)
    }
}

#[test]
fn an_aeron_client_agents_life_is_logged_step_by_step() {
    let _serial = serial();
    capture();
    let driver_config = MediaDriverConfig::new();
    let client = ClientConfig::new().dir(driver_config.aeron_dir());
    let driver = AgentRunner::builder()
        .name("logs-driver")
        .start(move || Ok(MediaDriverAgent::launch(driver_config)?))
        .unwrap();
    let runner = AgentRunner::builder()
        .name("logs-client")
        .start(move || {
            let logic = Loopback {
                out: PublicationSlot::new(Channel::ipc(), 77),
                input: SubscriptionSlot::new(Channel::ipc(), 77),
            };
            Ok(AeronAgent::connect(&client, logic)?)
        })
        .unwrap();
    assert!(wait_until(Duration::from_secs(30), || !runner.is_running()), "no image seen");
    runner.join().unwrap();
    driver.close().unwrap();

    let events = events_where("thread", "logs-client");
    let names: Vec<&str> = events.iter().map(|e| e.name).filter(|n| *n != "image").collect();
    assert_eq!(
        names,
        [
            "thread_spawned",
            "client_connecting",
            "client_connected",
            "factory_built",
            "on_start_begun",
            "add_begun",
            "add_begun",
            "on_start_ended",
            "add_done",
            "add_done",
            "duty_cycle_ended",
            "on_close_begun",
            "client_closing",
            "client_closed",
            "on_close_ended",
            "dropped",
            "report",
        ]
    );
    assert!(events.iter().all(|e| e.level == Level::DEBUG), "{events:?}");
    let image = events.iter().find(|e| e.name == "image").expect("the image event, on the agent thread");
    assert_eq!(image.target, "dutycycle_aeron");
    assert_eq!(image.field("available"), "true");
    assert_eq!(image.field("stream_id"), "77");
    let adds: Vec<&Recorded> = events.iter().filter(|e| e.name == "add_begun").collect();
    assert_eq!(adds[0].field("kind"), "publication");
    assert_eq!(adds[1].field("kind"), "subscription");
    assert_eq!(adds[1].field("channel"), "aeron:ipc");

    let driver_events: Vec<&str> = events_where("thread", "logs-driver")
        .iter()
        .map(|e| e.name)
        .filter(|name| name.starts_with("driver"))
        .collect();
    assert_eq!(driver_events, ["driver_launching", "driver_started", "driver_closing", "driver_closed"]);
}
