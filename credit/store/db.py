"""Engine creation and the shared metadata every table module registers on.

Every engine made here turns the driver errors that describe the database's own state, not the
request, into typed errors of :mod:`credit.errors`: a lock held past the busy timeout becomes
:class:`StoreBusy`, a full database or disk :class:`StoreFull`. The API answers those with 503 /
507 and a clear message; background workers pause and retry. In both cases the failed
transaction was rolled back, so nothing is half written.

A SQLite file has one writer lock across threads and processes (:func:`writer`), and the gateway
copies its write-ahead log into it in the background (:class:`credit.store.wal.Checkpointer`), so
that no writer does that work while the others wait. Every SQLite connection zeroes the space it
frees (``secure_delete``): what is erased must not stay readable (:func:`credit.store.wal.scrub`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    MetaData,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import DisconnectionError

from credit.errors import StoreBusy, StoreError, StoreFull

_log = logging.getLogger(__name__)
metadata = MetaData()

DEFAULT_BUSY_TIMEOUT_SECONDS = 15.0

# SQLite primary result codes (the low byte of an extended code such as SQLITE_BUSY_SNAPSHOT).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL = 5, 6, 13
# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, too_many_connections,
# out_of_memory (the server's lock table full: max_locks_per_transaction); disk_full.
_PG_BUSY = frozenset({"55P03", "40P01", "53300", "53200"})
_PG_FULL = frozenset({"53100"})


class _FileWriter:
    """This process's share of the lock file of one SQLite database."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.threads = threading.RLock()
        self.depth = 0


def sqlite_file(engine: Engine) -> str | None:
    """The path of ``engine``'s SQLite database file; None in memory or on other databases."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    return database if database and database != ":memory:" else None


_writers: dict[str, _FileWriter] = {}
_writers_lock = threading.Lock()


@contextmanager
def writer(engine: Engine) -> Iterator[None]:
    """Hold the database's writer lock: one writing transaction at a time, across the threads
    and processes sharing a SQLite file (wrap ``engine.begin()`` in it); nothing elsewhere.

    SQLite lets one writer in at a time anyway, but a writer it turns away sleeps in its busy
    handler (1 to 100 ms at a time) and may still hold other locks meanwhile; waiting here, on an
    exclusive ``flock`` of ``<database>.write-lock``, the kernel wakes the next writer as soon as
    the last one is done. Re-entrant within a thread."""
    database = sqlite_file(engine)
    if database is None:
        yield
        return
    with _writers_lock:
        found = _writers.get(database)
        if found is None:
            found = _writers[database] = _FileWriter(f"{database}.write-lock")
    with found.threads:  # threads of this process share one flock: they take turns here first
        if found.depth == 0:
            fcntl.flock(found.fd, fcntl.LOCK_EX)
        found.depth += 1
        try:
            yield
        finally:
            found.depth -= 1
            if found.depth == 0:
                fcntl.flock(found.fd, fcntl.LOCK_UN)


WAL_AUTOCHECKPOINT_PAGES = 16_384  # 64 MB of 4 KB pages: the writer's own checkpoint, a backstop


def store_error(exc: BaseException) -> StoreError | None:
    """The typed error for a driver error caused by the database's state (lock, full), or None.

    Accepts the DB-API exception or SQLAlchemy's wrapper of it (``.orig``).
    """
    orig = getattr(exc, "orig", None) or exc
    detail = str(orig).strip() or type(orig).__name__
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        primary = code & 0xFF
        if primary in (SQLITE_BUSY, SQLITE_LOCKED):
            return StoreBusy(f"{StoreBusy.default_message} ({detail})")
        if primary == SQLITE_FULL:
            return StoreFull(f"{StoreFull.default_message} ({detail})")
        return None
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in _PG_BUSY:
        return StoreBusy(f"{StoreBusy.default_message} ({detail})")
    if state in _PG_FULL:
        return StoreFull(f"{StoreFull.default_message} ({detail})")
    return None


def make_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and foreign keys on.

    ``busy_timeout`` is how long (seconds) a write waits for another writer's lock before it
    fails with :class:`StoreBusy`: short locks (a checkpoint, another process's write) are waited
    out, a stuck one is reported instead of hanging the request.
    """
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # zero what a delete or update frees, in the page and the free list: an erased salt
            # must not stay in the file (scrub() then empties the log of the older pages)
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            cur.close()

    elif _is_postgresql(url):
        engine = _postgresql_engine(url, busy_timeout)
    else:
        engine = create_engine(url, pool_pre_ping=True)  # another server: its own dialect

    event.listen(engine, "handle_error", _typed_error)
    return engine


