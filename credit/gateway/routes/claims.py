"""Claims and confirmations: residents' and evaluators' signed messages, relayed in batches.

Posting needs no session: the EIP-712 signature is the authority, and every check the ledger
makes is made before any gas is spent. Reading a claim needs a session: the resident themself
or an official evaluator (SUPERIOR, PUBLIC_PANEL, EXPERT roles on chain).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query

from credit.gateway.claim_models import BulkOut, ClaimStatusOut, ConfirmationOut, QueueOut
from credit.gateway.deps import (
    Account,
    CurrentAccount,
    ServicesDep,
    is_self_or_role,
    require_role,
)
from credit.gateway.errors import ApiError, NotFound, refusal_body
from credit.gateway.routes._route import Routes
from credit.gateway.services import Services
from credit.relay.models import HEX32, MAX_CLAIMS_PER_REQUEST, ClaimIn, ClaimsIn, ConfirmationIn
from credit.relay.service import Relay

routes = Routes(tags=["claims"])

EVALUATOR_ROLES = ("SUPERIOR", "PUBLIC_PANEL", "EXPERT")
RecordIdPath = Annotated[str, Path(pattern=HEX32, description="the claim's record id")]
Evaluator = Annotated[Account, Depends(require_role(*EVALUATOR_ROLES))]


def _relay(services: Services) -> Relay:
    relay = services.relay
    if relay is None:
        raise ApiError(503, "relay_unavailable", "the relay is not running: try again later")
    return relay


CLAIM_DESCRIPTION = """No session: the EIP-712 signature is the authority. The resident signs
`Claim(address resident,uint16 category,uint16 units,uint48 occurredAt,bytes32 evidence,
uint32 nonce,uint48 deadline)` under `eip712.domain` of `GET /v1/config` (ethers:
`signer.signTypedData(config.eip712.domain, config.eip712.messages.Claim.types, value)`), and this
body carries the same values with `occurredAt` sent as **`occurred_at`**, plus the signature:
either `signature` (65 bytes, as wallets return it) or the EIP-2098 pair `r` and `vs`, never
both. `nonce` is the resident's next claim nonce: `claim_nonce` of
`GET /v1/residents/{address}/nonces`, which needs a session of that resident
(`POST /v1/auth/login`); `deadline` is a unix time after the chain's clock (`chain_time` there).
The answer's `record_id` (the struct's EIP-712 digest) is what evaluators confirm; the claim
waits for confirmations, then is relayed to the ledger. Walk-through: `docs/integrate.md`."""


@routes.post(
    "/claims",
    status_code=202,
    summary="Submit a signed claim for relaying",
    description=CLAIM_DESCRIPTION,
    response_model=ClaimStatusOut,
    errors=(413, 503),
    codes={
        403: "`not_registered`",
        409: "`duplicate_claim`, `claim_already_waiting`, `nonce_used`",
        422: "`invalid_request`, `invalid_signature` (its details name the published "
        "domain), `expired`, `deadline_too_close`, `deadline_too_far`, `occurred_in_future`, "
        "`unknown_category`, `automated_category`, `invalid_units`, `nonce_gap`, "
        "`claim_nonces_exhausted`",
        429: "`too_many_waiting_claims`",
    },
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


@routes.post(
    "/claims/batch",
    summary="Submit many signed claims in one request",
    description=BULK_DESCRIPTION,
    response_model=BulkOut,
    response_model_exclude_unset=True,  # an accepted claim has no `error`, a refused no `status`
    errors=(413, 422, 503),
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


@routes.get("/claims/{record_id}", summary="Status of a claim", errors=(401, 404, 422, 503))
def claim_status(
    record_id: RecordIdPath, services: ServicesDep, account: CurrentAccount
) -> ClaimStatusOut:
    """Waiting (with confirmations present vs needed), pending, queued, sent, credited, rejected.

    404 alike for a claim that was never received and for one the caller may not read, so
    that nobody learns from the answer whether someone else's claim exists."""
    found = _relay(services).claim_statuses([record_id])
    if found and is_self_or_role(account, found[0]["resident"]):  # their own: no role read
        return ClaimStatusOut.model_validate(found[0])
    # roles are read whether the claim exists or not, so their first read (a chain call)
    # does not time the two answers apart
    if account.has(*EVALUATOR_ROLES) and found:
        return ClaimStatusOut.model_validate(found[0])
    raise NotFound(
        f"no claim {record_id.lower()} that you may read: a resident reads their own claims, "
        "an official evaluator (SUPERIOR, PUBLIC_PANEL or EXPERT) every claim"
    )


@routes.post(
    "/confirmations",
    status_code=202,
    summary="Submit a signed confirmation",
    description="No session: the evaluator signs `Confirmation(bytes32[] records,uint8 kind,"
    "uint48 deadline)` under `eip712.domain` of `GET /v1/config` (ethers: "
    "`config.eip712.messages.Confirmation.types`); the body carries the same values and the "
    "signature (`signature`, or `r` and `vs`). `records` are record ids as `POST /v1/claims` "
    "answered them, each once, sorted ascending; `kind` 0 SUPERIOR, 1 PEER, 2 PUBLIC, 3 EXPERT.",
    response_model=ConfirmationOut,
    errors=(404, 413, 503),
    codes={
        403: "`lacks_role`, `self_confirmation`",
        409: "`record_not_open`, `already_confirmed`",
        422: "`invalid_request`, `invalid_signature`, `expired`, `deadline_too_close`, "
        "`records_not_sorted`, `too_many_records`, `mixed_records`, `unrelayable_records`",
    },
)
def submit_confirmation(body: ConfirmationIn, services: ServicesDep) -> dict[str, Any]:
    """Check an evaluator's signed confirmation (signature, role, records, deadline); store it."""
    return _relay(services).accept_confirmation(body)


@routes.get(
    "/confirmations/queue", summary="Claims waiting for confirmations", errors=(401, 403, 422, 503)
)
def confirmation_queue(
    services: ServicesDep, account: Evaluator, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> QueueOut:
    """Waiting claims the caller (an official evaluator) has not confirmed yet, oldest first."""
    return QueueOut.model_validate(
        {"claims": _relay(services).confirmation_queue(account.address, limit)}
    )
