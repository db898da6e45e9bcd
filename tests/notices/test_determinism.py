"""Same facts + same rule set => the same notices, byte for byte, in any order of the facts."""

from __future__ import annotations

import json
import re

import pytest

from credit.facts import ViolationStatus
from credit.notices import Notice, canonical_notices_json, evaluate
from credit.ruleset import DEFAULT_RULESET, RuleSet, load_ruleset
from tests.notices.builder import (
    DAY,
    HOUR,
    OFFICIAL,
    PEER,
    SUPERIOR,
    A,
    B,
    C,
    D,
    Ledger,
    addr,
    shuffled,
    start,
)

ROLES = {OFFICIAL: {SUPERIOR}}


def city() -> Ledger:
    """A small city in epoch 30 where every default rule has something to say."""
    crowd = [addr(0x100 + i) for i in range(6)]
    ledger = Ledger(now=start(30) + 2 * DAY, residents=[A, B, C, D, *crowd])
    for i, r in enumerate(crowd):
        ledger.credit(r, 27 + i % 3, 40 + 10 * i)  # the active community of the median window
    ledger.credit(A, 4, 60)  # A: last active in epoch 4, lapses at 31
    ledger.credit(B, 30, 105, category=2)  # B: 105 of the 120 community-service points
    ledger.credit(B, 30, 20, category=3)
    ledger.violation(B, start(30) + 3 * HOUR, deducted=20)
    ledger.violation(B, start(30) + 4 * HOUR, deducted=20)
    ledger.violation(B, start(25), status=ViolationStatus.OVERTURNED)
    ledger.violation(C, start(29), deadline=ledger.now + DAY)
    ledger.violation(C, start(24), status=ViolationStatus.UPHELD, deducted=0)
    ledger.claim(D, start(30), category=2, confirmations=((B, PEER),))
    ledger.claim(C, start(30) + HOUR, category=1)
    ledger.expiry(D, 15, 1, start(28))
    ledger.rejection(C, start(30) + DAY)  # held by the gateway, not on chain
    return ledger


@pytest.fixture(scope="module")
def notices(ruleset: RuleSet) -> list[Notice]:
    return evaluate(ruleset, 1, city().facts(ruleset), roles=ROLES)


def test_every_default_rule_fires_in_the_city(notices: list[Notice]) -> None:
    fired = {n.rule_id for n in notices}
    assert fired == {
        "expiry-soon",
        "claim-waiting",
        "claim-rejected",
        "confirmations-requested",
        "appeal-deadline",
        "cap-nearly-reached",
        "participation-nudge",
        "repeated-violations",
        "reward-at-risk",
        "violation-recorded",
    }


@pytest.mark.parametrize("seed", [pytest.param(s, id=f"seed-{s}") for s in range(5)])
def test_order_of_facts_does_not_matter(ruleset: RuleSet, notices: list[Notice], seed: int) -> None:
    facts = shuffled(city().facts(ruleset), seed)
    roles = {OFFICIAL.upper().replace("0X", "0x"): [SUPERIOR]}  # another spelling of the same
    again = evaluate(ruleset, 1, facts, roles=roles)
    assert canonical_notices_json(again) == canonical_notices_json(notices)


def test_two_engines_give_byte_identical_notices(notices: list[Notice]) -> None:
    other = load_ruleset(DEFAULT_RULESET)  # parsed again from the file, as an auditor would
    facts = city().facts(other)
    first = canonical_notices_json(evaluate(other, 1, facts, roles=ROLES))
    assert first == canonical_notices_json(evaluate(other, 1, facts, roles=ROLES))
    assert first == canonical_notices_json(notices)
    decoded = json.loads(first)
    assert (
        first
        == json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_notices_are_sorted_unique_and_pinned(ruleset: RuleSet, notices: list[Notice]) -> None:
    keys = [(n.resident, n.rule_id, n.id) for n in notices]
    assert keys == sorted(keys) and len({n.id for n in notices}) == len(notices)
    digest = "0x" + ruleset.content_hash().hex()
    facts = city().facts(ruleset)
    for n in notices:
        assert (n.rule_set_version, n.rule_set_hash) == (1, digest)
        assert n.created_at == facts.as_of_time
        assert re.fullmatch(r"0x[0-9a-f]{64}", n.id)
        # only a nudge for someone with no recent record has nothing on chain to point at
        assert n.evidence or (n.rule_id, n.data["points"]) == ("participation-nudge", 0)
        # a rejection is held by the gateway, not on chain: its evidence names no transaction
        onchain = [e for e in n.evidence if n.rule_id != "claim-rejected"]
        assert all(e["tx_hash"].startswith("0x") for e in onchain)
        assert (n.appeal is not None) == (n.kind == "warning" or n.rule_id == "appeal-deadline")


def test_one_residents_notices_do_not_depend_on_the_others(
    ruleset: RuleSet, notices: list[Notice]
) -> None:
    facts = city().facts(ruleset)
    for who in (A, B, C, D, OFFICIAL, addr(0x100)):
        alone = evaluate(ruleset, 1, facts, roles=ROLES, recipients=[who])
        assert alone == [n for n in notices if n.resident == who]


def test_messages_are_rendered_in_both_languages(notices: list[Notice]) -> None:
    for n in notices:
        assert set(n.message) == {"en", "zh"}
        for lang, text in n.message.items():
            assert text and not re.search(r"[{}]", text), (n.rule_id, lang, text)
        assert re.search(r"[\u4e00-\u9fff]", n.message["zh"])
        assert not re.search(r"[\u4e00-\u9fff]", n.message["en"])


def test_the_nudge_is_never_a_warning(notices: list[Notice]) -> None:
    nudges = [n for n in notices if n.rule_id == "participation-nudge"]
    assert nudges and all((n.kind, n.severity) == ("reminder", "info") for n in nudges)
