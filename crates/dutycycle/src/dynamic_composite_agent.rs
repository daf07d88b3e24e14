//! [`DynamicCompositeAgent`]: agents added to and removed from a running thread.

use std::fmt;
use std::sync::mpsc;
use std::time::Duration;

use crate::composite_agent::{call_all, composite_role, do_work_from, drop_each, role_of};
use crate::failure::{catch, close_and_drop, drop_caught};
use crate::primitive::lock;
use crate::primitive::sync::{Arc, AtomicBool, AtomicU64, AtomicU8, Mutex, Ordering};
use crate::{Agent, AgentError, AgentFailure};

/// An agent that runs other agents, which can be added and removed while it runs, from any
/// thread, through a [`DynamicCompositeControl`] (Agrona's `DynamicCompositeAgent`).
///
/// Requests go through a single slot and are applied at the start of the composite's next
/// `do_work`, on its thread: an added agent is built there by its factory (which must be
/// `Send`; the agent need not be), started, run, and finally closed and dropped there; a
/// removed agent is closed and dropped there. A second request while one is pending is
/// refused. `do_work` runs the sub-agents like [`CompositeAgent`](crate::CompositeAgent)
/// (sum of work; after a failure, resume with the next one; a sub-agent's terminate or failure,
/// from any call, ends the whole composite), and it drains like one: `on_drain` goes to every
/// sub-agent, and the composite is drained when every sub-agent is.
/// Once it drains it takes no new agents: an add is refused with
/// [`DynamicCompositeError::Draining`], also one accepted before the drain and not yet
/// applied; removals are still applied.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use dutycycle::{Agent, AgentError, AgentRunner, DynamicCompositeAgent, DynamicCompositeControl};
///
/// struct Poller { _not_send: Rc<()> }
/// impl Agent for Poller {
///     fn role_name(&self) -> &str { "poller" }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let control = DynamicCompositeControl::new();
/// let attach = control.clone();
/// let runner = AgentRunner::start(move || Ok(DynamicCompositeAgent::new("pollers", &attach)?))?;
///
/// let id = control.add(|| Ok(Poller { _not_send: Rc::new(()) }))?.wait()?;
/// assert_eq!(control.len(), 1);
/// control.remove(id)?.wait()?;
/// assert_eq!(control.len(), 0);
/// runner.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DynamicCompositeAgent {
    role: String,
    /// The agents, in order, and beside them their ids.
    agents: Vec<Box<dyn Agent>>,
    ids: Vec<AgentId>,
    next: usize,
    shared: Arc<Shared>,
}

/// Identifies an agent added to a [`DynamicCompositeAgent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(u64);

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "agent #{}", self.0)
    }
}

const INIT: u8 = 0;
const ACTIVE: u8 = 1;
const CLOSED: u8 = 2;
/// Draining: running, but taking no new agents.
const DRAINING: u8 = 3;

type Factory = Box<dyn FnOnce() -> Result<Box<dyn Agent>, AgentError> + Send>;

enum Request {
    Add { id: AgentId, factory: Factory, reply: mpsc::SyncSender<Result<AgentId, DynamicCompositeError>> },
    Remove { id: AgentId, reply: mpsc::SyncSender<Result<AgentId, DynamicCompositeError>> },
}

struct Shared {
    status: AtomicU8,
    attached: AtomicBool,
    /// Set with the slot filled, cleared when it is taken: the composite's one load per cycle.
    pending: AtomicBool,
    slot: Mutex<Option<Request>>,
    next_id: AtomicU64,
    len: AtomicU64,
}

/// The handle that adds agents to and removes them from a [`DynamicCompositeAgent`], from any
/// thread (`Clone + Send + Sync`). Attach it to one composite with
/// [`DynamicCompositeAgent::new`].
#[derive(Clone)]
pub struct DynamicCompositeControl {
    shared: Arc<Shared>,
}

