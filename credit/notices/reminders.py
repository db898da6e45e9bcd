"""Reminder conditions: helpful, never punitive. Each is a generator of findings over the facts.

Pending records of a violation category (reports awaiting confirmation) are skipped by both
pending-claim reminders: the resident did not claim them, and the facts do not name their reporter,
who may not confirm their own report, so asking "evaluators" to confirm could ask the reporter.

A claim waits either on chain (``facts.pending``, submitted directly) or in the gateway
(``facts.held``: signed, waiting for endorsements before it is relayed). Both count for their
resident and for official evaluators. Held claims are private to the gateway, so peers are not
asked about them: a resident reaches a neighbour with the claim's share link instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from statistics import median_high, median_low
from typing import Any

from credit.facts import ViolationStatus
from credit.notices.findings import Context, Finding
from credit.notices.ledger import evidence_entry, held_entry
from credit.notices.render import (
    category_title,
    category_unit,
    kinds_text,
    next_steps,
    number,
    utc_date,
    utc_time,
)
from credit.notices.schema import (
    AppealDeadline,
    AppealsWaiting,
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


@dataclass(frozen=True)
class _Waiting:
    """A claim waiting for its quorum, on chain or held by the gateway."""

    record_id: str
    resident: str
    category: Category
    units: int
    confirmations: tuple[tuple[str, int], ...]
    since: int  # block time (on chain) or when the gateway received it (held)
    evidence: dict[str, Any]
    on_chain: bool


def _claims(ctx: Context) -> list[_Waiting]:
    """Waiting claims of known activity (non-violation) categories: on chain in chain order,
    then those the gateway holds (oldest first); a held claim already on chain counts once."""
    out: list[_Waiting] = []
    for pc in ctx.view.pending:
        category = ctx.category(pc.category)
        if category is not None and not category.negative:
            entry = evidence_entry(pc.at, pc.record_id)
            out.append(
                _Waiting(
                    pc.record_id,
                    pc.resident,
                    category,
                    pc.units,
                    pc.confirmations,
                    pc.at.block_time,
                    entry,
                    True,
                )
            )
    on_chain = {pc.record_id for pc in ctx.view.pending}
    for hc in ctx.view.held:
        category = ctx.category(hc.category)
        if hc.record_id in on_chain or category is None or category.negative:
            continue
        out.append(
            _Waiting(
                hc.record_id,
                hc.resident,
                category,
                hc.units,
                hc.confirmations,
                hc.received_at,
                held_entry(hc.record_id),
                False,
            )
        )
    return out


def _next_step(missing: list[EvaluatorKind], absent: list[EvaluatorKind]) -> list[EvaluatorKind]:
    """The kinds whose step to suggest: every missing required kind, else one absent kind that
    counts (a neighbour first: the resident can ask one today), else none."""
    if missing:
        return missing
    for kind in (EvaluatorKind.PEER, *absent):
        if kind in absent:
            return [kind]
    return []


def claim_awaiting_confirmations(p: ClaimAwaiting, ctx: Context) -> Iterator[Finding]:
    """The resident's own claim waited ``min_wait_seconds``: how far it is, which kinds lack,
    and what the resident can do next."""
    for w in _claims(ctx):
        waited = ctx.view.now - w.since
        if not ctx.wants(w.resident) or waited < p.min_wait_seconds:
            continue
        conf = w.category.confirmation
        counting = [(e, EvaluatorKind(k)) for e, k in w.confirmations]
        counting = [(e, k) for e, k in counting if conf.weight_of(k) > 0]
        present = {k for _, k in counting}
        required = {EvaluatorKind[name.upper()] for name in conf.required_kinds}
        missing = sorted(required - present)
        counts = [k for k in EvaluatorKind if conf.weight_of(k) > 0]
        absent = [k for k in counts if k not in present]
        yield Finding(
            w.resident,
            (w.evidence,),
            {
                "confirmations": len(counting),
                "min_confirmations": conf.min_confirmations,
                "weight": sum(conf.weight_of(k) for _, k in counting),
                "threshold": conf.threshold,
                "missing_kinds": [k.name.lower() for k in missing],
                "waited_seconds": waited,
                "on_chain": w.on_chain,
            },
            {
                "category": category_title(w.category),
                "units": w.units,
                "unit": category_unit(w.category),
                "confirmations": len(counting),
                "min_confirmations": conf.min_confirmations,
                "missing": kinds_text(missing, True) if missing else kinds_text(counts, False),
                "next_step": next_steps(_next_step(missing, absent)),
                "date": utc_date(w.since),
            },
        )


def confirmation_requested(p: ConfirmationRequested, ctx: Context) -> Iterator[Finding]:
    """Claims the recipient may confirm: not their own, not confirmed yet, a kind they hold.

    PEER needs registration only; the other kinds come from ``roles`` (a PEER entry there is
    ignored: the ledger checks registration). Peers are asked about claims on chain only (held
    claims are private to the gateway). One finding per recipient, oldest claims listed.
    """
    wanted = {EvaluatorKind[k.upper()] for k in p.kinds}
    view = ctx.view
    peers = view.registered if ctx.recipients is None else view.registered & ctx.recipients
    officials = sorted(a for a in ctx.roles if ctx.wants(a))
    asked: dict[str, list[_Waiting]] = defaultdict(list)
    for w in _claims(ctx):
        conf = w.category.confirmation
        kinds = {k for k in wanted if conf.weight_of(k) > 0}
        done = {e for e, _ in w.confirmations} | {w.resident}
        who = set(peers) if EvaluatorKind.PEER in kinds and w.on_chain else set()
        who |= {a for a in officials if (ctx.roles[a] - {EvaluatorKind.PEER}) & kinds}
        for address in sorted(who - done):
            asked[address].append(w)
    for address in sorted(asked):
        claims = asked[address]
        listed = claims[: p.max_listed]
        yield Finding(
            address,
            tuple(c.evidence for c in listed),
            {"count": len(claims), "listed": len(listed), "max_listed": p.max_listed},
            {"count": len(claims), "date": utc_date(min(c.since for c in claims))},
            {"records": sorted(c.record_id for c in claims)},
        )


def appeals_waiting(p: AppealsWaiting, ctx: Context) -> Iterator[Finding]:
    """Appeals filed and not decided (APPEALED), for each arbiter, oldest first; an arbiter is
    never asked to decide their own appeal."""
    view = ctx.view
    waiting = [v for v in view.facts.violations if v.status == ViolationStatus.APPEALED]
    filed = sorted(
        ((v.appealed_at or v.at, v) for v in waiting),
        key=lambda av: (av[0].block_number, av[0].log_index, av[0].tx_hash),
    )
    for arbiter in sorted(a for a in ctx.arbiters if ctx.wants(a)):
        mine = [(at, v) for at, v in filed if v.resident != arbiter]
        if not mine or view.now - mine[0][0].block_time < p.min_wait_seconds:
            continue
        listed = mine[: p.max_listed]
        yield Finding(
            arbiter,
            tuple(evidence_entry(at, v.record_id) for at, v in listed),
            {"count": len(mine), "listed": len(listed), "max_listed": p.max_listed},
            {"count": len(mine), "date": utc_date(mine[0][0].block_time)},
            {"records": sorted(v.record_id for _, v in mine)},
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
