"""Sign-In with Ethereum through the real app: nonces, strict verification, sessions, throttling."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.errors import AuthError
from credit.gateway.auth import MAX_MESSAGE_CHARS, STATEMENT, SessionStore
from credit.gateway.ratelimit import SlidingWindowLimiter
from credit.gateway.services import Services
from tests.support.auth_helpers import build_message, iso, now_utc, sign, signed_login
from tests.support.world import World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


NONCE, LOGIN, ME, LOGOUT = "/v1/auth/nonce", "/v1/auth/login", "/v1/auth/me", "/v1/auth/logout"


class Clock:
    """A hand-driven clock (Unix seconds)."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def refused(response: Any, status: int, code: str, words: str) -> None:
    """``response`` is the envelope with ``status`` and ``code``; its message names ``words``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert words.lower() in error["message"].lower(), error["message"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_nonce_carries_what_the_message_must_bind(client: TestClient, services: Services) -> None:
    out = client.post(NONCE).json()
    assert (out["domain"], out["uri"]) == ("testserver", "http://testserver")
    assert out["chain_id"] == services.system.record.chain_id
    assert out["statement"] and len(out["nonce"]) == 32
    ttl = datetime.fromisoformat(out["expires_at"]).timestamp() - time.time()
    assert (
        services.settings.siwe_nonce_ttl_seconds - 5
        < ttl
        <= services.settings.siwe_nonce_ttl_seconds
    )
    assert client.post(NONCE).json()["nonce"] != out["nonce"]
    assert out["address"] is None


def test_nonce_hands_out_the_checksummed_address(client: TestClient, gateway_world: World) -> None:
    """A web client sends the wallet's lower-case account and signs the EIP-55 form it gets."""
    resident = gateway_world.residents[0]
    out = client.post(NONCE, json={"address": resident.address.lower()}).json()
    assert out["address"] == resident.address != resident.address.lower()
    refused(client.post(NONCE, json={"address": "0x1234"}), 422, "invalid_request", "schema")
    refused(client.post(NONCE, json={"account": resident.address}), 422, "invalid_request", "")


def test_login_me_logout(client: TestClient, gateway_world: World) -> None:
    resident = gateway_world.residents[0]
    response = client.post(LOGIN, json=signed_login(client, resident.key))
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["address"] == resident.address
    assert session["roles"] == ["RESIDENT"]
    assert len(session["token"]) >= 43  # 32 random bytes, URL-safe base64
    me = client.get(ME, headers=bearer(session["token"]))
    assert me.json() == {"address": resident.address, "roles": ["RESIDENT"]}

    refused(client.get(ME), 401, "unauthorized", "sign in first")
    refused(client.get(ME, headers=bearer("not-a-token")), 401, "unauthorized", "unknown")
    assert client.post(LOGOUT, headers=bearer(session["token"])).status_code == 204
    refused(client.get(ME, headers=bearer(session["token"])), 401, "unauthorized", "signed out")
    assert client.get(ME).headers["WWW-Authenticate"] == "Bearer"


def _replayed(client: TestClient, key: bytes) -> dict[str, str]:
    body = signed_login(client, key)
    assert client.post(LOGIN, json=body).status_code == 200
    return body


Builder = Callable[[TestClient, bytes], dict[str, str]]
REJECTED: list[Any] = [
    pytest.param(_replayed, "already used", id="replayed-login"),
    pytest.param(
        lambda c, k: signed_login(c, k, domain="evil.example"),
        "domain 'evil.example'",
        id="wrong-domain",
    ),
    pytest.param(
        lambda c, k: signed_login(c, k, uri="https://evil.example/login"),
        "URI",
        id="wrong-uri",
    ),
    pytest.param(lambda c, k: signed_login(c, k, chain_id=1), "chain id 1", id="wrong-chain-id"),
    pytest.param(
        lambda c, k: signed_login(
            c, k, issued_at=iso(now_utc(-600)), expiration_time=iso(now_utc(-60))
        ),
        "expired",
        id="expired-message",
    ),
    pytest.param(
        lambda c, k: signed_login(c, k, nonce="f00dfeedf00dfeedf00d"),
        "not issued",
        id="nonce-not-issued-here",
    ),
    pytest.param(
        lambda c, k: signed_login(c, k, issued_at=iso(now_utc(3600))),
        "issued in the future",
        id="issued-in-the-future",
    ),
    pytest.param(
        lambda c, k: signed_login(c, k, not_before=iso(now_utc(3600))),
        "not valid before",
        id="not-yet-valid",
    ),
]


