"""First-run benchmark: seconds from a fresh clone to the demo's first page, by phase.

``python3 bench/bench_first_run.py`` (``make bench-first-run``) clones the repository (this
checkout's current branch by default, ``--repo`` for another URL or path) into a temporary
directory, points the pip, uv and npm caches (and XDG_CACHE_HOME) at fresh empty temporary
directories, runs ``make demo PORT=<a free port>`` there as a newcomer would, and polls
``http://127.0.0.1:<port>/`` until the web client's page is served. Every output line of
``make demo`` is timestamped; the Makefile's step banners split the time into phases:

  clone        ``git clone``
  venv         ``== install [1/4]``: the virtual environment and uv
  python_deps  ``== install [2/4]``: the Python packages the demo needs
  contracts    ``contracts: ...`` (``python -m credit.compile --status``) and, only when the
               shipped artifacts do not match the sources, ``npm ci`` and the compile
  deploy_seed  ``python -m credit demo`` until it prints the gateway's URL: deploy and seed
  first_page   from that line until ``GET /`` answers 200 with the page

``first_page_seconds`` runs from the start of the clone to the first page. The demo is stopped
(its process group, which this script started) and the temporary directories are removed.
Writes ``bench/results/first_run.json``; it reports, it does not fail on the 120 s goal. Only
the standard library: it runs before any install.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "first_run.json"
GOAL_SECONDS = 120.0
# (phase, the output line that starts it), in the order they happen
MARKERS = [
    ("venv", re.compile(r"^== install \[1/4\]")),
    ("python_deps", re.compile(r"^== install \[2/4\]")),
    ("contracts", re.compile(r"^contracts: ")),
    ("deploy_seed", re.compile(r"-m credit demo ")),
    ("first_page", re.compile(r"^Gateway and web client: http")),
]
NPM = re.compile(r"^== install \[3/4\]")
COMPILING = re.compile(r"^compiling \d+ sources")
# The environment a newcomer's shell would not have: an outer make's flags, an active venv, our
# settings.
DROPPED_ENV = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "VIRTUAL_ENV", "PYTHONPATH")


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def default_repo() -> str:
    """This checkout: its current branch is what gets cloned."""
    return str(ROOT)


def clean_env(caches: Path) -> dict[str, str]:
    """The environment of the measured run: empty package caches, unbuffered Python output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in DROPPED_ENV and not k.startswith(("CREDIT_", "UV_", "npm_"))
    }
    for name, sub in (
        ("PIP_CACHE_DIR", "pip"),
        ("UV_CACHE_DIR", "uv"),
        ("npm_config_cache", "npm"),
        ("XDG_CACHE_HOME", "xdg"),
    ):
        (caches / sub).mkdir(parents=True)
        env[name] = str(caches / sub)
    env["PYTHONUNBUFFERED"] = "1"  # timestamps of lines as they are printed, not flushed
    return env


def page_served(url: str) -> bool:
    """Whether ``GET url`` answers 200 with an HTML page."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            body = answer.read(4096).decode(errors="replace")
            return answer.status == 200 and "<html" in body.lower()
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Run:
    """``make demo`` in the clone: its output lines with their times, read on a thread."""

    def __init__(self, clone: Path, port: int, env: dict[str, str], started: float) -> None:
        self.started = started
        self.lines: list[tuple[float, str]] = []
        self.proc = subprocess.Popen(
            ["make", "demo", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: stopped as a whole below
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            at = time.monotonic() - self.started
            self.lines.append((at, line.rstrip("\n")))
            print(f"[{at:6.1f} s] {line.rstrip()}", flush=True)

    def stop(self) -> None:
        """Stop the demo: Ctrl-C to its process group, then SIGTERM, then SIGKILL."""
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):  # children that outlived make
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.reader.join(timeout=5)


def first(lines: Sequence[tuple[float, str]], pattern: re.Pattern[str]) -> float | None:
    """When the first of the timed output ``lines`` matching ``pattern`` was printed."""
    return next((at for at, line in lines if pattern.search(line)), None)


def phases(
    lines: Sequence[tuple[float, str]], clone_seconds: float, page_at: float
) -> dict[str, float | None]:
    """Seconds per phase from the timed output ``lines``' markers; a phase not seen is None."""
    starts = [(name, first(lines, pattern)) for name, pattern in MARKERS]
    out: dict[str, float | None] = {"clone": round(clone_seconds, 1)}
    for i, (name, at) in enumerate(starts):
        later = [t for _, t in starts[i + 1 :] if t is not None] + [page_at]
        out[name] = None if at is None else round(later[0] - at, 1)
    return out


def measure(repo: str, timeout: float, keep: bool) -> dict[str, Any]:
    """Clone ``repo``, run ``make demo`` with empty caches and time the first page."""
    work = Path(tempfile.mkdtemp(prefix="credit-first-run-"))
    clone, port = work / "clone", free_port()
    load_before = os.getloadavg()
    started = time.monotonic()
    subprocess.run(["git", "clone", "-q", repo, str(clone)], check=True)
    clone_seconds = time.monotonic() - started
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    url = f"http://127.0.0.1:{port}/"
    run = Run(clone, port, clean_env(work / "caches"), started)
    page_at = None
    try:
        while time.monotonic() - started < timeout and run.proc.poll() is None:
            if page_served(url):
                page_at = time.monotonic() - started
                break
            time.sleep(0.25)
    finally:
        run.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    if page_at is None:
        tail = "\n".join(line for _, line in run.lines[-30:])
        raise SystemExit(f"no page at {url} within {timeout:.0f} s; last output:\n{tail}")
    return {
        "first_page_seconds": round(page_at, 1),
        "goal_seconds": GOAL_SECONDS,
        "phases_seconds": phases(run.lines, clone_seconds, page_at),
        "npm_installed": first(run.lines, NPM) is not None,
        "compiled": first(run.lines, COMPILING) is not None,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "repo": repo,
        "commit": commit,
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": (
            "git clone of the repo into a temporary directory; PIP_CACHE_DIR, UV_CACHE_DIR, "
            "npm_config_cache and XDG_CACHE_HOME pointed at fresh empty temporary directories; "
            "`make demo PORT=<free port>` in the clone; GET / polled every 0.25 s until it "
            "answers 200 with the page; seconds from the start of the clone"
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 bench/bench_first_run.py [--repo URL_OR_PATH] [--timeout S] [--keep]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=default_repo(), help="what to clone (default: here)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up after S seconds")
    parser.add_argument("--keep", action="store_true", help="keep the clone and caches")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args(argv)
    result = measure(args.repo, args.timeout, args.keep)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    verdict = "within" if result["first_page_seconds"] <= GOAL_SECONDS else "over"
    seconds = result["first_page_seconds"]
    print(f"first page in {seconds} s: {verdict} the {GOAL_SECONDS:.0f} s goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
