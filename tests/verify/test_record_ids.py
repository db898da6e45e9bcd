"""Verification record ids are unique per epoch (issue 14, finding 5)."""

from __future__ import annotations

from tests.verify.rig import VERIFICATION, Rig, root_of


def test_two_epochs_with_the_same_root_credit_twice_under_distinct_ids(rig: Rig) -> None:
    """A quiet city can have the same state root two epochs running: both pay, ids differ."""
    w = rig.world
    voters, same = w.residents[:3], root_of("a quiet city")
    ids = []
    for epoch in (0, 1):
        rig.vote(epoch, [(r, same) for r in voters])
        rig.to_finalize(epoch)
        receipt = rig.client(w.outsider).finalize(epoch)
        ids += [
            e["args"]["recordId"]
            for e in w.events(receipt, "RecordCredited")
            if e["args"]["category"] == VERIFICATION
        ]
    assert [w.credit(r) for r in voters] == [40, 40, 40]
    assert len(ids) == 6 and len(set(ids)) == 6, [i.hex() for i in ids]
