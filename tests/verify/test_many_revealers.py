"""Finalising an epoch that thousands of residents verified (issue 14, finding 5).

The 2,000 revealers' reveals are booked by a test-only harness (the real EpochVerifier plus
``seedReveals``, which skips commit and the windows) so the module runs in seconds; registration,
finalisation and every crediting transaction run through the real contracts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain import role_id
from credit.chain.verifier import VerifierClient
from tests.verify.rig import COMMIT_WINDOW, QUORUM, REVEAL_WINDOW, VERIFICATION, Rig, root_of
from tests.world import World

REVEALERS = 2_000
DISSENTERS = 5
BLOCK_GAS_LIMIT = 30_000_000  # mainnet's; eth-tester's blocks hold 30,029,122
SEED_BATCH = 500
HONEST, WRONG = root_of("honest"), root_of("faulty")


def crowd_address(i: int) -> str:
    """The i-th revealer: a deterministic address (nobody needs its key: reveals are seeded)."""
    return to_checksum_address(keccak(b"crowd" + i.to_bytes(4, "big"))[12:])


@dataclass
class Crowd:
    rig: Rig
    honest: list[str]
    dissenters: list[str]

    @property
    def world(self) -> World:
        return self.rig.world

    def seed(self, epoch: int, root: bytes, residents: list[str]) -> None:
        fn = self.rig.contract.functions.seedReveals
        for k in range(0, len(residents), SEED_BATCH):
            self.world.operator.send(fn(epoch, root, residents[k : k + SEED_BATCH]), gas=29_000_000)


@pytest.fixture(scope="module")
def harness(deployed: World, artifacts: dict[str, Artifact]) -> Contract:
    """The verifier harness with VERIFIER_ROLE, and the crowd registered on the ledger."""
    art = artifacts["EpochVerifierHarness"]
    args = (deployed.ledger.address, VERIFICATION, QUORUM, COMMIT_WINDOW, REVEAL_WINDOW)
    address = deployed.operator.tx.deploy(art.abi, art.bytecode, *args)["contractAddress"]
    grant = deployed.ledger.functions.grantRole(role_id("VERIFIER_ROLE"), address)
    deployed.operator.send(grant)
    everyone = [crowd_address(i) for i in range(REVEALERS + DISSENTERS)]
    register = deployed.ledger.functions.registerResidents
    for k in range(0, len(everyone), SEED_BATCH):
        deployed.registrar.send(register(everyone[k : k + SEED_BATCH]), gas=29_000_000)
    return deployed.w3.eth.contract(address=address, abi=art.abi)  # type: ignore[return-value]


@pytest.fixture
def crowd(harness: Contract, world: World) -> Iterator[Crowd]:
    everyone = [crowd_address(i) for i in range(REVEALERS + DISSENTERS)]
    yield Crowd(Rig(world, harness), everyone[:REVEALERS], everyone[REVEALERS:])


def test_two_thousand_winners_are_credited_in_blocks_under_the_gas_limit(crowd: Crowd) -> None:
    """Every winner is paid and the root is provable, in transactions that each fit a block."""
    rig, w = crowd.rig, crowd.world
    rig.to_reveal(0)
    crowd.seed(0, HONEST, crowd.honest)
    crowd.seed(0, WRONG, crowd.dissenters)
    rig.to_finalize(0)
    client = VerifierClient(rig.contract, w.outsider.tx, decoder=w.system.decoder)
    roots, winners = client.finalize_args(0)
    assert len(winners) == REVEALERS
    fn = rig.contract.functions.finalize(0, roots, winners)
    receipt = w.outsider.send(fn, gas=BLOCK_GAS_LIMIT)
    assert receipt["gasUsed"] <= BLOCK_GAS_LIMIT
    assert rig.contract.functions.finalRoot(0).call() == HONEST
    credited = {e["args"]["resident"] for e in w.ledger.events.RecordCredited.get_logs(from_block=0)
                if e["args"]["category"] == VERIFICATION}
    assert credited == set(crowd.honest)
