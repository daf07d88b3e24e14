#!/usr/bin/env bash
# Runs every dutycycle benchmark: the criterion micro-benchmarks (scenario 8), then the latency
# harness (scenarios 1-7, 9 and 10), which prints the results table on stdout and writes JSON, the
# table and SVG plots to target/bench/.
#
#   benches/run.sh [quick|full] [--record] [--aeron] [--java] [--cluster] [--only LIST]
#
#   quick       under a minute (after the build): fewer samples, for development
#   full        under ten minutes (the default): the run recorded in docs/BENCHMARKS.md
#   --record    also copy the JSON, table and plots to docs/bench/
#   --aeron     also build and run scenarios 7 and 10, Aeron IPC and UDP ping-pong (needs the C
#               toolchain: see docs/BENCHMARKS.md)
#   --java      also run the Java peers in the same run: Agrona's AgentRunner beside scenario 2,
#               and (with --aeron) Java Aeron's IPC ping-pong beside scenario 7 (a JDK, and
#               AGRONA_JAR and AERON_ALL_JAR from scripts/setup.sh and scripts/env.sh)
#   --cluster   also build and run scenario 9, round trips through a real 3-node Aeron Cluster
#               against Java's client (the C toolchain, a JDK and AERON_ALL_JAR from
#               scripts/setup.sh; a few minutes)
#   --only LIST only these scenarios (comma-separated numbers, e.g. `--only 9`); the criterion
#               micro-benchmarks run only when 8 is listed
#
# Criterion's own report and the progress display go to stderr; the table goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
# PATH for cargo and CMake, and the jars scripts/setup.sh fetched (AERON_ALL_JAR, AGRONA_JAR).
. scripts/env.sh

mode=full
harness_args=()
features=()
only=""
usage="usage: benches/run.sh [quick|full] [--record] [--aeron] [--java] [--cluster] [--only LIST]"
while [ $# -gt 0 ]; do
    case "$1" in
        quick | full) mode="$1" ;;
        --record) harness_args+=(--record) ;;
        --aeron) features+=(aeron) ;;
        --java) features+=(java) ;;
        --cluster) features+=(cluster) ;;
        --only)
            [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
            only="$2"
            harness_args+=(--only "$2")
            shift
            ;;
        *)
            echo "$usage" >&2
            exit 2
            ;;
    esac
    shift
done
export DUTYCYCLE_BENCH_MODE="$mode"
feature_args=()
if [ ${#features[@]} -gt 0 ]; then
    feature_args=(--features "$(IFS=,; echo "${features[*]}")")
fi

# Every loop starts at a 64-byte line, dutycycle's and the harness's alike: the speed of a loop
# as small as scenario 3's hand-written one (25 bytes) otherwise depends on where the linker puts
# it, by up to 2x from one build to the next. In a target directory of its own, so that this
# build and an ordinary one do not rebuild each other (the results still go to target/bench/,
# under CARGO_TARGET_DIR when it is set).
export RUSTFLAGS="${RUSTFLAGS:-} -C llvm-args=-align-loops=64"
build_dir=(--target-dir "${CARGO_TARGET_DIR:-target}/bench-aligned")

echo "== load before: $(cat /proc/loadavg)" >&2
if [ -z "$only" ] || [[ ",$only," == *",8,"* ]]; then
    cargo bench "${build_dir[@]}" -p dutycycle-benches "${feature_args[@]}" --bench micro >&2
fi
cargo bench "${build_dir[@]}" -p dutycycle-benches "${feature_args[@]}" --bench harness -- "--$mode" "${harness_args[@]}"
