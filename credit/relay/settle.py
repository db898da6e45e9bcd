"""Settling a relay transaction once its fate is known: credited, reverted or replaced.

Credited claims are taken from RecordCredited events of OUR ledger only (booked violation
reports from its ViolationRecorded events), and the claims the
ledger skipped (a resident voided their own claim: see ``ClaimSkip``) from its ClaimSkipped
events: each is settled for its own resident, the rest of the batch stays credited and its
endorsements count as used. A revert is decoded (replayed on the parent block) and judged by
:func:`credit.relay.outcome.judge`: the claims it names are rejected with the decoded error, the
rest go back to ``pending`` for the next plan.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from credit.chain import rawtx, report_tx
from credit.errors import ContractRevert
from credit.relay import confirmations, pending, records, transaction
from credit.relay.core import RelayCore
from credit.relay.outcome import SentClaim, SentEndorsement, judge
from credit.store.relay_tables import relay_claims, relay_endorsements, relay_outbox

IN_FLIGHT = ("queued", "sent")


def settle(core: RelayCore, oid: int, receipt: rawtx.Receipt | None) -> None:
    """Apply the outcome of outbox row ``oid`` (``receipt`` None: its nonce went to another tx)."""
    if receipt is not None and receipt.status == 1:
        _credited(core, oid, receipt)
    elif receipt is not None:
        _reverted(core, oid, receipt)
    else:
        _replaced(core, oid)
    core.wake()


def _finish_row(
    conn: Connection, oid: int, status: str, block: int | None, error: str | None
) -> None:
    conn.execute(
        update(relay_outbox)
        .where(relay_outbox.c.id == oid)
        .values(status=status, block=block, error=error, updated_at=time.time())
    )


def _carried(conn: Connection, oid: int, *columns: Any) -> list[Any]:
    """The claims still in flight in ``oid`` (their ``columns``, or whole rows)."""
    q = select(*(columns or (relay_claims,))).where(
        relay_claims.c.outbox_id == oid, relay_claims.c.status.in_(IN_FLIGHT)
    )
    return list(conn.execute(q).mappings())


def _credited(core: RelayCore, oid: int, receipt: rawtx.Receipt) -> None:
    events = {e.record_id: e for e in rawtx.credited_events(core.system, receipt)}
    events.update((e.record_id, e) for e in report_tx.recorded_events(core.system, receipt))
    skips = {s.record_id: s for s in rawtx.skipped_events(core.system, receipt)}
    with transaction.write(core) as conn:
        carried = _carried(conn, oid, relay_claims.c.record_id)
        done = [c["record_id"] for c in carried if c["record_id"] in events]
        records.set_credited(
            conn,
            [(r, events[r].tx_hash, events[r].block, events[r].points) for r in done],
            only=IN_FLIGHT,
        )
        # Every endorsement of the batch was used, whatever a resident did to their own claim.
        conn.execute(
            update(relay_endorsements)
            .where(relay_endorsements.c.outbox_id == oid, relay_endorsements.c.status == "active")
            .values(status="used", updated_at=time.time())
        )
        affected = _skipped(
            conn, oid, [skips[c["record_id"]] for c in carried if c["record_id"] in skips]
        )
        settled = events.keys() | skips.keys()
        missing = [c["record_id"] for c in carried if c["record_id"] not in settled]
        affected += records.reject(
            conn,
            missing,
            records.reason_json("NotCredited", "the transaction was mined without crediting it"),
        )
        affected += confirmations.stale_endorsements_of(conn, done)
        pending.refresh(conn, affected, core.rules())
        _finish_row(conn, oid, "mined", receipt.block, None)


_SKIPPED = {
    "EXPIRED": "the claim's signature expired before its batch was mined: sign again",
    "NOT_REGISTERED": "the resident was not registered when its batch was mined",
    "NONCE": "the resident's claim nonce had moved on (cancelled, or used by another claim) when "
    "its batch was mined: sign again with the current nonce",
}


def _skipped(conn: Connection, oid: int, skips: list[rawtx.Skipped]) -> list[str]:
    """Settle the claims the ledger skipped in a mined batch, each for its own resident only.

    A claim skipped because an earlier claim of its resident, still on its way in another
    transaction, had not been booked yet goes back to planning; every other one is rejected with
    the skip as its reason. Returns the ids whose status should be refreshed."""
    if not skips:
        return []
    live = _live_nonces(conn, oid)
    later = [
        s.record_id
        for s in skips
        if s.reason == "NONCE"
        and s.given_nonce > s.expected_nonce
        and (s.resident, s.expected_nonce) in live
    ]
    records.set_status(conn, later, "pending", only=IN_FLIGHT, outbox_id=None, tx_hash=None)
    affected = list(later)
    for s in skips:
        if s.record_id in later:
            continue
        args = {"reason": s.reason, "expectedNonce": s.expected_nonce, "givenNonce": s.given_nonce}
        message = _SKIPPED.get(s.reason, s.reason)
        if s.reason == "NONCE" and s.given_nonce == s.expected_nonce == rawtx.LAST_CLAIM_NONCE:
            message = "the resident's claim nonces are exhausted: the last one is never used"
        reason = records.reason_json("ClaimSkipped", message, args)
        moved = {s.resident: s.expected_nonce} if s.reason == "NONCE" else None
        affected += records.reject(conn, [s.record_id], reason, moved)
    return affected


def _live_nonces(conn: Connection, oid: int) -> set[tuple[str, int]]:
    """(resident, nonce) of the claims still live outside outbox row ``oid``."""
    q = select(relay_claims.c.resident, relay_claims.c.nonce).where(
        relay_claims.c.status.in_(records.LIVE),
        relay_claims.c.outbox_id != oid,
        relay_claims.c.reporter.is_(None),
    )
    return {(r.resident, int(r.nonce)) for r in conn.execute(q)}


def _reverted(core: RelayCore, oid: int, receipt: rawtx.Receipt) -> None:
    err = rawtx.revert_of(core.system, receipt.tx_hash, receipt.block)
    name = err.name if isinstance(err, ContractRevert) else "Unreproducible"
    args = dict(err.args) if isinstance(err, ContractRevert) else {}
    with transaction.write(core) as conn:
        carried = _carried(conn, oid)
        ends = list(
            conn.execute(
                select(relay_endorsements).where(relay_endorsements.c.outbox_id == oid)
            ).mappings()
        )
        live = _live_nonces(conn, oid)
        verdict = judge(
            name,
            args,
            [
                SentClaim(
                    c["record_id"],
                    c["resident"],
                    c["category"],
                    c["units"],
                    c["occurred_at"],
                    c["nonce"],
                    c["deadline"],
                    c["reporter"],
                )
                for c in carried
            ],
            [SentEndorsement(e["id"], e["evaluator"], e["kind"], e["deadline"]) for e in ends],
            live,
            reproducible=isinstance(err, ContractRevert),
        )
        reason = records.reason_json(name, str(err), args)
        confirmations.set_endorsements(conn, verdict.drop_endorsements, "invalid", reason=reason)
        affected = records.reject(conn, verdict.reject, reason, verdict.moved)
        _requeue(conn, oid, [c["record_id"] for c in carried], affected, core.rules())
        _finish_row(conn, oid, "failed", receipt.block, reason)


def _replaced(core: RelayCore, oid: int) -> None:
    with transaction.write(core) as conn:
        carried = [c["record_id"] for c in _carried(conn, oid)]
        _requeue(conn, oid, carried, [], core.rules())
        message = "another transaction of the relayer key took this nonce; the claims were requeued"
        _finish_row(conn, oid, "failed", None, records.reason_json("NonceTaken", message))


def _requeue(
    conn: Connection, oid: int, carried: list[str], affected: list[str], rules: Any
) -> None:
    """Claims still in flight in ``oid`` go back to planning; their statuses are recomputed."""
    conn.execute(
        update(relay_endorsements)
        .where(relay_endorsements.c.outbox_id == oid)
        .values(outbox_id=None, updated_at=time.time())
    )
    records.set_status(conn, carried, "pending", only=IN_FLIGHT, outbox_id=None, tx_hash=None)
    pending.refresh(conn, [*carried, *affected], rules)
