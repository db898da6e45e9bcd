"""Issue 14, finding 10: ``GET /v1/config`` (anonymous) never publishes the node's URL.

Wallets are given either the operator's public RPC URL (``CREDIT_PUBLIC_RPC_URL``, refused at
start-up if it carries credentials, a query or a fragment) or this gateway's own ``/rpc``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.settings import Settings

NODE = "http://relayer:s3cret-pass@10.0.0.10:8545/node/7?apikey=k3y-123"


def _settings(tmp_path: Path, **more: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'gateway.sqlite'}",
        "siwe_domain": "testserver",
        "siwe_uri": "http://testserver",
    }
    return Settings(**{**base, **more})


@pytest.fixture
def client_with(services: Services, tmp_path: Path) -> Iterator[Any]:
    """``client_with(**settings)``: a client of the app over the same chain with other settings."""
    clients: list[TestClient] = []

    def make(**more: Any) -> TestClient:
        settings = _settings(tmp_path, **more)
        client = TestClient(create_app(dataclasses.replace(services, settings=settings)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _leaks(text: str) -> list[str]:
    return [s for s in ("relayer:", "s3cret", "10.0.0.10", "apikey", "k3y") if s in text]


def test_the_node_url_and_its_credentials_are_never_published(client_with: Any) -> None:
    client = client_with(chain=NODE)
    r = client.get("/v1/config")
    assert r.status_code == 200
    assert _leaks(r.text) == [], (
        f"/v1/config publishes the node's URL: {r.json()['wallet_rpc_urls']}"
    )
    assert r.json()["wallet_rpc_urls"] == ["http://testserver/rpc"]


def test_the_public_rpc_url_is_advertised_and_the_proxy_is_then_off(client_with: Any) -> None:
    public = "https://rpc.credit.chain.city.example/"
    client = client_with(chain=NODE, public_rpc_url=public)
    config = client.get("/v1/config")
    assert config.json()["wallet_rpc_urls"] == [public] and _leaks(config.text) == []
    off = client.post("/rpc", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"})
    assert off.status_code == 404
    assert off.json()["error"]["code"] == "rpc_off" and public in off.json()["error"]["message"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://user:pass@rpc.city.example/", "credentials", id="userinfo"),
        pytest.param("https://token@rpc.city.example/", "credentials", id="user-only"),
        pytest.param("https://rpc.city.example/?apikey=1", "query", id="query"),
        pytest.param("https://rpc.city.example/#main", "fragment", id="fragment"),
        pytest.param("ws://rpc.city.example/", "http", id="scheme"),
        pytest.param("https:///path", "host", id="no-host"),
    ],
)
def test_a_public_rpc_url_wallets_must_not_see_is_refused_at_start(
    tmp_path: Path, url: str, expected: str
) -> None:
    with pytest.raises(ValidationError, match="CREDIT_PUBLIC_RPC_URL") as info:
        _settings(tmp_path, public_rpc_url=url)
    assert expected in str(info.value)
    assert url not in str(info.value), "the refused URL (and any secret in it) was echoed"


def test_the_gateway_url_is_advertised_without_userinfo_query_or_fragment(
    client_with: Any,
) -> None:
    client = client_with(siwe_uri="https://ops:pw@credit.chain.city.example/app/?utm=mail#top")
    assert client.get("/v1/config").json()["wallet_rpc_urls"] == [
        "https://credit.chain.city.example/app/rpc"
    ]
