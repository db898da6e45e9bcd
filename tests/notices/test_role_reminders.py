"""Reminders for every role: claims the gateway holds count as facts, arbiters hear of appeals."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from credit.facts import HeldClaim, ViolationStatus
from credit.notices import (
    Notice,
    NoticeRuleError,
    canonical_notices_json,
    evaluate,
    parse_notices,
)
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
    Ledger,
    addr,
    default_rule,
    shuffled,
    start,
    with_rules,
)

ARBITER = addr(0xAB)


def held(rid: int, resident: str, received_at: int, category: int = 1, *conf: Any) -> HeldClaim:
    """A claim the gateway holds (two units, occurred an hour before it was received)."""
    return HeldClaim(
        f"0x{rid:064x}", resident, category, 2, received_at - HOUR, received_at, tuple(conf)
    )


def evaluate_with(
    ruleset: RuleSet, ledger: Ledger, claims: tuple[HeldClaim, ...], rule_id: str, **kw: Any
) -> list[Notice]:
    facts = replace(ledger.facts(ruleset), held=claims)
    return [n for n in evaluate(ruleset, 1, facts, **kw) if n.rule_id == rule_id]


# ---------------------------------------------------------------- a claim the gateway holds


@pytest.mark.parametrize(
    ("waited", "due"),
    [pytest.param(DAY - 1, False, id="just-under-a-day"), pytest.param(DAY, True, id="a-day")],
)
def test_a_held_claim_reminds_its_resident_with_what_to_do(
    ruleset: RuleSet, waited: int, due: bool
) -> None:
    ledger = Ledger(now=start(2) + 2 * DAY)
    claim = held(1, A, ledger.now - waited, 1, (OFFICIAL, SUPERIOR))  # volunteering: + a peer
    notices = evaluate_with(ruleset, ledger, (claim,), "claim-waiting")
    assert len(notices) == due
    if not due:
        return
    (n,) = notices
    assert (n.resident, n.rule_set_version) == (A, 1)
    assert n.evidence == (
        {"record_id": claim.record_id, "tx_hash": None, "block_number": None, "log_index": None},
    )
    assert n.data["on_chain"] is False and n.data["missing_kinds"] == ["peer"]
    assert "Still needed: a fellow resident." in n.message["en"]
    assert "send them your claim's share link" in n.message["en"]
    assert "分享链接" in n.message["zh"]


def test_next_step_names_each_missing_kind(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + 2 * DAY)
    claims = (
        held(1, A, start(2), 3),  # civic feedback: the public panel is required
        held(2, B, start(2), 2, (C, PEER)),  # community service: a superior is required
    )
    got = {n.resident: n for n in evaluate_with(ruleset, ledger, claims, "claim-waiting")}
    assert "the public panel has been reminded to review it" in got[A].message["en"]
    assert "已提醒公众评议员审核" in got[A].message["zh"]
    assert "ask the organiser or department that ran the activity" in got[B].message["en"]


def test_a_held_claim_already_on_chain_counts_once(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + 2 * DAY)
    pending = ledger.claim(A, start(2))
    twin = replace(held(1, A, start(2)), record_id=pending.record_id)
    (n,) = evaluate_with(ruleset, ledger, (twin,), "claim-waiting")
    assert n.data["on_chain"] is True and n.evidence[0]["tx_hash"] == pending.at.tx_hash


def test_officials_are_asked_about_held_claims_of_their_kind_only(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + DAY)
    panel, expert = addr(0xE1), addr(0xE2)
    on_chain = ledger.claim(C, start(2) - DAY, category=1)
    claim = held(1, A, start(2), 1)  # volunteering: superior, peer, public and expert count
    feedback = held(2, B, start(2) + HOUR, 3, (panel, PUBLIC))  # the panel already confirmed
    roles = {OFFICIAL: {SUPERIOR}, panel: {PUBLIC}, expert: {"expert"}}
    asked = {
        n.resident: n
        for n in evaluate_with(
            ruleset, ledger, (feedback, claim), "confirmations-requested", roles=roles
        )
    }
    ids = {r: [e["record_id"] for e in n.evidence] for r, n in asked.items()}
    # on-chain claims first, then held ones oldest first; the panel member did theirs already
    assert ids[OFFICIAL] == [on_chain.record_id, claim.record_id, feedback.record_id]
    assert ids[panel] == [on_chain.record_id, claim.record_id]
    assert ids[expert] == [on_chain.record_id, claim.record_id, feedback.record_id]
    # residents are asked as peers about on-chain claims only: held claims are private
    assert ids[A] == [on_chain.record_id] and ids[B] == [on_chain.record_id]
    assert C not in asked  # their own claim
    assert asked[OFFICIAL].data["count"] == 3
    assert "2026-01-14" in asked[OFFICIAL].message["en"]  # the oldest: the on-chain claim


def test_held_claims_keep_the_engine_deterministic(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(2) + 2 * DAY)
    ledger.claim(C, start(2))
    claims = tuple(held(i, [A, B][i % 2], start(2) + i, 1 + i % 3) for i in range(6))
    facts = replace(ledger.facts(ruleset), held=claims)
    roles = {OFFICIAL: {SUPERIOR, PUBLIC}}
    first = canonical_notices_json(evaluate(ruleset, 1, facts, roles=roles))
    for seed in range(3):
        again = replace(shuffled(facts, seed), held=tuple(reversed(claims)))
        assert canonical_notices_json(evaluate(ruleset, 1, again, roles=roles)) == first


# ---------------------------------------------------------------- appeals waiting for arbiters


def _appealed(ledger: Ledger, resident: str, time: int, status: ViolationStatus) -> Any:
    v = ledger.violation(resident, time, status=status)
    if status != ViolationStatus.RECORDED:
        filed = ledger.at(time + 2 * HOUR)
        ledger.violations[-1] = v = replace(v, appealed_at=filed)
    return v


def test_arbiters_hear_of_appeals_waiting_for_a_decision(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(3) + DAY)
    first = _appealed(ledger, A, start(2), ViolationStatus.APPEALED)
    second = _appealed(ledger, B, start(3), ViolationStatus.APPEALED)
    _appealed(ledger, C, start(2), ViolationStatus.OVERTURNED)  # decided
    _appealed(ledger, C, start(2), ViolationStatus.UPHELD)  # decided
    _appealed(ledger, C, start(3), ViolationStatus.RECORDED)  # not appealed
    notices = evaluate_with(ruleset, ledger, (), "appeals-waiting", arbiters=[ARBITER.upper()])
    (n,) = notices
    assert (n.resident, n.kind, n.rule_set_version) == (ARBITER, "reminder", 1)
    assert [e["record_id"] for e in n.evidence] == [first.record_id, second.record_id]
    assert n.evidence[0]["tx_hash"] == first.appealed_at.tx_hash  # the AppealFiled event
    assert n.data == {"count": 2, "listed": 2, "max_listed": 10}
    assert "2 appeal(s) are waiting" in n.message["en"] and "2026-01-15" in n.message["en"]
    assert "有2项申诉正在等待裁决" in n.message["zh"]
    assert n.appeal is None  # a reminder to decide, not a record to contest


def test_appeals_waiting_reaches_arbiters_only_and_never_their_own(ruleset: RuleSet) -> None:
    ledger = Ledger(now=start(3) + DAY)
    ledger.residents.append(ARBITER)
    _appealed(ledger, ARBITER, start(3), ViolationStatus.APPEALED)
    roles = {OFFICIAL: {SUPERIOR}}
    assert evaluate_with(ruleset, ledger, (), "appeals-waiting", roles=roles) == []
    # the only appeal waiting is the arbiter's own: another arbiter decides it
    other = addr(0xAC)
    got = evaluate_with(ruleset, ledger, (), "appeals-waiting", arbiters=[ARBITER, other])
    assert [n.resident for n in got] == [other]
    alone = evaluate_with(
        ruleset, ledger, (), "appeals-waiting", arbiters=[ARBITER, other], recipients=[other]
    )
    assert [n.id for n in alone] == [n.id for n in got]


@pytest.mark.parametrize(
    ("waited", "due"), [pytest.param(DAY - 1, False, id="under"), pytest.param(DAY, True, id="at")]
)
def test_appeals_waiting_min_wait(ruleset: RuleSet, waited: int, due: bool) -> None:
    rule = default_rule(ruleset, "appeals-waiting", min_wait_seconds=DAY)
    rs = with_rules(ruleset, [rule])
    ledger = Ledger(now=start(3) + DAY)
    _appealed(ledger, A, ledger.now - waited - 2 * HOUR, ViolationStatus.APPEALED)
    assert len(evaluate_with(rs, ledger, (), "appeals-waiting", arbiters=[ARBITER])) == due


def test_appeals_waiting_keeps_to_ledger_facts(ruleset: RuleSet) -> None:
    rule = default_rule(ruleset, "appeals-waiting")
    with pytest.raises(NoticeRuleError, match="personal attribute 'age'") as info:
        parse_notices(with_rules(ruleset, [{**rule, "params": {"max_listed": 3, "age_over": 6}}]))
    assert info.value.rule_id == "appeals-waiting"
    with pytest.raises(NoticeRuleError, match=r"unknown placeholder \{points\}"):
        parse_notices(
            with_rules(ruleset, [{**rule, "message": {"en": "{points}", "zh": "{count}"}}])
        )
    with pytest.raises(NoticeRuleError, match="reminder"):
        parse_notices(with_rules(ruleset, [{**rule, "kind": "warning"}]))
