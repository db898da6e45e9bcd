"""Claim nonces only move forward (issue 14, finding 1), and a batch skips a claim its resident
voided instead of reverting for everyone (finding 3).

The attack of finding 1: a resident moves their nonce to the last uint32 value with
``cancelClaimNonces``; the next claim (direct, batched or packed) took that nonce and wrapped it to
0, after which an old signed claim with its original endorsements (public in old calldata) could
be relayed again and the same record was credited again and again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.chain.signing import pack_claim
from credit.errors import ContractRevert
from credit.ruleset import RuleSet
from tests.audit.helpers import audit, described
from tests.support.authz_sig_quorum_helpers import ZERO32, call
from tests.support.reverts import reverts
from tests.support.world import PEER, SUPERIOR, Actor, World

LAST = 2**32 - 1
NONCE, NOT_REGISTERED, EXPIRED = "NONCE", "NOT_REGISTERED", "EXPIRED"
SKIP_REASONS = {"EXPIRED": 0, "NOT_REGISTERED": 1, "NONCE": 2}  # ClaimSkip in Common.sol


def _endorsers(world: World, resident: Actor) -> list[Any]:
    peer = next(r for r in world.residents if r.address != resident.address)
    return [(world.superior, SUPERIOR), (peer, PEER)]


def _signed(world: World, resident: Actor, units: int = 1, **kw: Any) -> tuple[Any, bytes, Any]:
    """A signed claim, its record id and its endorsements (a superior and a peer)."""
    signed, rid = world.claim(resident, units=units, **kw)
    return signed, rid, world.endorse([rid], _endorsers(world, resident))


def _relay(world: World, how: str, signed: Any, ends: list[Any]) -> Any:
    if how == "relayClaimPacked":
        packed = pack_claim(signed, ends)
        return world.operator.send(world.ledger.functions.relayClaimPacked(packed), gas=1_000_000)
    return world.relay([signed], ends)


def _attempt(action: Callable[[], Any]) -> Any:
    """The receipt of ``action``, or its decoded revert."""
    try:
        return action()
    except ContractRevert as err:
        return err


def _booked(world: World, rid: bytes) -> int:
    """How many RecordCredited events of the ledger carry ``rid``."""
    logs = world.ledger.events.RecordCredited().get_logs(from_block=0)
    return sum(1 for log in logs if bytes(log["args"]["recordId"]) == rid)


def _nonce(world: World, who: Actor) -> int:
    return int(call(world, world.ledger.functions.claimNonce(who.address)))


def _skips(world: World, receipt: Any) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in world.events(receipt, "ClaimSkipped")]


def _use_the_last_nonce(world: World, a: Actor, how: str) -> tuple[Any, bytes | None]:
    """The resident's next claim after their nonce reached the last value, by ``how``: the
    receipt or revert, and the relayed claim's record id."""
    if how == "submitClaim":
        fn = world.ledger.functions.submitClaim(1, 1, world.now() - 60, ZERO32)
        return _attempt(lambda: a.send(fn)), None
    signed, rid, ends = _signed(world, a)  # signed with nonce LAST
    assert signed[5] == LAST
    return _attempt(lambda: _relay(world, how, signed, ends)), rid


WRAPS = ["submitClaim", "relayClaims", "relayClaimPacked"]
REPLAYS = ["relayClaims", "relayClaimPacked"]


@pytest.mark.parametrize("replay_by", REPLAYS)
@pytest.mark.parametrize("wrap_by", WRAPS)
def test_the_last_nonce_cannot_wrap_to_rebook_an_old_record(
    world: World, wrap_by: str, replay_by: str
) -> None:
    """The reproduction of the issue: cancel to the top, claim once more, replay an old claim."""
    a = world.residents[0]
    old, rid, ends = _signed(world, a, units=8)  # nonce 0, 80 points
    _relay(world, "relayClaims", old, ends)
    assert (world.credit(a), _booked(world, rid)) == (80, 1)
    a.send(world.ledger.functions.cancelClaimNonces(LAST))
    assert _nonce(world, a) == LAST

    used, used_id = _use_the_last_nonce(world, a, wrap_by)
    after_use = _nonce(world, a)
    replayed = _attempt(lambda: _relay(world, replay_by, old, ends))

    assert _booked(world, rid) == 1, "the old record was credited again"
    assert world.credit(a) == 80
    assert after_use == _nonce(world, a) == LAST, "the nonce went back to a value it held"
    # how each entry point says no
    if wrap_by == "relayClaims":
        assert _skips(world, used) == [
            {
                "recordId": used_id,
                "resident": a.address,
                "reason": SKIP_REASONS[NONCE],
                "expectedNonce": LAST,
                "givenNonce": LAST,
            }
        ]
    else:
        assert isinstance(used, ContractRevert)
        assert used.name == "LedgerClaimNoncesExhausted"
        assert used.args == {"resident": a.address.lower()}
    if replay_by == "relayClaims":
        (skip,) = _skips(world, replayed)
        assert (skip["reason"], skip["expectedNonce"], skip["givenNonce"]) == (2, LAST, 0)
    else:
        assert isinstance(replayed, ContractRevert)
        assert replayed.name == "LedgerInvalidNonce"
        assert replayed.args == {"account": a.address.lower(), "expected": LAST, "given": 0}


