"""The auditor reports a published rule version that lets one kind of evaluator alone credit a
category without limit: ``credit rules`` refuses to publish one, the RuleBook does not."""

from __future__ import annotations

from credit.artifacts import Artifact
from credit.audit.run import run_checks
from credit.chain import embedded_web3
from credit.ruleset import parse_ruleset
from tests.audit.helpers import codes, described, replay
from tests.support.world import PEER, build_world
from tests.test_ruleset import rules_2026_1


def test_a_version_three_peers_can_credit_is_reported(
    artifacts: dict[str, Artifact],
) -> None:
    old = parse_ruleset(rules_2026_1(), published=True)
    world = build_world(embedded_web3(), artifacts, old, seed=71)
    a = world.residents[0]
    signed, rid = world.claim(a, 1, 8)
    peers = [(world.residents[i], PEER) for i in (1, 2, 3)]
    (credited,) = world.events(world.relay([signed], world.endorse([rid], peers)), "RecordCredited")
    assert credited["args"]["points"] == 80  # lawful under that version: the rules are the hole

    result = run_checks(replay(world, artifacts), [("city-2026.1.json", old)])
    assert codes(result) == {"rules.one_kind_without_limit"}, described(result)
    (found,) = result.found.kept
    assert found.data == {"version": 1, "category": 1}
    assert "3 peers" in found.message and "cap_per_epoch" in found.message
