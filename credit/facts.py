"""Typed ledger facts: what the chain says, as plain values.

The indexer builds them from its database, the auditor from a replay of the chain; the notices
engine and the auditor's checks are pure functions over them. Addresses are lower-case hex strings,
ids and hashes ``0x``-prefixed hex, times unix seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class ViolationStatus(StrEnum):
    RECORDED = "recorded"
    APPEALED = "appealed"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


@dataclass(frozen=True)
class Transaction:
    """A transaction: its sender, recipient, block and input (the auditor's quorum checks read
    the calldata of those that booked records)."""

    hash: str
    sender: str
    to: str | None
    block_number: int
    input: bytes


@dataclass(frozen=True)
class Evidence:
    """Where on chain a fact comes from."""

    tx_hash: str
    block_number: int
    log_index: int
    block_time: int

    def as_dict(self) -> dict[str, Any]:
        """The four fields by name (JSON-ready)."""
        return asdict(self)


@dataclass(frozen=True)
class CreditRecord:
    """A ``RecordCredited`` event."""

    record_id: str
    resident: str
    category: int
    units: int
    points: int
    rule_version: int
    epoch: int
    at: Evidence


@dataclass(frozen=True)
class ViolationRecord:
    """A ``ViolationRecorded`` event and what happened to it since."""

    record_id: str
    resident: str
    category: int
    units: int
    points: int
    deducted: int
    rule_version: int
    appeal_deadline: int
    status: ViolationStatus
    at: Evidence
    resolved_at: Evidence | None = None
    appealed_at: Evidence | None = None  # the ``AppealFiled`` event, once the resident appealed


@dataclass(frozen=True)
class PendingClaim:
    """A claim submitted directly on chain that has not reached its quorum yet."""

    record_id: str
    resident: str
    category: int
    units: int
    confirmations: tuple[tuple[str, int], ...]  # (evaluator, EvaluatorKind)
    at: Evidence


@dataclass(frozen=True)
class HeldClaim:
    """A signed claim the gateway holds while it waits for evaluators' endorsements.

    It is not on chain (the relay sends it once its quorum is met), so it has no chain position:
    ``received_at`` is when the gateway accepted it (unix seconds, the gateway's clock) and
    ``confirmations`` are the endorsements it holds so far. Held claims are the gateway's private
    data: they feed the reminders of their resident and of official evaluators, never an export.
    """

    record_id: str
    resident: str
    category: int
    units: int
    occurred_at: int
    received_at: int
    confirmations: tuple[tuple[str, int], ...] = ()  # (evaluator, EvaluatorKind)


@dataclass(frozen=True)
class Expiry:
    """A ``CreditExpired`` event."""

    resident: str
    amount: int
    last_active_epoch: int
    at: Evidence


@dataclass(frozen=True)
class RewardPayment:
    """A ``RewardMinted`` event."""

    resident: str
    epoch: int
    points: int
    amount: int
    at: Evidence


@dataclass(frozen=True)
class ClaimRejection:
    """An evaluator's signed rejection of a claim the gateway held (never on chain: the claim was
    never relayed). ``kind`` is the EvaluatorKind the evaluator acted as, ``reason`` one of the
    rejection reasons (did_not_happen, wrong_amount, ...), ``at`` the chain time it was made."""

    record_id: str
    resident: str
    category: int
    units: int
    occurred_at: int
    kind: int
    reason: str
    note: str
    at: int


@dataclass(frozen=True)
class LedgerFacts:
    """Everything known about the ledger up to block ``as_of_block`` (time ``as_of_time``)."""

    as_of_block: int
    as_of_time: int
    epoch_length: int
    genesis: int
    residents: tuple[str, ...] = ()
    credits: tuple[CreditRecord, ...] = ()
    violations: tuple[ViolationRecord, ...] = ()
    pending: tuple[PendingClaim, ...] = ()
    held: tuple[HeldClaim, ...] = ()  # off chain: claims the gateway holds (see HeldClaim)
    expiries: tuple[Expiry, ...] = ()
    rewards: tuple[RewardPayment, ...] = ()
    rule_versions: dict[int, str] = field(default_factory=dict)  # version -> content hash
    # held by the gateway, not on chain: added by the gateway's notice service, never by the
    # indexer or the auditor (whose notices come from the chain alone)
    rejections: tuple[ClaimRejection, ...] = ()

    def epoch_at(self, timestamp: int) -> int:
        return max(0, (timestamp - self.genesis) // self.epoch_length)

    @property
    def current_epoch(self) -> int:
        return self.epoch_at(self.as_of_time)
