"""Several API processes over one PostgreSQL database keep memory copies (live sessions, notice
acknowledgements, the index's position) through the change feed (LISTEN/NOTIFY): what one
process changes, the others apply at its commit, and a copy is dropped while its feed is down.

Each "process" here is an engine of its own with its own feed and stores, as in ``credit serve``
run N times; the database is real PostgreSQL.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from credit.compose import wire
from credit.gateway.auth import SESSION_CACHE_SECONDS, SessionStore, open_sessions
from credit.gateway.notices_service import ACKS_CHANNEL
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import make_engine, reader
from credit.store.feed import ChangeFeed, announce
from credit.store.notice_tables import notice_acks
from credit.store.schema import create_schema
from tests.support.world import World

pytestmark = pytest.mark.engines("postgresql")


def _until(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


class Process:
    """One gateway process's database side: engine, change feed and session store."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.feed = ChangeFeed(self.engine)
        self.sessions = SessionStore(self.engine, Settings(), feed=self.feed)
        self.reads = 0  # statements this process sent to the database
        for engine in (self.engine, reader(self.engine)):
            event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_: Any) -> None:
        self.reads += 1

    def start(self) -> None:
        self.feed.start()
        assert self.feed.wait_live(30), "the feed never listened"

    def close(self) -> None:
        self.feed.stop()
        self.engine.dispose()


@pytest.fixture
def processes(database_url: str) -> Iterator[list[Process]]:
    create_schema(make_engine(database_url))
    made = [Process(database_url), Process(database_url)]
    for p in made:
        p.start()
    yield made
    for p in made:
        p.close()


def _sign_in(process: Process, token: str, address: str, ttl: float = 600.0) -> None:
    now = time.time()
    with process.engine.begin() as conn:
        open_sessions(conn, [(hashlib.sha256(token.encode()).hexdigest(), address, now, now + ttl)])


def test_a_session_opened_in_one_process_is_known_to_the_other_without_a_read(
    processes: list[Process],
) -> None:
    a, b = processes
    _sign_in(a, "token-1", "0x" + "11" * 20)
    assert _until(lambda: b.sessions.remembered("token-1") is not None)
    before = b.reads
    assert b.sessions.lookup("token-1") == "0x" + "11" * 20
    assert b.reads == before  # served from the copy


def test_a_sign_out_in_one_process_is_refused_by_the_other_at_once(
    processes: list[Process],
) -> None:
    """The attack: keep using a token in process B after signing it out through process A.
    Without the feed, B remembered the session for ``SESSION_CACHE_SECONDS`` (5 s) after the
    sign-out; with it, B forgets it when the sign-out commits (well within a fifth of that)."""
    a, b = processes
    _sign_in(a, "token-2", "0x" + "22" * 20)
    assert _until(lambda: b.sessions.lookup("token-2") is not None)
    assert a.sessions.logout("token-2")
    within = SESSION_CACHE_SECONDS / 5
    assert _until(lambda: b.sessions.remembered("token-2") is None, timeout=within)
    assert b.sessions.lookup("token-2") is None


def test_sessions_open_before_a_process_starts_are_copied_when_its_feed_listens(
    database_url: str, processes: list[Process]
) -> None:
    a, _ = processes
    _sign_in(a, "token-3", "0x" + "33" * 20)
    late = Process(database_url)
    try:
        late.start()  # resync: the live sessions are read once
        before = late.reads
        assert late.sessions.lookup("token-3") == "0x" + "33" * 20
        assert late.reads == before
    finally:
        late.close()


def test_an_expired_session_is_not_served_from_the_copy(processes: list[Process]) -> None:
    a, b = processes
    _sign_in(a, "token-4", "0x" + "44" * 20, ttl=0.5)
    time.sleep(0.6)
    assert b.sessions.remembered("token-4") is None
    assert b.sessions.lookup("token-4") is None


def test_a_lost_feed_drops_the_copy_and_reads_again_until_it_listens(
    database_url: str, processes: list[Process]
) -> None:
    """Sign-outs announced while B's feed is down would be missed: B must not trust its copy."""
    a, b = processes
    _sign_in(a, "token-5", "0x" + "55" * 20)
    assert _until(lambda: b.sessions.remembered("token-5") is not None)
    with a.engine.begin() as conn:  # cut every listening connection (as a server restart does)
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        )
    assert _until(lambda: not b.feed.live or b.sessions._copy == {}, timeout=10)
    assert a.sessions.logout("token-5")  # while B may not listen
    assert b.sessions.lookup("token-5") is None  # the copy is gone or told: never served
    assert _until(lambda: b.feed.live, timeout=30)  # it listens again, and resynced
    _sign_in(a, "token-6", "0x" + "66" * 20)
    assert _until(lambda: b.sessions.remembered("token-6") is not None)


