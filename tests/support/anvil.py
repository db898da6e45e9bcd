"""Starting and stopping a real node (anvil, from the npm package) for tests, by PID."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ANVIL = Path(__file__).resolve().parents[2] / "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def anvil(*args: str) -> Iterator[str]:
    """Run anvil on a free loopback port; yields its URL; kills it by PID afterwards."""
    with anvil_process(*args) as (url, _proc):
        yield url


@contextmanager
def anvil_process(*args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """:func:`anvil`, yielding the process too (a test may kill the node while it runs)."""
    if not ANVIL.exists():
        raise RuntimeError(f"{ANVIL} is missing: run `make install` (npm ci)")
    port = free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--host", "127.0.0.1", "--silent", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("anvil did not start within 20 s")
        yield url, proc
    finally:
        if proc.poll() is None:  # still running (a test may have killed and reaped it)
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
