"""Appeals: every reversal is tied to a violation, an appeal by its resident in time, an arbiter.

For each ``AppealResolved``: a ``ViolationRecorded`` of the same record came first, then an
``AppealFiled`` of that record by the resident it is about, no later than its appeal deadline;
the resolver held ARBITER_ROLE at that block and is not the resident the violation is about (the
ledger refuses both since resolveAppealBySig came; older deployments did not refuse the second);
the record was resolved once; an overturn restored
exactly what was deducted and an upheld appeal restored nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from credit.audit.balances import Books
from credit.audit.model import ChainData, Findings, utc
from credit.audit.roles import LEDGER, RoleTimeline
from credit.facts import Evidence


@dataclass(frozen=True)
class AppealDecision:
    """One resolved appeal, for the report's timeline."""

    record_id: str
    arbiter: str
    overturned: bool
    restored: int
    at: Evidence


def check_appeals(
    data: ChainData, books: Books, roles: RoleTimeline, found: Findings
) -> list[AppealDecision]:
    filed: dict[str, Evidence] = {}
    resolved: set[str] = set()
    decisions: list[AppealDecision] = []
    for e in data.events:
        a, ev = e.args, (e.evidence,)
        if e.name == "AppealFiled":
            rid = a["recordId"]
            v = books.violations.get(rid)
            if v is None:
                found.add(
                    "appeal.unknown_violation",
                    f"an appeal was filed against {rid}, which is no recorded violation",
                    ev,
                    record=rid,
                )
            elif a["resident"] != v.resident:
                found.add(
                    "appeal.filed_by_other",
                    f"the appeal against {rid} was filed by {a['resident']}, not by {v.resident}",
                    ev,
                    record=rid,
                )
            elif e.block_time > v.appeal_deadline:
                found.add(
                    "appeal.filed_late",
                    f"the appeal against {rid} was filed at {utc(e.block_time)}, after its "
                    f"deadline {utc(v.appeal_deadline)}",
                    ev,
                    record=rid,
                )
            if rid in filed:
                found.add("appeal.filed_twice", f"{rid} was appealed twice", ev, record=rid)
            filed[rid] = e.evidence
        elif e.name == "AppealResolved":
            rid, restored = a["recordId"], int(a["restored"])
            decisions.append(
                AppealDecision(rid, a["arbiter"], bool(a["overturned"]), restored, e.evidence)
            )
            v = books.violations.get(rid)
            if v is None or rid not in filed:
                found.add(
                    "appeal.resolved_without_filing",
                    f"the decision on {rid} is not tied to "
                    + ("a recorded violation" if v is None else "an appeal filed by its resident"),
                    ev,
                    record=rid,
                )
            if not roles.holds(LEDGER, "ARBITER_ROLE", a["arbiter"], e.pos):
                found.add(
                    "appeal.arbiter_lacks_role",
                    f"{a['arbiter']} decided the appeal on {rid} without ARBITER_ROLE",
                    ev,
                    record=rid,
                    arbiter=a["arbiter"],
                )
            if v is not None and a["arbiter"].lower() == v.resident.lower():
                found.add(
                    "appeal.decided_by_appellant",
                    f"{a['arbiter']} decided their own appeal on {rid}",
                    ev,
                    record=rid,
                    arbiter=a["arbiter"],
                )
            if rid in resolved:
                found.add("appeal.resolved_twice", f"{rid} was decided twice", ev, record=rid)
            resolved.add(rid)
            expected = (v.deducted if v else restored) if a["overturned"] else 0
            if restored != expected:
                found.add(
                    "appeal.restored_mismatch",
                    f"the decision on {rid} restored {restored}; {expected} was due",
                    ev,
                    record=rid,
                )
    return decisions
