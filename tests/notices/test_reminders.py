"""Reminder conditions, each at its boundary, over hand-built facts."""

from __future__ import annotations

import pytest

from credit.facts import ViolationStatus
from credit.ruleset import RuleSet
from tests.notices.builder import (
    DAY,
    HOUR,
    OFFICIAL,
    PEER,
    PUBLIC,
    SUPERIOR,
    A,
    B,
    C,
    D,
    Ledger,
    addr,
    default_rule,
    run,
    start,
    with_rules,
)

# ---------------------------------------------------------------- credit about to expire
# expiry_epochs = 26: a credit in epoch 0 lapses at the start of epoch 27; notice 2 epochs ahead.


@pytest.mark.parametrize(
    ("now_epoch", "left"),
    [
        pytest.param(24, None, id="3-epochs-left-quiet"),
        pytest.param(25, 2, id="2-epochs-left"),
        pytest.param(26, 1, id="last-epoch"),
        pytest.param(27, None, id="already-lapsed"),
    ],
)
def test_credit_expiring_window(ruleset: RuleSet, now_epoch: int, left: int | None) -> None:
    ledger = Ledger(now=start(now_epoch) + DAY)
    ledger.credit(A, 0, 30)
    last = ledger.credit(A, 0, 20)
    notices = run(ruleset, ledger, "expiry-soon")
    if left is None:
        assert notices == []
        return
    (n,) = notices
    assert (n.resident, n.kind, n.severity) == (A, "reminder", "notice")
    assert n.data["epochs_left"] == left and n.data["balance"] == 50
    assert n.data["expires_at"] == start(27)
    assert "50" in n.message["en"] and "2026-07-09" in n.message["en"]
    assert "2026-07-09" in n.message["zh"]
    assert [e["record_id"] for e in n.evidence] == [last.record_id]


def test_credit_expiring_counts_deductions_and_skips_empty_balance(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(25))
    ledger.credit(A, 0, 30)
    ledger.violation(A, start(0) + 2 * HOUR, deducted=20)
    ledger.credit(B, 0, 20)
    ledger.violation(B, start(0) + 2 * HOUR, deducted=20)
    (n,) = run(ruleset, ledger, "expiry-soon")
    assert (n.resident, n.data["balance"]) == (A, 10)


# ---------------------------------------------------------------- claim waiting for confirmations


@pytest.mark.parametrize(
    ("waited", "due"),
    [pytest.param(DAY - 1, False, id="just-under-a-day"), pytest.param(DAY, True, id="a-day")],
)
def test_claim_waiting_after_min_wait(ruleset: RuleSet, waited: int, due: bool) -> None:
    ledger = Ledger(now=start(2) + 2 * DAY)
    claim = ledger.claim(A, ledger.now - waited, category=2, confirmations=((B, PEER),))
    notices = run(ruleset, ledger, "claim-waiting")
    assert len(notices) == due
    if due:
        (n,) = notices
        assert n.resident == A and n.evidence[0]["record_id"] == claim.record_id
        assert n.data["confirmations"] == 1 and n.data["min_confirmations"] == 2
        assert n.data["missing_kinds"] == ["superior"] and n.data["weight"] == 1
        assert "Still needed: a superior (organiser or department)." in n.message["en"]
        assert "仍需：上级（组织方或部门）。" in n.message["zh"]


def test_claim_waiting_without_required_kind_lists_any_counting_kind(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + 2 * DAY)
    ledger.claim(A, start(2), category=4, confirmations=((B, PEER),))  # peers weigh 0 here
    ledger.claim(B, start(2), category=100)  # a violation report: not B's claim
    (n,) = run(ruleset, ledger, "claim-waiting")
    assert n.resident == A and n.data["confirmations"] == 0 and n.data["missing_kinds"] == []
    assert "a superior (organiser or department) or an expert" in n.message["en"]
    assert "上级（组织方或部门）或专家" in n.message["zh"]


# ---------------------------------------------------------------- confirmations you were asked for


