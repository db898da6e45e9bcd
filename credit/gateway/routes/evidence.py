"""Evidence uploads: stored off chain; the response gives the salted commitment to sign."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from credit.gateway.deps import CurrentAccount, ServicesDep
from credit.gateway.evidence import EvidenceStore
from credit.gateway.responses import error_responses
from credit.gateway.services import Services

router = APIRouter(tags=["evidence"])


def _store(services: Services) -> EvidenceStore:
    if services.evidence is None:
        s = services.settings
        services.evidence = EvidenceStore(services.engine, s.evidence_path, s.max_evidence_bytes)
    store: EvidenceStore = services.evidence
    return store


@router.post("/evidence", status_code=201, responses=error_responses(401, 413, 415, 422))
async def upload(
    request: Request, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
    """Upload evidence as the raw body (text/plain, image/png, image/jpeg or application/pdf).

    Returns its id and ``commitment``: put the commitment in your claim's ``evidence`` field. Only
    the commitment ever reaches the chain.
    """
    media = request.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    body = await request.body()
    return _store(services).put(account.address, body, media).public()


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
    """Erase your evidence: content and salt are deleted, the commitment can no longer be linked."""
    return _store(services).erase(evidence_id, account.address).public()


def _roles(account: Any) -> frozenset[str]:
    # evidence.READER_ROLES uses the on-chain role names with the _ROLE suffix
    return frozenset(f"{r}_ROLE" for r in account.roles)
