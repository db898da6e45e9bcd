"""Settling a relay transaction once its fate is known: credited, reverted or replaced.

Credited claims are taken from RecordCredited events of OUR ledger only. A revert is decoded
(replayed on the parent block) and judged by :func:`credit.relay.outcome.judge`: the claims it
names are rejected with the decoded error, the rest go back to ``pending`` for the next plan.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select, update

from credit.chain import rawtx
from credit.errors import ContractRevert
from credit.relay import records
from credit.relay.outcome import SentClaim, SentEndorsement, judge
from credit.store.relay_tables import relay_claims, relay_endorsements, relay_outbox

IN_FLIGHT = ("queued", "sent")


def settle(core: Any, oid: int, receipt: rawtx.Receipt | None) -> None:
    """Apply the outcome of outbox row ``oid`` (``receipt`` None: its nonce went to another tx)."""
    if receipt is not None and receipt.status == 1:
        _credited(core, oid, receipt)
    elif receipt is not None:
        _reverted(core, oid, receipt)
    else:
        _replaced(core, oid)
    core.wake()


def _finish_row(conn: Any, oid: int, status: str, block: int | None, error: str | None) -> None:
    conn.execute(
        update(relay_outbox)
        .where(relay_outbox.c.id == oid)
        .values(status=status, block=block, error=error, updated_at=time.time())
    )


def _carried(conn: Any, oid: int, *columns: Any) -> list[Any]:
    """The claims still in flight in ``oid`` (their ``columns``, or whole rows)."""
    q = select(*(columns or (relay_claims,))).where(
        relay_claims.c.outbox_id == oid, relay_claims.c.status.in_(IN_FLIGHT)
    )
    return list(conn.execute(q).mappings())


def _credited(core: Any, oid: int, receipt: rawtx.Receipt) -> None:
    events = {e.record_id: e for e in rawtx.credited_events(core.system, receipt)}
    with records.write(core) as conn:
        carried = _carried(conn, oid, relay_claims.c.record_id)
        done = [c["record_id"] for c in carried if c["record_id"] in events]
        records.set_credited(
            conn,
            [(r, events[r].tx_hash, events[r].block, events[r].points) for r in done],
            only=IN_FLIGHT,
        )
        missing = [c["record_id"] for c in carried if c["record_id"] not in events]
        affected = records.reject(
            conn,
            missing,
            records.reason_json("NotCredited", "the transaction was mined without crediting it"),
        )
        conn.execute(
            update(relay_endorsements)
            .where(relay_endorsements.c.outbox_id == oid, relay_endorsements.c.status == "active")
            .values(status="used", updated_at=time.time())
        )
        affected += records.stale_endorsements_of(conn, done)
        records.refresh(conn, affected, core.rules())
        _finish_row(conn, oid, "mined", receipt.block, None)


def _reverted(core: Any, oid: int, receipt: rawtx.Receipt) -> None:
    err = rawtx.revert_of(core.system, receipt.tx_hash, receipt.block)
    name = err.name if isinstance(err, ContractRevert) else "Unreproducible"
    args = dict(err.args) if isinstance(err, ContractRevert) else {}
    with records.write(core) as conn:
        carried = _carried(conn, oid)
        ends = list(
            conn.execute(
                select(relay_endorsements).where(relay_endorsements.c.outbox_id == oid)
            ).mappings()
        )
        live = {
            (r.resident, int(r.nonce))
            for r in conn.execute(
                select(relay_claims.c.resident, relay_claims.c.nonce).where(
                    relay_claims.c.status.in_(records.LIVE), relay_claims.c.outbox_id != oid
                )
            )
        }
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
                )
                for c in carried
            ],
            [SentEndorsement(e["id"], e["evaluator"], e["kind"], e["deadline"]) for e in ends],
            live,
            reproducible=isinstance(err, ContractRevert),
        )
        reason = records.reason_json(name, str(err), args)
        records.set_endorsements(conn, verdict.drop_endorsements, "invalid", reason=reason)
        affected = records.reject(conn, verdict.reject, reason)
        _requeue(conn, oid, [c["record_id"] for c in carried], affected, core.rules())
        _finish_row(conn, oid, "failed", receipt.block, reason)


def _replaced(core: Any, oid: int) -> None:
    with records.write(core) as conn:
        carried = [c["record_id"] for c in _carried(conn, oid)]
        _requeue(conn, oid, carried, [], core.rules())
        message = "another transaction of the relayer key took this nonce; the claims were requeued"
        _finish_row(conn, oid, "failed", None, records.reason_json("NonceTaken", message))


def _requeue(conn: Any, oid: int, carried: list[str], affected: list[str], rules: Any) -> None:
    """Claims still in flight in ``oid`` go back to planning; their statuses are recomputed."""
    conn.execute(
        update(relay_endorsements)
        .where(relay_endorsements.c.outbox_id == oid)
        .values(outbox_id=None, updated_at=time.time())
    )
    records.set_status(conn, carried, "pending", only=IN_FLIGHT, outbox_id=None, tx_hash=None)
    records.refresh(conn, [*carried, *affected], rules)
