//! The runners: started in order (the driver first), watched with a statistics line a second,
//! and closed in reverse order (the gateway first, the driver last), each agent on its own
//! thread. Closing the gateway's runner drains it first: the runner calls its `on_drain` and
//! runs its duty cycle until `is_drained` says every request was answered, or the drain
//! timeout passes.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::{
    Agent, AgentError, AgentFailed, AgentReport, AgentRunner, AgentTermination, CompositeAgent,
    IdleStrategyConfig, StartError, Statistics, StatsReader,
};
use dutycycle_aeron::{AeronAgent, ClientConfig, MediaDriverAgent, MediaDriverConfig};
use dutycycle_cluster::{ClusterAgent, ClusterClientConfig};

use crate::embedded::{EmbeddedGateway, Service, ServiceFigures};
use crate::gateway::{Gateway, Shared};
use crate::options::{Embedded, Options, Target};
use crate::stats::StatsLine;
use crate::traced::Traced;

/// Duty cycles slower than this count as slow in the statistics.
const SLOW_CYCLE: Duration = Duration::from_millis(1);

/// A runner that did not start. `Display` says which; the cause is in `source()`.
#[derive(Debug, thiserror::Error)]
#[error("the {what} did not start")]
pub struct RunError {
    what: &'static str,
    #[source]
    source: StartError,
}

/// How the drain at the end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Every request in flight was answered, and no session was left half-open.
    Drained,
    /// The drain deadline passed with these requests unanswered.
    TimedOut { in_flight: u64 },
    /// An agent ended on its own before the gateway drained.
    AgentEnded { role: &'static str },
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    pub drain: Drain,
    /// Every agent's report was clean.
    pub clean: bool,
}

/// A started runner and its thread's name: `driver` (the media driver, closed last, after the
/// others' last messages left through it), `service`, `gateway` or `composite`.
struct Stage {
    name: &'static str,
    runner: AgentRunner,
}

/// Starts the agents for `options`, runs until the run time is over, a signal comes or an
/// agent ends, drains, and closes them all.
///
/// # Errors
///
/// A runner that did not start; those started before it are closed (and their reports
/// printed) first.
pub fn run(options: &Options, termination: &AgentTermination, shared: &Shared) -> Result<Outcome, RunError> {
    let (driver, dir) = driver(options);
    let client = ClientConfig::new().dir(&dir).conductor(options.conductor);
    let service = Arc::new(ServiceFigures::default());
    let mut stages = Vec::new();
    let started = match &options.target {
        Target::Cluster(cluster) => start_cluster(options, cluster, driver, &client, shared, &mut stages),
        Target::Embedded(embedded) if embedded.compose => {
            start_composed(options, embedded, driver, &client, shared, &service, &mut stages)
        }
        Target::Embedded(embedded) => {
            start_embedded(options, embedded, driver, &client, shared, &service, &mut stages)
        }
    };
    if let Err(error) = started {
        close(stages);
        return Err(error);
    }
    let readers: Vec<(&'static str, StatsReader)> =
        stages.iter().map(|s| (s.name, s.runner.stats_reader())).collect();
    let extra: Box<dyn Fn() -> String> = match options.embedded() {
        Some(_) => Box::new(|| format!(" failovers {}", service.failovers.load(Ordering::Relaxed))),
        None => Box::new(String::new),
    };
    let mut line = StatsLine::new(&shared.figures, &shared.rtt, extra, readers);
    let ended = watch(options, termination, &stages, &mut line);
    println!(
        "gateway: draining {} requests in flight, for {:?} at most",
        shared.figures.in_flight.load(Ordering::Acquire),
        options.drain_timeout
    );
    let closed = close(stages);
    let drain = match (ended, closed.gateway_drain) {
        (Some(role), _) => Drain::AgentEnded { role },
        (None, Some(dutycycle::Drain::Completed { .. })) => Drain::Drained,
        // Acquire: the gateway's thread is joined, its account final.
        (None, Some(dutycycle::Drain::DeadlineExceeded { .. })) => {
            Drain::TimedOut { in_flight: shared.figures.in_flight.load(Ordering::Acquire) }
        }
        // No drain asked for (`--drain-timeout 0s`): what was in flight is dropped.
        (None, Some(dutycycle::Drain::NotRequested)) if options.drain_timeout.is_zero() => {
            match shared.figures.in_flight.load(Ordering::Acquire) {
                0 => Drain::Drained,
                in_flight => Drain::TimedOut { in_flight },
            }
        }
        // It ended on its own between the last look and the stop (or never ran).
        (None, _) => Drain::AgentEnded { role: "gateway" },
    };
    let clean = closed.clean;
    if options.is_embedded() {
        println!("{}", service.line());
    }
    let rtt = shared.rtt.total();
    println!("rtt: {} round trips, {rtt}", rtt.count);
    Ok(Outcome { drain, clean })
}

/// The embedded driver's settings, unless `AERON_DIR` names a running driver; the directory.
fn driver(options: &Options) -> (Option<MediaDriverConfig>, PathBuf) {
    match std::env::var_os("AERON_DIR") {
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
    }
}

/// Starts one stage's runner — thread `name`, its idle strategy and core, timed statistics,
/// the drain timeout (only the gateway's drain waits: the other agents are drained as soon as
/// asked) — with the agent `factory` makes on that thread, and adds it to `stages`.
fn start_stage<A: Agent + 'static>(
    stages: &mut Vec<Stage>,
    name: &'static str,
    (idle, core): (&IdleStrategyConfig, Option<usize>),
    options: &Options,
    factory: impl FnOnce() -> Result<A, AgentError> + Send + 'static,
) -> Result<(), RunError> {
    let builder = AgentRunner::builder()
        .name(name)
        .idle_strategy(idle.build())
        .statistics(Statistics::Timed { threshold: SLOW_CYCLE })
        .drain_timeout(options.drain_timeout);
    let builder = match core {
        Some(core) => builder.core(core),
        None => builder,
    };
    let runner = builder.start(factory).map_err(|source| RunError { what: name, source })?;
    stages.push(Stage { name, runner });
    Ok(())
}

