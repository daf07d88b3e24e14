//! [`CompositeAgent`]: several agents on one thread.

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::failure::{catch, take_panic_message};
use crate::{Agent, AgentError, AgentFailure};

/// Several agents run as one, on one thread, in order (Agrona's `CompositeAgent`). The
/// sub-agents need not be `Send`; build the composite inside the runner's factory.
///
/// - `on_start` and `on_close` call **every** sub-agent, even after one fails (or panics), and
///   then return one [`CompositeAgentError`] that carries every failure with the role of the
///   agent that failed.
/// - `do_work` calls each sub-agent once and returns the sum of their work (saturating at
///   `usize::MAX`, so sub-agents that return huge counts never overflow). When a sub-agent
///   fails, the error goes out at once, and the next `do_work` resumes with the sub-agent
///   **after** it: an agent that always fails cannot starve the others.
/// - An [`AgentError::terminate`] or [`AgentError::fail`] from a sub-agent ends the whole
///   composite, from `do_work` as from `on_drain`, `on_start` or `on_close`. From those three,
///   which call every sub-agent, the sub-agents' terminates alone come out as one terminate; a
///   failure or a panic (which those three catch, to call the sub-agents after it), or a
///   terminate beside other errors, makes the one [`CompositeAgentError`] a failure
///   ([`AgentError::is_failure`]) that carries them all; ordinary errors alone stay an
///   ordinary error, which the error handler decides on.
/// - `on_drain` calls every sub-agent's `on_drain`, even after one fails, as `on_start` does;
///   the composite [`is_drained`](Agent::is_drained) when every sub-agent is. While it drains,
///   `do_work` goes on calling every sub-agent, the drained ones too (a consumer may still
///   have to pass on what a producer beside it finishes).
/// - The role name is the sub-agents' role names in brackets: `[a,b,c]`.
///
/// # Examples
///
/// ```
/// use dutycycle::{Agent, AgentError, AgentInvoker, CompositeAgent};
///
/// struct Count(&'static str, u32);
/// impl Agent for Count {
///     fn role_name(&self) -> &str { self.0 }
///     fn do_work(&mut self) -> Result<usize, AgentError> { self.1 += 1; Ok(1) }
/// }
///
/// let composite = CompositeAgent::new(vec![Box::new(Count("a", 0)), Box::new(Count("b", 0))]);
/// assert_eq!(composite.role_name(), "[a,b]");
/// let mut invoker = AgentInvoker::new(composite);
/// invoker.start();
/// assert_eq!(invoker.invoke(), 2);
/// ```
pub struct CompositeAgent {
    agents: Vec<Box<dyn Agent>>,
    role: String,
    next: usize,
}

impl CompositeAgent {
    /// A composite of `agents`, run in this order.
    pub fn new(agents: Vec<Box<dyn Agent>>) -> Self {
        let role = composite_role(agents.iter().map(|a| a.role_name()));
        CompositeAgent { agents, role, next: 0 }
    }

    /// The sub-agents, in order.
    pub fn agents(&self) -> &[Box<dyn Agent>] {
        &self.agents
    }
}

/// `[a,b,c]` from the roles `a`, `b`, `c`.
pub(crate) fn composite_role<'a>(roles: impl Iterator<Item = &'a str>) -> String {
    let mut role = String::from("[");
    for (i, r) in roles.enumerate() {
        if i > 0 {
            role.push(',');
        }
        role.push_str(r);
    }
    role.push(']');
    role
}

/// One `do_work` of every agent from `*next` on, summing the work. `*next` moves past each
/// agent before it is called, so after a failure the next call resumes with the agent after
/// the one that failed; it goes back to 0 after a full round.
#[inline]
pub(crate) fn do_work_from(agents: &mut [Box<dyn Agent>], next: &mut usize) -> Result<usize, AgentError> {
    let mut work: usize = 0;
    while let Some(agent) = agents.get_mut(*next) {
        *next += 1;
        work = work.saturating_add(agent.do_work()?);
    }
    *next = 0;
    Ok(work)
}

/// The agent's role name; `?` if `role_name` panics.
pub(crate) fn role_of(agent: &dyn Agent) -> String {
    catch(|| Ok(agent.role_name().to_owned())).unwrap_or_else(|_| "?".to_owned())
}

