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

# Benchmarks (docs/BENCHMARKS.md): the full run (< 10 min) and a quick one (< 1 min).
bench:
	bash scripts/setup.sh && bash benches/run.sh full --aeron

bench-quick:
	bash scripts/setup.sh && bash benches/run.sh quick --aeron

# Reliability soak (docs/RELIABILITY.md): 20x the signal storm, 10x the start/close soak.
soak:
	DUTYCYCLE_SOAK=1 cargo test -p dutycycle --release --test signal_storm --test soak -- --nocapture
