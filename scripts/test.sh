#!/usr/bin/env bash
# Every check, from a fresh Debian machine: installs what it needs, then rustfmt, clippy
# (warnings are errors), rustdoc (warnings are errors), every test and doctest of the
# workspace, and the loom model checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh

step() { printf '\n=== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "rustdoc"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --all-features

step "tests and doctests"
cargo test --workspace --all-features

if [ -f crates/dutycycle/src/loom_tests.rs ]; then
    step "loom model checks"
    bash scripts/loom.sh
fi
