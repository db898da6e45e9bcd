"""Benchmark report: the README's tables, generated from ``bench/results/*.json``.

``python -m bench.report`` (run last by ``make bench``; alone by ``make bench-report``) rewrites
two marked regions of ``README.md`` and prints the benchmarks table:

- ``<!-- gas-table:start -->`` ... ``<!-- gas-table:end -->``: the headline gas figures;
- ``<!-- bench-table:start -->`` ... ``<!-- bench-table:end -->``: every benchmark's key figures
  against its goals, and how cost grows with the city.

Only the results files are read, never a chain; a benchmark whose file is absent is listed as
"not run", and a file missing a figure shows "n/a" for it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
README = ROOT / "README.md"
NA = "n/a"

Results = dict[str, Any]

# benchmark -> (results file stem, command reproducing it)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "gas": ("gas", "make bench-gas"),
    "anchors (EAS, ERC-20)": ("anchors", "make bench-anchors"),
    "audit": ("audit", "make bench-audit"),
    "verification": ("verify", "make bench-verify"),
    "gateway": ("gateway", "make bench-gateway"),
}

LABELS = {
    # gas.json
    "confirmed_record_single": "one confirmed record",
    "confirmed_record_single_capped_category": "one confirmed record, capped category",
    "confirmed_record_batch50_per_record": "per record, batch of 50",
    "reward_mint_single": "reward mint, one resident holding CCR",
    "reward_mint_batch50_per_resident": "reward mint per resident, batch of 50",
    "max_growth_pct_10_to_10000": "largest gas change, 10 to 10,000 residents",
    # anchors.json
    "ratio_record_single_to_eas_attest": "one confirmed record / EAS `attest`",
    "ratio_record_batch50_to_eas_multiattest50": (
        "per record, batch of 50 / EAS `multiAttest` per item"
    ),
    "ratio_record_single_to_oz_mint": "one confirmed record / OZ ERC-20 mint",
    "ratio_reward_mint_single_to_oz_mint": "reward mint / OZ ERC-20 mint",
    "report_violation_relayed": "one violation report, relayed",
    "register_resident_single": "register one resident",
    # audit.json
    "seconds_100k": "full audit of 100,000 records",
    # verify.json
    "root_seconds": "state root, 10,000 residents, 100,000 records",
    "browser_root_seconds_10k": "the same root in the browser (headless Chromium, Web Worker)",
    "commit_gas": "commit a root",
    "reveal_gas": "reveal a root",
    "proof_verify_gas": "verify a resident's proof",
    "credit_page_max_gas": "credit a page of 200 verifiers (dearest measured)",
    # gateway.json
    "relayed_vs_ceiling": "relayed records/s / plain batch script",
    "relayed_vs_one_tx": "relayed records/s / one tx per record",
    "read_rps": "reads per second, 10,000 residents",
    "read_p50_ms": "read latency p50",
    "read_vs_floor": "reads/s / the same load on /v1/health (floor)",
    "floor_rps": "GET /v1/health per second (the floor)",
}
_SIZED = re.compile(r"^(read_rps|read_p50_ms|read_p99_ms)_(\d+)k$")
_SIZED_LABELS = {
    "read_rps": "reads per second",
    "read_p50_ms": "read latency p50",
    "read_p99_ms": "read latency p99",
}


def label(key: str) -> str:
    """A key's label; ``read_rps_100k`` and the like say the city size."""
    sized = _SIZED.match(key)
    if sized:
        return f"{_SIZED_LABELS[sized[1]]}, {int(sized[2]) * 1000:,} residents"
    return LABELS.get(key, key)


@dataclass(frozen=True)
class Row:
    benchmark: str
    figure: str
    goal: str
    met: str
    command: str


# -- markers ---------------------------------------------------------------------------------


