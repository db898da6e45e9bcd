"""A ledger run by the rules audits clean, and the report says what it checked."""

from __future__ import annotations

import json

from credit.artifacts import Artifact
from credit.audit.model import ChainData
from credit.audit.report import build_report
from credit.audit.run import run_checks
from credit.ruleset import DEFAULT_RULESET, RuleSet
from tests.audit.helpers import described
from tests.audit.scenario import Played
from tests.support.world import World


def test_the_played_city_audits_clean(
    city: tuple[World, Played], city_data: ChainData, ruleset: RuleSet
) -> None:
    world, played = city
    result = run_checks(city_data, [(DEFAULT_RULESET, ruleset), ("v2.json", played.v2)])
    assert result.clean, described(result)
    assert result.warnings == []
    q = result.quorum
    assert (q.relayed, q.direct, q.automated, q.unverifiable) == (10, 1, 0, 0)
    assert q.signatures == 10 + 2 * 9  # every claim or report, two endorsements per batch (9)
    assert [f["versions"] for f in result.rule_files] == [[1], [2]]
    for r in world.residents:
        assert result.books.credits[r.address.lower()] == (world.credit(r),) * 2, r.name
    assert world.credit(world.residents[0]) == 0  # lapsed, never materialised
    expired = [e for e in city_data.events if e.name == "CreditExpired"]
    assert [e.args["resident"] for e in expired] == [world.residents[3].address.lower()]


def test_every_role_change_is_listed_with_who_and_when(
    city: tuple[World, Played], city_data: ChainData
) -> None:
    world, _ = city
    result = run_checks(city_data)
    (revoke,) = [c for c in result.roles.changes if not c.granted]
    assert (revoke.contract, revoke.role) == ("CreditLedger", "PUBLIC_PANEL_ROLE")
    assert revoke.account == world.panel2.address.lower()
    assert revoke.by == world.operator.address.lower()
    assert revoke.at.block_time > 0 and revoke.at.tx_hash.startswith("0x")
    granted = {(c.contract, c.role, c.account) for c in result.roles.changes if c.granted}
    assert ("RuleBook", "GOVERNOR_ROLE", world.operator.address.lower()) in granted
    assert ("CreditLedger", "MINTER_ROLE", world.minter.address.lower()) in granted
    assert result.warnings  # no rule-set file: the hashes were checked against no text


def test_rewards_are_recomputed_per_epoch(city_data: ChainData) -> None:
    result = run_checks(city_data)
    epochs = result.rewards.epochs
    assert [e.payments for e in epochs.values()] == [5, 1]
    rate = 10**17
    # r0..r3 10 each, r2 12 more under version 2, r1's 120 of community service, r4's 20
    assert epochs[0].minted == (4 * 10 + 12 + 120 + 20) * rate
    assert (
        result.rewards.minted_total
        == city_data.total_supply
        == sum(e.minted for e in epochs.values())
    )


def test_the_report_is_json_and_self_contained_html(
    city_data: ChainData, ruleset: RuleSet, artifacts: dict[str, Artifact]
) -> None:
    from credit.audit.html import render_html

    result = run_checks(city_data, [(DEFAULT_RULESET, ruleset)])
    report = json.loads(json.dumps(build_report(result, timing={"total_seconds": 1.0})))
    assert report["clean"] is True and report["summary"]["discrepancies"] == 0
    assert report["summary"]["records_credited"] == 9 and report["summary"]["violations"] == 2
    assert len(report["role_changes"]) == len(result.roles.changes)
    assert [v["version"] for v in report["rule_versions"]] == [1, 2]
    page = render_html(report)
    assert page.count("<svg") == 5  # checks, points, records, credit, operator actions
    for absent in ("<script", "http://cdn", "https://", "src="):
        assert absent not in page
    assert "Clean" in page and "PUBLIC_PANEL_ROLE" in page
