"""SQLite's write-ahead log is copied into the database by the gateway's background
checkpointer (credit.store.wal.Checkpointer), not by the writer whose commit crosses 1,000 pages
while every other writer waits for it."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.engine import Engine
from web3 import EthereumTesterProvider

from credit.compose import wire
from credit.settings import Settings
from credit.store.db import WAL_AUTOCHECKPOINT_PAGES, make_engine
from credit.store.wal import Checkpointer
from tests.support.world import World

_meta = MetaData()
_rows = Table("rows", _meta, Column("id", Integer, primary_key=True), Column("text", String))


def _engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite'}")
    _meta.create_all(engine)
    return engine


def _write_pages(engine: Engine, commits: int = 100) -> None:
    """About 1,400 pages of log: past SQLite's default autocheckpoint of 1,000."""
    for c in range(commits):
        with engine.begin() as conn:
            conn.execute(insert(_rows), [{"text": f"{c}-{i}-" + "x" * 400} for i in range(100)])


def _log_frames(engine: Engine) -> int:
    """Frames in the log right now (a PASSIVE checkpoint reports them, then copies them)."""
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()[1])


def test_writers_leave_the_log_to_the_checkpointer(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == WAL_AUTOCHECKPOINT_PAGES
    _write_pages(engine)
    # SQLite's default would have checkpointed and restarted the log below 1,000 frames
    logged, copied = Checkpointer(engine).checkpoint()
    assert logged > 1_000
    assert copied == logged  # nobody reads an older snapshot: everything is in the database


def test_the_background_checkpointer_keeps_the_log_short(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    checkpointer = Checkpointer(engine, every=0.05)
    checkpointer.start()
    try:
        _write_pages(engine)
        # two runs that began after the last commit: the second one surely copied every frame (on
        # a busy machine all earlier runs may have fallen while the pages were still being written)
        deadline = time.monotonic() + 10
        runs = checkpointer.runs
        while checkpointer.runs < runs + 2:
            assert time.monotonic() < deadline, "the checkpointer did not run"
            time.sleep(0.02)
        # the log restarts from its beginning once every frame was copied: the next commits
        # reuse it instead of growing it past the backstop
        _write_pages(engine, commits=5)
        deadline = time.monotonic() + 10
        runs = checkpointer.runs
        while checkpointer.runs < runs + 2:
            assert time.monotonic() < deadline, "the checkpointer stopped"
            time.sleep(0.02)
        assert _log_frames(engine) < 1_000
    finally:
        checkpointer.stop()
    assert checkpointer._thread is None


def test_nothing_to_checkpoint_in_memory() -> None:
    checkpointer = Checkpointer(make_engine("sqlite://"), every=0.01)
    checkpointer.start()
    checkpointer.stop()
    assert checkpointer.runs == 0


def test_the_gateway_runs_one_and_stops_it(gateway_world: World, gw_settings: Settings) -> None:
    settings = gw_settings.model_copy(update={"database_checkpoint_seconds": 0.05})
    provider = gateway_world.w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    snapshot = provider.ethereum_tester.take_snapshot()  # the workers start: leave no trace
    services = wire(settings, gateway_world.system, gateway_world.ruleset)
    try:
        found = [p for p in services.background if isinstance(p, Checkpointer)]
        assert len(found) == 1 and found[0].engine is services.engine
        services.start()
        deadline = time.monotonic() + 10
        while found[0].runs == 0:
            assert time.monotonic() < deadline, "the gateway's checkpointer did not run"
            time.sleep(0.02)
    finally:
        services.stop()
        services.engine.dispose()
        provider.ethereum_tester.revert_to_snapshot(snapshot)
        gateway_world.reset_nonces()
    assert found[0]._thread is None
