//! # The gateway demo: an Aeron gateway that survives failover and SIGTERM
//!
//! Three agents, each on a thread of its own (or all three on one, with `--compose`):
//!
//! - **driver**: the embedded Aeron media driver ([`MediaDriverAgent`]), in a directory of its
//!   own that it removes when it closes. With `AERON_DIR` set, the demo uses the driver
//!   running there instead.
//! - **service**: stands in for an Aeron Cluster. It reads requests on the ingress stream,
//!   gives each request id a sequence number once (a retried request gets its first number
//!   again: the cluster's log makes it idempotent) and answers on the egress stream. Every
//!   `--failover-period` it "fails over": it closes its subscription and its exclusive
//!   publication, stays away for `--failover-downtime`, then adds them anew — so the gateway's
//!   egress image goes away and a new one, with a new session, comes.
//! - **gateway**: keeps up to `--window` requests in flight on ingress and polls egress. It
//!   keeps an account: every request is answered exactly once. Requests sent while the
//!   service was away are sent again when the new egress image comes (and after
//!   `--retry-timeout` without an answer); answers to a request already answered are dropped
//!   as duplicates — after checking they carry the same sequence number.
//!
//! Each agent makes, uses and closes its own Aeron client, publications and subscriptions on
//! its own thread: the clients' conductors run inside the agents' duty cycles
//! (`--conductor invoker`, the default). SIGINT or SIGTERM signals the termination latch; the
//! service and the gateway stop and close what they own, then the driver; every agent prints
//! a `close:` line naming the thread that built it and the thread that closed it, main prints
//! every report and the account, and the process exits 0. A second signal while shutdown
//! hangs ends the process at once with 128 + the signal number.
//!
//! ```text
//! cargo run --release -p dutycycle-examples --features aeron --example gateway -- --help
//! cargo run --release -p dutycycle-examples --features aeron --example gateway -- \
//!     --run-time 10s --failover-period 2s
//! ```
//!
//! `docs/AERON.md` walks through this file.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentFailed, AgentGroup, AgentReport, AgentRunner, AgentTermination, CompositeAgent,
    DutyCycleStats, IdleStrategy, IdleStrategyConfig, StartError, Statistics, StatsReader,
};
use dutycycle_aeron::{
    AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, ConductorMode, ExclusivePublicationSlot,
    MediaDriverAgent, MediaDriverConfig, PublicationSlot, SubscriptionSlot,
};
use hdrhistogram::Histogram;

