"""A small deployed city for tests: actors with keys and roles, and helpers to act as them."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from web3 import Web3
from web3.contract import Contract

from credit.artifacts import Artifact
from credit.chain import Transactor, deploy_system, fund, time_travel
from credit.chain.deploy import System, decoder_for
from credit.chain.signing import Claim, Endorser, Report, endorse, sign_claim, sign_report
from credit.ruleset import EvaluatorKind, RuleSet

SUPERIOR, PEER, PUBLIC, EXPERT = (int(k) for k in EvaluatorKind)
EPOCH = 7 * 86400
NOTICE = 3 * 86400


@dataclass
class Actor:
    """A key with its own transaction sender."""

    name: str
    key: bytes
    address: str
    tx: Transactor

    def send(self, fn: Any, **kw: Any) -> Any:
        return self.tx.send(fn, **kw)


@dataclass
class World:
    w3: Web3
    system: System
    ruleset: RuleSet
    actors: dict[str, Actor]
    residents: list[Actor] = field(default_factory=list)
    # report nonces only tell apart otherwise identical reports: a fresh one for each report
    report_nonces: Iterator[int] = field(default_factory=itertools.count)

    # -- handles -------------------------------------------------------------------------------
    @property
    def ledger(self) -> Contract:
        return self.system.ledger

    @property
    def rule_book(self) -> Contract:
        return self.system.rule_book

    def __getattr__(self, name: str) -> Actor:  # world.operator, world.superior, ...
        actors = self.__dict__.get("actors", {})
        if name in actors:
            return actors[name]
        raise AttributeError(name)

    # -- time ----------------------------------------------------------------------------------
    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> int:
        return time_travel(self.w3, seconds)

    def epoch(self) -> int:
        return int(self.ledger.functions.currentEpoch().call())

    # -- records -------------------------------------------------------------------------------
    def claim(
        self,
        resident: Actor,
        category: int = 1,
        units: int = 1,
        *,
        nonce: int | None = None,
        occurred_at: int | None = None,
        evidence: bytes = b"\x00" * 32,
        deadline: int = 2**48 - 1,
        signer: Actor | None = None,
        domain: Any = None,
    ) -> tuple[tuple[Any, ...], bytes]:
        """A signed claim tuple and its record id (nonce defaults to the resident's next one)."""
        if nonce is None:
            nonce = self.ledger.functions.claimNonce(resident.address).call()
        c = Claim(
            resident.address,
            category,
            units,
            self.now() - 60 if occurred_at is None else occurred_at,
            nonce,
            evidence,
            deadline,
        )
        d = domain or self.system.domain
        return sign_claim((signer or resident).key, c, d), c.record_id(self.system.domain)

    def report(
        self, reporter: Actor, resident: Actor, category: int = 100, units: int = 1, **kw: Any
    ) -> tuple[tuple[Any, ...], bytes]:
        nonce = kw.pop("nonce", None)
        if nonce is None:
            nonce = next(self.report_nonces)
        r = Report(
            reporter.address,
            resident.address,
            category,
            units,
            kw.pop("occurred_at", self.now() - 60),
            nonce,
            **kw,
        )
        return sign_report(reporter.key, r, self.system.domain), r.record_id(self.system.domain)

    def endorse(
        self,
        ids: Sequence[bytes],
        endorsers: Sequence[tuple[Actor, int] | tuple[Actor, int, Sequence[int]]],
        *,
        deadline: int = 2**48 - 1,
        domain: Any = None,
    ) -> list[tuple[Any, ...]]:
        items = [Endorser(e[0].key, e[1], e[2] if len(e) > 2 else None) for e in endorsers]  # type: ignore[misc]
        return endorse(domain or self.system.domain, list(ids), items, deadline)

    def relay(
        self,
        claims: list[Any],
        endorsements: list[Any],
        *,
        by: Actor | None = None,
        gas: int = 12_000_000,
    ) -> Any:
        return (by or self.operator).send(
            self.ledger.functions.relayClaims(claims, endorsements), gas=gas
        )

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

    def credit(self, who: Actor | str) -> int:
        address = who if isinstance(who, str) else who.address
        return int(self.ledger.functions.creditOf(address).call())

    def events(self, receipt: Any, name: str, contract: Contract | None = None) -> list[Any]:
        """Decoded events of ``name`` emitted by ``contract`` (the ledger) in ``receipt`` only."""
        c = contract or self.ledger
        from web3.logs import DISCARD

        logs = getattr(c.events, name)().process_receipt(receipt, errors=DISCARD)
        return [log for log in logs if log["address"] == c.address]

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
    decoder = decoder_for(artifacts)
    keys = [
        Account.from_key((seed * 1000 + i + 1).to_bytes(32, "big"))
        for i in range(len(NAMES) + residents)
    ]
    fund(w3, [k.address for k in keys], 10**20)
    actors = {
        name: Actor(name, bytes(k.key), k.address, Transactor(w3, k, decoder, gas=3_000_000))
        for name, k in zip(NAMES, keys, strict=False)
    }
    res = [
        Actor(f"resident{i}", bytes(k.key), k.address, Transactor(w3, k, decoder, gas=3_000_000))
        for i, k in enumerate(keys[len(NAMES) :])
    ]
    for r in res:
        actors[r.name] = r
    roles = {role: [actors[n].address for n in holders] for role, holders in ROLE_HOLDERS.items()}
    system = deploy_system(
        actors["operator"].tx,
        artifacts,
        ruleset,
        roles=roles,
        notice_period=NOTICE,
        epoch_length=EPOCH,
    )
    world = World(w3, system, ruleset, actors, res)
    world.registrar.send(world.ledger.functions.registerResidents([r.address for r in res]))
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
    from credit.chain.verifier import deploy_verifier

    contract, record = deploy_verifier(
        world.operator.tx,
        artifacts,
        world.system,
        quorum=quorum,
        commit_window=commit_window,
        reveal_window=reveal_window,
    )
    world.system.record = record
    return contract
