//! Scenario 7: Aeron IPC ping-pong with 32-byte messages.
//!
//! - **rusteron's own style** (the baseline), as in rusteron's `embedded_ping_pong` example:
//!   an embedded media driver on threads of its own (`EmbeddedDriver`, non-sparse term
//!   buffers), two clients each with Aeron's own conductor thread, and hand-written spin
//!   loops for ping and pong on unpinned threads; pong echoes with `try_claim`.
//! - **dutycycle**: ping is an agent pinned to CPU 0; pong is an agent composed with the
//!   media driver (`MediaDriverAgent`, SHARED threading mode: conductor, sender and receiver
//!   in its duty cycle) on CPU 1; both clients run their conductor inside their agent's duty
//!   cycle (`ConductorMode::Invoker`), each an `AeronAgent`. Once with conductors and driver on
//!   every duty cycle, once with `AeronAgent`'s default cadence (`DutyCadence::CLIENT_DEFAULT`)
//!   and the composed driver every 1024th cycle.
//!
//! The data path is the same in all three: ping stamps the TSC, offers 32 bytes on stream
//! 1002, pong polls its image and echoes on stream 1003, ping polls its image until the
//! echo's position and stamps the TSC again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError, AgentRunner, BusySpinIdleStrategy, CompositeAgent};
use dutycycle_aeron::{
    AeronAgent, AeronClient, Channel, ClientAgent, ClientConfig, DutyCadence, ExclusivePublicationSlot,
    MediaDriverAgent, MediaDriverConfig, PublicationSlot, SubscriptionSlot,
};
use hdrhistogram::Histogram;
use rusteron_client::{cformat, Aeron, AeronContext, AeronExclusivePublication, AeronImage, Handlers};
use rusteron_media_driver::testing::EmbeddedDriver;

use super::Ctx;
use crate::clock::ticks;
use crate::latency::{histogram, record, Latency};
use crate::progress::Progress;
use crate::report::{Distribution, Results, Row, Target, Unit};
use crate::{CPU_A, CPU_B};

const PING_STREAM: i32 = 1002;
const PONG_STREAM: i32 = 1003;
const MESSAGE_LENGTH: usize = 32;
const FRAGMENT_LIMIT: usize = 10;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) warmup: u64,
    pub(crate) round_trips: u64,
    /// Ping stops when this much time has passed since its first round trip, with what it
    /// measured by then.
    pub(crate) time_limit: Duration,
}

/// The channels of a ping-pong: ping publishes on `ping` (stream 1002), pong on `pong`
/// (stream 1003).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Route {
    pub(crate) ping: &'static str,
    pub(crate) pong: &'static str,
}

impl Route {
    /// Both directions over IPC.
    pub(crate) const IPC: Route = Route { ping: "aeron:ipc", pong: "aeron:ipc" };

    fn channels(self) -> Result<(Channel, Channel), Failure> {
        let channel = |uri: &str| -> Result<Channel, Failure> {
            if uri == "aeron:ipc" {
                Ok(Channel::ipc())
            } else {
                let endpoint =
                    uri.strip_prefix("aeron:udp?endpoint=").ok_or("a UDP channel with an endpoint only")?;
                Ok(Channel::udp(endpoint)?)
            }
        };
        Ok((channel(self.ping)?, channel(self.pong)?))
    }
}

/// How often ping checks its time limit while it waits for an echo: every this many polls (a
/// power of two). It checks after every round trip too, outside the timed interval.
const DEADLINE_CHECK_MASK: u64 = (1 << 16) - 1;

/// What a ping-pong measured: the round trips after the warm-up, and how many round trips
/// (warm-up included) completed before the time limit, in how long.
#[derive(Debug)]
pub(crate) struct Measured {
    pub(crate) rtts: Histogram<u64>,
    pub(crate) completed: u64,
    pub(crate) elapsed: Duration,
}

/// An error of the scenario's set-up.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Called on each agent's own thread with `true` when its measured phase starts (warm-up over)
/// and `false` when it ends: the zero-allocation test counts allocations in between.
pub type PhaseHook = fn(bool);

/// A [`PhaseHook`] that does nothing.
pub(crate) fn no_hook(_: bool) {}

