//! A pinned pipeline: producer -> transformer -> consumer through single-producer
//! single-consumer queues, on two cores, with the transformer and consumer composed on one.
//!
//! ```text
//! core A: [producer] --q1--> core B: [[transformer, consumer]] (one CompositeAgent)
//! ```
//!
//! The producer paces messages at `--rate` per second and wakes the composite after each
//! batch, so the composite can back off to parking between batches and still see every batch
//! at once. The main thread prints, once a second, the messages per second and each runner's
//! duty cycles per second and idle share since the last line (`DutyCycleStats::since`); Ctrl-C
//! (or SIGTERM, or `--seconds N` running out) stops every agent, each on its own thread, and
//! the reports are printed.
//!
//! Run: `cargo run --release -p dutycycle-examples --example pipeline -- --seconds 5`
//! Options: `--rate N` (messages per second, default 200000), `--seconds N` (default: until
//! Ctrl-C), `--cores A,B` (default: the first two allowed CPUs).

use std::cell::Cell;
use std::error::Error;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dutycycle::{Agent, AgentError, AgentGroup, AgentRunner, AgentWaker, CompositeAgent, DutyCycleStats};
use rtrb::RingBuffer;

/// One message: a sequence number and when it was produced (ns since the pipeline's epoch).
#[derive(Clone, Copy)]
struct Message {
    sequence: u64,
    produced_ns: u64,
}

/// Emits messages at a fixed rate into the first queue.
struct Producer {
    out: rtrb::Producer<Message>,
    waker: Option<AgentWaker>,
    waker_slot: Arc<std::sync::OnceLock<AgentWaker>>,
    epoch: Instant,
    interval_ns: u64,
    next_sequence: u64,
}

impl Agent for Producer {
    fn role_name(&self) -> &str {
        "producer"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        let now_ns = self.epoch.elapsed().as_nanos() as u64;
        let due = now_ns / self.interval_ns;
        let mut sent = 0;
        while self.next_sequence < due && !self.out.is_full() {
            let message = Message { sequence: self.next_sequence, produced_ns: now_ns };
            self.out.push(message).map_err(|_| AgentError::msg("queue full"))?;
            self.next_sequence += 1;
            sent += 1;
        }
        if sent > 0 {
            if self.waker.is_none() {
                self.waker = self.waker_slot.get().cloned();
            }
            if let Some(waker) = &self.waker {
                waker.wake();
            }
        }
        Ok(sent)
    }
}

/// Moves messages from the first queue to the second, transforming them on the way.
struct Transformer {
    input: rtrb::Consumer<Message>,
    out: rtrb::Producer<Message>,
    moved: Rc<Cell<u64>>,
}

impl Agent for Transformer {
    fn role_name(&self) -> &str {
        "transformer"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        let mut work = 0;
        while !self.out.is_full() {
            let Ok(mut message) = self.input.pop() else { break };
            message.sequence = message.sequence.wrapping_mul(2); // the "transformation"
            self.out.push(message).map_err(|_| AgentError::msg("queue full"))?;
            work += 1;
        }
        self.moved.set(self.moved.get() + work as u64);
        Ok(work)
    }
}

/// Takes messages off the second queue, checks their order and measures their age.
struct Sink {
    input: rtrb::Consumer<Message>,
    epoch: Instant,
    expected: u64,
    received: Arc<AtomicU64>,
    latency_sum_ns: Arc<AtomicU64>,
    /// Shared with the transformer on the same thread: an `Rc`, so this composite is not
    /// `Send`, and it does not need to be.
    moved: Rc<Cell<u64>>,
}

impl Agent for Sink {
    fn role_name(&self) -> &str {
        "consumer"
    }

    fn do_work(&mut self) -> Result<usize, AgentError> {
        let mut work = 0;
        let mut latency = 0;
        while let Ok(message) = self.input.pop() {
            if message.sequence != self.expected.wrapping_mul(2) {
                return Err(AgentError::msg(format!(
                    "out of order: got {}, expected {}",
                    message.sequence / 2,
                    self.expected
                )));
            }
            self.expected += 1;
            latency += (self.epoch.elapsed().as_nanos() as u64).saturating_sub(message.produced_ns);
            work += 1;
        }
        if work > 0 {
            self.received.fetch_add(work as u64, Ordering::Relaxed);
            self.latency_sum_ns.fetch_add(latency, Ordering::Relaxed);
        }
        Ok(work)
    }

    fn on_close(&mut self) -> Result<(), AgentError> {
        println!("consumer: {} messages in order; transformer moved {}", self.expected, self.moved.get());
        Ok(())
    }
}

