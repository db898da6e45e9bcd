"""Tampered deployments are caught and named; look-alike events of a decoy are ignored.

Each case deploys a test double of the contracts (contracts/test/) with the usual deployment flow
and lets it do what the real contracts refuse; the auditor reads it through the audited source's
ABI and must name what happened, with the transaction as evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credit.artifacts import Artifact
from credit.chain import embedded_web3
from credit.chain.signing import pack_claim
from credit.ruleset import RuleSet
from tests.audit.helpers import audit, codes, described, replay, variant_world
from tests.support.ledger_flows import ZERO32, credit, publish, role, variant
from tests.support.world import PEER, SUPERIOR, World, build_world


def _tx(receipt: object) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()  # type: ignore[index]


def test_a_mint_outside_the_rules_is_named(
    artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    world = variant_world(embedded_web3(), artifacts, ruleset, ledger="LooseLedger")
    credit(world, world.residents[0])
    world.advance(8 * 86400)
    world.minter.send(world.ledger.functions.mintRewards(0, [world.residents[0].address]))
    backdoor = world.outsider.send(
        world.ledger.functions.backdoorMint(world.outsider.address, 5 * 10**18)
    )
    result = audit(world, artifacts, ruleset)
    assert codes(result) == {"mint.outside_rules", "code.unexpected"}, described(result)
    (mint,) = [d for d in result.found.kept if d.code == "mint.outside_rules"]
    assert mint.evidence[0].tx_hash == _tx(backdoor)
    assert mint.evidence[0].block_number == backdoor["blockNumber"]
    assert mint.data == {"to": world.outsider.address.lower(), "amount": str(5 * 10**18)}
    (code,) = [d for d in result.found.kept if d.code == "code.unexpected"]
    assert code.data["contract"] == "CreditLedger"


@pytest.fixture(scope="module")
def loose_world(artifacts: dict[str, Artifact], ruleset: RuleSet) -> World:
    """A ledger that lets anyone confirm; superior2's SUPERIOR_ROLE is revoked at once."""
    world = variant_world(embedded_web3(), artifacts, ruleset, ledger="NoRoleCheckLedger")
    revoke = world.ledger.functions.revokeRole(role("SUPERIOR_ROLE"), world.superior2.address)
    world.operator.send(revoke)
    return world


@pytest.fixture
def loose_roles(loose_world: World) -> Iterator[World]:
    """``loose_world``, rolled back after each test."""
    tester = loose_world.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    yield loose_world
    tester.revert_to_snapshot(snapshot)
    loose_world.reset_nonces()


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("relayed", id="relayed"),
        pytest.param("packed", id="packed"),
        pytest.param("direct", id="direct"),
    ],
)
def test_a_confirmation_by_a_revoked_evaluator_is_named(
    loose_roles: World, artifacts: dict[str, Artifact], ruleset: RuleSet, path: str
) -> None:
    world = loose_roles
    resident, peer, revoked = world.residents[0], world.residents[1], world.superior2
    if path in ("relayed", "packed"):
        signed, rid = world.claim(resident)
        ends = world.endorse([rid], [(revoked, SUPERIOR), (peer, PEER)])
        if path == "relayed":
            receipt = world.relay([signed], ends)
        else:
            fn = world.ledger.functions.relayClaimPacked(pack_claim(signed, ends))
            receipt = world.operator.send(fn)
    else:
        fn = world.ledger.functions.submitClaim(1, 1, world.now() - 60, ZERO32)
        (event,) = world.events(resident.send(fn), "ClaimSubmitted")
        rid = bytes(event["args"]["recordId"])
        receipt = revoked.send(world.ledger.functions.confirm(rid, SUPERIOR))
        peer.send(world.ledger.functions.confirm(rid, PEER))
    result = audit(world, artifacts, ruleset)
    assert codes(result) == {"quorum.evaluator_lacks_role", "code.unexpected"}, described(result)
    (lacks,) = [d for d in result.found.kept if d.code == "quorum.evaluator_lacks_role"]
    assert lacks.data["evaluator"] == revoked.address.lower()
    assert lacks.data["kind"] == "SUPERIOR"
    assert lacks.data["records"] == ["0x" + rid.hex()]
    confirmed, revoked_at = lacks.evidence
    assert confirmed.tx_hash == _tx(receipt)
    (revocation,) = [c for c in result.roles.changes if not c.granted]
    assert revoked_at == revocation.at and revoked_at.block_number < confirmed.block_number


def test_a_rule_change_before_its_notice_period_is_named(
    artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    world = variant_world(embedded_web3(), artifacts, ruleset, rule_book="HastyRuleBook")
    v2 = variant(ruleset, label="hasty rules", categories={1: {"points_per_unit": 50}})
    published = publish(world, v2)
    credit(world, world.residents[0])
    assert world.credit(world.residents[0]) == 50  # the new rule applied at once
    result = audit(world, artifacts, ruleset)
    assert codes(result) == {
        "rules.notice_period_skipped",
        "rules.applied_early",
        "code.unexpected",
    }, described(result)
    (skipped,) = [d for d in result.found.kept if d.code == "rules.notice_period_skipped"]
    assert skipped.evidence[0].tx_hash == _tx(published)
    assert skipped.data["version"] == 2
    assert skipped.data["lawful_start"] == skipped.data["effective_at"] + 3 * 86400
    (early,) = [d for d in result.found.kept if d.code == "rules.applied_early"]
    assert early.data == {"version": 2, "records": 1}


def test_look_alike_events_of_a_decoy_are_ignored(
    artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    world = build_world(embedded_web3(), artifacts, ruleset, seed=5)
    credit(world, world.residents[0])
    decoy_art = artifacts["DecoyLedger"]
    deployed = world.operator.tx.deploy(decoy_art.abi, decoy_art.bytecode)
    decoy = world.w3.eth.contract(address=deployed["contractAddress"], abi=decoy_art.abi)
    outsider = world.outsider.address
    fake = world.outsider.send(decoy.functions.fakeCredit(b"\x99" * 32, outsider, 10**6))
    result = audit(world, artifacts, ruleset)
    assert result.clean, described(result)
    assert _tx(fake) not in {e.tx_hash for e in result.data.events}
    assert outsider.lower() not in result.books.residents
    assert result.books.credits[world.residents[0].address.lower()] == (10, 10)
    assert len([e for e in result.data.events if e.name == "RecordCredited"]) == 1
    data = replay(world, artifacts)
    assert {e.address for e in data.events} == {data.deployment.ledger, data.deployment.rule_book}
