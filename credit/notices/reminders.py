"""Reminder conditions: helpful, never punitive. Each is a generator of findings over the facts.

Pending records of a violation category (reports awaiting confirmation) are skipped by both
pending-claim reminders: the resident did not claim them, and the facts do not name their reporter,
who may not confirm their own report, so asking "evaluators" to confirm could ask the reporter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from fractions import Fraction
from statistics import median_high, median_low

from credit.facts import PendingClaim
from credit.notices.findings import Context, Finding
from credit.notices.ledger import evidence_entry
from credit.notices.render import (
    category_title,
    category_unit,
    kinds_text,
    number,
    utc_date,
    utc_time,
)
from credit.notices.schema import (
    AppealDeadline,
    BelowMedian,
    CapNearlyReached,
    ClaimAwaiting,
    ConfirmationRequested,
    CreditExpiring,
)
from credit.ruleset import Category, EvaluatorKind


def credit_expiring(p: CreditExpiring, ctx: Context) -> Iterator[Finding]:
    """Credit lapses within ``notice_epochs`` epochs: from the last credited epoch + expiry."""
    view = ctx.view
    for resident in ctx.people():
        lapse = view.lapse_epoch(resident)
        last = view.last_credit(resident)
        if lapse is None or last is None:
            continue
        left = lapse - view.epoch
        balance = view.balance(resident)
        if not 1 <= left <= p.notice_epochs or balance <= 0:
            continue
        expires_at = view.epoch_start(lapse)
        yield Finding(
            resident,
            (evidence_entry(last.at, last.record_id),),
            {
                "balance": balance,
                "last_active_epoch": last.epoch,
                "lapse_epoch": lapse,
                "epochs_left": left,
                "expires_at": expires_at,
                "notice_epochs": p.notice_epochs,
            },
            {"points": balance, "date": utc_date(expires_at), "epochs_left": left},
            {"lapse_epoch": lapse},
        )


def _claims(ctx: Context) -> Iterator[tuple[PendingClaim, Category]]:
    """Pending claims of known activity (non-violation) categories, in chain order."""
    for pc in ctx.view.pending:
        category = ctx.category(pc.category)
        if category is not None and not category.negative:
            yield pc, category


def claim_awaiting_confirmations(p: ClaimAwaiting, ctx: Context) -> Iterator[Finding]:
    """The resident's own claim waited ``min_wait_seconds``: how far it is, which kinds lack."""
    for pc, category in _claims(ctx):
        waited = ctx.view.now - pc.at.block_time
        if not ctx.wants(pc.resident) or waited < p.min_wait_seconds:
            continue
        conf = category.confirmation
        counting = [(e, EvaluatorKind(k)) for e, k in pc.confirmations]
        counting = [(e, k) for e, k in counting if conf.weight_of(k) > 0]
        present = {k for _, k in counting}
        required = {EvaluatorKind[name.upper()] for name in conf.required_kinds}
        missing = sorted(required - present)
        counts = [k for k in EvaluatorKind if conf.weight_of(k) > 0]
        yield Finding(
            pc.resident,
            (evidence_entry(pc.at, pc.record_id),),
            {
                "confirmations": len(counting),
                "min_confirmations": conf.min_confirmations,
                "weight": sum(conf.weight_of(k) for _, k in counting),
                "threshold": conf.threshold,
                "missing_kinds": [k.name.lower() for k in missing],
                "waited_seconds": waited,
            },
            {
                "category": category_title(category),
                "units": pc.units,
                "unit": category_unit(category),
                "confirmations": len(counting),
                "min_confirmations": conf.min_confirmations,
                "missing": kinds_text(missing, True) if missing else kinds_text(counts, False),
                "date": utc_date(pc.at.block_time),
            },
        )


