"""Accepting signed claims and confirmations: every check the ledger would make, before any gas.

Order of checks: shape and signature (cheap, local), then the chain (rules in force, time,
registration, roles, nonces), then the database (duplicates, nonce sequence) under the relay's
lock so that two concurrent requests cannot both take one nonce.
"""

from __future__ import annotations

from typing import Any

from eth_utils import to_checksum_address

from credit.chain import relay_reads as chain
from credit.chain.claim_reads import ClaimContext, claim_context
from credit.chain.eip712 import CompactSignature
from credit.chain.recover import (
    SignatureFormatError,
    compact_from_hex,
    compact_from_parts,
    confirmation_signer,
    recover_digest,
)
from credit.chain.signing import Claim, endorsement_digest
from credit.gateway.errors import ApiError, NotFound
from credit.relay import records
from credit.relay.models import ClaimIn, ConfirmationIn, _Signed

KIND_NAMES = ("SUPERIOR", "PEER", "PUBLIC", "EXPERT")


def _invalid(code: str, message: str, details: Any = None) -> ApiError:
    return ApiError(422, code, message, details)


def _signature(payload: _Signed) -> CompactSignature:
    try:
        if payload.signature is not None:
            return compact_from_hex(payload.signature)
        assert payload.r is not None and payload.vs is not None
        return compact_from_parts(payload.r, payload.vs)
    except SignatureFormatError as exc:
        raise _invalid("invalid_signature", f"{exc}: sign the message again") from exc


def _check_deadline(deadline: int, now: int, margin: int) -> None:
    if deadline < now:
        raise _invalid(
            "expired", f"the signature expired at {deadline} (chain time {now}): sign again"
        )
    if deadline < now + margin:
        raise _invalid(
            "deadline_too_close",
            f"the deadline leaves less than {margin} s to relay it: sign with a later deadline",
            {"deadline": deadline, "now": now, "margin": margin},
        )


def check_claim(core: Any, p: ClaimIn) -> tuple[dict[str, Any], ClaimContext]:
    """The claim row to store and the chain facts it was checked against (one round trip:
    time, registration, claim nonce), or an ApiError saying what the ledger would refuse."""
    sig = _signature(p)
    rule = core.rule_in_force(p.category)
    if rule is None or rule.negative:
        raise _invalid(
            "unknown_category",
            f"category {p.category} is not a participation category in the rules in force",
        )
    if rule.automated:
        raise _invalid(
            "automated_category",
            f"category {p.category} is credited by the verifier contract only, never by claims",
        )
    if p.units > rule.max_units:
        raise _invalid(
            "invalid_units",
            f"category {p.category} takes 1 to {rule.max_units} units per claim, not {p.units}",
            {"max_units": rule.max_units},
        )
    context = claim_context(core.system, p.resident)
    now = context.chain_time
    if p.occurred_at > now:
        raise _invalid("occurred_in_future", f"occurred_at {p.occurred_at} is after now ({now})")
    _check_deadline(p.deadline, now, core.deadline_margin)
    evidence = bytes.fromhex(p.evidence[2:])
    claim = Claim(
        to_checksum_address(p.resident),
        p.category,
        p.units,
        p.occurred_at,
        p.nonce,
        evidence,
        p.deadline,
    )
    record_id = claim.record_id(core.system.domain)  # the EIP-712 digest: computed once
    signer = recover_digest(record_id, sig)
    if signer is None or signer.lower() != p.resident.lower():
        raise _invalid(
            "invalid_signature",
            "the signature does not recover to the resident: sign this claim with its own key",
            {"recovered": signer},
        )
    if not context.registered:
        raise ApiError(403, "not_registered", f"{claim.resident} is not a registered resident")
    row = {
        "record_id": "0x" + record_id.hex(),
        "resident": p.resident.lower(),
        "category": p.category,
        "units": p.units,
        "occurred_at": p.occurred_at,
        "evidence": p.evidence.lower(),
        "nonce": p.nonce,
        "deadline": p.deadline,
        "r": "0x" + sig.r.hex(),
        "vs": "0x" + sig.vs.hex(),
    }
    return row, context


