# Shortcuts; each target installs what it needs (scripts/setup.sh is idempotent).
.PHONY: setup demo test loom bench bench-quick soak

setup:
	bash scripts/setup.sh

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

loom:
	bash scripts/loom.sh
