"""Finalising an epoch decides its root; crediting pages pay its revealers; disagreement events."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

import pytest

from credit.chain import role_id
from credit.chain.verifier import Outcome, VerifierClient
from credit.verify.settle import settle_epoch
from tests.support.reverts import reverts
from tests.support.world import Actor
from tests.verify.rig import QUORUM, VERIFICATION, Rig, root_of

HONEST, WRONG = root_of("honest"), root_of("faulty")
PAGE = 200  # IEpochVerifier.creditPageLimit()


def _sorted(actors: list[Actor]) -> list[str]:
    return sorted((a.address for a in actors), key=lambda a: int(a, 16))


def _credited(rig: Rig, receipt: Any) -> list[tuple[str, int, int]]:
    return [
        (e["args"]["resident"], e["args"]["category"], e["args"]["points"])
        for e in rig.world.events(receipt, "RecordCredited")
    ]


def _events(rig: Rig, receipt: Any, name: str) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in rig.world.events(receipt, name, rig.contract)]


def _finalized(rig: Rig, votes: list[tuple[Actor, bytes]]) -> VerifierClient:
    """Vote epoch 0, finalise it; returns the outsider's client."""
    rig.vote(0, votes)
    rig.to_finalize(0)
    client = rig.client(rig.world.outsider)
    client.finalize(0)
    return client


def test_consensus_finalises_the_root_and_pages_credit_the_honest_revealers(rig: Rig) -> None:
    honest, faulty = rig.world.residents[:4], rig.world.residents[4]
    rig.vote(0, [(r, HONEST) for r in honest] + [(faulty, WRONG)])
    rig.to_finalize(0)
    before = rig.world.credit(faulty)
    client = rig.client(rig.world.outsider)
    receipt = client.finalize(0)
    assert _credited(rig, receipt) == []  # finalising pays nobody: its cost is not the winners'
    assert _events(rig, receipt, "RootDisagreement") == [{"epoch": 0, "root": WRONG, "count": 1}]
    assert _events(rig, receipt, "EpochFinalized") == [{"epoch": 0, "root": HONEST, "revealers": 4}]
    assert _events(rig, receipt, "NoConsensus") == []
    assert astuple(rig.client().tally(0)) == (5, Outcome.FINALIZED, HONEST, 4)
    assert rig.contract.functions.finalRoot(0).call() == HONEST
    with reverts("VerifierAlreadyFinalized", epoch=0):
        client.finalize(0)

    winners = client.winners(0)
    assert winners == _sorted(honest)
    first = client.credit_winners(0, winners[2:])  # any page, in any order, by anyone
    assert sorted(_credited(rig, first)) == [(a, VERIFICATION, 20) for a in winners[2:]]
    assert _events(rig, first, "WinnersCredited") == [{"epoch": 0, "credited": 2, "unsettled": 2}]
    assert client.unsettled_winners(0, [r.address for r in rig.world.residents]) == winners[:2]
    second = rig.client(honest[0]).credit_winners(0, winners[:2])
    assert _events(rig, second, "WinnersCredited") == [{"epoch": 0, "credited": 2, "unsettled": 0}]
    assert rig.world.credit(faulty) == before
    assert all(rig.world.credit(r) == 20 for r in honest)
    assert client.unsettled_winners(0, winners) == []
    for r in honest:  # a settled ballot still reads as a reveal of the root
        assert rig.contract.functions.hasRevealed(0, r.address, HONEST).call()
        assert rig.client().ballot(0, r.address) == (True, True)
    assert not rig.contract.functions.hasRevealed(0, honest[0].address, WRONG).call()


def test_a_winner_is_paid_once_whoever_pushes_the_page(rig: Rig) -> None:
    res = rig.world.residents
    client = _finalized(rig, [(r, HONEST) for r in res[:3]])
    winners = client.winners(0)
    client.credit_winners(0, winners[:1])
    with reverts("VerifierAlreadySettled", epoch=0, winner=winners[0]):
        rig.client(res[1]).credit_winners(0, winners[:2])
    with reverts("VerifierAlreadySettled", epoch=0, winner=winners[1]):  # twice in one page
        client.credit_winners(0, [winners[1], winners[2], winners[1]])
    client.credit_winners(0, winners[1:])
    assert [rig.world.credit(r) for r in res[:3]] == [20, 20, 20]


