"""Violations (relayed and direct), deductions floored at the balance, appeals, decisions."""

from __future__ import annotations

from typing import Any

import pytest

from credit.chain.eip712 import digest, sign_digest
from tests.support.ledger_flows import (
    APPEAL_WINDOW,
    LITTERING,
    ZERO32,
    Status,
    appeal,
    block_time,
    credit,
    relay_violation,
    report_directly,
    resolve,
    role,
    state,
    view_revert,
)
from tests.support.reverts import assert_revert, reverts
from tests.support.world import EXPERT, PEER, PUBLIC, SUPERIOR, Actor, World

STATEMENT, REASON = b"\x11" * 32, b"\x22" * 32


def violation(world: World, rid: bytes) -> tuple[object, ...]:
    return tuple(world.ledger.functions.violation(rid).call())


# ---------------------------------------------------------------------------------- recording
@pytest.mark.parametrize(
    ("earned_units", "units", "deducted"),
    [
        pytest.param(5, 1, 20, id="50-minus-20"),
        pytest.param(8, 3, 60, id="80-minus-60"),
        pytest.param(5, 3, 50, id="floored-at-50"),
        pytest.param(3, 2, 30, id="floored-at-30"),
        pytest.param(0, 1, 0, id="nothing-to-deduct"),
    ],
)
def test_a_relayed_report_deducts_points_floored_at_the_balance(
    world: World, earned_units: int, units: int, deducted: int
) -> None:
    a = world.residents[0]
    if earned_units:
        credit(world, a, 1, earned_units)
    receipt, rid = relay_violation(world, a, units)
    deadline = block_time(world, receipt) + APPEAL_WINDOW
    (event,) = world.events(receipt, "ViolationRecorded")
    assert dict(event["args"]) == {
        "recordId": rid,
        "resident": a.address,
        "category": LITTERING,
        "units": units,
        "points": 20 * units,
        "deducted": deducted,
        "ruleVersion": 1,
        "appealDeadline": deadline,
    }
    assert violation(world, rid) == (a.address, deducted, deadline, Status.RECORDED)
    assert world.credit(a) == 10 * earned_units - deducted


@pytest.mark.parametrize(
    ("endorsers", "weight", "confirmations", "kinds"),
    [
        pytest.param(lambda w: [(w.superior2, SUPERIOR)], 2, 1, 0b0001, id="superior-alone"),
        pytest.param(
            lambda w: [(w.panel, PUBLIC), (w.panel2, PUBLIC)], 4, 2, 0b0100, id="no-superior"
        ),
        pytest.param(  # the reporter is a superior too, yet one kind alone is not enough
            lambda w: [(w.superior2, SUPERIOR), (w.expert, EXPERT)],
            4,
            2,
            0b1001,
            id="no-public",
        ),
        pytest.param(  # peers weigh nothing for littering, so they are not counted at all
            lambda w: [(w.superior2, SUPERIOR), (w.residents[3], PEER)],
            2,
            1,
            0b0001,
            id="peer-weighs-nothing",
        ),
    ],
)
def test_a_report_needs_weight_4_with_a_superior_and_the_panel(
    world: World, endorsers: Any, weight: int, confirmations: int, kinds: int
) -> None:
    a = world.residents[0]
    credit(world, a, 1, 5)
    signed, rid = world.report(world.superior, a, LITTERING, 1)
    fn = world.ledger.functions.relayReports([signed], world.endorse([rid], endorsers(world)))
    with reverts(
        "LedgerQuorumNotMet",
        recordId=rid,
        weight=weight,
        confirmations=confirmations,
        kindsPresent=kinds,
    ):
        world.operator.send(fn)
    assert world.credit(a) == 50


def test_a_direct_report_is_recorded_once_confirmed(world: World) -> None:
    a, ledger = world.residents[0], world.ledger.functions
    credit(world, a, 1, 3)
    rid = report_directly(world, world.superior, a, 2)
    assert tuple(ledger.pendingRecord(rid).call()) == (a.address, LITTERING, 2, 0, 0, 0)
    first = world.superior2.send(ledger.confirm(rid, SUPERIOR))
    assert world.events(first, "ViolationRecorded") == []
    assert tuple(ledger.pendingRecord(rid).call()) == (a.address, LITTERING, 2, 2, 1, 0b0001)
    assert world.credit(a) == 30
    second = world.panel.send(ledger.confirm(rid, PUBLIC))
    (confirmed,) = world.events(second, "ConfirmationRecorded")
    assert dict(confirmed["args"]) == {
        "recordId": rid,
        "evaluator": world.panel.address,
        "kind": PUBLIC,
    }
    (event,) = world.events(second, "ViolationRecorded")
    assert (event["args"]["points"], event["args"]["deducted"]) == (40, 30)
    assert world.credit(a) == 0
    deadline = block_time(world, second) + APPEAL_WINDOW
    assert violation(world, rid) == (a.address, 30, deadline, Status.RECORDED)
    with reverts("LedgerUnknownPendingRecord", recordId=rid):
        world.panel2.send(ledger.confirm(rid, PUBLIC))


