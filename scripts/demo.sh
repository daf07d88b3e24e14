#!/usr/bin/env bash
# The main demo, from a fresh Debian machine: installs what it needs, builds, starts a real
# three-node Aeron Cluster (aeron-all's EchoServiceNode, through the tests' harness), runs the
# gateway against it for 20 s, SIGKILLs the cluster's leader 5 s in, and lets the gateway
# follow the new leader, drain and print its account. The cluster is always stopped and its
# directories removed, also on Ctrl-C or an error.
#
#   bash scripts/demo.sh                  # the real cluster (Java)
#   bash scripts/demo.sh --embedded       # the simulated cluster in the process, no Java
#   bash scripts/demo.sh --rate 5000      # extra arguments go to the gateway
#   bash scripts/demo.sh --help           # the gateway's flags
#
# RUN_TIME (20) and KILL_AFTER (5, 0: never) set the run time and the leader's end, in
# seconds. Ctrl-C stops the gateway early: it drains and closes as at the end of its run.
set -euo pipefail
cd "$(dirname "$0")/.."
embedded=0
if [ "${1:-}" = "--embedded" ]; then
    embedded=1
    shift
fi
bash scripts/setup.sh
. scripts/env.sh

say() { printf 'demo: %s\n' "$*"; }
target="${CARGO_TARGET_DIR:-target}/release"
cargo build --release -p dutycycle-examples --features aeron --example gateway
for arg in "$@"; do
    case "$arg" in -h | --help) exec "$target/examples/gateway" --help ;; esac
done
if [ "$embedded" = 1 ]; then
    exec "$target/examples/gateway" --embedded "$@"
fi
cargo build --release -p dutycycle-test-support --bin cluster

run_time="${RUN_TIME:-20}"
kill_after="${KILL_AFTER:-5}"
log=$(mktemp /tmp/dutycycle-demo-cluster.XXXXXX)
cluster_pid=""
tail_pid=""
stop_cluster() {
    [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
    if [ -n "$cluster_pid" ]; then
        # The harness ends its JVMs and removes their directories on SIGTERM, then exits.
        kill -TERM "$cluster_pid" 2>/dev/null || true
        for _ in $(seq 600); do
            kill -0 "$cluster_pid" 2>/dev/null || break
            sleep 0.1
        done
        wait "$cluster_pid" 2>/dev/null || true
    fi
    rm -f "$log"
}
trap stop_cluster EXIT

kill_flag=()
if [ "$kill_after" != 0 ]; then kill_flag=(--kill-leader-after "$kill_after"); fi
say "starting a three-node Aeron Cluster (aeron-all's EchoServiceNode) on 127.0.0.1"
# A session of its own: Ctrl-C reaches the gateway, which drains against a cluster that is
# still there, and this script, which stops the cluster afterwards.
setsid "$target/cluster" start "${kill_flag[@]}" >"$log" 2>&1 &
cluster_pid=$!
tail -n +1 -f "$log" | sed -u 's/^/cluster: /' &
tail_pid=$!
until grep -q '^ready ' "$log"; do
    if ! kill -0 "$cluster_pid" 2>/dev/null; then
        wait "$cluster_pid" || true
        cluster_pid=""
        say "the cluster did not start"
        exit 1
    fi
    sleep 0.1
done
endpoints=$(awk '$1 == "endpoints" { print $2 }' "$log")
if [ "$kill_after" != 0 ]; then
    say "running the gateway for ${run_time} s; the cluster's leader is SIGKILLed after ${kill_after} s"
else
    say "running the gateway for ${run_time} s"
fi
status=0
# From here on Ctrl-C is the gateway's alone (it drains, then exits): this script goes on to
# stop the cluster after it.
trap '' INT
"$target/examples/gateway" --cluster-endpoints "$endpoints" --run-time "$run_time" "$@" || status=$?
# The account is the gateway's last line; the cluster stops quietly after it.
kill "$tail_pid" 2>/dev/null || true
tail_pid=""
exit "$status"