def test_confirmations_requested_follow_eligibility(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + DAY)
    outsider, panel = addr(0xE0), addr(0xE1)
    claim = ledger.claim(A, start(2), category=1, confirmations=((B, PEER),))
    audit = ledger.claim(D, start(2) + HOUR, category=4)  # superior/expert only
    roles = {OFFICIAL: {SUPERIOR}, outsider: {"peer"}, panel: {PUBLIC}}
    asked = {n.resident: n for n in run(ruleset, ledger, "confirmations-requested", roles=roles)}
    # A is the claimant, B already confirmed; the outsider is no resident; the panel member's
    # kind counts for volunteering but not for ledger verification
    assert sorted(asked) == sorted([C, D, OFFICIAL, panel])
    assert [e["record_id"] for e in asked[C].evidence] == [claim.record_id]
    assert [e["record_id"] for e in asked[OFFICIAL].evidence] == [claim.record_id, audit.record_id]
    assert asked[OFFICIAL].data["count"] == 2 and asked[panel].data["count"] == 1
    assert "2 claim(s)" in asked[OFFICIAL].message["en"]


def test_confirmations_requested_lists_the_oldest(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + DAY)
    claims = [ledger.claim(A, start(2) + i, category=1) for i in range(12)]
    (n,) = run(ruleset, ledger, "confirmations-requested", recipients=[B])
    assert n.data == {"count": 12, "listed": 10, "max_listed": 10}
    assert [e["record_id"] for e in n.evidence] == [c.record_id for c in claims[:10]]


def test_confirmations_requested_by_kind(ruleset: RuleSet) -> None:
    rule = default_rule(ruleset, "confirmations-requested", kinds=["superior"])
    rs = with_rules(ruleset, [rule])
    ledger = Ledger(now=start(2) + DAY)
    ledger.claim(A, start(2), category=1)
    notices = run(rs, ledger, roles={OFFICIAL: [SUPERIOR]})
    assert [n.resident for n in notices] == [OFFICIAL]


# ---------------------------------------------------------------- appeal deadline approaching
# window: 3 days; the ledger accepts an appeal while now <= deadline


@pytest.mark.parametrize(
    ("left", "status", "due"),
    [
        pytest.param(3 * DAY + 1, "recorded", False, id="3-days-and-1s"),
        pytest.param(3 * DAY, "recorded", True, id="3-days"),
        pytest.param(0, "recorded", True, id="last-second"),
        pytest.param(-1, "recorded", False, id="closed"),
        pytest.param(DAY, "appealed", False, id="already-appealed"),
        pytest.param(DAY, "upheld", False, id="upheld"),
    ],
)
def test_appeal_deadline_window(ruleset: RuleSet, left: int, status: str, due: bool) -> None:
    ledger = Ledger(now=start(5) + 12 * HOUR)
    deadline = ledger.now + left
    v = ledger.violation(A, start(4), status=ViolationStatus(status), deadline=deadline)
    notices = run(ruleset, ledger, "appeal-deadline")
    assert len(notices) == due
    if due:
        (n,) = notices
        assert n.appeal is not None and n.appeal["record_ids"] == [v.record_id]
        assert n.appeal["deadline"] == deadline and "fileAppeal" in n.appeal["how"]
        assert n.data["seconds_left"] == left
        assert "Littering in public space" in n.message["en"] and "20 points" in n.message["en"]


# ---------------------------------------------------------------- period cap nearly reached
# community_service: 15 points a session, cap 120 a period


@pytest.mark.parametrize(
    ("percent", "due"),
    [pytest.param(75, True, id="75pct-of-120-is-90"), pytest.param(76, False, id="76pct")],
)
def test_cap_threshold(ruleset: RuleSet, percent: int, due: bool) -> None:
    rs = with_rules(
        ruleset, [default_rule(ruleset, "cap-nearly-reached", threshold_percent=percent)]
    )
    ledger = Ledger(now=start(3) + DAY)
    ledger.credit(A, 2, 60, category=2)  # last period: does not count
    ledger.credit(A, 3, 60, category=2)
    ledger.credit(A, 3, 30, category=2)
    ledger.credit(A, 3, 80, category=1)  # uncapped
    notices = run(rs, ledger)
    assert len(notices) == due
    if due:
        (n,) = notices
        assert n.data == {"earned": 90, "cap": 120, "threshold_percent": percent}
        assert "90 of the 120" in n.message["en"] and "(75%)" in n.message["en"]
        assert "2026-01-29" in n.message["en"] and len(n.evidence) == 2


def test_cap_default_covers_every_capped_category(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(3) + DAY)
    ledger.credit(A, 3, 25, category=3)  # civic feedback: 25 of 30
    ledger.credit(B, 3, 20, category=3)  # 20 of 30: under 80%
    ledger.credit(C, 3, 20, category=4)  # ledger verification: 20 of 20
    got = sorted((n.resident, n.data["cap"]) for n in run(ruleset, ledger, "cap-nearly-reached"))
    assert got == sorted([(A, 30), (C, 20)])
