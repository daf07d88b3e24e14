//! Benchmarks of dutycycle (see `run.rs`).
