"""One real Sign-In with Ethereum over HTTP, as a wallet does it (nonce, EIP-4361, sign)."""

from __future__ import annotations

from datetime import UTC, datetime

import coincurve
import httpx
import siwe
from eth_account import Account
from eth_account.messages import encode_defunct

from credit.gateway.auth import STATEMENT


def sign_in(base: str, key: coincurve.PrivateKey, address: str) -> str:
    """Sign in as ``address`` (whose key is ``key``) at the gateway ``base``; the session token."""
    nonce = httpx.post(f"{base}/v1/auth/nonce", timeout=30).json()
    message = siwe.SiweMessage(
        domain=nonce["domain"],
        address=address,
        uri=nonce["uri"],
        version="1",
        chain_id=nonce["chain_id"],
        issued_at=siwe.ISO8601Datetime.from_datetime(datetime.now(UTC)),
        nonce=nonce["nonce"],
        statement=STATEMENT,
    ).prepare_message()
    signed = Account.sign_message(encode_defunct(text=message), key.secret)
    body = {"message": message, "signature": "0x" + bytes(signed.signature).hex()}
    response = httpx.post(f"{base}/v1/auth/login", json=body, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"SIWE sign-in failed: {response.status_code} {response.text[:300]}")
    token: str = response.json()["token"]
    return token
