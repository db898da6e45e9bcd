"""The indexer: tails the RuleBook's and CreditLedger's events into the database.

Decisions:
- Pages of ``page_size`` blocks from the deployment block up to ``head - confirmation_depth``. A
  page is written in one transaction together with the cursor, so a crash never leaves half a page
  and a restart (a new ``Indexer`` on the same database) continues exactly where the cursor is.
- Reorgs: before each page the cursor block's hash is compared with the chain's. On a mismatch (or
  a chain now shorter than the cursor) the indexer walks back over the headers it stored (those of
  blocks with events and of page ends) to the newest one still on the chain, deletes every row
  above it and indexes again from there. A page is accepted only if the chain's block at the page
  end kept the same hash while the page was read, and every event's block hash matches the chain.
- ``RuleSetPublished`` rows also carry the version's terms (``args["terms"]``, read once from the
  rule book; versions are immutable), since credit expiry depends on them.
- ``AppealResolved`` and ``ConfirmationRecorded`` name no resident; their ``resident`` column is
  filled from the record they are about, so one indexed query returns everything about a resident.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from credit.chain.deploy import System
from credit.chain.events import BlockHeader, EventSource, RawEvent
from credit.chain.rpc_reads import event_source_for
from credit.errors import ChainError
from credit.indexer.queries import IndexReader
from credit.store.db import writer
from credit.store.feed import announce
from credit.store.index_tables import index_blocks, index_cursor, index_events
from credit.store.retry import Background, Backoff, log_retry

log = logging.getLogger(__name__)
_MAX_RETRIES = 5


class _ChainMoved(Exception):
    """The chain changed while a page was read; read it again."""


INDEX_CHANNEL = "credit_index"  # the cursor moved (credit.indexer.follower)


class Indexer(IndexReader, Background):
    """Keeps the database in step with the chain; reads come from :class:`IndexReader`."""

    thread_name = "credit-indexer"

    def __init__(
        self,
        system: System,
        engine: Engine,
        *,
        confirmation_depth: int = 0,
        page_size: int = 2000,
        poll_seconds: float = 1.0,
        source: EventSource | None = None,
    ) -> None:
        self.source = source or event_source_for(system)
        self.confirmation_depth = confirmation_depth
        self.page_size = max(1, page_size)
        self.poll_seconds = poll_seconds
        length, genesis = self.source.epoch_schedule()
        IndexReader.__init__(self, engine, self.source.ledger_address, length, genesis)
        Background.__init__(self)
        self._sync_lock = threading.Lock()
        self._listeners: list[Callable[[int], None]] = []
        self.reorgs = 0  # reorgs seen by this instance (for metrics and tests)

    # ------------------------------------------------------------------ syncing
    def sync(self) -> int:
        """Index every new block up to ``head - confirmation_depth``; returns events stored."""
        with self._sync_lock:
            stored, retries = 0, 0
            while True:
                number, block_hash = self._cursor()
                if not self._on_chain(number, block_hash):
                    self._rewind(number)
                    continue
                safe = self.source.head() - self.confirmation_depth
                if number >= safe:
                    break
                to_block = min(safe, number + self.page_size)
                try:
                    stored += self._index_page(number, block_hash, to_block)
                except _ChainMoved:
                    retries += 1
                    if retries > _MAX_RETRIES:
                        raise ChainError(
                            "the chain kept changing while it was indexed: raise the confirmation "
                            "depth (CREDIT_CONFIRMATION_DEPTH) or check the node"
                        ) from None
            self.pin_position()  # this instance is the index's one writer: reads skip the query
        if stored:
            self.notify(stored)
        return stored

    def subscribe(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(events_stored)`` after every sync that stored events (in a process
        following an indexer that runs elsewhere: after every move of the index, with 0)."""
        self._listeners.append(listener)

    def notify(self, stored: int) -> None:
        """Tell the subscribers that the index moved (``stored`` events, 0 if not known)."""
        for listener in list(self._listeners):
            listener(stored)

    def unsubscribe(self, listener: Callable[[int], None]) -> None:
        """Stop calling ``listener`` (a no-op if it is not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _cursor(self) -> tuple[int, str | None]:
        with self.engine.connect() as conn:
            row = conn.execute(select(index_cursor).where(index_cursor.c.id == 1)).first()
        if row is None:
            return self.source.start_block - 1, None
        if row.ledger != self.ledger:
            raise ChainError(
                f"the index database belongs to the ledger at {row.ledger}, not {self.ledger}: "
                "use another CREDIT_DATABASE_URL for this deployment"
            )
        return int(row.block_number), row.block_hash

    def _on_chain(self, number: int, block_hash: str | None) -> bool:
        if block_hash is None:
            return True
        header = self.source.header(number)
        return header is not None and header.hash == block_hash

    def _rewind(self, number: int) -> None:
        """Walk back from the orphaned cursor to the newest stored block still on the chain."""
        ancestor = self._common_ancestor(number)
        log.warning(
            "reorg: block %s left the chain; re-indexing after block %s", number, ancestor[0]
        )
        self.reorgs += 1
        with writer(self.engine), self.engine.begin() as conn:
            conn.execute(delete(index_events).where(index_events.c.block_number > ancestor[0]))
            conn.execute(delete(index_blocks).where(index_blocks.c.number > ancestor[0]))
            self._save_cursor(conn, *ancestor)
        self.invalidate()

    def _common_ancestor(self, number: int) -> tuple[int, str | None]:
        """The newest stored block below ``number`` that is still on the chain (64 at a time)."""
        below = number
        while True:
            with self.engine.connect() as conn:
                batch = conn.execute(
                    select(index_blocks.c.number, index_blocks.c.hash)
                    .where(index_blocks.c.number < below)
                    .order_by(index_blocks.c.number.desc())
                    .limit(64)
                ).all()
            if not batch:
                return self.source.start_block - 1, None
            for row in batch:
                if self._on_chain(int(row.number), row.hash):
                    return int(row.number), row.hash
            below = int(batch[-1].number)

    def _index_page(self, cursor: int, cursor_hash: str | None, to_block: int) -> int:
        tip = self.source.header(to_block)
        if tip is None or not self._on_chain(cursor, cursor_hash):
            raise _ChainMoved
        events = self.source.logs(cursor + 1, to_block)
        headers: dict[int, BlockHeader] = {to_block: tip}
        for number in sorted({e.block_number for e in events} - {to_block}):
            header = self.source.header(number)
            if header is None:
                raise _ChainMoved
            headers[number] = header
        if any(headers[e.block_number].hash != e.block_hash for e in events):
            raise _ChainMoved
        if self.source.header(to_block) != tip:
            raise _ChainMoved
        terms = {
            int(e.args["ruleVersion"]): self.source.rule_set_terms(int(e.args["ruleVersion"]))
            for e in events
            if e.name == "RuleSetPublished"
        }
        blocks = [
            {
                "number": h.number,
                "hash": h.hash,
                "parent_hash": h.parent_hash,
                "timestamp": h.timestamp,
            }
            for h in headers.values()
        ]
        # rows are made before the write (this instance is the index's one writer, so what it
        # reads meanwhile cannot change): the database's writer lock is held only to insert them
        with self.engine.connect() as conn:
            rows = self._rows(conn, events, headers, terms)
        with writer(self.engine), self.engine.begin() as conn:
            conn.execute(insert(index_blocks), blocks)
            if rows:
                conn.execute(insert(index_events), rows)
            self._save_cursor(conn, to_block, tip.hash)
        self.invalidate()
        return len(events)

    def _rows(
        self,
        conn: Connection,
        events: list[RawEvent],
        headers: dict[int, BlockHeader],
        terms: dict[int, dict[str, Any]],
    ) -> list[dict[str, Any]]:
        now = time.time()
        subjects: dict[str, str] = {}  # record id -> resident, for events naming no resident
        rows = []
        for e in events:
            args = dict(e.args)
            if e.name == "RuleSetPublished":
                args["terms"] = terms[int(args["ruleVersion"])]
            record_id = args.get("recordId")
            resident = args.get("resident")
            if resident is None and record_id is not None:
                resident = subjects.get(record_id) or self._subject(conn, record_id)
            if resident is not None and record_id is not None:
                subjects[record_id] = resident
            rows.append(
                {
                    "block_hash": e.block_hash,
                    "log_index": e.log_index,
                    "block_number": e.block_number,
                    "block_time": headers[e.block_number].timestamp,
                    "tx_hash": e.tx_hash,
                    "address": e.address,
                    "name": e.name,
                    "resident": resident,
                    "record_id": record_id,
                    "args": json.dumps(args, sort_keys=True, separators=(",", ":")),
                    "indexed_at": now,
                }
            )
        return rows

    @staticmethod
    def _subject(conn: Connection, record_id: str) -> str | None:
        return conn.execute(
            select(index_events.c.resident)
            .where(index_events.c.record_id == record_id, index_events.c.resident.is_not(None))
            .limit(1)
        ).scalar()

    def _save_cursor(self, conn: Connection, number: int, block_hash: str | None) -> None:
        values = {
            "ledger": self.ledger,
            "block_number": number,
            "block_hash": block_hash,
            "updated_at": time.time(),
        }
        done = conn.execute(update(index_cursor).where(index_cursor.c.id == 1).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(index_cursor).values(id=1, **values))
        announce(conn, INDEX_CHANNEL, str(number))  # processes reading the index follow it

    # ------------------------------------------------------------------ background runner
    # start() syncs in a background thread every ``poll_seconds`` (idempotent).
    def _run(self) -> None:
        backoff = Backoff(self.poll_seconds, cap=max(self.poll_seconds, 10.0))
        while not self._stop.is_set():
            delay = self.poll_seconds
            try:
                self.sync()
                backoff.reset()
            except Exception as exc:  # keep tailing: a node outage or a locked database
                delay = backoff.failed()  # must not stop the indexer for good
                log_retry(log, "indexer", exc, delay)
            self._stop.wait(delay)
