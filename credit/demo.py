"""The scripted demo: a small city on the embedded chain, from registration to rewards.

Like a real city, the demo has personal data: the registry office's roster (names, phone
numbers, ID numbers) and the residents' evidence (statements naming people and places). All of it
stays off chain: the roster in the operator's own file, evidence in the gateway's evidence store.
On chain there are only addresses, numbers and salted commitments to the evidence
(``tests/contracts/test_privacy_scan.py`` scans every transaction, event and storage slot for it).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_utils import keccak

from credit.artifacts import Artifact
from credit.chain import deploy_system, embedded_web3, fund
from credit.chain.city import Actor, keyed_actors
from credit.chain.deploy import System
from credit.rule_documents import document_uri
from credit.ruleset import RuleSet
from credit.settings import Settings

STAFF = ["operator", "community centre", "sanitation dept", "panel member", "expert", "arbiter"]


@dataclass(frozen=True)
class Profile:
    """What the registry office knows about a resident: kept in its roster, never on chain.

    ``name`` is the short pseudonym the demo prints; the rest is personal data (fictional: phone
    numbers 555-0100 to 555-0199 are reserved for fiction).
    """

    name: str
    full_name: str
    phone: str
    national_id: str


PROFILES = [
    Profile("Ana", "Ana Lucía Ferreira", "+1 212 555 0142", "7302-4815-96"),
    Profile("Bo", "Bo-Ra Lindqvist", "+1 212 555 0167", "6911-0238-47"),
    Profile("Chen", "Chen Wei-Ming", "+1 212 555 0183", "8845-7712-03"),
    Profile("Dara", "Dara O'Sullivan", "+1 212 555 0119", "5520-9164-38"),
    Profile("Eli", "Eli Abramowicz", "+1 212 555 0156", "9037-2281-65"),
    Profile("Fang", "Fang Nakamura-Reyes", "+1 212 555 0174", "4178-6650-21"),
]
RESIDENTS = [p.name for p in PROFILES]


@dataclass(frozen=True)
class EvidenceItem:
    """A piece of evidence kept off chain; only ``commitment`` = keccak256(salt || text) is
    written on chain, so without the salt nobody can link the two."""

    owner: str
    text: str
    salt: bytes
    commitment: bytes


class EvidenceKeeper(Protocol):
    """Where the demo keeps evidence: in memory, or in the gateway's evidence store."""

    def keep(self, owner: str, text: str) -> EvidenceItem: ...


class MemoryEvidence:
    """Evidence of a throw-away demo: kept in this object, each with a fresh 32-byte salt."""

    def __init__(self) -> None:
        self.items: list[EvidenceItem] = []

    def keep(self, owner: str, text: str) -> EvidenceItem:
        salt = secrets.token_bytes(32)
        item = EvidenceItem(owner, text, salt, keccak(salt + text.encode()))
        self.items.append(item)
        return item


def write_roster(path: Path, residents: list[Person]) -> None:
    """The registry office's roster (address, names, phone, ID number), readable by its owner
    only: the operator's file, never sent to the chain or the gateway."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{"address": p.address, **asdict(p.profile)} for p in residents if p.profile]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(rows, out, ensure_ascii=False, indent=2)


@dataclass
class Person(Actor):
    """A demo key (:class:`credit.chain.city.Actor`); residents carry their roster entry."""

    profile: Profile | None = None  # residents only

    @property
    def who(self) -> Profile:
        """The resident's entry in the registry office's roster."""
        if self.profile is None:
            raise ValueError(f"{self.name} is staff, not a resident: no roster entry")
        return self.profile


@dataclass
class DemoResult:
    system: System
    residents: list[Person]
    log: list[str] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)  # off chain, with their salts

    def balances(self) -> list[tuple[str, str, int, int]]:
        """(name, address, credit, reward tokens in base units) per resident."""
        ledger = self.system.ledger
        return [
            (
                p.name,
                p.address,
                ledger.functions.creditOf(p.address).call(),
                ledger.functions.balanceOf(p.address).call(),
            )
            for p in self.residents
        ]


def demo_people(w3: Any, artifacts: dict[str, Artifact]) -> list[Person]:
    """The demo's officials and residents: fixed, throw-away keys, funded on the dev chain."""
    accounts = [Account.from_key(keccak(text=f"consensus-credit demo {i}")) for i in range(12)]
    unfunded = [a.address for a in accounts if w3.eth.get_balance(a.address) < 10**18]
    if unfunded:
        fund(w3, unfunded, 10**20)
    actors = keyed_actors(w3, artifacts, zip(STAFF + RESIDENTS, accounts, strict=True))
    profiles: list[Profile | None] = [None] * len(STAFF) + list(PROFILES)
    return [
        Person(a.name, a.key, a.address, a.tx, profile)
        for a, profile in zip(actors, profiles, strict=True)
    ]


