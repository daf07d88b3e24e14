#!/usr/bin/env bash
# Model checks with loom: the crate built with `--cfg loom` (its atomics, locks, parks and
# unparks swapped for loom's), and the `loom_*` tests, which explore every interleaving.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# Preemption bound 3, as tokio and crossbeam run loom in CI: the races here need at most 2.
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
RUSTFLAGS="${RUSTFLAGS:-} --cfg loom" CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/loom" \
    cargo test -p dutycycle --lib --release -- loom_ "$@"
