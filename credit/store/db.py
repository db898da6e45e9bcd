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
from sqlalchemy.schema import CreateTable

from credit.errors import StoreBusy, StoreError, StoreFull

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
        engine = create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "handle_error")
    def _typed(context: ExceptionContext) -> BaseException | None:
        return store_error(context.original_exception)

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
        postgresql_url(url),
        pool_pre_ping=True,
        pool_size=POSTGRESQL_POOL_SIZE,
        max_overflow=POSTGRESQL_MAX_OVERFLOW,
    )
    lock_timeout = max(1, int(busy_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _timeouts(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {lock_timeout}")
        dbapi_conn.commit()

    return engine


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