/// Progress steps.
pub fn steps(ctx: &Ctx) -> usize {
    3 * rounds(ctx) as usize
}

/// Rounds that interleave the three variants, so that a change of vCPU placement during the
/// scenario hits them alike (the round trips are split between the rounds).
fn rounds(ctx: &Ctx) -> u64 {
    ctx.mode.pick(1, 4)
}

fn client_context(dir: &str) -> Result<AeronContext, Failure> {
    let context = AeronContext::new()?;
    context.set_dir(&cformat!("{dir}"))?;
    context.set_pre_touch_mapped_memory(true)?;
    Ok(context)
}

/// Echoes one message, spinning while the publication back-pressures.
#[inline]
fn echo(publication: &AeronExclusivePublication, buffer: &[u8]) {
    loop {
        match publication.try_claim_owned(buffer.len()) {
            Ok(mut claim) => {
                claim.data().copy_from_slice(buffer);
                let _ = claim.commit();
                return;
            }
            Err(e) if e.is_retryable() => std::hint::spin_loop(),
            Err(_) => return,
        }
    }
}

/// rusteron's own style: see the module docs. Returns the round trips measured (fewer than
/// planned when the time limit ended the run).
pub(crate) fn rusteron_style(plan: Plan, route: Route) -> Result<Measured, Failure> {
    let driver = EmbeddedDriver::launch_with(|context| {
        context.set_term_buffer_sparse_file(false)?;
        Ok(())
    })?;
    let dir = driver.dir().to_owned();
    let running = Arc::new(AtomicBool::new(true));
    let pong = {
        let (running, dir) = (Arc::clone(&running), dir.clone());
        std::thread::Builder::new().name("pong".into()).spawn(move || -> Result<(), Failure> {
            let aeron = Aeron::new(&client_context(&dir)?)?;
            aeron.start()?;
            let publication = aeron
                .async_add_exclusive_publication(&cformat!("{}", route.pong), PONG_STREAM)?
                .poll_blocking(Duration::from_secs(10))?;
            let subscription = aeron
                .async_add_subscription(
                    &cformat!("{}", route.ping),
                    PING_STREAM,
                    Handlers::NONE,
                    Handlers::NONE,
                )?
                .poll_blocking(Duration::from_secs(10))?;
            while running.load(Ordering::Acquire) {
                let fragments =
                    subscription.poll_fn(|buffer, _| echo(&publication, buffer), FRAGMENT_LIMIT)?;
                if fragments == 0 {
                    std::hint::spin_loop();
                }
            }
            Ok(())
        })?
    };
    let ping = (|| -> Result<Measured, Failure> {
        let aeron = Aeron::new(&client_context(&dir)?)?;
        aeron.start()?;
        let publication = aeron
            .async_add_exclusive_publication(&cformat!("{}", route.ping), PING_STREAM)?
            .poll_blocking(Duration::from_secs(10))?;
        let subscription = aeron
            .async_add_subscription(&cformat!("{}", route.pong), PONG_STREAM, Handlers::NONE, Handlers::NONE)?
            .poll_blocking(Duration::from_secs(10))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let image = loop {
            if publication.is_connected() {
                if let Some(image) = subscription.image_at_index(0) {
                    break image;
                }
            }
            if Instant::now() > deadline {
                return Err("pong never connected".into());
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let mut h = histogram();
        let buffer = [7u8; MESSAGE_LENGTH];
        let started = Instant::now();
        let mut completed = 0;
        'round_trips: for i in 0..plan.warmup + plan.round_trips {
            if started.elapsed() > plan.time_limit {
                break;
            }
            let t0 = ticks();
            let position = loop {
                match publication.offer(&buffer) {
                    Ok(position) => break position,
                    Err(e) if e.is_retryable() => std::hint::spin_loop(),
                    Err(e) => return Err(e.into()),
                }
            };
            let mut polls: u64 = 0;
            while image.position() < position {
                if image.poll_fn(|_, _| {}, FRAGMENT_LIMIT)? == 0 {
                    std::hint::spin_loop();
                }
                polls += 1;
                if polls & DEADLINE_CHECK_MASK == 0 && started.elapsed() > plan.time_limit {
                    break 'round_trips;
                }
            }
            let t1 = ticks();
            if i >= plan.warmup {
                record(&mut h, t1 - t0);
            }
            completed += 1;
        }
        Ok(Measured { rtts: h, completed, elapsed: started.elapsed() })
    })();
    running.store(false, Ordering::Release);
    pong.join().map_err(|_| "pong thread panicked")??;
    drop(driver);
    ping
}

/// What ping's and pong's logic share: a publication and a subscription, and the image once
/// both directions are connected. The client is the [`AeronAgent`]'s, which runs its
/// conductor on its [`DutyCadence`].
struct Endpoint {
    out: ExclusivePublicationSlot,
    input: SubscriptionSlot,
    image: Option<AeronImage>,
}

impl Endpoint {
    fn new(out: Channel, out_stream: i32, input: Channel, in_stream: i32) -> Self {
        Endpoint {
            out: PublicationSlot::exclusive(out, out_stream),
            input: SubscriptionSlot::new(input, in_stream),
            image: None,
        }
    }

    fn add(&mut self, client: &AeronClient) -> Result<(), AgentError> {
        self.out.add(client)?;
        Ok(self.input.add(client)?)
    }

    /// Until connected, the slots' turn. Returns the work done and whether the image is ready.
    #[inline]
    fn turn(&mut self) -> Result<(usize, bool), AgentError> {
        if self.image.is_some() {
            return Ok((0, true));
        }
        let work = self.out.poll()? + self.input.poll()?;
        if self.out.is_connected() {
            self.image = self.input.get().and_then(|s| s.image_at_index(0));
        }
        Ok((work, false))
    }

    fn close(&mut self) -> Result<(), AgentError> {
        self.image = None;
        self.out.close()?;
        self.input.close()?;
        Ok(())
    }
}

struct Ping {
    end: Endpoint,
    plan: Plan,
    hook: PhaseHook,
    buffer: [u8; MESSAGE_LENGTH],
    position: Option<i64>,
    t0: u64,
    done: u64,
    /// When the agent was made; the time limit counts from there.
    started: Instant,
    polls: u64,
    hist: Histogram<u64>,
    result: Arc<Mutex<Option<Measured>>>,
}

impl Ping {
    /// A cycle spent waiting (for the connection or the echo): `work`, or the end when the
    /// time limit has passed (checked every [`DEADLINE_CHECK_MASK`]` + 1` waits).
    #[inline]
    fn waited(&mut self, work: usize) -> Result<usize, AgentError> {
        self.polls += 1;
        if self.polls & DEADLINE_CHECK_MASK == 0 && self.started.elapsed() > self.plan.time_limit {
            return Err(self.finish());
        }
        Ok(work)
    }

    /// Hands what was measured to the harness and ends the agent.
    #[cold]
    fn finish(&mut self) -> AgentError {
        let elapsed = self.started.elapsed();
        *self.result.lock().expect("slot") =
            Some(Measured { rtts: self.hist.clone(), completed: self.done, elapsed });
        AgentError::terminate()
    }
}

impl ClientAgent for Ping {
    fn role_name(&self) -> &str {
        "ping"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.end.add(client)
    }

    #[inline]
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let (mut work, ready) = self.end.turn()?;
        if !ready {
            return self.waited(work);
        }
        let image = self.end.image.as_ref().expect("ready");
        if let Some(position) = self.position {
            work += usize::try_from(image.poll_fn(|_, _| {}, FRAGMENT_LIMIT)?).unwrap_or(0);
            if image.position() < position {
                return self.waited(work);
            }
            let t1 = ticks();
            if self.done >= self.plan.warmup {
                record(&mut self.hist, t1 - self.t0);
            }
            self.done += 1;
            self.position = None;
            if self.done == self.plan.warmup {
                (self.hook)(true);
            }
            if self.done == self.plan.warmup + self.plan.round_trips {
                (self.hook)(false);
                return Err(self.finish());
            }
            if self.started.elapsed() > self.plan.time_limit {
                return Err(self.finish());
            }
        }
        let publication = self.end.out.get().expect("ready");
        self.t0 = ticks();
        match publication.offer(&self.buffer) {
            Ok(position) => {
                self.position = Some(position);
                work += 1;
            }
            Err(e) if e.is_retryable() => {}
            Err(e) => return Err(AgentError::msg(e)),
        }
        Ok(work)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        self.end.close()
    }
}

