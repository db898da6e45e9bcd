"""Read load on the gateway from a separate process: wrk with a Lua script, else asyncio.

Each request is ``GET /v1/residents/{a}`` or ``GET /v1/residents/{a}/notices`` with resident
``a``'s own session token, taken in turn from a shuffled list covering every resident (so caches
keyed by resident see the whole city, not a hot few). ``wrk`` is used when it is installed
(``apt-get install wrk``); otherwise ``python -m bench._gateway_reads`` runs an asyncio
keep-alive HTTP/1.1 client in a subprocess. Both print one JSON line with the same keys.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from credit.gateway.auth import open_sessions
from credit.store.db import make_engine

WRK_SCRIPT = r"""
local targets = {}
local counter = 0
function init(args)
  for line in io.lines(args[1]) do
    local path, token = line:match("([^\t]+)\t([^\t]+)")
    targets[#targets + 1] = wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
  end
  counter = tonumber(args[2] or "0")
end
function request()
  counter = counter + 1
  return targets[(counter % #targets) + 1]
end
function done(summary, latency, requests)
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"non_2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.mean / 1e3))
end
"""


def write_health_targets(path: Path) -> None:
    """Targets of ``GET /v1/health`` alone: the floor of the same load through the same server."""
    path.write_text("/v1/health\tnone\n", encoding="utf-8")


def run_loads(
    ports: list[int], targets: Path, seconds: float, connections: int, workdir: Path
) -> dict[str, Any]:
    """:func:`run_load` on each of ``ports`` at once (``connections`` shared out), combined:
    requests and rates add up; p50 and mean are the request-weighted means of each port's, and
    p90 / p99 the highest of them (wrk reports percentiles, not the latencies to merge)."""
    per = max(1, connections // len(ports))
    with ThreadPoolExecutor(len(ports)) as pool:
        runs = list(pool.map(lambda p: run_load(p, targets, seconds, per, workdir), ports))
    total = sum(r["requests"] for r in runs) or 1
    combined: dict[str, Any] = {
        "requests": sum(r["requests"] for r in runs),
        "seconds": max(r["seconds"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "p50_ms": round(sum(r["p50_ms"] * r["requests"] for r in runs) / total, 3),
        "p90_ms": max(r["p90_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "mean_ms": round(sum(r["mean_ms"] * r["requests"] for r in runs) / total, 3),
        "rps": round(sum(r["rps"] for r in runs), 1),
        "tool": runs[0]["tool"],
        "connections": per * len(ports),
        "ports": len(ports),
    }
    return combined


def write_targets(path: Path, tokens: dict[str, str], seed: int = 7) -> int:
    """``path\\ttoken`` lines for both reads of every resident, shuffled; returns the count."""
    lines = [
        f"/v1/residents/{address}{suffix}\t{token}"
        for address, token in tokens.items()
        for suffix in ("", "/notices")
    ]
    random.Random(seed).shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def seed_sessions(
    database: Path | str, addresses: list[str], ttl: float = 3600.0
) -> dict[str, str]:
    """A session token for each of ``addresses``, written as the gateway stores them in
    ``database`` (a SQLite file, or a database URL)."""
    now, tokens = time.time(), {a: secrets.token_urlsafe(32) for a in addresses}
    rows = [(hashlib.sha256(t.encode()).hexdigest(), a, now, now + ttl) for a, t in tokens.items()]
    engine = make_engine(database if isinstance(database, str) else f"sqlite:///{database}")
    with engine.begin() as conn:
        open_sessions(conn, rows)  # as a sign-in stores and announces them
    engine.dispose()
    return tokens


def warm_notices(base: str, address: str, token: str) -> None:
    """One notices read, waited for: the first after the index moved evaluates everyone's."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/v1/residents/{address}/notices"
    httpx.get(url, headers=headers, timeout=600).raise_for_status()


def wait_indexed(base: str, address: str, token: str, block: int, timeout: float = 120) -> None:
    """Wait until the gateway's index has reached ``block``."""
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {token}"}
    while time.monotonic() < deadline:
        body = httpx.get(f"{base}/v1/residents/{address}", headers=headers, timeout=30).json()
        if body.get("as_of_block", -1) >= block:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the gateway's index did not reach block {block} in {timeout:.0f} s")


def run_load(
    port: int, targets: Path, seconds: float, connections: int, workdir: Path
) -> dict[str, Any]:
    """Run the load in another process; its JSON summary plus which tool made it."""
    wrk = shutil.which("wrk")
    if wrk:
        script = workdir / f"reads-{port}.lua"  # one per port: loads may run at once
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        cmd = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(targets),
            "0",
        ]
        tool = "wrk"
    else:
        cmd = [
            sys.executable,
            "-m",
            "bench._gateway_reads",
            "--port",
            str(port),
            "--targets",
            str(targets),
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
        ]
        tool = "python-asyncio"
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    summary = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    summary["rps"] = round(summary["requests"] / summary["seconds"], 1)
    summary["tool"] = tool
    summary["connections"] = connections
    return summary


# ------------------------------------------------------------------- the asyncio load generator
async def _connection(
    port: int, requests: list[bytes], start: int, until: float, latencies: list[float]
) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    bad = errors = 0
    i = start
    while time.perf_counter() < until:
        sent = time.perf_counter()
        writer.write(requests[i % len(requests)])
        i += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            errors += 1
            break
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - sent)
        if not head.startswith(b"HTTP/1.1 2"):
            bad += 1
    writer.close()
    return bad, errors


async def _load(port: int, targets: Path, seconds: float, connections: int) -> dict[str, Any]:
    requests = []
    for line in targets.read_text(encoding="utf-8").splitlines():
        path, token = line.split("\t")
        requests.append(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    step = len(requests) // connections
    results = await asyncio.gather(
        *(_connection(port, requests, i * step, until, latencies) for i in range(connections))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 3)

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "non_2xx": sum(r[0] for r in results),
        "socket_errors": sum(r[1] for r in results),
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "mean_ms": round(sum(ordered) / len(ordered) * 1000, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench._gateway_reads")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--targets", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    summary = asyncio.run(_load(args.port, args.targets, args.seconds, args.connections))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
