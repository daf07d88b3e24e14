//! The agent thread's body: set-up, factory, `on_start`, the duty cycle, the drain, `on_close`,
//! drop.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use super::builder::ErrorHandler;
use super::drain::DrainStart;
use super::duty_cycle::DutyCycle;
use super::error::ThreadStep;
use super::state::RunnerState;
use super::stats::{Counting, Off, Timing, Totals};
use super::stop_order::Seat;
use super::thread_setup as thread;
use crate::error_handler::print_error;
use crate::failure::{catch, close_and_drop};
use crate::primitive::sync::Arc;
use crate::{
    Agent, AgentError, AgentReport, AgentTermination, AgentWaker, Drain, DutyCycleStats, Ending,
    IdleStrategy, StartError, Statistics,
};

/// Everything the agent thread takes with it.
pub(super) struct ThreadSetup<I> {
    pub(super) name: Option<String>,
    pub(super) core: Option<usize>,
    pub(super) timer_slack: Option<Duration>,
    pub(super) idle: I,
    pub(super) statistics: Statistics,
    pub(super) error_handler: Option<ErrorHandler>,
    pub(super) termination: AgentTermination,
    pub(super) shared: Arc<RunnerState>,
    pub(super) drain_timeout: Duration,
    /// Its place in its group's stop order, when it is a group member.
    pub(super) seat: Option<Seat>,
}

pub(super) type Started = mpsc::SyncSender<Result<String, StartError>>;

impl<I: IdleStrategy> ThreadSetup<I> {
    /// The agent thread's body: set-up, factory, `on_start`, duty cycle, `on_close`, drop.
    pub(super) fn run<A, F>(self, factory: F, started: Started) -> Option<AgentReport>
    where
        A: Agent,
        F: FnOnce() -> Result<A, AgentError>,
    {
        /// Marks the thread finished when dropped: after the report is made, or if our own
        /// code panicked, so that `is_running` and `close_timeout` never wait for a thread
        /// that has ended.
        struct Finish(Arc<RunnerState>, Option<Seat>);
        impl Drop for Finish {
            fn drop(&mut self) {
                self.0.mark_finished();
                if let Some(seat) = &self.1 {
                    seat.leave();
                }
            }
        }
        let _finish = Finish(Arc::clone(&self.shared), self.seat.clone());
        self.run_agent(factory, &started)
    }

    /// `None` when the agent did not start (the error went to `started`).
    fn run_agent<A, F>(mut self, factory: F, started: &Started) -> Option<AgentReport>
    where
        A: Agent,
        F: FnOnce() -> Result<A, AgentError>,
    {
        let shared = Arc::clone(&self.shared);
        let fail = |error: StartError| {
            let _ = started.send(Err(error));
            None
        };
        if let Some(core) = self.core {
            if let Err(source) = thread::pin_current(core) {
                return fail(StartError::Thread { step: ThreadStep::Pin { core }, source });
            }
        }
        if let Some(slack) = self.timer_slack {
            if let Err(source) = thread::set_timer_slack(slack) {
                return fail(StartError::Thread { step: ThreadStep::SetTimerSlack { slack }, source });
            }
        }

        let mut agent = match catch(factory) {
            Ok(agent) => agent,
            Err(failure) => {
                let name = self.name.clone().unwrap_or_else(|| "agent".to_owned());
                return fail(StartError::Factory { name, failure });
            }
        };
        // A role_name that panics fails the start like on_start would: the agent is closed.
        let (role, role_failure) = match catch(|| Ok(agent.role_name().to_owned())) {
            Ok(role) => (role, None),
            Err(failure) => ("agent".to_owned(), Some(failure)),
        };
        let thread_name = match thread::truncate_thread_name(self.name.as_deref().unwrap_or(&role)) {
            "" => "agent".to_owned(),
            name => name.to_owned(),
        };
        if self.name.is_none() {
            thread::set_current_name(&thread_name);
        }
        if let Some(seat) = &self.seat {
            seat.take(AgentWaker::new(crate::primitive::thread::current()));
        }
        let _registration =
            self.termination.register(Arc::clone(&shared.stop), crate::primitive::thread::current());

        let report = |ending, drain, (close_failure, drop_failure), stats| AgentReport {
            role: role.clone(),
            thread_name: thread_name.clone(),
            ending,
            drain,
            stats,
            close_failure,
            drop_failure,
        };

        let on_start = match role_failure {
            Some(failure) => Err(failure),
            None => catch(|| agent.on_start()),
        };
        if let Err(failure) = on_start {
            let closed = close_and_drop(agent);
            let report =
                report(Ending::StartFailed(failure), Drain::NotRequested, closed, DutyCycleStats::default());
            return fail(StartError::OnStart { report: Box::new(report) });
        }
        let _ = started.send(Ok(role.clone()));

        let mut handler = self.error_handler.take().unwrap_or_else(|| Box::new(print_error));
        let mut totals = Totals::default();
        let published = &*shared.published;
        let mut drain_start: DrainStart = None;
        let (timeout, seat) = (self.drain_timeout, self.seat.as_ref());
        let ended = panic::catch_unwind(AssertUnwindSafe(|| {
            let cycle = DutyCycle {
                agent: &mut agent,
                role: &role,
                idle: &mut self.idle,
                stop: &shared.stop,
                published,
                error_handler: &mut handler,
            };
            let (totals, start) = (&mut totals, &mut drain_start);
            match self.statistics {
                Statistics::Off => cycle.run_then_drain(Off, totals, timeout, seat, start),
                Statistics::Counters => cycle.run_then_drain(Counting, totals, timeout, seat, start),
                Statistics::Timed { threshold } => {
                    cycle.run_then_drain(Timing::new(threshold), totals, timeout, seat, start)
                }
            }
        }));
        let (ending, drain) = ended.unwrap_or_else(|payload| {
            let drain = drain_start
                .map_or(Drain::NotRequested, |began| Drain::Interrupted { after: began.elapsed() });
            (Ending::Panicked(crate::failure::take_panic_message(payload)), drain)
        });
        published.publish_all(&totals);
        let closed = close_and_drop(agent);
        Some(report(ending, drain, closed, published.read()))
    }
}
