"""Answers of a resident's own routes (``/v1/residents/{address}/...``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Earning(BaseModel):
    epoch: int
    points: int
    paid: bool = Field(description="whether the epoch's reward was minted to the resident")


class RecordLine(BaseModel):
    """A record of the resident on chain, in chain order. Violations also carry
    ``deducted``, ``appeal_deadline``, ``status`` and ``resolved_tx_hash``; pending records
    their ``confirmations`` so far."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["credit", "violation", "pending"]
    record_id: str
    category: int
    units: int
    points: int | None = None
    rule_version: int | None = None
    epoch: int | None = None
    occurred_at: int | None = Field(
        default=None, description="the activity's time, where it is known"
    )
    tx_hash: str
    block_number: int
    log_index: int
    block_time: int


class SummaryOut(BaseModel):
    """A resident's credit as the index has it: expiring credit, earnings, records."""

    address: str
    registered: bool
    credit: int = Field(description="points that count now (0 once lapsed)")
    raw_balance: int
    lapsed: bool
    last_active_epoch: int
    expiry_epochs: int
    expires_after_epoch: int
    epoch: int
    as_of_block: int
    as_of_time: int
    earnings: list[Earning]
    records: list[RecordLine]


class NoticesOut(BaseModel):
    """The resident's reminders and warnings; each names its rule, version, hash and evidence."""

    resident: str
    notices: list[dict[str, Any]]


class NoncesOut(BaseModel):
    """What a resident signs with next."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "resident": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
                    "claim_nonce": 3,
                    "account_nonce": 0,
                    "chain_time": 1_765_000_000,
                }
            ]
        }
    }

    resident: str
    claim_nonce: int = Field(description="the `nonce` of the resident's next Claim")
    account_nonce: int = Field(description="the `nonce` of their next Appeal (the ledger's)")
    chain_time: int = Field(description="the latest block's time: deadlines are checked by it")
