//! The harness's scenarios, numbered as in docs/BENCHMARKS.md.

#[cfg(feature = "aeron")]
pub mod aeron;
#[cfg(all(feature = "aeron", feature = "java"))]
mod aeron_java;
#[cfg(feature = "aeron")]
pub mod aeron_udp;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod idle_cost;
pub mod overhead;
pub mod pingpong;
pub mod shutdown;
pub mod wakeup;

use std::sync::atomic::{AtomicBool, AtomicU64};

/// An atomic on a cache line of its own (128 bytes: the adjacent-line prefetcher pairs lines).
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Line(pub AtomicU64);

/// A flag on a cache line of its own.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Flag(pub AtomicBool);

/// What every scenario needs to know.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// Quick or full.
    pub mode: crate::Mode,
    /// Nanoseconds per TSC tick.
    pub ns_per_tick: f64,
}

/// A small deterministic pseudo-random sequence (settling times that do not beat with the
/// park periods).
#[derive(Debug)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next value in `[lo, hi)`.
    pub fn next_in(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lo + (self.0 >> 33) % (hi - lo)
    }
}
