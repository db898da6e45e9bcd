"""What other processes changed, told at once: PostgreSQL's ``LISTEN``/``NOTIFY``.

A process that keeps a copy of some rows in memory (the gateway's sessions) must learn what other
processes changed in them. The writer calls :func:`announce` in its transaction (PostgreSQL
delivers a notification at commit, and never for a transaction rolled back); every process runs
one :class:`ChangeFeed`, which listens and hands each payload to the :class:`Follower` of its
channel.

A notification sent while a feed is not listening (starting, the server restarted, the network
broke) is missed, so a follower's copy is only as good as the feed's connection: when the
connection is lost, every follower's ``lost()`` drops what it remembers and :attr:`ChangeFeed.live`
is False; once listening again, ``resync()`` rebuilds the copy from the tables (notifications
arriving meanwhile queue on the connection and are handed over after it). A follower must treat a
copy made while the feed is not live as short-lived.

On SQLite (the one-process embedded shape) there is no other process to tell: :func:`announce`
does nothing, and no feed is made.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from credit.store.retry import Background, Backoff, log_retry

log = logging.getLogger(__name__)

WAIT_SECONDS = 0.5  # how long one wait for notifications lasts (and so how soon stop() returns)


class Follower(Protocol):
    """Keeps a memory copy of rows that other processes change (see the module)."""

    def changed(self, payload: str) -> None:
        """Apply one change another process (or this one) announced."""

    def lost(self) -> None:
        """The feed stopped listening: changes may be missed from now on; forget the copy."""

    def resync(self) -> None:
        """The feed listens (again): rebuild the copy from the tables."""


_NOTIFY = text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p")


def announce(conn: Connection, channel: str, *payloads: str) -> None:
    """Tell every process's feed each of ``payloads`` on ``channel`` when ``conn``'s
    transaction commits (on PostgreSQL, in one statement; a no-op elsewhere). Payloads are short
    text (PostgreSQL's limit is 8,000 bytes)."""
    if payloads and conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"channel": channel, "payloads": list(payloads)})


class ChangeFeed(Background):
    """Listens on PostgreSQL channels for this process and hands the payloads to followers."""

    thread_name = "change-feed"

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("a change feed needs PostgreSQL (SQLite serves one process)")
        super().__init__()
        self.engine = engine
        self._followers: dict[str, list[Follower]] = {}
        self._lock = threading.Lock()
        self._live = False
        self._connected = threading.Event()

    @property
    def live(self) -> bool:
        """Whether the feed listens now: a copy kept up to date by it may be trusted."""
        return self._live

    def follow(self, channel: str, follower: Follower) -> None:
        """Hand ``channel``'s payloads to ``follower`` (before :meth:`start`: a channel added
        later would not be listened to, while the feed says it is live)."""
        if not channel.isidentifier():
            raise ValueError(f"{channel!r}: a channel is a plain identifier")
        if self.running:
            raise RuntimeError(f"follow {channel!r} before the feed starts")
        with self._lock:
            self._followers.setdefault(channel, []).append(follower)

    def stop(self) -> None:
        """Stop listening and wait for the thread (idempotent)."""
        super().stop()
        self._gone()

    def wait_live(self, timeout: float) -> bool:
        """Wait until the feed listens and its followers have resynced; True if it does."""
        return self._connected.wait(timeout)

    def _all(self) -> list[Follower]:
        with self._lock:
            return [f for followers in self._followers.values() for f in followers]

    def _gone(self) -> None:
        self._connected.clear()
        if self._live:
            self._live = False
            for follower in self._all():
                follower.lost()

    def _run(self) -> None:
        backoff = Backoff(WAIT_SECONDS, cap=10.0)
        while not self._stop.is_set():
            try:
                self._listen()
                backoff.reset()
            except Exception as exc:  # the server restarting must not end the feed
                self._gone()
                delay = backoff.failed()
                log_retry(log, "change feed", exc, delay)
                self._stop.wait(delay)

    def _listen(self) -> None:
        raw: Any = self.engine.raw_connection()  # a pooled psycopg connection, detached for us
        conn = raw.driver_connection
        raw.detach()
        try:
            conn.autocommit = True
            with self._lock:
                channels = list(self._followers)
            for channel in channels:
                conn.execute(f"LISTEN {channel}")
            self._live = True
            for follower in self._all():
                follower.resync()
            self._connected.set()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=WAIT_SECONDS):
                    with self._lock:
                        followers = list(self._followers.get(note.channel, ()))
                    for follower in followers:
                        follower.changed(note.payload)
        finally:
            self._gone()
            conn.close()
