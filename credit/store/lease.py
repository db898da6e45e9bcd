"""One holder at a time of a named job (a relayer key's relay worker, the indexer), across
processes and machines, enforced by the database.

- PostgreSQL: a session-level advisory lock on a connection the holder keeps open. The server
  releases it the moment that session ends (a clean stop, a crash, SIGKILL, a lost network), so
  a successor takes over at once.
- Other databases (SQLite): a row in ``worker_leases`` naming the holder until ``expires_at``,
  renewed every third of the lease. A holder killed keeps it until it expires; then the next
  one takes it.

:meth:`Lease.acquire` waits until the lease is held (logging that it waits), a thread keeps it,
and :attr:`Lease.lost` is set if it cannot: the holder must then stop its job, since a
successor may already run it.

Advisory lock keys (:func:`advisory_key`) also name the PostgreSQL locks a transaction holds
until it ends (:func:`lock_until_commit`), which the relay's transactions take.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Column, Float, MetaData, String, Table, insert, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from credit.errors import StoreError

log = logging.getLogger(__name__)

# Its own metadata: created on first use by the holders that need it (never on PostgreSQL).
_metadata = MetaData()
worker_leases = Table(
    "worker_leases",
    _metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", Float, nullable=False),  # Unix time
)

WAIT_LOG_SECONDS = 30.0  # a waiting holder says so again this often


def advisory_key(name: str) -> int:
    """The signed 64-bit advisory lock key of ``name`` (stable across processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


_XACT_LOCKS = {
    shared: text(
        f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(k)"
        " FROM unnest(CAST(:keys AS bigint[])) AS k"
    )
    for shared in (False, True)
}


def lock_until_commit(conn: Connection, *keys: int, shared: bool = False) -> None:
    """Take PostgreSQL transaction-level advisory locks on ``keys``, one after the other in the
    order given (one statement), held until ``conn``'s transaction ends; ``shared``: in shared
    mode, which only an exclusive holder of the same key excludes."""
    if keys:
        conn.execute(_XACT_LOCKS[shared], {"keys": list(keys)})


class Lease:
    """The database's word that this process alone runs ``name`` (see module doc)."""

    def __init__(self, engine: Engine, name: str, *, seconds: float = 10.0) -> None:
        self.engine, self.name, self.seconds = engine, name, seconds
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lost = threading.Event()
        self._held = False
        self._conn: Connection | None = None  # PostgreSQL: the session holding the lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def advisory(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def held(self) -> bool:
        return self._held and not self.lost.is_set()

    # ------------------------------------------------------------------ acquire / release
    def try_acquire(self) -> bool:
        """Take the lease if it is free (or expired); True if this process holds it now."""
        ok = self._try_advisory() if self.advisory else self._try_row()
        if ok and not self._held:
            self._held = True
            self.lost.clear()
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._keep, name=f"lease-{self.name}", daemon=True
            )
            self._thread.start()
        return ok

    def acquire(self, stop: threading.Event, poll: float = 1.0) -> bool:
        """Wait until the lease is held (True) or ``stop`` is set (False), saying that it
        waits when it does, and again every :data:`WAIT_LOG_SECONDS`."""
        said = 0.0
        while not stop.is_set():
            try:
                if self.try_acquire():
                    log.info("%s: this process (%s) took the lease", self.name, self.holder)
                    return True
            except StoreError as exc:  # a busy or unreachable database: wait and try again
                log.warning("%s: could not ask the database for the lease: %s", self.name, exc)
            now = time.monotonic()
            if now - said >= WAIT_LOG_SECONDS:
                log.warning(
                    "%s: another process holds the lease; waiting for it (%s)",
                    self.name,
                    self.holder,
                )
                said = now
            stop.wait(min(poll, self.seconds))
        return False

    def release(self) -> None:
        """Give the lease up (idempotent); a successor may take it at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.seconds)
            self._thread = None
        if not self._held:
            return
        self._held = False
        try:
            if self.advisory:
                conn, self._conn = self._conn, None
                if conn is not None:  # the pool would keep the session, and its lock
                    conn.invalidate()  # so its connection is closed: the server releases it
                    conn.close()
            else:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(worker_leases)
                        .where(worker_leases.c.name == self.name)
                        .where(worker_leases.c.holder == self.holder)
                        .values(expires_at=0.0)
                    )
        except Exception as exc:  # the lease expires or its session ends without us
            log.warning("%s: releasing the lease failed: %s", self.name, exc)

    # ------------------------------------------------------------------ PostgreSQL
    def _try_advisory(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect()
        conn = self._conn
        try:
            got = bool(
                conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(self.name)}
                ).scalar_one()
            )
            conn.commit()  # the lock is the session's: no transaction stays open
        except Exception:
            self._conn = None
            conn.invalidate()
            conn.close()
            raise
        return got

    def _still_advisory(self) -> bool:
        conn = self._conn
        if conn is None:
            return False
        held = conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() "
                "AND objid = CAST(CAST(:k AS bigint) & 4294967295 AS oid) "
                "AND classid = CAST((CAST(:k AS bigint) >> 32) & 4294967295 AS oid)"
            ),
            {"k": advisory_key(self.name)},
        ).scalar_one()
        conn.commit()
        return bool(held)

    # ------------------------------------------------------------------ a lease row
    def _try_row(self) -> bool:
        worker_leases.create(self.engine, checkfirst=True)
        now = time.time()
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(worker_leases)
                .where(worker_leases.c.name == self.name)
                .where((worker_leases.c.holder == self.holder) | (worker_leases.c.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.seconds)
            ).rowcount
            if taken:
                return True
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(worker_leases).values(
                        name=self.name, holder=self.holder, expires_at=now + self.seconds
                    )
                )
        except IntegrityError:  # another holder's row
            return False
        return True

    def _renew_row(self) -> bool:
        now = time.time()
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(worker_leases)
                    .where(worker_leases.c.name == self.name)
                    .where(worker_leases.c.holder == self.holder)
                    .where(worker_leases.c.expires_at >= now)
                    .values(expires_at=now + self.seconds)
                ).rowcount
            )

    # ------------------------------------------------------------------ keeping it
    def _keep(self) -> None:
        """Renew (or check) the lease every third of its length; set :attr:`lost` if it is
        gone, or if renewing keeps failing until it would have expired."""
        every = self.seconds / 3
        last_ok = time.monotonic()
        while not self._stop.wait(every):
            try:
                kept: bool | None = self._still_advisory() if self.advisory else self._renew_row()
            except Exception as exc:  # a database error of any kind
                kept = None
                log.warning("%s: renewing the lease failed: %s", self.name, exc)
                if self.advisory:  # the session is gone or unusable: so is its lock
                    kept = False
            if kept:
                last_ok = time.monotonic()
                continue
            if kept is False or time.monotonic() - last_ok >= self.seconds * 2 / 3:
                log.error("%s: this process lost the lease: its job must stop", self.name)
                self.lost.set()
                return


_depth = threading.local()  # exclusive() blocks this thread is inside, by name


@contextmanager
def exclusive(engine: Engine, name: str) -> Iterator[None]:
    """Run the block while no other process runs one for ``name`` on this database: on
    PostgreSQL a session advisory lock, waited for, on a connection of its own, released at the
    end (or when the process dies); elsewhere nothing (a SQLite file has one gateway process).
    Re-entrant in a thread; hold a thread lock around it for the threads of one process."""
    held: dict[str, int] = _depth.__dict__.setdefault("held", {})
    if engine.dialect.name != "postgresql" or held.get(name, 0) > 0:
        held[name] = held.get(name, 0) + 1
        try:
            yield
        finally:
            held[name] -= 1
        return
    key = {"k": advisory_key(name)}
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), key)
        conn.commit()
        held[name] = 1
        try:
            yield
        finally:
            held[name] = 0
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), key)
                conn.commit()
            except Exception:  # the session is unusable: closing it releases the lock
                conn.invalidate()