@pytest.mark.parametrize("who", ["outsider", "resident1", "registrar", "arbiter", "minter"])
def test_only_official_evaluators_may_report(world: World, who: str) -> None:
    reporter: Actor = getattr(world, who)
    with reverts("LedgerNotOfficialReporter", reporter=reporter.address):
        report_directly(world, reporter, world.residents[0])
    with reverts("LedgerNotOfficialReporter", reporter=reporter.address):
        relay_violation(world, world.residents[0], reporter=reporter)


# ------------------------------------------------------------------------------------ appeals
@pytest.fixture
def recorded(world: World) -> tuple[Actor, bytes, int]:
    """Resident 0 earned 50 points, then lost 40 to a littering violation (id returned)."""
    a = world.residents[0]
    credit(world, a, 1, 5)
    _, rid = relay_violation(world, a, 2)
    return a, rid, 50


@pytest.mark.parametrize(
    ("overturn", "status"),
    [
        pytest.param(True, Status.OVERTURNED, id="overturn"),
        pytest.param(False, Status.UPHELD, id="uphold"),
    ],
)
def test_the_resident_appeals_and_the_arbiter_decides(
    world: World, recorded: tuple[Actor, bytes, int], overturn: bool, status: int
) -> None:
    a, rid, before = recorded
    assert world.credit(a) == before - 40
    (filed,) = world.events(appeal(world, a, rid, STATEMENT), "AppealFiled")
    assert dict(filed["args"]) == {"recordId": rid, "resident": a.address, "statement": STATEMENT}
    assert violation(world, rid)[3] == Status.APPEALED
    (event,) = world.events(resolve(world, rid, overturn, REASON), "AppealResolved")
    assert dict(event["args"]) == {
        "recordId": rid,
        "arbiter": world.arbiter.address,
        "overturned": overturn,
        "restored": 40 if overturn else 0,
        "reason": REASON,
    }
    assert world.credit(a) == (before if overturn else before - 40)
    assert violation(world, rid)[3] == status
    with reverts("LedgerInvalidViolationStatus", recordId=rid, status=status):
        resolve(world, rid, not overturn)
    with reverts("LedgerInvalidViolationStatus", recordId=rid, status=status):
        appeal(world, a, rid)


@pytest.mark.parametrize(
    "balance_units", [pytest.param(1, id="floored"), pytest.param(8, id="full")]
)
def test_overturning_restores_exactly_the_deduction(world: World, balance_units: int) -> None:
    a = world.residents[0]
    credit(world, a, 1, balance_units)
    before = world.credit(a)
    receipt, rid = relay_violation(world, a, 3)
    (event,) = world.events(receipt, "ViolationRecorded")
    deducted = event["args"]["deducted"]
    assert deducted == min(60, before)
    credit(world, a, 3, 1)  # earned in between: kept on top of the restored points
    appeal(world, a, rid)
    (resolved,) = world.events(resolve(world, rid, True), "AppealResolved")
    assert resolved["args"]["restored"] == deducted
    assert world.credit(a) == before + 5


def test_only_the_resident_may_appeal(world: World, recorded: tuple[Actor, bytes, int]) -> None:
    _, rid, _ = recorded
    for other in (world.residents[1], world.outsider, world.arbiter):
        with reverts("LedgerNotAppellant", recordId=rid, account=other.address):
            appeal(world, other, rid)
    with reverts("LedgerUnknownViolation", recordId=b"\x42" * 32):
        appeal(world, world.residents[0], b"\x42" * 32)


def test_an_appeal_at_the_deadline_is_accepted(world: World) -> None:
    a = world.residents[0]
    receipt, rid = relay_violation(world, a, 1)
    deadline = block_time(world, receipt) + APPEAL_WINDOW
    world.advance(APPEAL_WINDOW - 1)
    assert block_time(world, appeal(world, a, rid)) == deadline
    assert violation(world, rid)[3] == Status.APPEALED


def test_the_appeal_window_closes_14_days_after_recording(world: World) -> None:
    a = world.residents[0]
    receipt, rid = relay_violation(world, a, 1)
    deadline = block_time(world, receipt) + APPEAL_WINDOW
    fn = world.ledger.functions.fileAppeal(rid, STATEMENT)
    # eth_call runs at the latest block's time: probe the exact second the window closes.
    world.advance(APPEAL_WINDOW)
    fn.call({"from": a.address})  # at the deadline: still open
    world.advance(1)
    closed = view_revert(world, fn, a.address)
    assert_revert(closed, "LedgerAppealWindowClosed", recordId=rid, deadline=deadline)
    world.advance(86400)
    with reverts("LedgerAppealWindowClosed", recordId=rid, deadline=deadline):
        appeal(world, a, rid)
    assert violation(world, rid)[3] == Status.RECORDED


