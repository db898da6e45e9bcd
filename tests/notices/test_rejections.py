"""The ``claim_rejected`` condition over hand-built facts: window, recipient, words, purity."""

from __future__ import annotations

import pytest

from credit.notices import canonical_notices_json
from credit.ruleset import RuleSet
from tests.notices.builder import DAY, PEER, A, B, Ledger, default_rule, run, start, with_rules

RULE = "claim-rejected"


@pytest.mark.parametrize(
    ("age", "told"),
    [
        pytest.param(0, True, id="just-now"),
        pytest.param(30 * DAY - 1, True, id="last-second-of-the-window"),
        pytest.param(30 * DAY, False, id="window-over"),
        pytest.param(-60, True, id="newer-than-the-index"),  # the index trails the chain
    ],
)
def test_a_rejection_is_told_within_its_window(ruleset: RuleSet, age: int, told: bool) -> None:
    ledger = Ledger(now=start(10))
    r = ledger.rejection(A, ledger.now - age)
    notices = run(ruleset, ledger, RULE)
    assert len(notices) == told
    if told:
        (n,) = notices
        assert (n.resident, n.kind, n.severity) == (A, "reminder", "notice")
        assert n.evidence == (
            {"record_id": r.record_id, "tx_hash": None, "block_number": None, "log_index": None},
        )
        assert n.data["reason"] == "wrong_amount" and n.data["kind"] == "superior"
        assert n.data["note"] == "One hour, not two." and n.data["rejected_at"] == r.at


def test_the_message_says_who_why_and_what_next_in_both_languages(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(10))
    ledger.rejection(B, ledger.now, kind=PEER, reason="wrong_date", note="It was on Sunday!")
    ledger.rejection(A, ledger.now, reason="other", note="")
    by = {n.resident: n for n in run(ruleset, ledger, RULE)}
    en, zh = by[B].message["en"], by[B].message["zh"]
    assert "a fellow resident rejected it because the date is wrong" in en
    assert "Their note: “It was on Sunday”. What to do next" in en
    assert "submit the claim again" in en
    assert "其他居民以“日期不对”为由驳回" in zh and "重新提交" in zh
    assert "Their note: (no note)." in by[A].message["en"]
    assert "（无说明）" in by[A].message["zh"]


def test_only_the_claimant_is_told_and_the_window_is_a_parameter(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(10))
    ledger.rejection(A, ledger.now - 2 * DAY)
    assert {n.resident for n in run(ruleset, ledger, RULE)} == {A}
    assert run(ruleset, ledger, RULE, recipients=[B]) == []
    short = with_rules(ruleset, [default_rule(ruleset, RULE, window_seconds=DAY)])
    assert run(short, ledger, RULE) == []


def test_rejections_never_come_from_the_chain_facts_alone(ruleset: RuleSet) -> None:
    """Without the gateway's rejections the engine gives exactly the chain's notices."""
    ledger = Ledger(now=start(10))
    ledger.credit(A, 9, 30)
    chain_only = canonical_notices_json(run(ruleset, ledger))
    ledger.rejection(A, ledger.now)
    both = run(ruleset, ledger)
    assert canonical_notices_json([n for n in both if n.rule_id != RULE]) == chain_only
