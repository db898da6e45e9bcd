"""Per-category per-epoch caps, and credit expiry after idle epochs (time travel, no sleep)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.ledger_flows import credit, relay_violation, state
from tests.support.reverts import reverts
from tests.support.world import EPOCH, PUBLIC, SUPERIOR, Actor, World

VOLUNTEERING, COMMUNITY, FEEDBACK = 1, 2, 3
EXPIRY = 26  # expiry_epochs of the default rules


def relay_batch(world: World, resident: Actor, category: int, units: list[int]) -> Any:
    """One relayed batch of claims by ``resident`` with consecutive nonces."""
    first = world.ledger.functions.claimNonce(resident.address).call()
    pairs = [world.claim(resident, category, u, nonce=first + i) for i, u in enumerate(units)]
    ids = [rid for _, rid in pairs]
    endorsements = world.endorse(ids, [(world.superior, SUPERIOR), (world.panel, PUBLIC)])
    return world.relay([signed for signed, _ in pairs], endorsements)


# ------------------------------------------------------------------------------------- caps
@pytest.mark.parametrize(
    "records",
    [
        pytest.param((4, 4), id="two-records-of-4"),
        pytest.param((1,) * 8, id="eight-records-of-1"),
        pytest.param((3, 3, 2), id="3-3-2"),
    ],
)
@pytest.mark.parametrize("extra", [pytest.param(1, id="next-1-unit"), pytest.param(4, id="next-4")])
def test_community_service_allows_120_points_then_reverts(
    world: World, records: tuple[int, ...], extra: int
) -> None:
    a = world.residents[0]
    for units in records:
        credit(world, a, COMMUNITY, units)
    assert world.credit(a) == 8 * 15 == 120
    with reverts(
        "LedgerCategoryCapExceeded",
        resident=a.address,
        category=COMMUNITY,
        cap=120,
        wouldBe=120 + 15 * extra,
    ):
        credit(world, a, COMMUNITY, extra)
    assert world.credit(a) == 120
    assert state(world, a)[1] == len(records)  # the refused claim used no nonce
    assert tuple(world.ledger.functions.epochEarnings(a.address, 0).call()) == (120, False)


def test_a_record_crossing_the_cap_is_refused_whole_and_a_smaller_one_fits(world: World) -> None:
    a = world.residents[0]
    credit(world, a, COMMUNITY, 4)
    credit(world, a, COMMUNITY, 3)
    with reverts("LedgerCategoryCapExceeded", resident=a.address, category=2, cap=120, wouldBe=135):
        credit(world, a, COMMUNITY, 2)
    assert world.credit(a) == 105
    credit(world, a, COMMUNITY, 1)
    assert world.credit(a) == 120


def test_the_cap_applies_inside_one_batch_and_the_batch_reverts_whole(world: World) -> None:
    a = world.residents[0]
    with reverts("LedgerCategoryCapExceeded", resident=a.address, category=2, cap=120, wouldBe=135):
        relay_batch(world, a, COMMUNITY, [4, 4, 1])
    assert world.credit(a) == 0
    receipt = relay_batch(world, a, COMMUNITY, [4, 4])
    assert [e["args"]["points"] for e in world.events(receipt, "RecordCredited")] == [60, 60]


def test_the_cap_is_per_resident_and_per_category(world: World) -> None:
    a, b = world.residents[0], world.residents[1]
    relay_batch(world, a, COMMUNITY, [4, 4])
    relay_batch(world, b, COMMUNITY, [4, 4])  # another resident has a cap of their own
    credit(world, a, VOLUNTEERING, 8)  # volunteering is uncapped
    credit(world, a, VOLUNTEERING, 8)
    relay_batch(world, a, FEEDBACK, [3, 3])  # civic feedback: 30 points of its own cap
    assert world.credit(a) == 120 + 160 + 30
    assert world.credit(b) == 120
    with reverts("LedgerCategoryCapExceeded", resident=a.address, category=3, cap=30, wouldBe=35):
        credit(world, a, FEEDBACK, 1)


@pytest.mark.parametrize("later", [pytest.param(1, id="next-epoch"), pytest.param(3, id="3-later")])
def test_the_cap_resets_in_a_later_epoch(world: World, later: int) -> None:
    a = world.residents[0]
    relay_batch(world, a, COMMUNITY, [4, 4])
    with reverts("LedgerCategoryCapExceeded", resident=a.address, category=2, cap=120, wouldBe=135):
        credit(world, a, COMMUNITY, 1)
    world.advance(later * EPOCH)
    assert world.epoch() == later
    relay_batch(world, a, COMMUNITY, [4, 4])
    with reverts("LedgerCategoryCapExceeded", resident=a.address, category=2, cap=120, wouldBe=135):
        credit(world, a, COMMUNITY, 1)
    assert world.credit(a) == 240
    earnings = world.ledger.functions.epochEarnings
    assert tuple(earnings(a.address, 0).call()) == (120, False)
    assert tuple(earnings(a.address, later).call()) == (120, False)


# ----------------------------------------------------------------------------------- expiry
def test_resident_state_before_any_credit(world: World) -> None:
    assert state(world, world.residents[5]) == (True, 0, 0, 0, EXPIRY)
    assert state(world, world.outsider) == (False, 0, 0, 0, EXPIRY)
    assert world.credit(world.outsider) == 0


@pytest.mark.parametrize(
    ("idle", "expired", "balance"),
    [
        pytest.param(25, 0, 30 + 20, id="25-epochs-kept"),
        pytest.param(26, 0, 30 + 20, id="26-epochs-kept"),
        pytest.param(27, 30, 20, id="27-epochs-lapsed"),
        pytest.param(60, 30, 20, id="60-epochs-lapsed"),
    ],
)
def test_credit_lapses_after_26_epochs_without_a_credited_record(
    world: World, idle: int, expired: int, balance: int
) -> None:
    a = world.residents[0]
    credit(world, a, VOLUNTEERING, 3)
    world.advance(idle * EPOCH)
    assert world.epoch() == idle
    # Expiry is applied lazily: the stored balance stays until the next record materialises it.
    assert state(world, a) == (True, 1, 30, 0, EXPIRY)
    assert world.credit(a) == (0 if expired else 30)

    receipt = credit(world, a, VOLUNTEERING, 2)
    lapses = [dict(e["args"]) for e in world.events(receipt, "CreditExpired")]
    if expired:
        assert lapses == [{"resident": a.address, "amount": 30, "lastActiveEpoch": 0}]
        (lapse,) = world.events(receipt, "CreditExpired")
        (credited,) = world.events(receipt, "RecordCredited")
        assert lapse["logIndex"] < credited["logIndex"]  # lapse first, then the new points
    else:
        assert lapses == []
    assert world.credit(a) == balance
    assert state(world, a) == (True, 2, balance, idle, idle + EXPIRY)


def test_every_credited_record_restarts_the_expiry_clock(world: World) -> None:
    a = world.residents[0]
    credit(world, a, VOLUNTEERING, 1)
    world.advance(20 * EPOCH)
    credit(world, a, VOLUNTEERING, 1)
    assert state(world, a) == (True, 2, 20, 20, 46)
    world.advance(26 * EPOCH)
    assert (world.epoch(), world.credit(a)) == (46, 20)
    world.advance(EPOCH)
    assert (world.epoch(), world.credit(a)) == (47, 0)


def test_a_violation_does_not_keep_credit_alive(world: World) -> None:
    a = world.residents[0]
    credit(world, a, VOLUNTEERING, 5)
    world.advance(20 * EPOCH)
    relay_violation(world, a, 1)
    assert state(world, a) == (True, 1, 30, 0, EXPIRY)  # last activity is still epoch 0
    world.advance(7 * EPOCH)
    assert world.credit(a) == 0
    receipt, _ = relay_violation(world, a, 1)
    (lapse,) = world.events(receipt, "CreditExpired")
    assert dict(lapse["args"]) == {"resident": a.address, "amount": 30, "lastActiveEpoch": 0}
    (recorded,) = world.events(receipt, "ViolationRecorded")
    assert (recorded["args"]["points"], recorded["args"]["deducted"]) == (20, 0)
    assert state(world, a) == (True, 1, 0, 0, EXPIRY)
