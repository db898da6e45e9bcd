"""The scripted demo: a small city on the embedded chain, from registration to rewards.

Like a real city, the demo has personal data: the registry office's roster (names, phone
numbers, ID numbers) and the residents' evidence (statements naming people and places). All of it
stays off chain: the roster in the operator's own file, evidence in the gateway's evidence store.
On chain there are only addresses, numbers and salted commitments to the evidence
(``tests/test_privacy_scan.py`` scans every transaction, event and storage slot for it).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_utils import keccak

from credit.artifacts import Artifact
from credit.chain import Transactor, deploy_system, embedded_web3, fund, time_travel
from credit.chain.deploy import System, decoder_for
from credit.chain.signing import (
    Claim,
    Endorser,
    Report,
    endorse,
    pack_claim,
    sign_claim,
    sign_report,
)
from credit.ruleset import EvaluatorKind, RuleSet
from credit.settings import Settings

SUPERIOR, PEER, PUBLIC, EXPERT = (int(k) for k in EvaluatorKind)
ZERO = b"\x00" * 32

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
class Person:
    name: str
    account: object
    tx: Transactor
    profile: Profile | None = None  # residents only

    @property
    def address(self) -> str:
        return str(self.account.address)  # type: ignore[attr-defined]

    @property
    def key(self) -> bytes:
        return bytes(self.account.key)  # type: ignore[attr-defined]

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
    decoder = decoder_for(artifacts)
    accounts = [Account.from_key(keccak(text=f"consensus-credit demo {i}")) for i in range(12)]
    unfunded = [a.address for a in accounts if w3.eth.get_balance(a.address) < 10**18]
    if unfunded:
        fund(w3, unfunded, 10**20)
    profiles: list[Profile | None] = [None] * len(STAFF) + list(PROFILES)
    return [
        Person(n, a, Transactor(w3, a, decoder, gas=3_000_000), profile)
        for n, a, profile in zip(STAFF + RESIDENTS, accounts, profiles, strict=True)
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
    )
    return seed_city(system, people, ruleset, settings, say)


def seed_city(
    system: System,
    people: list[Person],
    ruleset: RuleSet,
    settings: Settings,
    say: Callable[[str], None] = print,
    keeper: EvidenceKeeper | None = None,
) -> DemoResult:
    """Register residents, then two weeks: claims, a violation overturned on appeal, rewards.

    Each piece of evidence goes to ``keeper`` (default: memory) and only its salted commitment
    to the chain.
    """
    w3 = system.w3
    op, centre, sanitation, panel, expert, arbiter = people[:6]
    residents = people[6:]
    ledger, domain = system.ledger, system.domain
    result = DemoResult(system, residents)
    keeper = keeper or MemoryEvidence()

    def evidence(owner: Person, text: str) -> bytes:
        item = keeper.keep(owner.address, text)
        result.evidence.append(item)
        return item.commitment

    say(f"Deployed RuleBook {system.rule_book.address} and CreditLedger {ledger.address}")
    op.tx.send(ledger.functions.registerResidents([p.address for p in residents]))
    say(f"Registered {len(residents)} residents (addresses only)")

    def now() -> int:
        return int(w3.eth.get_block("latest")["timestamp"])

    def claim(
        p: Person, category: str, units: int, what: str, confirmers: list[tuple[Person, int]]
    ) -> None:
        cat = ruleset.category(category)
        nonce = ledger.functions.claimNonce(p.address).call()
        c = Claim(p.address, cat.id, units, now() - 3600, nonce, evidence(p, what))
        rid = c.record_id(domain)
        ends = endorse(domain, [rid], [Endorser(e.key, kind) for e, kind in confirmers])
        # one record per transaction: the packed single-claim path, the cheapest for it
        packed = pack_claim(sign_claim(p.key, c, domain), ends)
        op.tx.send(ledger.functions.relayClaimPacked(packed), gas=600_000)
        who = ", ".join(e.name for e, _ in confirmers)
        say(f"  {p.name}: {units} {cat.unit.en}(s) of {cat.title.en}, confirmed by {who}")

    ana, bo, chen, dara, eli, fang = residents
    say("Week 1")
    claim(
        ana,
        "volunteering",
        3,
        f"{ana.who.full_name} (ID {ana.who.national_id}) sorted donations at the "
        "Riverside food bank, 9:00-12:00; shift lead can confirm on +1 212 555 0187.",
        [(centre, SUPERIOR), (bo, PEER)],
    )
    claim(
        bo,
        "volunteering",
        2,
        f"Park clean-up at Hollow Lane with {chen.who.full_name}; {bo.who.full_name} "
        f"collected 6 bags. Call me on {bo.who.phone} for the photos.",
        [(centre, SUPERIOR), (chen, PEER)],
    )
    claim(
        chen,
        "civic_feedback",
        2,
        f"Survey of the bus stop at 14 Harbour Road, filled in by {chen.who.full_name}: "
        "the shelter roof leaks and the timetable is unreadable at night.",
        [(panel, PUBLIC), (dara, PEER)],
    )
    claim(
        dara,
        "community_service",
        1,
        f"{dara.who.full_name} visited Mrs. Hedda Kowalczyk (flat 3B, Elm Court), who "
        "lives alone, to help with shopping.",
        [(centre, SUPERIOR), (eli, PEER)],
    )
    claim(
        fang,
        "volunteering",
        4,
        f"Library homework club, four sessions tutored by {fang.who.full_name} "
        f"(ID {fang.who.national_id}); sign-in sheet held by the librarian.",
        [(centre, SUPERIOR), (expert, EXPERT), (ana, PEER)],
    )

    say("Week 2")
    time_travel(w3, settings.epoch_seconds)
    claim(
        ana,
        "community_service",
        2,
        f"Pavement repair on Mill Street with the works team; reach "
        f"{ana.who.full_name} on {ana.who.phone}.",
        [(centre, SUPERIOR), (fang, PEER)],
    )
    claim(
        eli,
        "volunteering",
        2,
        f"River clean-up at the weir: {eli.who.full_name}, ID {eli.who.national_id}, "
        f"phone {eli.who.phone}, 2 hours.",
        [(sanitation, SUPERIOR), (bo, PEER)],
    )
    lit = ruleset.category("littering")
    report = Report(
        sanitation.address,
        bo.address,
        lit.id,
        1,
        now() - 600,
        ledger.functions.nonces(sanitation.address).call(),
        evidence(
            sanitation,
            f"Photo 113: litter by the bins of 22 Station Road; resident {bo.who.full_name} "
            f"(ID {bo.who.national_id}) was seen nearby.",
        ),
    )
    rid = report.record_id(domain)
    ends = endorse(domain, [rid], [Endorser(centre.key, SUPERIOR), Endorser(panel.key, PUBLIC)])
    op.tx.send(
        ledger.functions.relayReports([sign_report(sanitation.key, report, domain)], ends),
        gas=600_000,
    )
    say(
        f"  {bo.name}: a littering report by the sanitation dept, confirmed by the panel "
        f"(-{lit.points_per_unit})"
    )
    statement = evidence(
        bo,
        f"I, {bo.who.full_name}, did not drop it: the wind tipped the bin over, see photo 114. "
        f"My neighbour {dara.who.full_name} ({dara.who.phone}) saw it.",
    )
    bo.tx.send(ledger.functions.fileAppeal(rid, statement))
    say(f"  {bo.name} appealed; the arbiter reviewed the evidence and overturned it")
    arbiter.tx.send(
        ledger.functions.resolveAppeal(
            rid,
            True,
            evidence(
                arbiter,
                f"Photo 114 shows the bin tipped over by the wind; witness "
                f"{dara.who.full_name} confirmed by phone. Report against "
                f"{bo.who.full_name} overturned.",
            ),
        )
    )

    time_travel(w3, settings.epoch_seconds)
    earned = [
        p.address for p in residents if ledger.functions.epochEarnings(p.address, 0).call()[0]
    ]
    op.tx.send(ledger.functions.mintRewards(0, earned), gas=2_000_000)
    say(f"Rewards for week 1 minted to {len(earned)} residents at the published rate")
    return result