/// The driver's runner, when the driver is embedded.
fn start_driver(
    options: &Options,
    driver: Option<MediaDriverConfig>,
    stages: &mut Vec<Stage>,
) -> Result<(), RunError> {
    let Some(config) = driver else { return Ok(()) };
    let hang = options.hang_on_close.clone();
    start_stage(stages, "driver", (&options.driver_idle, options.driver_core), options, move || {
        Ok(Traced::new(MediaDriverAgent::launch(config)?, hang.as_deref()))
    })
}

/// The driver, then the gateway: a [`ClusterAgent`] that connects its session in the factory,
/// on the gateway's thread.
fn start_cluster(
    options: &Options,
    cluster: &ClusterClientConfig,
    driver: Option<MediaDriverConfig>,
    client: &ClientConfig,
    shared: &Shared,
    stages: &mut Vec<Stage>,
) -> Result<(), RunError> {
    start_driver(options, driver, stages)?;
    let (client, cluster) = (client.clone().client_name("gateway"), cluster.clone());
    let (gateway, hang) = (Gateway::new(options, shared.clone()), options.hang_on_close.clone());
    start_stage(stages, "gateway", (&options.gateway_idle, options.gateway_core), options, move || {
        Ok(Traced::new(ClusterAgent::connect(&client, &cluster, gateway)?, hang.as_deref()))
    })
}

/// The driver, the service and the gateway on threads of their own.
fn start_embedded(
    options: &Options,
    embedded: &Embedded,
    driver: Option<MediaDriverConfig>,
    client: &ClientConfig,
    shared: &Shared,
    service: &Arc<ServiceFigures>,
    stages: &mut Vec<Stage>,
) -> Result<(), RunError> {
    start_driver(options, driver, stages)?;
    // The agents hold rusteron's handles, which never leave their thread: each is made in its
    // runner's factory, from settings moved there.
    let (hang, config, embedded_settings, figures) = (
        options.hang_on_close.clone(),
        client.clone().client_name("service"),
        embedded.clone(),
        service.clone(),
    );
    start_stage(stages, "service", (&embedded.service_idle, embedded.service_core), options, move || {
        let service = Service::new(&embedded_settings, figures);
        Ok(Traced::new(AeronAgent::connect(&config, service)?, hang.as_deref()))
    })?;
    let (config, settings, embedded_settings, shared) =
        (client.clone().client_name("gateway"), options.clone(), embedded.clone(), shared.clone());
    start_stage(stages, "gateway", (&options.gateway_idle, options.gateway_core), options, move || {
        let gateway = EmbeddedGateway::new(&settings, &embedded_settings, shared);
        Ok(Traced::new(AeronAgent::connect(&config, gateway)?, settings.hang_on_close.as_deref()))
    })
}