/// Why a request to a [`DynamicCompositeAgent`] was refused or failed.
///
/// Each cause is printed once: `Factory` says what failed and gives the factory's failure as
/// its `source()`; `OnStart` and `Removal`, which can carry several failures (`on_start`'s,
/// then `on_close`'s and `Drop`'s), print each of them and have no `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DynamicCompositeError {
    /// Refused: the composite has not started, or has closed.
    #[error("the dynamic composite is not running")]
    NotRunning,
    /// Refused: the composite is draining (its runner is stopping it) and takes no new agents.
    #[error("the dynamic composite is draining and takes no new agents")]
    Draining,
    /// Refused: another request is waiting to be applied.
    #[error("another request to the dynamic composite is pending")]
    RequestPending,
    /// Failed: no agent with this id is in the composite.
    #[error("{0} is not in the dynamic composite")]
    UnknownAgent(AgentId),
    /// Failed: the added agent's factory failed; there is no agent.
    #[error("the added agent's factory failed")]
    Factory(#[source] AgentFailure),
    /// Failed: the added agent's `on_start` failed; its `on_close` ran and it was dropped, on
    /// the composite's thread, with how those went in `close` and `drop`.
    #[error("{role}: on_start failed: {failure}{}", also(.close, .drop))]
    OnStart {
        /// The added agent's role.
        role: String,
        /// How `on_start` failed.
        failure: AgentFailure,
        /// How `on_close` failed, if it did.
        close: Option<AgentFailure>,
        /// How the agent's `Drop` failed (it panicked), if it did.
        drop: Option<AgentFailure>,
    },
    /// Failed: the removed agent's `on_close` failed or its `Drop` panicked (at least one of
    /// the two is set). It was removed all the same.
    #[error("{role}: removed, but{}", also(.close, .drop).trim_start_matches(';'))]
    Removal {
        /// The removed agent's role.
        role: String,
        /// How `on_close` failed, if it did.
        close: Option<AgentFailure>,
        /// How the agent's `Drop` failed (it panicked), if it did.
        drop: Option<AgentFailure>,
    },
    /// This control already controls another composite.
    #[error("the control is already attached to a dynamic composite")]
    AlreadyAttached,
    /// The composite closed (or was dropped) before it applied the request.
    #[error("the dynamic composite closed before applying the request")]
    Closed,
    /// [`PendingChange::wait_timeout`] ran out of time; the request may still be applied.
    #[error("the request was not applied within {0:?}")]
    TimedOut(Duration),
}

/// `; on_close failed: ...; drop failed: ...` for the failures that happened.
fn also(close: &Option<AgentFailure>, drop: &Option<AgentFailure>) -> String {
    let mut text = String::new();
    if let Some(failure) = close {
        text.push_str(&format!("; on_close failed: {failure}"));
    }
    if let Some(failure) = drop {
        text.push_str(&format!("; drop failed: {failure}"));
    }
    text
}

/// A change to a [`DynamicCompositeAgent`] (an agent to add, or one to remove) that its
/// [`DynamicCompositeControl`] accepted and the composite's thread has yet to apply: the
/// handle to learn how it went. Do not [`wait`](PendingChange::wait) for it on the
/// composite's own thread: it can only be applied after the current `do_work` returns; use
/// [`try_result`](PendingChange::try_result) there.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use dutycycle::{Agent, AgentError, AgentRunner, DynamicCompositeAgent, DynamicCompositeControl};
///
/// struct Poller;
/// impl Agent for Poller {
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let control = DynamicCompositeControl::new();
/// let attach = control.clone();
/// let runner = AgentRunner::start(move || Ok(DynamicCompositeAgent::new("pollers", &attach)?))?;
/// let change = control.add(|| Ok(Poller))?; // accepted; applied on the composite's thread
/// let id = change.wait_timeout(Duration::from_secs(10))?;
/// assert!(control.remove(id)?.wait().is_ok());
/// runner.close()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "the request is applied whether or not it is awaited; wait to learn how it went"]
pub struct PendingChange {
    reply: mpsc::Receiver<Result<AgentId, DynamicCompositeError>>,
}

impl PendingChange {
    /// Waits until the request has been applied, and says how it went.
    ///
    /// # Errors
    ///
    /// The [`DynamicCompositeError`] the composite gave, or `Closed`.
    pub fn wait(self) -> Result<AgentId, DynamicCompositeError> {
        self.reply.recv().unwrap_or(Err(DynamicCompositeError::Closed))
    }

    /// Like [`wait`](PendingChange::wait), up to `timeout`.
    ///
    /// # Errors
    ///
    /// As [`wait`](PendingChange::wait), or `TimedOut` (the request may still be applied later).
    pub fn wait_timeout(self, timeout: Duration) -> Result<AgentId, DynamicCompositeError> {
        match self.reply.recv_timeout(timeout) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(DynamicCompositeError::TimedOut(timeout)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(DynamicCompositeError::Closed),
        }
    }

    /// The outcome if the request has been applied, without waiting.
    pub fn try_result(&self) -> Option<Result<AgentId, DynamicCompositeError>> {
        match self.reply.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(DynamicCompositeError::Closed)),
        }
    }
}

impl DynamicCompositeControl {
    /// A control not yet attached to a composite.
    pub fn new() -> Self {
        DynamicCompositeControl {
            shared: Arc::new(Shared {
                status: AtomicU8::new(INIT),
                attached: AtomicBool::new(false),
                pending: AtomicBool::new(false),
                slot: Mutex::new(None),
                next_id: AtomicU64::new(1),
                len: AtomicU64::new(0),
            }),
        }
    }

