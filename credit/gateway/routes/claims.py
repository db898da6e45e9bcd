"""Claims and confirmations: residents' and evaluators' signed messages, relayed in batches.

Posting needs no session: the EIP-712 signature is the authority, and every check the ledger
makes is made before any gas is spent. Reading a claim needs a session: the resident themself
or an official evaluator (SUPERIOR, PUBLIC_PANEL, EXPERT roles on chain).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from credit.gateway.deps import (
    Account,
    CurrentAccount,
    ServicesDep,
    is_self_or_role,
    require_role,
)
from credit.gateway.errors import ApiError, NotFound, refusal_body
from credit.gateway.responses import error_responses
from credit.gateway.services import Services
from credit.relay.models import HEX32, MAX_CLAIMS_PER_REQUEST, ClaimIn, ClaimsIn, ConfirmationIn
from credit.relay.service import Relay

router = APIRouter(tags=["claims"])

EVALUATOR_ROLES = ("SUPERIOR", "PUBLIC_PANEL", "EXPERT")
RecordIdPath = Annotated[str, Path(pattern=HEX32, description="the claim's record id")]
Evaluator = Annotated[Account, Depends(require_role(*EVALUATOR_ROLES))]


def _relay(services: Services) -> Relay:
    relay = services.relay
    if relay is None:
        raise ApiError(503, "relay_unavailable", "the relay is not running: try again later")
    return relay


@router.post(
    "/claims",
    status_code=202,
    summary="Submit a signed claim for relaying",
    responses=error_responses(403, 409, 422, 429, 503),
)
def submit_claim(body: ClaimIn, services: ServicesDep) -> dict[str, Any]:
    """Check a resident's signed claim (signature, registration, rules, nonce, deadline)."""
    return _relay(services).accept_claim(body)


BULK_DESCRIPTION = f"""For a kiosk or an organiser's app uploading claims its residents signed
offline, up to {MAX_CLAIMS_PER_REQUEST} per request. Each claim is checked exactly as
`POST /v1/claims` checks it; the good ones are stored in one database transaction. Each result,
in request order, says `accepted` (with the record id, `waiting` for confirmations) or gives the
claim's typed error (`status`, `code`, `message`, `details`, as the single endpoint would
answer): one bad claim never sinks the others. A resident's claims in one request may use
consecutive nonces, in any order. The bound on a resident's claims waiting for confirmations
(429 `too_many_waiting_claims`) is per resident, never per request: a kiosk uploading for many
residents is refused nothing for its size. A malformed body (a claim missing a field, an
unknown field, too many claims) is refused whole with 422, a body over the size limit with 413."""


@router.post(
    "/claims/batch",
    summary="Submit many signed claims in one request",
    description=BULK_DESCRIPTION,
)
def submit_claims(body: ClaimsIn, services: ServicesDep) -> dict[str, Any]:
    """Check each claim as ``POST /v1/claims`` does; store the good ones together."""
    results: list[dict[str, Any]] = []
    for o in _relay(services).accept_claims(body.claims):
        line: dict[str, Any] = {"index": o.index, "accepted": o.accepted}
        if o.error is None:
            line.update(record_id=o.record_id, status="waiting")
        else:
            line.update(record_id=o.record_id, error=refusal_body(o.error))
        results.append(line)
    accepted = sum(1 for r in results if r["accepted"])
    return {"accepted": accepted, "refused": len(results) - accepted, "results": results}


@router.get(
    "/claims/{record_id}",
    summary="Status of a claim",
    responses=error_responses(401, 404, 503),
)
def claim_status(
    record_id: RecordIdPath, services: ServicesDep, account: CurrentAccount
) -> dict[str, Any]:
    """Waiting (with confirmations present vs needed), pending, queued, sent, credited, rejected.

    404 alike for a claim that was never received and for one the caller may not read, so
    that nobody learns from the answer whether someone else's claim exists."""
    found = _relay(services).claim_statuses([record_id])
    if found and is_self_or_role(account, found[0]["resident"]):  # their own: no role read
        return found[0]
    # roles are read whether the claim exists or not, so their first read (a chain call)
    # does not time the two answers apart
    if account.has(*EVALUATOR_ROLES) and found:
        return found[0]
    raise NotFound(
        f"no claim {record_id.lower()} that you may read: a resident reads their own claims, "
        "an official evaluator (SUPERIOR, PUBLIC_PANEL or EXPERT) every claim"
    )


@router.post("/confirmations", status_code=202, summary="Submit a signed confirmation")
def submit_confirmation(body: ConfirmationIn, services: ServicesDep) -> dict[str, Any]:
    """Check an evaluator's signed confirmation (signature, role, records, deadline); store it."""
    return _relay(services).accept_confirmation(body)


@router.get("/confirmations/queue", summary="Claims waiting for confirmations")
def confirmation_queue(
    services: ServicesDep, account: Evaluator, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """Waiting claims the caller (an official evaluator) has not confirmed yet, oldest first."""
    return {"claims": _relay(services).confirmation_queue(account.address, limit)}
