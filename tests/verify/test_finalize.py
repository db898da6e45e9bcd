"""Finalising an epoch: consensus credits its revealers; disagreement and no-consensus events."""

from __future__ import annotations

from typing import Any

import pytest

from credit.chain import role_id
from credit.chain.verifier import Outcome
from tests.ledger_flows import reverts
from tests.verify.rig import QUORUM, VERIFICATION, Rig, root_of
from tests.world import Actor

HONEST, WRONG = root_of("honest"), root_of("faulty")


def _sorted(actors: list[Actor]) -> list[str]:
    return sorted((a.address for a in actors), key=lambda a: int(a, 16))


def _credited(rig: Rig, receipt: Any) -> list[tuple[str, int, int]]:
    return [
        (e["args"]["resident"], e["args"]["category"], e["args"]["points"])
        for e in rig.world.events(receipt, "RecordCredited")
    ]


def _events(rig: Rig, receipt: Any, name: str) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in rig.world.events(receipt, name, rig.contract)]


def test_consensus_credits_the_honest_revealers_only(rig: Rig) -> None:
    honest, faulty = rig.world.residents[:4], rig.world.residents[4]
    rig.vote(0, [(r, HONEST) for r in honest] + [(faulty, WRONG)])
    rig.to_finalize(0)
    before = rig.world.credit(faulty)
    receipt = rig.client(rig.world.outsider).finalize(0)
    assert sorted(_credited(rig, receipt)) == sorted((a, VERIFICATION, 20) for a in _sorted(honest))
    assert _events(rig, receipt, "RootDisagreement") == [{"epoch": 0, "root": WRONG, "count": 1}]
    assert _events(rig, receipt, "EpochFinalized") == [
        {"epoch": 0, "root": HONEST, "revealers": 4, "credited": 4}
    ]
    assert _events(rig, receipt, "NoConsensus") == []
    tally = rig.client().tally(0)
    assert (tally.reveals, tally.outcome, tally.root) == (5, Outcome.FINALIZED, HONEST)
    assert rig.contract.functions.finalRoot(0).call() == HONEST
    assert rig.world.credit(faulty) == before
    assert all(rig.world.credit(r) == 20 for r in honest)
    with reverts("VerifierAlreadyFinalized", epoch=0):
        rig.client(rig.world.outsider).finalize(0)


@pytest.mark.parametrize(
    "split",
    [
        pytest.param([2, 2, 1], id="split-below-quorum"),
        pytest.param([3, 3], id="tie-at-quorum"),
        pytest.param([3, 2, 1], id="quorum-without-strict-majority"),
        pytest.param([2], id="unanimous-below-quorum"),
    ],
)
def test_no_consensus_when_votes_split(rig: Rig, split: list[int]) -> None:
    residents = iter(rig.world.residents)
    votes = [(next(residents), root_of(f"r{i}")) for i, n in enumerate(split) for _ in range(n)]
    rig.vote(0, votes)
    rig.to_finalize(0)
    client = rig.client(rig.world.outsider)
    roots, winners = client.finalize_args(0)
    assert winners == []
    receipt = client.finalize(0, roots, winners)
    assert _credited(rig, receipt) == []
    assert _events(rig, receipt, "NoConsensus") == [
        {
            "epoch": 0,
            "leadingRoot": min((root_of(f"r{i}") for i, n in enumerate(split) if n == max(split))),
            "leadingCount": max(split),
            "reveals": sum(split),
            "quorum": QUORUM,
        }
    ]
    disagreements = {e["root"]: e["count"] for e in _events(rig, receipt, "RootDisagreement")}
    assert disagreements == {root_of(f"r{i}"): n for i, n in enumerate(split)}
    assert rig.client().tally(0).outcome is Outcome.NO_CONSENSUS
    with reverts("VerifierNotFinalized", epoch=0):
        rig.client(rig.world.outsider).verify_credit(0, rig.world.residents[0].address, 0, 0, [])


def test_an_epoch_nobody_verified_closes_without_consensus(rig: Rig) -> None:
    rig.to_finalize(0)
    receipt = rig.client(rig.world.outsider).finalize(0, [], [])
    assert _events(rig, receipt, "NoConsensus") == [
        {"epoch": 0, "leadingRoot": bytes(32), "leadingCount": 0, "reveals": 0, "quorum": QUORUM}
    ]


