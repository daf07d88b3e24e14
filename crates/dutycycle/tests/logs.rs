//! With the `tracing` feature, a runner logs each step of its agent's life as a `DEBUG`
//! event with `role` and `thread` fields, in the order the steps happen, and the default
//! error handler logs each error as an `ERROR` event. A capturing subscriber of this test's
//! own records them.
#![cfg(feature = "tracing")]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use dutycycle::{Agent, AgentError, AgentRunner, AgentTermination};
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

struct Ticker {
    role: &'static str,
    errors_left: u32,
}

impl Agent for Ticker {
    fn role_name(&self) -> &str {
        self.role
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        if self.errors_left > 0 {
            self.errors_left -= 1;
            return Err(AgentError::msg("feed hiccup"));
        }
        Ok(0)
    }
}

#[test]
fn a_runners_life_is_logged_step_by_step_with_role_and_thread() {
    capture();
    let termination = AgentTermination::new();
    let runner = AgentRunner::builder()
        .name("logged-1")
        .timer_slack(Duration::from_micros(10))
        .termination(termination.clone())
        .start(|| Ok(Ticker { role: "logged", errors_left: 0 }))
        .unwrap();
    while runner.stats().duty_cycles == 0 {
        std::thread::yield_now();
    }
    termination.signal();
    runner.join().unwrap();

    let events = events_where("thread", "logged-1");
    let names: Vec<&str> = events.iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "thread_spawned",
            "timer_slack_set",
            "factory_built",
            "on_start_begun",
            "on_start_ended",
            "duty_cycle_ended",
            "drain_begun",
            "drain_ended",
            "on_close_begun",
            "on_close_ended",
            "dropped",
            "report",
        ]
    );
    assert!(events.iter().all(|e| e.level == Level::DEBUG && e.target == "dutycycle"), "{events:?}");
    assert_eq!(events[0].field("role"), "logged-1", "before the factory, the runner's name");
    assert!(events[2..].iter().all(|e| e.field("role") == "logged"), "{events:?}");
    assert_eq!(events[5].field("by"), "its termination latch was signalled");
    assert!(events[7].field("drain").starts_with("drained in "), "{events:?}");
    assert_eq!(events[11].field("clean"), "true");
    assert_eq!(events[11].field("ending"), "its termination latch was signalled");
}

#[test]
fn a_close_is_logged_on_the_closing_thread_and_names_the_runner() {
    capture();
    let runner = AgentRunner::builder()
        .name("logged-2")
        .start(|| Ok(Ticker { role: "closing", errors_left: 0 }))
        .unwrap();
    runner.close().unwrap();
    let asked: Vec<Recorded> =
        events_where("role", "closing").into_iter().filter(|e| e.name == "stop_requested").collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].field("by"), "runner");
    let ended = events_where("thread", "logged-2");
    let ended = ended.iter().find(|e| e.name == "duty_cycle_ended").unwrap();
    assert_eq!(ended.field("by"), "closed by its runner");
}

#[test]
fn the_default_error_handler_logs_each_error_as_an_error_event() {
    capture();
    let runner = AgentRunner::builder()
        .name("logged-3")
        .start(|| Ok(Ticker { role: "hiccups", errors_left: 2 }))
        .unwrap();
    while runner.error_count() < 2 {
        std::thread::yield_now();
    }
    runner.close().unwrap();
    let errors: Vec<Recorded> =
        events_where("thread", "logged-3").into_iter().filter(|e| e.name == "agent_error").collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.level == Level::ERROR && e.field("role") == "hiccups"));
    assert!(errors[0].field("error").contains("feed hiccup"), "{errors:?}");
}
