"""Engine creation and the shared metadata every table module registers on.

Every engine made here turns the driver errors that describe the database's own state, not the
request, into typed errors of :mod:`credit.errors`: a lock held past the busy timeout becomes
:class:`StoreBusy`, a full database or disk :class:`StoreFull`. The API answers those with 503 /
507 and a clear message; background workers pause and retry. In both cases the failed
transaction was rolled back, so nothing is half written.

A SQLite file has one writer lock across threads and processes (:func:`writer`), and the gateway
copies its write-ahead log into it in the background (:class:`Checkpointer`), so that no writer
does that work while the others wait.

What is deleted or overwritten must not stay readable in the files (erased evidence, see
:func:`scrub`): every SQLite connection zeroes the space it frees (``secure_delete``), and after an
erasure the write-ahead log, which still holds the old pages, is copied in and truncated to zero
bytes; on PostgreSQL the table is vacuumed.
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
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.schema import CreateTable

from credit.errors import StoreBusy, StoreError, StoreFull
from credit.store.retry import Backoff, log_retry

_log = logging.getLogger(__name__)
metadata = MetaData()

DEFAULT_BUSY_TIMEOUT_SECONDS = 15.0

# SQLite primary result codes (the low byte of an extended code such as SQLITE_BUSY_SNAPSHOT).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL = 5, 6, 13
# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, too_many_connections; disk_full.
_PG_BUSY = frozenset({"55P03", "40P01", "53300"})
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
SCRUB_WAIT_SECONDS = 1.0  # how long an erasure waits for older readers before leaving it to the
# checkpointer (meanwhile every writer waits too: SQLite lets none in during such a checkpoint)

# SQLite files whose log may still hold erased bytes: the Checkpointer empties it on its next run
_unscrubbed: set[str] = set()
_unscrubbed_lock = threading.Lock()


def _mark_unscrubbed(database: str, pending: bool) -> None:
    with _unscrubbed_lock:
        if pending:
            _unscrubbed.add(database)
        else:
            _unscrubbed.discard(database)


def _empty_log(engine: Engine, database: str, wait: float) -> bool:
    """Copy the whole log into ``database`` and truncate it to zero bytes (``TRUNCATE``
    checkpoint), waiting at most ``wait`` seconds for readers of older pages. As a writer
    (:func:`writer`): SQLite admits no writer until it is done. True if the log is empty."""
    _mark_unscrubbed(database, True)  # until this checkpoint says otherwise, even if it fails
    with writer(engine), engine.connect() as conn:
        previous = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one())
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait * 1000)}")
        try:
            busy, _logged, _copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        except StoreBusy:  # another checkpoint holds SQLite's checkpoint lock
            busy = 1
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {previous}")
        # still as the writer: no erasure can commit between this checkpoint and its verdict
        _mark_unscrubbed(database, busy != 0)
    return bool(busy == 0)


def scrub(engine: Engine, table: str) -> bool:
    """Make the rows just deleted or overwritten in ``table`` unreadable in the database's files.

    SQLite: the freed space is already zeroed (``secure_delete`` on every connection), but the log
    still holds earlier versions of the pages: it is copied in and truncated now, or, if readers
    of older pages keep it for more than :data:`SCRUB_WAIT_SECONDS`, by the :class:`Checkpointer`
    as soon as they are gone (False is returned then). PostgreSQL: ``VACUUM`` removes the dead
    row versions, unless a transaction older than the change still needs them (autovacuum
    removes them later). Neither reaches copies outside the database's files (PostgreSQL's WAL
    archive, backups): their retention is the operator's to bound. Never raises a
    :class:`StoreError` (a busy or full database): False, and the job is left as above."""
    database = sqlite_file(engine)
    try:
        if database is not None:
            return _empty_log(engine, database, SCRUB_WAIT_SECONDS)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f'VACUUM "{table}"')  # not inside a transaction
    except StoreError as exc:  # the erasure is committed: the checkpointer or autovacuum ends it
        _log.warning("scrubbing %s after an erasure failed: %s", table, exc)
        return False
    return True


class Checkpointer:
    """Copies a SQLite file's write-ahead log into the database in the background.

    By default SQLite checkpoints inside the commit that grows the log past 1,000 pages: that
    writer copies the pages and syncs the file while it still holds the writer lock
    (:func:`writer`), and every writer queued behind it waits. Here a thread runs a PASSIVE
    checkpoint every ``every`` seconds instead, outside any transaction (it waits for nobody
    and nobody waits for it); the writers' own checkpoint stays as a backstop at
    ``WAL_AUTOCHECKPOINT_PAGES``. Nothing for other databases.

    While the log may hold erased bytes (:func:`scrub` could not empty it, or the process
    stopped before it did: the first run after :meth:`start` assumes so), a run is a TRUNCATE
    checkpoint that waits for no reader instead, until one empties the log."""

    def __init__(self, engine: Engine, every: float = 0.5) -> None:
        self.engine, self.every = engine, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        database = sqlite_file(self.engine)
        if database is None or self._thread is not None:
            return
        _mark_unscrubbed(database, True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def checkpoint(self) -> tuple[int, int]:
        """One PASSIVE checkpoint now: the frames in the log, and how many of them are now in
        the database (all, unless a reader still needs the older pages). If the log may hold
        erased bytes, a TRUNCATE checkpoint that waits for no reader: (0, 0) once it emptied
        the log."""
        database = sqlite_file(self.engine)
        with _unscrubbed_lock:
            pending = database in _unscrubbed
        if database is not None and pending and _empty_log(self.engine, database, wait=0.0):
            self.runs += 1
            return 0, 0
        with self.engine.connect() as conn:
            _busy, logged, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        self.runs += 1
        return int(logged), int(copied)

    def _run(self) -> None:
        backoff, delay = Backoff(self.every, cap=max(self.every, 30.0)), self.every
        while not self._stop.wait(delay):
            try:
                self.checkpoint()
                backoff.reset()
                delay = self.every
            except Exception as exc:  # a busy or full database: the writers' backstop remains
                delay = backoff.failed()
                log_retry(_log, "WAL checkpoint", exc, delay)


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


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema and seed its rows (idempotent; run at every
    start). The schema is versioned by Alembic (:mod:`credit.store.migrate`): an empty database
    gets every revision, one made by an earlier version the revisions it lacks, and one made
    before versioned migrations is first brought to the baseline (:func:`_adopt`)."""
    from credit.store import migrate

    migrate.upgrade(engine, _adopt)
    _seed_relay_lock(engine)
    _count_evidence(engine)


