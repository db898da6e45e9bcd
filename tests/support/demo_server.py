"""`credit demo` (what `make demo` runs) served in a process of its own, as a visitor starts it:
``python -m credit demo`` from this checkout, with its own data directory and port.

A fresh start deploys and seeds the city (about 12 s on a quiet machine, twice that on a busy
one), a restart on the same data directory resumes it (about half that). So tests share one
:func:`served_demo` where they read the city, or add to it without changing what the others read
(tests/demo/conftest.py); a test starts a :class:`DemoProcess` of its own only to stop it.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_utils import keccak

from tests.support.anvil import free_port

ROOT = Path(__file__).resolve().parents[2]
WHO = ["operator", "centre", "sanitation", "panel", "expert", "arbiter"]
WHO += ["ana", "bo", "chen", "dara", "eli", "fang"]
DEMO = {  # the demo's people, with their throw-away keys
    name: Account.from_key(keccak(text=f"consensus-credit demo {i}")) for i, name in enumerate(WHO)
}
AUDIT_PROMPT = "Audit this city while it runs"
HEALTHY_WITHIN = 300  # s: a fresh seed on a busy machine; a start that fails says so at once


class DemoProcess:
    """``credit demo`` on ``data_dir`` and a port of its own (kept across restarts); what it
    prints goes to ``data_dir``'s sibling ``demo.out``."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = data_dir.parent / f"{data_dir.name}-demo.out"
        self.env = {
            **os.environ,
            "CREDIT_DATA_DIR": str(data_dir),
            "CREDIT_SIWE_DOMAIN": f"127.0.0.1:{self.port}",
            "CREDIT_SIWE_URI": self.url,
            "COLUMNS": "200",  # the printed commands on one line each
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the demo and wait until its gateway answers /v1/health."""
        with self.out.open("ab") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "credit", "demo", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + HEALTHY_WITHIN
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"credit demo exited: {self.printed()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"credit demo did not become healthy: {self.printed()[-2000:]}")

    def stop(self, how: int = signal.SIGTERM) -> None:
        """Stop the demo with signal ``how`` and wait until it is gone."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, how)
            self.proc.wait(timeout=30)
        self.proc = None

    def printed(self) -> str:
        return self.out.read_text(encoding="utf-8", errors="replace")


@dataclass(frozen=True)
class Demo:
    """A running demo: its URL, data directory, chain id and the audit command it printed."""

    url: str
    data_dir: Path
    chain_id: int
    audit: list[str]  # the printed command's arguments, after the program

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CREDIT_DATA_DIR": str(self.data_dir)}

    @property
    def deployment(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            (self.data_dir / "deployments" / "embedded.json").read_text()
        )
        return data


@contextmanager
def served_demo(data_dir: Path, **env: str) -> Iterator[Demo]:
    """A fresh demo on ``data_dir`` (created by the demo), stopped when the block ends."""
    demo = DemoProcess(data_dir, **env)
    try:
        demo.start()
        lines = demo.printed().splitlines()
        after = lines[lines.index(next(x for x in lines if AUDIT_PROMPT in x)) + 1]
        program, *args = shlex.split(after)
        assert program.endswith("credit") and args[0] == "audit", after
        chain_id = int(httpx.get(f"{demo.url}/v1/config", timeout=10).json()["chain_id"])
        yield Demo(demo.url, data_dir, chain_id, args)
    finally:
        demo.stop()
