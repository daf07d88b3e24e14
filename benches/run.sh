#!/usr/bin/env bash
# Runs every dutycycle benchmark: the criterion micro-benchmarks (scenario 8), then the latency
# harness (scenarios 1-7), which prints the results table on stdout and writes JSON, the table
# and SVG plots to target/bench/.
#
#   benches/run.sh [quick|full] [--record] [--aeron]
#
#   quick     under a minute (after the build): fewer samples, for development
#   full      under ten minutes (the default): the run recorded in docs/BENCHMARKS.md
#   --record  also copy the JSON, table and plots to docs/bench/
#   --aeron   also build and run scenario 7 (needs the C toolchain: see docs/BENCHMARKS.md)
#
# Criterion's own report and the progress display go to stderr; the table goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
harness_args=()
features=()
for arg in "$@"; do
    case "$arg" in
        quick | full) mode="$arg" ;;
        --record) harness_args+=(--record) ;;
        --aeron) features=(--features aeron) ;;
        *)
            echo "usage: benches/run.sh [quick|full] [--record] [--aeron]" >&2
            exit 2
            ;;
    esac
done
export DUTYCYCLE_BENCH_MODE="$mode"

echo "== load before: $(cat /proc/loadavg)" >&2
cargo bench -p dutycycle-benches "${features[@]}" --bench micro >&2
cargo bench -p dutycycle-benches "${features[@]}" --bench harness -- "--$mode" "${harness_args[@]}"