def test_appealing_twice_is_refused(world: World, recorded: tuple[Actor, bytes, int]) -> None:
    a, rid, _ = recorded
    appeal(world, a, rid)
    with reverts("LedgerInvalidViolationStatus", recordId=rid, status=Status.APPEALED):
        appeal(world, a, rid)


def test_only_appealed_violations_are_resolved(
    world: World, recorded: tuple[Actor, bytes, int]
) -> None:
    _, rid, _ = recorded
    with reverts("LedgerInvalidViolationStatus", recordId=rid, status=Status.RECORDED):
        resolve(world, rid, True)
    with reverts("LedgerInvalidViolationStatus", recordId=b"\x42" * 32, status=Status.NONE):
        resolve(world, b"\x42" * 32, True)


@pytest.mark.parametrize("who", ["outsider", "resident0", "superior", "operator", "registrar"])
def test_only_the_arbiter_resolves(
    world: World, recorded: tuple[Actor, bytes, int], who: str
) -> None:
    a, rid, _ = recorded
    appeal(world, a, rid)
    caller: Actor = getattr(world, who)
    fn = world.ledger.functions.resolveAppeal(rid, True, ZERO32)
    with reverts(
        "AccessControlUnauthorizedAccount", account=caller.address, neededRole=role("ARBITER_ROLE")
    ):
        caller.send(fn)
    assert violation(world, rid)[3] == Status.APPEALED


def test_an_appeal_can_be_relayed_with_the_residents_signature(
    world: World, recorded: tuple[Actor, bytes, int]
) -> None:
    a, rid, _ = recorded
    ledger = world.ledger.functions
    nonce, claim_nonce, deadline = ledger.nonces(a.address).call(), state(world, a)[1], 2**48 - 1
    message = {"recordId": rid, "statement": STATEMENT, "nonce": nonce, "deadline": deadline}
    sig = sign_digest(a.key, digest(world.system.domain, "Appeal", message))
    fn = ledger.fileAppealBySig(rid, STATEMENT, nonce, deadline, sig.r, sig.vs)
    (filed,) = world.events(world.outsider.send(fn), "AppealFiled")
    assert dict(filed["args"]) == {"recordId": rid, "resident": a.address, "statement": STATEMENT}
    assert violation(world, rid)[3] == Status.APPEALED
    # The account nonce is used, so the resident's pending signed claims stay valid.
    assert (ledger.nonces(a.address).call(), state(world, a)[1]) == (nonce + 1, claim_nonce)
    with reverts("InvalidAccountNonce", account=a.address, currentNonce=nonce + 1):
        world.outsider.send(fn)


# --------------------------------------------------------------- decisions relayed by signature
def _decide_by_sig(
    world: World,
    signer: Actor,
    rid: bytes,
    overturn: bool,
    reason: bytes = REASON,
    *,
    nonce: int | None = None,
    deadline: int = 2**48 - 1,
    signed: dict[str, Any] | None = None,
) -> Any:
    """``resolveAppealBySig`` for (rid, overturn, reason), sent by the outsider; ``signed`` replaces
    fields of the message the signer signs (to relay a signature for another message)."""
    ledger = world.ledger.functions
    if nonce is None:
        nonce = ledger.nonces(signer.address).call()
    message = {
        "recordId": rid,
        "overturn": overturn,
        "reason": reason,
        "nonce": nonce,
        "deadline": deadline,
    }
    sig = sign_digest(signer.key, digest(world.system.domain, "Decision", message | (signed or {})))
    fn = ledger.resolveAppealBySig(rid, overturn, reason, nonce, deadline, sig.r, sig.vs)
    return world.outsider.send(fn)


@pytest.fixture
def appealed(world: World, recorded: tuple[Actor, bytes, int]) -> tuple[Actor, bytes, int]:
    """Resident 0's violation (40 of 50 points deducted), appealed."""
    a, rid, before = recorded
    appeal(world, a, rid, STATEMENT)
    return a, rid, before


@pytest.mark.parametrize(
    ("overturn", "status"),
    [
        pytest.param(True, Status.OVERTURNED, id="overturn"),
        pytest.param(False, Status.UPHELD, id="uphold"),
    ],
)
def test_an_arbiters_signed_decision_is_relayed_and_names_the_arbiter(
    world: World, appealed: tuple[Actor, bytes, int], overturn: bool, status: int
) -> None:
    a, rid, before = appealed
    arbiter, ledger = world.arbiter, world.ledger.functions
    nonce = ledger.nonces(arbiter.address).call()
    (event,) = world.events(_decide_by_sig(world, arbiter, rid, overturn), "AppealResolved")
    assert dict(event["args"]) == {
        "recordId": rid,
        "arbiter": arbiter.address,  # the signer, not the relayer
        "overturned": overturn,
        "restored": 40 if overturn else 0,
        "reason": REASON,
    }
    assert violation(world, rid)[3] == status
    assert world.credit(a) == (before if overturn else before - 40)
    assert ledger.nonces(arbiter.address).call() == nonce + 1


