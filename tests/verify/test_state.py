"""The epoch state from chain events alone equals what the ledger itself says at the epoch's end."""

from __future__ import annotations

from dataclasses import replace

import pytest

from credit.chain.events import EventSource
from credit.verify.errors import VerifyError
from credit.verify.merkle import state_root
from credit.verify.replay import replay_epoch
from credit.verify.state import epoch_end, epoch_state
from tests.support.ledger_flows import appeal, credit, relay_violation, resolve
from tests.support.world import EPOCH, World


def _next_epoch(world: World) -> None:
    length, genesis = world.ledger.functions.epochSchedule().call()
    world.advance(genesis + (world.epoch() + 1) * length - world.now() + 60)


def _on_chain(world: World, epoch: int) -> list[tuple[str, int, int]]:
    """(resident, creditOf, epochEarnings) of every registered test resident, by address."""
    rows = []
    for r in world.residents:
        if world.ledger.functions.isResident(r.address).call():
            earned, _paid = world.ledger.functions.epochEarnings(r.address, epoch).call()
            rows.append((r.address.lower(), world.credit(r), int(earned)))
    return sorted(rows, key=lambda row: int(row[0], 16))


def test_state_replayed_from_events_matches_the_ledger(world: World) -> None:
    a, b, c, d, gone = world.residents[:5]
    credit(world, a, units=3)  # 30
    credit(world, b, units=1)  # 10, then a violation deducts all of it
    relay_violation(world, b, units=1)
    credit(world, c, units=2)  # 20, a violation deducts 20, overturned on appeal
    _, rid = relay_violation(world, c, units=1)
    appeal(world, c, rid)
    resolve(world, rid, overturn=True)
    credit(world, d, category=2, units=2)  # community service: 30
    gone.send(world.ledger.functions.deregisterResident(gone.address))
    _next_epoch(world)  # epoch 0 is over; nothing has happened in epoch 1 yet

    source = EventSource(world.system)
    replay = replay_epoch(source, 0)
    state = replay.state
    assert [(r.resident, r.credit, r.earned) for r in state.residents] == _on_chain(world, 0)
    assert state.of(a.address) is not None and state.of(a.address).credit == 30  # type: ignore[union-attr]
    assert state.of(gone.address) is None  # left before the epoch's end
    root = replay.root

    credit(world, a, units=5)  # epoch 1 activity does not change epoch 0's root
    _next_epoch(world)
    assert replay_epoch(source, 0).root == root
    later = replay_epoch(source, 1).state
    assert later.of(a.address).credit == 80 and later.of(a.address).earned == 50  # type: ignore[union-attr]
    assert replay_epoch(source, 1).root != root


def test_credit_lapsed_by_the_epochs_end_counts_as_zero(world: World) -> None:
    a = world.residents[0]
    credit(world, a, units=1)
    expiry = 26  # epochs, in the default rules
    world.advance((expiry + 2) * EPOCH)  # now in epoch 28: epoch 27 is over, credit lapsed in it
    assert world.credit(a) == 0
    state = replay_epoch(EventSource(world.system), expiry + 1).state
    assert state.of(a.address).credit == 0  # type: ignore[union-attr]
    state = replay_epoch(EventSource(world.system), expiry).state
    assert state.of(a.address).credit == 10  # type: ignore[union-attr]


def test_an_epoch_is_replayed_only_once_it_is_over(world: World) -> None:
    with pytest.raises(VerifyError, match="has not passed it yet"):
        replay_epoch(EventSource(world.system), world.epoch())


def test_facts_past_the_epochs_end_are_refused(world: World) -> None:
    credit(world, world.residents[0])
    _next_epoch(world)
    facts = replay_epoch(EventSource(world.system), 0).facts
    late = replace(facts, as_of_time=epoch_end(facts, 0))
    with pytest.raises(VerifyError, match="past the end of epoch 0"):
        epoch_state(late, 0)


def test_the_root_does_not_depend_on_the_order_of_facts(world: World) -> None:
    for r in world.residents[:3]:
        credit(world, r)
    _next_epoch(world)
    replay = replay_epoch(EventSource(world.system), 0)
    shuffled = replace(replay.facts, residents=tuple(reversed(replay.facts.residents)))
    assert state_root(epoch_state(shuffled, 0, replay.versions)) == replay.root
