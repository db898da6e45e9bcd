"""The relay's claims and endorsements in the database (SQLAlchemy Core, any backend).

Every function takes a connection inside the caller's transaction, so a caller can combine
several steps atomically (the outbox stores a transaction and queues its claims in one).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from eth_utils import to_checksum_address
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from credit.relay.plan import PlanClaim, PlanEndorsement, Quorum, Tally, tally_of
from credit.store.relay_tables import (
    relay_claims as claims,
)
from credit.store.relay_tables import (
    relay_endorsement_records as links,
)
from credit.store.relay_tables import (
    relay_endorsements as endorsements,
)

OPEN = ("waiting", "pending")  # accepted, not yet in a transaction
LIVE = ("waiting", "pending", "queued", "sent")  # accepted, not yet credited or rejected


def reason_json(error: str, message: str, args: Mapping[str, Any] | None = None) -> str:
    """A stored rejection reason: the (decoded) error name, its arguments and a sentence."""
    return json.dumps({"error": error, "args": dict(args or {}), "message": message}, default=str)


def claim_row(conn: Connection, record_id: str) -> Any:
    """One claim by record id."""
    return conn.execute(select(claims).where(claims.c.record_id == record_id)).mappings().first()


def next_live_nonce(conn: Connection, resident: str) -> int | None:
    """1 + the highest nonce among the resident's claims not rejected (None if there are none)."""
    q = select(func.max(claims.c.nonce)).where(
        claims.c.resident == resident, claims.c.status != "rejected"
    )
    top = conn.execute(q).scalar()
    return None if top is None else int(top) + 1


