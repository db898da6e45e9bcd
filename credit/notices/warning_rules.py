"""Warning conditions. Every warning says what it is based on and carries an appeal path.

Only *counted* violations (RECORDED or UPHELD, see :data:`credit.notices.ledger.COUNTED`) can
cause a warning: an overturned violation never does, and one under appeal does not while the
arbiter has not decided.
"""

from __future__ import annotations

from collections.abc import Iterator

from credit.facts import ViolationRecord
from credit.notices.findings import Context, Finding
from credit.notices.ledger import evidence_entry
from credit.notices.render import Localized, utc_date, utc_time
from credit.notices.schema import RepeatedViolations, RewardAtRisk, ViolationRecorded


def _violation_evidence(violations: list[ViolationRecord]) -> list[dict[str, object]]:
    """Each violation's recording, and for an upheld one also the arbiter's decision."""
    out = []
    for v in violations:
        out.append(evidence_entry(v.at, v.record_id))
        if v.resolved_at is not None:
            out.append(evidence_entry(v.resolved_at, v.record_id))
    return out


def repeated_violations(p: RepeatedViolations, ctx: Context) -> Iterator[Finding]:
    """At least ``min_count`` counted violations in the last ``window_epochs`` epochs.

    The window includes the current epoch. "What the next one costs" is the points per unit of
    the category of the most recent counted violation (a deduction never exceeds the balance).
    """
    view = ctx.view
    first = max(0, view.epoch - p.window_epochs + 1)
    wanted = None
    if p.categories:
        wanted = [c.id for c in view.ruleset.categories if c.key in p.categories]
    for resident in ctx.people():
        counted = view.counted_violations(resident, first, wanted)
        if len(counted) < p.min_count:
            continue
        latest = counted[-1]
        title, unit = ctx.title(latest.category)
        category = ctx.category(latest.category)
        next_cost = category.points_per_unit if category is not None else latest.points
        yield Finding(
            resident,
            tuple(_violation_evidence(counted)),
            {
                "count": len(counted),
                "min_count": p.min_count,
                "window_epochs": p.window_epochs,
                "first_epoch": first,
                "next_category": latest.category,
                "next_cost_per_unit": next_cost,
            },
            {
                "count": len(counted),
                "epochs": p.window_epochs,
                "category": title,
                "unit": unit,
                "points": next_cost,
            },
            appeal=tuple(view.appealable(counted)),
        )


def reward_at_risk(p: RewardAtRisk, ctx: Context) -> Iterator[Finding]:
    """Reward eligibility at risk, from ledger facts only.

    Defined as: the resident earned points in the current epoch (a reward for it is coming) and
    has counted violations recorded in the current epoch, and either there are at least
    ``max_violations_in_epoch`` of them or the credit balance after their deductions is below
    ``min_balance``. Both need a violation this epoch, so a newcomer with a small balance is never
    warned. The reward itself is paid on the points earned regardless (violations lower credit,
    never an epoch's reward: docs/architecture.md, "Rewards"); the warning says so.
    """
    view = ctx.view
    epoch_end = view.epoch_start(view.epoch + 1) - 1
    for resident in ctx.people():
        earned = [c for c in view.credits(resident) if c.epoch == view.epoch]
        points = sum(c.points for c in earned)
        if points == 0:
            continue
        violations = view.counted_violations(resident, view.epoch)
        balance = view.balance(resident)
        if not violations or (
            len(violations) < p.max_violations_in_epoch and balance >= p.min_balance
        ):
            continue
        evidence = [evidence_entry(c.at, c.record_id) for c in earned]
        evidence += _violation_evidence(violations)
        yield Finding(
            resident,
            tuple(evidence),
            {
                "earned_points": points,
                "balance": balance,
                "min_balance": p.min_balance,
                "violations_in_epoch": len(violations),
                "max_violations_in_epoch": p.max_violations_in_epoch,
                "epoch": view.epoch,
            },
            {
                "points": points,
                "balance": balance,
                "min_balance": p.min_balance,
                "max_violations": p.max_violations_in_epoch,
                "count": len(violations),
                "date": utc_date(epoch_end),
            },
            {"epoch": view.epoch},
            appeal=tuple(view.appealable(violations)),
        )


def violation_recorded(p: ViolationRecorded, ctx: Context) -> Iterator[Finding]:
    """One warning per counted violation recorded in the last ``window_epochs`` epochs.

    It cites the violated rule as the rule set states it (title and readable text, in both
    languages), the points deducted, the rule version the ledger recorded it under and the appeal
    deadline. An overturned violation is not counted, so its warning is withdrawn; one under
    appeal waits for the arbiter, as every warning does.
    """
    view = ctx.view
    first = max(0, view.epoch - p.window_epochs + 1)
    for resident in ctx.people():
        for v in view.counted_violations(resident, first):
            title, unit = ctx.title(v.category)
            category = ctx.category(v.category)
            text = category.description if category is not None else None
            rule = Localized(text.en, text.zh) if text is not None else title
            yield Finding(
                resident,
                tuple(_violation_evidence([v])),
                {
                    "record_id": v.record_id,
                    "category": v.category,
                    "category_key": category.key if category is not None else None,
                    "title": {"en": title.en, "zh": title.zh},
                    "rule_text": {"en": rule.en, "zh": rule.zh},
                    "units": v.units,
                    "points": v.points,
                    "deducted": v.deducted,
                    "rule_version": v.rule_version,
                    "appeal_deadline": v.appeal_deadline,
                    "status": str(v.status),
                    "tx_hash": v.at.tx_hash,
                    "recorded_at": v.at.block_time,
                },
                {
                    "category": title,
                    "units": v.units,
                    "unit": unit,
                    "points": v.deducted,
                    "version": v.rule_version,
                    "rule": rule,
                    "date": utc_date(v.appeal_deadline),
                    "time": utc_time(v.appeal_deadline),
                },
                appeal=tuple(view.appealable([v])),
            )