def test_crediting_pages_are_checked(rig: Rig) -> None:
    res = rig.world.residents
    client = _finalized(rig, [(r, HONEST) for r in res[:4]] + [(res[4], WRONG)])
    assert client.page_limit() == PAGE
    with reverts("VerifierInvalidPage", given=0, max=PAGE):
        client.credit_winners(0, [])
    with reverts("VerifierInvalidPage", given=PAGE + 1, max=PAGE):
        client.credit_winners(0, [res[0].address] * (PAGE + 1))
    with reverts("VerifierNotRevealer", epoch=0, account=res[4].address, root=HONEST):
        client.credit_winners(0, [res[0].address, res[4].address])  # revealed another root
    with reverts("VerifierNotRevealer", epoch=0, account=res[5].address, root=HONEST):
        client.credit_winners(0, [res[5].address])  # never committed
    with reverts("VerifierNotFinalized", epoch=1):
        client.credit_winners(1, [res[0].address])
    assert client.tally(0).unsettled == 4  # every refused page changed nothing


def test_pages_are_refused_without_consensus(rig: Rig) -> None:
    res = rig.world.residents
    client = _finalized(rig, [(res[0], HONEST), (res[1], HONEST)])
    assert astuple(client.tally(0)) == (2, Outcome.NO_CONSENSUS, bytes(32), 0)
    with reverts("VerifierNotFinalized", epoch=0):
        client.credit_winners(0, [res[0].address])
    with reverts("VerifierNotFinalized", epoch=0):
        client.unsettled_winners(0, [res[0].address])


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
    roots = client.finalize_args(0)
    receipt = client.finalize(0, roots)
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
    receipt = rig.client(rig.world.outsider).finalize(0, [])
    assert _events(rig, receipt, "NoConsensus") == [
        {"epoch": 0, "leadingRoot": bytes(32), "leadingCount": 0, "reveals": 0, "quorum": QUORUM}
    ]


def test_finalize_checks_the_roots_it_is_given(rig: Rig) -> None:
    res = rig.world.residents
    other = root_of("other")
    rig.vote(0, [(r, HONEST) for r in res[:3]] + [(res[3], WRONG), (res[4], other)])
    rig.to_finalize(0)
    client = rig.client(rig.world.outsider)
    roots = client.finalize_args(0)
    assert roots == sorted([HONEST, WRONG, other])
    with reverts("VerifierRootsNotSorted", root=roots[1], previous=roots[2]):
        client.finalize(0, roots[::-1])
    with reverts("VerifierRootsNotSorted", root=roots[0], previous=roots[0]):
        client.finalize(0, [roots[0], *roots])
    unknown = root_of("nobody")
    with reverts("VerifierRootNotRevealed", epoch=0, root=unknown):
        client.finalize(0, sorted([*roots, unknown]))
    # Without a root holding the quorum and a strict majority, every root must be listed.
    with reverts("VerifierRootsIncomplete", epoch=0, listed=2, revealed=5):
        client.finalize(0, sorted([WRONG, other]))
    # HONEST holds 3 of 5 reveals: it wins whatever else was revealed, so it may be listed alone.
    receipt = client.finalize(0, [HONEST])
    assert _events(rig, receipt, "EpochFinalized") == [{"epoch": 0, "root": HONEST, "revealers": 3}]
    assert _events(rig, receipt, "RootDisagreement") == []  # the Revealed events still hold them


def test_late_finalisation_records_the_root_without_credit(rig: Rig) -> None:
    rig.vote(0, [(r, HONEST) for r in rig.world.residents[:3]])
    closes = rig.windows(0).credit_closes
    rig.goto(closes + 1)
    client = rig.client(rig.world.outsider)
    receipt = client.finalize(0)
    assert _events(rig, receipt, "EpochFinalized") == [{"epoch": 0, "root": HONEST, "revealers": 3}]
    assert rig.contract.functions.finalRoot(0).call() == HONEST
    with reverts("VerifierCreditWindowClosed", epoch=0, closedAt=closes):
        client.credit_winners(0, client.winners(0))
    done = settle_epoch(client, 0)
    assert (done.pages_pushed, done.unsettled) == (0, 3)
    assert done.notes == [f"the credit window closed at {closes}: the root stands unpaid"]


