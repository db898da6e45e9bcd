"""Which open claims have met their quorum (``pending``) and what the batcher plans from.

Every function takes a connection inside the caller's transaction (see
:mod:`credit.relay.records`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from credit.relay.confirmations import endorsements_of
from credit.relay.plan import PlanClaim, PlanEndorsement, Quorum, Tally, tally_of
from credit.relay.records import OPEN, set_status
from credit.relay.rows import ClaimRow, PlanRow, plan_row_of
from credit.store.relay_tables import relay_claims as claims


def plan_claim(row: PlanRow) -> PlanClaim:
    """The planner's view of a claim (or report) row."""
    return PlanClaim(
        row["record_id"],
        row["resident"],
        row["category"],
        row["nonce"],
        row["seq"],
        row["reporter"],
    )


def refresh(
    conn: Connection,
    record_ids: Iterable[str],
    rules: Mapping[int, Quorum],
    rows: Iterable[ClaimRow] | None = None,
    active: list[PlanEndorsement] | None = None,
) -> tuple[dict[str, str], list[PlanEndorsement]]:
    """Set open claims to ``pending`` if their active endorsements meet quorum, else ``waiting``.

    ``rows``: the claims' rows, and ``active``: every active endorsement naming them, if the
    caller has them already (current within this transaction). Returns the open claims'
    statuses now and the active endorsements naming them, so that a caller can report
    statuses without reading them again."""
    ids = list(record_ids)
    if not ids:
        return {}, []
    current: Iterable[Any] = (
        rows
        if rows is not None
        else conn.execute(
            select(claims).where(claims.c.record_id.in_(ids), claims.c.status.in_(OPEN))
        ).mappings()
    )
    if active is None:
        active = endorsements_of(conn, ids)
    named_by: dict[str, list[PlanEndorsement]] = defaultdict(list)
    for e in active:
        for r in e.records:
            named_by[r].append(e)
    now: dict[str, str] = {}
    moves: dict[str, list[str]] = defaultdict(list)
    for row in list(current):
        if row["status"] not in OPEN:
            continue
        quorum = rules.get(row["category"])
        met = quorum is not None and quorum.met(
            tally_of(plan_claim(row), named_by[row["record_id"]], quorum)
        )
        status = now[row["record_id"]] = "pending" if met else "waiting"
        if status != row["status"]:
            moves[status].append(row["record_id"])
    for status, moved in moves.items():
        set_status(conn, moved, status, only=OPEN)
    return now, active


def tally_for(conn: Connection, row: ClaimRow, quorum: Quorum) -> Tally:
    """The tally a claim has from its active endorsements."""
    return tally_of(plan_claim(row), endorsements_of(conn, [row["record_id"]]), quorum)


def count_pending(conn: Connection) -> int:
    """How many claims have met their quorum and wait for a batch."""
    q = select(func.count()).select_from(claims).where(claims.c.status == "pending")
    return int(conn.execute(q).scalar() or 0)


def plan_input(
    conn: Connection, window: int | None = None
) -> tuple[list[PlanClaim], list[PlanEndorsement], bool]:
    """Pending claims not blocked by an earlier waiting claim, endorsements wholly on them, and
    whether pending claims were left out.

    ``window``: only the residents of the ``window`` oldest pending claims (all their open
    claims, so each resident's nonce chain is whole), and the endorsements naming those claims:
    the batcher plans one batch at a time from the oldest claims, and reading every pending
    claim for each batch cost more than the plan. ``None``: every pending claim."""
    c = claims.c
    open_claims = select(
        c.record_id, c.resident, c.category, c.nonce, c.seq, c.status, c.reporter
    ).where(c.status.in_(OPEN))
    partial = False
    if window is not None:
        oldest = list(
            conn.execute(
                select(c.resident).where(c.status == "pending").order_by(c.seq).limit(window + 1)
            ).scalars()
        )
        partial = len(oldest) > window
        if not oldest:
            return [], [], False
        open_claims = open_claims.where(c.resident.in_(set(oldest[:window])))
    rows = conn.execute(open_claims.order_by(c.resident, c.nonce)).mappings()
    by_resident: dict[str, list[PlanRow]] = defaultdict(list)
    for found in rows:
        by_resident[found["resident"]].append(plan_row_of(found))
    ready: list[PlanClaim] = []
    for mine in by_resident.values():
        blocked = False
        for row in mine:
            if row["reporter"] is not None:  # a report holds no nonce: it waits for nothing
                if row["status"] == "pending":
                    ready.append(plan_claim(row))
                continue
            if blocked or row["status"] != "pending":
                blocked = True  # a waiting claim holds back the resident's later nonces
                continue
            ready.append(plan_claim(row))
    ids = {claim.record_id for claim in ready}
    # all of them: every active endorsement (the few not relayed yet) beats an IN list of every
    # ready id; a window: those naming its claims
    active = endorsements_of(conn) if window is None else endorsements_of(conn, ids)
    usable = [e for e in active if set(e.records) <= ids]
    return ready, usable, partial
