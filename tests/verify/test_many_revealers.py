"""Settling an epoch that thousands of residents verified (issue 14, finding 5).

The revealers' reveals are booked by a test-only harness (the real EpochVerifier plus
``seedReveals``, which skips commit and the windows) so the module runs in seconds; registration,
finalisation and every crediting page run through the real contracts and the real settling code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple, dataclass
from typing import Any

import pytest
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain import role_id
from credit.chain.verifier import Outcome, VerifierClient
from credit.verify.merkle import state_tree
from credit.verify.settle import settle_epoch
from credit.verify.state import EpochState, ResidentState
from tests.support.world import World
from tests.verify.rig import COMMIT_WINDOW, QUORUM, REVEAL_WINDOW, VERIFICATION, Rig, root_of

REVEALERS = 2_000
DISSENTERS = 5
TX_GAS_CAP = 2**24  # EIP-7825's per-transaction cap (16,777,216), below a 30M block
BATCH = 500  # registrations or seeded reveals per transaction
WRONG = root_of("faulty")


def crowd_address(i: int) -> str:
    """The i-th revealer: a deterministic address (nobody needs its key: reveals are seeded)."""
    return to_checksum_address(keccak(b"crowd" + i.to_bytes(4, "big"))[12:])


EVERYONE = [crowd_address(i) for i in range(REVEALERS + DISSENTERS)]
STATE = EpochState(
    0,
    tuple(
        sorted(
            (ResidentState(a.lower(), 100 + i, i % 3) for i, a in enumerate(EVERYONE[:64])),
            key=lambda r: int(r.resident, 16),
        )
    ),
)
TREE = state_tree(STATE)


@dataclass
class Crowd:
    rig: Rig
    honest: list[str]
    dissenters: list[str]

    @property
    def world(self) -> World:
        return self.rig.world

    def seed(self, epoch: int, roots: list[bytes], residents: list[str]) -> None:
        """Book ``residents[i]``'s reveal of ``roots[i]`` (of ``roots[0]`` if it is alone)."""
        fn = self.rig.contract.functions.seedReveals
        for k in range(0, len(residents), BATCH):
            some = roots if len(roots) == 1 else roots[k : k + BATCH]
            self.world.operator.send(fn(epoch, some, residents[k : k + BATCH]), gas=29_000_000)


class _Recording(VerifierClient):
    """The outsider's client, keeping the receipt of every crediting page it pushes."""

    def __init__(self, client: VerifierClient) -> None:
        super().__init__(client.contract, client.tx, decoder=client.decoder)
        self.receipts: list[Any] = []

    def credit_winners(self, epoch: int, winners: list[str]) -> Any:
        receipt = super().credit_winners(epoch, winners)
        self.receipts.append(receipt)
        return receipt


@pytest.fixture(scope="module")
def harness(deployed: World, artifacts: dict[str, Artifact]) -> Contract:
    """The verifier harness with VERIFIER_ROLE, and the crowd registered on the ledger."""
    art = artifacts["EpochVerifierHarness"]
    args = (deployed.ledger.address, VERIFICATION, QUORUM, COMMIT_WINDOW, REVEAL_WINDOW)
    address = deployed.operator.tx.deploy(art.abi, art.bytecode, *args)["contractAddress"]
    grant = deployed.ledger.functions.grantRole(role_id("VERIFIER_ROLE"), address)
    deployed.operator.send(grant)
    register = deployed.ledger.functions.registerResidents
    for k in range(0, len(EVERYONE), BATCH):
        deployed.registrar.send(register(EVERYONE[k : k + BATCH]), gas=29_000_000)
    return deployed.w3.eth.contract(address=address, abi=art.abi)  # type: ignore[return-value]


@pytest.fixture
def crowd(harness: Contract, world: World) -> Iterator[Crowd]:
    yield Crowd(Rig(world, harness), EVERYONE[:REVEALERS], EVERYONE[REVEALERS:])


def test_two_thousand_winners_are_credited_in_blocks_under_the_gas_limit(crowd: Crowd) -> None:
    """The root is final and provable at once; pages that each fit a transaction pay everyone."""
    rig, w = crowd.rig, crowd.world
    rig.to_reveal(0)
    crowd.seed(0, [TREE.root], crowd.honest)
    crowd.seed(0, [WRONG], crowd.dissenters)
    rig.to_finalize(0)
    client = _Recording(VerifierClient(rig.contract, w.outsider.tx, decoder=w.system.decoder))
    finalized = client.finalize(0, sorted([TREE.root, WRONG]))
    assert finalized["gasUsed"] <= TX_GAS_CAP
    assert astuple(client.tally(0)) == (
        REVEALERS + DISSENTERS,
        Outcome.FINALIZED,
        TREE.root,
        REVEALERS,
    )
    # Provable before anybody is paid: the root does not wait for the crediting.
    leaf = STATE.residents[5]
    proof = TREE.proof_of(leaf.resident, leaf.credit, leaf.earned)
    assert client.verify_credit(0, leaf.resident, leaf.credit, leaf.earned, proof)

    done = settle_epoch(client, 0)
    assert (done.pages_pushed, done.credited_by_me, done.unsettled) == (10, REVEALERS, 0)
    assert max(int(r["gasUsed"]) for r in client.receipts) <= TX_GAS_CAP
    credited = [
        e["args"]
        for r in client.receipts
        for e in w.events(r, "RecordCredited")
        if e["args"]["category"] == VERIFICATION
    ]
    assert sorted(c["resident"] for c in credited) == sorted(crowd.honest)  # each once, no other
    assert len({c["recordId"] for c in credited}) == REVEALERS
    # The balances agree (a sample: 2,000 eth_calls cost more than the pages on py-evm).
    assert {w.credit(a) for a in crowd.honest[::97]} == {20}
    assert {w.credit(a) for a in crowd.dissenters} == {0}


def test_a_majority_root_finalises_without_listing_every_dissent(crowd: Crowd) -> None:
    """Hundreds of distinct wrong roots cannot hold up a root that has a strict majority."""
    rig, w = crowd.rig, crowd.world
    rig.to_reveal(0)
    honest, wrong = crowd.honest[:400], crowd.honest[400:700]
    crowd.seed(0, [TREE.root], honest)
    crowd.seed(0, [root_of(f"wrong {i}") for i in range(len(wrong))], wrong)  # 300 roots
    rig.to_finalize(0)
    client = VerifierClient(rig.contract, w.outsider.tx, decoder=w.system.decoder)
    assert client.finalize_args(0) == [TREE.root]  # more roots than worth listing: the winner
    receipt = client.finalize(0)
    assert receipt["gasUsed"] < 100_000
    assert astuple(client.tally(0)) == (700, Outcome.FINALIZED, TREE.root, 400)