struct Pong {
    end: Endpoint,
    plan: Plan,
    hook: PhaseHook,
    echoed: u64,
}

impl ClientAgent for Pong {
    fn role_name(&self) -> &str {
        "pong"
    }

    fn on_start(&mut self, client: &mut AeronClient) -> Result<(), AgentError> {
        self.end.add(client)
    }

    #[inline]
    fn do_work(&mut self, _client: &mut AeronClient) -> Result<usize, AgentError> {
        let (work, ready) = self.end.turn()?;
        if !ready {
            return Ok(work);
        }
        let (image, publication) =
            (self.end.image.as_ref().expect("ready"), self.end.out.get().expect("ready"));
        let n = image.poll_fn(|buffer, _| echo(publication, buffer), FRAGMENT_LIMIT)?;
        let n = usize::try_from(n).unwrap_or(0);
        if n > 0 {
            let before = self.echoed;
            self.echoed += n as u64;
            let (start, end) = (self.plan.warmup, self.plan.warmup + self.plan.round_trips);
            if before < start && self.echoed >= start {
                (self.hook)(true);
            }
            if before < end && self.echoed >= end {
                (self.hook)(false);
            }
        }
        Ok(work + n)
    }

    fn on_close(&mut self, _client: &mut AeronClient) -> Result<(), AgentError> {
        self.end.close()
    }
}

