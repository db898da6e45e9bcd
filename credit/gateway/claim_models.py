"""Typed answers about residents' claims: a resident's list ("My claims") and a rejection.

Built from the relay's status dicts (:meth:`credit.relay.service.Relay.claim_statuses`): the
words a resident needs, not the relay's internals. Kinds are named as the ledger names them
(SUPERIOR, PEER, PUBLIC, EXPERT).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from credit.relay.models import REJECTION_REASONS

ClaimStatus = Literal["waiting", "pending", "queued", "sent", "credited", "rejected"]
KindName = Literal["SUPERIOR", "PEER", "PUBLIC", "EXPERT"]


class Needed(BaseModel):
    """What the claim's activity needs: summed weight, distinct confirmations, kinds required."""

    weight: int
    count: int
    kinds: list[KindName]


class Confirmations(BaseModel):
    """Confirmations a waiting claim has so far, and what it still lacks."""

    weight: int
    count: int
    kinds: list[KindName] = Field(description="kinds of evaluator who confirmed it so far")
    needed: Needed
    missing_kinds: list[KindName] = Field(description="required kinds not present yet")


class Refusal(BaseModel):
    """Why a claim was closed without credit.

    ``code``: one of the evaluators' reasons (did_not_happen, wrong_amount, wrong_date,
    not_enough_evidence, other) when an evaluator rejected it (``by`` names their kind, ``note``
    is their text, ``at`` the chain time); else what happened (expired,
    earlier_claim_rejected, nonce_moved, or the ledger's error in snake case)."""

    code: str
    by: KindName | None = None
    note: str = ""
    at: int | None = None
    message: str


class ClaimOut(BaseModel):
    """One claim as its resident sees it. ``occurred_at`` is the activity's time (what the
    resident signed), ``submitted_at`` when this gateway received it."""

    record_id: str
    category: int
    units: int
    occurred_at: int
    evidence: str
    nonce: int
    status: ClaimStatus
    submitted_at: float
    seq: int = Field(description="receipt order here; pass as `before` for the next page")
    confirmations: Confirmations | None = None
    rejection: Refusal | None = None
    tx_hash: str | None = None
    block: int | None = None
    points: int | None = None


class ResidentClaimsOut(BaseModel):
    """A page of a resident's claims, newest first."""

    resident: str
    claims: list[ClaimOut]
    next_before: int | None = Field(
        description="`before` for the next (older) page, or null when this is the last"
    )


class RejectionOut(BaseModel):
    """The rejected claim now, and every claim the rejection closed: the claim itself, then the
    resident's later claims it made unbookable (their nonces came after it)."""

    claim: ClaimOut
    closed: list[str]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def refusal(reason: dict[str, Any] | None) -> Refusal | None:
    """The :class:`Refusal` of a stored rejection reason (None if there is none)."""
    if not reason:
        return None
    args = reason.get("args") or {}
    message = str(reason.get("message") or "")
    if reason.get("error") == "Rejected" and args.get("reason") in REJECTION_REASONS:
        return Refusal(
            code=args["reason"],
            by=args.get("kind"),
            note=str(args.get("note") or ""),
            at=args.get("at"),
            message=message,
        )
    return Refusal(code=_snake(str(reason.get("error") or "not_credited")), message=message)


def claim_out(status: dict[str, Any]) -> ClaimOut:
    """A relay status dict as a :class:`ClaimOut`."""
    conf = status.get("confirmations")
    confirmations = None
    if conf:
        missing = [k for k in conf["needed"]["kinds"] if k not in conf["kinds"]]
        confirmations = Confirmations(**conf, missing_kinds=missing)
    rejected = status["status"] == "rejected"
    return ClaimOut(
        **{k: status[k] for k in ClaimOut.model_fields if k in status and k != "confirmations"},
        confirmations=confirmations,
        rejection=refusal(status.get("reason")) if rejected else None,
    )


# ------------------------------------------------------------- POST /v1/claims and friends
class Tally(BaseModel):
    """An open claim's confirmations so far (``kinds``) against what it ``needed``."""

    weight: int
    count: int
    kinds: list[KindName]
    needed: Needed


class ClaimStatusOut(BaseModel):
    """A claim (or report) as the relay holds it. ``record_id`` is the EIP-712 digest of the
    signed struct: what evaluators confirm and the ledger books."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "record_id": "0x" + "ab" * 32,
                    "resident": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
                    "category": 1,
                    "units": 2,
                    "occurred_at": 1_765_000_000,
                    "evidence": "0x" + "00" * 32,
                    "nonce": 0,
                    "deadline": 1_765_003_600,
                    "status": "waiting",
                    "tx_hash": None,
                    "block": None,
                    "points": None,
                    "reporter": None,
                    "reason": None,
                    "seq": 1,
                    "submitted_at": 1_765_000_010.5,
                    "confirmations": {
                        "weight": 0,
                        "count": 0,
                        "kinds": [],
                        "needed": {"weight": 2, "count": 2, "kinds": []},
                    },
                }
            ]
        }
    }

    record_id: str
    resident: str
    category: int
    units: int
    occurred_at: int = Field(description="the activity's time as signed (struct `occurredAt`)")
    evidence: str
    nonce: int
    deadline: int
    status: ClaimStatus
    tx_hash: str | None = None
    block: int | None = None
    points: int | None = None
    reporter: str | None = Field(default=None, description="the official, for a report")
    reason: dict[str, Any] | None = Field(
        default=None, description="why it was not credited (a rejected claim)"
    )
    seq: int
    submitted_at: float
    confirmations: Tally | None = Field(
        default=None, description="while waiting for confirmations: the tally so far"
    )


class BulkError(BaseModel):
    """A refused claim's error, as ``POST /v1/claims`` would have answered it."""

    status: int
    code: str
    message: str
    details: Any = None


class BulkResult(BaseModel):
    """One claim's outcome: accepted (``record_id``, ``status``) or refused (``error``)."""

    index: int = Field(description="the claim's position in the request")
    accepted: bool
    record_id: str | None = None
    status: Literal["waiting"] | None = None
    error: BulkError | None = None


class BulkOut(BaseModel):
    accepted: int
    refused: int
    results: list[BulkResult]


class ConfirmationOut(BaseModel):
    """The stored confirmation's id and the status of each claim it confirms."""

    endorsement_id: int
    claims: list[ClaimStatusOut]


class QueueOut(BaseModel):
    claims: list[ClaimStatusOut]