/// Requests go from the gateway to the service on this stream.
const INGRESS_STREAM_ID: i32 = 1001;
/// Answers go from the service to the gateway on this stream.
const EGRESS_STREAM_ID: i32 = 1002;
/// Fragments read per poll.
const FRAGMENT_LIMIT: usize = 16;
/// How many recent request ids the service remembers (and the gateway checks duplicates
/// against): far more than can be in flight.
const MEMORY: usize = 1 << 16;
/// Duty cycles slower than this count as slow in the statistics.
const SLOW_CYCLE: Duration = Duration::from_millis(1);

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("gateway: {error}");
            eprintln!("gateway: run with --help for the flags");
            return ExitCode::from(2);
        }
    };
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
    match run(&options, &termination) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("gateway: {error}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running it: start the driver, then the service and the gateway; wait; close in reverse.
// ---------------------------------------------------------------------------------------------

/// Runs the demo; `Ok(true)` when every agent ended cleanly.
fn run(options: &Options, termination: &AgentTermination) -> Result<bool, String> {
    let shared = Shared::default();
    // The embedded driver, unless AERON_DIR names a running one.
    let (driver_config, dir) = match std::env::var_os("AERON_DIR") {
        Some(dir) => {
            println!(
                "driver: using the media driver running in {} (AERON_DIR)",
                PathBuf::from(&dir).display()
            );
            (None, PathBuf::from(dir))
        }
        None => {
            let mut config = MediaDriverConfig::new();
            if let Some(dir) = &options.driver_dir {
                config = config.dir(dir);
            }
            let dir = config.aeron_dir().to_owned();
            println!("driver: embedded, threading mode shared, dir {}", dir.display());
            (Some(config), dir)
        }
    };
    let client = ClientConfig::new().dir(&dir).conductor(options.conductor);
    let plan = Plan { options: options.clone(), client, shared: shared.clone() };

    let outcome = if options.compose {
        run_composed(&plan, driver_config, termination)
    } else {
        run_on_threads(&plan, driver_config, termination)
    };
    let ok = outcome?;
    shared.print_account();
    Ok(ok)
}

/// What every agent factory needs; `Clone + Send`.
#[derive(Clone)]
struct Plan {
    options: Options,
    client: ClientConfig,
    shared: Shared,
}

impl Plan {
    fn service(&self) -> Result<Traced<AeronAgent<Service>>, AgentError> {
        let service = Service::new(&self.options, self.shared.service.clone());
        Ok(Traced::new(
            AeronAgent::connect(&self.client.clone().client_name("service"), service)?,
            &self.options,
        ))
    }

    fn gateway(&self) -> Result<Traced<AeronAgent<Gateway>>, AgentError> {
        let gateway = Gateway::new(&self.options, self.shared.clone());
        Ok(Traced::new(
            AeronAgent::connect(&self.client.clone().client_name("gateway"), gateway)?,
            &self.options,
        ))
    }
}

/// Driver, service and gateway on threads of their own: the driver on a latch of its own so
/// that it closes after the agents that use it.
fn run_on_threads(
    plan: &Plan,
    driver_config: Option<MediaDriverConfig>,
    termination: &AgentTermination,
) -> Result<bool, String> {
    let options = &plan.options;
    let driver_stop = AgentTermination::new();
    let driver = match driver_config {
        Some(config) => {
            let builder =
                builder("driver", &options.driver_idle, options.driver_core).termination(driver_stop.clone());
            let trace = options.clone();
            let factory = move || Ok(Traced::new(MediaDriverAgent::launch(config)?, &trace));
            Some(builder.start(factory).map_err(|e| start_failed("driver", &e))?)
        }
        None => None,
    };
    let mut agents = AgentGroup::new(termination.clone());
    let started = start_agents(plan, &mut agents);

    let mut ok = true;
    if let Err(error) = started {
        eprintln!("gateway: {error}");
        ok = false;
    } else {
        let mut readers = vec![("driver", driver.as_ref().map(AgentRunner::stats_reader))];
        readers.push(("service", Some(agents.runners()[0].stats_reader())));
        readers.push(("gateway", Some(agents.runners()[1].stats_reader())));
        let watch = || {
            agents.runners().iter().all(AgentRunner::is_running)
                && driver.as_ref().is_none_or(AgentRunner::is_running)
        };
        wait_and_report(plan, termination, &readers, watch);
    }
    // The service and the gateway close (each on its own thread), then the driver.
    ok &= print_reports(agents.close());
    if let Some(driver) = driver {
        driver_stop.signal();
        ok &= print_reports(vec![driver.join()]);
    }
    Ok(ok)
}

/// Starts the service, then the gateway.
fn start_agents(plan: &Plan, agents: &mut AgentGroup) -> Result<(), String> {
    let options = &plan.options;
    let service = plan.clone();
    agents
        .start(builder("service", &options.service_idle, options.service_core), move || service.service())
        .map_err(|e| start_failed("service", &e))?;
    let gateway = plan.clone();
    agents
        .start(builder("gateway", &options.gateway_idle, options.gateway_core), move || gateway.gateway())
        .map_err(|e| start_failed("gateway", &e))?;
    Ok(())
}

/// Driver, service and gateway composed on one thread (the gateway's core and idle
/// strategy). The driver is launched first, so that the clients can connect, and listed
/// last, so that it closes after them.
fn run_composed(
    plan: &Plan,
    driver_config: Option<MediaDriverConfig>,
    termination: &AgentTermination,
) -> Result<bool, String> {
    let options = &plan.options;
    let factory_plan = plan.clone();
    let factory = move || {
        let driver = match driver_config {
            Some(config) => Some(Traced::new(MediaDriverAgent::launch(config)?, &factory_plan.options)),
            None => None,
        };
        let mut agents: Vec<Box<dyn Agent>> =
            vec![Box::new(factory_plan.service()?), Box::new(factory_plan.gateway()?)];
        if let Some(driver) = driver {
            agents.push(Box::new(driver));
        }
        Ok(CompositeAgent::new(agents))
    };
    let runner = builder("composite", &options.gateway_idle, options.gateway_core)
        .termination(termination.clone())
        .start(factory)
        .map_err(|e| start_failed("composite", &e))?;
    let readers = vec![("composite", Some(runner.stats_reader()))];
    wait_and_report(plan, termination, &readers, || runner.is_running());
    Ok(print_reports(vec![runner.close()]))
}

/// A runner builder for one agent: its thread name, idle strategy, core, timed statistics.
fn builder(
    name: &str,
    idle: &IdleStrategyConfig,
    core: Option<usize>,
) -> dutycycle::AgentRunnerBuilder<dutycycle::AnyIdleStrategy> {
    let builder = AgentRunner::builder()
        .name(name)
        .idle_strategy(idle.build())
        .statistics(Statistics::Timed { threshold: SLOW_CYCLE });
    match core {
        Some(core) => builder.core(core),
        None => builder,
    }
}

/// A start error and each cause along its `source()` chain.
fn start_failed(what: &str, error: &StartError) -> String {
    let mut text = format!("{what} did not start: {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(error) = cause {
        text.push_str(&format!(": {error}"));
        cause = error.source();
    }
    text
}

/// Waits for a signal or the end of the run time, printing statistics once a second. At the
/// end of the run time the gateway drains (stops issuing, waits for its answers) before the
/// latch is signalled.
fn wait_and_report(
    plan: &Plan,
    termination: &AgentTermination,
    readers: &[(&str, Option<StatsReader>)],
    running: impl Fn() -> bool,
) {
    let start = Instant::now();
    let deadline = plan.options.run_time.map(|d| start + d);
    let mut line = StatsLine::new(&plan.shared, readers);
    let mut next_tick = start + Duration::from_secs(1);
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        let wait = deadline.map_or(wait, |d| wait.min(d.saturating_duration_since(Instant::now())));
        if termination.wait_timeout(wait) {
            let signal = termination.received_signal().map_or("stop".to_owned(), signal_name);
            println!("gateway: {signal} received, stopping every agent");
            return;
        }
        if !running() {
            println!("gateway: an agent ended on its own, stopping the others");
            termination.signal();
            return;
        }
        let now = Instant::now();
        if now >= next_tick {
            line.print(now.duration_since(start));
            next_tick += Duration::from_secs(1);
        }
        if deadline.is_some_and(|d| now >= d) {
            drain(plan, termination);
            termination.signal();
            return;
        }
    }
}