@pytest.mark.parametrize(("build", "words"), REJECTED)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_bad_sign_ins_are_refused(
    client: TestClient, gateway_world: World, build: Builder, words: str
) -> None:
    body = build(client, gateway_world.residents[1].key)
    refused(client.post(LOGIN, json=body), 401, "unauthorized", words)


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        pytest.param(lambda m, s, k: (m, sign(k, m + " ")), "signature", id="signed-other-text"),
        pytest.param(
            lambda m, s, k: (m.replace("Chain ID: ", "Chain ID: 0"), s),
            "canonical",
            id="non-canonical-chain-id",
        ),
        pytest.param(lambda m, s, k: ("hello", s), "not an EIP-4361", id="not-siwe"),
        pytest.param(lambda m, s, k: ("a" * 1500, s), "first line", id="costly-garbage"),
        pytest.param(
            lambda m, s, k: (m.replace(STATEMENT, "s" * 201), s),
            "longer than 200",
            id="long-line",
        ),
        pytest.param(
            lambda m, s, k: (m.replace("Version: 1", "Version: 2"), s),
            "EIP-4361",
            id="unknown-version",
        ),
    ],
)
@pytest.mark.engines("sqlite")  # a matrix of roles or refusals: the API's shape
def test_tampered_messages_are_refused(
    client: TestClient, gateway_world: World, tamper: Callable[..., Any], words: str
) -> None:
    key = gateway_world.residents[1].key
    body = signed_login(client, key)
    message, signature = tamper(body["message"], body["signature"], key)
    response = client.post(LOGIN, json={"message": message, "signature": signature})
    refused(response, 401, "unauthorized", words)


def test_oversized_messages_are_refused_before_parsing(
    client: TestClient, services: Services
) -> None:
    long = "testserver wants you to sign in with your Ethereum account:\n" + "a" * MAX_MESSAGE_CHARS
    response = client.post(LOGIN, json={"message": long, "signature": "0x" + "11" * 65})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "message"]
    store = SessionStore(services.engine, services.settings)
    with pytest.raises(AuthError, match="longer than 1536 characters"):
        store.login(long, "0x" + "11" * 65, services.system.record.chain_id)


def test_signature_of_another_account_is_refused(client: TestClient, gateway_world: World) -> None:
    nonce = client.post(NONCE).json()
    message = build_message(nonce, gateway_world.residents[0].address)
    body = {"message": message, "signature": sign(gateway_world.residents[1].key, message)}
    refused(client.post(LOGIN, json=body), 401, "unauthorized", "signature does not match")


def test_unchecksummed_address_is_refused(client: TestClient, gateway_world: World) -> None:
    key = gateway_world.residents[0].key
    body = signed_login(client, key, address=gateway_world.residents[0].address.lower())
    refused(client.post(LOGIN, json=body), 401, "unauthorized", "EIP-55")


def test_a_failed_sign_in_leaves_the_nonce_usable(client: TestClient, gateway_world: World) -> None:
    resident = gateway_world.residents[2]
    nonce = client.post(NONCE).json()
    wrong = build_message(nonce, resident.address, domain="evil.example")
    refused(
        client.post(LOGIN, json={"message": wrong, "signature": sign(resident.key, wrong)}),
        401,
        "unauthorized",
        "domain",
    )
    extra = {"message": wrong, "signature": sign(resident.key, wrong), "role": "admin"}
    response = client.post(LOGIN, json=extra)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert response.json()["error"]["details"][0]["loc"] == ["body", "role"]
    right = build_message(nonce, resident.address)
    ok = client.post(LOGIN, json={"message": right, "signature": sign(resident.key, right)})
    assert ok.status_code == 200, ok.text


