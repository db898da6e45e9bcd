"""The auditor's typed values: what the replay read from the chain, and what the checks found.

Pure data, no chain access: the replay (:mod:`credit.audit.replay`) fills :class:`ChainData`
from a node, the checks read it. Addresses are lower-case hex, hashes ``0x`` hex, times unix
seconds; a position on chain is ``(block number, log index)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from credit.facts import Evidence, Transaction
from credit.fold import StoredEvent

Position = tuple[int, int]  # (block number, log index)


@dataclass(frozen=True)
class ChainEvent(StoredEvent):
    """One decoded event of the RuleBook or the CreditLedger (never of any other address)."""

    address: str = ""
    block_hash: str = ""

    @property
    def pos(self) -> Position:
        return (self.block_number, self.log_index)


@dataclass(frozen=True)
class RelayedRecord:
    """One signed claim or report of a relay transaction's calldata."""

    resident: str
    category: int
    units: int
    occurred_at: int
    deadline: int
    nonce: int
    evidence: bytes
    r: bytes
    vs: bytes
    reporter: str | None = None  # set for reports


@dataclass(frozen=True)
class RelayedEndorsement:
    """One evaluator's signature over the records its mask selects."""

    kind: int
    deadline: int
    mask: int
    r: bytes
    vs: bytes


@dataclass(frozen=True)
class RelayedBatch:
    """A decoded ``relayClaims`` / ``relayReports`` / ``relayClaimPacked`` call."""

    tx_hash: str
    function: str  # "relayClaims", "relayReports" or "relayClaimPacked" (one record, masks 1)
    records: tuple[RelayedRecord, ...]
    endorsements: tuple[RelayedEndorsement, ...]


@dataclass(frozen=True)
class Terms:
    """Rule-set wide terms of a published version (RuleBook.ruleSet)."""

    content_hash: str
    expiry_epochs: int
    appeal_window: int
    reward_per_point: int
    epoch_reward_cap: int


@dataclass(frozen=True)
class CodeCheck:
    """The code at a deployment address against the compiled contract it should be."""

    label: str
    address: str
    expected: str  # the compiled runtime code's metadata trailer (hex), "" if unknown
    found: str  # the deployed code's metadata trailer (hex), "" if there is no code


@dataclass(frozen=True)
class Deployment:
    """Where the audited system lives and its fixed parameters, as read from the chain."""

    chain_id: int
    ledger: str
    rule_book: str
    start_block: int
    epoch_length: int
    genesis: int
    notice_period: int  # RuleBook.noticePeriod()
    notice_period_file: int  # what the deployment file says


@dataclass(frozen=True)
class IdentityRegistration:
    """One ``IdentityRegistered`` of the IdentityRegistry: a leaf's identity commitment."""

    resident: str  # lower-case
    commitment: int
    at: Evidence


@dataclass(frozen=True)
class FinalisedRoot:
    """One ``EpochFinalized`` of the Poseidon-root EpochVerifier."""

    epoch: int
    root: str  # 0x hex
    revealers: int
    at: Evidence


@dataclass(frozen=True)
class PrivateProofsData:
    """What the Poseidon-root check reads: the registrations and the finalised Poseidon roots."""

    registry: str
    roots: str  # the Poseidon-root EpochVerifier
    registrations: tuple[IdentityRegistration, ...]
    finalised: tuple[FinalisedRoot, ...]


@dataclass
class ChainData:
    """Everything the checks need, read up to and at ``block``."""

    deployment: Deployment
    block: int
    block_time: int
    events: list[ChainEvent]
    batches: dict[str, RelayedBatch] = field(default_factory=dict)  # tx hash ->
    transactions: dict[str, Transaction] = field(default_factory=dict)  # tx hash ->
    terms: dict[int, Terms] = field(default_factory=dict)  # rule version ->
    credit_of: dict[str, int] = field(default_factory=dict)  # resident -> creditOf(block)
    total_supply: int = 0
    code: tuple[CodeCheck, ...] = ()
    replay: dict[str, int] = field(default_factory=dict)  # pages, window shrinks, cached events
    private_proofs: PrivateProofsData | None = None  # when the deployment lists them


@dataclass(frozen=True)
class Discrepancy:
    """One thing the chain data does not agree with, named by ``code``, with its evidence."""

    code: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "evidence": [e.as_dict() for e in self.evidence],
            "data": self.data,
        }


def first(evidence: list[Evidence], limit: int = 20) -> tuple[Evidence, ...]:
    """At most ``limit`` pieces of evidence (a report names the first ones and counts them all)."""
    return tuple(evidence[:limit])


class Findings:
    """Discrepancies as the checks find them: every one counted, the first ``limit`` of each code
    kept with their evidence (a systematically wrong ledger must not make a gigabyte report)."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self.kept: list[Discrepancy] = []
        self.counts: dict[str, int] = {}

    def add(
        self,
        code: str,
        message: str,
        evidence: tuple[Evidence, ...] | list[Evidence] = (),
        **data: Any,
    ) -> None:
        n = self.counts.get(code, 0)
        self.counts[code] = n + 1
        if n < self.limit:
            self.kept.append(Discrepancy(code, message, tuple(evidence), data))

    def extend(self, found: list[Discrepancy]) -> None:
        for d in found:
            self.add(d.code, d.message, d.evidence, **d.data)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def utc(t: int) -> str:
    """A unix time as a person reads it in a discrepancy's message (the data keeps the number)."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: int) -> str:
    """``259200`` as "3 days (259200 s)"; short spans in seconds only."""
    for unit, size in (("day", 86400), ("hour", 3600)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ({seconds} s)"
    return f"{seconds} s"