def test_a_page_after_the_credit_window_is_refused(rig: Rig) -> None:
    res = rig.world.residents
    client = _finalized(rig, [(r, HONEST) for r in res[:3]])
    winners = client.winners(0)
    client.credit_winners(0, winners[:1])
    closes = rig.windows(0).credit_closes
    rig.goto(closes)
    with reverts("VerifierCreditWindowClosed", epoch=0, closedAt=closes):
        client.credit_winners(0, winners[1:])
    assert [rig.world.credit(r) for r in res[:3]].count(20) == 1


def test_a_winner_who_left_is_settled_without_credit(rig: Rig) -> None:
    res = rig.world.residents
    rig.vote(0, [(r, HONEST) for r in res[:4]])
    res[0].send(rig.world.ledger.functions.deregisterResident(res[0].address))
    rig.to_finalize(0)
    client = rig.client(rig.world.outsider)
    client.finalize(0)
    receipt = client.credit_winners(0, client.winners(0))
    assert sorted(a for a, _, _ in _credited(rig, receipt)) == _sorted(res[1:4])
    assert _events(rig, receipt, "WinnersCredited") == [{"epoch": 0, "credited": 3, "unsettled": 0}]


def test_a_ledger_refusal_reverts_the_page_and_the_root_stands(rig: Rig) -> None:
    w = rig.world
    client = _finalized(rig, [(r, HONEST) for r in w.residents[:3]])
    verifier_role = role_id("VERIFIER_ROLE")
    w.operator.send(w.ledger.functions.revokeRole(verifier_role, rig.contract.address))
    winners = client.winners(0)
    with reverts(
        "AccessControlUnauthorizedAccount", account=rig.contract.address, neededRole=verifier_role
    ):
        client.credit_winners(0, winners)
    assert astuple(client.tally(0)) == (
        3,
        Outcome.FINALIZED,
        HONEST,
        3,
    )  # nobody lost to the refusal
    done = settle_epoch(client, 0)
    assert done.pages_pushed == 0 and "AccessControlUnauthorizedAccount" in done.notes[0]
    w.operator.send(w.ledger.functions.grantRole(verifier_role, rig.contract.address))
    assert settle_epoch(client, 0).credited_by_me == 3


def test_settling_finalises_and_credits_every_winner(rig: Rig) -> None:
    res = rig.world.residents
    rig.vote(0, [(r, HONEST) for r in res[:5]] + [(res[5], WRONG)])
    rig.to_finalize(0)
    done = settle_epoch(rig.client(rig.world.outsider), 0)
    assert (done.finalized_by_me, done.outcome, done.final_root) == (
        True,
        "FINALIZED",
        "0x" + HONEST.hex(),
    )
    assert (done.pages_pushed, done.credited_by_me, done.unsettled) == (1, 5, 0)
    again = settle_epoch(rig.client(res[0]), 0)
    assert (again.finalized_by_me, again.pages_pushed, again.notes) == (False, 0, [])
    assert [rig.world.credit(r) for r in res[:6]] == [20] * 5 + [0]


class _Racing(VerifierClient):
    """Another settler's page lands between this one's read of the chain and its own page."""

    def __init__(self, client: VerifierClient, rival: VerifierClient) -> None:
        super().__init__(client.contract, client.tx, decoder=client.decoder)
        self.rival: VerifierClient | None = rival

    def credit_winners(self, epoch: int, winners: list[str]) -> Any:
        if self.rival is not None:
            rival, self.rival = self.rival, None  # once
            rival.credit_winners(epoch, winners[1:2])
        return super().credit_winners(epoch, winners)


def test_a_page_pushed_first_by_someone_else_is_replanned(rig: Rig) -> None:
    res = rig.world.residents
    rig.vote(0, [(r, HONEST) for r in res[:4]])
    rig.to_finalize(0)
    client = _Racing(rig.client(rig.world.outsider), rig.client(res[0]))
    done = settle_epoch(client, 0)
    assert (done.pages_pushed, done.credited_by_me, done.unsettled) == (1, 3, 0)
    assert [rig.world.credit(r) for r in res[:4]] == [20] * 4


def test_each_epoch_credits_its_verifiers_once(rig: Rig) -> None:
    """Two consecutive epochs each settled in their credit window: 20 points each time."""
    res = rig.world.residents[:3]
    for epoch in (0, 1):
        rig.vote(epoch, [(r, root_of(f"state {epoch}")) for r in res])
        rig.to_finalize(epoch)
        settle_epoch(rig.client(rig.world.outsider), epoch)
    assert [rig.world.credit(r) for r in res] == [40, 40, 40]
