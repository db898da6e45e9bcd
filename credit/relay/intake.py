"""Accepting signed claims: every check the ledger would make, before any gas (confirmations:
:mod:`credit.relay.confirm`).

Order of checks: shape, rules in force and signature (cheap, local), then the chain (time,
registration, roles, nonces: one round trip for all the claims of a request), then the database
(duplicates, nonce sequence) holding the residents' locks
(:func:`credit.relay.transaction.alongside`) so that two concurrent requests cannot both take one
nonce. A request of many claims goes through the same functions as a request of one,
and each claim gets its own outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from credit.chain.claim_reads import ClaimContext, claim_contexts
from credit.chain.eip712 import claim_digest
from credit.chain.rawtx import LAST_CLAIM_NONCE
from credit.errors import Conflict, Forbidden, Invalid, OverLimit, Refusal
from credit.relay import records, transaction
from credit.relay.core import RelayCore
from credit.relay.hints import (
    check_deadline,
    check_deadline_within,
    require_signer,
    signature_of,
)
from credit.relay.models import ClaimIn, claim_fields
from credit.relay.rows import ClaimRow, NewClaim

NO_CLAIMS = records.LiveClaims(next_nonce=0, waiting=0)  # a resident with no live claim


def invalid(code: str, message: str, details: Any = None) -> Invalid:
    return Invalid(code, message, details)


@dataclass
class ClaimCheck:
    """One claim of a request on its way through the checks: its row once it passes them all,
    else the error saying what the ledger would refuse (the first check that failed)."""

    index: int
    payload: ClaimIn
    row: NewClaim | None = None
    error: Refusal | None = None
    record_id: str | None = None  # known once the digest is computed
    chain_nonce: int = 0  # the resident's claimNonce on chain when checked


def check_claims(
    core: RelayCore, payloads: Sequence[ClaimIn], cpu: AbstractContextManager[Any] | None = None
) -> list[ClaimCheck]:
    """Every check of each claim that needs no database: shape, rules in force and signature
    (local, inside ``cpu``: the caller's bound on how many requests do this CPU work at once),
    then time, registration (the chain: one round trip for all the claims' residents, outside
    ``cpu``, since it only waits for the node).

    The one path for ``POST /v1/claims`` (a list of one) and ``POST /v1/claims/batch``; nonces and
    duplicates are checked by :func:`store_claims` under the residents' locks. A ChainError (node
    unreachable) fails the whole request before anything is stored.
    """
    checks = [ClaimCheck(i, p) for i, p in enumerate(payloads)]
    with cpu or nullcontext():
        for check in checks:
            try:
                _check_locally(core, check)
            except Refusal as exc:
                check.error = exc
    live = [c for c in checks if c.error is None]
    if not live:
        return checks
    contexts = claim_contexts(core.system, (c.payload.resident for c in live))
    for check in live:
        try:
            _check_against_chain(core, check, contexts.of(check.payload.resident))
        except Refusal as exc:
            check.error, check.row = exc, None
    return checks


def _check_locally(core: RelayCore, check: ClaimCheck) -> None:
    """Signature shape, category rules, units, and that the resident signed this very claim."""
    p = check.payload
    sig = signature_of(p)
    rule = core.rule_in_force(p.category)
    if rule is None or rule.negative:
        raise invalid(
            "unknown_category",
            f"category {p.category} is not a participation category in the rules in force",
        )
    if rule.automated:
        raise invalid(
            "automated_category",
            f"category {p.category} is credited by the verifier contract only, never by claims",
        )
    if p.units > rule.max_units:
        raise invalid(
            "invalid_units",
            f"category {p.category} takes 1 to {rule.max_units} units per claim, not {p.units}",
            {"max_units": rule.max_units},
        )
    if p.nonce == LAST_CLAIM_NONCE:
        raise invalid(
            "claim_nonces_exhausted",
            f"claim nonce {p.nonce} is never used by the ledger (a nonce never wraps): this "
            "resident's claims were closed by moving their nonce to its last value",
            {"nonce": p.nonce},
        )
    fields = claim_fields(p)
    resident = fields[0]
    # the EIP-712 digest is the record id: computed once
    record_id = claim_digest(core.system.domain, fields)
    check.record_id = "0x" + record_id.hex()
    require_signer(core.system.domain, record_id, sig, resident, "resident", "Claim")
    check.row = records.signed_row(check.record_id, resident, p, sig.r, sig.vs)


def _check_against_chain(core: RelayCore, check: ClaimCheck, context: ClaimContext) -> None:
    """Time and registration as of the latest block; keeps the chain's nonce for the store."""
    p, now = check.payload, context.chain_time
    if p.occurred_at > now:
        raise invalid("occurred_in_future", f"occurred_at {p.occurred_at} is after now ({now})")
    check_deadline(p.deadline, now, core.deadline_margin)
    check_deadline_within(p.deadline, now, core.max_deadline, "claim")
    if not context.registered:
        raise Forbidden(
            "not_registered", f"{to_checksum_address(p.resident)} is not a registered resident"
        )
    check.chain_nonce = context.claim_nonce


