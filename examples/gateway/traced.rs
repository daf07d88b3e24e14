//! [`Traced`]: which thread built each agent, and which closed it.

use std::thread::ThreadId;

use dutycycle::{Agent, AgentError};

/// Wraps an agent to print, when it closes, the thread that built it (the factory runs on the
/// agent thread) and the thread that closes it: they must be the same.
pub struct Traced<A> {
    inner: A,
    built_on: ThreadId,
    hang_on_close: bool,
}

impl<A: Agent> Traced<A> {
    /// Wraps `inner`, built on this thread. With `hang_on_close` naming its role, its
    /// `on_close` never returns (for the test of a second signal).
    pub fn new(inner: A, hang_on_close: Option<&str>) -> Traced<A> {
        let hang_on_close = hang_on_close == Some(inner.role_name());
        Traced { inner, built_on: std::thread::current().id(), hang_on_close }
    }
}

impl<A: Agent> Agent for Traced<A> {
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.inner.on_start()
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.inner.do_work()
    }

    fn on_drain(&mut self) -> Result<(), AgentError> {
        self.inner.on_drain()
    }

    fn is_drained(&self) -> bool {
        self.inner.is_drained()
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        if self.hang_on_close {
            println!(
                "hang: {} on_close hangs (--hang-on-close); a second signal ends the process",
                self.role_name()
            );
            loop {
                std::thread::park();
            }
        }
        let result = self.inner.on_close();
        let closed_on = std::thread::current();
        println!(
            "close: role={} agent_thread={:?} close_thread={:?} thread_name={} same_thread={} result={}",
            self.role_name(),
            self.built_on,
            closed_on.id(),
            closed_on.name().unwrap_or("?"),
            self.built_on == closed_on.id(),
            match &result {
                Ok(()) => "ok".to_owned(),
                Err(e) => format!("error: {e}"),
            }
        );
        result
    }

    fn role_name(&self) -> &str {
        self.inner.role_name()
    }
}
