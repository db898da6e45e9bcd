"""Evidence uploads: stored off chain; the response gives the salted commitment to sign."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from credit.gateway.deps import Account, CurrentAccount, ServicesDep, require_role
from credit.gateway.evidence import UPLOADER_ROLES, EvidenceStore
from credit.gateway.responses import error_responses
from credit.gateway.services import Services

router = APIRouter(tags=["evidence"])


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


@router.post("/evidence", status_code=201, responses=error_responses(401, 403, 413, 415, 422))
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


@router.get("/evidence/{evidence_id}", responses=error_responses(401, 403, 404, 410))
def metadata(evidence_id: str, account: CurrentAccount, services: ServicesDep) -> dict[str, Any]:
    """Metadata of an evidence item (owner or official evaluators)."""
    record, _, _ = _store(services).read(evidence_id, account.address, _roles(account))
    return record.public()


@router.get("/evidence/{evidence_id}/content", responses=error_responses(401, 403, 404, 410))
def content(evidence_id: str, account: CurrentAccount, services: ServicesDep) -> Response:
    """The content, with its salt in ``X-Evidence-Salt`` so the reader can check the commitment."""
    record, data, salt = _store(services).read(evidence_id, account.address, _roles(account))
    return Response(
        data, media_type=record.media_type, headers={"X-Evidence-Salt": "0x" + salt.hex()}
    )


@router.delete("/evidence/{evidence_id}", responses=error_responses(401, 403, 404))
def erase(evidence_id: str, account: CurrentAccount, services: ServicesDep) -> dict[str, Any]:
    """Erase your evidence: content and salt are deleted from every file, the commitment can no
    longer be linked; the space counts no more against your quota."""
    return _store(services).erase(evidence_id, account.address).public()


def _roles(account: Any) -> frozenset[str]:
    # evidence.READER_ROLES uses the on-chain role names with the _ROLE suffix
    return frozenset(f"{r}_ROLE" for r in account.roles)