/// Calls `f` on every agent, catching errors and panics; one error for all failures, which
/// ends the composite when a sub-agent's error would have ended that sub-agent, as in
/// `do_work`: [`AgentError::terminate`] alone stays a terminate; a sub-agent's
/// [`AgentError::fail`] or panic (a panic in `do_work` ends the agent too), or a terminate
/// beside other failures (which a terminate cannot carry), makes the [`CompositeAgentError`] a
/// failure; otherwise it is an ordinary error, for the error handler to decide on.
pub(crate) fn call_all<'a>(
    agents: impl Iterator<Item = &'a mut Box<dyn Agent>>,
    mut f: impl FnMut(&mut dyn Agent) -> Result<(), AgentError>,
) -> Result<(), AgentError> {
    let mut failures = Vec::new();
    for agent in agents {
        if let Err(failure) = catch(|| f(&mut **agent)) {
            failures.push((role_of(&**agent), failure));
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    let count = |is: fn(&AgentFailure) -> bool| failures.iter().filter(|(_, f)| is(f)).count();
    let terminates = count(|f| f.error().is_some_and(AgentError::is_terminate));
    let fails = count(|f| f.error().is_none_or(AgentError::is_failure));
    Err(if terminates == failures.len() {
        AgentError::terminate()
    } else if terminates + fails > 0 {
        AgentError::fail(CompositeAgentError { failures })
    } else {
        AgentError::new(CompositeAgentError { failures })
    })
}

impl Agent for CompositeAgent {
    fn on_start(&mut self) -> Result<(), AgentError> {
        call_all(self.agents.iter_mut(), |a| a.on_start())
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        do_work_from(&mut self.agents, &mut self.next)
    }

    fn on_drain(&mut self) -> Result<(), AgentError> {
        call_all(self.agents.iter_mut(), |a| a.on_drain())
    }

    fn is_drained(&self) -> bool {
        self.agents.iter().all(|a| a.is_drained())
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        call_all(self.agents.iter_mut(), |a| a.on_close())
    }

    fn role_name(&self) -> &str {
        &self.role
    }
}

impl Drop for CompositeAgent {
    fn drop(&mut self) {
        drop_each(self.agents.drain(..));
    }
}

/// Drops every agent, each on its own, so that one `Drop` that panics neither skips the others
/// nor, by panicking while another unwinds, aborts the process. The panic is then resumed (one
/// panic as it was; several as one message naming each role), and the runner reports it as the
/// composite's drop failure.
pub(crate) fn drop_each(agents: impl Iterator<Item = Box<dyn Agent>>) {
    let mut panics = Vec::new();
    for agent in agents {
        let role = role_of(&*agent);
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(agent))) {
            panics.push((role, payload));
        }
    }
    if std::thread::panicking() || panics.is_empty() {
        return;
    }
    if panics.len() == 1 {
        let (_, payload) = panics.remove(0);
        panic::resume_unwind(payload);
    }
    let messages: Vec<String> = panics
        .into_iter()
        .map(|(role, payload)| format!("{role}: {}", take_panic_message(payload)))
        .collect();
    panic::resume_unwind(Box::new(format!("sub-agents' drop panicked: {}", messages.join("; "))));
}

impl fmt::Debug for CompositeAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompositeAgent").field("role", &self.role).finish_non_exhaustive()
    }
}

/// The failures of several sub-agents in one call of `on_start`, `on_drain` or `on_close`, each
/// with the role of the agent that failed. It is an ordinary error, or a failure
/// ([`AgentError::fail`]) when a sub-agent's error ended that sub-agent (see [`CompositeAgent`]).
///
/// ```
/// use dutycycle::{Agent, AgentError, CompositeAgent, CompositeAgentError};
///
/// struct Broken(&'static str);
/// impl Agent for Broken {
///     fn role_name(&self) -> &str { self.0 }
///     fn on_start(&mut self) -> Result<(), AgentError> { Err(AgentError::msg("no feed")) }
///     fn do_work(&mut self) -> Result<usize, AgentError> { Ok(0) }
/// }
///
/// let mut composite = CompositeAgent::new(vec![Box::new(Broken("a")), Box::new(Broken("b"))]);
/// let err = composite.on_start().unwrap_err();
/// let failures = err.downcast_ref::<CompositeAgentError>().unwrap().failures();
/// assert_eq!(failures.len(), 2);
/// assert_eq!(err.to_string(), "2 agents failed: a: no feed; b: no feed");
/// ```
#[derive(Debug)]
pub struct CompositeAgentError {
    failures: Vec<(String, AgentFailure)>,
}

impl CompositeAgentError {
    /// Each failure, with the role of the agent that failed, in the composite's order.
    pub fn failures(&self) -> &[(String, AgentFailure)] {
        &self.failures
    }
}

impl fmt::Display for CompositeAgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        write!(f, "{n} agent{} failed: ", if n == 1 { "" } else { "s" })?;
        for (i, (role, failure)) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{role}: {failure}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompositeAgentError {}