/// The cadences of one dutycycle variant: the clients' conductors, and the driver composed
/// with pong.
#[derive(Debug, Clone, Copy)]
pub struct Cadences {
    /// Both `AeronAgent`s' conductors.
    pub conductor: DutyCadence,
    /// The `MediaDriverAgent` composed with pong.
    pub driver: DutyCadence,
}

impl Cadences {
    /// Conductors and driver on every duty cycle.
    pub const EVERY_CYCLE: Cadences =
        Cadences { conductor: DutyCadence::EVERY_CYCLE, driver: DutyCadence::EVERY_CYCLE };
    /// The conductors on `AeronAgent`'s default cadence, the composed driver on
    /// [`COMPOSED_DRIVER_CADENCE`].
    pub const DEFAULTS: Cadences =
        Cadences { conductor: DutyCadence::CLIENT_DEFAULT, driver: COMPOSED_DRIVER_CADENCE };
}

/// The cadence this scenario gives the driver composed with pong (as docs/AERON.md advises
/// for a driver sharing a spinning core).
pub const COMPOSED_DRIVER_CADENCE: DutyCadence = DutyCadence::every(1024);

/// The dutycycle ping-pong (see the module docs) with `round_trips` measured after `warmup`,
/// the conductors and the driver run on `cadences`, and `hook` called on both agent threads
/// around the measured phase. Returns the round trips in TSC ticks.
///
/// # Errors
///
/// A runner or Aeron set-up that failed.
pub fn ping_pong_through_dutycycle(
    warmup: u64,
    round_trips: u64,
    cadences: Cadences,
    hook: PhaseHook,
) -> Result<Histogram<u64>, Failure> {
    let plan = Plan { warmup, round_trips, time_limit: Duration::from_secs(600) };
    Ok(dutycycle_style(plan, Route::IPC, cadences, hook)?.rtts)
}

