//! A probe agent that logs every call into it and where it ran, and does what its recipe says.

use std::fmt;
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::ThreadId;
use std::time::Instant;

use dutycycle::{Agent, AgentError};

use crate::thread::gettid;
use crate::wait::PATIENCE;

/// The thread a piece of code ran on, as Rust and as the kernel see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Where {
    /// Rust's id of the thread.
    pub thread: ThreadId,
    /// The kernel's id of the thread.
    pub tid: libc::pid_t,
}

/// The calling thread.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::probe::here;
///
/// let there = std::thread::spawn(here).join().unwrap();
/// assert_ne!(there, here());
/// ```
pub fn here() -> Where {
    Where { thread: std::thread::current().id(), tid: gettid() }
}

/// A call into the probe ("factory", "on_start", "do_work", "on_close", "drop"), and where it
/// ran.
pub type Event = (&'static str, Where);

type Hook = Box<dyn FnMut() -> Result<(), AgentError> + Send>;
type WorkHook = Box<dyn FnMut(u64) -> Result<usize, AgentError> + Send>;

/// The recipe for a [`Probe`]: what each of its methods does. Everything in it is `Send`, so
/// that it can travel inside the factory; the probe itself holds an `Rc` and is not `Send`.
///
/// # Examples
///
/// ```
/// use dutycycle::AgentRunner;
/// use dutycycle_test_support::probe::{assert_one_agent_thread, names, ProbeSpec};
///
/// let (spec, events) = ProbeSpec::new("probe");
/// let runner = AgentRunner::start(spec.work(|cycle| Ok(usize::from(cycle < 3))).factory())?;
/// runner.close()?; // returns once the agent is dropped
/// let logged = events.logged();
/// let names = names(&logged);
/// assert_eq!(names[..2], ["factory", "on_start"]);
/// assert_eq!(names[names.len() - 2..], ["on_close", "drop"]);
/// assert_one_agent_thread(&logged);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ProbeSpec {
    role: String,
    log: Sender<Event>,
    on_start: Hook,
    work: WorkHook,
    on_close: Hook,
    panic_on_drop: bool,
}

/// An agent that logs each call into it ("factory", "on_start", "do_work", "on_close",
/// "drop") with where it ran, then does what its [`ProbeSpec`] says. By default it starts,
/// finds no work (`Ok(0)`) and closes without fuss.
pub struct Probe {
    role: String,
    log: Sender<Event>,
    cycle: u64,
    on_start: Hook,
    work: WorkHook,
    on_close: Hook,
    panic_on_drop: bool,
    _not_send: Rc<()>,
}

/// The receiving end of a probe's log.
#[derive(Debug)]
pub struct Events(Receiver<Event>);

impl ProbeSpec {
    /// A probe with role name `role` that does nothing but log, and the receiving end of its
    /// log.
    ///
    /// # Examples
    ///
    /// ```
    /// use dutycycle::AgentInvoker;
    /// use dutycycle_test_support::probe::{here, ProbeSpec};
    ///
    /// let (spec, events) = ProbeSpec::new("probe");
    /// let mut invoker = AgentInvoker::new(spec.factory()()?);
    /// invoker.start();
    /// assert_eq!(events.wait_for("on_start"), here());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(role: &str) -> (ProbeSpec, Events) {
        let (log, rx) = mpsc::channel();
        let spec = ProbeSpec {
            role: role.to_owned(),
            log,
            on_start: Box::new(|| Ok(())),
            work: Box::new(|_| Ok(0)),
            on_close: Box::new(|| Ok(())),
            panic_on_drop: false,
        };
        (spec, Events(rx))
    }

    /// What `on_start` does after logging.
    pub fn on_start(mut self, f: impl FnMut() -> Result<(), AgentError> + Send + 'static) -> Self {
        self.on_start = Box::new(f);
        self
    }

    /// What `do_work` does on each cycle (numbered from 1) after logging.
    pub fn work(mut self, f: impl FnMut(u64) -> Result<usize, AgentError> + Send + 'static) -> Self {
        self.work = Box::new(f);
        self
    }

    /// What `on_close` does after logging.
    pub fn on_close(mut self, f: impl FnMut() -> Result<(), AgentError> + Send + 'static) -> Self {
        self.on_close = Box::new(f);
        self
    }

    /// Makes the probe's `Drop` panic after logging.
    pub fn panic_on_drop(mut self) -> Self {
        self.panic_on_drop = true;
        self
    }

    /// The factory: logs "factory" where it runs and builds the probe there.
    pub fn factory(self) -> impl FnOnce() -> Result<Probe, AgentError> + Send + 'static {
        move || {
            let _ = self.log.send(("factory", here()));
            Ok(Probe {
                role: self.role,
                log: self.log,
                cycle: 0,
                on_start: self.on_start,
                work: self.work,
                on_close: self.on_close,
                panic_on_drop: self.panic_on_drop,
                _not_send: Rc::new(()),
            })
        }
    }
}

