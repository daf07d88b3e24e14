#!/usr/bin/env bash
# Determinism check: runs the README's test command (scripts/test.sh) N times, each from a
# fresh clone of this repository's HEAD in a temporary directory, and prints how many passed.
#
#   bash scripts/repeat-tests.sh [N]     (default 20)
#
# Every clone is made at the same path and shares one target directory (target/repeat, kept
# between runs), so only the first run builds from scratch and the target directory does not
# grow with each run (a clone at a new path would add a full set of the workspace's artifacts
# every time); the clone is removed after each run. Each run's log is kept under
# target/repeat-logs/ when it fails. Exits non-zero unless every run passed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
case "$runs" in '' | *[!0-9]*) echo "usage: scripts/repeat-tests.sh [N]" >&2; exit 2 ;; esac
repo="$(pwd)"
export CARGO_TARGET_DIR="$repo/target/repeat"
logs="$repo/target/repeat-logs"
mkdir -p "$logs"
passed=0
failed=0
for i in $(seq 1 "$runs"); do
    clone="${TMPDIR:-/tmp}/dutycycle-repeat-clone"
    rm -rf "$clone"
    git clone --quiet "$repo" "$clone"
    start=$(date +%s)
    if (cd "$clone" && bash scripts/test.sh) >"$logs/run-$i.log" 2>&1; then
        passed=$((passed + 1))
        rm -f "$logs/run-$i.log"
        echo "run $i/$runs: passed in $(($(date +%s) - start)) s"
    else
        failed=$((failed + 1))
        echo "run $i/$runs: FAILED in $(($(date +%s) - start)) s (log: $logs/run-$i.log)"
    fi
    rm -rf "$clone"
done
echo "repeat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
