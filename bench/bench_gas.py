"""Gas benchmark: measure every scenario of :mod:`bench.gas_cases` in a small and a large city.

``python -m bench.bench_gas`` prints a table and writes ``bench/results/gas.json``; it exits 0
even when a goal is missed (a benchmark reports, it does not fail) but names the missed goals.
``--snapshot`` writes the committed ``bench/gas-snapshot.json`` instead (small city only), which
``tests/contracts/test_gas_snapshot.py`` checks.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench._city import CAST, GasCity, build_city
from bench.gas_cases import (
    GOALS,
    GROWTH_KEY,
    LARGE,
    SMALL,
    Figures,
    growth_pct,
    measure,
    snapshot_figures,
)
from credit import compile as solc
from credit.ruleset import DEFAULT_RULESET, load_ruleset

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "gas.json"
SNAPSHOT = ROOT / "bench" / "gas-snapshot.json"
QUICK_LARGE = 1_000
MEDIUM = 1_000  # background residents of the middle point of "how cost grows" (README)


def load_snapshot(path: Path = SNAPSHOT) -> Figures:
    """The committed snapshot (case -> gas); empty if there is none yet."""
    if not path.exists():
        return {}
    return {str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def write_snapshot(figures: Figures, path: Path = SNAPSHOT) -> None:
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def git_commit() -> str:
    """HEAD's commit, with ``-dirty`` when the tree has changes; empty outside a checkout."""
    try:
        head = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return ""
    return head + ("-dirty" if dirty else "")


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def chain_rules(city: GasCity) -> str:
    """The py-evm fork the embedded chain executes with (it sets the gas schedule)."""
    tester: Any = getattr(city.w3.provider, "ethereum_tester", None)
    backend = getattr(tester, "backend", None)
    chain = getattr(backend, "chain", None)
    return type(chain.get_vm()).__name__ if chain is not None else "unknown"


def metadata(city: GasCity, small: int, large: int, seconds: float) -> dict[str, Any]:
    return {
        "solc_version": solc.SOLC_VERSION,
        "evm_version": solc.EVM_VERSION,
        "via_ir": bool(solc.SETTINGS["viaIR"]),
        "optimizer_runs": solc.OPTIMIZER_RUNS,
        "openzeppelin": solc.OZ_VERSION,
        "chain": f"eth-tester py-evm ({chain_rules(city)})",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "registered_residents": {"small": small + CAST, "large": large + CAST},
        "background_residents": {"small": small, "large": large},
        "cast_residents": CAST,
        "seconds": round(seconds, 1),
        "goals": GOALS,
    }


def missed_goals(results: dict[str, Any]) -> list[str]:
    return [k for k, goal in GOALS.items() if float(results[k]) > goal]


def print_table(
    console: Console, small: Figures, large: Figures, growth: dict[str, float], n: int
) -> None:
    table = Table(title="Gas used per case (gasUsed of real receipts on eth-tester)")
    table.add_column("case", no_wrap=True)
    table.add_column(f"gas, {SMALL + CAST:,} residents", justify="right")
    table.add_column(f"gas, {n + CAST:,} residents", justify="right")
    table.add_column("growth %", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("within goal?")
    for case in large:
        goal = GOALS.get(case)
        verdict = "" if goal is None else ("yes" if large[case] <= goal else "[red]NO[/red]")
        table.add_row(
            case,
            f"{small[case]:,}",
            f"{large[case]:,}",
            f"{growth[case]:.2f}",
            "" if goal is None else f"{goal:,.0f}",
            verdict,
        )
    worst = max(growth.values())
    ok = "yes" if worst <= GOALS[GROWTH_KEY] else "[red]NO[/red]"
    table.add_row(GROWTH_KEY, "", "", f"{worst:.2f}", f"{GOALS[GROWTH_KEY]:.0f}", ok)
    console.print(table)


def run_benchmark(large_n: int, out: Path, console: Console) -> dict[str, Any]:
    """Measure both cities, print the table, write ``out`` and return what was written."""
    artifacts, ruleset = solc.compile_contracts(), load_ruleset(DEFAULT_RULESET)
    started = time.monotonic()
    console.print(f"measuring with {SMALL} + {CAST} registered residents ...")
    small = measure(build_city(artifacts, ruleset, background=SMALL))
    console.print(f"registering {large_n} + {CAST} residents and measuring again ...")
    city = build_city(artifacts, ruleset, background=large_n)
    large = measure(city)
    if large_n == MEDIUM:
        medium = large
    else:
        console.print(f"registering {MEDIUM} + {CAST} residents and measuring again ...")
        medium = measure(build_city(artifacts, ruleset, background=MEDIUM))
    growth = growth_pct(small, large)
    results: dict[str, Any] = {**large, GROWTH_KEY: round(max(growth.values()), 3)}
    results["growth_pct"] = {k: round(v, 3) for k, v in growth.items()}
    results["at_small_population"] = small
    results["at_medium_population"] = medium
    results["meta"] = metadata(city, SMALL, large_n, time.monotonic() - started)
    results["meta"]["registered_residents"]["medium"] = MEDIUM + CAST
    results["meta"]["background_residents"]["medium"] = MEDIUM
    print_table(console, small, large, growth, large_n)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return results


def run_snapshot(path: Path, console: Console) -> Figures:
    """Measure the small city and write the committed snapshot, reporting what changed."""
    before = load_snapshot(path)
    figures = snapshot_figures(solc.compile_contracts(), load_ruleset(DEFAULT_RULESET))
    for case, gas in figures.items():
        old = before.get(case)
        change = "new" if old is None else f"{100 * (gas - old) / old:+.2f}%"
        console.print(f"{case:<52} {gas:>9,}  {change}")
    for case in sorted(before.keys() - figures.keys()):
        console.print(f"{case:<52} removed")
    write_snapshot(figures, path)
    console.print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return figures


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_gas", description=__doc__)
    parser.add_argument(
        "--residents-large",
        type=int,
        default=LARGE,
        metavar="N",
        help=f"background residents of the large city (default {LARGE})",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"large city of {QUICK_LARGE} (for development)"
    )
    parser.add_argument(
        "--snapshot", action="store_true", help="write bench/gas-snapshot.json and stop"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (JSON)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if console.width < 120:  # not a terminal, or a narrow one: keep the table readable
        console = Console(width=120)
    if args.snapshot:
        run_snapshot(SNAPSHOT, console)
        return 0
    large_n = QUICK_LARGE if args.quick else args.residents_large
    if large_n < 1:
        console.print("--residents-large must be at least 1")
        return 2
    results = run_benchmark(large_n, args.out, console)
    missed = missed_goals(results)
    if missed:
        for case in missed:
            console.print(f"[red]GOAL MISSED[/red] {case}: {results[case]:,} > {GOALS[case]:,}")
    else:
        console.print("every goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
