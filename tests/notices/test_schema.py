"""The notices section's schema: the default file validates; unfair or unknown rules are refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from credit.errors import RuleError
from credit.notices import CONDITIONS, NoticeRuleError, evaluate, parse_notices
from credit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset, parse_ruleset
from tests.notices.builder import Ledger, default_rule, start, with_rules


def _rule(ruleset: RuleSet, rule_id: str = "repeated-violations") -> dict[str, Any]:
    return copy.deepcopy(default_rule(ruleset, rule_id))


def _reject(ruleset: RuleSet, rule: dict[str, Any]) -> NoticeRuleError:
    with pytest.raises(RuleError) as exc:
        parse_notices(with_rules(ruleset, [rule]))
    assert isinstance(exc.value, NoticeRuleError)
    return exc.value


def test_default_rules_file_validates() -> None:
    ruleset = load_ruleset(DEFAULT_RULESET)
    section = parse_notices(ruleset)
    assert {r.condition for r in section.rules} == set(CONDITIONS)
    assert all(r.appeal is not None for r in section.rules if r.kind == "warning")
    nudge = next(r for r in section.rules if r.condition == "participation_below_median")
    assert (nudge.kind, nudge.severity) == ("reminder", "info")
    assert nudge.typed_params().model_dump() == {
        "window_epochs": 4,
        "threshold_percent": 25,
        "min_residents": 5,
    }


def _param(rule: dict[str, Any], term: str) -> str:
    rule["params"][term] = 30
    return f"params.{term}"


def _condition(rule: dict[str, Any], term: str) -> str:
    rule["condition"] = f"{term}_over"
    return "condition"


def _category(rule: dict[str, Any], term: str) -> str:
    rule["params"]["categories"] = ["littering", term]
    return "params.categories[1]"


def _filter(rule: dict[str, Any], term: str) -> str:
    rule["filter"] = {term: "x"}
    return f"filter.{term}"


def _nested(rule: dict[str, Any], term: str) -> str:
    rule["params"]["where"] = {"only": [{"field": term}]}
    return "params.where.only[0].field"


def _placeholder(rule: dict[str, Any], term: str) -> str:
    rule["message"]["zh"] += f"（{{{term}}}）"
    return "message.zh"


PERSONAL = ["age", "gender", "ethnicity", "home_address", "income", "religion", "dateOfBirth"]
PLACES = [_param, _condition, _category, _filter, _nested, _placeholder]


@pytest.mark.parametrize("place", [pytest.param(p, id=p.__name__[1:]) for p in PLACES])
@pytest.mark.parametrize("term", [pytest.param(t, id=t) for t in PERSONAL])
def test_personal_attribute_is_rejected(ruleset: RuleSet, place: Any, term: str) -> None:
    rule = _rule(ruleset)
    field = place(rule, term)
    err = _reject(ruleset, rule)
    assert err.rule_id == "repeated-violations"
    assert err.field == field
    assert "personal attribute" in str(err) and "repeated-violations" in str(err)
    assert field in str(err)


def test_personal_attribute_beside_the_rules_is_rejected(ruleset: RuleSet) -> None:
    data = ruleset.model_dump(mode="json", by_alias=True)
    data["notices"]["segments"] = {"by_nationality": True}
    with pytest.raises(NoticeRuleError) as exc:
        parse_notices(parse_ruleset(data))
    assert (exc.value.rule_id, exc.value.field) == ("(section)", "segments.by_nationality")


def test_rule_set_with_unfair_rule_cannot_give_notices(ruleset: RuleSet) -> None:
    rule = _rule(ruleset)
    rule["params"]["gender"] = "female"
    unfair = with_rules(ruleset, [rule])
    with pytest.raises(NoticeRuleError, match="gender"):
        evaluate(unfair, 1, Ledger(now=start(3)).facts(unfair))


@pytest.mark.parametrize("condition", ["credit_score_below", "", None, 7, ["repeated_violations"]])
def test_unknown_condition_is_rejected(ruleset: RuleSet, condition: Any) -> None:
    rule = _rule(ruleset)
    rule["condition"] = condition
    err = _reject(ruleset, rule)
    assert (err.rule_id, err.field) == ("repeated-violations", "condition")
    assert "unknown condition" in str(err)


BAD = [
    pytest.param("participation-nudge", "kind", "warning", "kind", id="nudge-as-warning"),
    pytest.param("participation-nudge", "severity", "notice", "severity", id="nudge-severity"),
    pytest.param("expiry-soon", "severity", "warning", "severity", id="reminder-severity"),
    pytest.param("repeated-violations", "kind", "reminder", "kind", id="warning-as-reminder"),
    pytest.param("repeated-violations", "appeal", None, "appeal", id="warning-without-appeal"),
    pytest.param("expiry-soon", "extra", 1, "extra", id="unknown-rule-field"),
    pytest.param("expiry-soon", "id", "Bad Id", "id", id="bad-id"),
]


@pytest.mark.parametrize(("rule_id", "key", "value", "field"), BAD)
def test_inconsistent_rule_is_rejected(
    ruleset: RuleSet, rule_id: str, key: str, value: Any, field: str
) -> None:
    rule = _rule(ruleset, rule_id)
    rule[key] = value
    assert _reject(ruleset, rule).field == field


PARAMS = [
    pytest.param("expiry-soon", {"notice_epochs": 0}, "params.notice_epochs", id="zero-window"),
    pytest.param("expiry-soon", {"notice_epochs": "2"}, "params.notice_epochs", id="string"),
    pytest.param("expiry-soon", {"streak": 3}, "params.streak", id="unknown-param"),
    pytest.param("cap-nearly-reached", {"threshold_percent": 101}, "params.threshold_percent",
                 id="percent-over-100"),
    pytest.param("cap-nearly-reached", {"categories": ["volunteering"]}, "params.categories[0]",
                 id="uncapped-category"),
    pytest.param("repeated-violations", {"categories": ["volunteering"]},
                 "params.categories[0]", id="not-a-violation"),
    pytest.param("repeated-violations", {"categories": ["spitting"]}, "params.categories[0]",
                 id="unknown-category"),
    pytest.param("confirmations-requested", {"kinds": ["mayor"]}, "params.kinds.0",
                 id="unknown-kind"),
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "params", "field"), PARAMS)
def test_bad_parameters_are_rejected(
    ruleset: RuleSet, rule_id: str, params: dict[str, Any], field: str
) -> None:
    rule = _rule(ruleset, rule_id)
    rule["params"].update(params)
    assert _reject(ruleset, rule).field == field


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("You have {points} points and {streak} days", id="unknown"),
        pytest.param("{points!r} points", id="conversion"),
        pytest.param("{points:>9} points", id="format-spec"),
        pytest.param("{points.__class__}", id="attribute"),
        pytest.param("unbalanced {points", id="malformed"),
    ],
)
def test_bad_placeholders_are_rejected(ruleset: RuleSet, template: str) -> None:
    rule = _rule(ruleset, "expiry-soon")
    rule["message"]["en"] = template
    assert _reject(ruleset, rule).field == "message.en"


def test_duplicate_ids_are_rejected(ruleset: RuleSet) -> None:
    rule = _rule(ruleset, "expiry-soon")
    with pytest.raises(NoticeRuleError, match="unique"):
        parse_notices(with_rules(ruleset, [rule, rule]))


def test_notices_are_covered_by_the_content_hash(ruleset: RuleSet) -> None:
    rules = copy.deepcopy(ruleset.notices["rules"])
    rules[0]["params"]["notice_epochs"] = 3
    changed = with_rules(ruleset, rules)
    assert changed.content_hash() != ruleset.content_hash()
    facts = Ledger(now=start(3)).facts(ruleset)  # version 1 is the original rule set
    with pytest.raises(RuleError, match="version 1 on chain"):
        evaluate(changed, 1, facts)
    with pytest.raises(RuleError, match="not published"):
        evaluate(ruleset, 2, facts)
    assert evaluate(ruleset, 1, facts) == []
