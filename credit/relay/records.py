"""The relay's claims (and violation reports) in the database (SQLAlchemy Core, any backend).

Every function takes a connection inside the caller's transaction, so a caller can combine
several steps atomically (the outbox stores a transaction and queues its claims in one). The
endorsements are in :mod:`credit.relay.confirmations`, the quorum bookkeeping and the batcher's
reads in :mod:`credit.relay.pending`, the one write transaction in
:mod:`credit.relay.transaction`."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter

from credit.relay.confirmations import queue_endorsements, stale_endorsements_of
from credit.relay.models import ClaimIn, ReportIn
from credit.relay.rows import ClaimRow, NewClaim, claim_row_of
from credit.store.lease import advisory_key, lock_until_commit
from credit.store.relay_tables import relay_claims as claims
from credit.store.relay_tables import relay_endorsement_records as links
from credit.store.relay_tables import relay_endorsements as endorsements

OPEN = ("waiting", "pending")  # accepted, not yet in a transaction

LIVE = ("waiting", "pending", "queued", "sent")  # accepted, not yet credited or rejected


def reason_json(error: str, message: str, args: Mapping[str, Any] | None = None) -> str:
    """A stored rejection reason: the (decoded) error name, its arguments and a sentence."""
    return json.dumps({"error": error, "args": dict(args or {}), "message": message}, default=str)


def claim_row(conn: Connection, record_id: str) -> ClaimRow | None:
    """One claim by record id."""
    row = conn.execute(select(claims).where(claims.c.record_id == record_id)).mappings().first()
    return None if row is None else claim_row_of(row)


# Statements run with a list of ids on every request or batch, built once: an ``in_()`` over a
# literal list coerces each value and makes a new statement (and cache key) on every call.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)

_CLAIM_ROWS = select(claims).where(claims.c.record_id.in_(_IDS))

_LIVE = (  # per resident: the highest live nonce, and how many live claims are waiting
    select(
        claims.c.resident,
        func.max(claims.c.nonce),
        func.sum(case((claims.c.status == "waiting", 1), else_=0)),
    )
    .where(claims.c.resident.in_(_IDS), claims.c.status != "rejected", claims.c.reporter.is_(None))
    .group_by(claims.c.resident)
)


def claim_rows(conn: Connection, record_ids: Iterable[str]) -> dict[str, ClaimRow]:
    """The claims among ``record_ids`` that exist, by record id (one query)."""
    ids = list(record_ids)
    if not ids:
        return {}
    found = conn.execute(_CLAIM_ROWS, {"ids": ids}).mappings().all()  # one fetch, not one a row
    return {r["record_id"]: claim_row_of(r) for r in found}


class LiveClaims(NamedTuple):
    """A resident's claims not rejected, as intake needs them."""

    next_nonce: int  # 1 + the highest nonce among them (:func:`next_live_nonce`)
    waiting: int  # how many of them wait for confirmations


def live_claims(conn: Connection, residents: Iterable[str]) -> dict[str, LiveClaims]:
    """:class:`LiveClaims` of each of ``residents`` that has claims not rejected (one query for
    them all: the rows it reads for the nonce give the waiting count too)."""
    wanted = list(residents)
    if not wanted:
        return {}
    return {
        resident: LiveClaims(int(top) + 1, int(waiting or 0))
        for resident, top, waiting in conn.execute(_LIVE, {"ids": wanted})
    }


ClaimKey = tuple[str, int, int, int, str]  # resident, category, units, occurred_at, evidence


def claim_key(row: Mapping[str, Any]) -> ClaimKey:
    """What makes two claims the same activity: who, what, how much, when, with what evidence
    (not the nonce or deadline, which differ between two signatures of one claim)."""
    return (row["resident"], row["category"], row["units"], row["occurred_at"], row["evidence"])


_TWINS = select(
    claims.c.record_id,
    claims.c.resident,
    claims.c.category,
    claims.c.units,
    claims.c.occurred_at,
    claims.c.evidence,
    claims.c.status,
).where(claims.c.resident.in_(_IDS), claims.c.status.in_(LIVE))


def live_keys(conn: Connection, residents: Iterable[str]) -> dict[ClaimKey, tuple[str, str]]:
    """The :func:`claim_key` of every live claim (not credited, not rejected) of ``residents``,
    with its record id and status (one query: a resident has few live claims)."""
    wanted = list(residents)
    if not wanted:
        return {}
    rows = conn.execute(_TWINS, {"ids": wanted}).mappings()
    return {claim_key(cast(Mapping[str, Any], r)): (r["record_id"], r["status"]) for r in rows}


