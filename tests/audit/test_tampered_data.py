"""Every check refutes a history the contracts would never produce.

The contracts refuse these histories, so the chain data of the played city is altered after it
was read (a record's points, a dropped expiry, a second payment...) and the pure checks must name
each alteration. Together with tests/audit/test_tamper.py (real tampered contracts), this covers
every check of the auditor. An alteration may have further, legitimate effects (a wrong version
changes the points that follow); each case names what must at least be found.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import pytest

from credit.audit.model import ChainData, ChainEvent, RelayedBatch
from credit.audit.run import run_checks
from credit.ruleset import DEFAULT_RULESET, RuleSet
from tests.audit.helpers import codes, described
from tests.support.ledger_flows import variant


def _events(data: ChainData, name: str) -> list[int]:
    return [i for i, e in enumerate(data.events) if e.name == name]


def _edit(data: ChainData, name: str, nth: int = 0, **args: object) -> ChainEvent:
    i = _events(data, name)[nth]
    e = data.events[i]
    data.events[i] = replace(e, args={**e.args, **args})
    return data.events[i]


def points(d: ChainData) -> None:
    _edit(d, "RecordCredited", points=11)


def version(d: ChainData) -> None:
    _edit(d, "RecordCredited", ruleVersion=2)


def drop_expiry(d: ChainData) -> None:
    del d.events[_events(d, "CreditExpired")[0]]


def pay_twice(d: ChainData) -> None:
    e = d.events[_events(d, "RewardMinted")[0]]
    d.events.append(replace(e, log_index=e.log_index + 1000))


def over_cap(d: ChainData) -> None:
    e = next(x for x in d.events if x.name == "RecordCredited" and x.args["category"] == 2)
    twin = replace(e, log_index=e.log_index + 1, args={**e.args, "recordId": "0x" + "77" * 32})
    d.events.insert(d.events.index(e) + 1, twin)


def self_confirm(d: ChainData) -> None:
    credited = next(
        x for x in d.events if x.name == "RecordCredited" and x.tx_hash not in d.batches
    )
    i = d.events.index(credited)
    forged = replace(
        d.events[i - 1],
        name="ConfirmationRecorded",
        log_index=credited.log_index - 1,
        args={
            "recordId": credited.args["recordId"],
            "evaluator": credited.args["resident"],
            "kind": 1,
        },
    )
    d.events.insert(i, forged)


def unfiled_appeal(d: ChainData) -> None:
    del d.events[_events(d, "AppealFiled")[0]]


def terms(d: ChainData) -> None:
    _edit(d, "RewardTermsFixed", rewardPerPoint=10**18)


def supply(d: ChainData) -> None:
    d.total_supply += 1


def credit_of(d: ChainData) -> None:
    resident = next(iter(d.credit_of))
    d.credit_of[resident] += 7


def deduction(d: ChainData) -> None:
    _edit(d, "ViolationRecorded", deducted=0)


def restored(d: ChainData) -> None:
    _edit(d, "AppealResolved", restored=1)


def self_decided(d: ChainData) -> None:
    rid = _edit(d, "AppealResolved").args["recordId"]
    filed = next(e for e in d.events if e.name == "AppealFiled" and e.args["recordId"] == rid)
    _edit(d, "AppealResolved", arbiter=filed.args["resident"])


def forged_endorsement(d: ChainData) -> None:
    tx, batch = next(iter(d.batches.items()))
    first = batch.endorsements[0]
    forged = replace(first, kind=3)  # signed as SUPERIOR, presented as EXPERT: another signer
    d.batches[tx] = RelayedBatch(
        tx, batch.function, batch.records, (forged, *batch.endorsements[1:])
    )


def altered_claim(d: ChainData) -> None:
    tx, batch = next(iter(d.batches.items()))
    changed = replace(batch.records[0], units=batch.records[0].units + 1)
    d.batches[tx] = RelayedBatch(
        tx, batch.function, (changed, *batch.records[1:]), batch.endorsements
    )


def notice_period(d: ChainData) -> None:
    d.deployment = replace(d.deployment, notice_period=30 * 86400)


CASES: list[tuple[Callable[[ChainData], None], set[str]]] = [
    (points, {"record.points_mismatch"}),
    (version, {"record.version_not_in_force"}),
    (drop_expiry, {"expiry.not_materialised"}),
    (pay_twice, {"reward.paid_twice", "mint.missing_transfer"}),
    (over_cap, {"cap.exceeded", "quorum.unverifiable"}),
    (self_confirm, {"quorum.self_confirmation"}),
    (unfiled_appeal, {"appeal.resolved_without_filing"}),
    (terms, {"reward.terms_mismatch", "reward.amount_mismatch"}),
    (supply, {"supply.mismatch"}),
    (credit_of, {"credit.mismatch"}),
    (deduction, {"violation.deducted_mismatch"}),
    (restored, {"appeal.restored_mismatch"}),
    (self_decided, {"appeal.decided_by_appellant"}),
    (forged_endorsement, {"quorum.evaluator_lacks_role"}),
    (altered_claim, {"record.bad_signature", "relay.record_not_booked", "quorum.unverifiable"}),
    (
        notice_period,
        {"deployment.notice_period_mismatch", "rules.notice_period_skipped", "rules.applied_early"},
    ),
]


@pytest.mark.parametrize(
    ("alter", "expected"), [pytest.param(a, c, id=a.__name__) for a, c in CASES]
)
def test_an_altered_history_is_named(
    city_data: ChainData, alter: Callable[[ChainData], None], expected: set[str]
) -> None:
    data = copy.deepcopy(city_data)
    alter(data)
    result = run_checks(data)
    assert codes(result) >= expected, described(result)  # an alteration may have more effects
    unlocated = {"supply.mismatch", "deployment.notice_period_mismatch", "credit.mismatch"}
    assert all(d.evidence for d in result.found.kept if d.code not in unlocated)


def test_a_rule_file_that_is_not_published_is_named(city_data: ChainData, ruleset: RuleSet) -> None:
    other = variant(ruleset, label="never published")
    result = run_checks(city_data, [(DEFAULT_RULESET, ruleset), ("other.json", other)])
    assert codes(result) == {"rules.file_unpublished"}, described(result)
    assert result.found.kept[0].data["hash"] == "0x" + other.content_hash().hex()
