//! The benchmarks of dutycycle: a latency harness (`benches/benches/harness.rs`) and
//! criterion micro-benchmarks (`benches/benches/micro.rs`), with what they share.
//!
//! Every scenario measures its baseline in the same run, on the same pinned CPUs, so that
//! ratios are comparable even when the host moves the vCPUs around between runs. Latencies go
//! into HdrHistograms (warm-up excluded); low-rate senders are timed from the *scheduled* send
//! time (no coordinated omission). See `docs/BENCHMARKS.md`.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod clock;
pub mod cpu;
pub mod java;
pub mod latency;
pub mod progress;
pub mod report;
pub mod scenarios;
pub mod strategy;
pub mod svg;

/// How long the harness runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Under a minute: fewer samples, for development.
    Quick,
    /// Under ten minutes: the recorded run.
    Full,
}

impl Mode {
    /// `quick` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Full => "full",
        }
    }

    /// The mode from `DUTYCYCLE_BENCH_MODE` (`quick` or `full`), full when unset.
    pub fn from_env() -> Mode {
        match std::env::var("DUTYCYCLE_BENCH_MODE").as_deref() {
            Ok("quick") => Mode::Quick,
            _ => Mode::Full,
        }
    }

    /// `quick` in quick mode, `full` otherwise.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        match self {
            Mode::Quick => quick,
            Mode::Full => full,
        }
    }
}

/// The two CPUs every scenario runs on (this machine kind has exactly two vCPUs).
pub const CPU_A: usize = 0;
/// See [`CPU_A`].
pub const CPU_B: usize = 1;
