"""Warnings (repeated violations, reward at risk) and the median nudge, at their boundaries."""

from __future__ import annotations

from fractions import Fraction
from statistics import median

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.facts import ViolationStatus
from credit.ruleset import RuleSet
from tests.notices.builder import (
    DAY,
    HOUR,
    A,
    B,
    Ledger,
    addr,
    default_rule,
    run,
    start,
    with_rules,
)

# ---------------------------------------------------------------- repeated confirmed violations
# 2 counted violations within the last 8 epochs (the current one included) give a warning


@pytest.mark.parametrize(
    ("first_epoch", "first_status", "due"),
    [
        pytest.param(3, "recorded", True, id="7-epochs-back"),
        pytest.param(2, "recorded", False, id="8-epochs-back-out-of-window"),
        pytest.param(5, "upheld", True, id="upheld-counts"),
        pytest.param(5, "overturned", False, id="overturned-never-counts"),
        pytest.param(5, "appealed", False, id="under-appeal-does-not-count"),
    ],
)
def test_repeated_violations(
    ruleset: RuleSet, first_epoch: int, first_status: str, due: bool
) -> None:
    ledger = Ledger(now=start(10) + DAY)
    ledger.credit(A, 2, 100)
    first = ledger.violation(A, start(first_epoch) + HOUR, status=ViolationStatus(first_status))
    second = ledger.violation(A, start(10) + HOUR, deadline=start(10) + 15 * DAY)
    ledger.violation(B, start(10) + HOUR)
    notices = run(ruleset, ledger, "repeated-violations")
    assert len(notices) == due
    if not due:
        return
    (n,) = notices
    assert (n.resident, n.kind, n.severity) == (A, "warning", "warning")
    assert n.data["count"] == 2 and n.data["next_cost_per_unit"] == 20
    assert "deduct 20 points per incident" in n.message["en"]
    assert "每次扣除20分" in n.message["zh"]
    # an upheld violation is shown with the arbiter's decision too
    shown = [first.record_id] * (1 + (first_status == "upheld")) + [second.record_id]
    assert [e["record_id"] for e in n.evidence] == shown
    # only what can still be appealed is offered (the first one's window has closed)
    assert n.appeal is not None and n.appeal["record_ids"] == [second.record_id]
    assert n.appeal["deadline"] == second.appeal_deadline and "POST /v1/appeals" in n.appeal["how"]


def test_warning_keeps_its_appeal_path_when_nothing_is_appealable(ruleset: RuleSet) -> None:
    ruleset2 = with_rules(
        ruleset, [default_rule(ruleset, "repeated-violations", min_count=1, categories=[])]
    )
    ledger = Ledger(now=start(4))
    ledger.violation(A, start(3), deadline=start(3) + DAY)  # appeal window closed
    (n,) = run(ruleset2, ledger)
    assert n.appeal == {"record_ids": [], "how": n.appeal["how"], "deadline": None}


# ---------------------------------------------------------------- reward eligibility at risk
# min_balance 20, max 2 counted violations in the current epoch; needs earnings this epoch


@pytest.mark.parametrize(
    ("earned", "deductions", "due"),
    [
        pytest.param(40, [20], False, id="balance-20-one-violation"),
        pytest.param(35, [20], True, id="balance-15-below-20"),
        pytest.param(200, [20, 20], True, id="two-violations"),
        pytest.param(0, [20, 20], False, id="nothing-earned-this-epoch"),
        pytest.param(10, [], False, id="no-violation-newcomer"),
    ],
)
def test_reward_at_risk(ruleset: RuleSet, earned: int, deductions: list[int], due: bool) -> None:
    ledger = Ledger(now=start(6) + 3 * DAY)
    if earned:
        ledger.credit(A, 6, earned)
    else:
        ledger.credit(A, 5, 100)
    ledger.violation(A, start(5) + HOUR, deducted=0, status=ViolationStatus.UPHELD)
    for d in deductions:
        ledger.violation(A, start(6) + 2 * HOUR, deducted=d)
    notices = run(ruleset, ledger, "reward-at-risk")
    assert len(notices) == due
    if due:
        (n,) = notices
        assert n.kind == "warning" and n.data["earned_points"] == earned
        assert n.data["balance"] == earned - sum(deductions)
        assert n.data["violations_in_epoch"] == len(deductions)
        assert n.appeal is not None and len(n.appeal["record_ids"]) == len(deductions)
        assert "2026-02-18" in n.message["en"]  # last day of epoch 6


# ---------------------------------------------------------------- the median nudge
# last 4 completed epochs; < 25 % of the median of residents who earned; at least 5 of them


def _community(points: list[int], now_epoch: int = 6) -> Ledger:
    ledger = Ledger(now=start(now_epoch) + DAY, residents=[addr(i + 1) for i in range(len(points))])
    for i, p in enumerate(points):
        if p:
            ledger.credit(addr(i + 1), now_epoch - 1 - i % 4, p)
    return ledger


@pytest.mark.parametrize(
    ("points", "nudged"),
    [
        pytest.param([7, 10, 20, 30, 40, 50, 60], [1], id="7-below-7.5"),
        pytest.param([8, 10, 20, 30, 40, 50, 60], [], id="8-not-below-7.5"),
        pytest.param([0, 10, 20, 30, 40, 50], [1], id="nothing-earned-exactly-5-active"),
        pytest.param([0, 10, 20, 30, 40], [], id="4-active-too-few"),
        pytest.param([0, 6, 10, 20, 30, 40, 50], [1, 2], id="even-count-median-25"),
    ],
)
def test_median_nudge(ruleset: RuleSet, points: list[int], nudged: list[int]) -> None:
    ledger = _community(points)
    ledger.credit(addr(1), 6, 500)  # the current epoch is not in the window
    notices = run(ruleset, ledger, "participation-nudge")
    assert [n.resident for n in notices] == [addr(i) for i in nudged]
    for n in notices:
        assert (n.kind, n.severity) == ("reminder", "info")
        assert n.appeal is None
        assert n.data["first_epoch"] == 2 and n.data["last_epoch"] == 5


def test_median_nudge_waits_for_a_full_window(ruleset: RuleSet) -> None:
    assert (
        run(ruleset, _community([0, 10, 20, 30, 40, 50], now_epoch=3), "participation-nudge") == []
    )


def test_median_renders_half_points(ruleset: RuleSet) -> None:
    rs = with_rules(ruleset, [default_rule(ruleset, "participation-nudge", threshold_percent=50)])
    n = run(rs, _community([0, 10, 20, 30, 41, 50]))[0]
    assert n.resident == addr(1)
    assert n.data["median"] == 30 and "30 or more" in n.message["en"]
    n = run(rs, _community([0, 10, 20, 30, 41, 50, 60]))[0]
    assert n.data["median"] == 35.5 and "35.5" in n.message["en"] and "35.5" in n.message["zh"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=1, max_size=14), st.integers(1, 100))
def test_median_nudge_matches_its_definition(
    ruleset: RuleSet, points: list[int], percent: int
) -> None:
    rule = default_rule(ruleset, "participation-nudge", threshold_percent=percent)
    rs = with_rules(ruleset, [rule])
    active = [p for p in points if p]
    expected = []
    if len(active) >= 5:
        m = Fraction(median(active))
        expected = [addr(i + 1) for i, p in enumerate(points) if p * 100 < percent * m]
    notices = run(rs, _community(points))
    assert [n.resident for n in notices] == sorted(expected)
    assert all((n.kind, n.severity) == ("reminder", "info") for n in notices)
