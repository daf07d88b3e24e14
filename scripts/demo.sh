#!/usr/bin/env bash
# The main demo, from a fresh Debian machine: installs what it needs, builds, runs the Aeron
# gateway (embedded media driver; AERON_DIR=<dir> uses a running one) for 10 s, through two
# failovers of its service. Extra arguments go to the gateway (try --help; --run-time 0 runs
# until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
cargo run --release -p dutycycle-examples --features aeron --example gateway -- --embedded "$@"
