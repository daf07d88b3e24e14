//! A capturing `tracing` subscriber for tests that check the crates' log events (feature
//! `tracing`): [`capture`] installs it as the process's default, [`events_where`] reads back
//! what was recorded.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event as recorded: its name, level, target and fields (as text).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The event's name (`name:` in the macro; the lifecycle step).
    pub name: &'static str,
    /// Its level.
    pub level: Level,
    /// Its target (`dutycycle`, `dutycycle_aeron`, ...).
    pub target: String,
    /// Its fields, each formatted as text.
    pub fields: BTreeMap<String, String>,
}

impl Recorded {
    /// The text of field `name`, or `""` when the event has none.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Records every event of every thread (the process-wide default subscriber).
#[derive(Debug)]
pub struct Capture {
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

/// Installs the capturing subscriber as the process's default (once; later calls return
/// it), so that every event of every thread from then on is recorded.
pub fn capture() -> &'static Capture {
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
pub fn events_where(field: &str, value: &str) -> Vec<Recorded> {
    capture().events.lock().unwrap().iter().filter(|e| e.field(field) == value).cloned().collect()
}
