"""A SQLite file's write-ahead log: checkpoints in the background, and scrubbing after an erasure.

What is deleted or overwritten must not stay readable in the files (erased evidence, see
:func:`scrub`): every SQLite connection zeroes the space it frees (``secure_delete``, set by
:func:`credit.store.db.make_engine`), and after an erasure the write-ahead log, which still holds
the old pages, is copied in and truncated to zero bytes; on PostgreSQL the table is vacuumed.
The :class:`Checkpointer` copies the log into the database outside any writer's transaction.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

from credit.errors import StoreBusy, StoreError
from credit.store.db import sqlite_file, writer
from credit.store.retry import Background, Backoff, log_retry

_log = logging.getLogger(__name__)

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


class Checkpointer(Background):
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

    thread_name = "sqlite-checkpoint"

    def __init__(self, engine: Engine, every: float = 0.5) -> None:
        super().__init__()
        self.engine, self.every = engine, every
        self.runs = 0

    def start(self) -> None:
        database = sqlite_file(self.engine)
        if database is None or self._thread is not None:
            return
        _mark_unscrubbed(database, True)
        super().start()

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
