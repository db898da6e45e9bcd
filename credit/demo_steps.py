"""The demo city's story as a list of seed steps: each leaves one loop of the product ready to try.

:data:`DEMO_STEPS` run in order on a :class:`City`. After them, signing in as each demo wallet
finds something to do: a resident whose credit is about to expire (Dara), an open violation whose
appeal window closes in a few days (Chen), an appeal waiting for the arbiter (Eli), claims waiting
in the gateway for a superior, the public panel and a neighbour (Ana, Bo, Fang), a claim rejected
with its reason (Dara), and a period
whose reward was paid in full although a violation was confirmed in it (Chen). Period 1 was
verified by residents' computers (four agreed and earned credit, Eli's buggy worker did not), and
the last period's commit window is open for the visitor to verify it from the browser
(:mod:`credit.demo_verify`). Ana, Chen and Fang registered identities for private proofs and the
residents agreed period 3's Poseidon credit root, so Ana or Fang can pass the city library's
"credit ≥ 50" gate from the browser without saying who they are (:mod:`credit.demo_zk`).

A step that needs the gateway's store (claims held by the relay until their quorum is met) runs
only when the city has an :class:`Intake` (``make demo``), not on the throw-away chain of
``credit demo --no-serve``. Dara's claim, rejected by the community centre with a reason, and the
statement Eli wrote for the arbiter, live there too. To seed another loop, add a step function to
:data:`DEMO_STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from credit.chain import city as harness
from credit.chain import time_travel
from credit.chain.signing import (
    pack_claim,
)
from credit.relay.models import (
    ClaimIn,
    ConfirmationIn,
    RejectionIn,
)
from credit.ruleset import EvaluatorKind
from credit.settings import Settings

if TYPE_CHECKING:
    from credit.demo import DemoResult, EvidenceKeeper, Person

SUPERIOR, PEER, PUBLIC, EXPERT = (int(k) for k in EvaluatorKind)
DAY = 24 * 3600
MONTHS_LATER_EPOCH = 24  # Dara's credit (last earned in epoch 0) then lapses two epochs on


class Intake(Protocol):
    """The gateway's relay intake: signed claims and confirmations it holds until quorum."""

    def claim(self, payload: ClaimIn) -> None: ...

    def confirm(self, payload: ConfirmationIn) -> None: ...

    def reject(self, record_id: str, payload: RejectionIn) -> None: ...

    def appeal_statement(self, record_id: str, statement: bytes, author: str) -> None:
        """Show the arbiter the kept text whose commitment ``statement`` was appealed with."""
        ...


@dataclass
class City(harness.City):
    """What the seed steps share: the deployed system, the people and where evidence goes."""

    people: list[Person]
    settings: Settings
    say: Callable[[str], None]
    keeper: EvidenceKeeper
    result: DemoResult
    intake: Intake | None = None

    def relayer(self) -> Person:
        return self.staff[0]

    @property
    def staff(self) -> list[Person]:
        """operator, community centre, sanitation dept, panel member, expert, arbiter."""
        return self.people[:6]

    @property
    def residents(self) -> list[Person]:
        """Ana, Bo, Chen, Dara, Eli, Fang."""
        return self.people[6:]

    def epoch(self) -> int:
        return int(self.ledger.functions.currentEpoch().call())

    def advance(self, seconds: int) -> None:
        time_travel(self.system.w3, seconds)

    def evidence(self, owner: Person, text: str) -> bytes:
        """Keep ``text`` off chain; its salted commitment goes on chain."""
        item = self.keeper.keep(owner.address, text)
        self.result.evidence.append(item)
        return item.commitment

    def book(
        self, p: Person, category: str, units: int, what: str, confirmers: list[tuple[Any, int]]
    ) -> None:
        """A claim confirmed by ``confirmers``, relayed at once (one packed transaction)."""
        cat = self.ruleset.category(category)
        evidence = self.evidence(p, what)
        signed, rid = self.claim(p, cat.id, units, occurred_at=self.now() - 3600, evidence=evidence)
        packed = pack_claim(signed, self.endorse([rid], confirmers))
        self.relayer().send(self.ledger.functions.relayClaimPacked(packed), gas=600_000)
        who = ", ".join(e.name for e, _ in confirmers)
        self.say(f"  {p.name}: {units} {cat.unit.en}(s) of {cat.title.en}, confirmed by {who}")

    def littering(self, resident: Person, what: str) -> bytes:
        """A littering report by the sanitation dept, confirmed by the community centre and the
        panel member: recorded at once; returns its record id."""
        _, centre, sanitation, panel, _, _ = self.staff
        lit = self.ruleset.category("littering")
        evidence = self.evidence(sanitation, what)
        signed, rid = self.report(
            sanitation, resident, lit.id, 1, occurred_at=self.now() - 600, evidence=evidence
        )
        ends = self.endorse([rid], [(centre, SUPERIOR), (panel, PUBLIC)])
        self.relayer().send(self.ledger.functions.relayReports([signed], ends), gas=600_000)
        return rid

    def mint(self, epoch: int, residents: list[Person]) -> None:
        earned = [
            p.address
            for p in residents
            if self.ledger.functions.epochEarnings(p.address, epoch).call()[0]
        ]
        self.staff[0].tx.send(self.ledger.functions.mintRewards(epoch, earned), gas=2_000_000)