/// dutycycle: see the module docs. Returns the round trips measured (fewer than planned when
/// the time limit ended the run).
pub(crate) fn dutycycle_style(
    plan: Plan,
    route: Route,
    cadences: Cadences,
    hook: PhaseHook,
) -> Result<Measured, Failure> {
    let (ping_channel, pong_channel) = route.channels()?;
    let (ping_in, pong_in) = (ping_channel.clone(), pong_channel.clone());
    let driver_config = MediaDriverConfig::new().term_buffer_sparse_file(false);
    let client_config = ClientConfig::new().dir(driver_config.aeron_dir()).pre_touch_mapped_memory(true);
    let pong_config = client_config.clone();
    let pong =
        AgentRunner::builder().name("pong+driver").core(CPU_B).idle_strategy(BusySpinIdleStrategy).start(
            move || {
                // The driver first, so that the client can connect; listed last, so it closes last.
                let driver = MediaDriverAgent::launch(driver_config)?.with_cadence(cadences.driver);
                let end = Endpoint::new(pong_channel, PONG_STREAM, ping_in, PING_STREAM);
                let pong = Pong { end, plan, hook, echoed: 0 };
                let pong = AeronAgent::connect(&pong_config, pong)?.with_cadence(cadences.conductor);
                let agents: Vec<Box<dyn Agent>> = vec![Box::new(pong), Box::new(driver)];
                Ok(CompositeAgent::new(agents))
            },
        )?;
    let result = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&result);
    let ping = AgentRunner::builder().name("ping").core(CPU_A).idle_strategy(BusySpinIdleStrategy).start(
        move || {
            let ping = Ping {
                end: Endpoint::new(ping_channel, PING_STREAM, pong_in, PONG_STREAM),
                plan,
                hook,
                buffer: [7u8; MESSAGE_LENGTH],
                position: None,
                t0: 0,
                done: 0,
                started: Instant::now(),
                polls: 0,
                hist: histogram(),
                result: slot,
            };
            Ok(AeronAgent::connect(&client_config, ping)?.with_cadence(cadences.conductor))
        },
    )?;
    let ping_report = ping.join();
    let pong_report = pong.close();
    ping_report?;
    pong_report?;
    let h = result.lock().expect("slot").take().ok_or("ping did not finish")?;
    Ok(h)
}

/// One side of scenario 7's comparison.
#[derive(Debug, Clone, Copy)]
enum Variant {
    /// rusteron's own style, the baseline.
    Rusteron,
    /// dutycycle's agents on these cadences.
    Dutycycle(Cadences),
    /// Java Aeron (`benches/java/AeronIpcPingPong.java`), with feature `java`.
    Java,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Rusteron => "rusteron's own style (unpinned loops, driver threads)",
            Variant::Dutycycle(c) if c.conductor == DutyCadence::EVERY_CYCLE => {
                "dutycycle agents, conductors + driver every cycle"
            }
            Variant::Dutycycle(_) => "dutycycle agents, default cadence (driver every 1024th)",
            Variant::Java => "Java Aeron (pinned spinning threads, embedded Java driver)",
        }
    }
}

/// The variants of this run: Java's only with feature `java`.
fn variants() -> Vec<Variant> {
    let mut variants = vec![
        Variant::Rusteron,
        Variant::Dutycycle(Cadences::EVERY_CYCLE),
        Variant::Dutycycle(Cadences::DEFAULTS),
    ];
    if cfg!(feature = "java") {
        variants.push(Variant::Java);
    }
    variants
}

