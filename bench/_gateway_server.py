"""The gateway as the benchmark runs it: its own process, served by uvicorn on loopback.

``python -m bench._gateway_server --rpc-url URL --deployment FILE --data-dir DIR --port N``
attaches to the deployment on the node, wires every part (indexer, relay, rewards, notices,
evidence) exactly as ``credit serve`` does (:func:`credit.gateway.build.wire`), the relay inside,
and serves it until SIGTERM. A separate process so that the load and the gateway never share
one GIL.
:func:`gateway` starts it from the benchmark and stops it by PID.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from credit import compile as solc
from credit.chain import rpc_web3
from credit.chain.deploy import DeploymentRecord, attach
from credit.gateway.app import create_app
from credit.gateway.build import wire
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from credit.settings import Settings
from tests.anvil import free_port

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def gateway(rpc_url: str, workdir: Path, batch: int, window: float) -> Iterator[tuple[str, int]]:
    """The gateway in its own process; yields its base URL and PID; stops it by PID."""
    port = free_port()
    deployment = workdir / "deployment.json"
    cmd = [
        sys.executable,
        "-m",
        "bench._gateway_server",
        *("--rpc-url", rpc_url, "--deployment", str(deployment), "--data-dir", str(workdir)),
        *("--port", str(port), "--batch", str(batch), "--window", str(window)),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, lambda: proc.poll() is None, "the gateway")
        yield base, proc.pid
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


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
    """The gateway's settings in the benchmark (dev keys, SQLite file in ``data_dir``; on a node,
    the relay in a process of its own)."""
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
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._gateway_server")
    parser.add_argument("--rpc-url", required=True)
    parser.add_argument("--deployment", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--window", type=float, default=0.05)
    args = parser.parse_args(argv)
    settings = settings_for(args.data_dir, args.rpc_url, args.port, args.batch, args.window)
    w3 = rpc_web3(args.rpc_url)
    record = DeploymentRecord.from_json(args.deployment.read_text(encoding="utf-8"))
    system = attach(w3, record, solc.compile_contracts())
    services = wire(settings, system, load_ruleset(DEFAULT_RULESET))
    app = create_app(services)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
