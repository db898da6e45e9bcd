"""A claim's public status, as the relay answers it: where it is, and for an open claim its
tally of confirmations against the quorum of its category."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from credit.relay import pending, records
from credit.relay.plan import PlanEndorsement, Quorum, tally_of
from credit.relay.rows import ClaimRow
from credit.vocabulary import kind_names

_STATUS_FIELDS = (
    "record_id",
    "resident",
    "category",
    "units",
    "occurred_at",
    "evidence",
    "nonce",
    "deadline",
    "status",
    "tx_hash",
    "block",
    "points",
    "reporter",
)


def claim_status_of(
    row: ClaimRow,
    rules: Mapping[int, Quorum],
    active: list[PlanEndorsement],
    status: str | None = None,
) -> dict[str, Any]:
    """A claim's public status (``status``: its status now, if it changed since ``row`` was
    read); for an open claim, its tally from ``active`` endorsements."""
    fields: Mapping[str, Any] = row
    out: dict[str, Any] = {k: fields[k] for k in _STATUS_FIELDS}
    if status is not None:
        out["status"] = status
    out["reason"] = json.loads(row["reason"]) if row["reason"] else None
    out["seq"], out["submitted_at"] = row["seq"], row["created_at"]
    rule = rules.get(row["category"])
    if out["status"] in records.OPEN and rule is not None:
        tally = tally_of(pending.plan_claim(row), active, rule)
        out["confirmations"] = {
            "weight": tally.weight,
            "count": tally.count,
            "kinds": kind_names(tally.kinds),
            "needed": {
                "weight": rule.threshold,
                "count": rule.min_confirmations,
                "kinds": kind_names(rule.required_kinds),
            },
        }
    return out