/// Stops new requests and waits (up to 10 s, or a signal) until every request is answered.
fn drain(plan: &Plan, termination: &AgentTermination) {
    let shared = &plan.shared;
    shared.draining.store(true, Ordering::Release);
    let deadline = Instant::now() + Duration::from_secs(10);
    println!(
        "gateway: run time over, draining {} requests in flight",
        shared.gateway.in_flight.load(Ordering::Relaxed)
    );
    while shared.gateway.in_flight.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        if termination.wait_timeout(Duration::from_millis(5)) {
            return;
        }
    }
    println!("gateway: drained, stopping every agent");
}

/// Prints each report; whether all are clean.
fn print_reports(reports: Vec<Result<AgentReport, AgentFailed>>) -> bool {
    let mut ok = true;
    for report in reports {
        match report {
            Ok(report) => {
                ok &= report.is_clean();
                println!("report: {report}");
            }
            Err(failed) => {
                ok = false;
                println!("report: {failed}");
            }
        }
    }
    ok
}

fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".to_owned(),
        15 => "SIGTERM".to_owned(),
        n => format!("signal {n}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The wire: requests and answers, little-endian, fixed size.
// ---------------------------------------------------------------------------------------------

/// A request: its id and when this copy of it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Request {
    id: u64,
    sent_ns: u64,
}

impl Request {
    const LEN: usize = 16;

    fn encode(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        b[..8].copy_from_slice(&self.id.to_le_bytes());
        b[8..].copy_from_slice(&self.sent_ns.to_le_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Request> {
        Some(Request { id: u64_at(b, 0)?, sent_ns: u64_at(b, 8)? })
    }
}

/// An answer: the request it answers (with that copy's send time), its sequence number, and
/// the service incarnation (epoch) that sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Answer {
    id: u64,
    sent_ns: u64,
    sequence: u64,
    epoch: u64,
}

impl Answer {
    const LEN: usize = 32;