POSTGRESQL_POOL_SIZE = 10  # connections each process keeps open to the server
POSTGRESQL_MAX_OVERFLOW = 20  # and how many more it may open under a burst


def _is_postgresql(url: str) -> bool:
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def postgresql_url(url: str) -> str:
    """``url`` with the psycopg 3 driver named: ``postgresql://`` and ``postgres://`` URLs
    (as operators and hosting providers write them) would otherwise ask for psycopg2."""
    scheme, rest = url.split(":", 1)
    return f"postgresql+psycopg:{rest}" if "+" not in scheme else url


def _postgresql_engine(url: str, busy_timeout: float) -> Engine:
    """A pooled engine for a PostgreSQL server. A statement waiting on another transaction's
    lock for ``busy_timeout`` seconds fails (``lock_timeout``: :class:`StoreBusy`), as on
    SQLite; dropped connections (a restarted server) are replaced before use."""
    engine = create_engine(
        postgresql_url(url), pool_size=POSTGRESQL_POOL_SIZE, max_overflow=POSTGRESQL_MAX_OVERFLOW
    )
    lock_timeout = max(1, int(busy_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _timeouts(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {lock_timeout}")
        dbapi_conn.commit()

    _ping_when_idle(engine)
    return engine


PING_IDLE_SECONDS = 1.0  # a pooled connection idle this long is pinged before it is used again


def _ping_when_idle(engine: Engine, idle: float = PING_IDLE_SECONDS) -> None:
    """Replace a dropped connection (a restarted server) before use, pinging only connections
    that sat in the pool for ``idle`` seconds or more. SQLAlchemy's ``pool_pre_ping`` pings at
    every checkout: one more round trip per request, as much as a whole indexed read. A
    connection dropped while in use fails its statement, which the caller retries (a 503 for the
    API, a backoff for the workers)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_from")
        if since is None or time.monotonic() - since < idle:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects anew
            raise


READ_POOL_SIZE = 8  # autocommit connections each process keeps for reads (see reader())
READ_MAX_OVERFLOW = 16
_readers: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def reader(engine: Engine) -> Engine:
    """The engine to run reads with: on PostgreSQL, a pool of its own of autocommit connections
    to the same database, so that a read is one round trip (no ``BEGIN``, no ``ROLLBACK`` at
    checkin; PostgreSQL's default READ COMMITTED takes a snapshot per statement either way, so
    the answers are the same); elsewhere ``engine`` itself. Writes stay on ``engine``. The
    reader is disposed with ``engine``."""
    if engine.dialect.name != "postgresql":
        return engine
    with _readers_lock:
        found = _readers.get(engine)
        if found is None:
            found = create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=READ_POOL_SIZE,
                max_overflow=READ_MAX_OVERFLOW,
            )
            _ping_when_idle(found)
            event.listen(found, "handle_error", _typed_error)
            event.listen(engine, "engine_disposed", lambda _conn, r=found: r.dispose())
            _readers[engine] = found
    return found


def _typed_error(context: ExceptionContext) -> BaseException | None:
    typed = store_error(context.original_exception)
    if typed is None and context.is_disconnect:  # the server went away (restarted, or the network)
        return StoreError(
            f"{StoreError.default_message} (the connection to the database was lost: "
            f"{str(context.original_exception).strip() or 'closed'})"
        )
    return typed
