"""The node goes away: every route that needs it answers 503 ``node_unavailable``, the others
keep answering as before.

The gateway is fully wired (indexer, relay, rewards, notices, evidence) over a real node (anvil),
a resident and an official sign in and use it, then the node is killed and every route of the
app is walked: enumerated from ``app.routes``, so a route added later is walked too (and the walk
fails, saying what to add, if it cannot give that route plausible parameters).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account import Account
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from credit.artifacts import Artifact
from credit.chain import role_id, rpc_web3
from credit.chain.roles import RoleCache
from credit.compose import wire
from credit.gateway.app import create_app
from credit.gateway.notices_service import NoticeService
from credit.gateway.routes import residents
from credit.gateway.services import Services
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.support.anvil import anvil_process
from tests.support.auth_helpers import sign_in, signed_login
from tests.support.authz_sig_quorum_helpers import record_violation, sign_appeal
from tests.support.live_server import open_stream, served
from tests.support.relay_helpers import (
    claim_body,
    confirm_body,
    fund_gateway_keys,
    rejection_body,
)
from tests.support.world import SUPERIOR, World, build_world

NODE_DOWN = "node_unavailable"
# What answers as before with the node gone: (method, path template) -> status. Everything else
# may need the node and must then answer 503 node_unavailable (or its own 4xx).
NODE_FREE: dict[tuple[str, str], int] = {
    ("GET", "/v1/health"): 200,
    ("GET", "/metrics"): 200,
    ("POST", "/v1/auth/nonce"): 200,
    ("POST", "/v1/auth/logout"): 204,
    ("GET", "/v1/residents/{address}"): 200,
    ("GET", "/openapi.json"): 200,
    ("GET", "/docs"): 200,
    ("GET", "/redoc"): 200,
    ("GET", "/"): 200,
}
# The routes the issue found answering 500, and those it found answering 503 already.
MUST_SAY_NODE_DOWN = {
    ("GET", "/v1/config"),
    ("GET", "/v1/residents/{address}/notices"),
    ("POST", "/v1/residents/{address}/notices/{notice_id}/ack"),
    ("GET", "/v1/residents/{address}/rewards"),
    ("GET", "/v1/residents/{address}/nonces"),
    ("GET", "/v1/residents/{address}/notices/stream"),
    ("GET", "/v1/auth/me"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/claims"),
    ("POST", "/v1/claims/{record_id}/rejections"),  # the evaluator's role is read on chain
}
# (GET /v1/evidence/{evidence_id} was here: it read the caller's roles first. Its owner now reads
# it with no role read, so the walk's resident, its owner, is answered without the node.)


@dataclass
class Request:
    """One request of the walk, everything but the path's parameters already decided."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None


@dataclass
class Gateway:
    """The wired gateway over anvil, with what the walk sends, prepared while the node ran."""

    app: FastAPI
    client: TestClient
    services: Services
    kill_node: Callable[[], None]
    path_values: dict[str, str]
    bodies: dict[tuple[str, str], Request]
    resident_auth: dict[str, str]
    official_auth: dict[str, str]
    throwaway_auth: dict[str, str]


@pytest.fixture(scope="module")
def gateway(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    tmp = tmp_path_factory.mktemp("node-down")
    with anvil_process() as (url, node):
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=4)
        _, minter = fund_gateway_keys(w)
        for role in ("MINTER_ROLE", "ARBITER_ROLE", "SUPERIOR_ROLE"):  # the official of the walk
            w.operator.send(w.ledger.functions.grantRole(role_id(role), minter.address))
        resident = w.residents[0]
        w.credit_one(resident)
        _, violation = record_violation(w, resident)
        settings = Settings(
            data_dir=tmp,
            database_url=f"sqlite:///{tmp / 'gateway.sqlite'}",
            chain=url,
            siwe_domain="testserver",
            siwe_uri="http://testserver",
            batch_window_seconds=0.05,
        )
        services = wire(settings, w.system, ruleset)
        services.indexer.sync()
        # Caches of chain reads as they are once the node has been gone for longer than their
        # lifetime (the roles' and the rules version's 5 s): the walk needs no sleep.
        services.notices = NoticeService(services, version_ttl=0.0)
        app = create_app(services)
        app.state.role_cache = RoleCache(ttl_seconds=0.0)
        with TestClient(app, raise_server_exceptions=False) as client:  # 500s are answers here
            gw = _prepare(app, client, services, w, violation, node)
            yield gw
            services.stop()  # before the node's context ends: no worker is left calling it
        services.engine.dispose()


