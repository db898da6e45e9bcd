"""Read-only views over :class:`credit.facts.LedgerFacts` that the notice conditions share.

Everything is derived from ledger facts only and is independent of the order of the facts' tuples:
each resident's records are sorted by their on-chain position (block, log index, transaction).
Balances follow ``CreditLedger`` exactly: credits add, confirmed violations deduct what they
deducted, an overturned violation restores it, a ``CreditExpired`` event removes what it says; a
lapse that the chain has not materialised yet counts as zero, like ``creditOf``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from credit.facts import (
    CreditRecord,
    Evidence,
    Expiry,
    HeldClaim,
    LedgerFacts,
    PendingClaim,
    ViolationRecord,
    ViolationStatus,
)
from credit.ruleset import RuleSet

COUNTED = frozenset({ViolationStatus.RECORDED, ViolationStatus.UPHELD})
"""Violation statuses that count towards warnings.

RECORDED (confirmed by its quorum, appeal still possible) and UPHELD (an arbiter confirmed it)
count. OVERTURNED never counts. APPEALED does not count while the appeal waits for an arbiter:
a resident is not warned about a record they are contesting; it counts again if upheld.
"""


def position(at: Evidence) -> tuple[int, int, str]:
    """Sort key of an on-chain fact: block, log index, transaction hash."""
    return (at.block_number, at.log_index, at.tx_hash)


def evidence_entry(at: Evidence, record_id: str | None = None) -> dict[str, Any]:
    """The evidence of a notice: where on chain the fact is."""
    return {
        "record_id": record_id,
        "tx_hash": at.tx_hash,
        "block_number": at.block_number,
        "log_index": at.log_index,
    }


def held_entry(record_id: str) -> dict[str, Any]:
    """The evidence of a notice about a claim the gateway holds: no chain position yet."""
    return {"record_id": record_id, "tx_hash": None, "block_number": None, "log_index": None}


def evidence_key(entry: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key of evidence entries: chain order, then held claims (no position) by record id."""
    held = entry["block_number"] is None
    return (
        held,
        entry["block_number"] or 0,
        entry["log_index"] or 0,
        entry["tx_hash"] or "",
        entry["record_id"] or "" if held else "",
    )


@dataclass
class _Resident:
    credits: list[CreditRecord]
    violations: list[ViolationRecord]
    expiries: list[Expiry]


class LedgerView:
    """The facts grouped per resident, with the ledger arithmetic the conditions need."""

    def __init__(self, facts: LedgerFacts, ruleset: RuleSet) -> None:
        self.facts = facts
        self.ruleset = ruleset
        self.now = facts.as_of_time
        self.epoch = facts.current_epoch
        groups: dict[str, _Resident] = defaultdict(lambda: _Resident([], [], []))
        for c in facts.credits:
            groups[c.resident].credits.append(c)
        for v in facts.violations:
            groups[v.resident].violations.append(v)
        for e in facts.expiries:
            groups[e.resident].expiries.append(e)
        for g in groups.values():
            g.credits.sort(key=lambda c: position(c.at))
            g.violations.sort(key=lambda v: position(v.at))
            g.expiries.sort(key=lambda e: position(e.at))
        self._groups = dict(groups)
        self._empty = _Resident([], [], [])
        self.registered = frozenset(facts.residents)
        self.pending: tuple[PendingClaim, ...] = tuple(
            sorted(facts.pending, key=lambda p: (position(p.at), p.record_id))
        )
        self.held: tuple[HeldClaim, ...] = tuple(
            sorted(facts.held, key=lambda h: (h.received_at, h.record_id))
        )
        self.people: tuple[str, ...] = tuple(sorted(self.registered | set(self._groups)))

    def _of(self, resident: str) -> _Resident:
        return self._groups.get(resident, self._empty)

    def credits(self, resident: str) -> list[CreditRecord]:
        """The resident's credited records, in chain order."""
        return self._of(resident).credits

    def violations(self, resident: str) -> list[ViolationRecord]:
        """The resident's violation records, in chain order."""
        return self._of(resident).violations

    def epoch_start(self, epoch: int) -> int:
        """Unix time at which ``epoch`` begins."""
        return self.facts.genesis + epoch * self.facts.epoch_length

    def violation_epoch(self, v: ViolationRecord) -> int:
        """The epoch in which a violation was recorded."""
        return self.facts.epoch_at(v.at.block_time)

    def last_credit(self, resident: str) -> CreditRecord | None:
        """The credited record that set the resident's last active epoch (the latest one)."""
        credits = self.credits(resident)
        return credits[-1] if credits else None

    def raw_balance(self, resident: str) -> int:
        """The balance the ledger stores (before any unmaterialised lapse)."""
        g = self._of(resident)
        balance = sum(c.points for c in g.credits) - sum(e.amount for e in g.expiries)
        for v in g.violations:
            if v.status != ViolationStatus.OVERTURNED:
                balance -= v.deducted
        return balance

    def lapse_epoch(self, resident: str) -> int | None:
        """First epoch in which the resident's credit counts as lapsed, or None if it never will."""
        last, expiry = self.last_credit(resident), self.ruleset.terms.expiry_epochs
        if last is None or expiry == 0:
            return None
        return last.epoch + expiry + 1

    def balance(self, resident: str) -> int:
        """The credit balance in force now, as ``creditOf`` reports it."""
        lapse = self.lapse_epoch(resident)
        if lapse is not None and self.epoch >= lapse:
            return 0
        return max(0, self.raw_balance(resident))

    def counted_violations(
        self, resident: str, first_epoch: int, categories: Iterable[int] | None = None
    ) -> list[ViolationRecord]:
        """Counted violations (see :data:`COUNTED`) recorded from ``first_epoch`` to now."""
        wanted = None if categories is None else frozenset(categories)
        return [
            v
            for v in self.violations(resident)
            if v.status in COUNTED
            and self.violation_epoch(v) >= first_epoch
            and (wanted is None or v.category in wanted)
        ]

    def points_between(self, resident: str, first_epoch: int, last_epoch: int) -> int:
        """Points credited to the resident in epochs ``first_epoch..last_epoch`` inclusive."""
        return sum(c.points for c in self.credits(resident) if first_epoch <= c.epoch <= last_epoch)

    def appealable(self, violations: Iterable[ViolationRecord]) -> list[ViolationRecord]:
        """Those violations the resident can still appeal now (RECORDED, deadline not passed)."""
        return [
            v
            for v in violations
            if v.status == ViolationStatus.RECORDED and self.now <= v.appeal_deadline
        ]
