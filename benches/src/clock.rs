//! Clocks: the time-stamp counter for nanosecond round trips on one thread, and
//! `CLOCK_MONOTONIC` for times compared across threads.

use std::time::{Duration, Instant};

/// Reads the CPU's time-stamp counter (constant and invariant on this machine kind), or the
/// monotonic clock in nanoseconds where there is none.
///
/// An `LFENCE` goes first: without it the CPU may read the counter speculatively, before the
/// compare-and-swap whose success it is meant to time has completed (round trips of 10 ns
/// were seen that way).
#[inline(always)]
pub fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: LFENCE and RDTSC have no preconditions; both exist on every x86_64 CPU.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_mm_lfence();
            core::arch::x86_64::_rdtsc()
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        monotonic_ns()
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds: comparable across threads and CPUs.
#[inline]
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Nanoseconds per [`ticks`] unit, measured against the monotonic clock over `span`.
pub fn calibrate(span: Duration) -> f64 {
    if cfg!(not(target_arch = "x86_64")) {
        return 1.0;
    }
    let (i0, t0) = (Instant::now(), ticks());
    std::thread::sleep(span);
    let (i1, t1) = (Instant::now(), ticks());
    (i1 - i0).as_nanos() as f64 / (t1 - t0) as f64
}

/// Sleeps until the monotonic clock reads `deadline_ns` (absolute `clock_nanosleep`, which
/// does not drift when woken late).
pub fn sleep_until_ns(deadline_ns: u64) {
    let ts = libc::timespec {
        tv_sec: (deadline_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (deadline_ns % 1_000_000_000) as libc::c_long,
    };
    loop {
        // SAFETY: `ts` is a valid timespec; a null remainder is allowed with TIMER_ABSTIME.
        let rc = unsafe {
            libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &ts, std::ptr::null_mut())
        };
        if rc != libc::EINTR {
            return;
        }
    }
}

/// Core clocks that one [`core_clock_probe`] takes, whatever the core's frequency.
pub const PROBE_CLOCKS: u64 = PROBE_PASSES * PROBE_ADDS_PER_PASS;
const PROBE_PASSES: u64 = 256;
const PROBE_ADDS_PER_PASS: u64 = 64;

/// Spends [`PROBE_CLOCKS`] core clocks: a chain of dependent additions of a register, one clock
/// each on any x86_64 core (an immediate would not do: recent Intel cores fold chains of
/// immediate additions when renaming, several per clock). Timed with [`ticks`] on both sides,
/// it gives the core's clock in ticks at that moment, which this guest cannot read from
/// performance counters: the host changes it in steps of a few percent. Elsewhere it returns
/// at once (the clock is then taken as one per tick).
#[inline(never)]
pub fn core_clock_probe() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: plain register arithmetic and a local loop; no memory, stack or flags are relied
    // on outside the block.
    unsafe {
        core::arch::asm!(
            "2:",
            ".rept {adds}",
            "add {chain}, {step}",
            ".endr",
            "dec {passes}",
            "jnz 2b",
            chain = inout(reg) 0u64 => _,
            step = in(reg) 1u64,
            passes = inout(reg) PROBE_PASSES => _,
            adds = const PROBE_ADDS_PER_PASS,
            options(nomem, nostack),
        );
    }
}

/// Core clocks per tick, from a [`core_clock_probe`] that took `probe_ticks`.
pub fn clocks_per_tick(probe_ticks: u64) -> f64 {
    if cfg!(target_arch = "x86_64") && probe_ticks > 0 {
        PROBE_CLOCKS as f64 / probe_ticks as f64
    } else {
        1.0
    }
}
