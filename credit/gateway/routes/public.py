"""Public pages' reads: records, rule sets (and their documents), epochs, addresses, transactions.

Anonymous, read-only, served from the index, and rate-limited per client address like the
``/rpc`` window (``CREDIT_PUBLIC_READS_PER_MINUTE``). Only what is on chain, plus the rule
documents whose hashes are on chain (see :mod:`credit.gateway.public_pages`).
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Path, Request
from fastapi.responses import Response

from credit.gateway import public_pages, public_rules
from credit.gateway.deps import ServicesDep, app_singleton, client_wait
from credit.gateway.errors import ApiError
from credit.gateway.public_models import (
    PublicAddress,
    PublicEpoch,
    PublicRecord,
    PublicRuleSet,
    PublicTransaction,
)
from credit.gateway.ratelimit import retry_after_header
from credit.gateway.routes._route import Routes
from credit.relay.models import HEX32


def limit_public_reads(request: Request, services: ServicesDep) -> None:
    """429 ``too_many_requests`` past the per-client budget of public reads (the public pages'
    and the verification state's: one budget per client address)."""
    wait = client_wait(request, "public_limiter", services.settings.public_reads_per_minute)
    if wait is not None:
        seconds = retry_after_header(wait)
        raise ApiError(
            429,
            "too_many_requests",
            f"too many reads of public pages from this address: wait {seconds} s and try again",
            headers={"Retry-After": seconds},
        )


routes = Routes(prefix="/public", tags=["public"], dependencies=[Depends(limit_public_reads)])
RecordId = Annotated[str, Path(pattern=HEX32, description="the record id (0x + 64 hex)")]
TxHash = Annotated[str, Path(pattern=HEX32, description="the transaction hash (0x + 64 hex)")]
Version = Annotated[int, Path(ge=1, le=65535, description="the rule-set version")]
Epoch = Annotated[int, Path(ge=0, lt=2**24, description="the epoch number")]
Address = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="an address")]
ERRORS = (404, 422, 429, 503)


def _origins(request: Request) -> public_pages.RelayedOrigins:
    origins: public_pages.RelayedOrigins = app_singleton(
        request, "relayed_origins", public_pages.RelayedOrigins
    )
    return origins


OriginsDep = Annotated[public_pages.RelayedOrigins, Depends(_origins)]


@routes.get("/records/{record_id}", errors=ERRORS)
async def public_record(
    record_id: RecordId, services: ServicesDep, origins: OriginsDep
) -> PublicRecord:
    """A booked record: category, points, rule version, its confirmers and their kinds, the
    transaction, the activity date, and its appeal if any. 404 ``no_record`` otherwise."""
    return await anyio.to_thread.run_sync(
        public_pages.record_page, services, record_id.lower(), origins
    )


@routes.get("/rule-sets/{version}", errors=ERRORS)
async def public_rule_set(version: Version, services: ServicesDep) -> PublicRuleSet:
    """A published version: content hash, URI, when it takes effect, the diff to the previous.
    404 ``no_rule_version`` if never published."""
    return await anyio.to_thread.run_sync(public_rules.rule_set_page, services, version)


@routes.get(
    "/rule-sets/{version}/document",
    responses={200: {"content": {"application/json": {}}, "description": "the canonical bytes"}},
    errors=ERRORS,
)
async def public_rule_document(version: Version, services: ServicesDep) -> Response:
    """The exact canonical bytes whose keccak-256 is the version's on-chain content hash (the
    URI ``credit deploy`` and ``credit rules publish`` put on chain). 404 ``no_rule_version``
    or ``no_rule_document``."""
    body = await anyio.to_thread.run_sync(public_rules.rule_document, services, version)
    return Response(body, media_type="application/json", headers={"Cache-Control": "max-age=3600"})


@routes.get("/epochs/{epoch}", errors=ERRORS)
async def public_epoch(epoch: Epoch, services: ServicesDep) -> PublicEpoch:
    """An epoch's dates, records and points booked in it, rewards paid for it.
    404 ``epoch_not_started`` for a future epoch."""
    return await anyio.to_thread.run_sync(public_pages.epoch_page, services, epoch)


@routes.get("/addresses/{address}", errors=ERRORS)
async def public_address(
    address: Address, services: ServicesDep, origins: OriginsDep
) -> PublicAddress:
    """Records about an address, and records it confirmed or reported (directly, or by a
    signature a relay transaction carries)."""
    return await anyio.to_thread.run_sync(public_pages.address_page, services, address, origins)


@routes.get("/transactions/{tx_hash}", errors=ERRORS)
async def public_transaction(tx_hash: TxHash, services: ServicesDep) -> PublicTransaction:
    """What one of the ledger's transactions booked. 404 ``no_transaction`` otherwise."""
    return await anyio.to_thread.run_sync(public_pages.transaction_page, services, tx_hash)
