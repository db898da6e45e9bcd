"""The relay's write transactions, across the threads of a process and across processes (the
API processes and the relay worker).

- :func:`write`: one at a time. Every transaction that moves claims between the relay's stages
  (a batch stored, a batch settled, claims expired or rejected) takes the relay's lock
  exclusively.
- :func:`alongside`: the city's requests (claims stored, confirmations stored). On PostgreSQL
  they take the relay's lock shared, so that they run side by side and only wait for an
  exclusive transaction, plus a lock on what each one reads to decide (a resident's nonce
  sequence, a claim's endorsements). On SQLite, where one writer runs at a time anyway, they are
  :func:`write`.
- :func:`own_rows`: a signer worker's bookkeeping on its own outbox row, with row locks only.

Measured at 100,000 residents on PostgreSQL (``make bench-gateway``): with one exclusive lock
for everything, a request storing claims waited 760 ms (median) for it and held it 49 ms, a
confirmation waited 672 ms and held it 57 ms, and relayed records/s were 0.567 of the plain-web3
ceiling; with :func:`alongside`, 0.68-0.75 (docs/throughput-history.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from credit.relay.core import RelayCore
from credit.relay.records import OPEN
from credit.store.db import writer
from credit.store.feed import announce
from credit.store.lease import advisory_key, lock_until_commit
from credit.store.relay_tables import relay_claims

WORK_CHANNEL = "credit_relay"  # new work for the relay worker (credit.store.feed)
RELAY_LOCK = advisory_key("credit.relay")  # PostgreSQL advisory lock key of the relay's lock
INTAKE_LOCK = advisory_key("credit.relay.intake")  # requests storing claims (see alongside)
# At most this many residents' locks in one transaction: a request for more residents (a kiosk's
# bulk upload) takes the intake lock exclusively instead. Each advisory lock takes a slot of the
# server's lock table (max_locks_per_transaction, 64 by default, times max_connections).
RESIDENT_LOCKS = 64
_LOCK_OPEN_CLAIMS = (
    select(relay_claims.c.record_id)
    .where(
        relay_claims.c.record_id.in_(bindparam("ids", expanding=True)),
        relay_claims.c.status.in_(OPEN),
    )
    .order_by(relay_claims.c.record_id)
    .with_for_update()
)


@contextmanager
def write(core: RelayCore) -> Iterator[Connection]:
    """A database transaction that changes relay state, one at a time: the relay's lock
    (``core.lock``, a re-entrant lock) orders the threads of this process, and a lock between
    processes orders the API processes and the relay worker (``credit relay run``), so that they
    never interleave a read-check-write (a batch stored from claims being confirmed, claims
    expired while a batch is settled).
    Everything read inside sees every earlier such transaction committed.

    Between processes: on SQLite the database's writer lock (:func:`credit.store.db.writer`,
    which the indexer's writes take too); on PostgreSQL the relay's advisory lock, exclusive,
    held until commit (transactions :func:`alongside` hold it shared)."""
    engine = core.engine
    with core.lock, writer(engine), engine.begin() as conn:
        if engine.dialect.name != "sqlite":
            lock_until_commit(conn, RELAY_LOCK)
        yield conn


@contextmanager
def alongside(
    core: RelayCore, *, residents: Iterable[str] = (), claims: Iterable[str] = ()
) -> Iterator[Connection]:
    """A transaction of a request that stores claims of ``residents`` or a confirmation of
    ``claims``, beside other such requests: on PostgreSQL it holds the relay's lock shared (no
    exclusive :func:`write` runs meanwhile), an advisory lock per resident (two requests for
    one resident take its nonces one after the other; a request for more than
    :data:`RESIDENT_LOCKS` residents takes the intake lock exclusively instead, which the others
    hold shared) and the row locks of the open claims among ``claims`` (two confirmations of one
    claim count each other's endorsement: the second waits, then reads the first's). Locks are
    taken in one order (the intake lock, residents, then record ids, sorted), so two such
    requests never wait for each other in a circle. On SQLite it is :func:`write`."""
    engine = core.engine
    if engine.dialect.name == "sqlite":
        with write(core) as conn:
            yield conn
        return
    keys = sorted({advisory_key(f"credit.relay.resident:{r.lower()}") for r in residents})
    ids = sorted(set(claims))
    with engine.begin() as conn:
        lock_until_commit(conn, RELAY_LOCK, shared=True)
        if len(keys) > RESIDENT_LOCKS:
            lock_until_commit(conn, INTAKE_LOCK)
        elif keys:
            lock_until_commit(conn, INTAKE_LOCK, shared=True)
            lock_until_commit(conn, *keys)
        if ids:
            conn.execute(_LOCK_OPEN_CLAIMS, {"ids": ids}).all()
        yield conn


@contextmanager
def own_rows(core: RelayCore) -> Iterator[Connection]:
    """A transaction that only moves rows one signer worker owns along their way (its outbox
    row and that row's claims, none of them open) and that no read-check-write of :func:`write`
    depends on: on PostgreSQL it takes row locks, not the relay's lock, so the city's claims and
    confirmations do not queue behind it. Its statements must lock claims before the outbox
    row, as settling does. On SQLite, where one writer runs at a time anyway, it is
    :func:`write`."""
    if core.engine.dialect.name == "sqlite":
        with write(core) as conn:
            yield conn
        return
    with core.engine.begin() as conn:
        yield conn


def new_work(conn: Connection) -> None:
    """Wake the relay worker, in whatever process it runs, when ``conn``'s transaction commits:
    it stored something that may make a batch (a confirmation). Without it the worker finds
    the work on its next idle look (``Relay.idle_seconds``)."""
    announce(conn, WORK_CHANNEL, "")
