"""A claim as its evaluators see it: details, evidence (logged), and the share link with its QR.

A peer reaches a claim through the link the resident shares (``<web client>/#/confirm/<id>``);
the web client then asks for the claim's details here. Who may read: the claimant, and the
evaluators of a kind the claim's category accepts (:func:`credit.gateway.evidence_access.
can_read_evidence`). Anyone else gets the same 404 as for a claim never received, so nobody
learns from the answer whether someone else's claim exists.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from typing import Annotated, Any, Literal

import segno
from fastapi import Path, Query
from pydantic import BaseModel, Field

from credit.chain.roles import checksum
from credit.gateway.deps import Account, CurrentAccount, ServicesDep
from credit.gateway.evidence_access import (
    ZERO32,
    claim_subject,
    evaluator_kinds,
    no_claim,
)
from credit.gateway.routes._route import Routes
from credit.gateway.routes.evidence import access_of
from credit.gateway.services import Services
from credit.relay.models import HEX32

routes = Routes(prefix="/claims/{record_id}", tags=["claims"])  # all read one claim
RecordIdPath = Annotated[str, Path(pattern=HEX32, description="the claim's record id")]


class Tally(BaseModel):
    """Confirmations so far and what the rule needs (open claims only)."""

    weight: int
    count: int
    kinds: list[str]
    needed: dict[str, Any]


class ClaimDetails(BaseModel):
    """What an evaluator needs to decide: the activity, amount, date, who asks, the evidence."""

    record_id: str
    resident: str = Field(description="who asks (checksummed address)")
    category: int
    units: int
    occurred_at: int = Field(description="when the activity took place (unix seconds)")
    status: str
    confirmations: Tally | None = None
    has_evidence: bool = Field(description="the claim carries an evidence commitment")
    evidence_commitment: str | None
    viewer: Literal["claimant", "evaluator"]
    may_confirm_as: list[str] = Field(
        description="kinds the caller may confirm this claim as (SUPERIOR, PEER, PUBLIC, EXPERT)"
    )


class ClaimEvidence(BaseModel):
    """The evidence of a claim, for its claimant or an entitled evaluator; this read is logged."""

    record_id: str
    evidence_id: str
    commitment: str
    media_type: str
    size: int
    created_at: datetime
    text: str | None = Field(description="the content, if it is text/plain")
    content_base64: str | None = Field(description="the content, if it is not text")
    salt: str = Field(description="check: keccak256(salt || content) == commitment")
    read_as: str = Field(description="owner, or the kind you read it as")


class ClaimShare(BaseModel):
    """The link a resident gives peers to reach the claim, and its QR code (SVG)."""

    record_id: str
    link: str
    qr_svg: str = Field(description="an SVG image of the QR code of ``link``, made here")


def _claim(services: Services, account: Account, record_id: str) -> tuple[dict[str, Any], Any]:
    """The claim and its rule, if ``account`` is its claimant or may evaluate it; else 404."""
    relay = services.relay
    found = relay.claim_statuses([record_id]) if relay is not None else []
    if not found:
        _ = account.roles  # read as for a claim that exists: the two 404s take alike long
        raise no_claim(record_id)
    claim = found[0]
    rule = relay.rule_in_force(claim["category"])
    if claim["resident"].lower() == account.address.lower():
        return claim, rule
    if evaluator_kinds(account, claim_subject(claim), rule):
        return claim, rule
    raise no_claim(record_id)


@routes.get("/details", summary="A claim as its evaluators see it", errors=(401, 404, 503))
def claim_details(
    record_id: RecordIdPath, account: CurrentAccount, services: ServicesDep
) -> ClaimDetails:
    """For the claimant and the evaluators of a kind the category accepts (404 for anyone else,
    as for a claim never received). Reads no evidence: ``GET .../evidence`` does, logged."""
    claim, rule = _claim(services, account, record_id)
    own = claim["resident"].lower() == account.address.lower()
    evidence = str(claim["evidence"]).lower()
    return ClaimDetails(
        record_id=claim["record_id"],
        resident=checksum(claim["resident"]),
        category=claim["category"],
        units=claim["units"],
        occurred_at=claim["occurred_at"],
        status=claim["status"],
        confirmations=claim.get("confirmations"),
        has_evidence=evidence != ZERO32,
        evidence_commitment=None if evidence == ZERO32 else evidence,
        viewer="claimant" if own else "evaluator",
        may_confirm_as=[] if own else evaluator_kinds(account, claim_subject(claim), rule),
    )


@routes.get(
    "/evidence", summary="A claim's evidence, logged", errors=(401, 403, 404, 410, 422, 503)
)
def claim_evidence(
    record_id: RecordIdPath,
    account: CurrentAccount,
    services: ServicesDep,
    purpose: Annotated[Literal["confirm", "review"], Query(description="why you read it")] = (
        "confirm"
    ),
) -> ClaimEvidence:
    """The evidence content for the claimant (logged as ``owner``) or an entitled evaluator
    (logged with their kind and ``purpose``). 404 ``not_found`` as for the details, also when
    the claim has no evidence kept here; 410 ``erased`` once the resident erased it."""
    claim, rule = _claim(services, account, record_id)
    read = access_of(services).read_for(account, claim_subject(claim), rule, purpose=purpose)
    record = read.record
    text: str | None = None
    if record.media_type == "text/plain":
        try:
            text = read.content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    return ClaimEvidence(
        record_id=claim["record_id"],
        evidence_id=record.id,
        commitment=record.commitment,
        media_type=record.media_type,
        size=record.size,
        created_at=record.created_at,
        text=text,
        content_base64=None if text is not None else base64.b64encode(read.content).decode(),
        salt="0x" + read.salt.hex(),
        read_as=read.capacity,
    )


@routes.get("/share", summary="The link and QR code peers reach a claim by", errors=(401, 404, 503))
def claim_share(
    record_id: RecordIdPath, account: CurrentAccount, services: ServicesDep
) -> ClaimShare:
    """For the claimant only (404 for anyone else): the web client's address with the claim
    (``CREDIT_SIWE_URI`` + ``/#/confirm/<record id>``) and its QR code, made by the gateway."""
    claim, _ = _claim(services, account, record_id)
    if claim["resident"].lower() != account.address.lower():
        raise no_claim(record_id)
    link = share_link(services.settings.siwe_uri, claim["record_id"])
    return ClaimShare(record_id=claim["record_id"], link=link, qr_svg=qr_svg(link))


def share_link(base: str, record_id: str) -> str:
    """The web client's address that opens the confirm view with ``record_id`` loaded."""
    return f"{base.rstrip('/')}/#/confirm/{record_id.lower()}"


def qr_svg(text: str) -> str:
    """An SVG QR code of ``text`` (error correction M: still readable from a phone's screen)."""
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, title="QR code"
    )
    return out.getvalue().decode()
