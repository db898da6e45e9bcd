"""What one rule-set version changes against the one before: categories added, removed or changed
(points, quorum, caps, texts) and the rule-set wide terms (expiry, appeal window, rewards). Pure.
"""

from __future__ import annotations

from typing import Any

from credit.ruleset import Category, RuleSet

# Category fields compared, in the order a reader meets them (dotted: inside ``confirmation``).
CATEGORY_FIELDS = (
    "title",
    "unit",
    "description",
    "points_per_unit",
    "max_units",
    "cap_per_epoch",
    "negative",
    "automated",
    "confirmation.min_confirmations",
    "confirmation.threshold",
    "confirmation.weights",
    "confirmation.required_kinds",
)
TERM_FIELDS = ("expiry_epochs", "appeal_window_seconds", "reward_per_point", "epoch_reward_cap")


def _field(category: Category, name: str) -> Any:
    value: Any = category.model_dump(mode="json")
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        return sorted(value)
    return value


def ruleset_diff(old: RuleSet, new: RuleSet) -> list[dict[str, Any]]:
    """The changes from ``old`` to ``new``, JSON-safe: each ``{"scope": "terms" | "document" |
    "category", "category": id or None, "key": ..., "change": "added" | "removed" | "changed",
    "fields": {name: [old, new]}}``. Large integers are given as strings."""
    changes: list[dict[str, Any]] = []
    terms = {
        f: [str(getattr(old.terms, f)), str(getattr(new.terms, f))]
        for f in TERM_FIELDS
        if getattr(old.terms, f) != getattr(new.terms, f)
    }
    if terms:
        changes.append(_change("terms", None, None, "changed", terms))
    document = {
        f: [
            getattr(old, f).model_dump() if f == "description" else getattr(old, f),
            getattr(new, f).model_dump() if f == "description" else getattr(new, f),
        ]
        for f in ("label", "description")
        if getattr(old, f) != getattr(new, f)
    }
    if document:
        changes.append(_change("document", None, None, "changed", document))
    before = {c.id: c for c in old.categories}
    after = {c.id: c for c in new.categories}
    for cid in sorted(before.keys() | after.keys()):
        was, now = before.get(cid), after.get(cid)
        if was is None and now is not None:
            changes.append(_change("category", cid, now.key, "added", {}))
        elif now is None and was is not None:
            changes.append(_change("category", cid, was.key, "removed", {}))
        elif was is not None and now is not None:
            fields = {
                f: [_field(was, f), _field(now, f)]
                for f in CATEGORY_FIELDS
                if _field(was, f) != _field(now, f)
            }
            if fields:
                changes.append(_change("category", cid, now.key, "changed", fields))
    return changes


def _change(
    scope: str, category: int | None, key: str | None, change: str, fields: dict[str, Any]
) -> dict[str, Any]:
    return {"scope": scope, "category": category, "key": key, "change": change, "fields": fields}