def register_residents(city: City) -> None:
    """The registry office registers the six residents (addresses only)."""
    op = city.staff[0]
    city.say(
        f"Deployed RuleBook {city.system.rule_book.address} and CreditLedger {city.ledger.address}"
    )
    op.tx.send(city.ledger.functions.registerResidents([p.address for p in city.residents]))
    city.say(f"Registered {len(city.residents)} residents (addresses only)")


def two_weeks(city: City) -> None:
    """Two weeks of claims confirmed by different kinds, a violation overturned on appeal, and
    the first week's rewards."""
    _, centre, sanitation, panel, expert, arbiter = city.staff
    ana, bo, chen, dara, eli, fang = city.residents
    city.say("Week 1")
    city.book(
        ana,
        "volunteering",
        3,
        f"{ana.who.full_name} (ID {ana.who.national_id}) sorted donations at the "
        "Riverside food bank, 9:00-12:00; shift lead can confirm on +1 212 555 0187.",
        [(centre, SUPERIOR), (bo, PEER)],
    )
    city.book(
        bo,
        "volunteering",
        2,
        f"Park clean-up at Hollow Lane with {chen.who.full_name}; {bo.who.full_name} "
        f"collected 6 bags. Call me on {bo.who.phone} for the photos.",
        [(centre, SUPERIOR), (chen, PEER)],
    )
    city.book(
        chen,
        "civic_feedback",
        2,
        f"Survey of the bus stop at 14 Harbour Road, filled in by {chen.who.full_name}: "
        "the shelter roof leaks and the timetable is unreadable at night.",
        [(panel, PUBLIC), (dara, PEER)],
    )
    city.book(
        dara,
        "community_service",
        1,
        f"{dara.who.full_name} visited Mrs. Hedda Kowalczyk (flat 3B, Elm Court), who "
        "lives alone, to help with shopping.",
        [(centre, SUPERIOR), (eli, PEER)],
    )
    city.book(
        fang,
        "volunteering",
        4,
        f"Library homework club, four sessions tutored by {fang.who.full_name} "
        f"(ID {fang.who.national_id}); sign-in sheet held by the librarian.",
        [(centre, SUPERIOR), (expert, EXPERT), (ana, PEER)],
    )

    city.say("Week 2")
    city.advance(city.settings.epoch_seconds)
    city.book(
        ana,
        "community_service",
        2,
        f"Pavement repair on Mill Street with the works team; reach "
        f"{ana.who.full_name} on {ana.who.phone}.",
        [(centre, SUPERIOR), (fang, PEER)],
    )
    city.book(
        eli,
        "volunteering",
        2,
        f"River clean-up at the weir: {eli.who.full_name}, ID {eli.who.national_id}, "
        f"phone {eli.who.phone}, 2 hours.",
        [(sanitation, SUPERIOR), (bo, PEER)],
    )
    lit = city.ruleset.category("littering")
    rid = city.littering(
        bo,
        f"Photo 113: litter by the bins of 22 Station Road; resident {bo.who.full_name} "
        f"(ID {bo.who.national_id}) was seen nearby.",
    )
    city.say(
        f"  {bo.name}: a littering report by the sanitation dept, confirmed by the panel "
        f"(-{lit.points_per_unit})"
    )
    statement = city.evidence(
        bo,
        f"I, {bo.who.full_name}, did not drop it: the wind tipped the bin over, see photo 114. "
        f"My neighbour {dara.who.full_name} ({dara.who.phone}) saw it.",
    )
    bo.tx.send(city.ledger.functions.fileAppeal(rid, statement))
    city.say(f"  {bo.name} appealed; the arbiter reviewed the evidence and overturned it")
    reasoning = city.evidence(
        arbiter,
        f"Photo 114 shows the bin tipped over by the wind; witness {dara.who.full_name} "
        f"confirmed by phone. Report against {bo.who.full_name} overturned.",
    )
    arbiter.tx.send(city.ledger.functions.resolveAppeal(rid, True, reasoning))

    city.advance(city.settings.epoch_seconds)
    city.mint(0, city.residents)
    city.say("Rewards for week 1 minted at the published rate")


