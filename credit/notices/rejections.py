"""The ``claim_rejected`` condition: an evaluator rejected a claim of the resident.

Rejections are facts the gateway holds (a rejected claim never reaches the chain), signed by the
evaluator; the gateway adds them to the ledger facts it evaluates (:attr:`LedgerFacts.rejections`).
The notice says which activity, who rejected it (by kind only: never the evaluator's address),
why, the evaluator's note, and what to do next (the rule's message).
"""

from __future__ import annotations

from collections.abc import Iterator

from credit.notices.findings import Context, Finding
from credit.notices.ledger import held_entry
from credit.notices.render import KIND_NAMES, Localized, utc_date
from credit.notices.schema import ClaimRejected
from credit.ruleset import EvaluatorKind

REASONS: dict[str, Localized] = {
    "did_not_happen": Localized("it did not happen as described", "所述活动未发生"),
    "wrong_amount": Localized("the amount is wrong", "数量不对"),
    "wrong_date": Localized("the date is wrong", "日期不对"),
    "not_enough_evidence": Localized("there is not enough evidence", "证据不足"),
    "other": Localized("another reason, see the note", "其他原因，见说明"),
}
NO_NOTE = Localized("(no note)", "（无说明）")


def _clause(note: str) -> str:
    """The note as a clause of the message: the message puts its own full stop after it."""
    return note.strip().rstrip(".。!！?？ ")


def claim_rejected(p: ClaimRejected, ctx: Context) -> Iterator[Finding]:
    """One finding per rejection made in the last ``window_seconds``, for the claim's resident."""
    now = ctx.view.now
    for r in sorted(ctx.view.facts.rejections, key=lambda r: (r.at, r.record_id)):
        # a rejection may be newer than the indexed block (the index trails the chain by its
        # confirmation depth): it is recent, and told at once
        if not ctx.wants(r.resident) or now - r.at >= p.window_seconds:
            continue
        title, unit = ctx.title(r.category)
        reason = REASONS.get(r.reason, REASONS["other"])
        yield Finding(
            r.resident,
            (held_entry(r.record_id),),  # kept by the gateway: no chain position
            {
                "record_id": r.record_id,
                "reason": r.reason,
                "kind": EvaluatorKind(r.kind).name.lower(),
                "note": r.note,
                "occurred_at": r.occurred_at,
                "rejected_at": r.at,
            },
            {
                "category": title,
                "units": r.units,
                "unit": unit,
                "date": utc_date(r.occurred_at),
                "kind": KIND_NAMES[EvaluatorKind(r.kind)],
                "reason": reason,
                "note": f"“{_clause(r.note)}”" if _clause(r.note) else NO_NOTE,
            },
        )
