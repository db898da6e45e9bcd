"""Automated categories: credited only by the VERIFIER_ROLE contract, under rules and caps."""

from __future__ import annotations

from eth_utils import keccak

from credit.chain import role_id
from tests.support.reverts import reverts
from tests.support.world import PEER, SUPERIOR, World

VERIFICATION = 4  # ledger_verification: automated, 20 points, cap 20 per epoch
ROOT = keccak(b"epoch 0 root")


def _as_verifier(world: World) -> None:
    world.operator.send(
        world.ledger.functions.grantRole(role_id("VERIFIER_ROLE"), world.expert.address)
    )


def test_verifier_credits_each_resident_once_per_reference(world: World) -> None:
    _as_verifier(world)
    a, b = world.residents[0], world.residents[1]
    receipt = world.expert.send(
        world.ledger.functions.creditAutomated(VERIFICATION, [a.address, b.address], ROOT)
    )
    events = world.events(receipt, "RecordCredited")
    assert [e["args"]["resident"] for e in events] == [a.address, b.address]
    assert {e["args"]["points"] for e in events} == {20}
    assert events[0]["args"]["recordId"] == keccak(
        ROOT.rjust(32, b"\0") + bytes(12) + bytes.fromhex(a.address[2:])
    )
    assert world.credit(a) == 20 and world.credit(b) == 20


def test_cap_applies_like_any_category(world: World) -> None:
    _as_verifier(world)
    a = world.residents[0]
    world.expert.send(world.ledger.functions.creditAutomated(VERIFICATION, [a.address], ROOT))
    with reverts(
        "LedgerCategoryCapExceeded", resident=a.address, category=VERIFICATION, cap=20, wouldBe=40
    ):
        world.expert.send(
            world.ledger.functions.creditAutomated(VERIFICATION, [a.address], keccak(b"other root"))
        )


def test_claims_cannot_use_an_automated_category(world: World) -> None:
    signed, rid = world.claim(world.residents[0], category=VERIFICATION)
    endorsements = world.endorse([rid], [(world.superior, SUPERIOR), (world.residents[1], PEER)])
    with reverts("LedgerAutomatedCategory", category=VERIFICATION):
        world.relay([signed], endorsements)
    with reverts("LedgerAutomatedCategory", category=VERIFICATION):
        world.residents[0].send(
            world.ledger.functions.submitClaim(VERIFICATION, 1, world.now() - 1, bytes(32))
        )


def test_only_automated_categories_and_registered_residents(world: World) -> None:
    _as_verifier(world)
    with reverts("LedgerNotAutomatedCategory", category=1):
        world.expert.send(
            world.ledger.functions.creditAutomated(1, [world.residents[0].address], ROOT)
        )
    with reverts("LedgerNotRegistered", account=world.outsider.address):
        world.expert.send(
            world.ledger.functions.creditAutomated(VERIFICATION, [world.outsider.address], ROOT)
        )