def _prepare(
    app: FastAPI, client: TestClient, services: Services, w: World, violation: bytes, node: Any
) -> Gateway:
    """Sign in, store a claim and an evidence item, build every body the walk will send."""
    resident = w.residents[0]
    resident_auth = sign_in(client, resident.key)
    official_auth = sign_in(
        client, bytes(Account.from_key(services.settings.minter_private_key()).key)
    )
    throwaway_auth = sign_in(client, w.residents[1].key)
    claim, record_id = claim_body(w, resident)
    assert client.post("/v1/claims", json=claim).status_code == 202
    uploaded = client.post(
        "/v1/evidence",
        content=b"photo of the park",
        headers={**resident_auth, "Content-Type": "text/plain"},
    )
    assert uploaded.status_code == 201, uploaded.text
    notices = client.get(f"/v1/residents/{resident.address}/notices", headers=resident_auth)
    assert notices.status_code == 200, notices.text
    notice_id = notices.json()["notices"][0]["id"]
    next_claim, _ = claim_body(w, resident, nonce=claim["nonce"] + 1)
    batch_claim, _ = claim_body(w, w.residents[2])
    statement = bytes(32)
    sig = sign_appeal(
        w, resident, violation, statement, w.ledger.functions.nonces(resident.address).call()
    )
    appeal = {
        "record_id": "0x" + violation.hex(),
        "statement": "0x" + statement.hex(),
        "nonce": w.ledger.functions.nonces(resident.address).call(),
        "deadline": 2**48 - 1,
        "signature": "0x" + sig.r.hex() + _v_s(sig.vs),
    }
    bodies = {
        ("POST", "/v1/auth/login"): Request(json=signed_login(client, w.residents[3].key)),
        ("POST", "/v1/claims"): Request(json=next_claim),
        ("POST", "/v1/claims/batch"): Request(json={"claims": [batch_claim]}),
        ("POST", "/v1/confirmations"): Request(
            json=confirm_body(w, w.superior, SUPERIOR, [record_id])
        ),
        ("POST", "/v1/appeals"): Request(json=appeal),
        ("POST", "/v1/reports"): Request(  # a resident's report: refused, by role, as before
            json={
                "reporter": resident.address,
                "resident": w.residents[2].address,
                "category": 100,
                "units": 1,
                "occurred_at": 1,
                "nonce": 1,
                "deadline": 2**48 - 1,
                "signature": "0x" + "11" * 65,
            }
        ),
        ("POST", "/v1/claims/{record_id}/rejections"): Request(
            json=rejection_body(w, w.superior, SUPERIOR, record_id)
        ),
        ("POST", "/v1/appeals/{record_id}/decision"): Request(  # the official is an arbiter too
            json={
                "overturn": True,
                "reason": "0x" + "22" * 32,
                "reasoning_id": uploaded.json()["id"],
                "nonce": 0,
                "deadline": 2**48 - 1,
                "signature": appeal["signature"],
            },
            headers=official_auth,
        ),
        ("POST", "/v1/rewards/mint"): Request(
            json={"epoch": 0}, headers={**official_auth, "Idempotency-Key": "walk-1"}
        ),
        ("POST", "/v1/evidence"): Request(
            content=b"another photo", headers={"Content-Type": "text/plain"}
        ),
        ("POST", "/rpc"): Request(json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}),
        ("GET", "/v1/residents/{address}/notices/stream"): Request(
            params={"limit": 1, "max_seconds": 1}
        ),
        ("POST", "/v1/auth/logout"): Request(headers=throwaway_auth),
        ("GET", "/v1/notices/export"): Request(headers=official_auth),
        ("GET", "/v1/rewards/runs/{run_id}"): Request(headers=official_auth),
        ("GET", "/v1/confirmations/queue"): Request(headers=official_auth),
        ("POST", "/v1/verification/commits"): Request(
            json={
                "epoch": 0,
                "resident": resident.address,
                "commitment": "0x" + "11" * 32,
                "deadline": 2**40,
                "signature": "0x" + "22" * 65,
            }
        ),
        ("POST", "/v1/zk/identities"): Request(
            json={
                "resident": resident.address,
                "commitment": "12345",
                "deadline": 2**40,
                "signature": "0x" + "22" * 65,
            }
        ),
        ("POST", "/v1/zk/gates/{gate}/passes"): Request(
            json={
                "epoch": 0,
                "public": ["1", "50", "2", "3", str(int(resident.address, 16))],
                "proof": {"pi_a": ["1", "2"], "pi_b": [["1", "2"], ["3", "4"]], "pi_c": ["1", "2"]},
            }
        ),
        ("POST", "/v1/verification/reveals"): Request(
            json={
                "epoch": 0,
                "resident": resident.address,
                "root": "0x" + "11" * 32,
                "salt": "0x" + "22" * 32,
            }
        ),
    }

    def kill_node() -> None:
        node.kill()
        node.wait(timeout=10)

    return Gateway(
        app,
        client,
        services,
        kill_node,
        {
            "address": resident.address,
            "record_id": record_id,
            "evidence_id": uploaded.json()["id"],
            "notice_id": notice_id,
            "run_id": "1",
            "epoch": "0",
            "version": "1",
            "tx_hash": "0x" + "ef" * 32,
            "gate": "0x" + "ab" * 20,
            "nullifier": "7",
        },
        bodies,
        resident_auth,
        official_auth,
        throwaway_auth,
    )


