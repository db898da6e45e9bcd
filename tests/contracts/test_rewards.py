"""CCR rewards: minted per ended epoch from earnings at the published rate, once, under a cap."""

from __future__ import annotations

from typing import Any

import pytest

from credit.ruleset import RuleSet
from tests.support.ledger_flows import CCR, RATE, credit, publish, role, variant
from tests.support.reverts import reverts
from tests.support.world import EPOCH, NOTICE, Actor, World

DEFAULT_CAP = 100_000 * CCR


def mint(world: World, epoch: int, *residents: Actor) -> Any:
    fn = world.ledger.functions.mintRewards(epoch, [r.address for r in residents])
    return world.minter.send(fn)


def earnings(world: World, resident: Actor, epoch: int) -> tuple[int, bool]:
    return tuple(world.ledger.functions.epochEarnings(resident.address, epoch).call())


def ccr(world: World, who: Actor) -> int:
    return int(world.ledger.functions.balanceOf(who.address).call())


def minted(world: World, receipt: Any) -> list[dict[str, Any]]:
    return [dict(e["args"]) for e in world.events(receipt, "RewardMinted")]


def test_an_epoch_is_paid_only_after_it_ends(world: World) -> None:
    a = world.residents[0]
    credit(world, a, 1, 5)
    for epoch in (0, 3):
        with reverts("RewardEpochNotEnded", epoch=epoch):
            mint(world, epoch, a)
    world.advance(EPOCH)
    with reverts("RewardEpochNotEnded", epoch=1):
        mint(world, 1, a)
    mint(world, 0, a)
    assert ccr(world, a) == 50 * RATE


