"""One harness that builds a city on a chain: keyed actors, their roles, the deployment, and the
signed records they make.

The demo (:mod:`credit.demo`), the gas benchmarks (``bench/_city.py``) and the tests
(``tests/support/world.py``) each choose their own cast, keys and clock; the parts they share are
here: :class:`Actor` (a key with its own transaction sender), :func:`keyed_actors`,
:func:`deploy_city` (deploy with roles given by actor) and :class:`City`, whose helpers sign
claims, reports and endorsements and relay them as those actors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from credit.artifacts import Artifact
from credit.chain import Transactor, deploy_system
from credit.chain.deploy import System, decoder_for
from credit.chain.eip712 import Domain
from credit.chain.signing import (
    NO_DEADLINE,
    ZERO32,
    Claim,
    Endorser,
    Report,
    endorse,
    sign_claim,
    sign_report,
)
from credit.ruleset import RuleSet

EPOCH = 7 * 86400  # a week: the epoch of the test and benchmark cities
NOTICE = 3 * 86400  # the notice period before a new rule version applies
ACTOR_GAS = 3_000_000  # each actor's default gas limit: py-evm estimation is slow

# An evaluator and the kind it confirms as, optionally with the indices of the batch it confirms.
Endorsing = tuple["Actor", int] | tuple["Actor", int, Sequence[int]]


@dataclass
class Actor:
    """A key with its own transaction sender."""

    name: str
    key: bytes
    address: str
    tx: Transactor

    def send(self, fn: Any, **kw: Any) -> Any:
        return self.tx.send(fn, **kw)


def keyed_actors(
    w3: Web3,
    artifacts: dict[str, Artifact],
    accounts: Iterable[tuple[str, LocalAccount]],
    *,
    gas: int = ACTOR_GAS,
) -> list[Actor]:
    """One :class:`Actor` per ``(name, account)``, each sending with its own nonce on ``w3``."""
    decoder = decoder_for(artifacts)
    return [
        Actor(name, bytes(a.key), a.address, Transactor(w3, a, decoder, gas=gas))
        for name, a in accounts
    ]


def deploy_city(
    actors: Mapping[str, Actor],
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    holders: Mapping[str, Sequence[str]],
    *,
    notice_period: int = NOTICE,
    epoch_length: int = EPOCH,
    rules_uri: str = "",
) -> System:
    """Deploy the system from ``actors["operator"]``, each role granted to the actors named in
    ``holders`` (role name -> actor names)."""
    roles = {role: [actors[n].address for n in names] for role, names in holders.items()}
    return deploy_system(
        actors["operator"].tx,
        artifacts,
        ruleset,
        roles=roles,
        notice_period=notice_period,
        epoch_length=epoch_length,
        rules_uri=rules_uri,
    )


@dataclass
class City:
    """A deployed system and the helpers to sign and relay records in it.

    ``relay_gas`` is the gas limit of a relayed batch; subclasses add their cast of actors.
    """

    w3: Web3
    system: System
    ruleset: RuleSet

    relay_gas = 12_000_000

    @property
    def ledger(self) -> Contract:
        return self.system.ledger

    @property
    def rule_book(self) -> Contract:
        return self.system.rule_book

    @property
    def domain(self) -> Domain:
        return self.system.domain

    def relayer(self) -> Actor:
        """Who sends relayed batches unless told otherwise."""
        raise NotImplementedError

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def report_nonce(self, reporter: Actor) -> int:
        """The nonce of ``reporter``'s next report: by default its nonce on the ledger."""
        return int(self.ledger.functions.nonces(reporter.address).call())

    # -- records -------------------------------------------------------------------------------
    def claim(
        self,
        resident: Actor,
        category: int = 1,
        units: int = 1,
        *,
        nonce: int | None = None,
        occurred_at: int | None = None,
        evidence: bytes = ZERO32,
        deadline: int = NO_DEADLINE,
        signer: Actor | None = None,
        domain: Domain | None = None,
    ) -> tuple[tuple[Any, ...], bytes]:
        """A signed claim tuple and its record id (nonce defaults to the resident's next one)."""
        if nonce is None:
            nonce = int(self.ledger.functions.claimNonce(resident.address).call())
        c = Claim(
            resident.address,
            category,
            units,
            self.now() - 60 if occurred_at is None else occurred_at,
            nonce,
            evidence,
            deadline,
        )
        return sign_claim((signer or resident).key, c, domain or self.domain), c.record_id(
            self.domain
        )

    def report(
        self, reporter: Actor, resident: Actor, category: int = 100, units: int = 1, **kw: Any
    ) -> tuple[tuple[Any, ...], bytes]:
        """A signed violation report and its record id (``nonce``, ``occurred_at``, ``evidence``
        and ``deadline`` may be given)."""
        nonce = kw.pop("nonce", None)
        if nonce is None:
            nonce = self.report_nonce(reporter)
        r = Report(
            resident.address,
            category,
            units,
            kw.pop("occurred_at", self.now() - 60),
            nonce,
            **kw,
            reporter=reporter.address,
        )
        return sign_report(reporter.key, r, self.domain), r.record_id(self.domain)

    def endorse(
        self,
        ids: Sequence[bytes],
        endorsers: Sequence[Endorsing],
        *,
        deadline: int = NO_DEADLINE,
        domain: Domain | None = None,
    ) -> list[tuple[Any, ...]]:
        """One endorsement per evaluator, over every record of the batch or the indices given."""
        items = [Endorser(e[0].key, e[1], e[2] if len(e) > 2 else None) for e in endorsers]
        return endorse(domain or self.domain, list(ids), items, deadline)

    def relay(
        self,
        claims: list[Any],
        endorsements: list[Any],
        *,
        by: Actor | None = None,
        gas: int | None = None,
    ) -> TxReceipt:
        """Send ``relayClaims`` (from :meth:`relayer` unless ``by`` is given)."""
        fn = self.ledger.functions.relayClaims(claims, endorsements)
        receipt: TxReceipt = (by or self.relayer()).send(fn, gas=gas or self.relay_gas)
        return receipt

    def credit(self, who: Actor | str) -> int:
        address = who if isinstance(who, str) else who.address
        return int(self.ledger.functions.creditOf(address).call())

    def events(self, receipt: Any, name: str, contract: Contract | None = None) -> list[Any]:
        """Decoded events of ``name`` emitted by ``contract`` (the ledger) in ``receipt`` only."""
        c = contract or self.ledger
        logs = getattr(c.events, name)().process_receipt(receipt, errors=DISCARD)
        return [log for log in logs if log["address"] == c.address]
