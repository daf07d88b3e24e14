#!/usr/bin/env bash
# Installs what dutycycle needs on a fresh Debian 12 machine. Idempotent: every step checks
# first and does nothing when its tool is already there.
#
#   - Rust's rustfmt and clippy components (the checks run them; bindgen runs rustfmt);
#   - for dutycycle-aeron (rusteron builds Aeron's C sources): CMake >= 3.30 (Debian 12 ships
#     3.25, so it comes from PyPI), libclang-dev (bindgen), libbsd-dev and uuid-dev (linked);
#   - for the real Aeron Cluster the cluster tests, demo and benchmarks run against: a JDK,
#     Maven, and io.aeron:aeron-all from Maven Central into Maven's local repository (never
#     committed). 1.51.0 is the newest aeron-all that Maven Central serves to this project's
#     machines; the cluster client protocol it speaks is the one of 1.53/1.54 (major version 0).
set -euo pipefail

log() { printf 'setup: %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- Debian packages ------------------------------------------------------------------------
packages=(build-essential pkg-config libclang-dev libbsd-dev uuid-dev python3-pip procps
          openjdk-17-jdk-headless maven)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
    log "Debian packages present"
fi

# --- CMake >= 3.30 --------------------------------------------------------------------------
cmake_ok() {
    command -v cmake >/dev/null 2>&1 || return 1
    local v
    v=$(cmake --version | head -n1 | awk '{print $3}')
    [ "$(printf '%s\n3.30\n' "$v" | sort -V | head -n1)" = "3.30" ]
}
if ! cmake_ok; then
    log "installing CMake >= 3.30 from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check "cmake>=3.30,<4" \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "cmake>=3.30,<4"
    hash -r
fi
cmake_ok || { log "CMake >= 3.30 is still not on PATH ($(command -v cmake || echo none))"; exit 1; }
log "$(cmake --version | head -n1)"

# --- Rust -----------------------------------------------------------------------------------
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if ! command -v cargo >/dev/null 2>&1; then
    log "cargo not found: installing stable Rust with rustup"
    command -v curl >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl ca-certificates >/dev/null
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
    . "$HOME/.cargo/env"
fi
if command -v rustup >/dev/null 2>&1; then
    for c in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
    done
fi
log "$(cargo --version)"

# --- Java jars, from Maven Central into the local Maven repository ---------------------------
# scripts/env.sh names their versions and exports their paths: AERON_ALL_JAR (the real
# cluster, the Java codecs and tools), AGRONA_JAR (the Java peer of the agent ping-pong
# benchmark).
. "$(dirname "$0")/env.sh"
fetch_jar() {
    local group="$1" artifact="$2" version="$3"
    local repo="$HOME/.m2/repository"
    local jar="$repo/${group//.//}/$artifact/$version/$artifact-$version.jar"
    if [ ! -s "$jar" ]; then
        log "fetching $group:$artifact:$version from Maven Central"
        # The repository named: Maven's own default follows Java's user.home, not $HOME.
        mvn -q -B dependency:get -Dmaven.repo.local="$repo" -Dartifact="$group:$artifact:$version" -Dtransitive=false
    fi
    [ -s "$jar" ] || { log "$artifact is missing at $jar"; exit 1; }
    log "$artifact $version at $jar"
}
fetch_jar io.aeron aeron-all "$AERON_ALL_VERSION"
fetch_jar org.agrona agrona "$AGRONA_VERSION"
