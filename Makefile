# Consensus Credit: one entry point for install, compile, test, lint, demo and benchmarks.
# `make test` works from a fresh clone with python3.11 (or python3), Node.js 20, npm and make.

VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.stamp
UV := $(VENV)/bin/uv
PY_RUNTIME_STAMP := $(VENV)/.runtime-stamp
# `make demo PORT=8123 HOST=0.0.0.0`: set on the command line; not `?=`, since shells export
# HOST (the machine's name) and PORT for other purposes
HOST = 127.0.0.1
PORT = 8000

.DEFAULT_GOAL := test
.PHONY: install compile test lint demo bench-gas gas-snapshot bench clean browser
.PHONY: bench-anchors bench-audit bench-verify bench-verify-browser bench-gateway bench-report

install: $(PY_STAMP) $(NODE_STAMP)

# A venv without pip is instant (ensurepip alone takes 10-20 s on a busy machine); uv, the fast
# installer from PyPI, goes into it with the interpreter's own pip. Without that pip (some
# distributions' python3.11) or uv, a plain venv and pip do the same, slower.
$(PY):
	@echo "== install [1/4]: virtual environment $(VENV) from $(PYTHON), with uv (PyPI)"
	@if $(PYTHON) -m pip --version >/dev/null 2>&1 && $(PYTHON) -m venv --without-pip $(VENV) \
	  && $(PYTHON) -m pip --python $(PY) install --disable-pip-version-check -q uv \
	  && $(UV) pip install --python $(PY) -q pip; then :; \
	else echo "no uv: a plain venv and pip instead (slower)"; $(PYTHON) -m venv $(VENV); fi

# $(call pyinstall,ARGS): install into the venv with uv when it has it, else with pip.
pyinstall = if [ -x $(UV) ]; then $(UV) pip install --python $(PY) $(1); \
	else $(PY) -m pip install --disable-pip-version-check -q $(1); fi

# Reinstall only when pyproject.toml changed since the last install.
$(PY_STAMP): pyproject.toml | $(PY)
	@echo "== install [2/4]: Python packages, the project and its dev tools ('.[dev]')"
	@$(call pyinstall,-e '.[dev]')
	touch $@ $(PY_RUNTIME_STAMP)

# What `make demo` needs: the project without its dev tools (a full install counts too).
$(PY_RUNTIME_STAMP): pyproject.toml | $(PY)
	@if [ $(PY_STAMP) -nt pyproject.toml ]; then touch $@; else \
	  echo "== install [2/4]: Python packages the demo needs (the project, no dev tools)"; \
	  $(call pyinstall,-e .) && touch $@; fi

# `npm ci` wipes node_modules/, so the stamp is written after it.
$(NODE_STAMP): package.json package-lock.json
	@echo "== install [3/4]: npm packages, solc-js and OpenZeppelin to compile, anvil for tests"
	npm ci --no-audit --no-fund
	touch $@

# Compiles only when contracts/ changed since build/ (progress on stderr while solc runs).
compile: install
	@echo "== [4/4] contracts: build/ from contracts/ with solc-js"
	$(PY) -m credit.compile

# The compile runs before pytest, with no timeout, so no test waits for it.
test: install browser compile
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
	node_modules/.bin/forge fmt --check contracts
	node_modules/.bin/solhint --disc --noPoster --max-warnings 0 'contracts/**/*.sol'
	$(MAKE) --no-print-directory lint-js

# The web client's ES modules: JSDoc types checked by tsc (jsconfig.json, strict)
# and eslint's recommended rules (eslint.config.js).
.PHONY: lint-js
lint-js: $(NODE_STAMP)
	node_modules/.bin/tsc -p jsconfig.json
	node_modules/.bin/eslint credit/gateway/web/js

# Slither on the compiled contracts, held to the reviewed slither.exclusions.toml (the same check
# as tests/contracts/test_slither.py); also lists the Low and Informational findings.
.PHONY: slither
slither: install
	$(PY) scripts/slither_check.py --all

# `make demo PORT=8123 HOST=0.0.0.0`. A first run installs the runtime Python packages only and
# uses the shipped artifacts (credit/compiled/) when they match contracts/; otherwise it installs
# the npm packages and compiles (the same `--status` check decides).
demo: $(PY_RUNTIME_STAMP)
	@$(PY) -m credit.compile --status || $(MAKE) --no-print-directory $(NODE_STAMP)
	$(PY) -m credit demo --host $(HOST) --port $(PORT)

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

# Rewrite the committed gas snapshot (tests/contracts/test_gas_snapshot.py compares against it).
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

# Rewrite the shipped artifacts (credit/compiled/) from a compile of contracts/: run it after any
# change to contracts/ (or a merge of one) and commit the result; `make test` fails until then.
.PHONY: artifacts
artifacts: install
	$(PY) -m credit.compile --ship

# Seconds from a fresh clone (empty pip/uv/npm caches) to the demo's first page, by phase:
# bench/results/first_run.json (`--repo URL_OR_PATH` to clone something else).
.PHONY: bench-first-run
bench-first-run:
	$(PYTHON) bench/bench_first_run.py

# Private proofs (issue 20): constraints, proving in headless Chromium (median of 3) and node,
# CreditGate.pass gas, and what the browser downloads: bench/results/zk.json.
.PHONY: bench-zk
bench-zk: install browser
	$(PY) -m bench.bench_zk
