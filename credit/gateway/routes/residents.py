"""A resident's own view: credit, records, notices (polled or streamed), acknowledgements."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from credit.gateway.deps import (
    CurrentAccount,
    ServicesDep,
    current_account,
    ensure_self_or_role,
    require_role,
)
from credit.gateway.errors import ApiError
from credit.gateway.notices_service import NoticeService
from credit.gateway.responses import error_responses
from credit.gateway.services import Services

router = APIRouter(tags=["residents"])
# Officials who may look at a resident's credit summary to decide on records and appeals.
OFFICIALS = ("SUPERIOR", "PUBLIC_PANEL", "EXPERT", "ARBITER")


def _notices(services: Services) -> NoticeService:
    if services.notices is None:
        services.notices = NoticeService(services)
    notices: NoticeService = services.notices
    return notices


def _indexer(services: Services) -> Any:
    if services.indexer is None:
        raise ApiError(503, "index_unavailable", "the indexer is not running: try again shortly")
    return services.indexer


async def _allow(account: Any, address: str, *roles: str) -> None:
    """:func:`ensure_self_or_role` without blocking the event loop: reading someone's own data
    is decided at once; anything else may read roles from the chain, so it runs in a thread."""
    if address.lower() != account.address.lower():
        await asyncio.to_thread(ensure_self_or_role, account, address, *roles)


# The two hottest reads are ``async``: their usual work is a few indexed SQLite reads and cached
# values, cheaper on the event loop than a hop to the thread pool; anything slower (a chain read,
# evaluating everyone's notices after the index moved) is sent to a thread.
@router.get("/residents/{address}", responses=error_responses(401, 403, 503))
async def resident_summary(
    address: str, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
    """Credit with expiry, epoch earnings and records, served from the index."""
    await _allow(account, address, *OFFICIALS)
    summary: dict[str, Any] = _indexer(services).resident_summary(address)
    return summary


@router.get("/residents/{address}/nonces", responses=error_responses(401, 403))
def resident_nonces(address: str, account: CurrentAccount, services: ServicesDep) -> dict[str, Any]:
    """What to sign with next: the claim nonce, the account nonce (appeals) and the chain time.

    ``claim_nonce`` counts the claims this gateway already holds for the resident (what
    ``POST /v1/claims`` expects); ``chain_time`` is the latest block's timestamp, the clock
    signature deadlines are checked against (it may differ from the wall clock on test chains).
    """
    from credit.chain import relay_reads
    from credit.chain.roles import checksum
    from credit.relay.records import next_live_nonce

    ensure_self_or_role(account, address)
    system = services.system
    with services.engine.connect() as conn:
        held = next_live_nonce(conn, address.lower()) or 0
    return {
        "resident": address.lower(),
        "claim_nonce": max(relay_reads.claim_nonce(system, address), held),
        "account_nonce": int(system.ledger.functions.nonces(checksum(address)).call()),
        "chain_time": relay_reads.chain_time(system),
    }


@router.get("/residents/{address}/notices", responses=error_responses(401, 403, 503))
async def resident_notices(
    address: str, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
    """The resident's reminders and warnings: each names its rule, version, hash and evidence."""
    await _allow(account, address)  # a resident sees only their own notices
    service = _notices(services)
    notices = service.cached_notices_for(address)
    if notices is None:
        notices = await asyncio.to_thread(service.notices_for, address)
    return {"resident": address.lower(), "notices": notices}


@router.post(
    "/residents/{address}/notices/{notice_id}/ack",
    status_code=204,
    responses=error_responses(401, 403, 404, 503),
)
def acknowledge(
    address: str, notice_id: str, account: CurrentAccount, services: ServicesDep
) -> Response:
    """Acknowledge one of your notices (idempotent)."""
    ensure_self_or_role(account, address)
    _notices(services).acknowledge(address, notice_id)
    return Response(status_code=204)


def _stream_account(
    request: Request, services: ServicesDep, token: str | None = Query(None)
) -> Any:
    """Browsers' EventSource cannot set headers: the token may come as ``?token=``."""
    from fastapi.security import HTTPAuthorizationCredentials

    from credit.gateway.deps import get_sessions

    header = request.headers.get("authorization", "")
    raw = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else token
    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=raw) if raw else None
    return current_account(request, services, get_sessions(services), creds)


@router.get("/residents/{address}/notices/stream", responses=error_responses(401, 403, 503))
async def notice_stream(
    address: str,
    request: Request,
    services: ServicesDep,
    account: Annotated[Any, Depends(_stream_account)],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
    max_seconds: Annotated[float, Query(gt=0, le=86_400)] = 3_600,
) -> StreamingResponse:
    """Server-sent events: the current notices, then each new one as the ledger moves."""
    ensure_self_or_role(account, address)
    service = _notices(services)
    changed = threading.Event()
    indexer = services.indexer

    def wake(_stored: int) -> None:
        changed.set()

    async def events() -> AsyncIterator[bytes]:
        if indexer is not None:
            indexer.subscribe(wake)
        try:
            async for chunk in _notice_events(
                request, service, address, changed, limit, max_seconds
            ):
                yield chunk
        finally:  # a closed stream leaves no listener behind
            if indexer is not None:
                indexer.unsubscribe(wake)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


async def _notice_events(
    request: Request,
    service: NoticeService,
    address: str,
    changed: threading.Event,
    limit: int,
    max_seconds: float,
) -> AsyncIterator[bytes]:
    """The stream's events: current notices, then new ones as the index moves; keep-alives."""
    sent: set[str] = set()
    emitted = 0
    end = time.monotonic() + max_seconds  # clients reconnect (EventSource does by itself)
    while emitted < limit and time.monotonic() < end and not await request.is_disconnected():
        notices = await asyncio.to_thread(service.notices_for, address)
        for notice in notices:
            if notice["id"] in sent or emitted >= limit:
                continue
            sent.add(notice["id"])
            emitted += 1
            yield f"id: {notice['id']}\nevent: notice\ndata: {json.dumps(notice)}\n\n".encode()
        if emitted >= limit:
            break
        woke = await asyncio.to_thread(changed.wait, max(0.0, min(15.0, end - time.monotonic())))
        changed.clear()
        if not woke:
            yield b": keep-alive\n\n"


@router.get("/notices/export", responses=error_responses(401, 403, 503))
def export_notices(
    services: ServicesDep,
    _: Annotated[Any, Depends(require_role("ARBITER", "DEFAULT_ADMIN"))],
) -> Response:
    """Every resident's notices as canonical JSON, for auditors to compare with their own."""
    return Response(_notices(services).export(), media_type="application/json")
