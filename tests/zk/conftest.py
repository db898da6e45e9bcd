"""Fixtures of the private-proof tests: built once per module on the module's deployed world
(proving takes seconds); each test then runs on the per-test snapshot of ``world``, so a
nullifier one test spends is fresh in the next."""

from __future__ import annotations

import pytest

from credit.artifacts import Artifact
from tests.support.private_proofs import ZkWorld, build_zk_world
from tests.support.world import World


@pytest.fixture(scope="module")
def zk(deployed: World, artifacts: dict[str, Artifact]) -> ZkWorld:
    return build_zk_world(deployed, artifacts)
