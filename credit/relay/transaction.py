"""The relay's write transaction: one at a time, across the threads of a process and across
processes (the API processes and the relay worker)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import update
from sqlalchemy.engine import Connection

from credit.relay.core import RelayCore
from credit.store.db import writer
from credit.store.feed import announce
from credit.store.relay_tables import relay_lock

WORK_CHANNEL = "credit_relay"  # new work for the relay worker (credit.store.feed)
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


@contextmanager
def own_rows(core: RelayCore) -> Iterator[Connection]:
    """A transaction that only moves rows one signer worker owns along their way (its outbox
    row and that row's claims) and that no read-check-write of :func:`write` depends on: on
    PostgreSQL it takes row locks, not the relay's lock, so the city's claims and
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
