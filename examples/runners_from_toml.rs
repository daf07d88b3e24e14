//! Runners configured from a TOML file: each runner's name, core, idle strategy, statistics
//! and timeouts come from a `dutycycle::RunnerConfig` table (feature `serde`), by Aeron's and
//! Agrona's strategy names, as `runners_from_toml.toml` beside this file shows.
//!
//! ```text
//! [producer] --queue--> [consumer]        [housekeeper]
//! ```
//!
//! The producer sends `--rate` messages a second through a single-producer single-consumer
//! queue to the consumer; the housekeeper does a chore every 100 ms. Once a second the main
//! thread prints each runner's duty cycles per second and idle share; after `--seconds` (or
//! on Ctrl-C) the group stops them last started first: the housekeeper, then the producer,
//! then the consumer, which first drains what the producer sent. The reports are printed.
//!
//! Run: `cargo run -p dutycycle-examples --example runners_from_toml`
//! Options: `--file PATH` (default: the file beside this one), `--seconds N` (default 2),
//! `--rate N` (messages per second, default 20000).

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError, AgentGroup, AgentReport, DutyCycleStats, RunnerConfig, Statistics};
use rtrb::RingBuffer;
use serde::Deserialize;

/// The file: one runner configuration per role.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunnersFile {
    #[serde(default)]
    runners: BTreeMap<String, RunnerConfig>,
}

/// The roles this example has agents for, in start order (the group stops them in reverse).
const ROLES: [&str; 3] = ["consumer", "producer", "housekeeper"];

/// What the example runs for, and how fast the producer sends.
struct Options {
    file: String,
    run_for: Duration,
    rate: u64,
}

/// What the agents counted, for the last line.
#[derive(Debug, Default)]
struct Counts {
    sent: AtomicU64,
    received: AtomicU64,
    chores: AtomicU64,
}

/// Sends a sequence number at a fixed rate, as many as are due each duty cycle.
struct Producer {
    out: rtrb::Producer<u64>,
    start: Instant,
    rate: u64,
    counts: Arc<Counts>,
    sent: u64,
}

impl Agent for Producer {
    fn role_name(&self) -> &str {
        "producer"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        let elapsed_ns = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let due = elapsed_ns.saturating_mul(self.rate) / 1_000_000_000;
        let mut work = 0;
        while self.sent < due && self.out.push(self.sent).is_ok() {
            self.sent += 1;
            work += 1;
        }
        self.counts.sent.store(self.sent, Ordering::Relaxed);
        Ok(work)
    }
}

/// Takes every message, checking that none is lost or out of order; drained once the queue
/// is empty and the producer has gone.
struct Consumer {
    input: rtrb::Consumer<u64>,
    counts: Arc<Counts>,
    expected: u64,
}

impl Agent for Consumer {
    fn role_name(&self) -> &str {
        "consumer"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        let mut work = 0;
        while let Ok(sequence) = self.input.pop() {
            if sequence != self.expected {
                return Err(AgentError::msg(format!("got {sequence}, expected {}", self.expected)));
            }
            self.expected += 1;
            work += 1;
        }
        self.counts.received.store(self.expected, Ordering::Relaxed);
        Ok(work)
    }

    fn is_drained(&self) -> bool {
        self.input.is_empty() && self.input.is_abandoned()
    }
}

/// A chore every 100 ms; nothing in between.
struct Housekeeper {
    next: Instant,
    counts: Arc<Counts>,
}

impl Agent for Housekeeper {
    fn role_name(&self) -> &str {
        "housekeeper"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        if Instant::now() < self.next {
            return Ok(0);
        }
        self.next += Duration::from_millis(100);
        self.counts.chores.fetch_add(1, Ordering::Relaxed);
        Ok(1)
    }
}

