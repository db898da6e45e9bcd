"""A resident's own view: credit, records, notices (polled or streamed), acknowledgements."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from credit.errors import CreditError
from credit.gateway.deps import (
    CurrentAccount,
    ServicesDep,
    ensure_self_or_role,
    off_loop,
    require_role,
)
from credit.gateway.errors import ApiError, error_response
from credit.gateway.notices_service import NoticeService
from credit.gateway.resident_models import NoncesOut, NoticesOut, SummaryOut
from credit.gateway.responses import AddressPath
from credit.gateway.routes._route import Routes
from credit.gateway.services import Services

routes = Routes(tags=["residents"])
# Officials who may look at a resident's credit summary to decide on records and appeals.
OFFICIALS = ("SUPERIOR", "PUBLIC_PANEL", "EXPERT", "ARBITER")
KEEP_ALIVE_SECONDS = 15.0  # a comment on an idle stream, so that proxies keep it open


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
@routes.get("/residents/{address}", response_model=SummaryOut, errors=(401, 403, 422, 503))
async def resident_summary(
    address: AddressPath, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
    """Credit with expiry, epoch earnings and records, served from the index."""
    await _allow(account, address, *OFFICIALS)
    indexer = _indexer(services)
    cached: dict[str, Any] | None = indexer.cached_resident_summary(address)  # memory, inline
    if cached is not None:
        return cached
    summary: dict[str, Any] = await off_loop(services, indexer.resident_summary, address)
    return summary


NONCES_DESCRIPTION = """Needs a session (`Authorization: Bearer <token>` from
`POST /v1/auth/login`) of the resident themself (or an official). `claim_nonce` is the `nonce` to
sign in the resident's next `Claim`: the ledger's claim nonce, moved past the claims this gateway
already holds for them, so a wallet that signs several claims before they are booked uses
consecutive nonces. `account_nonce` is the ledger's `nonces(address)`, signed in an `Appeal`
(never in a claim). `chain_time` is the latest block's timestamp, the clock every `deadline` is
checked against (on test chains it may differ from the wall clock): sign a `deadline` a few
minutes after it."""


@routes.get(
    "/residents/{address}/nonces",
    response_model=NoncesOut,
    description=NONCES_DESCRIPTION,
    errors=(401, 403, 422, 503),
)
def resident_nonces(
    address: AddressPath, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
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


@routes.get("/residents/{address}/notices", response_model=NoticesOut, errors=(401, 403, 422, 503))
async def resident_notices(
    address: AddressPath, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
    """The resident's reminders and warnings: each names its rule, version, hash and evidence."""
    await _allow(account, address)  # a resident sees only their own notices
    notices = await _current_notices(services, address)
    return {"resident": address.lower(), "notices": notices}


async def _current_notices(services: Services, address: str) -> list[dict[str, Any]]:
    """``address``'s notices: where they are cached at the index's position a lookup and one read
    (:func:`off_loop`), else evaluated in a thread."""
    service = _notices(services)
    if service.reads_memory_only():
        notices = service.cached_notices_for(address)
    else:
        notices = await off_loop(services, service.cached_notices_for, address)
    if notices is None:
        notices = await asyncio.to_thread(service.notices_for, address)
    return notices


@routes.post(
    "/residents/{address}/notices/{notice_id}/ack", status_code=204, errors=(401, 403, 404, 503)
)
def acknowledge(
    address: AddressPath, notice_id: str, account: CurrentAccount, services: ServicesDep
) -> Response:
    """Acknowledge one of your notices (idempotent)."""
    ensure_self_or_role(account, address)
    _notices(services).acknowledge(address, notice_id)
    return Response(status_code=204)


STREAM_DESCRIPTION = f"""Server-sent events (`text/event-stream`): the current notices, then each
new one as the ledger moves (`event: notice`, the notice as JSON), and a comment every
{KEEP_ALIVE_SECONDS:.0f} s while nothing happens. The stream ends after `limit` notices or
`max_seconds`; reconnect then. The session comes in the `Authorization: Bearer` header as on every
other route, never in the URL (URLs are written to access logs): read the stream with `fetch()`,
which can send the header, rather than `EventSource`, which cannot. If the stream cannot start
(the node or the index is away) the answer is the usual error envelope; if it breaks once started,
the last event is `event: error` carrying that envelope, and the stream ends."""


@routes.get(
    "/residents/{address}/notices/stream", errors=(401, 403, 503), description=STREAM_DESCRIPTION
)
async def notice_stream(
    address: AddressPath,
    request: Request,
    services: ServicesDep,
    account: CurrentAccount,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
    max_seconds: Annotated[float, Query(gt=0, le=86_400)] = 3_600,
) -> StreamingResponse:
    """Server-sent events: the current notices, then each new one as the ledger moves."""
    await _allow(account, address)  # a resident streams only their own notices
    # read before the response starts, so that a node or an index that is away is a 503 answer
    first = await _current_notices(services, address)
    events = _notice_events(
        request, services, address, first, limit, time.monotonic() + max_seconds
    )
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


async def _notice_events(
    request: Request,
    services: Services,
    address: str,
    notices: list[dict[str, Any]],
    limit: int,
    end: float,
) -> AsyncIterator[bytes]:
    """The stream's events: ``notices``, then new ones as the index moves; keep-alives.

    A stream waits on an ``asyncio.Event`` that the indexer's thread sets (through the loop), so an
    open stream holds no thread: thousands of residents may keep one open while every other route
    keeps the thread pools to itself.
    """
    loop, indexer = asyncio.get_running_loop(), services.indexer
    changed = asyncio.Event()

    def wake(_stored: int) -> None:  # in the indexer's thread, after a sync that stored events
        with contextlib.suppress(RuntimeError):  # the loop is closed: this stream is gone too
            loop.call_soon_threadsafe(changed.set)

    if indexer is not None:
        indexer.subscribe(wake)
    sent: set[str] = set()
    try:
        while True:
            for notice in notices:
                if notice["id"] in sent or len(sent) >= limit:
                    continue
                sent.add(notice["id"])
                yield f"id: {notice['id']}\nevent: notice\ndata: {json.dumps(notice)}\n\n".encode()
            left = end - time.monotonic()
            if len(sent) >= limit or left <= 0 or await request.is_disconnected():
                return  # clients reconnect
            try:
                await asyncio.wait_for(changed.wait(), min(KEEP_ALIVE_SECONDS, left))
            except TimeoutError:
                yield b": keep-alive\n\n"
            changed.clear()  # before reading: a sync during the read wakes the next wait at once
            notices = await _current_notices(services, address)
    except CreditError as exc:  # the response has started: no exception handler can answer now
        answer = await error_response(request, exc)
        yield b"event: error\ndata: " + bytes(answer.body) + b"\n\n"
    finally:  # a closed stream leaves no listener behind
        if indexer is not None:
            indexer.unsubscribe(wake)


@routes.get("/notices/export", errors=(401, 403, 503))
def export_notices(
    services: ServicesDep,
    _: Annotated[Any, Depends(require_role("ARBITER", "DEFAULT_ADMIN"))],
) -> Response:
    """Every resident's notices as canonical JSON, for auditors to compare with their own."""
    return Response(_notices(services).export(), media_type="application/json")
