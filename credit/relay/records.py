"""The relay's claims and endorsements in the database (SQLAlchemy Core, any backend).

Every function takes a connection inside the caller's transaction, so a caller can combine
several steps atomically (the outbox stores a transaction and queues its claims in one).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter

from credit.relay.core import RelayCore
from credit.relay.plan import PlanClaim, PlanEndorsement, Quorum, Tally, tally_of
from credit.store.db import writer
from credit.store.relay_tables import (
    relay_claims as claims,
)
from credit.store.relay_tables import (
    relay_endorsement_records as links,
)
from credit.store.relay_tables import (
    relay_endorsements as endorsements,
)
from credit.store.relay_tables import relay_lock

OPEN = ("waiting", "pending")  # accepted, not yet in a transaction
LIVE = ("waiting", "pending", "queued", "sent")  # accepted, not yet credited or rejected


_TAKE_LOCK = update(relay_lock).where(relay_lock.c.id == 1).values(writes=relay_lock.c.writes + 1)


@contextmanager
def write(core: RelayCore) -> Iterator[Connection]:
    """A database transaction that changes relay state, one at a time: the relay's lock
    (``core.lock``, a re-entrant lock) orders the threads of this process, and a lock between
    processes orders the API processes and the relay worker (``credit relay run``), so that they
    never interleave a read-check-write (two requests taking one nonce, a confirmation of a
    claim being queued).
    Everything read inside sees every earlier such transaction committed.

    Between processes: on SQLite the database's writer lock (:func:`credit.store.db.writer`,
    which the indexer's writes take too); on other databases the lock row, updated first and
    held until commit."""
    engine = core.engine
    with core.lock, writer(engine), engine.begin() as conn:
        if engine.dialect.name != "sqlite":
            conn.execute(_TAKE_LOCK)
        yield conn


def reason_json(error: str, message: str, args: Mapping[str, Any] | None = None) -> str:
    """A stored rejection reason: the (decoded) error name, its arguments and a sentence."""
    return json.dumps({"error": error, "args": dict(args or {}), "message": message}, default=str)


def claim_row(conn: Connection, record_id: str) -> Any:
    """One claim by record id."""
    return conn.execute(select(claims).where(claims.c.record_id == record_id)).mappings().first()


# Statements run with a list of ids on every request or batch, built once: an ``in_()`` over a
# literal list coerces each value and makes a new statement (and cache key) on every call.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_CLAIM_ROWS = select(claims).where(claims.c.record_id.in_(_IDS))
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
_LIVE = (  # per resident: the highest live nonce, and how many live claims are waiting
    select(
        claims.c.resident,
        func.max(claims.c.nonce),
        func.sum(case((claims.c.status == "waiting", 1), else_=0)),
    )
    .where(claims.c.resident.in_(_IDS), claims.c.status != "rejected", claims.c.reporter.is_(None))
    .group_by(claims.c.resident)
)
_ENDORSEMENT_ROWS = select(endorsements).where(endorsements.c.id.in_(_IDS))


def endorsement_rows(conn: Connection, ids: Iterable[int]) -> dict[int, Any]:
    """The endorsements among ``ids``, by id (one query)."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {r["id"]: r for r in conn.execute(_ENDORSEMENT_ROWS, {"ids": wanted}).mappings()}


def claim_rows(conn: Connection, record_ids: Iterable[str]) -> dict[str, Any]:
    """The claims among ``record_ids`` that exist, by record id (one query)."""
    ids = list(record_ids)
    if not ids:
        return {}
    found = conn.execute(_CLAIM_ROWS, {"ids": ids}).mappings().all()  # one fetch, not one a row
    return {r["record_id"]: r for r in found}


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


def claim_key(row: Any) -> ClaimKey:
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
    return {claim_key(r): (r["record_id"], r["status"]) for r in rows}


def next_live_nonce(conn: Connection, resident: str) -> int | None:
    """1 + the highest nonce among the resident's claims not rejected (None if there are none)."""
    q = select(func.max(claims.c.nonce)).where(
        claims.c.resident == resident, claims.c.status != "rejected", claims.c.reporter.is_(None)
    )
    top = conn.execute(q).scalar()
    return None if top is None else int(top) + 1


def insert_claim(conn: Connection, row: Mapping[str, Any]) -> None:
    """Store an accepted claim as ``waiting`` (no confirmation yet)."""
    insert_claims(conn, [row])


def insert_claims(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store accepted claims (or reports, rows with a ``reporter``) as ``waiting``, in this
    order (one ``executemany``); a report holds no nonce of its resident: ``voided`` from the
    start."""
    if not rows:
        return
    now = time.time()
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


def plan_claim(row: Any) -> PlanClaim:
    """The planner's view of a claim (or report) row."""
    return PlanClaim(
        row["record_id"],
        row["resident"],
        row["category"],
        row["nonce"],
        row["seq"],
        row.get("reporter"),
    )


def refresh(
    conn: Connection,
    record_ids: Iterable[str],
    rules: Mapping[int, Quorum],
    rows: Iterable[Mapping[str, Any]] | None = None,
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
    if eids:
        conn.execute(_ENDORSEMENTS_IN, {"eids": list(eids), "b_oid": oid, "b_at": now})
    return int(moved)


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
    by_resident: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_resident[row["resident"]].append(row)
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
    """The ``SignedClaim`` tuple of a stored claim (the address lower-case, as stored: the ABI
    encoder takes it as it is, without a checksum's keccak per claim)."""
    return (
        row["resident"],
        row["category"],
        row["units"],
        row["occurred_at"],
        row["deadline"],
        row["nonce"],
        bytes.fromhex(row["evidence"][2:]),
        bytes.fromhex(row["r"][2:]),
        bytes.fromhex(row["vs"][2:]),
    )


def signed_row(record_id: str, resident: str, payload: Any, r: bytes, vs: bytes) -> dict[str, Any]:
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


def report_tuple(row: Any) -> tuple[Any, ...]:
    """The ``SignedReport`` tuple of a stored report: its reporter, then a claim's fields in a
    claim's order (``SignedReport`` is ``SignedClaim`` with the reporter first)."""
    return (row["reporter"], *claim_tuple(row))


def endorsement_tuple(row: Any, mask: int) -> tuple[Any, ...]:
    """The ``Endorsement`` tuple of a stored endorsement at ``mask``."""
    return (
        row["kind"],
        row["deadline"],
        mask,
        bytes.fromhex(row["r"][2:]),
        bytes.fromhex(row["vs"][2:]),
    )
