//! Scenario 7: Aeron IPC ping-pong with 32-byte messages.
//!
//! - **rusteron's own style** (the baseline), as in rusteron's `embedded_ping_pong` example:
//!   an embedded media driver on threads of its own (`EmbeddedDriver`, non-sparse term
//!   buffers), two clients each with Aeron's own conductor thread, and hand-written spin
//!   loops for ping and pong on unpinned threads; pong echoes with `try_claim`.
//! - **dutycycle**: ping is an agent pinned to CPU 0; pong is an agent composed with the
//!   media driver (`MediaDriverAgent`, SHARED threading mode: conductor, sender and receiver
//!   in its duty cycle) on CPU 1; both clients run their conductor inside their agent's duty
//!   cycle (`ConductorMode::Invoker`). Once as `AeronAgent` would (conductor and driver every
//!   duty cycle), once tuned (conductor and driver every 64th duty cycle).
//!
//! The data path is the same in all three: ping stamps the TSC, offers 32 bytes on stream
//! 1002, pong polls its image and echoes on stream 1003, ping polls its image until the
//! echo's position and stamps the TSC again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError, AgentRunner, BusySpinIdleStrategy, CompositeAgent};
use dutycycle_aeron::{
    AeronClient, Channel, ClientConfig, ExclusivePublicationSlot, MediaDriverAgent, MediaDriverConfig,
    PublicationSlot, SubscriptionSlot,
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
struct Plan {
    warmup: u64,
    round_trips: u64,
}

/// An error of the scenario's set-up.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Called on each agent's own thread with `true` when its measured phase starts (warm-up over)
/// and `false` when it ends: the zero-allocation test counts allocations in between.
pub type PhaseHook = fn(bool);

fn no_hook(_: bool) {}

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

/// rusteron's own style: see the module docs.
fn rusteron_style(plan: Plan) -> Result<Histogram<u64>, Failure> {
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
                .async_add_exclusive_publication(&cformat!("aeron:ipc"), PONG_STREAM)?
                .poll_blocking(Duration::from_secs(10))?;
            let subscription = aeron
                .async_add_subscription(&cformat!("aeron:ipc"), PING_STREAM, Handlers::NONE, Handlers::NONE)?
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
    let ping = (|| -> Result<Histogram<u64>, Failure> {
        let aeron = Aeron::new(&client_context(&dir)?)?;
        aeron.start()?;
        let publication = aeron
            .async_add_exclusive_publication(&cformat!("aeron:ipc"), PING_STREAM)?
            .poll_blocking(Duration::from_secs(10))?;
        let subscription = aeron
            .async_add_subscription(&cformat!("aeron:ipc"), PONG_STREAM, Handlers::NONE, Handlers::NONE)?
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
        for i in 0..plan.warmup + plan.round_trips {
            let t0 = ticks();
            let position = loop {
                match publication.offer(&buffer) {
                    Ok(position) => break position,
                    Err(e) if e.is_retryable() => std::hint::spin_loop(),
                    Err(e) => return Err(e.into()),
                }
            };
            while image.position() < position {
                if image.poll_fn(|_, _| {}, FRAGMENT_LIMIT)? == 0 {
                    std::hint::spin_loop();
                }
            }
            let t1 = ticks();
            if i >= plan.warmup {
                record(&mut h, t1 - t0);
            }
        }
        Ok(h)
    })();
    running.store(false, Ordering::Release);
    pong.join().map_err(|_| "pong thread panicked")??;
    drop(driver);
    ping
}

/// Calls the inner agent's `do_work` on one duty cycle in `mask + 1` (a power of two).
struct Every<A> {
    inner: A,
    mask: u64,
    cycle: u64,
}

impl<A: Agent> Agent for Every<A> {
    fn on_start(&mut self) -> Result<(), AgentError> {
        self.inner.on_start()
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        self.cycle += 1;
        if self.cycle & self.mask == 0 {
            self.inner.do_work()
        } else {
            Ok(0)
        }
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        self.inner.on_close()
    }

    fn role_name(&self) -> &str {
        self.inner.role_name()
    }
}

/// What ping and pong agents share: a client whose conductor they invoke, a publication and a
/// subscription, and the image once both directions are connected.
struct Endpoint {
    client: AeronClient,
    out: ExclusivePublicationSlot,
    input: SubscriptionSlot,
    image: Option<AeronImage>,
    conductor_mask: u64,
    cycle: u64,
}

impl Endpoint {
    fn connect(
        config: &ClientConfig,
        out_stream: i32,
        in_stream: i32,
        conductor_mask: u64,
    ) -> Result<Self, AgentError> {
        let client = AeronClient::connect(config)?;
        let mut out = PublicationSlot::exclusive(Channel::ipc(), out_stream);
        let mut input = SubscriptionSlot::new(Channel::ipc(), in_stream);
        out.add(&client)?;
        input.add(&client)?;
        Ok(Endpoint { client, out, input, image: None, conductor_mask, cycle: 0 })
    }

    /// The conductor's turn (every `conductor_mask + 1` cycles) and, until connected, the
    /// slots' turn. Returns the work done and the image once ready.
    #[inline]
    fn turn(&mut self) -> Result<(usize, bool), AgentError> {
        self.cycle += 1;
        let mut work = 0;
        if self.cycle & self.conductor_mask == 0 {
            work += self.client.do_work()?;
        }
        if self.image.is_none() {
            work += self.out.poll()? + self.input.poll()?;
            if self.out.is_connected() {
                self.image = self.input.get().and_then(|s| s.image_at_index(0));
            }
            return Ok((work, false));
        }
        Ok((work, true))
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
    hist: Histogram<u64>,
    result: Arc<Mutex<Option<Histogram<u64>>>>,
}

impl Agent for Ping {
    fn role_name(&self) -> &str {
        "ping"
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
        let (mut work, ready) = self.end.turn()?;
        if !ready {
            return Ok(work);
        }
        let image = self.end.image.as_ref().expect("ready");
        if let Some(position) = self.position {
            work += usize::try_from(image.poll_fn(|_, _| {}, FRAGMENT_LIMIT)?).unwrap_or(0);
            if image.position() < position {
                return Ok(work);
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
                *self.result.lock().expect("slot") = Some(self.hist.clone());
                return Err(AgentError::terminate());
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

    fn on_close(&mut self) -> Result<(), AgentError> {
        self.end.close()
    }
}

struct Pong {
    end: Endpoint,
    plan: Plan,
    hook: PhaseHook,
    echoed: u64,
}

impl Agent for Pong {
    fn role_name(&self) -> &str {
        "pong"
    }

    #[inline]
    fn do_work(&mut self) -> Result<usize, AgentError> {
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

    fn on_close(&mut self) -> Result<(), AgentError> {
        self.end.close()
    }
}

/// The dutycycle ping-pong (see the module docs) with `round_trips` measured after `warmup`,
/// the conductors and the driver run every `mask + 1` duty cycles, and `hook` called on both
/// agent threads around the measured phase. Returns the round trips in TSC ticks.
///
/// # Errors
///
/// A runner or Aeron set-up that failed.
pub fn ping_pong_through_dutycycle(
    warmup: u64,
    round_trips: u64,
    mask: u64,
    hook: PhaseHook,
) -> Result<Histogram<u64>, Failure> {
    dutycycle_style(Plan { warmup, round_trips }, mask, hook)
}

/// dutycycle: see the module docs. `mask`: conductors and driver run every `mask + 1` cycles.
fn dutycycle_style(plan: Plan, mask: u64, hook: PhaseHook) -> Result<Histogram<u64>, Failure> {
    let driver_config = MediaDriverConfig::new().term_buffer_sparse_file(false);
    let client_config = ClientConfig::new().dir(driver_config.aeron_dir()).pre_touch_mapped_memory(true);
    let pong_config = client_config.clone();
    let pong =
        AgentRunner::builder().name("pong+driver").core(CPU_B).idle_strategy(BusySpinIdleStrategy).start(
            move || {
                // The driver first, so that the client can connect; listed last, so it closes last.
                let driver = Every { inner: MediaDriverAgent::launch(driver_config)?, mask, cycle: 0 };
                let end = Endpoint::connect(&pong_config, PONG_STREAM, PING_STREAM, mask)?;
                let pong = Pong { end, plan, hook, echoed: 0 };
                let agents: Vec<Box<dyn Agent>> = vec![Box::new(pong), Box::new(driver)];
                Ok(CompositeAgent::new(agents))
            },
        )?;
    let result = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&result);
    let ping = AgentRunner::builder().name("ping").core(CPU_A).idle_strategy(BusySpinIdleStrategy).start(
        move || {
            Ok(Ping {
                end: Endpoint::connect(&client_config, PING_STREAM, PONG_STREAM, mask)?,
                plan,
                hook,
                buffer: [7u8; MESSAGE_LENGTH],
                position: None,
                t0: 0,
                done: 0,
                hist: histogram(),
                result: slot,
            })
        },
    )?;
    let ping_report = ping.join();
    let pong_report = pong.close();
    ping_report?;
    pong_report?;
    let h = result.lock().expect("slot").take().ok_or("ping did not finish")?;
    Ok(h)
}

/// Runs scenario 7.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let plan = ctx.mode.pick(
        Plan { warmup: 20_000, round_trips: 200_000 },
        Plan { warmup: 100_000, round_trips: 1_000_000 },
    );
    let variants: [(&str, bool, Option<u64>); 3] = [
        ("rusteron's own style (unpinned loops, driver threads)", true, None),
        ("dutycycle agents, conductors + driver every cycle", false, Some(0)),
        ("dutycycle agents, conductors + driver every 64th cycle", false, Some(63)),
    ];
    let rounds = rounds(ctx);
    let per_round = Plan { warmup: plan.warmup, round_trips: plan.round_trips / rounds };
    let mut merged: Vec<Option<Histogram<u64>>> =
        vec![Some(histogram()), Some(histogram()), Some(histogram())];
    let mut p50s: Vec<[f64; 3]> = Vec::new();
    for round in 1..=rounds {
        let mut p50 = [f64::NAN; 3];
        for (i, (name, _, mask)) in variants.iter().enumerate() {
            progress.step(&format!("7 Aeron IPC ping-pong: {name}, round {round}/{rounds}"));
            if merged[i].is_none() {
                continue;
            }
            let h = match mask {
                None => rusteron_style(per_round),
                Some(mask) => dutycycle_style(per_round, *mask, no_hook),
            };
            match h {
                Ok(h) => {
                    p50[i] = h.value_at_quantile(0.5) as f64 * ctx.ns_per_tick;
                    if let Some(all) = merged[i].as_mut() {
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
    results.notes.push(format!(
        "scenario 7 round-trip p50 per round (rusteron style, every cycle, every 64th cycle), ns: {}",
        p50s.iter().map(|r| format!("[{:.0}, {:.0}, {:.0}]", r[0], r[1], r[2])).collect::<Vec<_>>().join(" ")
    ));
    let mut lat: Vec<Option<Latency>> = Vec::new();
    for ((name, baseline, _), h) in variants.iter().zip(&merged) {
        let Some(h) = h else {
            lat.push(None);
            continue;
        };
        let l = Latency::from_histogram(h, ctx.ns_per_tick);
        results.distributions.push(Distribution {
            scenario: 7,
            group: "aeron".into(),
            name: (*name).into(),
            latency: l.clone(),
            cpu_percent: None,
            baseline: *baseline,
        });
        lat.push(Some(l));
    }
    let Some(base) = lat[0].clone() else { return };
    for (i, label) in [(1, "every cycle"), (2, "every 64th cycle")] {
        let Some(l) = &lat[i] else { continue };
        results.rows.push(
            Row::new(7, format!("Aeron IPC RTT p50, dutycycle ({label})"), l.p50, Unit::Ns)
                .vs("rusteron style p50", base.p50)
                .target(Target::RatioAtMost(1.05)),
        );
        results.rows.push(
            Row::new(7, format!("Aeron IPC RTT p99.99, dutycycle ({label})"), l.p9999, Unit::Ns)
                .vs("rusteron style p99.99", base.p9999)
                .target(Target::RatioAtMost(0.5)),
        );
        results.rows.push(
            Row::new(7, format!("Aeron IPC RTT p99.9, dutycycle ({label})"), l.p999, Unit::Ns)
                .vs("rusteron style p99.9", base.p999),
        );
    }
}
