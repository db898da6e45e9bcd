"""Sign-In with Ethereum for gateway tests: build, sign and submit EIP-4361 messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import siwe
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from credit.gateway.auth import STATEMENT


def iso(dt: datetime) -> str:
    """An EIP-4361 timestamp."""
    return siwe.ISO8601Datetime.from_datetime(dt)


def now_utc(offset_seconds: float = 0) -> datetime:
    """Wall-clock now (what the gateway checks SIWE times against), shifted."""
    return datetime.now(UTC) + timedelta(seconds=offset_seconds)


def build_message(nonce_out: dict[str, Any], address: str, **override: Any) -> str:
    """The canonical message for a POST /v1/auth/nonce answer; ``override`` changes fields."""
    fields: dict[str, Any] = {
        "domain": nonce_out["domain"],
        "address": address,
        "uri": nonce_out["uri"],
        "version": "1",
        "chain_id": nonce_out["chain_id"],
        "issued_at": iso(now_utc()),
        "nonce": nonce_out["nonce"],
        "statement": STATEMENT,
    }
    fields.update(override)
    return siwe.SiweMessage(**fields).prepare_message()


def sign(key: bytes, text: str) -> str:
    """An EIP-191 personal_sign signature, 0x-hex."""
    return "0x" + bytes(Account.sign_message(encode_defunct(text=text), key).signature).hex()


def signed_login(client: TestClient, key: bytes, **override: Any) -> dict[str, str]:
    """A fresh nonce, a message (with ``override``) signed by ``key``: the login body."""
    nonce_out = client.post("/v1/auth/nonce").json()
    address = override.pop("address", Account.from_key(key).address)
    message = build_message(nonce_out, address, **override)
    return {"message": message, "signature": sign(key, message)}


def sign_in(client: TestClient, key: bytes) -> dict[str, str]:
    """Sign in as ``key``; the Authorization header for later requests."""
    response = client.post("/v1/auth/login", json=signed_login(client, key))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
