"""Response models of the public pages (``/v1/public/...``): only what is on chain.

No evidence, no statements or reasons (not even their on-chain commitments), nothing the gateway
holds off chain about a person. Addresses are EIP-55 checksummed, hashes 0x hex, times unix
seconds, token amounts decimal strings (they exceed what JSON numbers hold exactly).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["superior", "peer", "public", "expert"]


class ChainRef(BaseModel):
    """Where on chain something happened."""

    tx_hash: str
    block_number: int
    block_time: int


class Confirmer(BaseModel):
    """An evaluator whose confirmation counted towards a record, and the kind it confirmed as."""

    address: str
    kind: Kind


class PublicAppeal(BaseModel):
    """A resident's appeal of a violation and the arbiter's decision, if made."""

    status: Literal["appealed", "upheld", "overturned"]
    filed: ChainRef
    resolved: ChainRef | None = None
    arbiter: str | None = None
    restored: int | None = Field(default=None, description="points given back when overturned")


class RecordRow(BaseModel):
    """A record in a list: enough to recognise it, with a link target (``record_id``)."""

    record_id: str
    kind: Literal["credit", "violation"]
    resident: str
    category: int
    units: int
    points: int = Field(description="points credited, or deducted (negative) by a violation")
    rule_version: int
    status: Literal["credited", "recorded", "appealed", "upheld", "overturned"]
    booked: ChainRef


class PublicRecord(RecordRow):
    """A record's public page: what the ledger booked, who confirmed it, its appeal."""

    epoch: int
    occurred_at: int | None = Field(description="when the activity took place, if on chain")
    appeal_deadline: int | None = None
    reporter: str | None = Field(default=None, description="the official who reported a violation")
    relayed: bool = Field(description="booked from signatures carried by one transaction")
    confirmations: list[Confirmer]
    appeal: PublicAppeal | None = None


class RewardRow(BaseModel):
    """One reward payment (``RewardMinted``)."""

    resident: str
    epoch: int
    points: int
    amount: str = Field(description="reward-token base units (18 decimals)")
    paid: ChainRef


class PublicEpoch(BaseModel):
    """An epoch: its dates, the records booked in it and the rewards paid for it."""

    epoch: int
    starts_at: int
    ends_at: int = Field(description="the first second of the next epoch")
    current: bool
    records: list[RecordRow]
    records_count: int
    points_credited: int
    points_deducted: int
    rewards: list[RewardRow]
    rewards_total: str
    truncated: bool = Field(description="the lists stop at the first 500 entries")


class Confirmed(BaseModel):
    """A record an address confirmed or reported, and the kind it acted as."""

    record: RecordRow
    kind: Kind | None = Field(description="None for a report")
    role: Literal["confirmed", "reported"]


class PublicAddress(BaseModel):
    """An address's public record: records about it and records it confirmed or reported."""

    address: str
    registered: bool
    records: list[RecordRow]
    acted: list[Confirmed]


class PublicTransaction(BaseModel):
    """What one of the ledger's transactions booked."""

    tx_hash: str
    block_number: int
    block_time: int
    records: list[RecordRow]
    rewards: list[RewardRow]
    rule_versions: list[int]


class RuleChange(BaseModel):
    """One change against the previous version (see :func:`credit.ruleset_diff.ruleset_diff`)."""

    scope: Literal["terms", "document", "category"]
    category: int | None
    key: str | None
    change: Literal["added", "removed", "changed"]
    fields: dict[str, list[object]]


class PublicRuleSet(BaseModel):
    """A published rule-set version: hash, URI, timing; the diff if both documents are held."""

    version: int
    content_hash: str
    uri: str = Field(description="where the publisher says the document can be fetched")
    document_path: str = Field(description="this gateway's copy (same bytes if it has them)")
    document_held: bool
    published_at: int
    effective_at: int
    status: Literal["in_force", "pending", "superseded"]
    published: ChainRef
    expiry_epochs: int
    appeal_window_seconds: int
    reward_per_point: str
    epoch_reward_cap: str
    previous: int | None
    next: int | None
    diff: list[RuleChange] | None = Field(description="None: a document is not held here")
