"""The production shape the gateway benchmark measures: PostgreSQL, N API processes, one relay
worker with a sender pool, one indexer, each a process of its own as an operator runs them.

:func:`postgres_database` makes a database ``bench_<random>`` on the server at 127.0.0.1:5432
(trust authentication, as on every development and CI machine) and drops it afterwards.
:func:`production_shape` starts, with ``CREDIT_*`` variables only (no code of the benchmark in
them): ``credit index run``, ``credit relay run`` (``CREDIT_RELAYER_POOL_SIZE`` keys) and
``credit serve --port P`` with ``CREDIT_RUN_WORKERS=false`` on each of ``apis`` ports; it yields
their base URLs and PIDs and stops them by PID. Each process's output goes to a log file in the
work directory, printed if it stops early.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bench._gateway_server import wait_healthy
from credit.store.db import make_engine
from tests.support.anvil import free_port
from tests.support.db_engines import ADMIN_DSN, SERVER_URL

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the local PostgreSQL server; its URL; dropped at the end."""
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Shape:
    """The running processes: the API processes' base URLs, and every process's PID by role."""

    bases: list[str]
    pids: dict[str, int] = field(default_factory=dict)

    @property
    def ports(self) -> list[int]:
        return [int(b.rsplit(":", 1)[1]) for b in self.bases]


class _Process:
    """A ``python -m credit ...`` process with its output in ``log``; stopped by PID."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "credit", *args],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._out.close()


def shape_env(values: dict[str, str]) -> dict[str, str]:
    """The processes' environment: ours plus ``CREDIT_<NAME>`` for each of ``values``."""
    return {**os.environ, **{f"CREDIT_{k.upper()}": v for k, v in values.items()}}


@contextmanager
def production_shape(
    rpc_url: str,
    workdir: Path,
    database_url: str,
    *,
    batch: int,
    window: float,
    keys: int = 3,
    apis: int = 2,
) -> Iterator[Shape]:
    """The indexer, the relay worker and ``apis`` API processes over ``database_url``."""
    values = {
        "profile": "dev",
        "data_dir": str(workdir),
        "chain": rpc_url,
        "deployment_file": str(workdir / "deployment.json"),
        "database_url": database_url,
        "run_workers": "false",
        "relayer_pool_size": str(keys),
        "batch_max_size": str(batch),
        "batch_window_seconds": str(window),
        "signin_rate_per_minute": "100000",
        "signin_rate_per_address_per_minute": "100000",
    }
    env = shape_env(values)
    with ExitStack() as stack:
        started: list[_Process] = []

        def start(role: str, args: list[str]) -> _Process:
            process = _Process(args, env, workdir / f"{role}.log")
            started.append(process)
            stack.callback(process.stop)
            return process

        try:
            # the indexer first: it migrates the empty database (the others wait their turn)
            indexer = start("index", ["index", "run"])
            relay = start("relay", ["relay", "run"])
            shape = Shape([])
            shape.pids.update(index=indexer.proc.pid, relay=relay.proc.pid)
            servers = []
            for i in range(apis):
                port = free_port()
                api = start(f"api-{i + 1}", ["serve", "--port", str(port)])
                servers.append((f"http://127.0.0.1:{port}", api))
                shape.pids[f"api-{i + 1}"] = api.proc.pid
            for base, api in servers:
                wait_healthy(base, api.alive, f"the API process at {base}", timeout=180)
                shape.bases.append(base)
            for role, process in (("indexer", indexer), ("relay worker", relay)):
                if not process.alive():
                    raise RuntimeError(f"the {role} stopped")
            yield shape
        except BaseException:
            for process in started:
                if not process.alive():
                    print(f"--- {process.log.name} ---\n{process.tail()}", file=sys.stderr)
            raise


def wait_indexed_to(database_url: str, block: int, timeout: float = 900) -> float:
    """Wait until the indexer's cursor in ``database_url`` is at ``block``; the seconds waited."""
    engine = make_engine(database_url)
    started = time.monotonic()
    try:
        while time.monotonic() < started + timeout:
            try:
                with engine.connect() as conn:
                    row = conn.execute(
                        text("SELECT block_number FROM index_cursor WHERE id = 1")
                    ).fetchone()
            except DBAPIError:  # the table is not there yet
                row = None
            if row is not None and int(row[0]) >= block:
                return time.monotonic() - started
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise RuntimeError(f"the indexer did not reach block {block} in {timeout:.0f} s")