    /// Asks the composite to build an agent with `factory`, start it and run it, on the
    /// composite's thread.
    ///
    /// # Errors
    ///
    /// Refused at once with `NotRunning` or `RequestPending`; how the request went when
    /// applied comes from the [`PendingChange`].
    pub fn add<A, F>(&self, factory: F) -> Result<PendingChange, DynamicCompositeError>
    where
        A: Agent + 'static,
        F: FnOnce() -> Result<A, AgentError> + Send + 'static,
    {
        let id = AgentId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let factory: Factory = Box::new(move || Ok(Box::new(factory()?) as Box<dyn Agent>));
        if self.shared.status.load(Ordering::Acquire) == DRAINING {
            return Err(DynamicCompositeError::Draining);
        }
        self.submit(|reply| Request::Add { id, factory, reply })
    }

    /// Asks the composite to close, drop and forget the agent `id`.
    ///
    /// # Errors
    ///
    /// As [`add`](DynamicCompositeControl::add); `UnknownAgent` comes from the [`PendingChange`].
    pub fn remove(&self, id: AgentId) -> Result<PendingChange, DynamicCompositeError> {
        self.submit(|reply| Request::Remove { id, reply })
    }

    /// Whether the composite is running (started and not closed; draining counts).
    pub fn is_running(&self) -> bool {
        matches!(self.shared.status.load(Ordering::Acquire), ACTIVE | DRAINING)
    }

    /// Whether a request is waiting to be applied.
    pub fn has_pending_request(&self) -> bool {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// The number of agents in the composite (as of its last applied request).
    pub fn len(&self) -> usize {
        usize::try_from(self.shared.len.load(Ordering::Acquire)).unwrap_or(usize::MAX)
    }

    /// Whether the composite has no agents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn submit(
        &self,
        request: impl FnOnce(mpsc::SyncSender<Result<AgentId, DynamicCompositeError>>) -> Request,
    ) -> Result<PendingChange, DynamicCompositeError> {
        let (reply, receiver) = mpsc::sync_channel(1);
        let request = request(reply);
        let mut slot = lock(&self.shared.slot);
        // Read under the slot's lock: `on_drain` sets DRAINING under it (taking an add the slot
        // holds) and `on_close` CLOSED (taking any request), so a request accepted here is
        // applied or answered. An add that raced the start of the drain past the check in `add` is
        // refused here: once the drain has begun, no `do_work` may come to refuse it, and the
        // close would answer it `Closed`.
        match self.shared.status.load(Ordering::Acquire) {
            DRAINING if matches!(request, Request::Add { .. }) => {
                return Err(DynamicCompositeError::Draining)
            }
            ACTIVE | DRAINING => {}
            _ => return Err(DynamicCompositeError::NotRunning),
        }
        if slot.is_some() {
            return Err(DynamicCompositeError::RequestPending);
        }
        *slot = Some(request);
        // Release: the composite that sees `pending` (Acquire) then takes the slot's lock.
        self.shared.pending.store(true, Ordering::Release);
        Ok(PendingChange { reply: receiver })
    }
}

impl Default for DynamicCompositeControl {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for DynamicCompositeControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicCompositeControl")
            .field("running", &self.is_running())
            .field("len", &self.len())
            .field("pending", &self.has_pending_request())
            .finish()
    }
}

impl DynamicCompositeAgent {
    /// An empty composite with this role name, controlled by `control`.
    ///
    /// # Errors
    ///
    /// `AlreadyAttached` when `control` already controls another composite.
    pub fn new(
        role: impl Into<String>,
        control: &DynamicCompositeControl,
    ) -> Result<Self, DynamicCompositeError> {
        Self::with_agents(role, control, Vec::new())
    }

    /// A composite that starts with `agents` (which get `on_start` with the composite's).
    ///
    /// # Errors
    ///
    /// `AlreadyAttached` when `control` already controls another composite.
    pub fn with_agents(
        role: impl Into<String>,
        control: &DynamicCompositeControl,
        agents: Vec<Box<dyn Agent>>,
    ) -> Result<Self, DynamicCompositeError> {
        if control.shared.attached.swap(true, Ordering::AcqRel) {
            return Err(DynamicCompositeError::AlreadyAttached);
        }
        let ids =
            agents.iter().map(|_| AgentId(control.shared.next_id.fetch_add(1, Ordering::Relaxed))).collect();
        control.shared.len.store(agents.len() as u64, Ordering::Release);
        Ok(DynamicCompositeAgent {
            role: role.into(),
            agents,
            ids,
            next: 0,
            shared: Arc::clone(&control.shared),
        })
    }

    /// The role names of the agents now in the composite, as `[a,b]`.
    pub fn roles(&self) -> String {
        composite_role(self.agents.iter().map(|a| a.role_name()))
    }

