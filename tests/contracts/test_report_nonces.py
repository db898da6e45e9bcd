"""An official's signed report stays valid whatever else the official signs or does (issue 14).

Reports were once tied to the account nonce of OpenZeppelin ``Nonces``, shared with ERC-20
permits, appeals by signature and direct reports: any of those used the nonce a signed but not yet
relayed report carried, and reports had to be relayed in nonce order. Now a report is refused only
by its deadline or because the same report (same record id) was recorded already; its nonce merely
tells apart two otherwise identical reports.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_keys import keys
from eth_utils import keccak

from tests.support.authz_sig_quorum_helpers import NO_DEADLINE
from tests.support.ledger_flows import LITTERING, Status, credit, report_directly
from tests.support.reverts import reverts
from tests.support.world import PUBLIC, SUPERIOR, Actor, World


def _endorse(world: World, ids: list[bytes]) -> list[Any]:
    return world.endorse(ids, [(world.superior2, SUPERIOR), (world.panel, PUBLIC)])


def _relay(world: World, reports: list[Any], ids: list[bytes]) -> Any:
    fn = world.ledger.functions.relayReports(reports, _endorse(world, ids))
    return world.operator.send(fn, gas=3_000_000)


def _permit(world: World, owner: Actor, spender: str, nonce: int) -> Any:
    """``owner``'s ERC-2612 permit (value 0) with ``nonce``, ready for anyone to submit."""
    fields = ("owner:address", "spender:address", "value:uint256", "nonce:uint256")
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                *(dict(zip(("name", "type"), f.split(":"), strict=True)) for f in fields),
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": world.system.domain.as_dict(),
        "message": {
            "owner": owner.address,
            "spender": spender,
            "value": 0,
            "nonce": nonce,
            "deadline": NO_DEADLINE,
        },
    }
    signable = encode_typed_data(full_message=typed)
    sig = keys.PrivateKey(owner.key).sign_msg_hash(
        keccak(b"\x19" + signable.version + signable.header + signable.body)
    )
    r, s = sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")
    return world.ledger.functions.permit(owner.address, spender, 0, NO_DEADLINE, sig.v + 27, r, s)


def _signed_report(world: World, resident: Actor) -> tuple[Any, bytes]:
    nonce = world.ledger.functions.nonces(world.superior.address).call()
    return world.report(world.superior, resident, LITTERING, 1, nonce=nonce)


@pytest.mark.parametrize("use", ["permit", "direct-report"])
def test_another_use_of_the_account_nonce_leaves_a_signed_report_valid(
    world: World, use: str
) -> None:
    a = world.residents[0]
    credit(world, a, 1, 3)
    signed, rid = _signed_report(world, a)  # carries the official's account nonce
    if use == "permit":  # submitted by whoever holds the permit, e.g. the spender
        world.outsider.send(_permit(world, world.superior, world.outsider.address, 0))
    else:
        report_directly(world, world.superior, world.residents[1])
    receipt = _relay(world, [signed], [rid])
    (event,) = world.events(receipt, "ViolationRecorded")
    assert event["args"]["recordId"] == rid
    assert world.credit(a) == 10


def test_reports_are_relayed_in_any_order(world: World) -> None:
    a, b = world.residents[:2]
    first, first_id = world.report(world.superior, a, LITTERING, 1, nonce=0)
    second, second_id = world.report(world.superior, b, LITTERING, 1, nonce=1)
    _relay(world, [second], [second_id])
    _relay(world, [first], [first_id])
    for rid in (first_id, second_id):
        assert world.ledger.functions.violation(rid).call()[3] == Status.RECORDED


@pytest.mark.parametrize("batch", ["next-batch", "same-batch"])
def test_a_report_is_recorded_once(world: World, batch: str) -> None:
    signed, rid = _signed_report(world, world.residents[0])
    if batch == "next-batch":
        _relay(world, [signed], [rid])
        reports, ids = [signed], [rid]
    else:
        reports, ids = [signed, signed], [rid, rid]
    with reverts("LedgerInvalidViolationStatus", recordId=rid, status=Status.RECORDED):
        _relay(world, reports, ids)
    assert len(world.ledger.events.ViolationRecorded().get_logs(from_block=0)) == (
        1 if batch == "next-batch" else 0
    )
