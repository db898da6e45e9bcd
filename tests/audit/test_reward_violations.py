"""The reward rule for violations: an epoch's reward pays the points earned in it; a violation
confirmed in that same epoch lowers credit, never the reward. The auditor checks it explicitly."""

from __future__ import annotations

import copy
from dataclasses import replace

from credit.audit.model import ChainData
from credit.audit.run import run_checks
from tests.audit.helpers import codes, described
from tests.audit.scenario import Played
from tests.support.world import World

RATE = 10**17  # reward per point of the default rules


def _epoch0_payment(data: ChainData, resident: str) -> int:
    return next(
        i
        for i, e in enumerate(data.events)
        if e.name == "RewardMinted" and e.args["resident"] == resident and int(e.args["epoch"]) == 0
    )


def test_a_violation_in_the_epoch_of_the_earnings_leaves_the_reward_whole(
    city: tuple[World, Played], city_data: ChainData
) -> None:
    """resident1 earned 130 points in epoch 0 and had a 20-point violation (upheld) in it."""
    world, _ = city
    r1 = world.residents[1].address.lower()
    result = run_checks(city_data)
    book = result.books.residents[r1]
    assert (book.earnings[0], book.deducted[0]) == (130, 20)
    paid = city_data.events[_epoch0_payment(city_data, r1)]
    assert (int(paid.args["points"]), int(paid.args["amount"])) == (130, 130 * RATE)
    # resident0's violation of epoch 0 was overturned: paid in full too
    assert result.rewards.violation_epochs_paid == 2
    assert not {c for c in codes(result) if c.startswith("reward.")}, described(result)


def test_a_reward_netted_of_the_epochs_violations_is_named(
    city: tuple[World, Played], city_data: ChainData
) -> None:
    world, _ = city
    r1 = world.residents[1].address.lower()
    data = copy.deepcopy(city_data)
    i = _epoch0_payment(data, r1)
    e = data.events[i]
    data.events[i] = replace(e, args={**e.args, "points": 110, "amount": 110 * RATE})
    result = run_checks(data)
    assert "reward.net_of_violations" in codes(result), described(result)
    assert "reward.points_mismatch" not in codes(result)
    (found,) = [d for d in result.found.kept if d.code == "reward.net_of_violations"]
    assert "violations lower credit, not a period's reward" in found.message
    assert found.evidence == (e.evidence,)