def store_claim(core: Any, row: dict[str, Any], chain_nonce: int) -> None:
    """Insert ``row`` if it is new and its nonce is the resident's next (409 / 422 otherwise).

    The next nonce is the ledger's ``claimNonce`` plus the resident's accepted claims not yet
    mined, computed as max(chain nonce, 1 + highest nonce among the resident's live claims): the
    same in steady state, and right in the instant between a batch being mined and settled.
    """
    with core.lock, core.engine.begin() as conn:
        existing = records.claim_row(conn, row["record_id"])
        if existing is not None:
            raise ApiError(
                409,
                "duplicate_claim",
                "this claim was already received",
                {"record_id": row["record_id"], "status": existing["status"]},
            )
        expected = max(chain_nonce, records.next_live_nonce(conn, row["resident"]) or 0)
        if row["nonce"] < expected:
            raise ApiError(
                409,
                "nonce_used",
                f"nonce {row['nonce']} is taken: sign the claim with nonce {expected}",
                {"expected": expected, "given": row["nonce"]},
            )
        if row["nonce"] > expected:
            raise _invalid(
                "nonce_gap",
                f"nonce {row['nonce']} skips {expected}: sign the claim with nonce {expected}",
                {"expected": expected, "given": row["nonce"]},
            )
        records.insert_claim(conn, row)


def check_confirmation(core: Any, p: ConfirmationIn) -> tuple[dict[str, Any], list[str]]:
    """The endorsement row and its record ids, or an ApiError."""
    sig = _signature(p)
    ids = [r.lower() for r in p.records]
    if ids != sorted(set(ids)):
        raise _invalid(
            "records_not_sorted",
            "list the record ids once each, sorted ascending, and sign that list",
        )
    if len(ids) > core.max_records:
        raise _invalid("too_many_records", f"confirm at most {core.max_records} records at once")
    now = chain.chain_time(core.system)
    _check_deadline(p.deadline, now, core.deadline_margin)
    raw_ids = [bytes.fromhex(r[2:]) for r in ids]
    signer = confirmation_signer(core.system.domain, raw_ids, p.kind, p.deadline, sig)
    evaluator = p.evaluator.lower()
    if signer is None or signer.lower() != evaluator:
        raise _invalid(
            "invalid_signature",
            "the signature does not recover to the evaluator: sign with its own key",
            {"recovered": signer},
        )
    if not chain.can_confirm_as(core.system, evaluator, p.kind):
        raise ApiError(
            403,
            "lacks_role",
            f"{to_checksum_address(evaluator)} may not confirm as {KIND_NAMES[p.kind]}",
            {"kind": p.kind},
        )
    digest = endorsement_digest(core.system.domain, raw_ids, p.kind, p.deadline)
    row = {
        "digest": "0x" + digest.hex(),
        "evaluator": evaluator,
        "kind": p.kind,
        "deadline": p.deadline,
        "r": "0x" + sig.r.hex(),
        "vs": "0x" + sig.vs.hex(),
    }
    return row, ids


def store_confirmation(core: Any, row: dict[str, Any], ids: list[str]) -> int:
    """Insert the endorsement if its records are open and not the evaluator's own or confirmed."""
    with core.lock, core.engine.begin() as conn:
        found = {r: records.claim_row(conn, r) for r in ids}
        missing = [r for r, v in found.items() if v is None]
        if missing:
            raise NotFound("no claim with these record ids was received", {"missing": missing})
        closed = {r: v["status"] for r, v in found.items() if v and v["status"] not in records.OPEN}
        if closed:
            raise ApiError(
                409,
                "record_not_open",
                "these claims are no longer waiting for confirmations",
                closed,
            )
        own = [r for r, v in found.items() if v and v["resident"] == row["evaluator"]]
        if own:
            raise ApiError(
                403, "self_confirmation", "nobody confirms their own claim", {"records": own}
            )
        again = records.confirmed_by(conn, row["evaluator"], ids)
        if again:
            raise ApiError(
                409, "already_confirmed", "you already confirmed these claims", {"records": again}
            )
        eid = records.insert_endorsement(conn, row, ids)
        records.refresh(conn, ids, core.rules())
    return eid
