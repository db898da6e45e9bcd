"""The resident journey (claim, confirmations, credit, reward) on eth-tester and on a real node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credit.artifacts import Artifact
from credit.chain import embedded_web3, rpc_web3
from credit.ruleset import RuleSet
from tests.support.anvil import anvil
from tests.support.world import EPOCH, PEER, SUPERIOR, World, build_world


@pytest.fixture(scope="module", params=["eth-tester", "anvil"])
def journey_world(
    request: pytest.FixtureRequest, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> Iterator[World]:
    if request.param == "eth-tester":
        yield build_world(embedded_web3(), artifacts, ruleset)
        return
    with anvil() as url:
        yield build_world(rpc_web3(url), artifacts, ruleset)


def test_claim_confirm_credit_reward(journey_world: World) -> None:
    w = journey_world
    alice, bob = w.residents[0], w.residents[1]
    signed, rid = w.claim(alice, category=1, units=3)
    receipt = w.relay([signed], w.endorse([rid], [(w.superior, SUPERIOR), (bob, PEER)]))
    (event,) = w.events(receipt, "RecordCredited")
    assert (event["args"]["recordId"], event["args"]["points"]) == (rid, 30)
    assert w.credit(alice) == 30
    epoch = w.epoch()
    w.advance(EPOCH + 1)
    mint = w.minter.send(w.ledger.functions.mintRewards(epoch, [alice.address]))
    (paid,) = w.events(mint, "RewardMinted")
    assert paid["args"]["amount"] == 30 * 10**17
    assert w.ledger.functions.balanceOf(alice.address).call() == 30 * 10**17
    assert w.ledger.functions.epochEarnings(alice.address, epoch).call() == [30, True]