/// Starts a runner for every role, configured by the file (a role it leaves out runs with the
/// defaults), prints their rates once a second for `options.run_for` or until the group's
/// latch is signalled, then closes them; returns their reports in start order and the counts.
fn run(
    file: &RunnersFile,
    options: &Options,
    mut group: AgentGroup,
) -> Result<(Vec<AgentReport>, Arc<Counts>), Box<dyn Error>> {
    if let Some(unknown) = file.runners.keys().find(|role| !ROLES.contains(&role.as_str())) {
        return Err(format!("no agent has the role {unknown:?}: the roles are {ROLES:?}").into());
    }
    let default = RunnerConfig::default();
    let config = |role: &str| file.runners.get(role).unwrap_or(&default);
    // Every configuration is checked before any runner starts.
    let mut builders = Vec::new();
    for role in ROLES {
        let builder = config(role).builder().map_err(|e| format!("runner {role:?}: {e}"))?;
        println!("{role}: {} statistics {}", config(role).idle_strategy, config(role).statistics);
        builders.push(builder);
    }
    let mut builders = builders.into_iter();
    let mut next = || builders.next().expect("one builder per role");

    let counts = Arc::new(Counts::default());
    let (queue_in, queue_out) = RingBuffer::<u64>::new(4096);
    let c = Arc::clone(&counts);
    group.start(next(), move || Ok(Consumer { input: queue_out, counts: c, expected: 0 }))?;
    let (c, rate) = (Arc::clone(&counts), options.rate);
    group.start(next(), move || {
        Ok(Producer { out: queue_in, start: Instant::now(), rate, counts: c, sent: 0 })
    })?;
    let c = Arc::clone(&counts);
    group.start(next(), move || Ok(Housekeeper { next: Instant::now(), counts: c }))?;

    let deadline = Instant::now() + options.run_for;
    let mut last: Vec<DutyCycleStats> = group.runners().iter().map(|runner| runner.stats()).collect();
    let mut last_tick = Instant::now();
    loop {
        let wait = deadline.saturating_duration_since(Instant::now()).min(Duration::from_secs(1));
        if group.wait_timeout(wait) || Instant::now() >= deadline {
            break;
        }
        let tick = Instant::now();
        let mut line = String::from("rates:");
        for ((runner, last), role) in group.runners().iter().zip(&mut last).zip(ROLES) {
            if config(role).statistics == Statistics::Off {
                line.push_str(&format!(" | {role} (statistics off)"));
                continue;
            }
            let stats = runner.stats();
            let delta = stats.since(last);
            let cycles = delta.per_second(tick - last_tick).map_or(0.0, |rates| rates.duty_cycles);
            let idle = delta.idle_fraction().map_or("-".to_owned(), |idle| format!("{:.1}%", idle * 100.0));
            line.push_str(&format!(" | {} {cycles:.0} cycles/s {idle} idle", runner.role()));
            *last = stats;
        }
        println!("{line}");
        last_tick = tick;
    }
    if let Some(signal) = group.termination().received_signal() {
        println!("runners_from_toml: signal {signal}, stopping");
    }

    // The group closes them last started first; it waits as long as the longest close
    // timeout the file sets (as long as it takes, if none does).
    let close_timeout = ROLES.iter().filter_map(|role| config(role).close_timeout).max();
    let mut reports = Vec::new();
    match close_timeout {
        Some(timeout) => {
            for closed in group.close_timeout(timeout) {
                reports.push(closed?);
            }
        }
        None => {
            for closed in group.close() {
                reports.push(closed?);
            }
        }
    }
    Ok((reports, counts))
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        file: concat!(env!("CARGO_MANIFEST_DIR"), "/runners_from_toml.toml").to_owned(),
        run_for: Duration::from_secs(2),
        rate: 20_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--file" => options.file = value()?,
            "--seconds" => {
                let seconds: u64 = value()?.parse().map_err(|e| format!("--seconds: {e}"))?;
                options.run_for = Duration::from_secs(seconds);
            }
            "--rate" => {
                options.rate = value()?.parse().map_err(|e| format!("--rate: {e}"))?;
                if options.rate == 0 || options.rate > 10_000_000 {
                    return Err("--rate must be between 1 and 10000000".into());
                }
            }
            "-h" | "--help" => {
                println!("usage: runners_from_toml [--file PATH] [--seconds N] [--rate N]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    Ok(options)
}

/// Reads the file: a TOML error says where (line, column) and why, with the parser's message.
fn read_file(path: &str) -> Result<RunnersFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    toml::from_str(&text).map_err(|e| format!("{path}: {e}"))
}

fn main() {
    if let Err(err) = try_main() {
        eprintln!("runners_from_toml: {err}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let options = parse_options()?;
    let file = read_file(&options.file)?;
    let (reports, counts) = run(&file, &options, AgentGroup::from_signals()?)?;
    for report in &reports {
        println!("report: {report}");
    }
    println!(
        "sent {}, received {}, chores {}",
        counts.sent.load(Ordering::Relaxed),
        counts.received.load(Ordering::Relaxed),
        counts.chores.load(Ordering::Relaxed)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use dutycycle::AgentTermination;

    use super::*;

    fn options(run_for: Duration) -> Options {
        Options { file: String::new(), run_for, rate: 20_000 }
    }

    fn bundled() -> RunnersFile {
        read_file(concat!(env!("CARGO_MANIFEST_DIR"), "/runners_from_toml.toml")).unwrap()
    }

    #[test]
    fn the_bundled_file_configures_every_role() {
        let file = bundled();
        assert_eq!(file.runners.len(), ROLES.len());
        let consumer = &file.runners["consumer"];
        assert_eq!(consumer.idle_strategy.to_string(), "backoff");
        assert_eq!(consumer.statistics, Statistics::Timed { threshold: Duration::from_micros(100) });
        assert_eq!(consumer.close_timeout, Some(Duration::from_secs(10)));
        let producer = &file.runners["producer"];
        assert_eq!(producer.idle_strategy.to_string(), "sleep-ns:100us");
        assert_eq!(file.runners["housekeeper"].statistics, Statistics::Off);
    }

    #[test]
    fn the_runners_run_as_configured_and_the_consumer_drains_every_message() {
        let group = AgentGroup::new(AgentTermination::new());
        let (reports, counts) = run(&bundled(), &options(Duration::from_millis(500)), group).unwrap();
        let roles: Vec<&str> = reports.iter().map(AgentReport::role).collect();
        assert_eq!(roles, ROLES);
        let (sent, received) = (counts.sent.load(Ordering::Relaxed), counts.received.load(Ordering::Relaxed));
        assert!(sent > 0, "the producer sent nothing in 500 ms");
        assert_eq!(received, sent, "the consumer drains what the producer sent before it stopped");
        assert!(counts.chores.load(Ordering::Relaxed) >= 1);
        // The consumer's statistics are timed, as configured; the housekeeper's are off while
        // it runs, but its report has the totals.
        assert!(reports[0].stats().max_cycle.is_some());
        assert!(reports[1].stats().max_cycle.is_none());
        assert!(reports[2].duty_cycles() > 0);
    }

    #[test]
    fn a_bad_file_is_refused_before_any_runner_starts() {
        let file: RunnersFile = toml::from_str("[runners.consumer]\ncore = 4096").unwrap();
        let group = AgentGroup::new(AgentTermination::new());
        let err = run(&file, &options(Duration::from_secs(60)), group).err().unwrap();
        assert!(err.to_string().starts_with(r#"runner "consumer": core 4096 is not in"#), "{err}");

        let file: RunnersFile = toml::from_str("[runners.auditor]").unwrap();
        let err = run(&file, &options(Duration::from_secs(60)), AgentGroup::new(AgentTermination::new()));
        assert!(err.err().unwrap().to_string().contains(r#"no agent has the role "auditor""#));

        let err =
            toml::from_str::<RunnersFile>("[runners.consumer]\nidle_strategy = \"spinning\"").unwrap_err();
        assert_eq!(err.message(), r#"unknown idle strategy "spinning""#.to_owned() + ": expected spin, noop, yield, sleep-ns, sleep-ms, backoff, backoff-woken or controllable (or Aeron C's aeron_idle_strategy_* or Agrona's org.agrona.concurrent.*IdleStrategy names)");
    }
}
