"""The replay: an adaptive log window, a resumable cache that survives interruptions and reorgs,
and audits at an older block."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.audit.model import ChainData, ChainEvent
from credit.audit.replay import read_chain, retryable
from credit.audit.run import run_checks
from credit.chain.deploy import System, attach
from credit.chain.events import EventSource
from credit.errors import ChainError
from tests.audit.helpers import described
from tests.audit.scenario import Played
from tests.support.world import World


def _key(events: list[ChainEvent]) -> list[tuple[Any, ...]]:
    return [(e.block_number, e.log_index, e.name, e.block_time, e.args) for e in events]


@pytest.fixture
def system(city: tuple[World, Played], artifacts: dict[str, Artifact]) -> System:
    return attach(city[0].w3, city[0].system.record, artifacts)


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """A node that refuses log queries over more than 4 blocks, like a provider's result limit."""
    calls: list[tuple[int, int]] = []
    real = EventSource.logs

    def logs(self: EventSource, first: int, last: int) -> Any:
        calls.append((first, last))
        if last - first + 1 > 4:
            raise ValueError("query returned more than 10000 results")
        return real(self, first, last)

    monkeypatch.setattr(EventSource, "logs", logs)
    yield calls


def test_the_window_halves_on_refusals_and_grows_again(
    system: System, artifacts: dict[str, Artifact], city_data: ChainData, limited: list[Any]
) -> None:
    data = read_chain(system, artifacts, window=64)
    assert _key(data.events) == _key(city_data.events)
    assert data.replay["shrinks"] >= 4  # 64 -> 32 -> 16 -> 8 -> 4, and again after each growth
    served = [(a, b) for a, b in limited if b - a + 1 <= 4]
    assert all(b1 + 1 == a2 for (_, b1), (a2, _) in itertools.pairwise(served))
    assert served[0][0] == system.record.start_block and served[-1][1] == data.block


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(ValueError("query returned more than 10000 results"), True, id="too-many"),
        pytest.param(TimeoutError("Read timed out. (read timeout=30)"), True, id="timeout"),
        pytest.param(ValueError("exceed maximum block range: 1000"), True, id="block-range"),
        pytest.param(ValueError("invalid argument 0: hex string"), False, id="bad-request"),
    ],
)
def test_which_node_errors_shrink_the_window(error: Exception, expected: bool) -> None:
    assert retryable(error) is expected


def test_a_node_that_keeps_failing_stops_the_replay_with_a_chain_error(
    system: System, artifacts: dict[str, Artifact], monkeypatch: pytest.MonkeyPatch
) -> None:
    def logs(self: EventSource, first: int, last: int) -> Any:
        raise TimeoutError("read timed out")

    monkeypatch.setattr(EventSource, "logs", logs)
    with pytest.raises(ChainError, match="keeps failing"):
        read_chain(system, artifacts, window=2)


class Interrupted(Exception):
    pass


def _interrupt_after(pages: int) -> Any:
    seen = []

    def progress(done: int, total: int, events: int) -> None:
        seen.append(done)
        if len(seen) == pages:
            raise Interrupted

    return progress


def test_an_interrupted_replay_resumes_from_its_cache(
    system: System, artifacts: dict[str, Artifact], city_data: ChainData, tmp_path: Path
) -> None:
    with pytest.raises(Interrupted):
        read_chain(system, artifacts, cache_dir=tmp_path, window=2, progress=_interrupt_after(3))
    resumed = read_chain(system, artifacts, cache_dir=tmp_path, window=2)
    assert resumed.replay["resumed_from"] > system.record.start_block
    assert _key(resumed.events) == _key(city_data.events)
    assert resumed.batches == city_data.batches
    again = read_chain(system, artifacts, cache_dir=tmp_path)
    assert again.replay["pages"] == 0 and _key(again.events) == _key(city_data.events)
    assert run_checks(again).clean


def test_a_reorged_cache_is_rewound_to_the_last_block_still_on_chain(
    system: System, artifacts: dict[str, Artifact], city_data: ChainData, tmp_path: Path
) -> None:
    read_chain(system, artifacts, cache_dir=tmp_path, window=3)
    (path,) = tmp_path.glob("replay-*.sqlite")
    keep = city_data.events[len(city_data.events) // 2].block_number
    with sqlite3.connect(path) as db:  # blocks above `keep` now look like another fork's
        db.execute("UPDATE blocks SET hash = '0xdead' WHERE number > ?", (keep,))
        db.execute("UPDATE events SET args = '{}' WHERE block_number > ?", (keep,))
        db.execute(
            "UPDATE meta SET value = json_array(json_extract(value, '$[0]'), '0xdead') "
            "WHERE key = 'cursor'"
        )
    data = read_chain(system, artifacts, cache_dir=tmp_path)
    assert system.record.start_block <= data.replay["resumed_from"] <= keep
    assert _key(data.events) == _key(city_data.events)


def test_a_cache_of_another_deployment_is_not_reused(
    system: System, artifacts: dict[str, Artifact], tmp_path: Path
) -> None:
    read_chain(system, artifacts, cache_dir=tmp_path)
    (path,) = tmp_path.glob("replay-*.sqlite")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '{}' WHERE key = 'identity'")
    data = read_chain(system, artifacts, cache_dir=tmp_path)
    assert data.replay["resumed_from"] == 0 and data.replay["pages"] >= 1


def test_an_older_block_audits_clean_with_the_views_read_there(
    system: System,
    artifacts: dict[str, Artifact],
    city: tuple[World, Played],
    city_data: ChainData,
) -> None:
    world, _ = city
    mint = next(e for e in city_data.events if e.name == "RewardMinted")
    data = read_chain(system, artifacts, block=mint.block_number)
    assert data.block == mint.block_number
    assert max(e.block_number for e in data.events) == mint.block_number
    result = run_checks(data)
    assert result.clean, described(result)
    r0 = world.residents[0].address.lower()
    assert data.credit_of[r0] == 10 and city_data.credit_of[r0] == 0  # before and after lapsing
    with pytest.raises(ChainError, match="outside the deployment"):
        read_chain(system, artifacts, block=city_data.block + 1)
