"""Evidence uploads: stored off chain; the response gives the salted commitment to sign."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from credit.chain.roles import checksum
from credit.gateway.deps import Account, CurrentAccount, ServicesDep, require_role
from credit.gateway.errors import Forbidden
from credit.gateway.evidence import ALLOWED_TYPES, UPLOADER_ROLES, EvidenceStore
from credit.gateway.evidence_access import MAX_PAGE, EvidenceAccess, access_rows, is_auditor
from credit.gateway.routes._route import Routes
from credit.gateway.services import Services
from credit.relay.models import ADDRESS

routes = Routes(tags=["evidence"])


def _store(services: Services) -> EvidenceStore:
    if services.evidence is None:
        services.evidence = EvidenceStore.from_settings(services.engine, services.settings)
    store: EvidenceStore = services.evidence
    return store


# a plain def (require_role's): FastAPI runs it in the thread pool, where the role read may wait
# for the node
Uploader = Annotated[
    Account,
    Depends(
        require_role(
            *sorted(UPLOADER_ROLES),
            refusal="is neither a registered resident nor an official: only they may upload "
            "evidence; ask the city's registrar to register you as a resident",
        )
    ),
]


class EvidenceOut(BaseModel):
    """An evidence item's metadata; put ``commitment`` in a claim's ``evidence`` field."""

    id: str
    owner: str
    commitment: str = Field(description="keccak256(salt || content): what goes on chain")
    media_type: str
    size: int
    created_at: str = Field(description="ISO 8601, UTC")
    erased: bool


BINARY_BODY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "the evidence itself, as raw bytes of its media type",
        "content": {
            "text/plain": {"schema": {"type": "string", "minLength": 1}},
            "image/png": BINARY_BODY,
            "image/jpeg": BINARY_BODY,
            "application/pdf": BINARY_BODY,
            "application/octet-stream": BINARY_BODY,
        },
    }
}


@routes.post(
    "/evidence",
    status_code=201,
    response_model=EvidenceOut,
    openapi_extra=UPLOAD_BODY,
    errors=(401, 413, 415, 422, 503, 507),
    codes={403: "`forbidden` (not a registered resident or an official)"},
)
async def upload(request: Request, account: Uploader, services: ServicesDep) -> dict[str, Any]:
    """Upload evidence as the raw body (text/plain, image/png, image/jpeg or application/pdf).

    Returns its id and ``commitment``: put the commitment in your claim's ``evidence`` field. Only
    the commitment ever reaches the chain. Registered residents and officials only; each account
    keeps a bounded amount (413 ``evidence_quota_exceeded``: erase some first), and all together
    too (413 ``evidence_budget_exhausted``).
    """
    media = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    body = await request.body()
    # off the event loop: the file write, its sync and the quota check under the writer lock
    record = await asyncio.to_thread(_store(services).put, account.address, body, media)
    return record.public()


class AccessLogEntry(BaseModel):
    """One read of an evidence item: who, in what capacity, for which record, why, when."""

    id: int
    evidence_id: str
    owner: str = Field(description="the evidence's owner (checksummed address)")
    reader: str = Field(description="who read it (checksummed address)")
    capacity: str = Field(
        description="owner, or the kind they read it as: SUPERIOR, PEER, PUBLIC, EXPERT, ARBITER"
    )
    record_id: str | None = Field(description="the record it was read for, if any")
    purpose: str = Field(description="confirm, decide appeal, own, ...")
    what: Literal["content", "metadata"]
    at: datetime


class AccessLogPage(BaseModel):
    """A page of the access log, newest first; ask again with ``before=next_before`` for more."""

    scope: Literal["all", "own"] = Field(
        description="all: an auditor's view; own: the reads of the caller's own evidence"
    )
    entries: list[AccessLogEntry]
    next_before: int | None


@routes.get("/evidence/access-log", summary="Who read which evidence", errors=(401, 403, 422))
def access_log(
    account: CurrentAccount,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    before: Annotated[int | None, Query(ge=1, description="next_before of the page before")] = None,
    owner: Annotated[
        str | None, Query(pattern=ADDRESS, description="auditors: only this owner's evidence")
    ] = None,
    reader: Annotated[
        str | None, Query(pattern=ADDRESS, description="auditors: only this reader's reads")
    ] = None,
) -> AccessLogPage:
    """Auditors (``CREDIT_AUDITOR_ADDRESSES``) read every row; a resident, or an official who
    uploads evidence, reads the rows of their own evidence; anyone else is refused (403). The
    rows hold no content and outlive the evidence's erasure."""
    if is_auditor(account, services.settings.auditor_addresses):
        scope: Literal["all", "own"] = "all"
    elif account.has(*sorted(UPLOADER_ROLES)):
        scope, owner, reader = "own", account.address, None
    else:
        raise Forbidden(
            f"{account.address} keeps no evidence and is not an auditor: the access log is read "
            "by the residents whose evidence was read, and by the city's auditors",
            {"auditor": False},
        )
    rows, more = access_rows(
        services.engine, owner=owner, reader=reader, before=before, limit=limit
    )
    return AccessLogPage(
        scope=scope,
        entries=[
            AccessLogEntry.model_validate(
                {**r, "owner": checksum(str(r["owner"])), "reader": checksum(str(r["reader"]))}
            )
            for r in rows
        ],
        next_before=more,
    )


@routes.get("/evidence/{evidence_id}", response_model=EvidenceOut, errors=(401, 403, 404, 410, 503))
def metadata(evidence_id: str, account: CurrentAccount, services: ServicesDep) -> dict[str, Any]:
    """Metadata of an evidence item: its owner, an evaluator entitled to a claim that carries
    it, or an arbiter. Each read is logged (``GET /v1/evidence/access-log``)."""
    record, _, _ = access_of(services).read_by_id(account, evidence_id, content=False)
    return record.public()


@routes.get(
    "/evidence/{evidence_id}/content",
    response_class=Response,
    responses={
        200: {
            "description": "the content, in its media type; its salt in X-Evidence-Salt",
            "content": {t: BINARY_BODY for t in sorted(ALLOWED_TYPES)},
        },
    },
    errors=(401, 403, 404, 410, 503),
)
def content(evidence_id: str, account: CurrentAccount, services: ServicesDep) -> Response:
    """The content, with its salt in ``X-Evidence-Salt`` so the reader can check the commitment.
    Who may read it as for the metadata; each read is logged."""
    record, data, salt = access_of(services).read_by_id(account, evidence_id, content=True)
    return Response(
        data, media_type=record.media_type, headers={"X-Evidence-Salt": "0x" + salt.hex()}
    )


@routes.delete("/evidence/{evidence_id}", response_model=EvidenceOut, errors=(401, 403, 404, 503))
def erase(evidence_id: str, account: CurrentAccount, services: ServicesDep) -> dict[str, Any]:
    """Erase your evidence: content and salt are deleted from every file, the commitment can no
    longer be linked; the space counts no more against your quota."""
    return _store(services).erase(evidence_id, account.address).public()


def access_of(services: Services) -> EvidenceAccess:
    """Checked, logged reads over the gateway's evidence store (rules from the relay)."""
    relay = services.relay
    return EvidenceAccess(
        _store(services), services.engine, relay.rule_in_force if relay is not None else None
    )