def store_claims(core: RelayCore, checks: Sequence[ClaimCheck]) -> list[ClaimCheck]:
    """Store every claim that passed :func:`check_claims` and is new with the resident's next
    nonce, in one database transaction (all stored or, on a database error, none); ``checks``
    with the refused ones' ``error`` set (409 duplicate_claim / claim_already_waiting /
    nonce_used, 429
    too_many_waiting_claims, 422 nonce_gap).

    A resident has at most ``core.max_waiting`` claims waiting for confirmations, counting
    those of the request: posting needs no session, and the bound keeps one resident from
    flooding the officials' queue. It is per resident, so a kiosk's request for many residents
    is refused nothing for its size. The count comes with the nonces (one query for all the
    request's residents, under their locks, so that concurrent requests cannot both take the
    last place).

    The next nonce is the ledger's ``claimNonce`` plus the resident's accepted claims not yet
    mined, computed as max(chain nonce, 1 + highest nonce among the resident's live claims): the
    same in steady state, and right in the instant between a batch being mined and settled. A
    resident's claims in one request are taken in nonce order, so n, n+1, n+2 are all accepted
    whatever their order in the request; of two claims with one nonce, the first listed wins.
    """
    ready = [c for c in checks if c.error is None and c.row is not None]
    if not ready:
        return list(checks)
    residents = sorted({c.row["resident"] for c in ready if c.row})
    with transaction.alongside(core, residents=residents) as conn:
        existing = records.claim_rows(conn, [c.row["record_id"] for c in ready if c.row])
        live = records.live_claims(conn, residents)
        twins = records.live_keys(conn, residents)
        expected: dict[str, int] = {}
        waiting: dict[str, int] = {}
        for c in ready:
            assert c.row is not None
            held = live.get(c.row["resident"], NO_CLAIMS)
            expected[c.row["resident"]] = max(c.chain_nonce, held.next_nonce)
            waiting[c.row["resident"]] = held.waiting
        taken: set[str] = set()
        accepted: list[ClaimCheck] = []
        for c in sorted(
            ready, key=lambda c: (c.payload.resident.lower(), c.payload.nonce, c.index)
        ):
            assert c.row is not None
            resident = c.row["resident"]
            try:
                _check_new(c.row, existing, taken)
                _check_twin(c.row, twins)
                _check_nonce(c.row, expected[resident])
                _check_room(c.row, waiting[resident], core.max_waiting)
                _check_next(c.row, expected[resident])
            except Refusal as exc:
                c.error, c.row = exc, None
                continue
            taken.add(c.row["record_id"])
            twins[records.claim_key(c.row)] = (c.row["record_id"], "waiting")
            expected[resident] += 1
            waiting[resident] += 1
            accepted.append(c)
        accepted.sort(key=lambda c: c.index)
        records.insert_claims(conn, [c.row for c in accepted if c.row is not None])
    return list(checks)


def _check_new(row: NewClaim, existing: dict[str, ClaimRow], taken: set[str]) -> None:
    """409 if the claim is known (stored, or earlier in this request)."""
    record_id = row["record_id"]
    if record_id in existing or record_id in taken:
        status = existing[record_id]["status"] if record_id in existing else "waiting"
        raise Conflict(
            "duplicate_claim",
            "this claim was already received",
            {"record_id": record_id, "status": status},
        )


def _check_twin(row: NewClaim, twins: dict[records.ClaimKey, tuple[str, str]]) -> None:
    """409 if the same activity (same category, amount, time and evidence) of this resident
    is already waiting under another signature: a second press of "submit", most likely."""
    twin = twins.get(records.claim_key(row))
    if twin is not None:
        raise Conflict(
            "claim_already_waiting",
            "the same claim (same activity, amount, date and evidence) is already waiting for "
            "confirmations: nothing new was sent. To get it confirmed, share it with the people "
            "who can confirm it; if it is another activity, add its own evidence",
            {"record_id": twin[0], "status": twin[1]},
        )


def _check_nonce(row: NewClaim, expected: int) -> None:
    """409 if the claim's nonce is used."""
    if row["nonce"] < expected:
        raise Conflict(
            "nonce_used",
            f"nonce {row['nonce']} is taken: sign the claim with nonce {expected}",
            {"expected": expected, "given": row["nonce"]},
        )


def _check_room(row: NewClaim, waiting: int, limit: int) -> None:
    """429 if the resident already has ``limit`` claims waiting for confirmations (checked
    before the nonce's sequence: the claims after a refused one are refused for the same
    reason, not as a gap)."""
    if waiting >= limit:
        raise OverLimit(
            "too_many_waiting_claims",
            f"{to_checksum_address(row['resident'])} has {waiting} claims waiting for "
            "confirmations, the most a resident may have: submit this one once some are "
            "confirmed or have expired",
            {"waiting": waiting, "limit": limit},
        )


def _check_next(row: NewClaim, expected: int) -> None:
    """422 if the claim's nonce skips the resident's next one."""
    if row["nonce"] > expected:
        raise invalid(
            "nonce_gap",
            f"nonce {row['nonce']} skips {expected}: sign the claim with nonce {expected}",
            {"expected": expected, "given": row["nonce"]},
        )