def next_live_nonce(conn: Connection, resident: str) -> int | None:
    """1 + the highest nonce among the resident's claims not rejected (None if there are none)."""
    q = select(func.max(claims.c.nonce)).where(
        claims.c.resident == resident, claims.c.status != "rejected", claims.c.reporter.is_(None)
    )
    top = conn.execute(q).scalar()
    return None if top is None else int(top) + 1


# Numbering claims (``seq``, their acceptance order) on PostgreSQL: an advisory lock held from
# reading the highest number to commit, the last step of storing claims, so that requests
# storing claims side by side (credit.relay.transaction.alongside) number theirs in turn.
SEQ_LOCK = advisory_key("credit.relay.seq")


def insert_claim(conn: Connection, row: NewClaim) -> None:
    """Store an accepted claim as ``waiting`` (no confirmation yet)."""
    insert_claims(conn, [row])


def insert_claims(conn: Connection, rows: Sequence[NewClaim]) -> None:
    """Store accepted claims (or reports, rows with a ``reporter``) as ``waiting``, in this
    order (one ``executemany``); a report holds no nonce of its resident: ``voided`` from the
    start."""
    if not rows:
        return
    now = time.time()
    if conn.dialect.name == "postgresql":  # requests store claims side by side: seq in turn
        lock_until_commit(conn, SEQ_LOCK)
    seq = int(conn.execute(select(func.coalesce(func.max(claims.c.seq), 0))).scalar() or 0)
    conn.execute(
        insert(claims),
        [
            {
                **row,
                "seq": seq + i,
                "voided": seq + i if row.get("reporter") else 0,
                "status": "waiting",
                "created_at": now,
                "updated_at": now,
            }
            for i, row in enumerate(rows, start=1)
        ],
    )


_QUEUE_CHUNK = 256  # rows fetched at a time by the queue's scan (it stops early)

_EVALUATOR: BindParameter[Any] = bindparam("evaluator")

_QUEUE_SCAN = (  # waiting claims an evaluator could still confirm, oldest first
    select(claims.c.record_id, claims.c.resident)
    .where(
        claims.c.status == "waiting",
        claims.c.resident != _EVALUATOR,
        or_(claims.c.reporter.is_(None), claims.c.reporter != _EVALUATOR),  # not their report
        ~exists().where(
            links.c.record_id == claims.c.record_id,
            endorsements.c.id == links.c.endorsement_id,
            endorsements.c.evaluator == _EVALUATOR,
            endorsements.c.status.in_(("active", "used")),
        ),
    )
    .order_by(claims.c.seq)
    .execution_options(yield_per=_QUEUE_CHUNK)
)


def confirmation_queue(conn: Connection, evaluator: str, limit: int) -> list[str]:
    """Ids of up to ``limit`` waiting claims and reports ``evaluator`` could still confirm (not
    about themselves, not reported by them, not endorsed by them already), residents in turn:
    residents in the order of their oldest such claim, one claim of each per round (their
    oldest first). One resident's many claims take one place per round, never the page: a
    resident appears twice on a page only when fewer than ``limit`` residents wait, and a
    claim's place only moves up as time passes (only residents already waiting when it came
    can be before it).

    It reads the waiting claims oldest first and stops at the ``limit``-th resident: about
    ``limit`` times the bound on a resident's waiting claims at most, however many wait (a
    window function ranking each resident's claims would read and sort all of them), plus
    those the evaluator endorsed already, which it skips."""
    rounds: dict[str, list[str]] = {}  # resident -> their claims, in order of their oldest
    result = conn.execute(_QUEUE_SCAN, {"evaluator": evaluator})
    try:
        for record_id, resident in result:
            rounds.setdefault(resident, []).append(record_id)
            if len(rounds) >= limit:  # the first round fills the page
                break
    finally:
        result.close()
    page: list[str] = []
    for turn in range(max((len(ids) for ids in rounds.values()), default=0)):
        page += [ids[turn] for ids in rounds.values() if turn < len(ids)]
        if len(page) >= limit:
            break
    return page[:limit]


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
    q = _SET_STATUS if only is None else _SET_STATUS_ONLY
    params = {"ids": ids, "only": list(only or ()), "b_status": status, "b_at": time.time()}
    if values:  # other columns too: a statement for this call
        q = q.values(**values)
    return int(conn.execute(q, params).rowcount)


_SET_STATUS = (
    update(claims)
    .where(claims.c.record_id.in_(_IDS))
    .values(status=bindparam("b_status"), updated_at=bindparam("b_at"))
)

_SET_STATUS_ONLY = _SET_STATUS.where(claims.c.status.in_(bindparam("only", expanding=True)))

_QUEUE = (  # every batch runs it: pending claims into an outbox row
    _SET_STATUS.where(claims.c.status == "pending").values(
        outbox_id=bindparam("b_oid"), tx_hash=bindparam("b_tx")
    )
)


