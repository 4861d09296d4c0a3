# Two commands: `make demo` and `make test`. Both build .venv when missing and reuse it after.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KERNEL := onrtools
# Most tests wait (simulators, kernels, subprocesses), so 4 workers beat 2 cores. Two tests at a
# time per worker, the long ones first (tests/conftest.py), so the workers end together.
PARALLEL := -n 4 --dist load --maxschedchunk 2

.PHONY: demo test test-fast test-unit setup bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "onrtools" >/dev/null
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/onr demo

test: $(STAMP)
	$(PY) -m pytest -q $(PARALLEL)

# The edit-run loop: everything but the crash, fault-storm, load and browser runs.
test-fast: $(STAMP)
	$(PY) -m pytest -q $(PARALLEL) -m "not slow and not long and not browser"

# The cheapest tier alone: no simulator server, no kernel (tests/conftest.py sets the tiers).
test-unit: $(STAMP)
	$(PY) -m pytest -q $(PARALLEL) -m "unit and not browser"

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check onrtools tests bench

clean:
	rm -rf $(VENV) reports workspace .pytest_cache
