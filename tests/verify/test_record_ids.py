"""Verification record ids are unique per epoch (issue 14, finding 5)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from credit.verify.settle import settle_epoch
from tests.verify.rig import VERIFICATION, Rig, root_of


def test_two_epochs_with_the_same_root_credit_twice_under_distinct_ids(rig: Rig) -> None:
    """A quiet city can have the same state root two epochs running: both pay, ids differ."""
    w = rig.world
    voters, same = w.residents[:3], root_of("a quiet city")
    ids = []
    start = w.w3.eth.block_number
    for epoch in (0, 1):
        rig.vote(epoch, [(r, same) for r in voters])
        rig.to_finalize(epoch)
        settle_epoch(rig.client(w.outsider), epoch)
    for e in w.ledger.events.RecordCredited.get_logs(from_block=start):
        if e["args"]["category"] == VERIFICATION:
            ids.append(e["args"]["recordId"])
    assert [w.credit(r) for r in voters] == [40, 40, 40]
    assert len(ids) == 6 and len(set(ids)) == 6, [i.hex() for i in ids]
    # id = keccak(abi.encode(keccak(abi.encode(verifier, epoch, root)), resident)), as documented
    ref = keccak(encode(["address", "uint24", "bytes32"], [rig.contract.address, 1, same]))
    assert rig.contract.functions.recordRef(1, same).call() == ref
    expected = {keccak(encode(["bytes32", "address"], [ref, r.address])) for r in voters}
    assert expected <= set(ids)