def set_credited(
    conn: Connection, credited: Sequence[tuple[str, str, int, int]], only: Iterable[str]
) -> int:
    """Mark claims credited from their (record id, tx hash, block, points), only claims in the
    statuses ``only``; returns rows changed. One statement per (tx, block, points): the claims
    of a mined batch share the first two and take few distinct points, where an
    ``executemany`` ran one statement per claim."""
    if not credited:
        return 0
    groups: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for record_id, tx_hash, block, points in credited:
        groups[(tx_hash, block, points)].append(record_id)
    now, statuses, changed = time.time(), list(only), 0
    for (tx_hash, block, points), ids in groups.items():
        params = {
            "ids": ids,
            "only": statuses,
            "b_status": "credited",
            "b_tx": tx_hash,
            "b_block": block,
            "b_points": points,
            "b_at": now,
        }
        changed += conn.execute(_CREDIT, params).rowcount
    return changed


_CREDIT = _SET_STATUS_ONLY.values(  # the status move with what the chain says of it
    tx_hash=bindparam("b_tx"), block=bindparam("b_block"), points=bindparam("b_points"), reason=None
)


def reject(
    conn: Connection,
    record_ids: Iterable[str],
    reason: str,
    moved: Mapping[str, int] | None = None,
) -> list[str]:
    """Reject live claims, then the same residents' later claims (their nonces can never be used).

    ``moved``: residents whose claim nonce the chain showed already past these claims (cancelled,
    or used by another claim), with that nonce. Of their later claims only those below it are
    rejected: the ones from it on can still be booked.

    Endorsements naming a rejected claim (the later ones too) can never be relayed either: they
    turn ``stale``. Returns the ids of claims whose status should be refreshed (they lost an
    endorsement).
    """
    ids = list(record_ids)
    if not ids:
        return []
    moved, cascaded = moved or {}, []
    rows = conn.execute(
        select(claims.c.record_id, claims.c.resident, claims.c.nonce, claims.c.reporter).where(
            claims.c.record_id.in_(ids), claims.c.status.in_(LIVE)
        )
    ).all()
    set_status(
        conn, [r.record_id for r in rows], "rejected", only=LIVE, reason=reason, voided=claims.c.seq
    )
    for r in rows:
        if r.reporter is not None:
            continue  # a report holds no nonce: nothing after it depends on it
        later_q = select(claims.c.record_id).where(
            claims.c.resident == r.resident,
            claims.c.nonce > r.nonce,
            claims.c.status.in_(OPEN),
            claims.c.reporter.is_(None),
        )
        now = moved.get(r.resident, r.nonce)
        if now > r.nonce:
            later_q = later_q.where(claims.c.nonce < now)
            cascade = reason_json(
                "NonceMoved",
                f"this resident's claim nonce is {now} on chain (cancelled, or used by another "
                f"claim): claims signed with a lower nonce can never be booked",
                {"record_id": r.record_id, "nonce": now},
            )
        else:
            cascade = reason_json(
                "EarlierClaimRejected",
                f"claim nonce {r.nonce} of this resident was rejected, so later nonces cannot be "
                f"used: sign again from nonce {r.nonce}",
                {"record_id": r.record_id, "nonce": r.nonce},
            )
        later = list(conn.execute(later_q).scalars())
        set_status(conn, later, "rejected", only=OPEN, reason=cascade, voided=claims.c.seq)
        cascaded += later
    return stale_endorsements_of(conn, [*ids, *cascaded])


def queue(
    conn: Connection, record_ids: Sequence[str], eids: Sequence[int], oid: int, tx_hash: str
) -> int:
    """Put pending claims ``record_ids`` and endorsements ``eids`` in outbox row ``oid``
    (transaction ``tx_hash``); returns how many of the claims were still pending."""
    now = time.time()
    moved = conn.execute(
        _QUEUE,
        {"ids": list(record_ids), "b_status": "queued", "b_at": now, "b_oid": oid, "b_tx": tx_hash},
    ).rowcount
    queue_endorsements(conn, eids, oid, now)
    return int(moved)


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


def signed_row(
    record_id: str, resident: str, payload: ClaimIn | ReportIn, r: bytes, vs: bytes
) -> NewClaim:
    """The stored row of a checked claim or report (``payload``: its request body), with its
    compact signature; a report's caller adds its ``reporter``."""
    return {
        "record_id": record_id,
        "resident": resident,
        "category": payload.category,
        "units": payload.units,
        "occurred_at": payload.occurred_at,
        "evidence": payload.evidence.lower(),
        "nonce": payload.nonce,
        "deadline": payload.deadline,
        "r": "0x" + r.hex(),
        "vs": "0x" + vs.hex(),
    }
