"""A small deployed city for tests (on :mod:`credit.chain.city`): one actor per role and a few
residents, all with keys."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain import fund, time_travel
from credit.chain.city import (
    EPOCH as EPOCH,  # re-exported: the tests import the city constants from here
)
from credit.chain.city import NOTICE as NOTICE
from credit.chain.city import Actor, City, deploy_city, keyed_actors
from credit.ruleset import EvaluatorKind, RuleSet

SUPERIOR, PEER, PUBLIC, EXPERT = (int(k) for k in EvaluatorKind)


@dataclass
class World(City):
    """The test city: one actor per role (``world.operator``, ``world.superior``, ...) and
    ``residents`` registered residents, each with a key."""

    actors: dict[str, Actor] = field(default_factory=dict)
    residents: list[Actor] = field(default_factory=list)
    # report nonces only tell apart otherwise identical reports: a fresh one for each report
    report_nonces: Iterator[int] = field(default_factory=itertools.count)

    def __getattr__(self, name: str) -> Actor:  # world.operator, world.superior, ...
        actors = self.__dict__.get("actors", {})
        if name in actors:
            return actors[name]
        raise AttributeError(name)

    def relayer(self) -> Actor:
        return self.operator

    def report_nonce(self, reporter: Actor) -> int:
        return next(self.report_nonces)

    # -- time ----------------------------------------------------------------------------------
    def advance(self, seconds: int) -> int:
        return time_travel(self.w3, seconds)

    def epoch(self) -> int:
        return int(self.ledger.functions.currentEpoch().call())

    # -- records -------------------------------------------------------------------------------
    def credit_one(
        self, resident: Actor, category: int = 1, units: int = 1, **kw: Any
    ) -> tuple[Any, bytes]:
        """Claim and confirm one record with a superior and a peer; returns (receipt, record id)."""
        signed, rid = self.claim(resident, category, units, **kw)
        peer = next(r for r in self.residents if r.address != resident.address)
        receipt = self.relay(
            [signed], self.endorse([rid], [(self.superior, SUPERIOR), (peer, PEER)])
        )
        return receipt, rid

    def reset_nonces(self) -> None:
        for actor in self.actors.values():
            actor.tx.reset_nonce()


ROLE_HOLDERS = {
    "REGISTRAR_ROLE": ["registrar"],
    "SUPERIOR_ROLE": ["superior", "superior2"],
    "PUBLIC_PANEL_ROLE": ["panel", "panel2"],
    "EXPERT_ROLE": ["expert"],
    "ARBITER_ROLE": ["arbiter"],
    "MINTER_ROLE": ["minter"],
}
NAMES = [
    "operator",
    "registrar",
    "superior",
    "superior2",
    "panel",
    "panel2",
    "expert",
    "arbiter",
    "minter",
    "outsider",
]


def build_world(
    w3: Web3, artifacts: dict[str, Artifact], ruleset: RuleSet, *, residents: int = 6, seed: int = 1
) -> World:
    """Deploy on ``w3`` with one actor per role and ``residents`` registered residents."""
    keys = [
        Account.from_key((seed * 1000 + i + 1).to_bytes(32, "big"))
        for i in range(len(NAMES) + residents)
    ]
    fund(w3, [k.address for k in keys], 10**20)
    names = [*NAMES, *(f"resident{i}" for i in range(residents))]
    cast = keyed_actors(w3, artifacts, zip(names, keys, strict=True))
    actors = {a.name: a for a in cast}
    system = deploy_city(actors, artifacts, ruleset, ROLE_HOLDERS)
    world = World(w3, system, ruleset, actors, cast[len(NAMES) :])
    world.registrar.send(
        world.ledger.functions.registerResidents([r.address for r in world.residents])
    )
    return world


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


VERIFY_WINDOW = 2 * 86400  # the test verifier's commit and reveal windows (each)


def add_verifier(
    world: World,
    artifacts: dict[str, Artifact],
    *,
    quorum: int = 2,
    commit_window: int = VERIFY_WINDOW,
    reveal_window: int = VERIFY_WINDOW,
) -> Contract:
    """Deploy an EpochVerifier on ``world`` (VERIFIER_ROLE granted) and list it in the world's
    deployment record, as `credit verify deploy` lists it in the deployment file: a gateway wired
    over ``world.system`` then serves /v1/verification and relays to it."""
    from credit.chain.verifier import VerifierTerms, deploy_verifier

    terms = VerifierTerms(quorum, commit_window, reveal_window)
    contract, record = deploy_verifier(world.operator.tx, artifacts, world.system, terms)
    world.system.record = record
    return contract
