# Consensus Credit: one entry point for install, compile, test, lint, demo and benchmarks.
# `make test` works from a fresh clone with python3.11 (or python3), Node.js 20, npm and make.

VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.stamp

.DEFAULT_GOAL := test
.PHONY: install compile test lint demo bench-gas gas-snapshot bench clean

install: $(PY_STAMP) $(NODE_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

# `npm ci` wipes node_modules/, so the stamp is written after it.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

compile: install
	$(PY) -m credit.compile

test: install
	$(PY) -m pytest -q -n 2 tests

lint: install
	$(VENV)/bin/ruff check credit tests bench scripts
	$(VENV)/bin/ruff format --check credit tests bench scripts
	$(VENV)/bin/mypy credit
	$(PY) scripts/check_solidity.py

demo: install
	$(PY) -m credit demo

bench-gas: install
	$(PY) -m bench.bench_gas

# Rewrite the committed gas snapshot (tests/test_gas_snapshot.py compares against it).
gas-snapshot: install
	$(PY) -m bench.bench_gas --snapshot

# Fill a fresh anvil node with 10k, 50k and 100k relayed records and time a full audit of each;
# writes bench/results/audit.json (`python -m bench.bench_audit --sizes 10000` for a quick run).
.PHONY: bench-audit
bench-audit: install
	$(PY) -m bench.bench_audit

bench: bench-gas

bench-verify: install
	$(PY) -m bench.bench_verify

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
