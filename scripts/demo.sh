#!/usr/bin/env bash
# The main demo, from a fresh Debian machine: installs what it needs, builds, runs.
# Extra arguments go to the demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
cargo run --release -p dutycycle-examples --example pipeline -- --seconds 5 "$@"
