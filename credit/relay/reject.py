"""Evaluators rejecting held claims: a signed ``Rejection`` closes a claim before it is relayed.

Who may reject is who may confirm: an evaluator of a kind the claim's category takes (an
official holding the role, or a registered resident other than the claimant as a peer). The
rejection is an EIP-712 ``Rejection`` under the ledger's domain, naming the record id, the kind,
the reason and the keccak-256 of the evaluator's note, so it can be replayed neither on another
claim nor on another deployment, and an auditor holding the gateway's table can check every one.

Effect, in one relay transaction: the claim becomes ``rejected`` (it leaves every confirmation
queue and is never relayed), endorsements naming it turn stale, and the resident's later claims
that can no longer be booked (their nonces come after it) are rejected with them
(:func:`credit.relay.records.reject`); the resident may sign the same claim again, with a new
nonce. Checks run cheap first: signature and reason locally, then the chain (time, role), then
the database under the relay's lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak, to_checksum_address
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from credit.chain.claim_reads import confirmer_context
from credit.chain.eip712 import CompactSignature, rejection_digest
from credit.errors import Conflict, Forbidden, Unknown
from credit.relay import confirmations, pending, records, transaction
from credit.relay.core import RelayCore
from credit.relay.hints import require_signer, signature_of
from credit.relay.models import REJECTION_REASONS, RejectionIn
from credit.relay.rows import ClaimRow
from credit.store.relay_tables import relay_claims as claims
from credit.store.relay_tables import relay_rejections
from credit.vocabulary import KIND_NAMES


@dataclass(frozen=True)
class CheckedRejection:
    """A rejection whose signature and role are good, ready for the claim's checks."""

    record_id: str
    evaluator: str
    kind: int
    reason: str
    note: str
    note_hash: str
    signature: CompactSignature
    chain_time: int


def note_hash(note: str) -> bytes:
    """What the evaluator signs for their note: keccak-256 of its UTF-8 bytes."""
    return bytes(keccak(note.encode("utf-8")))


def check_rejection(core: RelayCore, record_id: str, p: RejectionIn) -> CheckedRejection:
    """The signature (it must recover to ``p.evaluator`` over this very record) and the role:
    Invalid ``invalid_signature``, Forbidden ``not_entitled``."""
    sig = signature_of(p, "the rejection")
    rid = record_id.lower()
    reason = REJECTION_REASONS.index(p.reason)
    hashed = note_hash(p.note)
    digest = rejection_digest(core.system.domain, bytes.fromhex(rid[2:]), p.kind, reason, hashed)
    evaluator = p.evaluator.lower()
    require_signer(core.system.domain, digest, sig, evaluator, "evaluator", "Rejection")
    now, allowed = confirmer_context(core.system, evaluator, p.kind)
    if not allowed:
        raise Forbidden(
            "not_entitled",
            f"{to_checksum_address(evaluator)} may not evaluate claims as "
            f"{KIND_NAMES[p.kind]}: only an evaluator who may confirm a claim may reject it",
            {"kind": p.kind},
        )
    return CheckedRejection(rid, evaluator, p.kind, p.reason, p.note, "0x" + hashed.hex(), sig, now)


def store_rejection(core: RelayCore, checked: CheckedRejection) -> list[str]:
    """Reject the claim if it is still open, not the evaluator's own, of a category that takes
    their kind, and not confirmed by them already; the ids of the claims it closed (it first,
    then the resident's later claims it made unbookable)."""
    with transaction.write(core) as conn:
        row = records.claim_row(conn, checked.record_id)
        if row is None:
            raise Unknown(
                "not_found",
                f"no claim {checked.record_id} was received here: check the record id",
            )
        _check_claim(core, conn, row, checked)
        before = _open_of(conn, row["resident"])
        reason = records.reason_json(
            "Rejected",
            f"an evaluator ({KIND_NAMES[checked.kind].lower()}) rejected this claim: "
            f"{checked.reason.replace('_', ' ')}",
            {
                "reason": checked.reason,
                "kind": KIND_NAMES[checked.kind],
                "note": checked.note,
                "at": checked.chain_time,
            },
        )
        affected = records.reject(conn, [checked.record_id], reason)
        pending.refresh(conn, affected, core.rules())
        conn.execute(
            insert(relay_rejections).values(
                record_id=checked.record_id,
                resident=row["resident"],
                evaluator=checked.evaluator,
                kind=checked.kind,
                reason=checked.reason,
                note=checked.note,
                note_hash=checked.note_hash,
                r="0x" + checked.signature.r.hex(),
                vs="0x" + checked.signature.vs.hex(),
                at=checked.chain_time,
                created_at=time.time(),
            )
        )
        after = _open_of(conn, row["resident"])
    return [checked.record_id, *sorted(before - after - {checked.record_id})]


def _check_claim(
    core: RelayCore, conn: Connection, row: ClaimRow, checked: CheckedRejection
) -> None:
    if row["reporter"] is not None:
        raise Conflict(
            "not_a_claim",
            "this record is a violation report, not a claim: an evaluator who doubts it does not "
            "confirm it, and it lapses at its deadline without its quorum",
        )
    if row["status"] not in records.OPEN:
        raise Conflict(
            "not_waiting",
            f"this claim is {row['status']}, no longer waiting for evaluators: only a claim "
            "still waiting for confirmations can be rejected",
            {"status": row["status"]},
        )
    if row["resident"] == checked.evaluator:
        raise Forbidden(
            "own_claim", "nobody evaluates their own claim: ask an evaluator to look at it"
        )
    quorum = core.rules().get(row["category"])
    if quorum is None or quorum.weights[checked.kind] == 0:
        raise Forbidden(
            "not_entitled",
            f"this activity takes no confirmation from a {KIND_NAMES[checked.kind]} "
            "evaluator, so that kind cannot reject it either",
            {"kind": checked.kind, "category": row["category"]},
        )
    named = confirmations.naming(conn, [checked.record_id], ("active", "used"))
    if any(e.evaluator == checked.evaluator for e, _ in named):
        raise Conflict(
            "already_confirmed",
            "you already confirmed this claim: a confirmation cannot be taken back by a rejection",
        )


def _open_of(conn: Connection, resident: str) -> set[str]:
    q = select(claims.c.record_id).where(
        claims.c.resident == resident,
        claims.c.status.in_(records.OPEN),
        claims.c.reporter.is_(None),  # a report about them is not one of their claims
    )
    return set(conn.execute(q).scalars())


def rejections_since(conn: Connection, since: int) -> list[Any]:
    """Rejections accepted at chain time ``since`` or later, each with its claim's fields
    (category, units, occurred_at), oldest first."""
    rej = relay_rejections
    q = (
        select(
            rej.c.record_id,
            rej.c.resident,
            rej.c.kind,
            rej.c.reason,
            rej.c.note,
            rej.c.at,
            claims.c.category,
            claims.c.units,
            claims.c.occurred_at,
        )
        .join(claims, claims.c.record_id == rej.c.record_id)
        .where(rej.c.at >= since)
        .order_by(rej.c.at, rej.c.record_id)
    )
    return list(conn.execute(q).mappings())
