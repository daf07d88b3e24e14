//! The clock that times duty cycles under [`Statistics::Timed`](crate::Statistics::Timed):
//! the CPU's time-stamp counter where the kernel itself keeps time with it, `CLOCK_MONOTONIC`
//! everywhere else.
//!
//! A duty cycle is read once per cycle, so the read is most of what timing costs, and a bare
//! `RDTSC` is cheaper than `clock_gettime(CLOCK_MONOTONIC)` through the vDSO, which reads the
//! counter and converts it (scenario 3 of the benchmarks prints the whole cost of a timed
//! cycle: 19.0 ns in the recorded run). The kernel reads the same counter for `CLOCK_MONOTONIC` when
//! its clock source is `tsc`, which it picks only for a counter that is invariant (constant
//! rate in every power state) and synchronised across CPUs; then reading it directly is as
//! good a clock, converted to nanoseconds with a rate measured once per process against
//! `CLOCK_MONOTONIC`.

use std::sync::OnceLock;

/// Reads ticks and turns differences of ticks into nanoseconds. `Copy`, and small: it lives
/// in the duty cycle's registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CycleClock {
    /// Whether ticks are the time-stamp counter's (else nanoseconds of `CLOCK_MONOTONIC`).
    tsc: bool,
    /// Nanoseconds per tick, as a 32.32 fixed-point number.
    ns_per_tick_fp32: u64,
}

impl CycleClock {
    /// The process's clock: calibrated on the first call (about a millisecond of reading both
    /// clocks, when the counter is used), the same value after.
    pub(crate) fn get() -> CycleClock {
        static CLOCK: OnceLock<CycleClock> = OnceLock::new();
        *CLOCK.get_or_init(|| match tsc::calibrate() {
            Some(ns_per_tick_fp32) => CycleClock { tsc: true, ns_per_tick_fp32 },
            None => CycleClock::monotonic(),
        })
    }

    /// `CLOCK_MONOTONIC`, nanoseconds as ticks.
    pub(crate) fn monotonic() -> CycleClock {
        CycleClock { tsc: false, ns_per_tick_fp32: 1 << 32 }
    }

    /// The time now, in ticks.
    #[inline(always)]
    pub(crate) fn now(self) -> u64 {
        if self.tsc {
            tsc::read()
        } else {
            monotonic_ns()
        }
    }

    /// `ticks` in nanoseconds (rounded down; saturating).
    #[inline(always)]
    pub(crate) fn nanos(self, ticks: u64) -> u64 {
        let ns = (u128::from(ticks) * u128::from(self.ns_per_tick_fp32)) >> 32;
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// `nanos` in ticks, rounded down (saturating): a threshold to compare ticks with.
    pub(crate) fn ticks(self, nanos: u64) -> u64 {
        let ticks = (u128::from(nanos) << 32) / u128::from(self.ns_per_tick_fp32.max(1));
        u64::try_from(ticks).unwrap_or(u64::MAX)
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
#[inline(always)]
fn monotonic_ns() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    // Both fields are non-negative for CLOCK_MONOTONIC.
    (now.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(now.tv_nsec as u64)
}

#[cfg(target_arch = "x86_64")]
mod tsc {
    use super::monotonic_ns;

    /// How long the calibration reads both clocks: long enough that the error of one read
    /// (tens of nanoseconds) is a few parts in a hundred thousand of it.
    const CALIBRATION_NS: u64 = 1_000_000;

    /// The time-stamp counter.
    #[inline(always)]
    pub(super) fn read() -> u64 {
        // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions.
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    /// Nanoseconds per tick as 32.32 fixed point, when the kernel keeps time with the
    /// counter (clock source `tsc`: invariant and synchronised across CPUs); `None` otherwise.
    pub(super) fn calibrate() -> Option<u64> {
        let source =
            std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
                .ok()?;
        if source.trim() != "tsc" {
            return None;
        }
        let (ns0, tsc0) = pair();
        let (ns1, tsc1) = loop {
            let (ns, tsc) = pair();
            if ns.wrapping_sub(ns0) >= CALIBRATION_NS {
                break (ns, tsc);
            }
        };
        let ticks = tsc1.checked_sub(tsc0).filter(|&t| t > 0)?;
        let fp32 = (u128::from(ns1 - ns0) << 32) / u128::from(ticks);
        u64::try_from(fp32).ok().filter(|&f| f > 0)
    }

    /// `CLOCK_MONOTONIC` and the counter at the same moment: the counter read on both sides
    /// of the clock, again until the two reads are close (no preemption in between).
    fn pair() -> (u64, u64) {
        loop {
            let before = read();
            let ns = monotonic_ns();
            let after = read();
            if after.wrapping_sub(before) < 10_000 {
                return (ns, before + (after - before) / 2);
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod tsc {
    pub(super) fn read() -> u64 {
        unreachable!("the counter is used on x86_64 only")
    }

    pub(super) fn calibrate() -> Option<u64> {
        None
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn ticks_measure_the_same_time_as_the_monotonic_clock() {
        let clock = CycleClock::get();
        let (t0, i0) = (clock.now(), Instant::now());
        std::thread::sleep(Duration::from_millis(50));
        let (t1, i1) = (clock.now(), Instant::now());
        let ns = clock.nanos(t1 - t0) as f64;
        let reference = (i1 - i0).as_nanos() as f64;
        assert!((ns / reference - 1.0).abs() < 0.01, "{ns} ns by the cycle clock, {reference} ns by Instant");
    }

    #[test]
    fn nanos_and_ticks_convert_back_and_forth() {
        let clock = CycleClock::get();
        let ticks = clock.ticks(1_000_000);
        let back = clock.nanos(ticks);
        assert!(back.abs_diff(1_000_000) <= 1_000, "{back}");
        assert_eq!(CycleClock::monotonic().ticks(5), 5);
        assert_eq!(CycleClock::monotonic().nanos(5), 5);
    }
}
