"""Audit benchmark: fill an anvil chain with N relayed records, then time a full audit of it.

``python -m bench.bench_audit`` (``make bench-audit``) writes ``bench/results/audit.json`` with
``seconds_<N/1000>k`` for each size: the wall time of the whole ``credit audit`` pipeline (replay
of every event from the deployment block with the adaptive window, calldata decoding, recovery
of every claim and endorsement signature, every check, JSON and HTML reports) against a fresh
anvil node the benchmark started and filled. Filling is timed separately (it is not the audit).
The goal is at most 60 s for 100,000 records, growing linearly; the benchmark reports, it does
not fail.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._audit_fill import Filler
from bench.bench_gas import git_commit
from credit import compile as solc
from credit.audit.replay import read_chain
from credit.audit.report import build_report, write_reports
from credit.audit.run import run_checks
from credit.chain import rpc_web3
from credit.chain.deploy import attach
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from tests.support.anvil import anvil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "audit.json"
GOAL_100K_SECONDS = 60.0


def audit_once(system: Any, artifacts: dict[str, Any], ruleset: Any) -> dict[str, Any]:
    """One full audit, as ``credit audit --rules ... --out ...`` runs it; returns timings."""
    started = time.perf_counter()
    fresh = attach(system.w3, system.record, artifacts)
    data = read_chain(fresh, artifacts)
    replayed = time.perf_counter()
    result = run_checks(data, [(DEFAULT_RULESET, ruleset)])
    checked = time.perf_counter()
    report = build_report(result)
    with tempfile.TemporaryDirectory() as out:
        write_reports(report, Path(out))
    done = time.perf_counter()
    if not result.clean:
        raise RuntimeError(f"the benchmark chain did not audit clean: {result.found.counts}")
    return {
        "seconds": round(done - started, 2),
        "replay_seconds": round(replayed - started, 2),
        "checks_seconds": round(checked - replayed, 2),
        "report_seconds": round(done - checked, 2),
        "events": len(data.events),
        "records": report["summary"]["records_credited"],
        "signatures_recovered": report["summary"]["signatures_recovered"],
        "log_pages": data.replay["pages"],
    }


def run_size(
    records: int, residents: int, artifacts: dict[str, Any], ruleset: Any
) -> dict[str, Any]:
    with anvil("--gas-limit", "60000000") as url:
        w3 = rpc_web3(url, timeout=300)
        filler = Filler(w3, artifacts, ruleset, residents)
        print(f"filling {records:,} records for {residents:,} residents ...", flush=True)
        filled = filler.fill(records, say=lambda m: print(m, flush=True))
        print(f"  filled in {filled.seconds['total']:.1f} s; auditing ...", flush=True)
        measured = audit_once(filled.system, artifacts, ruleset)
        print(f"  audited in {measured['seconds']} s ({measured})", flush=True)
        return {
            **measured,
            "fill_seconds": {k: round(v, 2) for k, v in filled.seconds.items()},
            "relay_transactions": filled.transactions,
            "residents": residents,
        }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_audit", description=__doc__)
    parser.add_argument(
        "--sizes",
        default="1000,10000,50000,100000",
        help="record counts, comma-separated (default 1000,10000,50000,100000)",
    )
    parser.add_argument("--residents", type=int, default=1000, help="registered residents")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (JSON)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 1 or args.residents < 1:
        print("--sizes and --residents must be positive")
        return 2
    artifacts, ruleset = solc.compile_contracts(), load_ruleset(DEFAULT_RULESET)
    load_at_start = round(os.getloadavg()[0], 2)  # other work on the machine slows every figure
    results: dict[str, Any] = {}
    runs = {}
    for n in sizes:
        runs[n] = run_size(n, args.residents, artifacts, ruleset)
        results[f"seconds_{n // 1000}k" if n % 1000 == 0 else f"seconds_{n}"] = runs[n]["seconds"]
    per_record = {n: r["seconds"] / n * 1000 for n, r in runs.items()}
    results["ms_per_record"] = {str(n): round(v, 3) for n, v in per_record.items()}
    results["runs"] = {str(n): r for n, r in runs.items()}
    results["meta"] = {
        "node": "anvil (fresh per size, automine)",
        "goal": f"<= {GOAL_100K_SECONDS:.0f} s for 100,000 records, growing linearly",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "cpus": _cpus(),
        "load_average_1min": {"at_start": load_at_start, "at_end": round(os.getloadavg()[0], 2)},
    }
    if 100_000 in runs:
        results["meta"]["goal_met"] = runs[100_000]["seconds"] <= GOAL_100K_SECONDS
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}, indent=2))
    return 0


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
