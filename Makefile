# Consensus Credit: one entry point for install, compile, test, lint, demo and benchmarks.
# `make test` works from a fresh clone with python3.11 (or python3), Node.js 20, npm and make.

VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.stamp

.DEFAULT_GOAL := test
.PHONY: install compile test lint demo bench-gas gas-snapshot bench clean browser
.PHONY: bench-anchors bench-audit bench-verify bench-verify-browser bench-gateway bench-report

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

test: install browser
	$(PY) -m pytest -q -n 2 tests

# Headless Chromium (and a CJK font for the Chinese screenshots) for the browser tests in
# tests/web/: installed with apt-get when missing and we are root (CI); a no-op otherwise, and
# those tests then skip saying why. Playwright's own browser downloads are never used.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
browser:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="chromium"; \
	[ -e $(CJK_FONT) ] || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing$$missing for the browser tests"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

lint: install
	$(VENV)/bin/ruff check credit tests bench scripts
	$(VENV)/bin/ruff format --check credit tests bench scripts
	$(VENV)/bin/mypy credit
	$(PY) scripts/check_solidity.py

# Slither on the compiled contracts, held to the reviewed slither.exclusions.toml (the same check
# as tests/test_slither.py); also lists the Low and Informational findings.
.PHONY: slither
slither: install
	$(PY) scripts/slither_check.py --all

demo: install
	$(PY) -m credit demo

# Every benchmark, one after the other (not with -j: parallel runs skew the timings), then the
# README tables from bench/results/*.json.
bench: bench-gas bench-anchors bench-audit bench-verify bench-verify-browser bench-gateway
	$(PY) -m bench.report

bench-gas: install
	$(PY) -m bench.bench_gas

# Our record's gas against EAS 1.9.0 attest/multiAttest and an OpenZeppelin ERC-20 mint, on one
# embedded chain: bench/results/anchors.json.
bench-anchors: install
	$(PY) -m bench.bench_anchors

# Rewrite the README's gas and benchmark tables from bench/results/*.json (no measuring).
bench-report: install
	$(PY) -m bench.report

# Rewrite the committed gas snapshot (tests/test_gas_snapshot.py compares against it).
gas-snapshot: install
	$(PY) -m bench.bench_gas --snapshot

# Fill a fresh anvil node with 1k, 10k, 50k and 100k relayed records and time a full audit of each;
# writes bench/results/audit.json (`python -m bench.bench_audit --sizes 10000` for a quick run).
bench-audit: install
	$(PY) -m bench.bench_audit

bench-verify: install
	$(PY) -m bench.bench_verify

# The root in headless Chromium (the page's Web Worker) beside the Python worker's replay, on one
# synthetic 10,000-resident chain: merged into bench/results/verify.json.
bench-verify-browser: install browser
	$(PY) -m bench.bench_verify_browser

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -not -path './node_modules/*' -prune -exec rm -rf {} +

# The gateway's production shape on a fresh anvil node and a PostgreSQL database bench_<random> on
# 127.0.0.1:5432 (dropped after): 2 API processes, `credit relay run` (K = 3), `credit index run`.
# Relayed vs plain-web3 batches vs one tx per record, and reads against /v1/health (the floor), at
# 10,000 and 100,000 residents (about 8 minutes); the embedded SQLite row beside them. Writes
# bench/results/gateway.json. `apt-get install wrk` for the wrk load generator.
bench-gateway: install
	$(PY) -m bench.bench_gateway

# Records/s relayed with K = 1 and K = 3 relayer keys on anvil, with a per-key pending limit
# binding (interval mining) and without (automine): bench/results/sender_pool.json.
.PHONY: bench-sender-pool
bench-sender-pool: install
	$(PY) -m bench.bench_sender_pool

# Private proofs (issue 20): constraints, proving in headless Chromium (median of 3) and node,
# CreditGate.pass gas, and what the browser downloads: bench/results/zk.json.
.PHONY: bench-zk
bench-zk: install browser
	$(PY) -m bench.bench_zk
