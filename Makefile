# Shortcuts; each target installs what it needs (scripts/setup.sh is idempotent).
.PHONY: setup demo test test-repeat loom bench bench-quick soak

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# The README's test command 20 times, each from a fresh clone (N=... for another count).
test-repeat:
	bash scripts/repeat-tests.sh $(or $(N),20)

loom:
	bash scripts/loom.sh

# Benchmarks (docs/BENCHMARKS.md): the full run and a quick one (< 1 min after the build),
# with Aeron (C) and the Java peers (Agrona's AgentRunner, Java Aeron).
bench:
	bash scripts/setup.sh && bash benches/run.sh full --aeron --java

bench-quick:
	bash scripts/setup.sh && bash benches/run.sh quick --aeron --java

# Reliability soak (docs/RELIABILITY.md): 20x the signal storm, 10x the start/close soak.
soak:
	DUTYCYCLE_SOAK=1 cargo test -p dutycycle --release --test signal_storm --test soak -- --nocapture