def replace_between_markers(text: str, name: str, body: str) -> str:
    """Put ``body`` between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``text``."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ValueError(
            f"expected one {start} ... {end} region, found {len(pattern.findall(text))}"
        )
    return pattern.sub(lambda _: f"{start}\n{body.rstrip()}\n{end}", text)


# -- formatting ------------------------------------------------------------------------------


def fmt(key: str, value: Any) -> str:
    """A figure with its unit, from the key's naming convention (gas.json's cases are gas)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return NA
    sized = _SIZED.match(key)
    key = sized[1] if sized else key
    if key.startswith(("ratio_", "relayed_vs_", "read_vs_")):
        return f"{value:.3f}"
    if "pct" in key:
        return f"{value:.2f} %"
    if key.endswith("_ms"):
        return f"{value:.3g} ms" if value < 1000 else f"{value:,.0f} ms"
    if key.endswith("seconds") or key.startswith("seconds_") or "_seconds_" in key:
        return f"{value:.2f} s"
    if key.endswith(("_rps", "_per_s")):
        return f"{value:,.0f} /s"
    if key.endswith("_gas") or key in LABELS or key in GROWTH_CASES:
        return f"{value:,.0f} gas"
    return f"{value:,}"


def goal_text(key: str, goal: float, op: str = "≤") -> str:
    """A goal with its unit and without trailing zeros (``≤ 60,000 gas``, ``≥ 0.5``)."""
    text = re.sub(r"\.(\d*?)0+(?=\D|$)", lambda m: f".{m[1]}" if m[1] else "", fmt(key, goal))
    return f"{op} {text}"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _at_most(name: str, doc: Results, key: str, goal: float, command: str) -> Row:
    value = _number(doc.get(key))
    figure = f"{LABELS.get(key, key)}: {fmt(key, doc.get(key))}"
    ok = None if value is None else value <= goal
    return Row(name, figure, goal_text(key, goal), _met(ok), command)


# -- rows per benchmark ----------------------------------------------------------------------


def gas_rows(name: str, doc: Results, command: str) -> list[Row]:
    goals = doc.get("meta", {}).get("goals", {})
    return [_at_most(name, doc, key, float(goal), command) for key, goal in goals.items()]


def anchors_rows(name: str, doc: Results, command: str) -> list[Row]:
    """Each ratio, with the two figures it divides when the file names them."""
    goals, terms = doc.get("goals", {}), doc.get("ratio_terms", {})
    rows = []
    for key in (k for k in doc if k.startswith("ratio_") and _number(doc[k]) is not None):
        if key in goals:
            row = _at_most(name, doc, key, float(goals[key]), command)
        else:
            figure = f"{LABELS.get(key, key)}: {fmt(key, doc[key])}"
            row = Row(name, figure, "— (context)", "—", command)
        ours, theirs = (doc.get(k) for k in terms.get(key, ("", "")))
        if isinstance(ours, int) and isinstance(theirs, int):
            row = replace(row, figure=f"{row.figure} ({ours:,} / {theirs:,} gas)")
        rows.append(row)
    published = doc.get("eas_published_bytecode", {}).get("attest_gas")
    ours = doc.get("eas_attest_gas")
    if isinstance(published, int) and isinstance(ours, int):
        figure = (
            f"EAS `attest`, npm bytecode / our build: {published / ours:.3f} "
            f"({published:,} / {ours:,} gas)"
        )
        rows.append(Row(name, figure, "— (check)", "—", command))
    return rows


def audit_rows(name: str, doc: Results, command: str) -> list[Row]:
    meta = doc.get("meta", {})
    met = meta.get("goal_met")
    figure = f"{LABELS['seconds_100k']}: {fmt('seconds_100k', doc.get('seconds_100k'))}"
    return [
        Row(
            name,
            figure,
            str(meta.get("goal", NA)).replace("<=", "≤"),
            _met(met if isinstance(met, bool) else None),
            command,
        )
    ]


