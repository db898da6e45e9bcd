"""The warning a resident gets when a violation is booked: the rule's readable text, the rule
version, the evidence on chain, the transaction, the points and the appeal deadline."""

from __future__ import annotations

import pytest

from credit.facts import ViolationStatus
from credit.ruleset import RuleSet
from tests.notices.builder import DAY, HOUR, A, B, Ledger, run, start


def test_a_booked_violation_warns_its_resident_with_the_rule_text(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(10) + DAY)
    v = ledger.violation(A, start(10) + HOUR, deducted=20, deadline=start(10) + 15 * DAY)
    (n,) = run(ruleset, ledger, "violation-recorded")
    littering = ruleset.category("littering")
    assert littering.description is not None
    assert (n.resident, n.kind, n.severity) == (A, "warning", "warning")
    assert n.rule_set_version == 1 and n.data["rule_version"] == 1
    # the rule's title and readable text, in both languages
    assert n.data["title"] == {"en": littering.title.en, "zh": littering.title.zh}
    assert n.data["rule_text"] == {"en": littering.description.en, "zh": littering.description.zh}
    assert "Littering in public space" in n.message["en"] and "乱扔垃圾" in n.message["zh"]
    # the points deducted, the version and the appeal deadline, in words
    assert "20 points were deducted" in n.message["en"] and "扣除20分" in n.message["zh"]
    assert "rule set version 1" in n.message["en"] and "第1版" in n.message["zh"]
    deadline = start(10) + 15 * DAY
    assert n.data["appeal_deadline"] == deadline
    assert n.appeal == {"record_ids": [v.record_id], "how": n.appeal["how"], "deadline": deadline}
    # the evidence: the record and the transaction that booked it
    (evidence,) = n.evidence
    assert evidence["record_id"] == v.record_id == n.data["record_id"]
    assert evidence["tx_hash"] == v.at.tx_hash == n.data["tx_hash"]
    assert (n.data["points"], n.data["deducted"]) == (20, 20)


@pytest.mark.parametrize(
    ("status", "warned"),
    [
        pytest.param("recorded", True, id="recorded"),
        pytest.param("upheld", True, id="upheld-on-appeal"),
        pytest.param("appealed", False, id="under-appeal-waits-for-the-arbiter"),
        pytest.param("overturned", False, id="overturned-is-withdrawn"),
    ],
)
def test_only_a_counted_violation_keeps_warning(
    ruleset: RuleSet, status: str, warned: bool
) -> None:
    ledger = Ledger(now=start(10) + DAY)
    ledger.violation(A, start(10) + HOUR, status=ViolationStatus(status))
    notices = run(ruleset, ledger, "violation-recorded")
    assert len(notices) == warned
    if warned and status == "upheld":  # decided: nothing left to appeal, the decision is shown
        (n,) = notices
        assert n.appeal is not None and n.appeal["record_ids"] == []
        assert len(n.evidence) == 2


def test_one_warning_per_violation_within_the_window(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(10) + DAY)
    ledger.violation(A, start(2) + HOUR)  # 9 epochs back: outside the 8-epoch window
    recent = [ledger.violation(A, start(e) + HOUR) for e in (3, 9)]
    ledger.violation(B, start(10) + HOUR)
    mine = run(ruleset, ledger, "violation-recorded", recipients=[A])
    assert sorted(n.data["record_id"] for n in mine) == sorted(v.record_id for v in recent)
    assert len({n.id for n in mine}) == 2
