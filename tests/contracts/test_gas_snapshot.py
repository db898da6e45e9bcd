"""Gas must not grow past the committed snapshot (bench/gas-snapshot.json) by more than 2%.

The figures come from :func:`bench.gas_cases.snapshot_figures`, the very code that
``make gas-snapshot`` writes the snapshot with.
"""

from __future__ import annotations

import pytest

from bench.bench_gas import SNAPSHOT, load_snapshot
from bench.gas_cases import Figures, snapshot_figures
from credit.artifacts import Artifact
from credit.ruleset import RuleSet

TOLERANCE_PCT = 2.0
REGENERATE = "run `make gas-snapshot` and commit bench/gas-snapshot.json"
COMMITTED = load_snapshot()


@pytest.fixture(scope="module")
def measured(artifacts: dict[str, Artifact], ruleset: RuleSet) -> Figures:
    return snapshot_figures(artifacts, ruleset)


def test_the_snapshot_covers_every_case(measured: Figures) -> None:
    missing = sorted(measured.keys() - COMMITTED.keys())
    assert not missing, f"{SNAPSHOT.name} lacks {missing}: {REGENERATE}"


@pytest.mark.parametrize("case", sorted(COMMITTED), ids=str)
def test_gas_does_not_grow_past_the_snapshot(measured: Figures, case: str) -> None:
    committed = COMMITTED[case]
    if case not in measured:
        pytest.fail(f"{case} is in {SNAPSHOT.name} but no longer measured: {REGENERATE}")
    gas = measured[case]
    change = 100 * (gas - committed) / committed
    if gas < committed:
        print(f"{case}: {committed:,} -> {gas:,} gas ({change:+.2f}%); {REGENERATE} to keep it")
    assert change <= TOLERANCE_PCT, (
        f"{case} grew from {committed:,} to {gas:,} gas ({change:+.2f}%, more than "
        f"{TOLERANCE_PCT}%). If the increase is intended, {REGENERATE}."
    )
