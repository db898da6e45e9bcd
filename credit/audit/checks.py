"""What every audit check and figure is called for people, beside the code machines use.

A discrepancy's ``code`` (``credit.mismatch``) stays the stable id in the JSON report and in
scripts; the HTML report shows :data:`CHECKS`' label and plain-words meaning (the table is in
:mod:`credit.audit.check_table`) and keeps the code as a small secondary id.
``tests/audit/test_labels.py`` reads every code the checks can raise from the source of
:mod:`credit.audit`, so a new check without a label fails the tests.

``expected`` and ``found`` name the keys of a discrepancy's ``data`` that hold what the rules give
and what the chain (or the export) says, where the check records both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credit.audit.check_table import CHECKS, GROUPS, Check

__all__ = ["CHECKS", "DATA", "FIGURES", "GROUPS", "OPTIONAL", "Check", "check", "statuses"]

# Checks that run only when the auditor is given an input: the prefix, and the report key that
# is empty when the input was not given.
OPTIONAL = {
    "notices.": "notices",
    "rules.file_": "rule_files",
    "poseidon.": "poseidon_roots",  # no private proofs deployed, or no epoch finalised yet
}

FIGURES: dict[str, str] = {
    "discrepancies": "Discrepancies found",
    "residents": "Residents",
    "records_credited": "Records credited",
    "violations": "Violations recorded",
    "relayed_records": "Records relayed with signatures",
    "direct_records": "Records confirmed directly",
    "automated_records": "Records booked by a verifier",
    "unverifiable_records": "Records whose confirmers cannot be checked",
    "signatures_recovered": "Signatures recovered and checked",
    "rule_versions": "Rule-set versions",
    "role_changes": "Role grants and revokes",
    "appeal_decisions": "Appeal decisions",
    "minted_total": "Reward tokens minted",
    "total_supply": "Reward-token supply",
}

DATA: dict[str, str] = {
    "address": "address",
    "amount": "amount",
    "arbiter": "arbiter",
    "booked": "points booked",
    "cap": "cap",
    "category": "category",
    "contract": "contract",
    "deducted": "points deducted",
    "earned": "points earned",
    "effective_at": "effective at",
    "epoch": "epoch",
    "evaluator": "evaluator",
    "expected": "expected",
    "fields": "fields",
    "file": "file",
    "found": "found",
    "hash": "hash",
    "in_force": "version in force",
    "kind": "evaluator kind",
    "lawful_start": "lawful start",
    "minted": "minted",
    "notice": "notice",
    "onchain": "on chain",
    "paid_points": "points paid",
    "records": "records",
    "recomputed": "recomputed",
    "record": "record",
    "resident": "resident",
    "rule": "rule",
    "stamped": "version stamped",
    "supply": "total supply",
    "to": "to",
    "used": "points used",
    "version": "rule version",
}


def check(code: str) -> Check:
    """The check behind ``code``; an unknown code (a report of a newer auditor) keeps its code."""
    known = CHECKS.get(code)
    if known is not None:
        return known
    return Check("Other", code, "A check this version of the report does not describe.")


def statuses(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every check with ``passed``, ``failed`` or ``not run`` (its input was not given)."""
    counts: Mapping[str, int] = report["summary"]["by_code"]
    out = []
    for code, c in CHECKS.items():
        n = counts.get(code, 0)
        skipped = any(code.startswith(p) and not report.get(k) for p, k in OPTIONAL.items())
        status = "failed" if n else ("not run" if skipped else "passed")
        out.append({"code": code, "group": c.group, "label": c.label, "status": status, "count": n})
    out += [
        {"code": code, "group": "Other", "label": code, "status": "failed", "count": n}
        for code, n in counts.items()
        if code not in CHECKS
    ]
    return out
