"""Pure folds from indexed events to ledger facts and to a resident's credit.

No database and no chain here: the indexer hands over stored events in chain order and gets typed
values back, so the same code serves the gateway, the notices engine and tests. The credit fold
replicates ``CreditLedger.creditOf`` exactly: the raw balance moves only with the events that move
it on chain, and it reads as zero when the expiry of the rule version in force at ``at_time`` is
non-zero, the balance is non-zero and the epoch at ``at_time`` is past ``lastActive + expiry``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from credit.facts import (
    CreditRecord,
    Evidence,
    Expiry,
    LedgerFacts,
    PendingClaim,
    RewardPayment,
    ViolationRecord,
    ViolationStatus,
)


@dataclass(frozen=True)
class StoredEvent:
    """One indexed event, as the folds need it."""

    name: str
    args: dict[str, Any]
    block_number: int
    log_index: int
    tx_hash: str
    block_time: int

    @property
    def evidence(self) -> Evidence:
        """Where on chain this event is."""
        return Evidence(self.tx_hash, self.block_number, self.log_index, self.block_time)


@dataclass(frozen=True)
class RuleVersion:
    """A published rule-set version, as far as credit expiry needs it."""

    version: int
    content_hash: str
    effective_at: int
    expiry_epochs: int


@dataclass(frozen=True)
class Schedule:
    """The ledger's epochs: ``epoch = (time - genesis) // length``."""

    length: int
    genesis: int

    def epoch_at(self, timestamp: int) -> int:
        """The epoch ``timestamp`` falls in (0 before genesis)."""
        return max(0, (timestamp - self.genesis) // self.length)


@dataclass(frozen=True)
class ResidentCredit:
    """A resident's credit at ``at_time``, as ``creditOf`` and ``residentState`` would say."""

    address: str
    registered: bool
    raw_balance: int
    last_active_epoch: int
    expiry_epochs: int
    epoch: int
    lapsed: bool
    earnings: dict[int, tuple[int, bool]] = field(default_factory=dict)  # epoch -> (points, paid)

    @property
    def credit(self) -> int:
        """What ``creditOf`` returns."""
        return 0 if self.lapsed else self.raw_balance

    @property
    def expires_after_epoch(self) -> int:
        """The last epoch before the balance lapses (0 = never), as ``residentState`` says."""
        return 0 if self.expiry_epochs == 0 else self.last_active_epoch + self.expiry_epochs


def expiry_in_force(versions: Iterable[RuleVersion], at_time: int) -> int:
    """Credit expiry (epochs) of the latest version effective at ``at_time``; 0 if none."""
    in_force = [v for v in versions if v.effective_at <= at_time]
    return max(in_force, key=lambda v: v.version).expiry_epochs if in_force else 0


def fold_credit(
    address: str,
    events: Sequence[StoredEvent],
    versions: Sequence[RuleVersion],
    schedule: Schedule,
    at_time: int,
) -> ResidentCredit:
    """The credit of ``address`` from the events about it (in chain order) at ``at_time``."""
    registered, balance, last_active = False, 0, 0
    earnings: dict[int, tuple[int, bool]] = {}
    for e in events:
        a = e.args
        if e.name == "ResidentRegistered":
            registered = True
        elif e.name == "ResidentDeregistered":
            registered = False
        elif e.name == "RecordCredited":
            balance += int(a["points"])
            last_active = schedule.epoch_at(e.block_time)
            points, paid = earnings.get(last_active, (0, False))
            earnings[last_active] = (points + int(a["points"]), paid)
        elif e.name == "ViolationRecorded":
            balance -= int(a["deducted"])
        elif e.name == "AppealResolved" and a["overturned"]:
            balance += int(a["restored"])
        elif e.name == "CreditExpired":
            balance -= int(a["amount"])
        elif e.name == "RewardMinted":
            epoch = int(a["epoch"])
            earnings[epoch] = (earnings.get(epoch, (int(a["points"]), False))[0], True)
    expiry = expiry_in_force(versions, at_time)
    epoch = schedule.epoch_at(at_time)
    lapsed = expiry != 0 and balance != 0 and epoch > last_active + expiry
    return ResidentCredit(
        address,
        registered,
        balance,
        last_active,
        expiry,
        epoch,
        lapsed,
        dict(sorted(earnings.items())),
    )


def _scored(rid: str, a: dict[str, Any]) -> tuple[str, str, int, int, int]:
    """What ``RecordCredited`` and ``ViolationRecorded`` both carry, in their records' order:
    record id, resident, category, units, points."""
    return rid, a["resident"], int(a["category"]), int(a["units"]), int(a["points"])


def fold_facts(
    events: Iterable[StoredEvent], *, as_of_block: int, as_of_time: int, schedule: Schedule
) -> LedgerFacts:
    """Every fact the events (in chain order) establish, as of block ``as_of_block``."""
    residents: dict[str, None] = {}
    credits: list[CreditRecord] = []
    violations: dict[str, ViolationRecord] = {}
    pending: dict[str, PendingClaim] = {}
    expiries: list[Expiry] = []
    rewards: list[RewardPayment] = []
    versions: dict[int, str] = {}
    for e in events:
        a = e.args
        rid: str = a.get("recordId") or ""
        if e.name == "ResidentRegistered":
            residents[a["resident"]] = None
        elif e.name == "ResidentDeregistered":
            residents.pop(a["resident"], None)
        elif e.name in ("ClaimSubmitted", "ViolationReported"):
            pending[rid] = PendingClaim(
                rid, a["resident"], int(a["category"]), int(a["units"]), (), e.evidence
            )
        elif e.name == "ConfirmationRecorded" and rid in pending:
            p = pending[rid]
            confirmation = (a["evaluator"], int(a["kind"]))
            pending[rid] = replace(p, confirmations=(*p.confirmations, confirmation))
        elif e.name == "RecordCredited":
            pending.pop(rid, None)
            epoch = schedule.epoch_at(e.block_time)
            credits.append(CreditRecord(*_scored(rid, a), int(a["ruleVersion"]), epoch, e.evidence))
        elif e.name == "ViolationRecorded":
            pending.pop(rid, None)
            violations[rid] = ViolationRecord(
                *_scored(rid, a),
                int(a["deducted"]),
                int(a["ruleVersion"]),
                int(a["appealDeadline"]),
                ViolationStatus.RECORDED,
                e.evidence,
            )
        elif e.name == "AppealFiled" and rid in violations:
            violations[rid] = replace(
                violations[rid], status=ViolationStatus.APPEALED, appealed_at=e.evidence
            )
        elif e.name == "AppealResolved" and rid in violations:
            status = ViolationStatus.OVERTURNED if a["overturned"] else ViolationStatus.UPHELD
            violations[rid] = replace(violations[rid], status=status, resolved_at=e.evidence)
        elif e.name == "CreditExpired":
            expiries.append(
                Expiry(a["resident"], int(a["amount"]), int(a["lastActiveEpoch"]), e.evidence)
            )
        elif e.name == "RewardMinted":
            rewards.append(
                RewardPayment(
                    a["resident"], int(a["epoch"]), int(a["points"]), int(a["amount"]), e.evidence
                )
            )
        elif e.name == "RuleSetPublished":
            versions[int(a["ruleVersion"])] = a["contentHash"]
    return LedgerFacts(
        as_of_block=as_of_block,
        as_of_time=as_of_time,
        epoch_length=schedule.length,
        genesis=schedule.genesis,
        residents=tuple(residents),
        credits=tuple(credits),
        violations=tuple(violations.values()),
        pending=tuple(pending.values()),
        expiries=tuple(expiries),
        rewards=tuple(rewards),
        rule_versions=versions,
    )


def occurred_dates(events: Iterable[StoredEvent]) -> dict[str, int]:
    """When each directly submitted claim or report says its activity happened (``occurredAt``
    of ``ClaimSubmitted`` / ``ViolationReported``), by record id. Relayed records carry it only
    in their transaction's calldata, so they are not here."""
    return {
        str(e.args["recordId"]): int(e.args["occurredAt"])
        for e in events
        if e.name in ("ClaimSubmitted", "ViolationReported") and "occurredAt" in e.args
    }


def records_view(
    facts: LedgerFacts, occurred: Mapping[str, int] | None = None
) -> list[dict[str, Any]]:
    """Credits, violations and pending records of ``facts`` as JSON-safe dicts, in chain order;
    ``occurred_at`` is the activity's date where ``occurred`` knows it, else None."""
    rows: list[dict[str, Any]] = []
    for c in facts.credits:
        rows.append(
            {
                "kind": "credit",
                "record_id": c.record_id,
                "category": c.category,
                "units": c.units,
                "points": c.points,
                "rule_version": c.rule_version,
                "epoch": c.epoch,
                **c.at.as_dict(),
            }
        )
    for v in facts.violations:
        resolved = v.resolved_at.tx_hash if v.resolved_at else None
        rows.append(
            {
                "kind": "violation",
                "record_id": v.record_id,
                "category": v.category,
                "units": v.units,
                "points": v.points,
                "deducted": v.deducted,
                "rule_version": v.rule_version,
                "appeal_deadline": v.appeal_deadline,
                "status": v.status.value,
                "resolved_tx_hash": resolved,
                **v.at.as_dict(),
            }
        )
    for p in facts.pending:
        rows.append(
            {
                "kind": "pending",
                "record_id": p.record_id,
                "category": p.category,
                "units": p.units,
                "confirmations": [list(c) for c in p.confirmations],
                **p.at.as_dict(),
            }
        )
    known = occurred or {}
    for row in rows:
        row["occurred_at"] = known.get(row["record_id"])
    return sorted(rows, key=lambda r: (r["block_number"], r["log_index"]))
