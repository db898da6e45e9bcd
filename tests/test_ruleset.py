"""The rule-set checker: no uncapped category that evaluators of one kind alone can credit.

Issue 14, finding 4: the default rules up to 2026.1 let three peers credit volunteering with no
cap. ``credit rules check``/``publish`` and ``credit deploy`` now refuse such a rule set, and the
auditor reports one that is on chain anyway (``tests/audit/test_rules.py``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit.audit.rules import CategoryRule
from credit.cli import main
from credit.ruleset import (
    DEFAULT_RULESET,
    EvaluatorKind,
    OneKindQuorumError,
    RuleSet,
    lone_quorums,
    parse_ruleset,
)

DEFAULT = json.loads(DEFAULT_RULESET.read_text(encoding="utf-8"))
HASH_2026_1 = "0x46399b906bbb2fb87ffcc2222904a69a1db9c3bbde89b2df737e8d143cd6bd6b"
REWARD_AT_RISK_2026_2 = {  # 2026.3 says the reward is paid on points earned all the same
    "en": (
        "Your reward for this period ({points} points earned) is at risk. Under the city's rules "
        "a reward needs fewer than {max_violations} confirmed violations in the period and a "
        "credit balance of at least {min_balance} points; you have {count} violation(s) this "
        "period and a balance of {balance} points. The period ends on {date}; if a record is "
        "wrong, you can appeal it."
    ),
    "zh": (
        "您本期的奖励（已获得{points}分）面临风险。按本市规则，获得奖励需本期被确认的违规少于"
        "{max_violations}次，且信用余额不低于{min_balance}分；您本期有{count}次违规，余额为"
        "{balance}分。本期于{date}结束；如记录有误，您可以申诉。"
    ),
}


def _category(data: dict[str, Any], category: int) -> dict[str, Any]:
    return next(c for c in data["categories"] if c["id"] == category)


def rules_2026_1() -> dict[str, Any]:
    """The default rule set as it was up to 2026.1: three peers alone credit volunteering."""
    data = copy.deepcopy(DEFAULT)
    data["label"] = "City default rules 2026.1"
    _category(data, 1)["confirmation"]["required_kinds"] = []
    _category(data, 100)["confirmation"]["required_kinds"] = ["superior"]
    for category in data["categories"]:  # readable rule texts came with 2026.3
        category.pop("description", None)
    # 2026.3 added the booked violation's warning, the arbiters' reminder and the next step of
    # a waiting claim
    added_rules = {"violation-recorded", "appeals-waiting", "claim-rejected"}
    rules = [r for r in data["notices"]["rules"] if r["id"] not in added_rules]
    waiting = next(r for r in rules if r["id"] == "claim-waiting")
    added = {"en": " What to do next: {next_step}.", "zh": "下一步：{next_step}。"}
    for lang, text in added.items():
        waiting["message"][lang] = waiting["message"][lang].replace(text, "")
    risk = next(r for r in rules if r["id"] == "reward-at-risk")
    risk["message"] = REWARD_AT_RISK_2026_2
    data["notices"]["rules"] = rules
    return data


def with_category(**changes: Any) -> dict[str, Any]:
    """The default rule set plus category 7, a copy of volunteering with ``changes``."""
    data = copy.deepcopy(DEFAULT)
    extra = copy.deepcopy(_category(data, 1))
    confirmation = changes.pop("confirmation", {})
    extra.update(id=7, key="neighbourly_help", **changes)
    extra["confirmation"].update(confirmation)
    data["categories"].append(extra)
    return data


def test_the_2026_1_default_rules_are_refused() -> None:
    with pytest.raises(OneKindQuorumError, match=r"category 1 \(volunteering\)") as info:
        parse_ruleset(rules_2026_1())
    assert info.value.categories == (1,)
    message = str(info.value)
    assert "3 peers" in message and "required_kinds" in message and "cap_per_epoch" in message


def test_a_published_version_is_still_read_as_it_is() -> None:
    """The auditor and the gateway read what is on chain; the fixture is 2026.1 byte for byte."""
    old = parse_ruleset(rules_2026_1(), published=True)
    assert "0x" + old.content_hash().hex() == HASH_2026_1


def test_rules_check_refuses_the_2026_1_default_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "city-2026.1.json"
    path.write_text(json.dumps(rules_2026_1()), encoding="utf-8")
    assert main(["rules", "check", str(path)]) == 1
    assert "one kind alone" in capsys.readouterr().out


REFUSED = [
    pytest.param(
        {"confirmation": {"weights": {"peer": 1}, "required_kinds": [], "min_confirmations": 3}},
        "3 peers",
        id="peers-only",
    ),
    pytest.param(
        {"confirmation": {"required_kinds": ["expert"]}}, "2 experts", id="one-required-kind"
    ),
    pytest.param(
        {"confirmation": {"weights": {"superior": 2, "peer": 0}, "required_kinds": []}},
        "2 superiors",
        id="one-kind-counts",
    ),
    pytest.param(
        {
            "confirmation": {
                "weights": {"public": 1},
                "required_kinds": ["public"],
                "threshold": 1,
                "min_confirmations": 4,
            }
        },
        "4 public",
        id="min-confirmations-rule",
    ),
]


@pytest.mark.parametrize(("changes", "alone"), REFUSED)
def test_a_crafted_one_kind_category_is_refused(changes: dict[str, Any], alone: str) -> None:
    with pytest.raises(OneKindQuorumError, match=r"category 7 \(neighbourly_help\)") as info:
        parse_ruleset(with_category(**changes))
    assert info.value.categories == (7,)
    assert f": {alone} reach" in str(info.value) or f" or {alone} reach" in str(info.value)


ACCEPTED = [
    pytest.param({}, id="two-required-kinds"),
    pytest.param(
        {"cap_per_epoch": 40, "confirmation": {"required_kinds": ["superior"]}},
        id="one-kind-with-a-cap",
    ),
    pytest.param(
        {"negative": True, "confirmation": {"required_kinds": ["superior"]}},
        id="violation",
    ),
    pytest.param({"automated": True, "confirmation": {"required_kinds": []}}, id="automated"),
]


@pytest.mark.parametrize("changes", ACCEPTED)
def test_categories_one_kind_cannot_credit_without_limit_are_accepted(
    changes: dict[str, Any],
) -> None:
    assert parse_ruleset(with_category(**changes)).category(7).one_kind_without_limit() is None


def test_every_default_category_needs_two_kinds_or_a_cap_and_an_official(
    ruleset: RuleSet,
) -> None:
    """The city's stricter policy for its own defaults: where one kind alone meets a quorum,
    the category is capped and that kind is an official one (peers are anyone registered)."""
    for c in ruleset.categories:
        conf = c.confirmation
        alone = lone_quorums(
            conf.threshold, conf.min_confirmations, conf.kind_weights(), conf.required_mask()
        )
        for q in alone:
            assert c.cap_per_epoch and q.kind != EvaluatorKind.PEER, (c.key, q)
    assert not lone_quorums(3, 2, ruleset.category(1).confirmation.kind_weights(), 0b0011)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(rules_2026_1(), id="2026.1"),
        *(pytest.param(with_category(**p.values[0]), id=p.id) for p in REFUSED + ACCEPTED),
    ],
)
def test_the_auditor_judges_a_published_category_as_the_checker_does(
    data: dict[str, Any],
) -> None:
    """Both call one function; this holds the on-chain encoding to the document's."""
    rs = parse_ruleset(data, published=True)
    ids, tuples = rs.onchain_categories()
    for cid, rule in zip(ids, tuples, strict=True):
        onchain = CategoryRule(cid, *rule[:9])
        assert bool(onchain.one_kind_without_limit()) == bool(
            rs.category(cid).one_kind_without_limit()
        )


