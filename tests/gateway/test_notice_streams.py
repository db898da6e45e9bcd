"""Notice streams (server-sent events) over a real uvicorn: many open streams hold no thread, and
a stream's session token never appears in a URL or in a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from credit.gateway.access_log import redact_url
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.indexer import Indexer
from tests.support.auth_helpers import sign_in
from tests.support.live_server import open_stream, served
from tests.support.world import PUBLIC, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


# More streams than asyncio's default executor has threads on any machine (min(32, cpus + 4)).
STREAMS = 40


def _violations(w: World, resident: Any) -> None:
    """Two littering reports against ``resident``, confirmed: the repeated-violations warning is
    due at once, a notice for them to stream."""
    for _ in range(2):
        signed, rid = w.report(w.expert, resident)
        ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
        w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)


@pytest.fixture
def live(services: Services, gateway_world: World) -> Iterator[str]:
    """The gateway with a running indexer, served by uvicorn; a resident has a notice."""
    _violations(gateway_world, gateway_world.residents[0])
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.indexer.sync()
    services.background.append(services.indexer)
    with served(create_app(services)) as url:
        yield url


def test_open_streams_hold_no_thread_the_other_routes_need(live: str, gateway_world: World) -> None:
    """With ``STREAMS`` streams open and idle, the reads that hop to a thread still answer at once
    (a stream used to park a thread of asyncio's default executor in ``Event.wait`` for 15 s)."""
    w = gateway_world
    resident = w.residents[0]
    with httpx.Client(base_url=live, timeout=10) as client:
        auth = sign_in(client, resident.key)  # type: ignore[arg-type]
        official = sign_in(client, w.superior.key)  # type: ignore[arg-type]
        path = f"/v1/residents/{resident.address}/notices/stream"
        with ExitStack() as streams:
            for n in range(STREAMS):
                streams.enter_context(open_stream(live, path, auth, f"stream {n + 1}"))
            # an official reading a resident's summary checks roles in a thread (asyncio's pool);
            # /v1/auth/me is a plain ``def`` route (AnyIO's pool)
            for probe, headers in (
                (f"/v1/residents/{resident.address}", official),
                ("/v1/auth/me", auth),
            ):
                try:
                    answer = client.get(probe, headers=headers)
                except httpx.TimeoutException:
                    pytest.fail(f"GET {probe} did not answer in 10 s with {STREAMS} streams open")
                assert answer.status_code == 200, answer.text


@contextmanager
def _access_log() -> Iterator[list[str]]:
    """Every line uvicorn's access log writes while the block runs."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler, logger = Keep(), logging.getLogger("uvicorn.access")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def test_a_stream_token_is_never_in_a_url_or_a_log_line(
    services: Services, gateway_world: World
) -> None:
    """The stream takes the session only from the Authorization header; a token sent in the
    query anyway is refused and does not reach the access log (uvicorn's, at info level)."""
    w = gateway_world
    resident = w.residents[0]
    _violations(w, resident)
    services.indexer = Indexer(services.system, services.engine, poll_seconds=0.05)
    services.indexer.sync()
    app = create_app(services, start_background=False)
    with (
        served(app, log_level="info") as url,
        httpx.Client(base_url=url, timeout=10) as client,
        _access_log() as logged,
    ):
        auth = sign_in(client, resident.key)  # type: ignore[arg-type]
        token = auth["Authorization"].removeprefix("Bearer ")
        path = f"/v1/residents/{resident.address}/notices/stream"
        query = {"limit": 1, "max_seconds": 5}
        in_url = client.get(path, params={**query, "token": token})
        with client.stream("GET", path, params=query, headers=auth) as stream:
            assert stream.status_code == 200
            got = list(stream.iter_lines())
            assert any(line.startswith("event: notice") for line in got), (got, in_url.text)
    stream_lines = [line for line in logged if "/notices/stream" in line]
    assert len(stream_lines) == 2, logged
    assert not [line for line in stream_lines if token in line], stream_lines
    assert in_url.status_code == 401, in_url.text
    assert in_url.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        pytest.param(
            '1.2.3.4:5 - "GET /v1/x/stream?limit=1&token=abc.DEF_-1 HTTP/1.1" 200',
            '1.2.3.4:5 - "GET /v1/x/stream?limit=1&token=[redacted] HTTP/1.1" 200',
            id="token",
        ),
        pytest.param("/a?access_token=s3&b=2", "/a?access_token=[redacted]&b=2", id="access-token"),
        pytest.param("/a?Session=s3#frag", "/a?Session=[redacted]#frag", id="case-and-fragment"),
        pytest.param("/a?api_key=1&ticket=2", "/a?api_key=[redacted]&ticket=[redacted]", id="two"),
        pytest.param("/v1/claims?limit=5&tokens", "/v1/claims?limit=5&tokens", id="no-value"),
        pytest.param("/v1/claims/0xab?limit=5", "/v1/claims/0xab?limit=5", id="nothing-secret"),
    ],
)
def test_secret_query_values_are_redacted(line: str, shown: str) -> None:
    assert redact_url(line) == shown