def _adopt(engine: Engine) -> None:
    """A database made before versioned migrations (release d9148b8 or earlier): the changes
    those releases made at start (:func:`_drop_unique_endorsement_digest`,
    :func:`_nonces_held_by_voided`, :func:`_claims_name_their_reporter`), after which its tables
    are the baseline revision's; that revision then creates the tables and indexes it lacks."""
    _drop_unique_endorsement_digest(engine)
    _nonces_held_by_voided(engine)
    _claims_name_their_reporter(engine)


def _count_evidence(engine: Engine) -> None:
    """Set :data:`credit.store.evidence_tables.evidence_usage` from the evidence rows (its one
    row is created on first use; recounting at every start also repairs any drift)."""
    from credit.store.evidence_tables import evidence, evidence_usage

    usage = update(evidence_usage).where(evidence_usage.c.id == 1)
    live = select(func.count(), func.coalesce(func.sum(evidence.c.size), 0)).where(
        evidence.c.erased_at.is_(None)
    )
    with writer(engine), engine.begin() as conn:
        # a write first, as an upload does: no upload of another process moves the row meanwhile
        found = conn.execute(usage.values(live_items=evidence_usage.c.live_items)).rowcount
        items, size = conn.execute(live).one()
        counted = {"live_items": int(items), "live_bytes": int(size)}
        if found:
            conn.execute(usage.values(**counted))
        else:
            conn.execute(insert(evidence_usage).values(id=1, **counted))


