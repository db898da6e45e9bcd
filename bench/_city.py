"""A deployed city for gas measurement, on :mod:`credit.chain.city`: fixed keys, a fixed clock,
a cast of keyed residents.

Everything that reaches calldata (ledger address, timestamps, nonces, signatures) is the same
whatever the number of background residents, so the same scenario costs the same at any size
unless the contracts themselves depend on the population.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, Web3
from web3.types import TxReceipt

from credit.artifacts import Artifact
from credit.chain import embedded_web3, fund
from credit.chain.city import EPOCH, Actor, City, Endorsing, deploy_city, keyed_actors
from credit.chain.signing import pack_claim
from credit.ruleset import EvaluatorKind, RuleSet

SUPERIOR, PEER, PUBLIC, EXPERT = (int(k) for k in EvaluatorKind)
DAY = 86400
T0 = 2_000_000_000  # the chain clock starts here (in the future), so block times are exact
CAST = 50  # keyed residents the scenarios act as
REGISTER_BATCH = 100
GAS_PER_REGISTRATION = 30_000  # explicit limit per resident: py-evm estimation is slow

OFFICIALS = ("operator", "registrar", "superior", "panel", "expert", "arbiter", "minter")
NEIGHBOUR = "neighbour"  # a keyed resident outside the cast: their peer when a whole batch of
# the cast is confirmed (volunteering requires a superior and a peer; nobody confirms their own)
ROLES = {
    "REGISTRAR_ROLE": ["registrar"],
    "SUPERIOR_ROLE": ["superior"],
    "PUBLIC_PANEL_ROLE": ["panel"],
    "EXPERT_ROLE": ["expert"],
    "ARBITER_ROLE": ["arbiter"],
    "MINTER_ROLE": ["minter"],
}


def account_address(label: bytes, i: int) -> str:
    """A deterministic address nobody holds a key for (background residents, newcomers)."""
    return str(to_checksum_address(keccak(label + i.to_bytes(4, "big"))[12:]))


@dataclass
class GasCity(City):
    """A deployed system with officials, a cast of residents and ``background`` other residents."""

    officials: dict[str, Actor]
    neighbour: Actor
    cast: list[Actor]
    background: int

    relay_gas = 15_000_000

    def __getattr__(self, name: str) -> Actor:  # city.superior, city.minter, ...
        officials: dict[str, Actor] = self.__dict__.get("officials", {})
        if name in officials:
            return officials[name]
        raise AttributeError(name)

    def relayer(self) -> Actor:
        return self.operator

    @property
    def population(self) -> int:
        """Registered residents: the cast, the neighbour and the background."""
        return len(self.cast) + 1 + self.background

    # -- clock ---------------------------------------------------------------------------------
    def at(self, epoch: int, seconds: int = 0) -> None:
        """Move the clock to ``seconds`` into ``epoch`` (absolute, so identical at every size)."""
        genesis = int(self.ledger.functions.epochSchedule().call()[1])
        _tester(self.w3).time_travel(genesis + epoch * EPOCH + seconds)

    @contextmanager
    def scenario(self) -> Iterator[GasCity]:
        """Run a scenario, then roll the chain back to where it started."""
        tester = _tester(self.w3)
        snapshot = tester.take_snapshot()
        try:
            yield self
        finally:
            tester.revert_to_snapshot(snapshot)
            for actor in [*self.officials.values(), self.neighbour, *self.cast]:
                actor.tx.reset_nonce()

    # -- records -------------------------------------------------------------------------------
    def credit_batch(
        self, residents: Sequence[Actor], category: int, endorsers: Sequence[Endorsing]
    ) -> TxReceipt:
        """Relay one record for each of ``residents`` confirmed by ``endorsers`` in one batch."""
        signed = [self.claim(r, category) for r in residents]
        return self.relay([s for s, _ in signed], self.endorse([i for _, i in signed], endorsers))

    def credit_packed(
        self, resident: Actor, category: int, endorsers: Sequence[Endorsing]
    ) -> TxReceipt:
        """Relay one record of ``resident`` with ``relayClaimPacked``."""
        signed, rid = self.claim(resident, category)
        fn = self.ledger.functions.relayClaimPacked(
            pack_claim(signed, self.endorse([rid], endorsers))
        )
        return self.operator.send(fn, gas=1_000_000)

    def mint(self, epoch: int, residents: Sequence[Actor]) -> TxReceipt:
        fn = self.ledger.functions.mintRewards(epoch, [r.address for r in residents])
        return self.minter.send(fn, gas=15_000_000)

    def register(self, addresses: Sequence[str]) -> TxReceipt:
        """Register ``addresses`` in one transaction with an explicit gas limit."""
        fn = self.ledger.functions.registerResidents(list(addresses))
        return self.registrar.send(fn, gas=60_000 + GAS_PER_REGISTRATION * len(addresses))


def _tester(w3: Web3) -> Any:
    provider = w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    return provider.ethereum_tester


def build_city(
    artifacts: dict[str, Artifact], ruleset: RuleSet, *, background: int, seed: int = 7
) -> GasCity:
    """Deploy on a fresh embedded chain, register the cast and ``background`` residents, and
    give the cast a history: a record in epoch 0, its reward paid in epoch 1, and in epoch 1 a
    volunteering record each (plus a capped community-service record for cast[0]).

    The clock is then 2 days into epoch 1, where every scenario starts.
    """
    w3 = embedded_web3()
    _tester(w3).time_travel(T0)
    names = [*OFFICIALS, NEIGHBOUR, *(f"resident{i}" for i in range(CAST))]
    accounts = [Account.from_key(keccak(seed.to_bytes(4, "big") + n.encode())) for n in names]
    actors = keyed_actors(w3, artifacts, zip(names, accounts, strict=True))
    officials = {a.name: a for a in actors[: len(OFFICIALS)]}
    neighbour, cast = actors[len(OFFICIALS)], actors[len(OFFICIALS) + 1 :]
    # Deploying first, from a fresh key, gives the ledger the same address at every size.
    fund(w3, [officials["operator"].address], 10**21)
    system = deploy_city(officials, artifacts, ruleset, ROLES)
    fund(w3, [a.address for a in actors[1:]], 10**21)
    city = GasCity(w3, system, ruleset, officials, neighbour, cast, background)
    city.register([r.address for r in cast] + [neighbour.address])
    others = [account_address(b"background", i) for i in range(background)]
    for start in range(0, background, REGISTER_BATCH):
        city.register(others[start : start + REGISTER_BATCH])
    if others and not city.ledger.functions.isResident(others[-1]).call():
        raise RuntimeError("the background residents were not all registered")
    _give_history(city)
    return city


def _give_history(city: GasCity) -> None:
    cast = city.cast
    city.at(0, DAY)
    city.credit_batch(cast, 1, [(city.superior, SUPERIOR), (city.neighbour, PEER)])
    city.at(1, DAY)
    city.mint(0, cast)  # every cast member now holds reward tokens
    city.credit_batch(cast, 1, [(city.superior, SUPERIOR), (city.neighbour, PEER)])
    city.credit_batch(cast[:1], 2, [(city.superior, SUPERIOR), (cast[1], PEER)])
    city.at(1, 2 * DAY)
