# Sourced by the scripts: puts cargo (rustup's default place) and pip's CMake on PATH.
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH" ;; esac
export PATH
# The Aeron Java jar: the version scripts/setup.sh fetches and where it puts it (the real
# cluster for tests, demo, benchmarks).
export AERON_ALL_VERSION="${AERON_ALL_VERSION:-1.51.0}"
export AERON_ALL_JAR="${AERON_ALL_JAR:-$HOME/.m2/repository/io/aeron/aeron-all/$AERON_ALL_VERSION/aeron-all-$AERON_ALL_VERSION.jar}"
# Agrona's jar, for the Java peer of the agent ping-pong benchmark (the same for Agrona).
export AGRONA_VERSION="${AGRONA_VERSION:-2.6.0}"
export AGRONA_JAR="${AGRONA_JAR:-$HOME/.m2/repository/org/agrona/agrona/$AGRONA_VERSION/agrona-$AGRONA_VERSION.jar}"