    /// Refuses requests from now on and takes the one accepted but not applied, if any:
    /// dropping it answers its `PendingChange` with `Closed`. Under the slot's lock, so a request is
    /// either taken here or refused by `submit`.
    fn shut_down(&mut self) -> Option<Request> {
        let mut slot = lock(&self.shared.slot);
        self.shared.status.store(CLOSED, Ordering::Release);
        self.shared.pending.store(false, Ordering::Release);
        slot.take()
    }

    fn apply(&mut self, request: Request) {
        let draining = self.shared.status.load(Ordering::Acquire) == DRAINING;
        let (result, reply) = match request {
            Request::Add { reply, .. } if draining => (Err(DynamicCompositeError::Draining), reply),
            Request::Add { id, factory, reply } => (self.add_now(id, factory), reply),
            Request::Remove { id, reply } => (self.remove_now(id), reply),
        };
        // Before the reply, so that a requester that saw its reply sees the new length.
        self.shared.len.store(self.agents.len() as u64, Ordering::Release);
        let _ = reply.send(result);
    }

    fn add_now(&mut self, id: AgentId, factory: Factory) -> Result<AgentId, DynamicCompositeError> {
        let mut agent = catch(factory).map_err(DynamicCompositeError::Factory)?;
        if let Err(failure) = catch(|| agent.on_start()) {
            let role = role_of(&*agent);
            let (close, drop) = close_and_drop(agent);
            return Err(DynamicCompositeError::OnStart { role, failure, close, drop });
        }
        self.agents.push(agent);
        self.ids.push(id);
        Ok(id)
    }

    fn remove_now(&mut self, id: AgentId) -> Result<AgentId, DynamicCompositeError> {
        let index = self.ids.iter().position(|i| *i == id).ok_or(DynamicCompositeError::UnknownAgent(id))?;
        self.ids.remove(index);
        let agent = self.agents.remove(index);
        if index < self.next {
            self.next -= 1;
        }
        let role = role_of(&*agent);
        let (close, drop) = close_and_drop(agent);
        if close.is_none() && drop.is_none() {
            Ok(id)
        } else {
            Err(DynamicCompositeError::Removal { role, close, drop })
        }
    }
}

impl Agent for DynamicCompositeAgent {
    fn on_start(&mut self) -> Result<(), AgentError> {
        let result = call_all(self.agents.iter_mut(), |a| a.on_start());
        self.shared.status.store(ACTIVE, Ordering::Release);
        result
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        // Acquire: pairs with the Release in `submit`; one load per cycle when idle.
        if self.shared.pending.load(Ordering::Acquire) {
            let request = {
                let mut slot = lock(&self.shared.slot);
                self.shared.pending.store(false, Ordering::Release);
                slot.take()
            };
            if let Some(request) = request {
                self.apply(request);
            }
        }
        do_work_from(&mut self.agents, &mut self.next)
    }

    fn on_drain(&mut self) -> Result<(), AgentError> {
        // Under the slot's lock, as in `shut_down`: an add accepted before this is taken and
        // refused here, and any later one is refused by `add`, `submit` or `apply`.
        let refused = {
            let mut slot = lock(&self.shared.slot);
            self.shared.status.store(DRAINING, Ordering::Release);
            if matches!(*slot, Some(Request::Add { .. })) {
                self.shared.pending.store(false, Ordering::Release);
                slot.take()
            } else {
                None
            }
        };
        if let Some(Request::Add { factory, reply, .. }) = refused {
            let _ = reply.send(Err(DynamicCompositeError::Draining));
            // Out of the lock, and caught: a panic in the factory's captures must not keep the
            // sub-agents from their on_drain.
            let _ = drop_caught(factory);
        }
        call_all(self.agents.iter_mut(), |a| a.on_drain())
    }

    fn is_drained(&self) -> bool {
        self.agents.iter().all(|a| a.is_drained())
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        let unapplied = self.shut_down();
        let closed = call_all(self.agents.iter_mut(), |a| a.on_close());
        // After the sub-agents' on_close: a panic in the dropped request's captures (its
        // factory's) must not keep them from closing.
        let _ = drop_caught(unapplied);
        closed
    }

    fn role_name(&self) -> &str {
        &self.role
    }
}

impl Drop for DynamicCompositeAgent {
    fn drop(&mut self) {
        // Also here, for a composite dropped without on_close (driven by hand): a request
        // accepted and never applied must still be answered.
        let _ = drop_caught(self.shut_down());
        self.shared.len.store(0, Ordering::Release);
        self.ids.clear();
        drop_each(self.agents.drain(..));
    }
}

impl fmt::Debug for DynamicCompositeAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicCompositeAgent")
            .field("role", &self.role)
            .field("agents", &self.roles())
            .finish_non_exhaustive()
    }
}