    fn encode(&self) -> [u8; Self::LEN] {
        let mut b = [0; Self::LEN];
        for (i, v) in [self.id, self.sent_ns, self.sequence, self.epoch].into_iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    fn decode(b: &[u8]) -> Option<Answer> {
        Some(Answer {
            id: u64_at(b, 0)?,
            sent_ns: u64_at(b, 8)?,
            sequence: u64_at(b, 16)?,
            epoch: u64_at(b, 24)?,
        })
    }
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Nanoseconds on a monotonic clock shared by every thread of the process.
fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    u64::try_from(EPOCH.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

// ---------------------------------------------------------------------------------------------
// The service: sequences requests, answers on egress, fails over on a schedule.
// ---------------------------------------------------------------------------------------------

/// Figures the service publishes (relaxed stores: monotonic counters, read for display).
#[derive(Default)]
struct ServiceFigures {
    sequenced: AtomicU64,
    answers: AtomicU64,
    repeats: AtomicU64,
    failovers: AtomicU64,
}

struct Service {
    ingress: SubscriptionSlot,
    egress: ExclusivePublicationSlot,
    state: ServiceState,
    failover_period: Option<Duration>,
    downtime: Duration,
    book: Sequencer,
    /// Answers waiting for the egress publication to take them.
    outbox: VecDeque<Answer>,
    figures: Arc<ServiceFigures>,
}

enum ServiceState {
    Up { since: Instant },
    Down { until: Instant },
}

/// The service's state that survives failover, as a cluster's does (it is rebuilt from the
/// log): the next sequence number and the sequence number of each recent request id.
struct Sequencer {
    epoch: u64,
    next_sequence: u64,
    /// `(id + 1, sequence)` by `id % MEMORY`; `0` means empty.
    sequenced: Box<[(u64, u64)]>,
}

impl Sequencer {
    /// The answer to `request`: a new sequence number, or the one it got before.
    fn answer(&mut self, request: Request, figures: &ServiceFigures) -> Answer {
        let slot = &mut self.sequenced[(request.id % MEMORY as u64) as usize];
        let sequence = if slot.0 == request.id + 1 {
            figures.repeats.fetch_add(1, Ordering::Relaxed);
            slot.1
        } else {
            let sequence = self.next_sequence;
            self.next_sequence += 1;
            *slot = (request.id + 1, sequence);
            figures.sequenced.store(self.next_sequence, Ordering::Relaxed);
            sequence
        };
        Answer { id: request.id, sent_ns: request.sent_ns, sequence, epoch: self.epoch }
    }
}

impl Service {
    fn new(options: &Options, figures: Arc<ServiceFigures>) -> Service {
        Service {
            ingress: SubscriptionSlot::new(options.channel.clone(), INGRESS_STREAM_ID),
            egress: PublicationSlot::exclusive(options.channel.clone(), EGRESS_STREAM_ID),
            state: ServiceState::Up { since: Instant::now() },
            failover_period: options.failover_period,
            downtime: options.failover_downtime,
            book: Sequencer {
                epoch: 1,
                next_sequence: 0,
                sequenced: vec![(0, 0); MEMORY].into_boxed_slice(),
            },
            outbox: VecDeque::new(),
            figures,
        }
    }

    /// Closes the publication and subscription, as a failing cluster leader would vanish.
    fn fail_over(&mut self) -> Result<(), AgentError> {
        self.ingress.close()?;
        self.egress.close()?;
        self.outbox.clear(); // unsent answers die with the leader; the gateway retries
        self.state = ServiceState::Down { until: Instant::now() + self.downtime };
        let n = self.figures.failovers.fetch_add(1, Ordering::Relaxed) + 1;
        println!("service: failover {n}: publication and subscription closed, back in {:?}", self.downtime);
        Ok(())
    }

    /// Adds them anew: a new exclusive publication, so a new session and a new image.
    fn come_back(&mut self, client: &AeronClient) -> Result<(), AgentError> {
        self.book.epoch += 1;
        self.ingress.add(client)?;
        self.egress.add(client)?;
        self.state = ServiceState::Up { since: Instant::now() };
        println!(
            "service: failover {}: back as epoch {}",
            self.figures.failovers.load(Ordering::Relaxed),
            self.book.epoch
        );
        Ok(())
    }
}

impl ClientAgent for Service {
    fn role_name(&self) -> &str {
        "service"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.ingress.add(client)?;
        self.egress.add(client)?;
        self.state = ServiceState::Up { since: Instant::now() };
        Ok(())
    }

    fn do_work(&mut self, client: &mut AeronClient) -> Result<usize, AgentError> {
        let mut work = self.ingress.poll()? + self.egress.poll()?;
        while self.ingress.next_image_event().is_some() {
            work += 1; // the service does not care which gateways come and go
        }
        match self.state {
            ServiceState::Up { since } if self.failover_period.is_some_and(|p| since.elapsed() >= p) => {
                self.fail_over()?;
                return Ok(work + 1);
            }
            ServiceState::Down { until } if Instant::now() >= until => {
                self.come_back(client)?;
                work += 1;
            }
            ServiceState::Down { .. } => return Ok(work),
            ServiceState::Up { .. } => {}
        }

        let (book, outbox, figures) = (&mut self.book, &mut self.outbox, &*self.figures);
        work += self.ingress.poll_fn(
            |message, _header| {
                if let Some(request) = Request::decode(message) {
                    outbox.push_back(book.answer(request, figures));
                }
            },
            FRAGMENT_LIMIT,
        )?;
        while let Some(answer) = self.outbox.front() {
            match self.egress.offer(&answer.encode()) {
                Ok(_) => {
                    self.outbox.pop_front();
                    self.figures.answers.fetch_add(1, Ordering::Relaxed);
                    work += 1;
                }
                Err(e) if e.is_retryable() => break,
                Err(e) => return Err(AgentError::msg(format!("egress offer failed: {e}"))),
            }
        }
        // A gateway that keeps retrying while egress is not connected must not grow this.
        while self.outbox.len() > MEMORY {
            self.outbox.pop_front();
        }
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        // On the service's own thread, before its client closes.
        self.ingress.close()?;
        self.egress.close()?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The gateway: requests on ingress, answers on egress, an account that survives failover.
// ---------------------------------------------------------------------------------------------

/// The gateway's account, published for main (relaxed stores by the gateway thread only).
#[derive(Default)]
struct GatewayFigures {
    sent: AtomicU64,
    answered: AtomicU64,
    in_flight: AtomicU64,
    duplicates: AtomicU64,
    inconsistent: AtomicU64,
    resent: AtomicU64,
    egress_lost: AtomicU64,
    egress_joined: AtomicU64,
}

/// Round-trip figures of the last second (or of the whole run), in nanoseconds.
#[derive(Debug, Default, Clone, Copy)]
struct Rtt {
    count: u64,
    p50: u64,
    p99: u64,
    p999: u64,
    max: u64,
}

impl Rtt {
    fn of(histogram: &Histogram<u64>) -> Rtt {
        Rtt {
            count: histogram.len(),
            p50: histogram.value_at_quantile(0.5),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

impl fmt::Display for Rtt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            return f.write_str("p50 - p99 - p99.9 - max -");
        }
        let d = Duration::from_nanos;
        write!(
            f,
            "p50 {:?} p99 {:?} p99.9 {:?} max {:?}",
            d(self.p50),
            d(self.p99),
            d(self.p999),
            d(self.max)
        )
    }
}

/// Everything main and the agents share; `Clone + Send + Sync`.
#[derive(Clone, Default)]
struct Shared {
    gateway: Arc<GatewayFigures>,
    service: Arc<ServiceFigures>,
    /// The gateway's round trips since the last snapshot, and over the whole run, with the
    /// number of the snapshot: main asks for snapshot `n` by storing `n` in `rtt_wanted`.
    rtt: Arc<Mutex<(u64, Rtt, Rtt)>>,
    rtt_wanted: Arc<AtomicU64>,
    /// Set by main at the end of the run time: issue no new requests.
    draining: Arc<AtomicBool>,
}

impl Shared {
    fn print_account(&self) {
        let g = &self.gateway;
        let load = |a: &AtomicU64| a.load(Ordering::Acquire);
        println!(
            "account: sent {} answered {} unanswered {} duplicates-dropped {} inconsistent {} resent {} \
             egress-lost {} egress-joined {}",
            load(&g.sent),
            load(&g.answered),
            load(&g.in_flight),
            load(&g.duplicates),
            load(&g.inconsistent),
            load(&g.resent),
            load(&g.egress_lost),
            load(&g.egress_joined),
        );
        let s = &self.service;
        println!(
            "service: sequenced {} answers {} repeats {} failovers {}",
            load(&s.sequenced),
            load(&s.answers),
            load(&s.repeats),
            load(&s.failovers)
        );
        let total = self.rtt.lock().map(|r| r.2).unwrap_or_default();
        println!("rtt: {} round trips, {total}", total.count);
    }
}

/// A request sent and not yet answered.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    id: u64,
    last_sent_ns: u64,
    /// Send it (again) as soon as ingress takes it.
    resend: bool,
}

/// What the gateway knows: the requests in flight, recent answers, the account.
struct Ledger {
    in_flight: Vec<InFlight>,
    /// `(id + 1, sequence)` of recent answers by `id % MEMORY`, to check duplicates.
    answered: Box<[(u64, u64)]>,
    next_id: u64,
    answered_count: u64,
    duplicates: u64,
    inconsistent: u64,
    resent: u64,
    second: Histogram<u64>,
    run: Histogram<u64>,
}

impl Ledger {
    /// Books an answer: the first for its request is accepted, others are duplicates.
    fn on_answer(&mut self, answer: Answer, now: u64) {
        match self.in_flight.iter().position(|f| f.id == answer.id) {
            Some(i) => {
                self.in_flight.swap_remove(i);
                self.answered_count += 1;
                self.answered[(answer.id % MEMORY as u64) as usize] = (answer.id + 1, answer.sequence);
                let rtt = now.saturating_sub(answer.sent_ns).max(1);
                self.second.saturating_record(rtt);
                self.run.saturating_record(rtt);
            }
            None => {
                self.duplicates += 1;
                let (id, sequence) = self.answered[(answer.id % MEMORY as u64) as usize];
                if id == answer.id + 1 && sequence != answer.sequence {
                    self.inconsistent += 1; // the same request sequenced twice: must never be
                }
            }
        }
    }
}

struct Gateway {
    ingress: PublicationSlot,
    egress: SubscriptionSlot,
    window: usize,
    retry_timeout_ns: u64,
    ledger: Ledger,
    egress_lost: u64,
    egress_joined: u64,
    rtt_served: u64,
    shared: Shared,
}

impl Gateway {
    fn new(options: &Options, shared: Shared) -> Gateway {
        let histogram = || Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds");
        Gateway {
            ingress: PublicationSlot::new(options.channel.clone(), INGRESS_STREAM_ID),
            egress: SubscriptionSlot::new(options.channel.clone(), EGRESS_STREAM_ID),
            window: options.window,
            retry_timeout_ns: u64::try_from(options.retry_timeout.as_nanos()).unwrap_or(u64::MAX),
            ledger: Ledger {
                in_flight: Vec::with_capacity(options.window),
                answered: vec![(0, 0); MEMORY].into_boxed_slice(),
                next_id: 0,
                answered_count: 0,
                duplicates: 0,
                inconsistent: 0,
                resent: 0,
                second: histogram(),
                run: histogram(),
            },
            egress_lost: 0,
            egress_joined: 0,
            rtt_served: 0,
            shared,
        }
    }

    /// Sends what is due: requests to send again first, then new ones up to the window.
    fn send(&mut self, now: u64) -> usize {
        let mut work = 0;
        let ledger = &mut self.ledger;
        for f in ledger.in_flight.iter_mut() {
            if f.resend || now.saturating_sub(f.last_sent_ns) >= self.retry_timeout_ns {
                match self.ingress.offer(&Request { id: f.id, sent_ns: now }.encode()) {
                    Ok(_) => {
                        f.resend = false;
                        f.last_sent_ns = now;
                        ledger.resent += 1;
                        work += 1;
                    }
                    Err(_) => {
                        f.resend = true;
                        return work; // ingress is not taking anything now
                    }
                }
            }
        }
        if self.shared.draining.load(Ordering::Relaxed) {
            return work;
        }
        while ledger.in_flight.len() < self.window {
            let id = ledger.next_id;
            if self.ingress.offer(&Request { id, sent_ns: now }.encode()).is_err() {
                break; // not connected or back-pressured: try again next cycle
            }
            ledger.in_flight.push(InFlight { id, last_sent_ns: now, resend: false });
            ledger.next_id += 1;
            work += 1;
        }
        work
    }

    fn publish(&mut self) {
        let (f, l) = (&self.shared.gateway, &self.ledger);
        f.sent.store(l.next_id, Ordering::Relaxed);
        f.answered.store(l.answered_count, Ordering::Relaxed);
        f.duplicates.store(l.duplicates, Ordering::Relaxed);
        f.inconsistent.store(l.inconsistent, Ordering::Relaxed);
        f.resent.store(l.resent, Ordering::Relaxed);
        f.egress_lost.store(self.egress_lost, Ordering::Relaxed);
        f.egress_joined.store(self.egress_joined, Ordering::Relaxed);
        // Release: a reader that sees in-flight 0 (Acquire) sees the figures stored above.
        f.in_flight.store(l.in_flight.len() as u64, Ordering::Release);
    }
}

impl ClientAgent for Gateway {
    fn role_name(&self) -> &str {
        "gateway"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.ingress.add(client)?;
        self.egress.add(client)?;
        Ok(())
    }

    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let now = now_ns();
        let mut work = self.ingress.poll()? + self.egress.poll()?;
        while let Some(event) = self.egress.next_image_event() {
            work += 1;
            let session = event.info().session_id;
            if event.is_available() {
                self.egress_joined += 1;
                // A new service incarnation: whatever is in flight may have died with the old one.
                for f in &mut self.ledger.in_flight {
                    f.resend = true;
                }
                println!(
                    "gateway: egress image {session} available, resending {}",
                    self.ledger.in_flight.len()
                );
            } else {
                self.egress_lost += 1;
                println!("gateway: egress image {session} unavailable (failover)");
            }
        }
        let ledger = &mut self.ledger;
        work += self.egress.poll_fn(
            |message, _header| {
                if let Some(answer) = Answer::decode(message) {
                    ledger.on_answer(answer, now_ns());
                }
            },
            FRAGMENT_LIMIT,
        )?;
        work += self.send(now);
        // Main asks for a snapshot once a second: one relaxed load per cycle to notice.
        let wanted = self.shared.rtt_wanted.load(Ordering::Relaxed);
        if wanted != self.rtt_served {
            self.rtt_served = wanted;
            if let Ok(mut rtt) = self.shared.rtt.lock() {
                *rtt = (wanted, Rtt::of(&self.ledger.second), Rtt::of(&self.ledger.run));
            }
            self.ledger.second.reset();
        }
        if work > 0 {
            self.publish();
        }
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        // On the gateway's own thread: egress is no longer polled, so closing is safe.
        self.publish();
        if let Ok(mut rtt) = self.shared.rtt.lock() {
            rtt.2 = Rtt::of(&self.ledger.run);
        }
        self.ingress.close()?;
        self.egress.close()?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Tracing: which thread built each agent, which closed it.
// ---------------------------------------------------------------------------------------------

/// Wraps an agent to print, when it closes, the thread that built it (the factory runs on the
/// agent thread) and the thread that closes it: they must be the same.
struct Traced<A> {
    inner: A,
    built_on: ThreadId,
    hang_on_close: bool,
}

impl<A: Agent> Traced<A> {
    fn new(inner: A, options: &Options) -> Traced<A> {
        let hang_on_close = options.hang_on_close.as_deref() == Some(inner.role_name());
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

// ---------------------------------------------------------------------------------------------
// Statistics: one line a second.
// ---------------------------------------------------------------------------------------------

struct StatsLine<'a> {
    shared: &'a Shared,
    readers: &'a [(&'a str, Option<StatsReader>)],
    ticks: u64,
    last_answered: u64,
    last: Vec<DutyCycleStats>,
}

impl<'a> StatsLine<'a> {
    fn new(shared: &'a Shared, readers: &'a [(&'a str, Option<StatsReader>)]) -> Self {
        StatsLine {
            shared,
            readers,
            ticks: 0,
            last_answered: 0,
            last: vec![DutyCycleStats::default(); readers.len()],
        }
    }

    /// The gateway's round trips since the last line: asks it for a snapshot, waits up to
    /// 20 ms for it (a parked gateway wakes within its longest park, 1 ms by default).
    fn rtt(&mut self) -> Rtt {
        self.ticks += 1;
        self.shared.rtt_wanted.store(self.ticks, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_millis(20);
        loop {
            match self.shared.rtt.lock() {
                Ok(rtt) if rtt.0 == self.ticks => return rtt.1,
                Ok(_) if Instant::now() < deadline => {}
                _ => return Rtt::default(),
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn print(&mut self, elapsed: Duration) {
        let rtt = self.rtt();
        let (g, s) = (&self.shared.gateway, &self.shared.service);
        let answered = g.answered.load(Ordering::Relaxed);
        let mut line = format!(
            "stats: {:>3}s {:>7} req/s rtt {rtt} in-flight {} failovers {} egress images +{} -{}",
            elapsed.as_secs(),
            answered - self.last_answered,
            g.in_flight.load(Ordering::Relaxed),
            s.failovers.load(Ordering::Relaxed),
            g.egress_joined.load(Ordering::Relaxed),
            g.egress_lost.load(Ordering::Relaxed),
        );
        self.last_answered = answered;
        for (i, (name, reader)) in self.readers.iter().enumerate() {
            let Some(reader) = reader else { continue };
            let now = reader.read();
            let cycles = now.duty_cycles - self.last[i].duty_cycles;
            let idle = now.idle_cycles - self.last[i].idle_cycles;
            let idle_pct = (idle * 100).checked_div(cycles).unwrap_or(0);
            let max = now.max_cycle.unwrap_or_default();
            line.push_str(&format!(" | {name} {cycles} cycles/s {idle_pct}% idle max {max:?}"));
            self.last[i] = now;
        }
        println!("{line}");
    }
}

// ---------------------------------------------------------------------------------------------
// Flags.
// ---------------------------------------------------------------------------------------------

const USAGE: &str = "\
gateway: an Aeron gateway and a service that fails over, on dutycycle agents

USAGE: gateway [FLAGS]

  --channel URI              Aeron channel for ingress and egress (default aeron:ipc),
                             e.g. aeron:udp?endpoint=localhost:20121
  --run-time DURATION        stop after this long, after draining (default 10s; 0 = until a signal)
  --failover-period DURATION the service fails over this often (default 2s; 0 = never)
  --failover-downtime DUR    how long the service stays away (default 100ms)
  --window N                 requests in flight at most (default 16)
  --retry-timeout DURATION   resend a request unanswered this long (default 250ms)
  --driver-idle NAME         idle strategy of each agent, by Aeron/Agrona name (default backoff):
  --service-idle NAME          spin, noop, yield, sleep-ns:PERIOD, sleep-ms:MS,
  --gateway-idle NAME          backoff:SPINS,YIELDS,MINPARK,MAXPARK, ...
  --driver-core N            pin the agent to this CPU (default: not pinned). Busy-spinning
  --service-core N             agents should be pinned, each to a core of its own.
  --gateway-core N
  --compose                  run driver, service and gateway on one thread (the gateway's
                             idle strategy and core)
  --conductor invoker|thread who runs the Aeron clients' conductors (default invoker: the agents)
  --driver-dir PATH          the embedded driver's directory (default: a new one in /dev/shm,
                             removed on exit)
  -h, --help                 this text

DURATION is a number with a unit: 500ms, 2s, 250us (a bare number is seconds).
AERON_DIR=PATH uses the media driver running there instead of an embedded one.
SIGINT/SIGTERM stop every agent cleanly (exit 0); a second one ends the process at once.
";

/// The flags, checked: everything that can be wrong with them is found before anything starts.
#[derive(Debug, Clone)]
struct Options {
    channel: Channel,
    run_time: Option<Duration>,
    failover_period: Option<Duration>,
    failover_downtime: Duration,
    window: usize,
    retry_timeout: Duration,
    driver_idle: IdleStrategyConfig,
    service_idle: IdleStrategyConfig,
    gateway_idle: IdleStrategyConfig,
    driver_core: Option<usize>,
    service_core: Option<usize>,
    gateway_core: Option<usize>,
    compose: bool,
    conductor: ConductorMode,
    driver_dir: Option<PathBuf>,
    /// Testing only: this agent's on_close hangs, to show that a second signal still ends the
    /// process.
    hang_on_close: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            channel: Channel::ipc(),
            run_time: Some(Duration::from_secs(10)),
            failover_period: Some(Duration::from_secs(2)),
            failover_downtime: Duration::from_millis(100),
            window: 16,
            retry_timeout: Duration::from_millis(250),
            driver_idle: IdleStrategyConfig::default(),
            service_idle: IdleStrategyConfig::default(),
            gateway_idle: IdleStrategyConfig::default(),
            driver_core: None,
            service_core: None,
            gateway_core: None,
            compose: false,
            conductor: ConductorMode::Invoker,
            driver_dir: None,
            hang_on_close: None,
        }
    }
}

impl Options {
    /// Parses the flags; `Ok(None)` for `--help`. Each error names the flag and the value.
    fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
        let mut options = Options::default();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value.to_owned())),
                _ => (arg.clone(), None),
            };
            if flag == "-h" || flag == "--help" {
                return Ok(None);
            }
            if flag == "--compose" {
                options.compose = true;
                continue;
            }
            let value = match inline.or_else(|| args.next()) {
                Some(value) => value,
                None => return Err(format!("{flag} needs a value")),
            };
            let bad = |reason: String| format!("{flag} {value:?}: {reason}");
            match flag.as_str() {
                "--channel" => options.channel = value.parse().map_err(|e| bad(format!("{e}")))?,
                "--run-time" => options.run_time = non_zero(parse_duration(&value).map_err(bad)?),
                "--failover-period" => {
                    options.failover_period = non_zero(parse_duration(&value).map_err(bad)?)
                }
                "--failover-downtime" => options.failover_downtime = parse_duration(&value).map_err(bad)?,
                "--retry-timeout" => {
                    options.retry_timeout = non_zero(parse_duration(&value).map_err(bad)?)
                        .ok_or_else(|| bad("must be more than 0".to_owned()))?
                }
                "--window" => {
                    options.window = value
                        .parse()
                        .ok()
                        .filter(|w| (1..=4096).contains(w))
                        .ok_or_else(|| bad("expected a number from 1 to 4096".to_owned()))?
                }
                "--driver-idle" => options.driver_idle = value.parse().map_err(|e| bad(format!("{e}")))?,
                "--service-idle" => options.service_idle = value.parse().map_err(|e| bad(format!("{e}")))?,
                "--gateway-idle" => options.gateway_idle = value.parse().map_err(|e| bad(format!("{e}")))?,
                "--driver-core" => options.driver_core = Some(parse_core(&value).map_err(bad)?),
                "--service-core" => options.service_core = Some(parse_core(&value).map_err(bad)?),
                "--gateway-core" => options.gateway_core = Some(parse_core(&value).map_err(bad)?),
                "--conductor" => options.conductor = value.parse().map_err(|e| bad(format!("{e}")))?,
                "--driver-dir" => options.driver_dir = Some(PathBuf::from(value)),
                "--hang-on-close" => options.hang_on_close = Some(value),
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        if let Some(dir) = &options.driver_dir {
            // The settings check only: whether the directory is writable is the driver's to
            // find out, when it starts (first of all agents, so nothing else is built yet).
            MediaDriverConfig::new().dir(dir).validate().map_err(|e| format!("--driver-dir: {e}"))?;
        }
        Ok(Some(options))
    }
}

impl Options {
    /// A strategy that never parks, on a thread not pinned to a core of its own, competes with
    /// every other thread for the CPU: on a small machine it starves the others.
    fn warn_about_spinning(&self) {
        let agents = if self.compose {
            vec![("gateway", &self.gateway_idle, self.gateway_core)]
        } else {
            vec![
                ("driver", &self.driver_idle, self.driver_core),
                ("service", &self.service_idle, self.service_core),
                ("gateway", &self.gateway_idle, self.gateway_core),
            ]
        };
        for (agent, idle, core) in agents {
            if core.is_none() && !idle.build().parks() {
                eprintln!(
                    "gateway: warning: the {agent} spins ({idle}) without a core of its own \
                     (--{agent}-core): it will compete with every other thread"
                );
            }
        }
    }
}

fn non_zero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

/// `500ms`, `2s`, `250us`, `100ns`; a bare number is seconds.
fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let n: u64 =
        number.parse().map_err(|_| "expected a whole number with a unit, such as 500ms".to_owned())?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "us" | "µs" => Ok(Duration::from_micros(n)),
        "ns" => Ok(Duration::from_nanos(n)),
        _ => Err(format!("unknown unit {unit:?} (use ns, us, ms or s)")),
    }
}

/// A CPU this process may run on.
fn parse_core(value: &str) -> Result<usize, String> {
    let core: usize = value.parse().map_err(|_| "expected a CPU number".to_owned())?;
    let allowed = dutycycle::allowed_cores().map_err(|e| format!("cannot read the allowed CPUs: {e}"))?;
    if allowed.contains(&core) {
        Ok(core)
    } else {
        Err(format!("core {core} is not one this process may run on (allowed: {allowed:?})"))
    }
}
