//! Scenario 10: Aeron UDP loopback ping-pong on the machine's two vCPUs, 32-byte messages.
//!
//! The same two programs as scenario 7 ([`super::aeron`]), on `aeron:udp` channels to
//! `localhost` instead of `aeron:ipc`, so that the media driver's sender and receiver carry
//! every message:
//!
//! - **rusteron's own style** (the baseline): the embedded C driver on threads of its own, two
//!   clients with conductor threads, ping and pong spinning on unpinned threads: seven threads,
//!   three of them spinning, on two vCPUs;
//! - **dutycycle**: ping an `AeronAgent` pinned to CPU 0; pong an `AeronAgent` composed with the
//!   `MediaDriverAgent` (SHARED mode: conductor, sender and receiver in its duty cycle) on the
//!   other CPU. The conductors on `AeronAgent`'s default cadence; the driver on every duty
//!   cycle, since over UDP its duty is the data path.
//!
//! Each is bounded by a time limit: ping stops there and the table reports what completed.

use std::time::Duration;

use super::aeron::{dutycycle_style, no_hook, rusteron_style, Cadences, Measured, Plan, Route};
use super::Ctx;
use crate::latency::Latency;
use crate::progress::Progress;
use crate::report::{Distribution, Results, Row, Target, Unit};
use dutycycle_aeron::DutyCadence;

/// Ping to pong on one port, pong to ping on the next.
const ROUTE: Route =
    Route { ping: "aeron:udp?endpoint=localhost:40502", pong: "aeron:udp?endpoint=localhost:40503" };

/// The dutycycle variant's cadences.
const CADENCES: Cadences =
    Cadences { conductor: DutyCadence::CLIENT_DEFAULT, driver: DutyCadence::EVERY_CYCLE };

/// Progress steps.
pub fn steps(_ctx: &Ctx) -> usize {
    2
}

/// Runs scenario 10.
pub fn run(ctx: &Ctx, progress: &mut Progress, results: &mut Results) {
    let plan = ctx.mode.pick(
        Plan { warmup: 5_000, round_trips: 50_000, time_limit: Duration::from_secs(10) },
        Plan { warmup: 20_000, round_trips: 200_000, time_limit: Duration::from_secs(120) },
    );
    let mut lat: Vec<Option<Latency>> = Vec::new();
    // Per variant: the time per completed round trip, warm-up included (ping's wall time
    // divided by the round trips it completed), a figure even a variant that measured none has.
    let mut means: Vec<Option<f64>> = Vec::new();
    let variants = [
        ("rusteron's own style (unpinned loops, driver threads)", true),
        ("dutycycle agents: ping; pong + driver on one core", false),
    ];
    for (name, baseline) in variants {
        progress.step(&format!("10 Aeron UDP ping-pong: {name}"));
        let h = if baseline {
            rusteron_style(plan, ROUTE)
        } else {
            dutycycle_style(plan, ROUTE, CADENCES, no_hook)
        };
        match h {
            Ok(Measured { rtts: h, completed, elapsed }) => {
                results.notes.push(format!(
                    "scenario 10, {name}: {completed} of {} round trips ({} of warm-up, then {} measured) \
                     completed in {:.1} s (time limit {:?})",
                    plan.warmup + plan.round_trips,
                    plan.warmup,
                    plan.round_trips,
                    elapsed.as_secs_f64(),
                    plan.time_limit
                ));
                means.push((completed > 0).then(|| elapsed.as_secs_f64() * 1e9 / completed as f64));
                if h.is_empty() {
                    lat.push(None);
                    continue;
                }
                let l = Latency::from_histogram(&h, ctx.ns_per_tick);
                results.distributions.push(Distribution {
                    scenario: 10,
                    group: "aeron-udp".into(),
                    name: name.into(),
                    latency: l.clone(),
                    cpu_percent: None,
                    baseline,
                });
                lat.push(Some(l));
            }
            Err(e) => {
                results.notes.push(format!("scenario 10, {name}: failed: {e}"));
                lat.push(None);
                means.push(None);
            }
        }
    }
    match (&lat[0], &lat[1]) {
        (Some(base), Some(ours)) => {
            results.rows.push(
                Row::new(10, "Aeron UDP RTT p50, dutycycle", ours.p50, Unit::Ns)
                    .vs("rusteron style p50", base.p50)
                    .target(Target::RatioAtMost(0.5)),
            );
            results.rows.push(
                Row::new(10, "Aeron UDP RTT p99, dutycycle", ours.p99, Unit::Ns)
                    .vs("rusteron style p99", base.p99),
            );
            results.rows.push(
                Row::new(10, "Aeron UDP RTT p99.9, dutycycle", ours.p999, Unit::Ns)
                    .vs("rusteron style p99.9", base.p999),
            );
        }
        (None, Some(ours)) => {
            results.rows.push(Row::new(
                10,
                "Aeron UDP RTT p50, dutycycle (rusteron style measured none: see the notes)",
                ours.p50,
                Unit::Ns,
            ));
        }
        _ => {}
    }
    if let (Some(base), Some(ours)) = (means[0], means[1]) {
        results.rows.push(
            Row::new(10, "Aeron UDP wall time per completed round trip, dutycycle", ours, Unit::Ns)
                .vs("rusteron style", base),
        );
    }
}
