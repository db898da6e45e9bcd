"""A persistent embedded chain: py-evm (via eth-tester) on a SQLite key-value store.

Every py-evm atomic batch is written in one SQLite transaction, so a process killed at any point
(even with SIGKILL) leaves the database at the end of some batch; the chain head moves in the last
batch of a block import, so a restart resumes at the last acknowledged block.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB
from eth.db.chain import ChainDB
from eth.exceptions import CanonicalHeadNotFound

from credit.errors import ChainError


class SqliteDB(BaseDB):
    """A py-evm key-value store in one SQLite table (WAL journal, safe across process crashes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS kv"
                " (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
            )
        except sqlite3.Error as exc:
            raise ChainError(f"cannot open the chain database {path}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0

    def __getitem__(self, key: bytes) -> bytes:
        with self._lock:
            row = self._conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def __setitem__(self, key: bytes, value: bytes) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))

    def _exists(self, key: bytes) -> bool:
        with self._lock:
            return (
                self._conn.execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone() is not None
            )

    def __delitem__(self, key: bytes) -> None:
        with self._lock:
            if self._conn.execute("DELETE FROM kv WHERE key = ?", (key,)).rowcount == 0:
                raise KeyError(key)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside lands in one SQLite transaction, or not at all."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class SqliteAtomicDB(AtomicDB):
    """py-evm's AtomicDB whose batches are SQLite transactions."""

    wrapped_db: SqliteDB

    def __init__(self, wrapped_db: SqliteDB) -> None:
        super().__init__(wrapped_db)

    @contextmanager
    def atomic_batch(self) -> Iterator[Any]:
        with self.wrapped_db.transaction(), super().atomic_batch() as batch:
            yield batch


def persistent_backend(path: Path) -> Any:
    """An eth-tester PyEVMBackend keeping its chain in ``path`` (created, or resumed)."""
    from eth_tester.backends.pyevm.main import (
        generate_genesis_state_for_keys,
        get_default_genesis_params,
        setup_tester_chain,
    )

    from credit.chain.tester_index import IndexedPyEVMBackend

    db = SqliteAtomicDB(SqliteDB(path))
    # A throw-away in-memory chain gives eth-tester's chain class and its default (dev) keys.
    keys, template = setup_tester_chain()
    chain_class = type(template)
    try:
        ChainDB(db).get_canonical_head()
        chain = chain_class(db)
    except CanonicalHeadNotFound:
        chain = chain_class.from_genesis(
            db, get_default_genesis_params(), generate_genesis_state_for_keys(keys)
        )
    backend = IndexedPyEVMBackend.__new__(IndexedPyEVMBackend)
    backend.account_keys = keys
    backend.chain = chain
    return backend
