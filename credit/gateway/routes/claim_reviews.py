"""A resident's own claims ("My claims", on any device) and evaluators' rejections of claims.

``GET /v1/residents/{address}/claims``: only that resident (a session of theirs), newest first,
paged by ``before``. ``POST /v1/claims/{record_id}/rejections``: no session, like confirmations:
the evaluator's EIP-712 ``Rejection`` is the authority, and the relay checks who may reject
(:mod:`credit.relay.reject`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from credit.chain.roles import checksum
from credit.gateway.claim_models import RejectionOut, ResidentClaimsOut, claim_out
from credit.gateway.deps import CurrentAccount, ServicesDep
from credit.gateway.errors import ApiError, Forbidden
from credit.gateway.routes._route import Routes
from credit.relay.models import ADDRESS, HEX32, RejectionIn
from credit.relay.service import Relay

routes = Routes(tags=["claims"])

RecordIdPath = Annotated[str, Path(pattern=HEX32, description="the claim's record id")]
AddressPath = Annotated[str, Path(pattern=ADDRESS, description="the resident's address")]


def _relay(relay: Relay | None) -> Relay:
    if relay is None:
        raise ApiError(503, "relay_unavailable", "the relay is not running: try again later")
    return relay


@routes.get(
    "/residents/{address}/claims",
    summary="A resident's claims and where each one is",
    errors=(401, 403, 422, 503),
)
def resident_claims(
    address: AddressPath,
    account: CurrentAccount,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[int | None, Query(ge=1, description="`next_before` of a page")] = None,
) -> ResidentClaimsOut:
    """The signed-in resident's claims received here, newest first: waiting (with the kinds of
    evaluator who confirmed so far and those still needed), credited (with the transaction) or
    rejected (with the reason, the rejecting evaluator's kind and note). Nobody else reads this
    list, officials included (they read single claims): 403 ``forbidden``."""
    if address.lower() != account.address.lower():
        raise Forbidden(
            f"{account.address} may only list its own claims: sign in as {checksum(address)}"
        )
    found = _relay(services.relay).resident_claims(address, limit + 1, before)
    page = [claim_out(s) for s in found[:limit]]
    more = len(found) > limit
    return ResidentClaimsOut(
        resident=checksum(address), claims=page, next_before=page[-1].seq if more else None
    )


REJECT_DESCRIPTION = """An evaluator who may confirm the claim (an official of a kind its
activity takes, or a registered resident other than the claimant, as PEER) rejects it instead,
with a reason and a note for the resident. The body is an EIP-712 `Rejection(bytes32 recordId,
uint8 kind,uint8 reason,bytes32 note)` under the ledger's domain (`GET /v1/config`), `reason`
being the index of the reason in `did_not_happen, wrong_amount, wrong_date,
not_enough_evidence, other` and `note` the keccak-256 of the note's UTF-8 bytes. The claim leaves
every confirmation queue and is never relayed; endorsements naming it are dropped; the resident's
later claims, whose nonces came after it, are closed too (`closed`) and can be signed again. The
resident is told by a notice citing its rule. Errors: 404 `not_found`; 409 `not_waiting` (already
credited, rejected or being relayed), `already_confirmed` (the evaluator confirmed it); 403
`own_claim`, `not_entitled` (the kind is not the evaluator's, or the activity takes no
confirmation of that kind); 422 `invalid_signature` (another signer, or signed over another
claim, kind, reason or note), `invalid_request`."""


@routes.post(
    "/claims/{record_id}/rejections",
    status_code=201,
    summary="Reject a waiting claim, with a reason (signed)",
    description=REJECT_DESCRIPTION,
    errors=(403, 404, 409, 422, 503),
)
def reject_claim(record_id: RecordIdPath, body: RejectionIn, services: ServicesDep) -> RejectionOut:
    """Check an evaluator's signed rejection and close the claim."""
    out = _relay(services.relay).reject_claim(record_id, body)
    return RejectionOut(claim=claim_out(out["claim"]), closed=out["closed"])
