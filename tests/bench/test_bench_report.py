"""bench/report.py: README tables from results files, with absent files reported as "not run"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import report

README = """# City
<!-- gas-table:start -->
old gas
<!-- gas-table:end -->
text kept
<!-- bench-table:start -->
old bench
<!-- bench-table:end -->
tail kept
"""

GAS = {
    "confirmed_record_single": 61_000,
    "confirmed_record_batch50_per_record": 20_000,
    "max_growth_pct_10_to_10000": 0.5,
    "at_small_population": {"confirmed_record_single": 60_900},
    "meta": {
        "goals": {"confirmed_record_single": 60_000, "confirmed_record_batch50_per_record": 25_000},
        "registered_residents": {"small": 60, "large": 10_050},
        "timestamp": "2026-01-02T03:04:05+00:00",
    },
}


def run(tmp_path: Path, results: dict[str, object]) -> str:
    (tmp_path / "results").mkdir()
    for stem, doc in results.items():
        (tmp_path / "results" / f"{stem}.json").write_text(json.dumps(doc))
    readme = tmp_path / "README.md"
    readme.write_text(README)
    args = ["--results", str(tmp_path / "results"), "--readme", str(readme)]
    assert report.main(args) == 0
    return readme.read_text()


def test_no_results_lists_every_benchmark_as_not_run(tmp_path: Path) -> None:
    text = run(tmp_path, {})
    assert "old gas" in text  # nothing to regenerate the gas table from
    assert "old bench" not in text
    for name, (_, command) in report.BENCHMARKS.items():
        assert f"| {name} | not run | — | — | `{command}` |" in text
    assert "Gas by city size: not run" in text
    assert text.startswith("# City\n") and "text kept" in text and text.endswith("tail kept\n")


def test_goals_are_judged_and_missing_points_said(tmp_path: Path) -> None:
    text = run(tmp_path, {"gas": GAS})
    assert "| one confirmed record: 61,000 gas | ≤ 60,000 gas | **no** |" in text
    assert "| per record, batch of 50: 20,000 gas | ≤ 25,000 gas | yes |" in text
    assert (
        "| one confirmed record (claim + 2 confirmations, one `relayClaimPacked` transaction) "
        "| 61,000 | 60,000 |" in text
    )
    assert "| 60 | medium (not measured) | 10,050 |" in text  # no 1,000-resident point
    assert "| one confirmed record | 60,900 | n/a | 61,000 |" in text
    assert "Measured: gas.json 2026-01-02." in text


def test_a_damaged_results_file_counts_as_not_run(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "audit.json").write_text("{not json")
    rows = report.benchmark_rows(report.load_results(tmp_path / "results"))
    assert [r.figure for r in rows if r.benchmark == "audit"] == ["not run"]


def test_markers_must_appear_once() -> None:
    with pytest.raises(ValueError, match="bench-table"):
        report.replace_between_markers("no markers here", "bench-table", "x")
    twice = "<!-- t:start -->a<!-- t:end --> <!-- t:start -->b<!-- t:end -->"
    with pytest.raises(ValueError):
        report.replace_between_markers(twice, "t", "x")


def test_gateway_ratios_are_judged_and_the_largest_citys_reads_shown(tmp_path: Path) -> None:
    gateway = {
        "relayed_vs_ceiling": 0.71,
        "relayed_vs_one_tx": 12.5,
        "read_vs_floor": 0.64,
        "read_rps_100k": 1500.0,
        "read_p50_ms_100k": 2.5,
        "floor_rps": 2344.0,
        "goals": {
            "relayed_vs_ceiling >= 0.6": True,
            "relayed_vs_one_tx >= 15": False,
            "read_vs_floor >= 0.6": True,
        },
        "run": "anvil + PostgreSQL; 100,000 residents",
    }
    text = run(tmp_path, {"gateway": gateway})
    assert "| relayed records/s / plain batch script: 0.710 | ≥ 0.6 | yes |" in text
    assert "| relayed records/s / one tx per record: 12.500 | ≥ 15 | **no** |" in text
    assert "| reads/s / the same load on /v1/health (floor): 0.640 | ≥ 0.6 | yes |" in text
    assert "| reads per second, 100,000 residents: 1,500 /s | — (context) |" in text
    assert "| read latency p50, 100,000 residents: 2.5 ms | — (context) |" in text
    assert "| GET /v1/health per second (the floor): 2,344 /s | — (context) |" in text
    assert "| run: anvil + PostgreSQL; 100,000 residents |" in text
