//! # The gateway demo: an Aeron Cluster gateway that survives failover and SIGTERM
//!
//! The scenario dutycycle exists for: a gateway sends requests to an Aeron Cluster and reads
//! the answers, while the cluster loses its leader and elects another, and the process is
//! stopped by a signal at any moment — and every Aeron resource is made, used and closed on
//! the thread of the agent that owns it.
//!
//! - **driver**: the embedded Aeron media driver ([`MediaDriverAgent`]), in a directory of its
//!   own that it removes when it closes (with `AERON_DIR` set, the driver running there).
//! - **gateway**: a [`ClusterAgent`] (the Aeron client and the cluster session, driven by its
//!   duty cycle) running the gateway logic ([`gateway::Gateway`]): requests at `--rate` with
//!   a sequence number each, at most `--window` in flight; after a new leader (and after
//!   `--retry-timeout` without an answer) it sends what is unanswered again under the same
//!   numbers and drops the duplicate answers; an audit checks that the application got every
//!   number exactly once.
//!
//! By default it connects to a running cluster whose service echoes every message (aeron-all's
//! `EchoServiceNode`; `scripts/demo.sh` starts one and kills its leader mid-run). With
//! `--embedded` a simulated cluster runs in the process instead, on IPC, failing over on a
//! schedule ([`embedded`]).
//!
//! At the end of `--run-time`, or on SIGINT/SIGTERM, the gateway **drains**: no new requests,
//! and up to `--drain-timeout` for the answers to those in flight (and for a session that is
//! connecting or following a new leader to settle). Then every agent closes on its own thread
//! — the gateway first, sending its SessionCloseRequest, the driver last — and each prints a
//! `close:` line naming the thread that built it and the thread that closed it. The last line
//! is the account:
//!
//! ```text
//! account: sent 9988 answered 9988 unanswered 0 new-leaders 1 resent 32 duplicates-dropped 16 ...
//! ```
//!
//! Exit status 0 after a clean drain (`unanswered 0`) with every agent closed cleanly; 1 when
//! the deadline passed with requests unanswered, the session ended (no cluster, say) or an
//! agent failed; 2 for bad flags, refused before anything starts. A second signal while the
//! shutdown hangs ends the process at once with 128 + the signal number.
//!
//! ```text
//! cargo run --release -p dutycycle-examples --features aeron --example gateway -- --help
//! cargo run --release -p dutycycle-examples --features aeron --example gateway -- --embedded
//! ```
//!
//! `docs/AERON.md` walks through these files: `options.rs` (flags), `wire.rs` (the messages),
//! `ledger.rs` (in flight, resend, dedupe, audit), `gateway.rs` (the cluster gateway),
//! `embedded.rs` (the simulated cluster), `run.rs` (runners, drain, close), `stats.rs`
//! (statistics and account), `traced.rs` (the `close:` lines).
//!
//! [`MediaDriverAgent`]: dutycycle_aeron::MediaDriverAgent
//! [`ClusterAgent`]: dutycycle_cluster::ClusterAgent

mod embedded;
mod gateway;
mod ledger;
mod options;
mod run;
mod stats;
mod traced;
mod wire;

use std::error::Error;
use std::process::ExitCode;

use dutycycle::AgentTermination;

use crate::gateway::Shared;
use crate::options::{Options, USAGE};
use crate::run::Drain;

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            print_error(&error);
            eprintln!("gateway: run with --help for the flags");
            return ExitCode::from(2);
        }
    };
    if options.log {
        if let Err(error) = log_to_stderr() {
            eprintln!("gateway: cannot log: {error}");
            return ExitCode::FAILURE;
        }
    }
    // First thing after the flags: from here on SIGINT and SIGTERM only signal the latch.
    let termination = match AgentTermination::from_signals() {
        Ok(termination) => termination,
        Err(error) => {
            eprintln!("gateway: cannot handle signals: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("gateway: pid {} handles SIGINT/SIGTERM", std::process::id());
    options.warn_about_spinning();
    let shared = Shared::default();
    let outcome = run::run(&options, &termination, &shared);
    // A cluster session that ended on its own says best why the run ended.
    let failure = shared.failure.lock().ok().and_then(|mut f| f.take());
    let ok = match (&outcome, &failure) {
        (Err(error), _) => {
            print_error(error);
            false
        }
        (Ok(_), Some(failure)) => {
            eprintln!("gateway: the cluster session ended");
            print_error(failure);
            false
        }
        (Ok(outcome), None) => {
            match outcome.drain {
                Drain::Drained => {}
                Drain::TimedOut { in_flight } => eprintln!(
                    "gateway: the drain deadline of {:?} passed with {in_flight} requests unanswered",
                    options.drain_timeout
                ),
                Drain::AgentEnded { role } => {
                    eprintln!("gateway: the {role} agent ended before the gateway drained")
                }
            }
            if !outcome.clean {
                eprintln!("gateway: an agent did not end cleanly (see its report)");
            }
            outcome.drain == Drain::Drained && outcome.clean
        }
    };
    println!("{}", stats::account(&shared.figures, options.is_embedded()));
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `--log`: the lifecycle events of dutycycle, dutycycle-aeron and dutycycle-cluster (`DEBUG`
/// and above; each runner's steps, the driver's and clients', the cluster session's) printed
/// to stderr, one a line. Agents' errors go there too, as `ERROR` events.
fn log_to_stderr() -> Result<(), tracing_subscriber::util::TryInitError> {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;

    let crates = Targets::new()
        .with_target("dutycycle", LevelFilter::DEBUG)
        .with_target("dutycycle_aeron", LevelFilter::DEBUG)
        .with_target("dutycycle_cluster", LevelFilter::DEBUG);
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    tracing_subscriber::registry().with(lines).with(crates).try_init()
}

/// Prints an error and its causes, one a line, each once (a cause whose text its parent's
/// message already includes is not repeated).
fn print_error(error: &dyn Error) {
    let mut message = error.to_string();
    eprintln!("gateway: {message}");
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            eprintln!("  because: {text}");
        }
        message = text;
        source = cause.source();
    }
}
