"""The kept-alive JSON-RPC transport: the same answers as web3's HTTPProvider from a real node,
one connection per thread, a fresh one when the node closed an idle connection, HTTP errors as
typed errors (retried for reads, as web3 does), credentials and paths from the URL kept."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from web3 import HTTPProvider, Web3

from credit.chain import rpc_web3
from credit.chain.transport import KeepAliveHTTPProvider, RpcHTTPError
from credit.errors import ChainError, NodeUnavailable
from tests.support.anvil import anvil, free_port


class _Node(BaseHTTPRequestHandler):
    """A JSON-RPC endpoint that records what it saw and can misbehave on demand."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        self.timeout = self.server.idle_timeout  # type: ignore[assignment]
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.server.open.append(self.connection)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.seen.append((self.path, self.headers.get("Authorization"), body))
            fail = self.server.fail_next
            self.server.fail_next = max(0, fail - 1)
        if fail:
            payload = b"upstream overloaded"
            self.send_response(503)
        else:
            calls = body if isinstance(body, list) else [body]
            answers = [{"jsonrpc": "2.0", "id": c["id"], "result": "0x2a"} for c in calls]
            payload = json.dumps(answers if isinstance(body, list) else answers[0]).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.server.close_after_each:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Node)
        self.lock = threading.Lock()
        self.connections = 0
        self.seen: list[tuple[str, str | None, Any]] = []
        self.fail_next = 0
        self.close_after_each = False
        self.idle_timeout: float | None = None  # close kept-alive connections idle this long
        self.open: list[Any] = []  # every connection accepted

    def die(self) -> None:
        """Go away as a killed node does: stop listening, cut every open connection."""
        self.shutdown()
        self.server_close()
        for conn in self.open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def node() -> Iterator[_Server]:
    server = _Server(free_port())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: _Server, path: str = "/") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_it_answers_as_web3s_http_provider_does_on_a_real_node() -> None:
    with anvil() as url:
        lean, plain = Web3(KeepAliveHTTPProvider(url)), Web3(HTTPProvider(url))
        assert isinstance(lean.provider, HTTPProvider)  # every isinstance check still holds
        assert lean.eth.chain_id == plain.eth.chain_id
        assert lean.eth.get_block("latest") == plain.eth.get_block("latest")
        sender = lean.eth.accounts[0]
        tx = lean.eth.send_transaction({"from": sender, "to": sender, "value": 1})
        assert lean.eth.wait_for_transaction_receipt(tx)["status"] == 1
        assert lean.eth.get_transaction(tx) == plain.eth.get_transaction(tx)
        batch = lean.provider.make_batch_request(
            [("eth_blockNumber", []), ("eth_getBalance", [sender, "latest"])]
        )
        assert isinstance(batch, list)
        assert [int(r["result"], 16) for r in batch] == [
            plain.eth.block_number,
            plain.eth.get_balance(sender),
        ]
        refused = lean.provider.make_request("eth_noSuchMethod", [])  # type: ignore[arg-type]
        assert "error" in refused  # a JSON-RPC error is an answer, not a transport error


def test_one_kept_alive_connection_per_thread(node: _Server) -> None:
    provider = KeepAliveHTTPProvider(_url(node))
    for _ in range(20):
        assert provider.make_request("eth_blockNumber", [])["result"] == "0x2a"  # type: ignore[arg-type]
    assert node.connections == 1

    def calls() -> None:
        for _ in range(10):
            provider.make_request("eth_blockNumber", [])  # type: ignore[arg-type]

    threads = [threading.Thread(target=calls) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert node.connections == 4  # the first thread's, and one per new thread
    assert len(node.seen) == 50


def test_a_connection_the_node_closed_is_replaced_and_nothing_is_lost(node: _Server) -> None:
    provider = KeepAliveHTTPProvider(_url(node))
    node.close_after_each = True  # the node closes every connection after answering
    for _ in range(5):
        assert provider.make_request("eth_blockNumber", [])["result"] == "0x2a"  # type: ignore[arg-type]
    assert node.connections == 5
    assert len(node.seen) == 5  # each request was sent and answered once

    node.close_after_each = False
    node.idle_timeout = 0.05  # the node closes idle connections without a word, as proxies do
    for _ in range(5):  # a method web3 never retries: the transport's own reconnect
        assert provider.make_request("eth_sendTransaction", [{}])["result"] == "0x2a"  # type: ignore[arg-type]
        time.sleep(0.15)
    assert len(node.seen) == 10  # each request reached the node once: none lost, none twice
    assert node.connections == 10


def test_http_errors_are_typed_and_reads_are_retried(node: _Server) -> None:
    provider = KeepAliveHTTPProvider(_url(node))
    node.fail_next = 2  # a read is retried with backoff, as web3 retries its own errors
    assert provider.make_request("eth_blockNumber", [])["result"] == "0x2a"  # type: ignore[arg-type]
    assert len(node.seen) == 3

    node.fail_next = 100  # a method web3 does not retry: the error reaches the caller at once
    with pytest.raises(RpcHTTPError, match=r"HTTP 503 .*upstream overloaded") as caught:
        provider.make_request("eth_sendTransaction", [{}])
    assert caught.value.status == 503
    assert len(node.seen) == 4
    assert isinstance(caught.value, ConnectionError)


def test_the_urls_path_query_and_credentials_are_kept(node: _Server) -> None:
    provider = KeepAliveHTTPProvider(
        f"http://alice:s3cret@127.0.0.1:{node.server_address[1]}/v3/key?x=1"
    )
    provider.make_batch_request([("eth_chainId", []), ("eth_blockNumber", [])])  # type: ignore[list-item]
    path, auth, body = node.seen[-1]
    assert path == "/v3/key?x=1"
    assert auth == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert [c["method"] for c in body] == ["eth_chainId", "eth_blockNumber"]


def test_a_bad_url_or_an_absent_node_is_a_clear_chain_error() -> None:
    with pytest.raises(ChainError, match="http:// or https://"):
        rpc_web3("ws://127.0.0.1:8545")
    with pytest.raises(ChainError, match="no Ethereum node answers"):
        rpc_web3(f"http://127.0.0.1:{free_port()}", timeout=2)


def test_a_node_that_goes_away_is_node_unavailable_until_it_is_back(node: _Server) -> None:
    """Refused, reset or cut off: one type (a ChainError, and a ConnectionError so that web3
    still retries reads), no connection left half-used, and the first call after the node is
    back succeeds."""
    port = node.server_address[1]
    provider = KeepAliveHTTPProvider(_url(node))
    assert provider.make_request("eth_blockNumber", [])["result"] == "0x2a"  # type: ignore[arg-type]
    node.die()  # the kept-alive connection is cut, and nobody listens
    for method in ("eth_blockNumber", "eth_sendTransaction", "eth_blockNumber"):
        with pytest.raises(NodeUnavailable, match="the blockchain node does not answer") as caught:
            provider.make_request(method, [])  # type: ignore[arg-type]
        assert isinstance(caught.value, ChainError | ConnectionError)
        assert "127.0.0.1" not in str(caught.value)  # node URLs may carry credentials
    back = _Server(port)
    thread = threading.Thread(target=back.serve_forever, daemon=True)
    thread.start()
    try:
        answer = provider.make_request("eth_sendTransaction", [{}])  # type: ignore[arg-type]
        assert answer["result"] == "0x2a"  # not retried by web3: the transport's own first try
    finally:
        back.shutdown()
        back.server_close()