struct Options {
    rate: u64,
    seconds: Option<u64>,
    cores: Option<(usize, usize)>,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options { rate: 200_000, seconds: None, cores: None };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--rate" => {
                options.rate = value()?.parse().map_err(|e| format!("--rate: {e}"))?;
                if options.rate == 0 || options.rate > 50_000_000 {
                    return Err("--rate must be between 1 and 50000000".into());
                }
            }
            "--seconds" => options.seconds = Some(value()?.parse().map_err(|e| format!("--seconds: {e}"))?),
            "--cores" => {
                let v = value()?;
                let (a, b) = v.split_once(',').ok_or("--cores takes two CPUs: A,B")?;
                let parse = |s: &str| s.trim().parse::<usize>().map_err(|e| format!("--cores {s:?}: {e}"));
                options.cores = Some((parse(a)?, parse(b)?));
            }
            "-h" | "--help" => {
                println!("usage: pipeline [--rate N] [--seconds N] [--cores A,B]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = parse_options().map_err(|e| format!("pipeline: {e}"))?;
    let (core_a, core_b) = options.cores.unwrap_or_else(|| {
        let ids = dutycycle::allowed_cores().unwrap_or_default();
        let a = ids.first().copied().unwrap_or(0);
        (a, ids.get(1).copied().unwrap_or(a))
    });

    let (q1_in, q1_out) = RingBuffer::<Message>::new(4096);
    let (q2_in, q2_out) = RingBuffer::<Message>::new(4096);
    let epoch = Instant::now();
    let received = Arc::new(AtomicU64::new(0));
    let latency_sum_ns = Arc::new(AtomicU64::new(0));
    let waker_slot = Arc::new(std::sync::OnceLock::new());

    let mut group = AgentGroup::from_signals()?;
    let (r, l) = (Arc::clone(&received), Arc::clone(&latency_sum_ns));
    group.start(AgentRunner::builder().name("pipeline-b").core(core_b), move || {
        // Built here, on core B's thread: the Rc shared by the two agents never leaves it.
        let moved = Rc::new(Cell::new(0));
        let transformer = Transformer { input: q1_out, out: q2_in, moved: Rc::clone(&moved) };
        let sink = Sink { input: q2_out, epoch, expected: 0, received: r, latency_sum_ns: l, moved };
        Ok(CompositeAgent::new(vec![Box::new(transformer), Box::new(sink)]))
    })?;
    let _ = waker_slot.set(group.runners()[0].waker());
    let slot = Arc::clone(&waker_slot);
    let interval_ns = (1_000_000_000 / options.rate).max(1);
    group.start(AgentRunner::builder().name("pipeline-a").core(core_a), move || {
        Ok(Producer { out: q1_in, waker: None, waker_slot: slot, epoch, interval_ns, next_sequence: 0 })
    })?;
    println!(
        "pipeline: producer on CPU {core_a}, [transformer,consumer] on CPU {core_b}, {} msg/s",
        options.rate
    );

    let deadline = options.seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let (mut last, mut last_latency) = (0, 0);
    let mut last_stats: Vec<DutyCycleStats> = group.runners().iter().map(AgentRunner::stats).collect();
    let mut last_tick = Instant::now();
    while !group.wait_timeout(Duration::from_secs(1)) {
        let tick = Instant::now();
        let interval = tick.duration_since(last_tick);
        last_tick = tick;
        let (now, latency) = (received.load(Ordering::Relaxed), latency_sum_ns.load(Ordering::Relaxed));
        let mean_us = (latency - last_latency) as f64 / (now - last).max(1) as f64 / 1000.0;
        let messages = (now - last) as f64 / interval.as_secs_f64();
        print!("{messages:>7.0} msg/s, mean age {mean_us:.1} µs");
        last_latency = latency;
        for (runner, last_stats) in group.runners().iter().zip(&mut last_stats) {
            // Each runner's duty cycles since the last line: per second, and the idle share.
            let stats = runner.stats();
            let delta = stats.since(last_stats);
            let rates = delta.per_second(interval).unwrap_or_default();
            let idle = delta.idle_fraction().map_or("-".to_owned(), |idle| format!("{:.1}%", idle * 100.0));
            print!(
                " | {}: {:.0} cycles/s, {:.0} work/s, {idle} idle",
                runner.role(),
                rates.duty_cycles,
                rates.total_work
            );
            *last_stats = stats;
        }
        println!();
        last = now;
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    if let Some(signal) = group.termination().received_signal() {
        println!("pipeline: signal {signal}, stopping");
    }
    let mut clean = true;
    for report in group.close() {
        match report {
            Ok(report) => println!("report: {report}"),
            Err(failed) => {
                clean = false;
                println!("FAILED: {failed}");
            }
        }
    }
    if clean {
        Ok(())
    } else {
        Err("an agent failed".into())
    }
}