def insert_claim(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store an accepted claim as ``waiting`` (no confirmation yet)."""
    now = time.time()
    seq = int(conn.execute(select(func.coalesce(func.max(claims.c.seq), 0))).scalar() or 0) + 1
    conn.execute(
        insert(claims).values(**row, seq=seq, status="waiting", created_at=now, updated_at=now)
    )


def insert_endorsement(conn: Connection, row: Mapping[str, Any], records: list[str]) -> int:
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


def confirmed_by(conn: Connection, evaluator: str, records: Iterable[str]) -> list[str]:
    """Which of ``records`` the evaluator already endorsed (active or used endorsements)."""
    q = (
        select(links.c.record_id)
        .join(endorsements, endorsements.c.id == links.c.endorsement_id)
        .where(
            endorsements.c.evaluator == evaluator,
            endorsements.c.status.in_(("active", "used")),
            links.c.record_id.in_(list(records)),
        )
    )
    return sorted(set(conn.execute(q).scalars()))


def endorsements_of(
    conn: Connection, record_ids: Iterable[str] | None = None, status: str = "active"
) -> list[PlanEndorsement]:
    """Endorsements in ``status`` (naming any of ``record_ids`` if given), records in order."""
    q = (
        select(endorsements.c.id, endorsements.c.evaluator, endorsements.c.kind, links.c.record_id)
        .join(links, links.c.endorsement_id == endorsements.c.id)
        .where(endorsements.c.status == status)
        .order_by(endorsements.c.id, links.c.position)
    )
    if record_ids is not None:
        ids = list(record_ids)
        named = select(links.c.endorsement_id).where(links.c.record_id.in_(ids))
        q = q.where(endorsements.c.id.in_(named))
    grouped: dict[int, tuple[str, int, list[str]]] = {}
    for eid, evaluator, kind, rid in conn.execute(q):
        grouped.setdefault(eid, (evaluator, kind, []))[2].append(rid)
    return [PlanEndorsement(eid, ev, k, tuple(rs)) for eid, (ev, k, rs) in grouped.items()]


def plan_claim(row: Any) -> PlanClaim:
    """The planner's view of a claim row."""
    return PlanClaim(row["record_id"], row["resident"], row["category"], row["nonce"], row["seq"])


def refresh(conn: Connection, record_ids: Iterable[str], rules: Mapping[int, Quorum]) -> None:
    """Set open claims to ``pending`` if their active endorsements meet quorum, else ``waiting``."""
    ids = list(record_ids)
    if not ids:
        return
    rows = conn.execute(
        select(claims).where(claims.c.record_id.in_(ids), claims.c.status.in_(OPEN))
    ).mappings()
    active = endorsements_of(conn, ids)
    for row in list(rows):
        quorum = rules.get(row["category"])
        met = quorum is not None and quorum.met(tally_of(plan_claim(row), active, quorum))
        status = "pending" if met else "waiting"
        if status != row["status"]:
            set_status(conn, [row["record_id"]], status, only=OPEN)


def tally_for(conn: Connection, row: Mapping[str, Any], quorum: Quorum) -> Tally:
    """The tally a claim has from its active endorsements."""
    return tally_of(plan_claim(row), endorsements_of(conn, [row["record_id"]]), quorum)


def set_status(
    conn: Connection,
    record_ids: Iterable[str],
    status: str,
    *,
    only: Iterable[str] | None = None,
    **values: Any,
) -> int:
    """Move claims to ``status`` (only from the statuses in ``only``); returns rows changed."""
    ids = list(record_ids)
    if not ids:
        return 0
    q = update(claims).where(claims.c.record_id.in_(ids))
    if only is not None:
        q = q.where(claims.c.status.in_(list(only)))
    return int(conn.execute(q.values(status=status, updated_at=time.time(), **values)).rowcount)


def reject(conn: Connection, record_ids: Iterable[str], reason: str) -> list[str]:
    """Reject live claims, then the same residents' later claims (their nonces can never be used).

    Endorsements naming a rejected claim can never be relayed either: they turn ``stale``. Returns
    the ids of claims whose status should be refreshed (they lost an endorsement).
    """
    ids = list(record_ids)
    rows = conn.execute(
        select(claims.c.record_id, claims.c.resident, claims.c.nonce).where(
            claims.c.record_id.in_(ids), claims.c.status.in_(LIVE)
        )
    ).all()
    set_status(conn, [r.record_id for r in rows], "rejected", only=LIVE, reason=reason)
    for r in rows:
        later = conn.execute(
            select(claims.c.record_id).where(
                claims.c.resident == r.resident, claims.c.nonce > r.nonce, claims.c.status.in_(OPEN)
            )
        ).scalars()
        cascade = reason_json(
            "EarlierClaimRejected",
            f"claim nonce {r.nonce} of this resident was rejected, so later nonces cannot be "
            f"used: sign again from nonce {r.nonce}",
            {"record_id": r.record_id, "nonce": r.nonce},
        )
        set_status(conn, list(later), "rejected", only=OPEN, reason=cascade)
    return stale_endorsements_of(conn, ids)


def stale_endorsements_of(conn: Connection, record_ids: Iterable[str]) -> list[str]:
    """Mark active endorsements naming any of ``record_ids`` stale; their other records' ids."""
    ids = list(record_ids)
    named = select(links.c.endorsement_id).where(links.c.record_id.in_(ids))
    eids = list(
        conn.execute(
            select(endorsements.c.id).where(
                endorsements.c.status == "active", endorsements.c.id.in_(named)
            )
        ).scalars()
    )
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


def set_endorsements(conn: Connection, ids: Iterable[int], status: str, **values: Any) -> None:
    """Move endorsements to ``status``."""
    eids = list(ids)
    if eids:
        conn.execute(
            update(endorsements)
            .where(endorsements.c.id.in_(eids))
            .values(status=status, updated_at=time.time(), **values)
        )


def plan_input(conn: Connection) -> tuple[list[PlanClaim], list[PlanEndorsement]]:
    """Pending claims not blocked by an earlier waiting claim, and endorsements wholly on them."""
    rows = conn.execute(
        select(claims).where(claims.c.status.in_(OPEN)).order_by(claims.c.resident, claims.c.nonce)
    ).mappings()
    by_resident: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_resident[row["resident"]].append(row)
    ready: list[PlanClaim] = []
    for mine in by_resident.values():
        for row in mine:
            if row["status"] != "pending":
                break  # a waiting claim holds back the resident's later nonces
            ready.append(plan_claim(row))
    ids = {c.record_id for c in ready}
    usable = [e for e in endorsements_of(conn, ids) if set(e.records) <= ids]
    return ready, usable


def expired(conn: Connection, limit: int) -> tuple[list[str], list[int]]:
    """Open claims and active endorsements whose deadline is before ``limit``."""
    cs = conn.execute(
        select(claims.c.record_id).where(claims.c.status.in_(OPEN), claims.c.deadline < limit)
    ).scalars()
    es = conn.execute(
        select(endorsements.c.id).where(
            and_(endorsements.c.status == "active", endorsements.c.deadline < limit)
        )
    ).scalars()
    return list(cs), list(es)


def claim_tuple(row: Any) -> tuple[Any, ...]:
    """The ``SignedClaim`` tuple of a stored claim."""
    return (
        to_checksum_address(row["resident"]),
        row["category"],
        row["units"],
        row["occurred_at"],
        row["deadline"],
        row["nonce"],
        bytes.fromhex(row["evidence"][2:]),
        bytes.fromhex(row["r"][2:]),
        bytes.fromhex(row["vs"][2:]),
    )


def endorsement_tuple(row: Any, mask: int) -> tuple[Any, ...]:
    """The ``Endorsement`` tuple of a stored endorsement at ``mask``."""
    return (
        row["kind"],
        row["deadline"],
        mask,
        bytes.fromhex(row["r"][2:]),
        bytes.fromhex(row["vs"][2:]),
    )