def confirmation_requested(p: ConfirmationRequested, ctx: Context) -> Iterator[Finding]:
    """Claims the recipient may confirm: not their own, not confirmed yet, a kind they hold.

    PEER needs registration only; the other kinds come from ``roles`` (a PEER entry there is
    ignored: the ledger checks registration). One finding per recipient, oldest claims listed.
    """
    wanted = {EvaluatorKind[k.upper()] for k in p.kinds}
    view = ctx.view
    peers = view.registered if ctx.recipients is None else view.registered & ctx.recipients
    officials = sorted(a for a in ctx.roles if ctx.wants(a))
    asked: dict[str, list[PendingClaim]] = defaultdict(list)
    for pc, category in _claims(ctx):
        conf = category.confirmation
        kinds = {k for k in wanted if conf.weight_of(k) > 0}
        done = {e for e, _ in pc.confirmations} | {pc.resident}
        who = set(peers) if EvaluatorKind.PEER in kinds else set()
        who |= {a for a in officials if (ctx.roles[a] - {EvaluatorKind.PEER}) & kinds}
        for address in sorted(who - done):
            asked[address].append(pc)
    for address in sorted(asked):
        claims = asked[address]
        listed = claims[: p.max_listed]
        yield Finding(
            address,
            tuple(evidence_entry(c.at, c.record_id) for c in listed),
            {"count": len(claims), "listed": len(listed), "max_listed": p.max_listed},
            {"count": len(claims), "date": utc_date(claims[0].at.block_time)},
            {"records": sorted(c.record_id for c in claims)},
        )


def appeal_deadline(p: AppealDeadline, ctx: Context) -> Iterator[Finding]:
    """A RECORDED violation may be appealed until its deadline, at most ``window_seconds`` away."""
    view = ctx.view
    for resident in ctx.people():
        for v in view.appealable(view.violations(resident)):
            left = v.appeal_deadline - view.now
            if left > p.window_seconds:
                continue
            title, _ = ctx.title(v.category)
            yield Finding(
                resident,
                (evidence_entry(v.at, v.record_id),),
                {
                    "deducted": v.deducted,
                    "points": v.points,
                    "appeal_deadline": v.appeal_deadline,
                    "seconds_left": left,
                },
                {
                    "category": title,
                    "points": v.deducted,
                    "date": utc_date(v.appeal_deadline),
                    "time": utc_time(v.appeal_deadline),
                },
                appeal=(v,),
            )


def cap_nearly_reached(p: CapNearlyReached, ctx: Context) -> Iterator[Finding]:
    """This epoch's points in a capped category reached ``threshold_percent`` % of the cap."""
    view = ctx.view
    capped = [
        c
        for c in sorted(view.ruleset.categories, key=lambda c: c.id)
        if not c.negative and c.cap_per_epoch and (not p.categories or c.key in p.categories)
    ]
    resets = view.epoch_start(view.epoch + 1)
    for resident in ctx.people():
        now = [c for c in view.credits(resident) if c.epoch == view.epoch]
        for category in capped:
            records = [c for c in now if c.category == category.id]
            earned, cap = sum(c.points for c in records), category.cap_per_epoch
            if earned * 100 < p.threshold_percent * cap:
                continue
            yield Finding(
                resident,
                tuple(evidence_entry(c.at, c.record_id) for c in records),
                {"earned": earned, "cap": cap, "threshold_percent": p.threshold_percent},
                {
                    "category": category_title(category),
                    "points": earned,
                    "cap": cap,
                    "percent": earned * 100 // cap,
                    "date": utc_date(resets),
                },
                {"epoch": view.epoch, "category": category.id},
            )


def participation_below_median(p: BelowMedian, ctx: Context) -> Iterator[Finding]:
    """A gentle nudge: recent points well below the community's own median (never a warning).

    The window is the last ``window_epochs`` *completed* epochs, so the comparison does not move
    while the current epoch fills; in a city younger than the window nobody is nudged.
    """
    view = ctx.view
    if view.epoch < p.window_epochs:
        return
    first, last = view.epoch - p.window_epochs, view.epoch - 1
    totals = {r: view.points_between(r, first, last) for r in sorted(view.registered)}
    active = sorted(t for t in totals.values() if t > 0)
    if len(active) < p.min_residents:
        return
    median = (Fraction(median_low(active)) + Fraction(median_high(active))) / 2
    for resident, points in totals.items():
        if not ctx.wants(resident) or points * 100 >= p.threshold_percent * median:
            continue
        records = [c for c in view.credits(resident) if first <= c.epoch <= last]
        yield Finding(
            resident,
            tuple(evidence_entry(c.at, c.record_id) for c in records),
            {
                "points": points,
                "median": number(median),
                "active_residents": len(active),
                "first_epoch": first,
                "last_epoch": last,
                "threshold_percent": p.threshold_percent,
            },
            {"points": points, "median": number(median), "epochs": p.window_epochs},
            {"window": [first, last]},
        )
