"""Issue 14, finding 7: no anonymous ``POST /rpc`` load can stall the gateway or its chain.

The gateway runs under uvicorn in a thread; a separate process floods ``/rpc`` with the most
expensive requests an anonymous caller could send (endless ``eth_call`` loops with a large gas
allowance, big batches, the widest fee history). Meanwhile the test times ``GET /v1/health`` over
HTTP and a read through the embedded chain's lock (what the relay and the indexer wait for), and
compares the medians under load with the medians of the same probes just before, in the same
run. The bound is generous (a busy shared machine), and far below what a blocked event loop or a
chain held by one ``eth_call`` costs (seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from credit.gateway.app import create_app
from credit.gateway.ratelimit import SlidingWindowLimiter
from credit.gateway.services import Services
from tests.support.anvil import free_port

SAMPLES = 15
# A blocked loop or chain costs whole seconds per probe; a healthy one, a few milliseconds. The
# bound sits far from both, so a busy machine does not make the test flaky.
BOUND_SECONDS = 0.25
PROBE_TIMEOUT = 10.0  # a probe that takes longer counts as taking this long


@pytest.fixture
def live_url(services: Services) -> Iterator[str]:
    """The real app under uvicorn on a loopback port, rate limit out of the way (the flood
    comes from one address, and the test is about what unthrottled calls cost)."""
    app = create_app(services)
    app.state.rpc_limiter = SlidingWindowLimiter(10**9, 60.0)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(60)


def _medians(*probes: Callable[[], Any]) -> list[float]:
    """The median time of each probe over ``SAMPLES`` rounds (the probes interleaved)."""
    times: list[list[float]] = [[] for _ in probes]
    for _ in range(SAMPLES):
        for probe, spent in zip(probes, times, strict=True):
            start = time.perf_counter()
            with contextlib.suppress(httpx.TimeoutException):
                probe()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def test_a_hostile_rpc_flood_leaves_health_and_the_chain_responsive(
    live_url: str, services: Services
) -> None:
    w3 = services.system.w3
    with httpx.Client(base_url=live_url, timeout=PROBE_TIMEOUT) as http:

        def health() -> None:
            assert http.get("/v1/health").status_code == 200

        def chain_read() -> None:  # through the embedded chain's lock, as the relay reads
            assert w3.eth.block_number >= 0

        idle = _medians(health, chain_read)
        flood = subprocess.Popen(
            [sys.executable, "-m", "tests.gateway.rpc_flood", live_url, "6", w3.eth.accounts[0]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert flood.stdout is not None and flood.stdout.readline().strip() == "ready"
            loaded = _medians(health, chain_read)
        finally:
            out, _ = flood.communicate(timeout=300)
    answered = json.loads(out.strip().splitlines()[-1])
    print(f"idle {idle}, loaded {loaded}, flood answers {answered}")
    assert sum(v for k, v in answered.items() if k.isdigit()) > 0  # the flood reached the app
    assert loaded[0] - idle[0] < BOUND_SECONDS, f"health: idle {idle[0]:.4f} s, {loaded[0]:.4f} s"
    assert loaded[1] - idle[1] < BOUND_SECONDS, f"chain: idle {idle[1]:.4f} s, {loaded[1]:.4f} s"
