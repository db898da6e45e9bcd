"""A city with a bit of everything the auditor checks, played on a real EVM.

Relayed and direct records, a capped category filled to its cap, violations appealed (one
overturned, one upheld), a role revoked, a second rule version published after its notice period,
rewards minted for two epochs, and credit lapsing (once materialised by a later record, once not).
"""

from __future__ import annotations

from dataclasses import dataclass

from credit.ruleset import RuleSet
from tests.audit.caps import relay_batch
from tests.support.ledger_flows import (
    ZERO32,
    appeal,
    credit,
    publish,
    relay_violation,
    resolve,
    resolve_by_sig,
    role,
    variant,
)
from tests.support.world import EPOCH, NOTICE, PEER, SUPERIOR, World

COMMUNITY = 2
EXPIRY = 26


@dataclass(frozen=True)
class Played:
    """What the scenario did, for the assertions."""

    v2: RuleSet
    direct_record: str
    overturned: str
    upheld: str


def play(world: World, ruleset: RuleSet) -> Played:
    r = world.residents
    for resident in r[:4]:
        credit(world, resident)
    relay_batch(world, r[1], COMMUNITY, [4, 4])  # 120 points: exactly the cap
    fn = world.ledger.functions.submitClaim(1, 2, world.now() - 60, ZERO32)
    (submitted,) = world.events(r[4].send(fn), "ClaimSubmitted")
    direct = bytes(submitted["args"]["recordId"])
    world.superior.send(world.ledger.functions.confirm(direct, SUPERIOR))
    r[5].send(world.ledger.functions.confirm(direct, PEER))
    _, overturned = relay_violation(world, r[0])
    appeal(world, r[0], overturned)
    resolve(world, overturned, True)
    _, upheld = relay_violation(world, r[1])
    appeal(world, r[1], upheld)
    resolve_by_sig(world, upheld, False)  # a signed decision, relayed by another key
    world.operator.send(
        world.ledger.functions.revokeRole(role("PUBLIC_PANEL_ROLE"), world.panel2.address)
    )
    v2 = variant(ruleset, label="city rules v2", categories={1: {"points_per_unit": 12}})
    publish(world, v2, uri="ipfs://rules-v2")
    world.advance(NOTICE + 1)
    credit(world, r[2])  # 12 points under version 2
    world.advance(EPOCH)
    mint = world.ledger.functions.mintRewards(0, [a.address for a in r[:5]])
    world.minter.send(mint, gas=3_000_000)
    world.advance((EXPIRY + 2) * EPOCH)
    credit(world, r[3])  # r[3]'s old balance lapsed: CreditExpired, then the new record
    epoch = world.epoch()
    world.advance(EPOCH)
    world.minter.send(world.ledger.functions.mintRewards(epoch, [r[3].address]), gas=3_000_000)
    return Played(v2, "0x" + direct.hex(), "0x" + overturned.hex(), "0x" + upheld.hex())