def test_a_cancel_cannot_move_the_nonce_past_the_top_or_back(world: World) -> None:
    """cancelClaimNonces, the fourth entry point: from the top it has nowhere to go."""
    a = world.residents[0]
    a.send(world.ledger.functions.cancelClaimNonces(LAST))
    for back in (0, 1, LAST - 1, LAST):
        with reverts("LedgerInvalidNonce", account=a.address, expected=LAST, given=back):
            a.send(world.ledger.functions.cancelClaimNonces(back))
    with pytest.raises(Exception, match="uint32"):  # the ABI itself refuses 2**32
        world.ledger.functions.cancelClaimNonces(2**32).build_transaction({"from": a.address})


@pytest.mark.parametrize("how", WRAPS)
def test_the_nonce_before_the_last_is_the_last_one_used(world: World, how: str) -> None:
    """A claim with nonce 2**32 - 2 is booked and moves the nonce to the top, where it stays."""
    a = world.residents[0]
    a.send(world.ledger.functions.cancelClaimNonces(LAST - 1))
    assert not isinstance(_use_the_last_nonce_minus_one(world, a, how), ContractRevert)
    assert _nonce(world, a) == LAST
    again, _ = _use_the_last_nonce(world, a, how)
    assert _nonce(world, a) == LAST
    if how == "relayClaims":
        assert [s["reason"] for s in _skips(world, again)] == [SKIP_REASONS[NONCE]]
    else:
        assert isinstance(again, ContractRevert) and again.name == "LedgerClaimNoncesExhausted"


def _use_the_last_nonce_minus_one(world: World, a: Actor, how: str) -> Any:
    if how == "submitClaim":
        return a.send(world.ledger.functions.submitClaim(1, 1, world.now() - 60, ZERO32))
    signed, _, ends = _signed(world, a)
    assert signed[5] == LAST - 1
    return _relay(world, how, signed, ends)


# ------------------------------------------------------------------ finding 3: skip, not revert


def _void(world: World, b: Actor, how: str) -> None:
    """Resident ``b`` voids their claim in a batch already signed by its evaluators."""
    if how == "cancel":
        b.send(world.ledger.functions.cancelClaimNonces(_nonce(world, b) + 1))
    elif how == "direct-claim":
        b.send(world.ledger.functions.submitClaim(1, 1, world.now() - 60, ZERO32))
    elif how == "deregister":
        b.send(world.ledger.functions.deregisterResident(b.address))
    else:  # "expire": b signed with a deadline that passes before the batch is mined
        world.advance(600)


VOIDS = ["cancel", "direct-claim", "deregister", "expire"]


def _batch_with_a_void_claim(world: World, how: str) -> tuple[Any, list[bytes], int]:
    """Three residents' claims, each evaluator signing once for all three; the middle resident
    voids theirs before the batch is mined. The receipt, the ids and b's nonce before."""
    b = world.residents[1]
    deadline = world.now() + 300 if how == "expire" else 2**48 - 1
    claims, ids = [], []
    for who in world.residents[:3]:
        signed, rid = world.claim(who, units=2, deadline=deadline if who is b else 2**48 - 1)
        claims.append(signed)
        ids.append(rid)
    ends = world.endorse(ids, [(world.superior, SUPERIOR), (world.residents[3], PEER)])
    b_nonce = _nonce(world, b)
    _void(world, b, how)
    return world.relay(claims, ends), ids, b_nonce


@pytest.mark.parametrize("how", VOIDS)
def test_one_residents_void_claim_does_not_sink_the_batch(world: World, how: str) -> None:
    """The other two claims are credited, the void one is skipped for its resident only."""
    a, b, c = world.residents[:3]
    receipt, ids, b_nonce = _batch_with_a_void_claim(world, how)
    credited = [bytes(e["args"]["recordId"]) for e in world.events(receipt, "RecordCredited")]
    assert credited == [ids[0], ids[2]]
    assert (world.credit(a), world.credit(b), world.credit(c)) == (20, 0, 20)
    reason = {"cancel": NONCE, "direct-claim": NONCE, "deregister": NOT_REGISTERED}.get(
        how, EXPIRED
    )
    expected = b_nonce + 1 if how in ("cancel", "direct-claim") else b_nonce
    assert _skips(world, receipt) == [
        {
            "recordId": ids[1],
            "resident": b.address,
            "reason": SKIP_REASONS[reason],
            "expectedNonce": expected,
            "givenNonce": b_nonce,
        }
    ]
    assert _nonce(world, b) == expected  # a skipped claim leaves the nonce where it was


@pytest.mark.parametrize("how", ["cancel", "expire"])
def test_the_auditor_accounts_for_a_skipped_claim(
    world: World, artifacts: dict[str, Artifact], ruleset: RuleSet, how: str
) -> None:
    """ClaimSkipped accounts for the record the relay call carried without booking it, and an
    expired signature matters only on a booked record."""
    _batch_with_a_void_claim(world, how)
    result = audit(world, artifacts, ruleset)
    assert result.clean, described(result)
    assert result.quorum.relayed == 2
