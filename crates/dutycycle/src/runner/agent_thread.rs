//! The agent thread's body: set-up, factory, `on_start`, the duty cycle, the drain, `on_close`,
//! drop.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use super::builder::ErrorHandler;
use super::current;
use super::drain::DrainStart;
use super::duty_cycle::DutyCycle;
use super::error::ThreadStep;
use super::state::RunnerState;
use super::stats::{Counting, Off, StatsReader, Timing, Totals};
use super::stop_order::Seat;
use super::thread_setup as thread;
use crate::error_handler::print_error;
use crate::events;
use crate::failure::{catch, drop_caught};
use crate::primitive::sync::Arc;
use crate::{
    Agent, AgentError, AgentFailure, AgentReport, AgentTermination, AgentWaker, Drain, DutyCycleStats,
    Ending, IdleStrategy, StartError, Statistics,
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
    /// The agent thread's body: set-up, factory, `on_start`, duty cycle, `on_close`, drop;
    /// then the report is handed to the runner's handle.
    pub(super) fn run<A, F>(self, factory: F, started: Started)
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
        let shared = Arc::clone(&self.shared);
        if let Some(report) = self.run_agent(factory, &started) {
            // Before the thread is marked finished (by `_finish`): a handle that sees it
            // finished finds the report, without waiting for the thread's own end.
            shared.put_report(report);
        }
    }

    /// `None` when the agent did not start (the error went to `started`).
    fn run_agent<A, F>(mut self, factory: F, started: &Started) -> Option<AgentReport>
    where
        A: Agent,
        F: FnOnce() -> Result<A, AgentError>,
    {
        let shared = Arc::clone(&self.shared);
        // `StatsReader::current` on this thread, until the agent and what is held have dropped.
        let _current = current::enter(StatsReader::new(Arc::clone(&shared.published)));
        // What the runner holds for the agent: dropped after it, each on its own, on every path.
        let mut held = Held {
            idle: Some(self.idle),
            handler: Some(self.error_handler.take().unwrap_or_else(|| Box::new(print_error))),
        };
        events::thread_spawned(self.name.as_deref().unwrap_or(""));
        let fail = |error: StartError| {
            let _ = started.send(Err(error));
            None
        };
        if let Some(core) = self.core {
            if let Err(source) = thread::pin_current_thread(core) {
                return fail(StartError::Thread { step: ThreadStep::Pin { core }, source });
            }
            events::pinned(self.name.as_deref().unwrap_or(""), core);
        }
        if let Some(slack) = self.timer_slack {
            if let Err(source) = thread::set_timer_slack(slack) {
                return fail(StartError::Thread { step: ThreadStep::SetTimerSlack { slack }, source });
            }
            events::timer_slack_set(self.name.as_deref().unwrap_or(""), slack);
        }

        let mut agent = match catch(factory) {
            Ok(agent) => agent,
            Err(failure) => {
                events::factory_failed(self.name.as_deref().unwrap_or(""), &failure);
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
        events::factory_built(&role);
        if let Some(seat) = &self.seat {
            seat.take(AgentWaker::new(Arc::clone(&shared.parker)));
        }
        let _registration = self.termination.register(Arc::clone(&shared.stop), Arc::clone(&shared.parker));

        let report = |ending, drain, (close_failure, drop_failure), stats| {
            let report = AgentReport {
                role: role.clone(),
                thread_name: thread_name.clone(),
                ending,
                drain,
                stats,
                close_failure,
                drop_failure,
            };
            events::report(&role, &report);
            report
        };

        events::on_start_begun(&role);
        let on_start = match role_failure {
            Some(failure) => Err(failure),
            None => catch(|| agent.on_start()),
        };
        events::on_start_ended(&role, on_start.as_ref().err().map(|f| f as &dyn std::fmt::Display));
        if let Err(failure) = on_start {
            let (close_failure, drop_failure) = close_and_drop(agent, &role);
            let ended = (close_failure, held.drop_each(drop_failure));
            let report =
                report(Ending::StartFailed(failure), Drain::NotRequested, ended, DutyCycleStats::default());
            return fail(StartError::OnStart { report: Box::new(report) });
        }
        let _ = started.send(Ok(role.clone()));

        let mut totals = Totals::default();
        let published = &*shared.published;
        let mut drain_start: DrainStart = None;
        let (timeout, seat) = (self.drain_timeout, self.seat.as_ref());
        let ended = panic::catch_unwind(AssertUnwindSafe(|| {
            let (Some(idle), Some(error_handler)) = (held.idle.as_mut(), held.handler.as_mut()) else {
                unreachable!("the idle strategy and the handler are held until the agent is dropped")
            };
            let cycle = DutyCycle {
                agent: &mut agent,
                role: &role,
                idle,
                stop: &shared.stop,
                parker: &shared.parker,
                published,
                error_handler,
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
        // The duty cycle's end and the drain's are told by `run_then_drain`; a panic's here.
        let (ending, drain) = ended.unwrap_or_else(|payload| {
            let ending = Ending::Panicked(crate::failure::take_panic_message(payload));
            let drain = match drain_start {
                None => {
                    events::duty_cycle_ended(&role, &ending);
                    Drain::NotRequested
                }
                Some(began) => {
                    let drain = Drain::Interrupted { after: began.elapsed() };
                    events::drain_ended(&role, &drain);
                    drain
                }
            };
            (ending, drain)
        });
        published.publish_all(&totals);
        let (close_failure, drop_failure) = close_and_drop(agent, &role);
        let ended = (close_failure, held.drop_each(drop_failure));
        Some(report(ending, drain, ended, published.read()))
    }
}

/// The idle strategy and the error handler: dropped on the agent thread after the agent, each
/// under `catch_unwind`, so that a `Drop` that panics neither replaces the agent's report nor,
/// by panicking while another unwinds, aborts the process.
struct Held<I> {
    idle: Option<I>,
    handler: Option<ErrorHandler>,
}

impl<I> Held<I> {
    /// Drops what is held; returns `agent_drop` (how the agent's own `Drop` failed) with the
    /// panics of these drops added, each named.
    fn drop_each(&mut self, agent_drop: Option<AgentFailure>) -> Option<AgentFailure> {
        let failed = [
            ("error handler", self.handler.take().map(drop_caught)),
            ("idle strategy", self.idle.take().map(drop_caught)),
        ];
        let mut panics = Vec::new();
        for (what, dropped) in failed {
            if let Some(Err(failure)) = dropped {
                panics.push(format!("{what}: {}", failure.panic_message().unwrap_or_default()));
            }
        }
        if panics.is_empty() {
            return agent_drop;
        }
        if let Some(agent) = agent_drop {
            panics.insert(0, agent.panic_message().map_or_else(|| agent.to_string(), str::to_owned));
        }
        Some(AgentFailure::Panic(panics.join("; ")))
    }
}

impl<I> Drop for Held<I> {
    fn drop(&mut self) {
        // On a path without a report (a start that failed before `on_start`): the panics are
        // caught, and were printed by the panic hook.
        let _ = self.drop_each(None);
    }
}

/// Ends the agent on this thread: `on_close`, then its `Drop`, each caught and each a
/// lifecycle event; returns how each failed, if it did.
fn close_and_drop<A: Agent>(mut agent: A, role: &str) -> (Option<AgentFailure>, Option<AgentFailure>) {
    events::on_close_begun(role);
    let close = catch(|| agent.on_close()).err();
    events::on_close_ended(role, close.is_none());
    let drop = drop_caught(agent).err();
    events::dropped(role, drop.is_none());
    (close, drop)
}