impl fmt::Debug for ProbeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeSpec")
            .field("role", &self.role)
            .field("panic_on_drop", &self.panic_on_drop)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("role", &self.role)
            .field("cycle", &self.cycle)
            .field("panic_on_drop", &self.panic_on_drop)
            .finish_non_exhaustive()
    }
}

impl Agent for Probe {
    fn role_name(&self) -> &str {
        &self.role
    }

    fn on_start(&mut self) -> Result<(), AgentError> {
        let _ = self.log.send(("on_start", here()));
        (self.on_start)()
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycle += 1;
        let _ = self.log.send(("do_work", here()));
        (self.work)(self.cycle)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        let _ = self.log.send(("on_close", here()));
        (self.on_close)()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let _ = self.log.send(("drop", here()));
        if self.panic_on_drop {
            panic!("drop blew up");
        }
    }
}

impl Events {
    /// Every event logged so far, without waiting.
    pub fn logged(&self) -> Vec<Event> {
        self.0.try_iter().collect()
    }

    /// Waits for the next event called `name` (skipping others); where it ran. Panics after
    /// [`PATIENCE`].
    pub fn wait_for(&self, name: &str) -> Where {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok((event, at)) if event == name => return at,
                Ok(_) => {}
                Err(e) => panic!("no {name:?} event: {e}"),
            }
        }
    }
}

/// The names of `events` in order, with consecutive repeats of "do_work" merged.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::probe::{here, names};
///
/// let events = [("on_start", here()), ("do_work", here()), ("do_work", here()), ("on_close", here())];
/// assert_eq!(names(&events), ["on_start", "do_work", "on_close"]);
/// ```
pub fn names(events: &[Event]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = events.iter().map(|(name, _)| *name).collect();
    names.dedup_by(|a, b| *a == "do_work" && *b == "do_work");
    names
}

/// Asserts that all `events` ran on one thread that is not the calling thread; returns it.
///
/// # Examples
///
/// ```
/// use dutycycle_test_support::probe::{assert_one_agent_thread, here};
///
/// let there = std::thread::spawn(here).join().unwrap();
/// assert_eq!(assert_one_agent_thread(&[("on_start", there), ("on_close", there)]), there);
/// ```
pub fn assert_one_agent_thread(events: &[Event]) -> Where {
    assert!(!events.is_empty(), "no events logged");
    let agent = events[0].1;
    for (name, at) in events {
        assert_eq!(*at, agent, "{name} ran on {at:?}, not on the agent thread {agent:?}");
    }
    let caller = here();
    assert_ne!(agent.thread, caller.thread, "agent code ran on the caller's thread");
    assert_ne!(agent.tid, caller.tid, "agent code ran on the caller's kernel thread");
    agent
}

/// An agent that has nothing to do, never drains, and answers `on_drain` with the error that
/// `on_drain` makes (a terminate, a failure, an ordinary error; or it panics): the sub-agent
/// of the composites' drain tests.
#[derive(Debug)]
pub struct EndsInDrain {
    /// Its role name.
    pub role: &'static str,
    /// Makes the answer to `on_drain`.
    pub on_drain: fn() -> AgentError,
}

impl Agent for EndsInDrain {
    fn role_name(&self) -> &str {
        self.role
    }
    fn do_work(&mut self) -> Result<usize, AgentError> {
        Ok(0)
    }
    fn on_drain(&mut self) -> Result<(), AgentError> {
        Err((self.on_drain)())
    }
    fn is_drained(&self) -> bool {
        false
    }
}