def verify_rows(name: str, doc: Results, command: str) -> list[Row]:
    goals = doc.get("goals", {})
    return [_at_most(name, doc, key, float(goal), command) for key, goal in goals.items()]


_GOAL_EXPR = re.compile(r"^\s*(\w+)\s*(>=|<=)\s*([0-9.]+)\s*$")


def gateway_rows(name: str, doc: Results, command: str) -> list[Row]:
    """Goals are written as ``"metric >= 10": true``; the metric is a top-level key. The read
    figures of the largest city and the floor follow as context, and the run they came from."""
    rows = []
    for expr, met in doc.get("goals", {}).items():
        match = _GOAL_EXPR.match(expr)
        if match is None:
            rows.append(
                Row(name, expr, expr, _met(met if isinstance(met, bool) else None), command)
            )
            continue
        key, op, goal = match.groups()
        figure = f"{label(key)}: {fmt(key, doc.get(key))}"
        shown = "≥" if op == ">=" else "≤"
        rows.append(
            Row(
                name,
                figure,
                goal_text(key, float(goal), shown),
                _met(met if isinstance(met, bool) else None),
                command,
            )
        )
    context = [k for k in doc if _SIZED.match(k)] + [k for k in ("floor_rps",) if k in doc]
    for key in context:
        rows.append(Row(name, f"{label(key)}: {fmt(key, doc[key])}", "— (context)", "—", command))
    if isinstance(doc.get("run"), str):
        rows.append(Row(name, f"run: {doc['run']}", "—", "—", command))
    return rows


ROWS = {
    "gas": gas_rows,
    "anchors": anchors_rows,
    "audit": audit_rows,
    "verify": verify_rows,
    "gateway": gateway_rows,
}


def load_results(results_dir: Path = RESULTS_DIR) -> dict[str, Results]:
    """Every results file that exists and parses, by stem."""
    found = {}
    for stem in ROWS:
        path = results_dir / f"{stem}.json"
        try:
            found[stem] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return found


def benchmark_rows(results: dict[str, Results]) -> list[Row]:
    rows: list[Row] = []
    for name, (stem, command) in BENCHMARKS.items():
        doc = results.get(stem)
        if doc is None:
            rows.append(Row(name, "not run", "—", "—", command))
            continue
        produced = ROWS[stem](name, doc, command)
        rows.extend(produced or [Row(name, "no figures in the results file", "—", "—", command)])
    return rows


# -- markdown --------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _marker_align(spec: str) -> list[str]:
    return ["---:" if c == "r" else "---" for c in spec]


def benchmarks_markdown(rows: Sequence[Row]) -> str:
    body = []
    previous = None
    for row in rows:
        first = row.benchmark != previous
        name = row.benchmark if first else ""
        command = f"`{row.command}`" if first else ""
        body.append([name, row.figure, row.goal, row.met, command])
        previous = row.benchmark
    return _table(
        ["Benchmark", "Key figure", "Goal", "Met?", "Reproduce"], body, _marker_align("lllll")
    )


GROWTH_CASES = (
    "confirmed_record_single",
    "confirmed_record_batch50_per_record",
    "reward_mint_single",
    "reward_mint_batch50_per_resident",
    "report_violation_relayed",
    "register_resident_single",
)


def gas_growth_markdown(gas: Results | None) -> str:
    if gas is None:
        return "Gas by city size: not run (`make bench-gas`)."
    meta = gas.get("meta", {})
    registered = meta.get("registered_residents", {})
    points = [
        ("small", gas.get("at_small_population")),
        ("medium", gas.get("at_medium_population")),
        ("large", gas),
    ]
    header = ["Gas, residents registered"]
    for size, _ in points:
        count = registered.get(size)
        header.append(f"{count:,}" if isinstance(count, int) else f"{size} (not measured)")
    rows = []
    for case in GROWTH_CASES:
        cells = [LABELS.get(case, case.replace("_", " "))]
        for _, figures in points:
            value = figures.get(case) if isinstance(figures, dict) else None
            cells.append(f"{value:,}" if isinstance(value, int) else NA)
        rows.append(cells)
    return _table(header, rows, _marker_align("lrrr"))