@pytest.mark.parametrize("who", ["outsider", "resident1", "superior", "expert", "minter"])
def test_a_decision_signed_by_a_non_arbiter_is_refused(
    world: World, appealed: tuple[Actor, bytes, int], who: str
) -> None:
    _, rid, _ = appealed
    signer: Actor = getattr(world, who)
    with reverts(
        "AccessControlUnauthorizedAccount", account=signer.address, neededRole=role("ARBITER_ROLE")
    ):
        _decide_by_sig(world, signer, rid, True)
    assert violation(world, rid)[3] == Status.APPEALED


def test_a_signed_decision_cannot_be_replayed(
    world: World, appealed: tuple[Actor, bytes, int]
) -> None:
    _, rid, _ = appealed
    nonce = world.ledger.functions.nonces(world.arbiter.address).call()
    _decide_by_sig(world, world.arbiter, rid, False, nonce=nonce)
    # the same signature again: the nonce is spent (and the appeal decided)
    with reverts("InvalidAccountNonce", account=world.arbiter.address, currentNonce=nonce + 1):
        _decide_by_sig(world, world.arbiter, rid, False, nonce=nonce)


def test_a_signed_decision_cannot_be_used_on_another_record(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    credit(world, a, 1, 5)
    credit(world, b, 1, 5)
    _, first = relay_violation(world, a, 1)
    _, second = relay_violation(world, b, 1)
    appeal(world, a, first)
    appeal(world, b, second)
    with pytest.raises(Exception) as caught:  # recovers some other address: not an arbiter
        _decide_by_sig(world, world.arbiter, second, True, signed={"recordId": first})
    assert "AccessControlUnauthorizedAccount" in str(caught.value)
    assert world.arbiter.address not in str(caught.value)
    assert violation(world, second)[3] == Status.APPEALED
    assert violation(world, first)[3] == Status.APPEALED


@pytest.mark.parametrize("field", ["overturn", "reason", "deadline"])
def test_a_signed_decision_cannot_be_turned_into_another(
    world: World, appealed: tuple[Actor, bytes, int], field: str
) -> None:
    a, rid, before = appealed
    signed = {"overturn": False, "reason": b"\x33" * 32, "deadline": 2**48 - 2}[field]
    with pytest.raises(Exception) as caught:
        _decide_by_sig(world, world.arbiter, rid, True, signed={field: signed})
    assert "AccessControlUnauthorizedAccount" in str(caught.value)
    assert world.arbiter.address not in str(caught.value)
    assert violation(world, rid)[3] == Status.APPEALED
    assert world.credit(a) == before - 40


def test_an_expired_decision_is_refused(world: World, appealed: tuple[Actor, bytes, int]) -> None:
    _, rid, _ = appealed
    deadline = world.now() + 60
    world.advance(120)
    with reverts("LedgerExpiredSignature", deadline=deadline):
        _decide_by_sig(world, world.arbiter, rid, True, deadline=deadline)
    assert violation(world, rid)[3] == Status.APPEALED


def test_a_signed_decision_needs_an_appeal(
    world: World, recorded: tuple[Actor, bytes, int]
) -> None:
    _, rid, _ = recorded
    with reverts("LedgerInvalidViolationStatus", recordId=rid, status=Status.RECORDED):
        _decide_by_sig(world, world.arbiter, rid, True)
    with reverts("LedgerInvalidViolationStatus", recordId=b"\x42" * 32, status=Status.NONE):
        _decide_by_sig(world, world.arbiter, b"\x42" * 32, True)


@pytest.mark.parametrize(
    "by_sig", [pytest.param(True, id="by-sig"), pytest.param(False, id="sent")]
)
def test_an_arbiter_cannot_decide_their_own_appeal(
    world: World, appealed: tuple[Actor, bytes, int], by_sig: bool
) -> None:
    a, rid, before = appealed
    world.operator.send(world.ledger.functions.grantRole(role("ARBITER_ROLE"), a.address))
    with reverts("LedgerArbiterIsAppellant", recordId=rid, arbiter=a.address):
        if by_sig:
            _decide_by_sig(world, a, rid, True)
        else:
            a.send(world.ledger.functions.resolveAppeal(rid, True, REASON))
    assert violation(world, rid)[3] == Status.APPEALED
    assert world.credit(a) == before - 40
