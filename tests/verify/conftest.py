"""Fixtures of the verification tests: a verifier deployed once per module, snapshot per test."""

from __future__ import annotations

import pytest
from web3.contract import Contract

from credit.artifacts import Artifact
from tests.support.world import World
from tests.verify.rig import Rig, deploy


@pytest.fixture(scope="module")
def verifier_contract(deployed: World, artifacts: dict[str, Artifact]) -> Contract:
    return deploy(deployed, artifacts)


@pytest.fixture
def rig(verifier_contract: Contract, world: World) -> Rig:
    return Rig(world, verifier_contract)