def test_announcements_of_a_rolled_back_transaction_are_never_delivered(
    processes: list[Process],
) -> None:
    a, b = processes
    seen: list[str] = []

    class Spy:
        def changed(self, payload: str) -> None:
            seen.append(payload)

        def lost(self) -> None: ...

        def resync(self) -> None: ...

    feed = ChangeFeed(b.engine)
    feed.follow("credit_test", Spy())
    feed.start()
    try:
        assert feed.wait_live(30)
        with pytest.raises(RuntimeError), a.engine.begin() as conn:
            announce(conn, "credit_test", "rolled-back")
            raise RuntimeError("the request failed")
        with a.engine.begin() as conn:
            announce(conn, "credit_test", "one", "two")
        assert _until(lambda: seen == ["one", "two"])
        with pytest.raises(RuntimeError, match="before the feed starts"):
            feed.follow("credit_other", Spy())
    finally:
        feed.stop()


def test_a_read_is_one_statement_without_transaction_on_postgresql(database_url: str) -> None:
    """Reads go through autocommit connections: no BEGIN/ROLLBACK round trips around them, and
    no ping before each use (only after a connection sat idle)."""
    engine = make_engine(database_url)
    create_schema(engine)
    sent: list[str] = []
    raw = reader(engine)
    event.listen(raw, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        for _ in range(3):
            with raw.connect() as conn:
                conn.execute(text("SELECT count(*) FROM auth_sessions")).scalar()
        assert sent == ["SELECT count(*) FROM auth_sessions"] * 3
        with raw.connect() as conn:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
            assert conn.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_an_api_process_follows_the_indexer_of_another_process(
    gateway_world: World, gw_settings: Settings, ruleset: RuleSet
) -> None:
    """The production shape: ``credit index run`` commits the index; each API process takes the
    new position when told (no cursor query per read) and wakes its notice streams."""
    settings = gw_settings.model_copy(update={"run_workers": False})
    api = wire(settings, gateway_world.system, ruleset)
    worker = wire(settings, gateway_world.system, ruleset)  # the indexer's process
    moves: list[int] = []
    api.indexer.subscribe(moves.append)
    api.start()
    try:
        assert api.feed.wait_live(30)
        worker.indexer.sync()
        target = worker.indexer.position()
        assert _until(lambda: api.indexer._pinned == target)
        assert moves, "open notice streams were not woken"
        newcomer = "0x" + "77" * 20
        gateway_world.registrar.send(gateway_world.ledger.functions.registerResidents([newcomer]))
        worker.indexer.sync()
        assert _until(lambda: api.indexer._pinned == worker.indexer.position())
        assert api.indexer.resident_summary(newcomer)["registered"]

        # an acknowledgement stored by another process is in this one's copy, read from memory
        resident = gateway_world.residents[0].address.lower()
        with worker.engine.begin() as conn:
            conn.execute(
                insert(notice_acks).values(
                    resident=resident, notice_id="n-1", acked_at=datetime.now(UTC)
                )
            )
            announce(conn, ACKS_CHANNEL, f"{resident} n-1")
        assert _until(lambda: "n-1" in api.notices._acked(resident))
        assert api.notices.reads_memory_only()

        api.feed.stop()  # the feed is down: moves could be missed, so reads ask again
        assert api.indexer._pinned is None
        assert not api.notices.reads_memory_only()
        assert api.notices._acked(resident) == {"n-1"}  # from the database
    finally:
        api.stop()
        api.engine.dispose()
        worker.engine.dispose()


def test_the_copy_forgets_expired_sessions_when_it_is_full(
    processes: list[Process], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy is bounded: at its limit, expired sessions make room for new ones."""
    from credit.gateway import auth

    a, b = processes
    monkeypatch.setattr(auth, "SESSION_COPY_MAX", 2)
    _sign_in(a, "old-1", "0x" + "81" * 20, ttl=0.2)
    _sign_in(a, "old-2", "0x" + "82" * 20, ttl=0.2)
    assert _until(lambda: len(b.sessions._copy) == 2)
    time.sleep(0.3)
    _sign_in(a, "new-1", "0x" + "83" * 20)
    assert _until(lambda: b.sessions.remembered("new-1") is not None)
    assert len(b.sessions._copy) == 1