def audit_growth_markdown(audit: Results | None) -> str:
    if audit is None:
        return "Audit time by ledger size: not run (`make bench-audit`)."
    runs = audit.get("runs", {})
    sizes = sorted(runs, key=int)
    if not sizes:
        return "Audit time by ledger size: no runs in `bench/results/audit.json`."
    header = ["Full audit, records", *(f"{int(s):,}" for s in sizes)]
    per_record = audit.get("ms_per_record", {})
    rows = [
        ["seconds", *(fmt("seconds", runs[s].get("seconds")) for s in sizes)],
        ["ms per record", *(fmt("record_ms", per_record.get(s)) for s in sizes)],
    ]
    return _table(header, rows, _marker_align("l" + "r" * len(sizes)))


def bench_section(results: dict[str, Results]) -> str:
    """Everything between the bench-table markers."""
    measured = [
        f"{stem}.json {doc['meta']['timestamp'][:10]}"
        for stem, doc in results.items()
        if isinstance(doc.get("meta"), dict) and isinstance(doc["meta"].get("timestamp"), str)
    ]
    parts = [
        benchmarks_markdown(benchmark_rows(results)),
        "**How cost grows**",
        gas_growth_markdown(results.get("gas")),
        audit_growth_markdown(results.get("audit")),
    ]
    if measured:
        parts.append("Measured: " + ", ".join(measured) + ".")
    return "\n\n".join(parts)


GAS_TABLE = (
    (
        "one confirmed record (claim + 2 confirmations, one `relayClaimPacked` transaction)",
        "confirmed_record_single",
    ),
    ("the same record as a `relayClaims` batch of one", "confirmed_record_single_batch_of_one"),
    (
        "the same in a capped category (one more storage slot)",
        "confirmed_record_single_capped_category",
    ),
    ("per record, batch of 50, each evaluator signs once", "confirmed_record_batch50_per_record"),
    ("reward mint, one resident who already holds CCR", "reward_mint_single"),
    ("reward mint per resident, batch of 50", "reward_mint_batch50_per_resident"),
)
GROWTH_KEY = "max_growth_pct_10_to_10000"


def gas_table(gas: Results) -> str:
    """The README's headline gas table (between the gas-table markers)."""
    goals = gas.get("meta", {}).get("goals", {})
    rows = []
    for label, key in GAS_TABLE:
        value, goal = gas.get(key), goals.get(key)
        rows.append(
            [
                label,
                f"{value:,}" if isinstance(value, int) else NA,
                "" if goal is None else f"{goal:,.0f}",
            ]
        )
    growth, goal = gas.get(GROWTH_KEY), goals.get(GROWTH_KEY)
    rows.append(
        [
            "largest change of any function between 10 and 10,000 residents",
            f"{growth:.1f} %" if isinstance(growth, int | float) else NA,
            "" if goal is None else f"{goal:g} %",
        ]
    )
    return _table(["Path", "Gas", "Goal"], rows, _marker_align("lrr"))


def update_readme(text: str, results: dict[str, Results]) -> str:
    if "gas" in results:
        text = replace_between_markers(text, "gas-table", gas_table(results["gas"]))
    return replace_between_markers(text, "bench-table", bench_section(results))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="results directory")
    parser.add_argument("--readme", type=Path, default=README, help="README to update")
    parser.add_argument("--print-only", action="store_true", help="print, do not write")
    args = parser.parse_args(argv)
    results = load_results(args.results)
    print(bench_section(results))
    if args.print_only:
        return 0
    try:
        text = args.readme.read_text(encoding="utf-8")
        updated = update_readme(text, results)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if updated != text:
        args.readme.write_text(updated, encoding="utf-8")
    print(f"{'updated' if updated != text else 'unchanged'}: {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
