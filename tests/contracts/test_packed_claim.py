"""relayClaimPacked: one claim and its endorsements without ABI padding. It books exactly what
relayClaims books for a batch of one, refuses every malformed or unauthorised input by name, and
the auditor reads it back from calldata."""

from __future__ import annotations

from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.audit.decoding import packed_claim_batch
from credit.audit.digests import Digests, recover
from credit.chain.signing import CLAIM_BYTES, ENDORSEMENT_BYTES, pack_claim
from credit.ruleset import RuleSet
from tests.audit.helpers import audit, described
from tests.support.reverts import reverts
from tests.support.world import PEER, PUBLIC, SUPERIOR, World


def _relay_packed(world: World, packed: bytes) -> Any:
    return world.operator.send(world.ledger.functions.relayClaimPacked(packed), gas=1_000_000)


def _signed(world: World, units: int = 2, **kw: Any) -> tuple[Any, bytes, list[Any]]:
    a, peer = world.residents[0], world.residents[1]
    signed, rid = world.claim(a, units=units, **kw)
    return signed, rid, world.endorse([rid], [(world.superior, SUPERIOR), (peer, PEER)])


def _state(world: World, receipt: Any) -> tuple[Any, ...]:
    a = world.residents[0].address
    (event,) = world.events(receipt, "RecordCredited")
    return (
        dict(event["args"]),
        world.credit(a),
        world.ledger.functions.claimNonce(a).call(),
        world.ledger.functions.residentState(a).call(),
    )


def test_packed_books_what_a_batch_of_one_books(world: World) -> None:
    tester = world.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    signed, rid, ends = _signed(world, units=3, evidence=b"\x5a" * 32)
    snapshot = tester.take_snapshot()
    batch = _state(world, world.relay([signed], ends))
    tester.revert_to_snapshot(snapshot)
    world.reset_nonces()
    receipt = _relay_packed(world, pack_claim(signed, ends))
    packed = _state(world, receipt)
    assert packed == batch
    assert packed[0]["recordId"] == rid and packed[0]["points"] == 30
    assert packed[2] == 1


def test_packed_calldata_is_tight(world: World) -> None:
    signed, _, ends = _signed(world)
    packed = pack_claim(signed, ends)
    assert len(packed) == CLAIM_BYTES + 2 * ENDORSEMENT_BYTES == 278
    abi = bytes.fromhex(world.ledger.encode_abi("relayClaims", [[signed], ends])[2:])
    assert len(abi) == 4 + 32 * (2 + 9 + 1 + 2 * 5 + 1)  # heads, claim, lengths, endorsements


@pytest.mark.parametrize("cut", [0, 1, CLAIM_BYTES - 1, CLAIM_BYTES + 1, CLAIM_BYTES + 70])
def test_a_packed_call_of_the_wrong_length_is_refused(world: World, cut: int) -> None:
    signed, _, ends = _signed(world)
    packed = (pack_claim(signed, ends) + b"\x01" * 300)[:cut]
    with reverts("LedgerInvalidPackedLength", length=cut):
        _relay_packed(world, packed)


def test_a_packed_claim_needs_endorsements(world: World) -> None:
    signed, _, _ = _signed(world)
    with reverts("LedgerInvalidEndorsementCount", count=0):
        _relay_packed(world, pack_claim(signed, []))


def test_a_changed_field_breaks_the_residents_signature(world: World) -> None:
    signed, _, ends = _signed(world, units=1)
    packed = bytearray(pack_claim(signed, ends))
    packed[23] = 9  # units 1 -> 9, after the resident signed
    with pytest.raises(Exception) as info:
        _relay_packed(world, bytes(packed))
    assert getattr(info.value, "name", "") == "LedgerInvalidSigner"
    assert world.credit(world.residents[0]) == 0


def test_packed_endorsements_are_checked_like_a_batch(world: World) -> None:
    a, peer = world.residents[0], world.residents[1]
    signed, rid = world.claim(a)
    superior_only = world.endorse([rid], [(world.superior, SUPERIOR)])
    with reverts("LedgerQuorumNotMet", recordId=rid, weight=2, confirmations=1, kindsPresent=1):
        _relay_packed(world, pack_claim(signed, superior_only))
    own = world.endorse([rid], [(world.superior, SUPERIOR), (a, PEER)])
    with reverts("LedgerSelfConfirmation", recordId=rid, evaluator=a.address):
        _relay_packed(world, pack_claim(signed, own))
    ends = world.endorse([rid], [(world.superior, SUPERIOR), (peer, PEER)])
    with pytest.raises(Exception) as info:
        _relay_packed(world, pack_claim(signed, list(reversed(ends))))
    assert getattr(info.value, "name", "") == "LedgerEvaluatorsNotSorted"
    with reverts("LedgerEvaluatorLacksRole", evaluator=peer.address, kind=PUBLIC):
        _relay_packed(world, pack_claim(signed, world.endorse([rid], [(peer, PUBLIC)])))
    late = world.endorse(
        [rid], [(world.superior, SUPERIOR), (peer, PEER)], deadline=world.now() - 1
    )
    with reverts("LedgerExpiredSignature", deadline=world.now() - 1):
        _relay_packed(world, pack_claim(signed, late))
    assert world.credit(a) == 0


def test_a_packed_claim_is_relayed_once(world: World) -> None:
    signed, _, ends = _signed(world)
    packed = pack_claim(signed, ends)
    _relay_packed(world, packed)
    a = world.residents[0]
    with reverts("LedgerInvalidNonce", account=a.address, expected=1, given=0):
        _relay_packed(world, packed)
    assert world.credit(a) == 20


def test_pack_claim_refuses_an_endorsement_of_several_records(world: World) -> None:
    signed, rid, _ = _signed(world)
    two = world.endorse([rid, b"\x01" * 32], [(world.superior, SUPERIOR)])
    with pytest.raises(ValueError, match="mask 1"):
        pack_claim(signed, two)


def test_the_auditor_reads_packed_calls_back(
    world: World, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    signed, rid, ends = _signed(world)
    packed = pack_claim(signed, ends)
    data = bytes.fromhex(world.ledger.encode_abi("relayClaimPacked", [packed])[2:])
    batch = packed_claim_batch("0x01", data[4:])
    assert batch is not None and batch.function == "relayClaimPacked"
    (record,) = batch.records
    digests = Digests(world.system.record.chain_id, world.ledger.address)
    assert digests.claim(record) == rid
    signers = {
        recover(digests.confirmation([rid], e.kind, e.deadline), e.r, e.vs)
        for e in batch.endorsements
    }
    assert signers == {world.superior.address.lower(), world.residents[1].address.lower()}
    assert packed_claim_batch("0x01", data[4:-32]) is None  # cut short: not one claim
    _relay_packed(world, packed)
    result = audit(world, artifacts, ruleset)
    assert result.clean, described(result)
    assert (result.quorum.relayed, result.quorum.signatures) == (1, 3)
