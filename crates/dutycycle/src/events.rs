//! The runner's lifecycle events, through [`tracing`](https://docs.rs/tracing) when the
//! `tracing` feature is on: one `DEBUG` event per step of an agent's life, target
//! `dutycycle`, named after the step, with the fields `role` (the agent's role, empty before
//! the factory has built it) and `thread` (the OS name of the thread that emits it), and the
//! step's own fields. `docs/DESIGN.md` ("Logs") lists them.
//!
//! Without the feature every function here is empty and inlined away: nothing is formatted,
//! and no thread name is read. With it, events are emitted at lifecycle steps only, never in
//! the duty cycle's loop.

use std::fmt::Display;

/// One lifecycle event: `name` (a literal: the event's name and message), the agent's role,
/// the emitting thread's name, and the step's own fields.
#[cfg(feature = "tracing")]
macro_rules! lifecycle {
    ($name:literal, $role:expr $(, $($fields:tt)*)?) => {
        tracing::debug!(
            name: $name,
            target: "dutycycle",
            role = $role,
            thread = %crate::OsThreadName::current()
            $(, $($fields)*)?,
            $name
        )
    };
}

/// Defines each event as a function that emits it with the feature on and does nothing
/// (its arguments unused) without it.
macro_rules! events {
    ($(
        $(#[$doc:meta])*
        fn $fn:ident($role:ident $(, $arg:ident: $ty:ty)*) => $name:literal $({ $($fields:tt)* })?;
    )*) => {$(
        $(#[$doc])*
        #[inline(always)]
        pub(crate) fn $fn($role: &str $(, $arg: $ty)*) {
            #[cfg(feature = "tracing")]
            lifecycle!($name, $role $(, $($fields)*)?);
            #[cfg(not(feature = "tracing"))]
            let _ = ($role $(, $arg)*);
        }
    )*};
}

events! {
    /// The agent thread began (its role is not known yet: the name given, or empty).
    fn thread_spawned(role) => "thread_spawned";
    /// The agent thread was pinned to `core`.
    fn pinned(role, core: usize) => "pinned" { core };
    /// The agent thread's timer slack was set.
    fn timer_slack_set(role, slack: std::time::Duration) => "timer_slack_set" { slack = ?slack };
    /// The factory built the agent (`role` known from here on).
    fn factory_built(role) => "factory_built";
    /// The factory failed: there is no agent.
    fn factory_failed(role, failure: &dyn Display) => "factory_failed" { failure = %failure };
    /// `on_start` is about to be called.
    fn on_start_begun(role) => "on_start_begun";
    /// `on_start` returned: `failure` is how it failed, if it did.
    fn on_start_ended(role, failure: Option<&dyn Display>) => "on_start_ended" {
        ok = failure.is_none(), failure = failure.map(tracing::field::display)
    };
    /// Someone asked the runner's agent to stop (`close`, `close_timeout`, `request_stop`, the
    /// runner's drop), on the thread that asked.
    fn stop_requested(role, by: &str) => "stop_requested" { by };
    /// The duty cycle ended: `by` says who or what ended it (the report's ending).
    fn duty_cycle_ended(role, by: &dyn Display) => "duty_cycle_ended" { by = %by };
    /// The drain phase began: `do_work` goes on until the agent holds nothing more or the
    /// deadline passes.
    fn drain_begun(role) => "drain_begun";
    /// The drain phase ended: `drain` says how (the report's [`Drain`](crate::Drain): drained,
    /// cut short by the deadline, or interrupted).
    fn drain_ended(role, drain: &dyn Display) => "drain_ended" { drain = %drain };
    /// `on_close` is about to be called.
    fn on_close_begun(role) => "on_close_begun";
    /// `on_close` returned (or panicked: `ok` false).
    fn on_close_ended(role, ok: bool) => "on_close_ended" { ok };
    /// The agent was dropped (`ok` false: its `Drop` panicked).
    fn dropped(role, ok: bool) => "dropped" { ok };
    /// The report is made: the agent thread ends next.
    fn report(role, report: &crate::AgentReport) => "report" {
        ending = %report.ending(),
        duty_cycles = report.duty_cycles(),
        errors = report.errors(),
        clean = report.is_clean()
    };
}

/// The default error handler's log line: an `ERROR` event, target `dutycycle`, with `role`,
/// `thread` and the error (its `source()` chain recorded by the subscriber).
#[cfg(feature = "tracing")]
pub(crate) fn agent_error(role: &str, error: &crate::AgentError) {
    match error.as_error() {
        Some(error) => tracing::error!(
            name: "agent_error",
            target: "dutycycle",
            role,
            thread = %crate::OsThreadName::current(),
            error,
            "agent error"
        ),
        None => tracing::error!(
            name: "agent_error",
            target: "dutycycle",
            role,
            thread = %crate::OsThreadName::current(),
            error = %error,
            "agent error"
        ),
    }
}
