"""The demo city's claims held by the gateway's relay, until their quorum is met.

Seed steps (see :mod:`credit.demo_steps`), which run only when the city has an
:class:`~credit.demo_steps.Intake` (``make demo``):

- :func:`claims_waiting`: claims waiting for a superior, the public panel and a neighbour;
- :func:`claim_rejected`: Dara's claim, rejected by the community centre with its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils import keccak

from credit.chain.eip712 import rejection_digest, sign_digest
from credit.chain.signing import Claim, endorsement_digest
from credit.relay.models import (
    REJECTION_REASONS,
    ClaimIn,
    ConfirmationIn,
    RejectionIn,
    RejectionReason,
)
from credit.vocabulary import EvaluatorKind

if TYPE_CHECKING:
    from credit.demo import Person
    from credit.demo_steps import City

SUPERIOR = int(EvaluatorKind.SUPERIOR)
DAY = 24 * 3600


def claims_waiting(city: City) -> None:
    """Signed claims the gateway holds, waiting for confirmations: Ana's community service for a
    superior, Bo's civic feedback for the public panel, Fang's volunteering (a superior already
    confirmed it) for a neighbour. Every official's queue has something in it."""
    if city.intake is None:
        city.say("  (no gateway store on a throw-away chain: no claims waiting)")
        return
    _, centre, _, _, _, _ = city.staff
    ana, bo, _, _, _, fang = city.residents
    deadline = city.now() + 29 * DAY
    fangs = _held_claim(city, fang, "volunteering", 2, deadline)
    _held_claim(city, ana, "community_service", 1, deadline)
    _held_claim(city, bo, "civic_feedback", 2, deadline)
    digest = endorsement_digest(city.system.domain, [bytes.fromhex(fangs[2:])], SUPERIOR, deadline)
    sig = sign_digest(centre.key, digest)
    city.intake.confirm(
        ConfirmationIn(
            evaluator=centre.address,
            records=[fangs],
            kind=SUPERIOR,
            deadline=deadline,
            r="0x" + sig.r.hex(),
            vs="0x" + sig.vs.hex(),
        )
    )
    city.say(
        f"  Waiting in the gateway: {ana.name}'s claim for a superior, {bo.name}'s for the "
        f"public panel, {fang.name}'s for a neighbour"
    )


def claim_rejected(city: City) -> None:
    """Dara claims four hours at the food bank; the community centre, whose sign-in sheet shows
    two, rejects the claim with that reason. Dara reads why, and may claim the two hours again."""
    if city.intake is None:
        city.say("  (no gateway store on a throw-away chain: no rejected claim)")
        return
    _, centre, _, _, _, _ = city.staff
    dara = city.residents[3]
    rid = _held_claim(city, dara, "volunteering", 4, city.now() + 29 * DAY)
    reason: RejectionReason = "wrong_amount"
    note = "Our food bank sign-in sheet shows 2 hours that day, not 4."
    digest = rejection_digest(
        city.system.domain,
        bytes.fromhex(rid[2:]),
        SUPERIOR,
        REJECTION_REASONS.index(reason),
        keccak(note.encode()),
    )
    sig = sign_digest(centre.key, digest)
    city.intake.reject(
        rid,
        RejectionIn(
            evaluator=centre.address,
            kind=SUPERIOR,
            reason=reason,
            note=note,
            r="0x" + sig.r.hex(),
            vs="0x" + sig.vs.hex(),
        ),
    )
    city.say(f"  {dara.name}: a claim rejected by the community centre, with its reason")


def _held_claim(city: City, p: Person, category: str, units: int, deadline: int) -> str:
    """A claim ``p`` signs and the gateway's intake holds; returns its record id."""
    assert city.intake is not None
    cat = city.ruleset.category(category)
    nonce = city.ledger.functions.claimNonce(p.address).call()
    c = Claim(p.address, cat.id, units, city.now() - 3 * 3600, nonce, bytes(32), deadline)
    digest = c.record_id(city.system.domain)
    sig = sign_digest(p.key, digest)
    city.intake.claim(
        ClaimIn(
            resident=p.address,
            category=cat.id,
            units=units,
            occurred_at=c.occurred_at,
            nonce=nonce,
            deadline=deadline,
            r="0x" + sig.r.hex(),
            vs="0x" + sig.vs.hex(),
        )
    )
    return "0x" + digest.hex()