def _seed_relay_lock(engine: Engine) -> None:
    """The relay lock's one row (:data:`credit.store.relay_tables.relay_lock`), once."""
    from credit.store.relay_tables import relay_lock

    with engine.begin() as conn:
        if conn.execute(select(relay_lock.c.id).where(relay_lock.c.id == 1)).first() is None:
            conn.execute(insert(relay_lock).values(id=1, writes=0))


OBSOLETE_NONCE_INDEXES = ("ux_relay_claims_live_nonce", "ix_relay_claims_resident")


def _nonces_held_by_voided(engine: Engine) -> None:
    """Databases made before 2026-11-30 kept one live claim per resident nonce with a unique
    index on ``(resident, nonce)`` partial on ``status != 'rejected'``, beside a plain index on
    the same columns. Add ``relay_claims.voided`` (0, or the claim's seq if it was rejected) and
    drop both indexes, in one transaction; :func:`create_schema` then creates the unique index on
    ``(resident, nonce, voided)`` that replaces them."""
    from credit.store.relay_tables import relay_claims

    name = relay_claims.name
    inspector = inspect(engine)
    if name not in inspector.get_table_names():
        return
    if "voided" in {c["name"] for c in inspector.get_columns(name)}:
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN voided BIGINT NOT NULL DEFAULT 0")
        conn.execute(
            update(relay_claims)
            .where(relay_claims.c.status == "rejected")
            .values(voided=relay_claims.c.seq)
        )
        for index in OBSOLETE_NONCE_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")


def _claims_name_their_reporter(engine: Engine) -> None:
    """Databases made before 2026-12-07 relayed claims only: add ``relay_claims.reporter``
    (NULL, a claim) so that they relay violation reports too."""
    from credit.store.relay_tables import relay_claims

    name = relay_claims.name
    inspector = inspect(engine)
    if name not in inspector.get_table_names():
        return
    if "reporter" in {c["name"] for c in inspector.get_columns(name)}:
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN reporter VARCHAR(42)")


def _drop_unique_endorsement_digest(engine: Engine) -> None:
    """Databases made before 2026-11-29 declared ``relay_endorsements.digest`` unique, which
    refused a second evaluator signing the same Confirmation message (same records, kind and
    deadline). Drop that constraint, keeping every row (SQLite cannot drop a constraint: the
    table is rebuilt as its documentation prescribes, with foreign keys off)."""
    from credit.store.relay_tables import relay_endorsements, relay_outbox

    name = relay_endorsements.name
    inspector = inspect(engine)
    if name not in inspector.get_table_names():
        return
    obsolete = [
        u for u in inspector.get_unique_constraints(name) if u["column_names"] == ["digest"]
    ]
    if not obsolete:
        return
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            for u in obsolete:
                conn.execute(text(f'ALTER TABLE {name} DROP CONSTRAINT "{u["name"]}"'))
        return
    scratch = MetaData()  # never created: it only lets the copy's foreign key resolve
    relay_outbox.to_metadata(scratch)
    rebuilt = relay_endorsements.to_metadata(scratch, name=f"{name}_rebuilt")
    columns = ", ".join(c.name for c in relay_endorsements.columns)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
        conn.commit()
        try:
            _rebuild(conn, name, rebuilt.name, CreateTable(rebuilt), columns)
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _rebuild(
    conn: Connection, name: str, temporary: str, create: CreateTable, columns: str
) -> None:
    with conn.begin():
        conn.execute(create)  # the table only: its indexes are created after the rename
        conn.exec_driver_sql(f"INSERT INTO {temporary} ({columns}) SELECT {columns} FROM {name}")
        conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.exec_driver_sql(f"ALTER TABLE {temporary} RENAME TO {name}")
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"rebuilding {name} broke foreign keys: {broken[:3]}")