/// Driver, service and gateway composed on one thread (the gateway's core and idle
/// strategy). The driver is launched first, so that the clients can connect, and listed
/// last, so that it closes after them.
fn start_composed(
    options: &Options,
    embedded: &Embedded,
    driver: Option<MediaDriverConfig>,
    client: &ClientConfig,
    shared: &Shared,
    service: &Arc<ServiceFigures>,
    stages: &mut Vec<Stage>,
) -> Result<(), RunError> {
    let (settings, embedded, figures, shared) =
        (options.clone(), embedded.clone(), service.clone(), shared.clone());
    let client = client.clone();
    let factory = move || {
        let hang = settings.hang_on_close.as_deref();
        let service = Service::new(&embedded, figures);
        let gateway = EmbeddedGateway::new(&settings, &embedded, shared);
        let driver = match driver {
            Some(config) => Some(Traced::new(MediaDriverAgent::launch(config)?, hang)),
            None => None,
        };
        let mut agents: Vec<Box<dyn Agent>> = vec![
            Box::new(Traced::new(
                AeronAgent::connect(&client.clone().client_name("service"), service)?,
                hang,
            )),
            Box::new(Traced::new(AeronAgent::connect(&client.client_name("gateway"), gateway)?, hang)),
        ];
        if let Some(driver) = driver {
            agents.push(Box::new(driver));
        }
        Ok(CompositeAgent::new(agents))
    };
    start_stage(stages, "composite", (&options.gateway_idle, options.gateway_core), options, factory)
}

/// Waits for a signal, the end of the run time or an agent that ends on its own (returns its
/// name), printing statistics once a second.
fn watch(
    options: &Options,
    termination: &AgentTermination,
    stages: &[Stage],
    line: &mut StatsLine<'_>,
) -> Option<&'static str> {
    let start = Instant::now();
    let deadline = options.run_time.map(|d| start + d);
    let mut next_tick = start + Duration::from_secs(1);
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        let wait = deadline.map_or(wait, |d| wait.min(d.saturating_duration_since(Instant::now())));
        if termination.wait_timeout(wait) {
            let signal = termination.received_signal().map_or("stop".to_owned(), signal_name);
            println!("gateway: {signal} received");
            return None;
        }
        if let Some(stage) = stages.iter().find(|s| !s.runner.is_running()) {
            println!("gateway: the {} ended on its own", stage.name);
            return Some(stage.name);
        }
        let now = Instant::now();
        if now >= next_tick {
            line.print(now.duration_since(start));
            next_tick += Duration::from_secs(1);
        }
        if deadline.is_some_and(|d| now >= d) {
            println!("gateway: run time over");
            return None;
        }
    }
}

/// What closing every runner found.
struct Closed {
    /// Every report was clean.
    clean: bool,
    /// How the drain of the runner holding the gateway went, if it reported.
    gateway_drain: Option<dutycycle::Drain>,
}

/// Closes every runner, the last started first, each agent on its own thread (the gateway's
/// drained first); prints each report.
fn close(stages: Vec<Stage>) -> Closed {
    let mut closed = Closed { clean: true, gateway_drain: None };
    for stage in stages.into_iter().rev() {
        if stage.name == "driver" {
            let_the_driver_send(&stage.runner.stats_reader());
        }
        let result = stage.runner.close();
        let report = match &result {
            Ok(report) => report,
            Err(failed) => failed.report(),
        };
        if matches!(stage.name, "gateway" | "composite") {
            let drain = *report.drain();
            match drain {
                dutycycle::Drain::Completed { took } => {
                    println!("gateway: drained in {took:?}, closing the other agents")
                }
                dutycycle::Drain::DeadlineExceeded { .. } => {
                    println!("gateway: drain deadline passed, closing the other agents")
                }
                _ => {}
            }
            closed.gateway_drain = Some(drain);
        }
        closed.clean &= print_report(result);
    }
    closed
}

/// The gateway's last messages (the SessionCloseRequest) are in its publication's buffer when
/// it closes; the driver's sender still has to put them on the wire. Waits, up to a second,
/// until the driver has published its duty-cycle count twice more: at least one whole duty
/// cycle (conductor, sender, receiver) began after this call.
fn let_the_driver_send(driver: &StatsReader) {
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut seen = driver.read().duty_cycles;
    let mut changes = 0;
    while changes < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200));
        let now = driver.read().duty_cycles;
        if now != seen {
            (seen, changes) = (now, changes + 1);
        }
    }
}

/// Prints a report; whether it is clean.
fn print_report(report: Result<AgentReport, AgentFailed>) -> bool {
    match report {
        Ok(report) => {
            println!("report: {report}");
            report.is_clean()
        }
        Err(failed) => {
            // The whole report (figures, drain, every failure), then the error's one line.
            println!("report: {}", failed.report());
            println!("failed: {failed}");
            false
        }
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        2 => "SIGINT".to_owned(),
        15 => "SIGTERM".to_owned(),
        n => format!("signal {n}"),
    }
}
