"""Audit fixtures: one played city per test session (its chain is only read afterwards)."""

from __future__ import annotations

import pytest

from credit.artifacts import Artifact
from credit.audit.model import ChainData
from credit.chain import embedded_web3
from credit.ruleset import RuleSet
from tests.audit.helpers import replay
from tests.audit.scenario import Played, play
from tests.support.world import World, build_world


@pytest.fixture(scope="session")
def city(artifacts: dict[str, Artifact], ruleset: RuleSet) -> tuple[World, Played]:
    """A world after :func:`tests.audit.scenario.play`. Read it; never send to it."""
    world = build_world(embedded_web3(), artifacts, ruleset, seed=61)
    return world, play(world, ruleset)


@pytest.fixture(scope="session")
def city_data(city: tuple[World, Played], artifacts: dict[str, Artifact]) -> ChainData:
    """The played city as the auditor reads it."""
    return replay(city[0], artifacts, window=7)
