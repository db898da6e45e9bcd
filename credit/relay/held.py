"""Claims the relay holds while they wait for endorsements, as ledger facts for the notices.

A signed claim is not on chain until its quorum is met, yet it is waiting all the same: its
resident should hear what it still needs and official evaluators that it waits for them. This
reads the relay's ``waiting`` claims with their active endorsements as
:class:`credit.facts.HeldClaim` values (the notices engine stays pure; it gets them as facts).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from credit.facts import HeldClaim
from credit.relay.confirmations import naming
from credit.store.relay_tables import relay_claims as claims

_WAITING = select(
    claims.c.record_id,
    claims.c.resident,
    claims.c.category,
    claims.c.units,
    claims.c.occurred_at,
    claims.c.created_at,
).where(claims.c.status == "waiting", claims.c.reporter.is_(None))  # claims, not reports


_CHUNK = 500  # record ids per endorsement query (bound parameters per statement)


def held_claims(conn: Connection) -> tuple[HeldClaim, ...]:
    """Every claim waiting for endorsements, with the endorsements it holds, oldest first.

    Bounded by the residents' limit on waiting claims (``max_waiting_claims_per_resident``)."""
    rows = conn.execute(_WAITING.order_by(claims.c.seq)).all()
    given: dict[str, set[tuple[str, int]]] = {r.record_id: set() for r in rows}
    ids = list(given)
    for start in range(0, len(ids), _CHUNK):
        for endorsement, _ in naming(conn, ids[start : start + _CHUNK], ("active",)):
            for record_id in endorsement.records:
                if record_id in given:
                    given[record_id].add((endorsement.evaluator, int(endorsement.kind)))
    return tuple(
        HeldClaim(
            r.record_id,
            r.resident,
            int(r.category),
            int(r.units),
            int(r.occurred_at),
            int(r.created_at),
            tuple(sorted(given[r.record_id])),
        )
        for r in rows
    )
