"""Relaying several claims of one resident in one batch (consecutive nonces)."""

from __future__ import annotations

from typing import Any

from tests.support.world import PUBLIC, SUPERIOR, Actor, World


def relay_batch(world: World, resident: Actor, category: int, units: list[int]) -> Any:
    """One relayed batch of claims by ``resident``, confirmed by a superior and a panel member."""
    first = world.ledger.functions.claimNonce(resident.address).call()
    pairs = [world.claim(resident, category, u, nonce=first + i) for i, u in enumerate(units)]
    ids = [rid for _, rid in pairs]
    endorsements = world.endorse(ids, [(world.superior, SUPERIOR), (world.panel, PUBLIC)])
    return world.relay([signed for signed, _ in pairs], endorsements)