def demo_roles(people: list[Person], minter: str | None = None) -> dict[str, list[str]]:
    """Who holds which role in the demo city (the gateway's minter key may mint too)."""
    op, centre, sanitation, panel, expert, arbiter = people[:6]
    return {
        "REGISTRAR_ROLE": [op.address],
        "SUPERIOR_ROLE": [centre.address, sanitation.address],
        "PUBLIC_PANEL_ROLE": [panel.address],
        "EXPERT_ROLE": [expert.address],
        "ARBITER_ROLE": [arbiter.address],
        "MINTER_ROLE": [op.address, *([minter] if minter else [])],
    }


def run_demo(
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    settings: Settings,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Deploy on a fresh in-memory chain and play a few weeks of city life (evidence is kept in
    memory, in ``DemoResult.evidence``)."""
    w3 = embedded_web3()
    people = demo_people(w3, artifacts)
    system = deploy_system(
        people[0].tx,
        artifacts,
        ruleset,
        roles=demo_roles(people),
        notice_period=settings.notice_seconds,
        epoch_length=settings.epoch_seconds,
        rules_uri=document_uri(settings.rules_base_url(), 1),
    )
    return seed_city(system, people, ruleset, settings, say)


def seed_city(
    system: System,
    people: list[Person],
    ruleset: RuleSet,
    settings: Settings,
    say: Callable[[str], None] = print,
    keeper: EvidenceKeeper | None = None,
    intake: Any = None,
    steps: Sequence[Callable[[Any], None]] | None = None,
) -> DemoResult:
    """Play the demo's story (:data:`credit.demo_steps.DEMO_STEPS`, or ``steps``).

    Each piece of evidence goes to ``keeper`` (default: memory) and only its salted commitment
    to the chain; claims waiting for confirmations go to ``intake`` (the gateway's relay), if any.
    """
    from credit.demo_steps import DEMO_STEPS, City

    result = DemoResult(system, people[6:])
    keeper = keeper or MemoryEvidence()
    city = City(system.w3, system, ruleset, people, settings, say, keeper, result, intake)
    for step in DEMO_STEPS if steps is None else steps:
        step(city)
    return result


@dataclass(frozen=True)
class Wallet:
    """Who holds a demo key, what it may do, and how to use it."""

    name: str
    roles: str
    address: str
    key: str  # where the key is, or the throw-away key itself


ROLE_TEXT = {
    "operator": "registrar, minter (deployer: admin and rule governor on this dev chain)",
    "community centre": "superior (confirms claims, reports violations)",
    "sanitation dept": "superior (confirms claims, reports violations)",
    "panel member": "public panel (confirms claims, reports violations)",
    "expert": "expert (confirms claims, reports violations)",
    "arbiter": "arbiter (decides appeals)",
}


def demo_wallets(people: list[Person], settings: Settings) -> list[Wallet]:
    """Every demo wallet with its roles: the twelve people (import their throw-away key into a
    wallet to sign in as them) and the gateway's own two keys (it signs with them itself)."""
    rows = [
        Wallet(
            p.name,
            ROLE_TEXT.get(p.name, "resident (claims, appeals; confirms neighbours as a peer)"),
            p.address,
            "0x" + p.key.hex(),
        )
        for p in people
    ]
    for name, roles, key in (
        ("gateway minter", "minter (pays rewards, relays appeals)", settings.minter_private_key()),
        (
            "gateway relayer",
            "no role: pays gas to relay signed records",
            settings.relayer_private_key(),
        ),
    ):
        where = "the gateway's dev key (CREDIT_MINTER_KEY / CREDIT_RELAYER_KEY to change it)"
        rows.append(Wallet(name, roles, str(Account.from_key(key).address), where))
    return rows