def test_finalize_checks_the_roots_and_winners_it_is_given(rig: Rig) -> None:
    res = rig.world.residents
    rig.vote(0, [(r, HONEST) for r in res[:4]] + [(res[4], WRONG)])
    rig.to_finalize(0)
    client = rig.client(rig.world.outsider)
    roots, winners = client.finalize_args(0)
    assert roots == sorted([HONEST, WRONG]) and winners == _sorted(res[:4])
    with reverts("VerifierRootsIncomplete", epoch=0, listed=4, revealed=5):
        client.finalize(0, [HONEST], winners)
    with reverts("VerifierRootsNotSorted", root=roots[0], previous=roots[1]):
        client.finalize(0, roots[::-1], winners)
    unknown = root_of("nobody")
    with reverts("VerifierRootNotRevealed", epoch=0, root=unknown):
        client.finalize(0, sorted([*roots, unknown]), winners)
    with reverts("VerifierWinnersMismatch", epoch=0, expected=4, given=3):
        client.finalize(0, roots, winners[:3])
    with reverts("VerifierWinnersNotSorted", winner=winners[0], previous=winners[1]):
        client.finalize(0, roots, [winners[1], winners[0], *winners[2:]])
    imposters = sorted([*winners[:3], res[4].address], key=lambda a: int(a, 16))
    with reverts("VerifierNotRevealer", epoch=0, account=res[4].address, root=HONEST):
        client.finalize(0, roots, imposters)
    client.finalize(0, roots, winners)


def test_winners_refused_when_there_is_no_consensus(rig: Rig) -> None:
    res = rig.world.residents
    rig.vote(0, [(res[0], HONEST), (res[1], HONEST)])
    rig.to_finalize(0)
    with reverts("VerifierWinnersMismatch", epoch=0, expected=0, given=2):
        rig.client(rig.world.outsider).finalize(0, [HONEST], _sorted(res[:2]))


def test_late_finalisation_records_the_root_without_credit(rig: Rig) -> None:
    rig.vote(0, [(r, HONEST) for r in rig.world.residents[:3]])
    rig.goto(rig.windows(0).credit_closes + 1)
    receipt = rig.client(rig.world.outsider).finalize(0)
    assert _credited(rig, receipt) == []
    assert _events(rig, receipt, "CreditingSkipped") == [{"epoch": 0, "late": True, "reason": b""}]
    assert _events(rig, receipt, "EpochFinalized")[0]["credited"] == 0
    assert rig.contract.functions.finalRoot(0).call() == HONEST


def test_a_winner_who_left_is_not_credited(rig: Rig) -> None:
    res = rig.world.residents
    rig.vote(0, [(r, HONEST) for r in res[:4]])
    res[0].send(rig.world.ledger.functions.deregisterResident(res[0].address))
    rig.to_finalize(0)
    receipt = rig.client(rig.world.outsider).finalize(0)
    assert sorted(a for a, _, _ in _credited(rig, receipt)) == _sorted(res[1:4])
    assert _events(rig, receipt, "EpochFinalized")[0]["credited"] == 3


def test_a_ledger_refusal_is_reported_and_the_root_stands(rig: Rig) -> None:
    w = rig.world
    rig.vote(0, [(r, HONEST) for r in w.residents[:3]])
    w.operator.send(w.ledger.functions.revokeRole(role_id("VERIFIER_ROLE"), rig.contract.address))
    rig.to_finalize(0)
    receipt = rig.client(w.outsider).finalize(0)
    (skipped,) = _events(rig, receipt, "CreditingSkipped")
    assert skipped["late"] is False
    assert w.system.decoder.decode(skipped["reason"]).name == "AccessControlUnauthorizedAccount"
    assert rig.client().tally(0).root == HONEST


def test_each_epoch_credits_its_verifiers_once(rig: Rig) -> None:
    """Two consecutive epochs each finalised in their credit window: 20 points each time."""
    res = rig.world.residents[:3]
    for epoch in (0, 1):
        rig.vote(epoch, [(r, root_of(f"state {epoch}")) for r in res])
        rig.to_finalize(epoch)
        rig.client(rig.world.outsider).finalize(epoch)
    assert [rig.world.credit(r) for r in res] == [40, 40, 40]