def _quorum_met(weight: int, n: int, kind: int, rule: tuple[int, int, int, int]) -> bool:
    """CreditLedger._quorumMet for ``n`` confirmations of one kind (weight-0 ones count not)."""
    threshold, min_confirmations, _, required = rule
    if weight == 0:
        return False
    return weight * n >= threshold and n >= min_confirmations and required & ~(1 << kind) == 0


@given(
    threshold=st.integers(1, 255),
    min_confirmations=st.integers(1, 255),
    weights=st.lists(st.integers(0, 15), min_size=4, max_size=4),
    required=st.integers(0, 15),
)
def test_lone_quorums_is_the_ledgers_arithmetic(
    threshold: int, min_confirmations: int, weights: list[int], required: int
) -> None:
    """Kind k alone meets the quorum with some n <= 255 evaluators exactly when lone_quorums
    names it, and the least such n is the number it gives."""
    packed = sum(w << (4 * k) for k, w in enumerate(weights))
    rule = (threshold, min_confirmations, packed, required)
    found = {q.kind: q.evaluators for q in lone_quorums(*rule)}
    for kind, weight in enumerate(weights):
        least = next((n for n in range(1, 256) if _quorum_met(weight, n, kind, rule)), None)
        assert found.get(EvaluatorKind(kind)) == least
