"""The gateway's workers as processes of their own (``credit relay run``), on SQLite and on
PostgreSQL: one relay worker per key at a time, enforced by the database (a lease row; an
advisory lock), a second copy waits and takes over when the first is killed by SIGKILL in the
middle of its batches, and every claim is credited on chain exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from credit.artifacts import Artifact
from credit.chain import rpc_web3
from credit.compose import require_api_only_database, wire
from credit.errors import CreditError
from credit.relay.models import ClaimIn, ConfirmationIn
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.db import make_engine
from credit.store.lease import Lease, exclusive
from credit.store.relay_tables import relay_outbox
from credit.workers import INDEX_JOB, index_parts, run_job
from tests.support.anvil import anvil
from tests.support.relay_helpers import fund_gateway_keys, signed_inbox
from tests.support.world import World, build_world

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_reachable() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2
        ).close()
    except Exception as exc:
        return f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})"
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or a PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.sqlite'}"
        return
    why = _postgres_reachable()
    if why is not None:
        pytest.skip(why)
    import psycopg

    name = f"proc_{uuid.uuid4().hex[:12]}"
    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_one_lease_holder_at_a_time(database_url: str) -> None:
    engine = make_engine(database_url)
    first, second = Lease(engine, "relay:0xabc", seconds=2), Lease(engine, "relay:0xabc", seconds=2)
    other = Lease(engine, "indexer", seconds=2)
    try:
        assert first.try_acquire()
        assert not second.try_acquire(), "two holders of one lease"
        assert other.try_acquire(), "another job's lease is independent"
        first.release()
        assert second.try_acquire(), "a released lease is free at once"
        assert not first.try_acquire()
    finally:
        for lease in (first, second, other):
            lease.release()
        engine.dispose()


def test_an_api_only_gateway_runs_nothing_and_needs_postgresql(
    gateway_world: World, tmp_path: Path, ruleset: RuleSet
) -> None:
    services = wire(Settings(data_dir=tmp_path, run_workers=False), gateway_world.system, ruleset)
    try:
        assert services.background == [], "an API process started a worker"
        with pytest.raises(CreditError, match="needs PostgreSQL"):
            require_api_only_database(services)
    finally:
        services.engine.dispose()


def test_the_indexer_job_waits_for_its_lease_then_indexes_and_pays(
    gateway_world: World, tmp_path: Path, ruleset: RuleSet
) -> None:
    settings = Settings(data_dir=tmp_path, run_workers=False, worker_lease_seconds=1)
    api = wire(settings, gateway_world.system, ruleset)  # intake: a reward run stored here
    worker = wire(settings, gateway_world.system, ruleset)
    holder = Lease(api.engine, INDEX_JOB, seconds=1)
    assert holder.try_acquire()
    stop, result = threading.Event(), list[int]()
    thread = threading.Thread(
        target=lambda: result.append(run_job(worker, INDEX_JOB, index_parts(worker), stop))
    )
    thread.start()
    try:
        time.sleep(1.5)
        assert not worker.indexer.running, "the indexer ran while another held its lease"
        holder.release()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not worker.indexer.running:
            time.sleep(0.05)
        assert worker.indexer.running
        status, run = api.rewards.request("worker-run", gateway_world.epoch())
        assert status == 202
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and run["status"] in ("accepted", "running"):
            time.sleep(0.1)
            run = api.rewards.run(run["id"])
        assert run["status"] == "done", run
    finally:
        stop.set()
        thread.join(30)
        holder.release()
        api.engine.dispose()
    assert result == [0]
    assert not worker.indexer.running


def test_the_minter_key_signs_in_one_process_at_a_time(database_url: str) -> None:
    """On PostgreSQL, API processes and the indexer take turns with the minter key (another
    thread stands for another process: each takes its own session)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is the one-process shape: the thread lock is enough there")
    engine = make_engine(database_url)
    inside, order = threading.Event(), list[str]()

    def other() -> None:
        with exclusive(engine, "signer:minter"):
            order.append("other")

    try:
        with exclusive(engine, "signer:minter"), exclusive(engine, "signer:minter"):
            thread = threading.Thread(target=other)
            thread.start()
            inside.wait(0.5)  # the other session asks for the lock meanwhile
            order.append("first")
        thread.join(10)
        assert order == ["first", "other"], "two sessions signed with the minter key at once"
    finally:
        engine.dispose()


class Worker:
    """``credit relay run`` in a process of its own, its log lines collected."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "credit", "relay", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    def wait_for(self, words: str, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and not self.said(words):
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        assert self.said(words), f"the worker never said {words!r}:\n" + "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


def _credited(w: World) -> Counter[bytes]:
    logs = w.ledger.events.RecordCredited().get_logs(from_block=0)
    return Counter(bytes(e["args"]["recordId"]) for e in logs if e["address"] == w.ledger.address)


def test_a_second_relay_worker_waits_and_resumes_a_killed_ones_batches(
    database_url: str, tmp_path: Path, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=14)
        fund_gateway_keys(w)
        claims, confirmations, ids = signed_inbox(w, w.residents[:12], 1)
        # from now on a block every 2 s: a batch sent waits for its block, so the kill below
        # lands while batches are in flight
        w.w3.provider.make_request("evm_setAutomine", [False])
        w.w3.provider.make_request("evm_setIntervalMining", [2])
        deployment = tmp_path / "deployment.json"
        deployment.write_text(w.system.record.to_json())
        values = {
            "data_dir": str(tmp_path),
            "chain": url,
            "deployment_file": str(deployment),
            "database_url": database_url,
            "run_workers": "false",
            "worker_lease_seconds": "2",
            "batch_max_size": "3",
            "batch_window_seconds": "0.02",
        }
        # an API process's intake, in this process: claims stored for the relay worker
        api = wire(Settings(**values), w.system, ruleset)  # type: ignore[arg-type]
        try:
            env = {**os.environ, **{f"CREDIT_{k.upper()}": v for k, v in values.items()}}
            first = Worker(env)
            second: Worker | None = None
            try:
                first.wait_for("took the lease", within=90)
                second = Worker(env)
                second.wait_for("waiting for it", within=90)
                for claim in claims:  # intake of an API process: the first worker relays them
                    api.relay.accept_claim(ClaimIn(**claim))
                for confirmation in confirmations:
                    api.relay.accept_confirmation(ConfirmationIn(**confirmation))
                # kill the first as soon as it has signed a batch, before the rest is relayed
                deadline = time.monotonic() + 60
                sent = 0
                while time.monotonic() < deadline and sent == 0:
                    with api.engine.connect() as conn:
                        sent = conn.execute(
                            select(func.count()).select_from(relay_outbox)
                        ).scalar_one()
                    time.sleep(0.02)
                assert sent > 0, "the first worker signed nothing:\n" + "\n".join(first.lines)
                assert not second.said("took the lease"), "two relay workers held one key"
                first.kill()
                assert len(_credited(w)) < len(ids), "the first worker finished before its kill"
                second.wait_for("took the lease", within=30)
                deadline = time.monotonic() + 90
                while time.monotonic() < deadline and not set(ids) <= set(_credited(w)):
                    time.sleep(0.2)
                credited = _credited(w)
                assert set(ids) <= set(credited), "a claim was lost:\n" + "\n".join(second.lines)
                assert set(credited.values()) == {1}, "a claim was credited twice"
                second.proc.send_signal(signal.SIGTERM)  # a clean stop gives the lease back
                assert second.proc.wait(timeout=30) == 0
            finally:
                first.kill()
                if second is not None:
                    second.kill()
        finally:
            api.engine.dispose()
