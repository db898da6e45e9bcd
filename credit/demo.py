"""The scripted demo: a small city on the embedded chain, from registration to rewards.

Everything on chain is addresses, hashes and numbers; the residents' names below exist only in
this script's output, to make it readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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

# Pseudonyms for the demo's output only; never sent anywhere.
RESIDENTS = ["Ana", "Bo", "Chen", "Dara", "Eli", "Fang"]
STAFF = ["operator", "community centre", "sanitation dept", "panel member", "expert", "arbiter"]


@dataclass
class Person:
    name: str
    account: object
    tx: Transactor

    @property
    def address(self) -> str:
        return str(self.account.address)  # type: ignore[attr-defined]

    @property
    def key(self) -> bytes:
        return bytes(self.account.key)  # type: ignore[attr-defined]


@dataclass
class DemoResult:
    system: System
    residents: list[Person]
    log: list[str] = field(default_factory=list)

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


def _evidence(text: str) -> bytes:
    """A salted commitment: only this hash goes on chain, never the text."""
    return keccak(b"demo-salt:" + text.encode())


def demo_people(w3: Any, artifacts: dict[str, Artifact]) -> list[Person]:
    """The demo's officials and residents: fixed, throw-away keys, funded on the dev chain."""
    decoder = decoder_for(artifacts)
    accounts = [Account.from_key(keccak(text=f"consensus-credit demo {i}")) for i in range(12)]
    unfunded = [a.address for a in accounts if w3.eth.get_balance(a.address) < 10**18]
    if unfunded:
        fund(w3, unfunded, 10**20)
    return [
        Person(n, a, Transactor(w3, a, decoder, gas=3_000_000))
        for n, a in zip(STAFF + RESIDENTS, accounts, strict=True)
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
    """Deploy on a fresh in-memory chain and play a few weeks of city life."""
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
) -> DemoResult:
    """Register residents, then two weeks: claims, a violation overturned on appeal, rewards."""
    w3 = system.w3
    op, centre, sanitation, panel, expert, arbiter = people[:6]
    residents = people[6:]
    ledger, domain = system.ledger, system.domain
    result = DemoResult(system, residents)
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
        c = Claim(p.address, cat.id, units, now() - 3600, nonce, _evidence(what))
        rid = c.record_id(domain)
        ends = endorse(domain, [rid], [Endorser(e.key, kind) for e, kind in confirmers])
        # one record per transaction: the packed single-claim path, the cheapest for it
        packed = pack_claim(sign_claim(p.key, c, domain), ends)
        op.tx.send(ledger.functions.relayClaimPacked(packed), gas=600_000)
        who = ", ".join(e.name for e, _ in confirmers)
        say(f"  {p.name}: {units} {cat.unit.en}(s) of {cat.title.en}, confirmed by {who}")

    ana, bo, chen, dara, eli, fang = residents
    say("Week 1")
    claim(ana, "volunteering", 3, "food bank shift", [(centre, SUPERIOR), (bo, PEER)])
    claim(bo, "volunteering", 2, "park clean-up", [(centre, SUPERIOR), (chen, PEER)])
    claim(chen, "civic_feedback", 2, "bus stop survey", [(panel, PUBLIC), (dara, PEER)])
    claim(dara, "community_service", 1, "elderly visits", [(centre, SUPERIOR), (eli, PEER)])
    claim(fang, "volunteering", 4, "library tutoring", [(expert, EXPERT), (ana, PEER)])

    say("Week 2")
    time_travel(w3, settings.epoch_seconds)
    claim(ana, "community_service", 2, "street repairs", [(centre, SUPERIOR), (fang, PEER)])
    claim(eli, "volunteering", 2, "river clean-up", [(sanitation, SUPERIOR), (bo, PEER)])
    lit = ruleset.category("littering")
    report = Report(
        sanitation.address,
        bo.address,
        lit.id,
        1,
        now() - 600,
        ledger.functions.nonces(sanitation.address).call(),
        _evidence("photo 113"),
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
    bo.tx.send(ledger.functions.fileAppeal(rid, _evidence("it was the wind, see photo 114")))
    say(f"  {bo.name} appealed; the arbiter reviewed the evidence and overturned it")
    arbiter.tx.send(
        ledger.functions.resolveAppeal(rid, True, _evidence("photo 114 shows the bin tipped over"))
    )

    time_travel(w3, settings.epoch_seconds)
    earned = [
        p.address for p in residents if ledger.functions.epochEarnings(p.address, 0).call()[0]
    ]
    op.tx.send(ledger.functions.mintRewards(0, earned), gas=2_000_000)
    say(f"Rewards for week 1 minted to {len(earned)} residents at the published rate")
    return result
