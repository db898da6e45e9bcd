"""The relay's endorsements (evaluators' confirmations) in the database: reading them, storing
them and moving them between statuses (``active``, ``used``, ``stale``, ``expired``).

Every function takes a connection inside the caller's transaction (see
:mod:`credit.relay.records`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter

from credit.relay.plan import PlanEndorsement
from credit.relay.rows import EndorsementRow, NewEndorsement, endorsement_row_of
from credit.store.relay_tables import relay_endorsement_records as links
from credit.store.relay_tables import relay_endorsements as endorsements

# Statements run with a list of ids on every request or batch, built once: an ``in_()`` over a
# literal list coerces each value and makes a new statement (and cache key) on every call.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)

_NAMING_IDS = select(links.c.endorsement_id).where(links.c.record_id.in_(_IDS))

_NAMING = (  # endorsements naming any of ``ids``, each with all its records in order
    select(
        endorsements.c.id,
        endorsements.c.evaluator,
        endorsements.c.kind,
        endorsements.c.status,
        links.c.record_id,
    )
    .join(links, links.c.endorsement_id == endorsements.c.id)
    .where(
        endorsements.c.status.in_(bindparam("statuses", expanding=True)),
        endorsements.c.id.in_(_NAMING_IDS),
    )
    .order_by(endorsements.c.id, links.c.position)
)

_ACTIVE_NAMING = select(endorsements.c.id).where(
    endorsements.c.status == "active", endorsements.c.id.in_(_NAMING_IDS)
)

_ENDORSEMENT_ROWS = select(endorsements).where(endorsements.c.id.in_(_IDS))


def endorsement_rows(conn: Connection, ids: Iterable[int]) -> dict[int, EndorsementRow]:
    """The endorsements among ``ids``, by id (one query)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = conn.execute(_ENDORSEMENT_ROWS, {"ids": wanted}).mappings()
    return {r["id"]: endorsement_row_of(r) for r in rows}


def insert_endorsement(conn: Connection, row: NewEndorsement, records: list[str]) -> int:
    """Store an accepted endorsement and its record links; returns its id."""
    now = time.time()
    result = conn.execute(
        insert(endorsements).values(**row, status="active", created_at=now, updated_at=now)
    )
    eid = int(result.inserted_primary_key[0])  # type: ignore[index]
    conn.execute(
        insert(links),
        [{"endorsement_id": eid, "position": i, "record_id": r} for i, r in enumerate(records)],
    )
    return eid


def endorsements_of(
    conn: Connection, record_ids: Iterable[str] | None = None, status: str = "active"
) -> list[PlanEndorsement]:
    """Endorsements in ``status`` (naming any of ``record_ids`` if given), records in order."""
    if record_ids is not None:
        return [e for e, _ in naming(conn, record_ids, (status,))]
    q = (
        select(endorsements.c.id, endorsements.c.evaluator, endorsements.c.kind, links.c.record_id)
        .join(links, links.c.endorsement_id == endorsements.c.id)
        .where(endorsements.c.status == status)
        .order_by(endorsements.c.id, links.c.position)
    )
    grouped: dict[int, tuple[str, int, list[str]]] = {}
    for eid, evaluator, kind, rid in conn.execute(q):
        grouped.setdefault(eid, (evaluator, kind, []))[2].append(rid)
    return [PlanEndorsement(eid, ev, k, tuple(rs)) for eid, (ev, k, rs) in grouped.items()]


def naming(
    conn: Connection, record_ids: Iterable[str], statuses: Sequence[str]
) -> list[tuple[PlanEndorsement, str]]:
    """Endorsements in ``statuses`` naming any of ``record_ids`` (all their records, in
    order), each with its status; one query."""
    ids = list(record_ids)
    if not ids:
        return []
    grouped: dict[int, tuple[str, int, str, list[str]]] = {}
    for eid, evaluator, kind, status, rid in conn.execute(
        _NAMING, {"ids": ids, "statuses": list(statuses)}
    ).all():
        grouped.setdefault(eid, (evaluator, kind, status, []))[3].append(rid)
    return [
        (PlanEndorsement(eid, ev, k, tuple(rs)), st) for eid, (ev, k, st, rs) in grouped.items()
    ]


def stale_endorsements_of(conn: Connection, record_ids: Iterable[str]) -> list[str]:
    """Mark active endorsements naming any of ``record_ids`` stale; their other records' ids."""
    ids = list(record_ids)
    if not ids:
        return []
    eids = list(conn.execute(_ACTIVE_NAMING, {"ids": ids}).scalars())
    if not eids:
        return []
    conn.execute(
        update(endorsements)
        .where(endorsements.c.id.in_(eids))
        .values(status="stale", updated_at=time.time())
    )
    others = conn.execute(
        select(links.c.record_id).where(links.c.endorsement_id.in_(eids))
    ).scalars()
    return sorted(set(others) - set(ids))


_ENDORSEMENTS_IN = (
    update(endorsements)
    .where(endorsements.c.id.in_(bindparam("eids", expanding=True)))
    .values(status="active", outbox_id=bindparam("b_oid"), updated_at=bindparam("b_at"))
)


def set_endorsements(conn: Connection, ids: Iterable[int], status: str, **values: Any) -> None:
    """Move endorsements to ``status``."""
    eids = list(ids)
    if eids:
        conn.execute(
            update(endorsements)
            .where(endorsements.c.id.in_(eids))
            .values(status=status, updated_at=time.time(), **values)
        )


def queue_endorsements(conn: Connection, eids: Sequence[int], oid: int, now: float) -> None:
    """Put endorsements ``eids`` in outbox row ``oid`` (they stay ``active`` until it is mined)."""
    if eids:
        conn.execute(_ENDORSEMENTS_IN, {"eids": list(eids), "b_oid": oid, "b_at": now})