/// Runs scenario 7.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let plan = ctx.mode.pick(
        Plan { warmup: 20_000, round_trips: 200_000, time_limit: Duration::from_secs(30) },
        Plan { warmup: 100_000, round_trips: 1_000_000, time_limit: Duration::from_secs(120) },
    );
    let variants = variants();
    let rounds = rounds(ctx);
    let per_round = Plan { round_trips: plan.round_trips / rounds, ..plan };
    // Per variant: the merged histogram and the nanoseconds per unit of its values (TSC
    // ticks for the Rust variants, nanoseconds for Java's), or `None` once it failed.
    let mut merged: Vec<Option<(Histogram<u64>, f64)>> = Vec::new();
    #[cfg(feature = "java")]
    let java = super::aeron_java::JavaIpc::prepare();
    for variant in &variants {
        let unit = if matches!(variant, Variant::Java) { 1.0 } else { ctx.ns_per_tick };
        merged.push(Some((histogram(), unit)));
        #[cfg(feature = "java")]
        if let (Variant::Java, Err(e)) = (variant, &java) {
            results.notes.push(format!("scenario 7, {}: not run: {e}", variant.name()));
            merged.last_mut().expect("pushed").take();
        }
    }
    let mut p50s: Vec<Vec<f64>> = Vec::new();
    for round in 1..=rounds {
        let mut p50 = vec![f64::NAN; variants.len()];
        for (i, variant) in variants.iter().enumerate() {
            let name = variant.name();
            progress.step(&format!("7 Aeron IPC ping-pong: {name}, round {round}/{rounds}"));
            let Some((_, unit)) = merged[i] else { continue };
            let h = match variant {
                Variant::Rusteron => rusteron_style(per_round, Route::IPC).map(|m| m.rtts),
                Variant::Dutycycle(cadences) => {
                    dutycycle_style(per_round, Route::IPC, *cadences, no_hook).map(|m| m.rtts)
                }
                #[cfg(feature = "java")]
                Variant::Java => match &java {
                    Ok(java) => java.run(per_round),
                    Err(e) => Err(e.to_string().into()),
                },
                #[cfg(not(feature = "java"))]
                Variant::Java => Err("built without feature `java`".into()),
            };
            match h {
                Ok(h) => {
                    p50[i] = h.value_at_quantile(0.5) as f64 * unit;
                    if let Some((all, _)) = merged[i].as_mut() {
                        all.add(h).expect("same bounds");
                    }
                }
                Err(e) => {
                    results.notes.push(format!("scenario 7, {name}: failed: {e}"));
                    merged[i] = None;
                }
            }
        }
        p50s.push(p50);
    }
    let names: Vec<&str> = variants.iter().map(|v| v.name()).collect();
    results.notes.push(format!(
        "scenario 7 round-trip p50 per round ({}), ns: {}",
        names.join("; "),
        p50s.iter()
            .map(|r| format!("[{}]", r.iter().map(|p| format!("{p:.0}")).collect::<Vec<_>>().join(", ")))
            .collect::<Vec<_>>()
            .join(" ")
    ));
    let mut lat: Vec<Option<Latency>> = Vec::new();
    for (variant, h) in variants.iter().zip(&merged) {
        let Some((h, unit)) = h else {
            lat.push(None);
            continue;
        };
        let l = Latency::from_histogram(h, *unit);
        results.distributions.push(Distribution {
            scenario: 7,
            group: "aeron".into(),
            name: variant.name().into(),
            latency: l.clone(),
            cpu_percent: None,
            baseline: !matches!(variant, Variant::Dutycycle(_)),
        });
        lat.push(Some(l));
    }
    if let Some(base) = lat[0].clone() {
        for (i, label, targets) in [(1, "every cycle", false), (2, "default cadence", true)] {
            let Some(l) = &lat[i] else { continue };
            let target =
                |row: Row, ratio: f64| if targets { row.target(Target::RatioAtMost(ratio)) } else { row };
            results.rows.push(target(
                Row::new(7, format!("Aeron IPC RTT p50, dutycycle ({label})"), l.p50, Unit::Ns)
                    .vs("rusteron style p50", base.p50),
                1.0,
            ));
            results.rows.push(target(
                Row::new(7, format!("Aeron IPC RTT p99.9, dutycycle ({label})"), l.p999, Unit::Ns)
                    .vs("rusteron style p99.9", base.p999),
                1.0,
            ));
            results.rows.push(target(
                Row::new(7, format!("Aeron IPC RTT p99.99, dutycycle ({label})"), l.p9999, Unit::Ns)
                    .vs("rusteron style p99.99", base.p9999),
                0.5,
            ));
        }
    }
    if let Some(Some(java)) = lat.get(3) {
        if let Some(ours) = &lat[2] {
            results.rows.push(
                Row::new(
                    7,
                    "Aeron IPC RTT p50, dutycycle (default cadence) vs Java Aeron",
                    ours.p50,
                    Unit::Ns,
                )
                .vs("Java Aeron p50", java.p50)
                .target(Target::RatioAtMost(0.8)),
            );
            results.rows.push(
                Row::new(
                    7,
                    "Aeron IPC RTT p99.9, dutycycle (default cadence) vs Java Aeron",
                    ours.p999,
                    Unit::Ns,
                )
                .vs("Java Aeron p99.9", java.p999),
            );
        }
        if let Some(rusteron) = &lat[0] {
            results.rows.push(
                Row::new(7, "Aeron IPC RTT p50, rusteron style vs Java Aeron", rusteron.p50, Unit::Ns)
                    .vs("Java Aeron p50", java.p50),
            );
        }
    }
}
