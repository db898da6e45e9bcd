"""A deployed EpochVerifier on the test world, and moves through an epoch's windows."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import keccak
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain.verifier import (
    VerifierClient,
    VerifierTerms,
    Windows,
    commitment_of,
    deploy_verifier,
)
from tests.support.world import EPOCH, Actor, World

DAY = 86400
QUORUM = 3
COMMIT_WINDOW = 2 * DAY
REVEAL_WINDOW = 2 * DAY
VERIFICATION = 4  # ledger_verification: automated, 20 points, cap 20 per epoch
MARGIN = 3600  # land this far inside a window


def root_of(label: str) -> bytes:
    return keccak(text=f"root {label}")


def salt_of(actor: Actor) -> bytes:
    return keccak(text=f"salt {actor.name}")


def deploy(world: World, artifacts: dict[str, Artifact], quorum: int = QUORUM) -> Contract:
    terms = VerifierTerms(quorum, COMMIT_WINDOW, REVEAL_WINDOW)
    contract, _record = deploy_verifier(world.operator.tx, artifacts, world.system, terms)
    return contract


@dataclass
class Rig:
    """The world and its verifier; ``client(actor)`` sends as that actor."""

    world: World
    contract: Contract

    def client(self, actor: Actor | None = None) -> VerifierClient:
        tx = actor.tx if actor is not None else None
        return VerifierClient(self.contract, tx, decoder=self.world.system.decoder)

    def windows(self, epoch: int) -> Windows:
        return self.client().windows(epoch)

    def goto(self, timestamp: int) -> None:
        """Move the chain's clock to ``timestamp`` (forward only)."""
        now = self.world.now()
        assert timestamp > now, f"cannot go back from {now} to {timestamp}"
        self.world.advance(timestamp - now)

    def to_commit(self, epoch: int) -> None:
        self.goto(self.windows(epoch).commit_opens + MARGIN)

    def to_reveal(self, epoch: int) -> None:
        self.goto(self.windows(epoch).reveal_opens + MARGIN)

    def to_finalize(self, epoch: int) -> None:
        self.goto(self.windows(epoch).reveal_closes + MARGIN)

    def commit(self, actor: Actor, epoch: int, root: bytes) -> object:
        return self.client(actor).commit(epoch, commitment_of(root, salt_of(actor), actor.address))

    def reveal(self, actor: Actor, epoch: int, root: bytes) -> object:
        return self.client(actor).reveal(epoch, root, salt_of(actor))

    def vote(self, epoch: int, votes: list[tuple[Actor, bytes]]) -> None:
        """Commit then reveal each (actor, root) of ``votes``; ends inside the reveal window."""
        self.to_commit(epoch)
        for actor, root in votes:
            self.commit(actor, epoch, root)
        self.to_reveal(epoch)
        for actor, root in votes:
            self.reveal(actor, epoch, root)


__all__ = ["EPOCH", "Rig"]
