"""Helpers for running and watching a gateway under load: readiness, the indexer's SQLite
cursor, a process's CPU time, py-spy sampling, and the embedded run's settings."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from credit.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def wait_healthy(base: str, alive: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``base``/v1/ready until it answers 200 (database, chain and, with a relay process,
    the relay all up); fail early if the server stopped."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/v1/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start: see its output above")
        time.sleep(0.1)


def wait_caught_up(database: Path, block: int, timeout: float = 300) -> float:
    """Wait until the gateway's indexer has stored every event up to ``block`` (its cursor in
    the SQLite file ``database``), so that a measured phase is not the index catching up on the
    deployment; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        try:
            with sqlite3.connect(database, timeout=5) as conn:
                row = conn.execute("SELECT block_number FROM index_cursor WHERE id = 1").fetchone()
        except sqlite3.OperationalError:  # the table is not there yet
            row = None
        if row is not None and int(row[0]) >= block:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError(f"the gateway's index did not reach block {block} in {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


@contextmanager
def profiled(directory: Path | None, pid: int, name: str) -> Iterator[None]:
    """With ``--profile DIR``: py-spy samples the gateway during the phase (``DIR/name.txt``)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if directory is None or not Path(spy).exists():
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"{name}.txt"
    cmd = [
        spy,
        "record",
        "-p",
        str(pid),
        "-o",
        str(out),
        "-f",
        "raw",
        "-r",
        "250",
        "--nonblocking",
        *(["--gil"] if os.environ.get("SPY_GIL") else []),
        *(["--idle"] if os.environ.get("SPY_IDLE") else []),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)


def settings_for(data_dir: Path, rpc_url: str, port: int, batch: int, window: float) -> Settings:
    """The embedded run's gateway settings (dev keys, SQLite file in ``data_dir``)."""
    return Settings(
        profile="dev",
        data_dir=data_dir,
        chain=rpc_url,
        database_url=f"sqlite:///{data_dir / 'gateway.sqlite'}",
        siwe_domain=f"127.0.0.1:{port}",
        siwe_uri=f"http://127.0.0.1:{port}",
        batch_max_size=batch,
        batch_window_seconds=window,
        signin_rate_per_minute=100_000,
        signin_rate_per_address_per_minute=100_000,
    )