def months_later(city: City) -> None:
    """Months later, Bo, Chen and Fang take part again; Dara has been away since week 1, so her
    credit lapses in two periods unless a new activity of hers is credited."""
    _, centre, _, panel, expert, _ = city.staff
    ana, bo, chen, dara, eli, fang = city.residents
    city.advance((MONTHS_LATER_EPOCH - city.epoch()) * city.settings.epoch_seconds)
    city.say(f"Months later (period {city.epoch()})")
    city.book(
        bo,
        "community_service",
        1,
        f"{bo.who.full_name} helped set up the polling station at the school gym.",
        [(centre, SUPERIOR), (eli, PEER)],
    )
    city.book(
        chen,
        "volunteering",
        2,
        f"{chen.who.full_name} read to children at the library on Saturday morning.",
        [(centre, SUPERIOR), (ana, PEER)],
    )
    city.book(
        fang,
        "civic_feedback",
        1,
        f"{fang.who.full_name} reported the broken street light on Quay Lane.",
        [(panel, PUBLIC), (expert, EXPERT)],
    )
    city.say(f"  {dara.name} has been away since week 1: her credit expires soon")


def open_violation(city: City) -> None:
    """Chen gets a littering record, in the same period as an activity (left open: Chen may
    still appeal it)."""
    chen = city.residents[2]
    city.littering(
        chen,
        f"Photo 207: a bag of rubbish left by the bus stop at 14 Harbour Road; "
        f"{chen.who.full_name} was seen leaving it.",
    )
    city.say(f"  {chen.name}: a littering record, confirmed; {chen.name} may still appeal it")


def appeal_waiting(city: City) -> None:
    """Eli gets a littering record and appeals it: the appeal waits for the arbiter."""
    eli = city.residents[4]
    rid = city.littering(
        eli,
        f"Photo 212: cigarette butts by the bench at the weir; {eli.who.full_name} sat there.",
    )
    statement = city.evidence(
        eli,
        f"I, {eli.who.full_name}, do not smoke; I was picking the butts up for the river "
        "clean-up group. Our group leader can confirm.",
    )
    eli.tx.send(city.ledger.functions.fileAppeal(rid, statement))
    if city.intake is not None:  # the arbiter reads Eli's statement beside the report
        city.intake.appeal_statement("0x" + rid.hex(), statement, eli.address)
    city.say(f"  {eli.name}: a littering record, appealed: the appeal waits for the arbiter")


def days_later(city: City) -> None:
    """Eleven and a half days on: Chen's appeal window closes in under three days, and the
    period of Chen's activity and violation is paid on the points earned."""
    chen = city.residents[2]
    epoch = city.epoch()
    city.advance(23 * DAY // 2)
    city.mint(epoch, city.residents)
    city.say(
        f"Rewards for period {epoch} minted on points earned ({chen.name}'s violation in it "
        "lowered credit, not the reward)"
    )


from credit.demo_relay import claim_rejected, claims_waiting  # noqa: E402  (they use City)
from credit.demo_verify import (  # noqa: E402  (its steps use City)
    open_for_verification,
    period_verified,
    verifier_deployed,
)
from credit.demo_zk import (  # noqa: E402  (its steps use City)
    identities_registered,
    poseidon_root_agreed,
    private_proofs_deployed,
)

Step = Callable[[City], None]
DEMO_STEPS: tuple[Step, ...] = (
    register_residents,
    verifier_deployed,
    private_proofs_deployed,
    two_weeks,
    period_verified,
    identities_registered,
    poseidon_root_agreed,
    months_later,
    open_violation,
    appeal_waiting,
    days_later,
    claims_waiting,
    claim_rejected,
    open_for_verification,
)
"""The story, in order. Add a step for a new loop; each step says what it leaves to try."""
