"""The gateway app served by a real uvicorn on a loopback port, in a thread of its own.

Unlike ``tests/web/server.py`` the event loop keeps asyncio's default executor (what uvicorn gives
the gateway in production), so tests see the thread pool the gateway really has.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from tests.support.anvil import free_port


@contextmanager
def served(app: Any, *, log_level: str = "warning") -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 until the block ends; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level=log_level, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-gateway", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextmanager
def open_stream(
    url: str, path: str, headers: dict[str, str], label: str = "the stream"
) -> Iterator[socket.socket]:
    """A raw HTTP/1.1 request of a notice stream, read until its first notice event arrived
    (so that the stream is past its first read, waiting for the next change)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    try:
        lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        seen = b""
        while b"event: notice" not in seen:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                pytest.fail(f"{label} did not send its first notice in 10 s: {seen[-60:]!r}")
            assert chunk, f"the stream closed before its first notice: {seen[:300]!r}"
            seen += chunk
        assert seen.startswith(b"HTTP/1.1 200"), seen[:300]
        yield sock
    finally:
        sock.close()