def test_expired_nonce_and_session(
    client: TestClient, services: Services, gateway_world: World
) -> None:
    clock = Clock(time.time())
    services.sessions = SessionStore(services.engine, services.settings, clock=clock)
    key = gateway_world.residents[3].key
    stale = signed_login(client, key)
    clock.t += services.settings.siwe_nonce_ttl_seconds + 1
    refused(client.post(LOGIN, json=stale), 401, "unauthorized", "nonce has expired")

    token = client.post(LOGIN, json=signed_login(client, key)).json()["token"]
    assert client.get(ME, headers=bearer(token)).status_code == 200
    clock.t += services.settings.session_ttl_seconds
    refused(client.get(ME, headers=bearer(token)), 401, "unauthorized", "expired")


def test_session_ends_with_the_signed_expiration(client: TestClient, gateway_world: World) -> None:
    ends = now_utc(120)
    body = signed_login(client, gateway_world.residents[0].key, expiration_time=iso(ends))
    session = client.post(LOGIN, json=body).json()
    assert abs(datetime.fromisoformat(session["expires_at"]).timestamp() - ends.timestamp()) < 1


def test_sign_in_rate_limit_follows_settings(
    client: TestClient, services: Services, gateway_world: World
) -> None:
    services.settings = services.settings.model_copy(update={"signin_rate_per_minute": 3})
    body = signed_login(client, gateway_world.residents[0].key)  # 1 (nonce)
    assert client.post(NONCE).status_code == 200  # 2
    assert client.post(LOGIN, json=body).status_code == 200  # 3
    for path, payload in [(NONCE, None), (LOGIN, body)]:
        response = client.post(path, json=payload)
        refused(response, 429, "rate_limited", "too many sign-in attempts")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/v1/health").status_code == 200  # other routes are not throttled


def test_rate_limit_window_slides(client: TestClient) -> None:
    clock = Clock(1000.0)
    client.app.state.signin_limiter = SlidingWindowLimiter(2, 60.0, clock=clock)  # type: ignore[attr-defined]
    assert [client.post(NONCE).status_code for _ in range(2)] == [200, 200]
    clock.t += 20
    response = client.post(NONCE)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "40")
    clock.t += 40
    assert client.post(NONCE).status_code == 200


def test_concurrent_replays_sign_in_once(client: TestClient, gateway_world: World) -> None:
    body = signed_login(client, gateway_world.residents[4].key)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: client.post(LOGIN, json=body).status_code, range(8)))
    assert sorted(statuses) == [200] + [401] * 7


def test_a_wallet_has_its_own_sign_in_budget_from_any_ip(
    client: TestClient, gateway_world: World
) -> None:
    """Per wallet address, counted only once its signature verified: a kiosk's residents do not
    share one budget, and nobody can spend another wallet's by naming its address."""
    state: Any = client.app.state
    state.signin_limiter = SlidingWindowLimiter(1000, 60.0)
    state.signin_address_limiter = SlidingWindowLimiter(2, 60.0)
    first, second = gateway_world.residents[0], gateway_world.residents[1]
    forged = signed_login(client, gateway_world.outsider.key, address=first.address)
    assert client.post(LOGIN, json=forged).status_code == 401  # spends nothing of first's
    for _ in range(2):
        assert client.post(LOGIN, json=signed_login(client, first.key)).status_code == 200
    response = client.post(LOGIN, json=signed_login(client, first.key))
    refused(response, 429, "rate_limited", "of this wallet")
    assert client.post(LOGIN, json=signed_login(client, second.key)).status_code == 200


def test_shared_networks_are_recognised_and_validated() -> None:
    from types import SimpleNamespace

    from pydantic import ValidationError

    from credit.gateway.routes.auth import _shared
    from credit.settings import Settings

    nets = Settings(signin_shared_networks="10.1.0.0/16, 192.0.2.7").signin_shared_networks
    assert nets == ["10.1.0.0/16", "192.0.2.7/32"]
    at = lambda host: SimpleNamespace(client=SimpleNamespace(host=host))  # noqa: E731
    assert _shared(at("10.1.200.3"), nets) and _shared(at("192.0.2.7"), nets)  # type: ignore[arg-type]
    assert not _shared(at("10.2.0.1"), nets) and not _shared(at("testclient"), nets)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="CREDIT_SIGNIN_SHARED_NETWORKS"):
        Settings(signin_shared_networks="10.1.0.0/33")