def _v_s(vs: bytes) -> str:
    """The 65-byte signature's s and v from a compact (r, vs) one."""
    packed = int.from_bytes(vs, "big")
    s, parity = packed & ((1 << 255) - 1), packed >> 255
    return s.to_bytes(32, "big").hex() + bytes([27 + parity]).hex()


def _walk(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path template, OpenAPI operation) of every route the app serves: the API's from
    its OpenAPI document, then the documentation pages and the web client (empty operations)."""
    for path, item in app.openapi()["paths"].items():
        for method, operation in sorted(item.items()):
            yield method.upper(), path, operation
    for route in app.routes:
        if isinstance(route, Route) and route.include_in_schema is False:
            for method in sorted(set(route.methods or ()) - {"HEAD"}):
                yield method, route.path, {}
        elif isinstance(route, Mount):
            yield "GET", "/", {}  # the web client's static files


def _request(gw: Gateway, method: str, template: str, operation: dict[str, Any]) -> Any:
    """Send the walk's request to one route: plausible parameters, the resident's session."""
    prepared = gw.bodies.get((method, template), Request())
    path = template
    for param in operation.get("parameters", []):
        name, where = param["name"], param["in"]
        if where == "path":
            assert name in gw.path_values, f"give the path parameter {name!r} a plausible value"
            path = path.replace("{" + name + "}", gw.path_values[name])
        elif param.get("required") and name not in {**prepared.params, **prepared.headers}:
            pytest.fail(f"give {method} {template} a value for its {where} parameter {name!r}")
    if operation.get("requestBody", {}).get("required") and (method, template) not in gw.bodies:
        pytest.fail(f"give {method} {template} a plausible body in _prepare")
    headers = {**gw.resident_auth, **prepared.headers}
    return gw.client.request(
        method,
        path,
        headers=headers,
        params=prepared.params,
        json=prepared.json,
        content=prepared.content,
    )


def test_a_stream_the_node_leaves_ends_with_the_error_envelope(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream that has started cannot answer 503: its last event carries the envelope. (Runs
    before the walk, while the node is still there.)"""
    monkeypatch.setattr(residents, "KEEP_ALIVE_SECONDS", 0.2)  # re-read soon after the kill
    address = gateway.path_values["address"]
    app = create_app(gateway.services, start_background=False)
    with served(app) as url:
        path = f"/v1/residents/{address}/notices/stream"
        with open_stream(url, path, gateway.resident_auth) as sock:
            gateway.kill_node()
            seen = b""
            while chunk := sock.recv(65536):  # the stream ends after its error event
                seen += chunk
    _, data = seen.split(b"event: error\ndata: ", 1)
    envelope = json.loads(data.split(b"\n\n", 1)[0])
    assert envelope["error"]["code"] == NODE_DOWN, envelope


def test_every_route_answers_503_node_unavailable_or_as_before(gateway: Gateway) -> None:
    gateway.kill_node()
    answers: dict[tuple[str, str], tuple[int, str]] = {}
    for method, template, operation in _walk(gateway.app):
        response = _request(gateway, method, template, operation)
        code = ""
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            code = body.get("error", {}).get("code", "") if isinstance(body, dict) else ""
        answers[(method, template)] = (response.status_code, code)
    walked = "\n".join(f"{m} {t} -> {s} {c}" for (m, t), (s, c) in sorted(answers.items()))
    wrong = [
        f"{m} {t} -> {s} {c}"
        for (m, t), (s, c) in sorted(answers.items())
        if s >= 500 and not (s == 503 and c == NODE_DOWN) and (m, t) != ("GET", "/v1/ready")
    ]
    assert not wrong, "5xx other than 503 node_unavailable:\n" + "\n".join(wrong)
    assert answers[("GET", "/v1/ready")][:2] == (503, "not_ready"), walked
    moved = {k: answers[k] for k, status in NODE_FREE.items() if answers[k][0] != status}
    assert not moved, f"routes that need no node stopped answering: {moved}\n{walked}"
    silent = {k for k in MUST_SAY_NODE_DOWN if answers[k] != (503, NODE_DOWN)}
    assert not silent, f"these routes need the node and must say it is down: {silent}\n{walked}"