def test_minting_pays_points_times_the_published_rate(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    credit(world, a, 1, 5)
    credit(world, b, 1, 3)
    credit(world, b, 2, 1)
    world.advance(EPOCH)
    receipt = mint(world, 0, a, b)
    (fixed,) = world.events(receipt, "RewardTermsFixed")
    assert dict(fixed["args"]) == {
        "epoch": 0,
        "ruleVersion": 1,
        "rewardPerPoint": RATE,
        "cap": DEFAULT_CAP,
    }
    assert minted(world, receipt) == [
        {"resident": a.address, "epoch": 0, "points": 50, "amount": 5 * CCR},
        {"resident": b.address, "epoch": 0, "points": 45, "amount": 45 * CCR // 10},
    ]
    assert (ccr(world, a), ccr(world, b)) == (5 * CCR, 45 * CCR // 10)
    assert world.ledger.functions.totalSupply().call() == 95 * CCR // 10
    assert tuple(world.ledger.functions.epochRewards(0).call()) == (
        RATE,
        DEFAULT_CAP,
        95 * CCR // 10,
    )
    assert (earnings(world, a, 0), earnings(world, b, 0)) == ((50, True), (45, True))
    assert (world.credit(a), world.credit(b)) == (50, 45)  # rewards do not spend credit


def test_reward_terms_are_fixed_once_per_epoch(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    credit(world, a, 1, 1)
    credit(world, b, 1, 2)
    world.advance(EPOCH)
    credit(world, a, 1, 3)
    world.advance(EPOCH)
    receipts = [mint(world, 0, a), mint(world, 0, b), mint(world, 1, a)]
    fixed = [[dict(e["args"]) for e in world.events(r, "RewardTermsFixed")] for r in receipts]
    assert [[f["epoch"] for f in fs] for fs in fixed] == [[0], [], [1]]
    assert tuple(world.ledger.functions.epochRewards(0).call())[2] == 30 * RATE
    assert tuple(world.ledger.functions.epochRewards(1).call())[2] == 30 * RATE


@pytest.mark.parametrize(
    "batch",
    [
        pytest.param(("a",), id="again"),
        pytest.param(("b", "a"), id="again-after-another"),
        pytest.param(("b", "b"), id="twice-in-one-call"),
    ],
)
def test_a_resident_is_paid_at_most_once_per_epoch(world: World, batch: tuple[str, ...]) -> None:
    people = {"a": world.residents[0], "b": world.residents[1]}
    credit(world, people["a"], 1, 2)
    credit(world, people["b"], 1, 4)
    world.advance(EPOCH)
    mint(world, 0, people["a"])
    twice = people[batch[-1]]
    with reverts("RewardAlreadyPaid", resident=twice.address, epoch=0):
        mint(world, 0, *(people[k] for k in batch))
    assert (ccr(world, people["a"]), ccr(world, people["b"])) == (20 * RATE, 0)  # all or nothing
    assert earnings(world, people["b"], 0) == (40, False)


def test_nothing_earned_is_refused(world: World) -> None:
    a, idle = world.residents[0], world.residents[4]
    credit(world, a, 1, 1)
    world.advance(2 * EPOCH)
    for who, epoch in ((idle, 0), (world.outsider, 0), (a, 1)):
        with reverts("RewardNothingEarned", resident=who.address, epoch=epoch):
            mint(world, epoch, who)
    with reverts("RewardNothingEarned", resident=idle.address, epoch=0):
        mint(world, 0, a, idle)
    assert ccr(world, a) == 0


def test_only_the_minter_mints(world: World) -> None:
    credit(world, world.residents[0], 1, 1)
    world.advance(EPOCH)
    fn = world.ledger.functions.mintRewards(0, [world.residents[0].address])
    for caller in (world.outsider, world.operator, world.residents[0]):
        with reverts(
            "AccessControlUnauthorizedAccount",
            account=caller.address,
            neededRole=role("MINTER_ROLE"),
        ):
            caller.send(fn)


def test_an_epoch_cap_from_a_new_rule_version_is_enforced(world: World, ruleset: RuleSet) -> None:
    a, b, c = world.residents[0], world.residents[1], world.residents[2]
    cap = 5 * CCR  # 50 points' worth
    publish(world, variant(ruleset, label="tight", terms={"epoch_reward_cap": cap}))
    world.advance(NOTICE)
    world.advance(EPOCH)
    assert (world.epoch(), world.rule_book.functions.versions().call()[0]) == (1, 2)
    credit(world, a, 1, 4)
    credit(world, b, 1, 2)
    credit(world, c, 1, 1)
    world.advance(EPOCH)
    with reverts("RewardEpochCapExceeded", epoch=1, cap=cap, wouldBe=6 * CCR):
        mint(world, 1, a, b)
    assert world.ledger.functions.totalSupply().call() == 0
    assert tuple(world.ledger.functions.epochRewards(1).call()) == (0, 0, 0)
    assert (earnings(world, a, 1), earnings(world, b, 1)) == ((40, False), (20, False))

    (fixed,) = world.events(mint(world, 1, a), "RewardTermsFixed")
    assert dict(fixed["args"]) == {"epoch": 1, "ruleVersion": 2, "rewardPerPoint": RATE, "cap": cap}
    with reverts("RewardEpochCapExceeded", epoch=1, cap=cap, wouldBe=6 * CCR):
        mint(world, 1, b)
    mint(world, 1, c)  # exactly at the cap
    assert tuple(world.ledger.functions.epochRewards(1).call()) == (RATE, cap, cap)
    assert (ccr(world, a), ccr(world, b), ccr(world, c)) == (4 * CCR, 0, CCR)


def test_every_unpaid_epoch_can_be_paid_later_exactly_once(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    points = {0: 10, 1: 20, 2: 30, 3: 40}
    for epoch, p in points.items():
        assert world.epoch() == epoch
        credit(world, a, 1, p // 10)
        if epoch in (0, 3):
            credit(world, b, 1, 1)
        world.advance(EPOCH)
    # Only the two latest earning epochs sit in the resident's word; 0 and 1 were spilled.
    assert [earnings(world, a, e) for e in range(5)] == [
        (10, False),
        (20, False),
        (30, False),
        (40, False),
        (0, False),
    ]
    for epoch in (2, 0, 3, 1):
        assert minted(world, mint(world, epoch, a))[0]["amount"] == points[epoch] * RATE
    assert ccr(world, a) == 100 * RATE
    assert [earnings(world, a, e) for e in range(4)] == [(p, True) for p in points.values()]
    for epoch in points:
        with reverts("RewardAlreadyPaid", resident=a.address, epoch=epoch):
            mint(world, epoch, a)
    mint(world, 0, b)
    mint(world, 3, b)
    assert ccr(world, b) == 20 * RATE


def test_a_paid_epoch_is_never_paid_again_after_it_leaves_the_window(world: World) -> None:
    """The ledger keeps the two latest earning epochs (and unpaid spills); a paid epoch that left
    the window reads as nothing unpaid, and RewardMinted events keep the payment."""
    a = world.residents[0]
    credit(world, a, 1, 1)
    world.advance(EPOCH)
    mint(world, 0, a)
    credit(world, a, 1, 2)
    world.advance(EPOCH)
    credit(world, a, 1, 3)  # epoch 0 leaves the window (it was paid, so it is not spilled)
    assert ccr(world, a) == 10 * RATE
    assert earnings(world, a, 0) == (0, False)
    with reverts("RewardNothingEarned", resident=a.address, epoch=0):
        mint(world, 0, a)
    assert ccr(world, a) == 10 * RATE  # never paid twice


def test_credit_is_not_transferable_but_the_reward_token_is(world: World) -> None:
    a, other = world.residents[0], world.residents[1]
    abi = world.ledger.abi
    mutating = {
        f["name"]
        for f in abi
        if f["type"] == "function" and f["stateMutability"] not in ("view", "pure")
    }
    # creditAutomated books a verified record for its resident; nothing moves credit between two
    assert {name for name in mutating if "credit" in name.lower()} == {"creditAutomated"}
    assert {"transfer", "transferFrom"} <= mutating  # ERC-20 transfers move CCR only
    credit(world, a, 1, 5)
    world.advance(EPOCH)
    mint(world, 0, a)
    a.send(world.ledger.functions.transfer(other.address, 2 * CCR))
    a.send(world.ledger.functions.approve(world.outsider.address, CCR))
    spend = world.ledger.functions.transferFrom(a.address, world.outsider.address, CCR)
    world.outsider.send(spend)
    assert (ccr(world, a), ccr(world, other), ccr(world, world.outsider)) == (2 * CCR, 2 * CCR, CCR)
    assert (world.credit(a), world.credit(other), world.credit(world.outsider)) == (50, 0, 0)
    assert world.ledger.functions.symbol().call() == "CCR"
