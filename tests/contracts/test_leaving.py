"""Leaving the register is no escape from violations (issue 14, finding 2).

Policy: a report may name anyone who is or was a registered resident. A former resident keeps
their balance (and gets it back on re-registering), so a violation against them is recorded and
deducts exactly as for a resident; they may appeal it like anyone else. An address that never
registered cannot be reported (``LedgerNotRegistered``). Claims stay for registered residents only.
"""

from __future__ import annotations

from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.chain.eip712 import digest, sign_digest
from credit.ruleset import RuleSet
from tests.audit.helpers import audit, described
from tests.support.ledger_flows import (
    LITTERING,
    ZERO32,
    Status,
    credit,
    relay_violation,
    report_directly,
    resolve,
)
from tests.support.reverts import reverts
from tests.support.world import PUBLIC, SUPERIOR, Actor, World

STATEMENT = b"\x11" * 32


def _leave(world: World, resident: Actor, by: str) -> None:
    sender = resident if by == "self" else world.registrar
    sender.send(world.ledger.functions.deregisterResident(resident.address))
    assert not world.ledger.functions.isResident(resident.address).call()


def _violation(world: World, rid: bytes) -> tuple[Any, ...]:
    return tuple(world.ledger.functions.violation(rid).call())


@pytest.mark.parametrize("by", ["self", "registrar"])
def test_a_signed_report_is_recorded_after_the_resident_left(world: World, by: str) -> None:
    """The report was signed while they were registered; they leave before it is relayed."""
    a = world.residents[0]
    credit(world, a, 1, 5)  # 50 points
    signed, rid = world.report(world.superior, a, LITTERING, 2)
    endorsements = world.endorse([rid], [(world.superior2, SUPERIOR), (world.panel, PUBLIC)])
    _leave(world, a, by)
    fn = world.ledger.functions.relayReports([signed], endorsements)
    receipt = world.operator.send(fn, gas=3_000_000)
    (event,) = world.events(receipt, "ViolationRecorded")
    assert (event["args"]["resident"], event["args"]["deducted"]) == (a.address, 40)
    assert world.credit(a) == 10
    assert _violation(world, rid)[:2] == (a.address, 40)


def test_a_former_resident_does_not_take_a_relayed_batch_down(world: World) -> None:
    """Three reports in one batch, the middle one about a resident who left: all are recorded."""
    a, b, c = world.residents[:3]
    for resident in (a, b, c):
        credit(world, resident, 1, 3)  # 30 points each
    reports, ids = [], []
    first = world.ledger.functions.nonces(world.superior.address).call()
    for i, resident in enumerate((a, b, c)):
        signed, rid = world.report(world.superior, resident, LITTERING, 1, nonce=first + i)
        reports.append(signed)
        ids.append(rid)
    endorsements = world.endorse(ids, [(world.superior2, SUPERIOR), (world.panel, PUBLIC)])
    _leave(world, b, "self")
    receipt = world.operator.send(
        world.ledger.functions.relayReports(reports, endorsements), gas=3_000_000
    )
    booked = [
        (e["args"]["recordId"], e["args"]["deducted"])
        for e in world.events(receipt, "ViolationRecorded")
    ]
    assert booked == [(rid, 20) for rid in ids]
    assert [world.credit(r) for r in (a, b, c)] == [10, 10, 10]


def test_a_former_resident_can_be_reported_directly(world: World) -> None:
    a, ledger = world.residents[0], world.ledger.functions
    credit(world, a, 1, 3)
    _leave(world, a, "self")
    rid = report_directly(world, world.superior, a, 1)
    world.superior2.send(ledger.confirm(rid, SUPERIOR))
    (event,) = world.events(world.panel.send(ledger.confirm(rid, PUBLIC)), "ViolationRecorded")
    assert event["args"]["deducted"] == 20
    assert world.credit(a) == 10


def test_a_pending_direct_report_survives_the_resident_leaving(world: World) -> None:
    a, ledger = world.residents[0], world.ledger.functions
    credit(world, a, 1, 3)
    rid = report_directly(world, world.superior, a, 1)
    world.superior2.send(ledger.confirm(rid, SUPERIOR))
    _leave(world, a, "self")
    (event,) = world.events(world.panel.send(ledger.confirm(rid, PUBLIC)), "ViolationRecorded")
    assert event["args"]["deducted"] == 20
    assert world.credit(a) == 10


@pytest.mark.parametrize("how", ["direct", "by-signature"])
def test_a_former_resident_may_appeal_and_be_restored(world: World, how: str) -> None:
    a, ledger = world.residents[0], world.ledger.functions
    credit(world, a, 1, 3)
    _leave(world, a, "self")
    _, rid = relay_violation(world, a, 1)
    assert world.credit(a) == 10
    if how == "direct":
        a.send(ledger.fileAppeal(rid, STATEMENT))
    else:
        nonce = ledger.nonces(a.address).call()
        message = {"recordId": rid, "statement": STATEMENT, "nonce": nonce, "deadline": 2**48 - 1}
        sig = sign_digest(a.key, digest(world.system.domain, "Appeal", message))
        world.outsider.send(ledger.fileAppealBySig(rid, STATEMENT, nonce, 2**48 - 1, sig.r, sig.vs))
    assert _violation(world, rid)[3] == Status.APPEALED
    resolve(world, rid, overturn=True)
    assert world.credit(a) == 30


def test_rejoining_keeps_what_was_deducted_while_away(world: World) -> None:
    a = world.residents[0]
    credit(world, a, 1, 3)
    _leave(world, a, "self")
    relay_violation(world, a, 1)
    world.registrar.send(world.ledger.functions.registerResidents([a.address]))
    assert world.ledger.functions.isResident(a.address).call()
    assert world.credit(a) == 10


@pytest.mark.parametrize("path", ["direct", "relayed"])
def test_an_address_that_never_registered_cannot_be_reported(world: World, path: str) -> None:
    stranger = world.outsider
    with reverts("LedgerNotRegistered", account=stranger.address):
        if path == "direct":
            report_directly(world, world.superior, stranger)
        else:
            relay_violation(world, stranger)


def test_a_former_resident_still_cannot_claim(world: World) -> None:
    a = world.residents[0]
    _leave(world, a, "self")
    fn = world.ledger.functions.submitClaim(1, 1, world.now() - 60, ZERO32)
    with reverts("LedgerNotRegistered", account=a.address):
        a.send(fn)


def test_violations_of_a_former_resident_audit_clean(
    world: World, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    """The auditor replays the same policy: a violation may name a former resident."""
    a, ledger = world.residents[0], world.ledger.functions
    credit(world, a, 1, 3)
    _leave(world, a, "self")
    relay_violation(world, a, 1)
    rid = report_directly(world, world.superior, a, 1)
    world.superior2.send(ledger.confirm(rid, SUPERIOR))
    world.panel.send(ledger.confirm(rid, PUBLIC))
    assert world.credit(a) == 0
    result = audit(world, artifacts, ruleset)
    assert result.clean, described(result)
