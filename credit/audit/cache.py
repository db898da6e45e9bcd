"""The replay's resumable cache: decoded events, block headers and relay transactions in SQLite.

Events are keyed by ``(block hash, log index)``; a page of events is written in one transaction
together with the cursor (the last block read and its hash), so an interrupted replay resumes at
the cursor. The cache belongs to one deployment (chain id, ledger, rule book): opened for another,
it starts empty. After a reorg, the replay rewinds it to the newest stored block still on chain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from credit.audit.model import ChainEvent, Transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block_hash TEXT NOT NULL, log_index INTEGER NOT NULL, block_number INTEGER NOT NULL,
    block_time INTEGER NOT NULL, tx_hash TEXT NOT NULL, address TEXT NOT NULL, name TEXT NOT NULL,
    args TEXT NOT NULL, PRIMARY KEY (block_hash, log_index));
CREATE INDEX IF NOT EXISTS events_order ON events (block_number, log_index);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
    hash TEXT PRIMARY KEY, sender TEXT NOT NULL, recipient TEXT, block_number INTEGER NOT NULL,
    input BLOB NOT NULL);
"""


class ReplayCache:
    """One SQLite file per deployment, under the cache directory."""

    def __init__(self, directory: Path, identity: dict[str, object]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"replay-{identity['chain_id']}-{str(identity['ledger'])[2:10]}.sqlite"
        self.path = directory / name
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        wanted = json.dumps(identity, sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        if row is not None and row[0] != wanted:
            self._clear()
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('identity', ?)", (wanted,))

    def close(self) -> None:
        self._db.close()

    def _clear(self) -> None:
        with self._db:
            for table in ("meta", "events", "blocks", "txs"):
                self._db.execute(f"DELETE FROM {table}")

    def cursor(self) -> tuple[int, str] | None:
        """The last block fully read and its hash, or None for an empty cache."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
        if row is None:
            return None
        number, block_hash = json.loads(row[0])
        return int(number), str(block_hash)

    def save_page(
        self,
        events: Iterable[ChainEvent],
        blocks: dict[int, str],
        txs: Iterable[Transaction],
        cursor: tuple[int, str],
    ) -> None:
        """Store one page and move the cursor, atomically."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        e.block_hash,
                        e.log_index,
                        e.block_number,
                        e.block_time,
                        e.tx_hash,
                        e.address,
                        e.name,
                        json.dumps(e.args, separators=(",", ":")),
                    )
                    for e in events
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO blocks VALUES (?, ?)", list(blocks.items())
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO txs VALUES (?, ?, ?, ?, ?)",
                ((t.hash, t.sender, t.to, t.block_number, t.input) for t in txs),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('cursor', ?)", (json.dumps(list(cursor)),)
            )

    def stored_blocks(self, below: int, limit: int = 64) -> list[tuple[int, str]]:
        """Stored block headers below ``below``, newest first."""
        rows = self._db.execute(
            "SELECT number, hash FROM blocks WHERE number < ? ORDER BY number DESC LIMIT ?",
            (below, limit),
        )
        return [(int(n), str(h)) for n, h in rows]

    def rewind(self, number: int, block_hash: str | None) -> None:
        """Forget everything above block ``number`` (a reorg replaced it)."""
        with self._db:
            self._db.execute("DELETE FROM events WHERE block_number > ?", (number,))
            self._db.execute("DELETE FROM blocks WHERE number > ?", (number,))
            self._db.execute("DELETE FROM txs WHERE block_number > ?", (number,))
            if block_hash is None:
                self._db.execute("DELETE FROM meta WHERE key = 'cursor'")
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('cursor', ?)",
                    (json.dumps([number, block_hash]),),
                )

    def events(self, up_to: int) -> list[ChainEvent]:
        """Stored events up to block ``up_to``, in chain order."""
        rows = self._db.execute(
            "SELECT name, args, block_number, log_index, tx_hash, block_time, address, block_hash "
            "FROM events WHERE block_number <= ? ORDER BY block_number, log_index",
            (up_to,),
        )
        return [
            ChainEvent(name, json.loads(args), number, index, tx, time, address, block_hash)
            for name, args, number, index, tx, time, address, block_hash in rows
        ]

    def transactions(self, up_to: int) -> dict[str, Transaction]:
        rows = self._db.execute(
            "SELECT hash, sender, recipient, block_number, input FROM txs WHERE block_number <= ?",
            (up_to,),
        )
        return {h: Transaction(h, s, r, int(n), bytes(i)) for h, s, r, n, i in rows}
