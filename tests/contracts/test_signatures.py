"""EIP-712 signatures of relayed claims, reports, endorsements and appeals: replay, domain
separation, deadlines, malleability, cancelled nonces and wrong signers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils import keccak

from credit.artifacts import Artifact
from credit.chain.eip712 import Domain
from credit.chain.signing import endorsement_digest, pack_claim
from tests.support.authz_sig_quorum_helpers import (
    SECP256K1_N,
    call,
    high_s,
    record_violation,
    recover,
    sign_appeal,
)
from tests.support.reverts import reverts
from tests.support.world import EPOCH, PEER, PUBLIC, SUPERIOR, World

STATEMENT = keccak(text="the bin was full")
SKIP_NONCE = 2  # ClaimSkip.NONCE
HALF_N = SECP256K1_N // 2


def _endorsers(world: World) -> list[Any]:
    return [(world.superior, SUPERIOR), (world.residents[1], PEER)]


def _relay_one(world: World, signed: Any, rid: bytes) -> Any:
    return world.relay([signed], world.endorse([rid], _endorsers(world)))


# ---------------------------------------------------------------------------------- replay


def _skipped(world: World, receipt: Any) -> list[tuple[bytes, str, int, int, int]]:
    """(record id, resident, reason, expected nonce, given nonce) of each ClaimSkipped."""
    return [
        (bytes(a["recordId"]), a["resident"], a["reason"], a["expectedNonce"], a["givenNonce"])
        for a in (e["args"] for e in world.events(receipt, "ClaimSkipped"))
    ]


def test_replayed_claim_is_not_booked_again(world: World) -> None:
    a = world.residents[0]
    signed, rid = world.claim(a, units=2)
    _relay_one(world, signed, rid)
    assert world.credit(a) == 20
    receipt = _relay_one(world, signed, rid)
    assert world.events(receipt, "RecordCredited") == []
    assert _skipped(world, receipt) == [(rid, a.address, SKIP_NONCE, 1, 0)]
    assert world.credit(a) == 20


def test_same_claim_twice_in_one_batch_is_booked_once(world: World) -> None:
    a = world.residents[0]
    signed, rid = world.claim(a)
    endorsements = world.endorse([rid, rid], _endorsers(world))
    receipt = world.relay([signed, signed], endorsements)
    assert [bytes(e["args"]["recordId"]) for e in world.events(receipt, "RecordCredited")] == [rid]
    assert _skipped(world, receipt) == [(rid, a.address, SKIP_NONCE, 1, 0)]
    assert world.credit(a) == 10


# A replayed report is refused by its record id: see tests/contracts/test_report_nonces.py.


# ---------------------------------------------------------------------------------- domain


def _other_ledger(world: World, artifacts: dict[str, Artifact]) -> str:
    art = artifacts["CreditLedger"]
    op = world.operator
    receipt = op.tx.deploy(art.abi, art.bytecode, op.address, world.rule_book.address, EPOCH)
    return str(receipt["contractAddress"])


DOMAINS: dict[str, Callable[[World, dict[str, Artifact]], Domain]] = {
    "wrong-chain-id": lambda w, _: Domain(w.system.domain.chain_id + 1, w.ledger.address),
    "other-deployment": lambda w, arts: Domain(w.system.domain.chain_id, _other_ledger(w, arts)),
    "rule-book-address": lambda w, _: Domain(w.system.domain.chain_id, w.rule_book.address),
}


@pytest.mark.parametrize("domain", [pytest.param(k, id=k) for k in DOMAINS])
def test_claim_signed_for_another_domain_is_refused(
    world: World, artifacts: dict[str, Artifact], domain: str
) -> None:
    a = world.residents[0]
    signed, rid = world.claim(a, domain=DOMAINS[domain](world, artifacts))
    stranger = recover(rid, signed[7], signed[8])  # what the ledger's own domain recovers
    assert stranger != a.address.lower()
    with reverts("LedgerInvalidSigner", signer=stranger, expected=a.address) as info:
        _relay_one(world, signed, rid)
    assert info.value.args["expected"] == a.address.lower()
    assert info.value.args["signer"] != a.address.lower()


@pytest.mark.parametrize("domain", [pytest.param(k, id=k) for k in DOMAINS])
def test_endorsement_signed_for_another_domain_counts_for_nobody(
    world: World, artifacts: dict[str, Artifact], domain: str
) -> None:
    signed, rid = world.claim(world.residents[0])
    (endorsement,) = world.endorse(
        [rid], [(world.superior, SUPERIOR)], domain=DOMAINS[domain](world, artifacts)
    )
    good = world.endorse([rid], [(world.superior, SUPERIOR)])[0]
    stranger = recover(
        _confirmation_digest(world, rid, SUPERIOR, good), endorsement[3], endorsement[4]
    )
    assert stranger != world.superior.address.lower()
    with reverts("LedgerEvaluatorLacksRole", evaluator=stranger, kind=SUPERIOR):
        world.relay([signed], [endorsement])


def _confirmation_digest(world: World, rid: bytes, kind: int, endorsement: Any) -> bytes:
    return endorsement_digest(world.system.domain, [rid], kind, endorsement[1])


# ---------------------------------------------------------------------------------- deadlines


def _expired_claim(w: World, deadline: int) -> Any:
    """relayClaimPacked refuses it; relayClaims skips it (see test_claim_nonces)."""
    signed, rid = w.claim(w.residents[0], deadline=deadline)
    packed = pack_claim(signed, w.endorse([rid], _endorsers(w)))
    return lambda: w.operator.send(w.ledger.functions.relayClaimPacked(packed), gas=1_000_000)


def _expired_endorsement(w: World, deadline: int) -> Any:
    signed, rid = w.claim(w.residents[0])
    endorsements = w.endorse([rid], _endorsers(w), deadline=deadline)
    return lambda: w.relay([signed], endorsements)


def _expired_report(w: World, deadline: int) -> Any:
    signed, rid = w.report(w.superior, w.residents[0], deadline=deadline)
    endorsements = w.endorse([rid], [(w.superior2, SUPERIOR), (w.panel, PUBLIC)])
    return lambda: w.operator.send(w.ledger.functions.relayReports([signed], endorsements))


def _expired_appeal(w: World, deadline: int) -> Any:
    _, rid = record_violation(w, w.residents[0])
    sig = sign_appeal(w, w.residents[0], rid, STATEMENT, 0, deadline)
    fn = w.ledger.functions.fileAppealBySig(rid, STATEMENT, 0, deadline, sig.r, sig.vs)
    return lambda: w.outsider.send(fn)


EXPIRING = {
    "claim": _expired_claim,
    "endorsement": _expired_endorsement,
    "report": _expired_report,
    "appeal": _expired_appeal,
}


@pytest.mark.parametrize("what", [pytest.param(k, id=k) for k in EXPIRING])
def test_expired_deadline_is_refused(world: World, what: str) -> None:
    deadline = world.now() + 100
    send = EXPIRING[what](world, deadline)
    world.advance(101)
    with reverts("LedgerExpiredSignature", deadline=deadline):
        send()


# ---------------------------------------------------------------------------------- malleability


def test_malleated_twin_of_a_claim_signature_recovers_a_stranger(world: World) -> None:
    """The high-s twin (n - s, parity flipped) of a valid signature has bit 255 set, so the compact
    (r, vs) form cannot carry it: OR-ed into vs it reads as another (s, v) and recovers a stranger.
    Malleating a relayed signature gets nowhere."""
    a = world.residents[0]
    signed, rid = world.claim(a)
    assert recover(rid, signed[7], signed[8]) == a.address.lower()  # the helper models OZ
    r, vs, twin = high_s(signed[7], signed[8])
    assert twin > HALF_N and twin >> 255 == 1
    stranger = recover(rid, r, vs)
    assert stranger != a.address.lower()
    with reverts("LedgerInvalidSigner", signer=stranger, expected=a.address):
        _relay_one(world, (*signed[:8], vs), rid)
    assert world.credit(a) == 0


def test_malleated_twin_of_an_endorsement_recovers_a_stranger(world: World) -> None:
    signed, rid = world.claim(world.residents[0])
    (e,) = world.endorse([rid], [(world.superior, SUPERIOR)])
    r, vs, twin = high_s(e[3], e[4])
    assert twin > HALF_N and twin >> 255 == 1
    stranger = recover(_confirmation_digest(world, rid, SUPERIOR, e), r, vs)
    assert stranger != world.superior.address.lower()
    with reverts("LedgerEvaluatorLacksRole", evaluator=stranger, kind=SUPERIOR):
        world.relay([signed], [(*e[:4], vs)])


@pytest.mark.parametrize(
    "s", [pytest.param(HALF_N + 1, id="half-n-plus-1"), pytest.param(2**255 - 1, id="max")]
)
@pytest.mark.parametrize("where", ["claim", "endorsement"])
def test_high_s_in_compact_form_is_rejected(world: World, where: str, s: int) -> None:
    signed, rid = world.claim(world.residents[0])
    endorsements = world.endorse([rid], _endorsers(world))
    vs = s.to_bytes(32, "big")
    if where == "claim":
        signed = (*signed[:8], vs)
    else:
        endorsements[0] = (*endorsements[0][:4], vs)
    with reverts("ECDSAInvalidSignatureS", s=vs):
        world.relay([signed], endorsements)


# ---------------------------------------------------------------------------------- nonces, signers


def test_cancelled_nonce_cannot_be_used(world: World) -> None:
    a = world.residents[0]
    old, rid = world.claim(a, nonce=0)
    receipt = a.send(world.ledger.functions.cancelClaimNonces(3))
    (event,) = world.events(receipt, "ClaimNonceCancelled")
    assert event["args"]["nextNonce"] == 3
    assert call(world, world.ledger.functions.claimNonce(a.address)) == 3
    receipt = _relay_one(world, old, rid)
    assert _skipped(world, receipt) == [(rid, a.address, SKIP_NONCE, 3, 0)]
    fresh, fresh_id = world.claim(a)  # signed with nonce 3
    _relay_one(world, fresh, fresh_id)
    assert world.credit(a) == 10


@pytest.mark.parametrize(
    "next_nonce", [pytest.param(0, id="backwards"), pytest.param(2, id="same")]
)
def test_cancel_must_move_the_nonce_forward(world: World, next_nonce: int) -> None:
    a = world.residents[0]
    a.send(world.ledger.functions.cancelClaimNonces(2))
    with reverts("LedgerInvalidNonce", account=a.address, expected=2, given=next_nonce):
        a.send(world.ledger.functions.cancelClaimNonces(next_nonce))


def test_claim_signed_by_someone_else_is_refused(world: World) -> None:
    a, b = world.residents[0], world.residents[2]
    signed, rid = world.claim(a, signer=b)
    with reverts("LedgerInvalidSigner", signer=b.address, expected=a.address):
        _relay_one(world, signed, rid)


# ---------------------------------------------------------------------------------- appeals


def test_appeal_by_signature_then_replay(world: World) -> None:
    a = world.residents[0]
    _, rid = record_violation(world, a)
    sig = sign_appeal(world, a, rid, STATEMENT, 0)
    fn = world.ledger.functions.fileAppealBySig(rid, STATEMENT, 0, 2**48 - 1, sig.r, sig.vs)
    receipt = world.outsider.send(fn)
    (event,) = world.events(receipt, "AppealFiled")
    assert (event["args"]["recordId"], event["args"]["resident"]) == (rid, a.address)
    assert call(world, world.ledger.functions.violation(rid))[3] == 2  # APPEALED
    with reverts("InvalidAccountNonce", account=a.address, currentNonce=1):
        world.outsider.send(fn)


def test_appeal_by_signature_leaves_pending_claims_valid(world: World) -> None:
    a = world.residents[0]
    claim, claim_id = world.claim(a)  # claim nonce 0, signed before the appeal
    _, rid = record_violation(world, a)
    sig = sign_appeal(world, a, rid, STATEMENT, 0)  # account nonce 0: a separate counter
    world.outsider.send(
        world.ledger.functions.fileAppealBySig(rid, STATEMENT, 0, 2**48 - 1, sig.r, sig.vs)
    )
    assert call(world, world.ledger.functions.nonces(a.address)) == 1
    receipt = _relay_one(world, claim, claim_id)
    assert world.events(receipt, "RecordCredited")[0]["args"]["recordId"] == claim_id


def test_appeal_signed_by_someone_else_is_refused(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    _, rid = record_violation(world, a)
    sig = sign_appeal(world, b, rid, STATEMENT, 0)
    with reverts("LedgerInvalidSigner", signer=b.address, expected=a.address):
        world.outsider.send(
            world.ledger.functions.fileAppealBySig(rid, STATEMENT, 0, 2**48 - 1, sig.r, sig.vs)
        )
    assert call(world, world.ledger.functions.violation(rid))[3] == 1  # still RECORDED
