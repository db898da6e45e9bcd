"""The direct path to a quorum: submitClaim, then one confirm transaction per evaluator.

Split from test_quorum.py (relayed batches) to keep both files short.
"""

from __future__ import annotations

import pytest
from eth_account import Account

from credit.chain import Transactor, fund
from credit.chain.signing import pack_claim
from tests.support.authz_sig_quorum_helpers import ZERO32, call, event_record_id
from tests.support.reverts import reverts
from tests.support.world import PEER, PUBLIC, SUPERIOR, Actor, World


def _submit(world: World, resident: Actor, category: int = 1, units: int = 2) -> bytes:
    fn = world.ledger.functions.submitClaim(category, units, world.now() - 60, ZERO32)
    return event_record_id(world, resident.send(fn), "ClaimSubmitted")


def _pending(world: World, rid: bytes) -> tuple[object, ...]:
    resident, *rest = call(world, world.ledger.functions.pendingRecord(rid))
    return (resident.lower(), *rest)


def test_claim_confirmed_by_two_evaluators(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    rid = _submit(world, a)
    assert _pending(world, rid) == (a.address.lower(), 1, 2, 0, 0, 0)

    as_peer = world.ledger.functions.confirm(rid, PEER)
    assert call(world, as_peer, b) is False
    receipt = b.send(as_peer)
    (event,) = world.events(receipt, "ConfirmationRecorded")
    assert (event["args"]["recordId"], event["args"]["evaluator"], event["args"]["kind"]) == (
        rid,
        b.address,
        PEER,
    )
    assert world.events(receipt, "RecordCredited") == []
    assert _pending(world, rid) == (a.address.lower(), 1, 2, 1, 1, 0b0010)
    assert world.credit(a) == 0

    as_superior = world.ledger.functions.confirm(rid, SUPERIOR)
    assert call(world, as_superior, world.superior) is True
    receipt = world.superior.send(as_superior)
    (credited,) = world.events(receipt, "RecordCredited")
    assert dict(credited["args"]) == {
        "recordId": rid,
        "resident": a.address,
        "category": 1,
        "units": 2,
        "points": 20,
        "ruleVersion": 1,
    }
    assert world.credit(a) == 20
    with reverts("LedgerUnknownPendingRecord", recordId=rid):
        _pending(world, rid)


def test_required_kind_keeps_a_record_pending(world: World) -> None:
    """Category 2 needs a SUPERIOR: three peers meet the threshold, yet nothing is credited."""
    a = world.residents[0]
    rid = _submit(world, a, category=2, units=1)
    for peer in world.residents[1:4]:
        assert call(world, world.ledger.functions.confirm(rid, PEER), peer) is False
        peer.send(world.ledger.functions.confirm(rid, PEER))
    assert _pending(world, rid) == (a.address.lower(), 2, 1, 3, 3, 0b0010)
    world.superior.send(world.ledger.functions.confirm(rid, SUPERIOR))
    assert world.credit(a) == 15


def test_confirm_twice_by_the_same_evaluator(world: World) -> None:
    rid = _submit(world, world.residents[0])
    b = world.residents[1]
    b.send(world.ledger.functions.confirm(rid, PEER))
    with reverts("LedgerAlreadyConfirmed", recordId=rid, evaluator=b.address):
        b.send(world.ledger.functions.confirm(rid, PEER))


def test_claimant_cannot_confirm_own_claim(world: World) -> None:
    a = world.residents[0]
    rid = _submit(world, a)
    with reverts("LedgerSelfConfirmation", recordId=rid, evaluator=a.address):
        a.send(world.ledger.functions.confirm(rid, PEER))


@pytest.mark.parametrize("which", ["never-submitted", "already-credited"])
def test_confirm_of_unknown_pending_record(world: World, which: str) -> None:
    rid = b"\x42" * 32
    if which == "already-credited":
        rid = _submit(world, world.residents[0])
        world.residents[1].send(world.ledger.functions.confirm(rid, PEER))
        world.superior.send(world.ledger.functions.confirm(rid, SUPERIOR))
    with reverts("LedgerUnknownPendingRecord", recordId=rid):
        world.superior2.send(world.ledger.functions.confirm(rid, SUPERIOR))


@pytest.mark.parametrize("by", ["registrar", "self"])
@pytest.mark.parametrize("path", ["direct", "relayed", "packed"])
def test_deregistered_resident_cannot_claim(world: World, by: str, path: str) -> None:
    a = world.residents[0]
    signed, rid = world.claim(a)  # signed while still registered
    (world.registrar if by == "registrar" else a).send(
        world.ledger.functions.deregisterResident(a.address)
    )
    assert not call(world, world.ledger.functions.isResident(a.address))
    endorsements = world.endorse([rid], [(world.superior, SUPERIOR), (world.residents[1], PEER)])
    if path == "relayed":  # a batch skips the claim (ClaimSkip.NOT_REGISTERED) and books nothing
        receipt = world.relay([signed], endorsements)
        assert world.events(receipt, "RecordCredited") == []
        [skip] = world.events(receipt, "ClaimSkipped")
        assert (bytes(skip["args"]["recordId"]), skip["args"]["reason"]) == (rid, 1)
        assert world.credit(a) == 0
        return
    with reverts("LedgerNotRegistered", account=a.address):
        if path == "direct":
            _submit(world, a)
        else:
            packed = pack_claim(signed, endorsements)
            world.operator.send(world.ledger.functions.relayClaimPacked(packed), gas=1_000_000)


def test_pending_claim_of_a_resident_who_left_is_not_credited(world: World) -> None:
    a = world.residents[0]
    rid = _submit(world, a)
    world.residents[1].send(world.ledger.functions.confirm(rid, PEER))
    a.send(world.ledger.functions.deregisterResident(a.address))
    with reverts("LedgerNotRegistered", account=a.address):
        world.superior.send(world.ledger.functions.confirm(rid, SUPERIOR))


def test_many_peers_cannot_stand_in_for_a_required_public_member(world: World) -> None:
    """Category 3 requires a PUBLIC confirmation: peers alone never complete it, however many."""
    a = world.residents[0]
    rid = _submit(world, a, category=3, units=1)
    accounts = [Account.from_key((7_000_000 + i).to_bytes(32, "big")) for i in range(256)]
    fund(world.w3, [x.address for x in accounts], 10**18)
    world.registrar.send(
        world.ledger.functions.registerResidents([x.address for x in accounts]), gas=12_000_000
    )
    confirm = world.ledger.functions.confirm(rid, PEER)
    for x in accounts[:255]:
        Transactor(world.w3, x, world.system.decoder, gas=300_000).send(confirm)
    # the 256th peer would overflow the per-kind counter into the PUBLIC one: refused
    with reverts("LedgerTooManyConfirmations", recordId=rid, kind=PEER):
        Transactor(world.w3, accounts[255], world.system.decoder, gas=300_000).send(confirm)
    assert world.credit(a) == 0, "credited without any PUBLIC confirmation"
    assert _pending(world, rid)[4] == 255
    assert _pending(world, rid)[5] & (1 << PUBLIC) == 0
    world.panel.send(world.ledger.functions.confirm(rid, PUBLIC))
    assert world.credit(a) == 5
