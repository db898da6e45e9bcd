"""Typed ledger facts: what the chain says, as plain values.

The indexer builds them from its database, the auditor from a replay of the chain; the notices
engine and the auditor's checks are pure functions over them. Addresses are lower-case hex strings,
ids and hashes ``0x``-prefixed hex, times unix seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Self

from credit.ruleset import one_kind_without_limit


class ViolationStatus(StrEnum):
    RECORDED = "recorded"
    APPEALED = "appealed"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


# The fields of ``CategoryRule`` (Common.sol) as events and calls name them, and as we do.
RULE_FIELDS = {
    "pointsPerUnit": "points_per_unit",
    "maxUnits": "max_units",
    "capPerEpoch": "cap_per_epoch",
    "minConfirmations": "min_confirmations",
    "threshold": "threshold",
    "kindWeights": "kind_weights",
    "requiredKinds": "required_kinds",
    "negative": "negative",
    "automated": "automated",
}


@dataclass(frozen=True)
class CategoryRule:
    """One category's rule as the RuleBook keeps it (``CategoryRule`` in Common.sol)."""

    category: int
    points_per_unit: int
    max_units: int
    cap_per_epoch: int
    min_confirmations: int
    threshold: int
    kind_weights: int  # 4 bits per EvaluatorKind, SUPERIOR lowest
    required_kinds: int  # bit i = EvaluatorKind(i) required
    negative: bool
    automated: bool = False  # credited only by the verifier contract, never by claims

    @classmethod
    def from_struct(cls, category: int, rule: Mapping[str, Any], **extra: Any) -> Self:
        """From the struct as a ``CategoryDefined`` event or a ``ruleInForce`` call gives it (a
        field it lacks reads 0); ``extra``: the fields a subclass adds."""
        n: dict[str, Any] = {ours: int(rule.get(name, 0)) for name, ours in RULE_FIELDS.items()}
        n["negative"], n["automated"] = bool(n["negative"]), bool(n["automated"])
        return cls(category=category, **n, **extra)

    def weight_of(self, kind: int) -> int:
        """Weight of one confirmation of ``kind`` (0 = does not count)."""
        return (self.kind_weights >> (4 * kind)) & 0xF

    def one_kind_without_limit(self) -> str | None:
        """The rule-set checker's verdict on this published category (see
        :func:`credit.ruleset.one_kind_without_limit`)."""
        return one_kind_without_limit(
            str(self.category),
            cap_per_epoch=self.cap_per_epoch,
            negative=self.negative,
            automated=self.automated,
            threshold=self.threshold,
            min_confirmations=self.min_confirmations,
            kind_weights=self.kind_weights,
            required_kinds=self.required_kinds,
        )

    def as_tuple(self) -> tuple[int | bool, ...]:
        """The struct's fields in its order, without the category."""
        return tuple(getattr(self, ours) for ours in RULE_FIELDS.values())


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
