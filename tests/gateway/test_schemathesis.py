"""Schemathesis over the real ASGI app: at least 1,000 generated requests, zero 5xx.

The schema is the app's own ``/openapi.json``; requests go through schemathesis' ASGI transport
into the fully wired gateway (indexer, relay, rewards, notices, evidence) over a real EVM and a
real SQLite file. Each operation is fuzzed in several *variants*: schema-valid and schema-invalid
data, anonymously and with the Bearer token of a signed-in resident or of an official (minter,
arbiter and superior on chain), and with the path naming the resident's own address, claim or
evidence so that the handlers run past their authorisation checks. Hypothesis is derandomized,
so the same requests are sent on every run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from eth_account import Account
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from web3 import EthereumTesterProvider

from credit.chain import role_id
from credit.compose import wire
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.settings import Settings
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import claim_body
from tests.support.world import EPOCH, PUBLIC, SUPERIOR, World

EXAMPLES_PER_VARIANT = 12
MIN_REQUESTS = 1_000
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
Variant = tuple[str, GenerationMode, str | None, dict[str, Any]]  # name, mode, identity, fixed
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_VARIANT,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Seeded:
    """What the fuzzed gateway holds before the run: people, their tokens, their objects."""

    app: FastAPI
    resident: str
    tokens: dict[str, str]  # identity -> Authorization header value
    record_id: str
    evidence_id: str
    violation_id: str
    responses: list[tuple[str, str, int]] = field(default_factory=list)  # (op, variant, status)


def _violation(w: World) -> str:
    """A confirmed littering record against resident 0 (what they may appeal); its id."""
    signed, rid = w.report(w.expert, w.residents[0])
    ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
    w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    return "0x" + rid.hex()


@pytest.fixture
def seeded(gateway_world: World, gw_settings: Settings) -> Iterator[Seeded]:
    """The fully wired gateway over a chain with credit, a violation, an ended epoch, a claim
    waiting for confirmations and an evidence item; the chain is reverted afterwards."""
    w = gateway_world
    provider = w.w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    snapshot = provider.ethereum_tester.take_snapshot()
    official = Account.from_key(gw_settings.minter_private_key())  # holds MINTER_ROLE
    for role in ("ARBITER_ROLE", "SUPERIOR_ROLE"):
        w.operator.send(w.ledger.functions.grantRole(role_id(role), official.address))
    w.credit_one(w.residents[0], 1, 3)
    violation_id = _violation(w)
    w.advance(EPOCH)  # epoch 0 has ended: a mint request can start a real run
    services: Services = wire(gw_settings, w.system, w.ruleset)
    services.indexer.sync()
    app = create_app(services, start_background=False)
    services.start()
    try:
        client = TestClient(app)  # no lifespan: the workers were started above
        resident, logout_victim = w.residents[0], w.residents[1]
        tokens = {
            "resident": sign_in(client, resident.key)["Authorization"],
            "official": sign_in(client, bytes(official.key))["Authorization"],
            "throwaway": sign_in(client, logout_victim.key)["Authorization"],
        }
        body, record_id = claim_body(w, resident)
        assert client.post("/v1/claims", json=body).status_code == 202
        headers = {"Authorization": tokens["resident"], "Content-Type": "text/plain"}
        uploaded = client.post("/v1/evidence", content=b"photo of the park", headers=headers)
        assert uploaded.status_code == 201, uploaded.text
        evidence_id = uploaded.json()["id"]
        yield Seeded(app, resident.address, tokens, record_id, evidence_id, violation_id)
    finally:
        services.stop()
        services.engine.dispose()
        provider.ethereum_tester.revert_to_snapshot(snapshot)
        w.reset_nonces()


def _variants(op: Any, s: Seeded) -> list[Variant]:
    """The variants of one operation: (name, mode, identity, fixed parameters)."""
    path: str = op.path
    people = ["throwaway"] if path.endswith("/logout") else ["resident", "official"]
    out: list[Variant] = [
        ("anon+", POSITIVE, None, {}),
        ("anon-", NEGATIVE, None, {}),
    ]
    for who in people:
        out.append((f"{who}+", POSITIVE, who, {}))
        if _can_be_invalid(op):
            out.append((f"{who}-", NEGATIVE, who, {}))
    if path.endswith("/stream"):
        return out  # a stream of one's own notices stays open by design: fuzzed up to auth only
    own: dict[str, Any] = {}
    if "{address}" in path:
        own["address"] = s.resident
    if "{record_id}" in path:
        own["record_id"] = s.record_id
    if "{evidence_id}" in path:
        own["evidence_id"] = s.evidence_id
    if own:
        fixed = {"path_parameters": own}
        out += [(f"{who}@own", POSITIVE, who, fixed) for who in ("resident", "official")]
    return out


def _can_be_invalid(op: Any) -> bool:
    """Whether schema-invalid data exists for ``op`` once its Authorization header is fixed.

    Plain-string path, query and header values are valid whatever they hold, so an operation with
    nothing else has no invalid input (hypothesis would spend its whole budget proving it).
    """
    if list(op.body):
        return True
    for param in op.iter_parameters():
        schema = param.definition.get("schema", {})
        if param.name == "Authorization" or "anyOf" in schema:
            continue
        if schema.get("type") != "string" or {"pattern", "minLength", "maxLength"} & set(schema):
            return True
    return False


def _fuzz(s: Seeded, op: Any, variant: Variant) -> list[str]:
    """Send ``EXAMPLES_PER_VARIANT`` generated requests; a line per 5xx (and its curl)."""
    name, mode, who, fixed = variant
    headers = {"Authorization": s.tokens[who]} if who else None
    strategy = op.as_strategy(generation_mode=mode, headers=headers, **fixed)

    @given(case=strategy)
    @FUZZ_SETTINGS
    def run(case: Any) -> None:
        response = case.call()
        s.responses.append((op.label, name, response.status_code))
        if response.status_code >= 500:
            failures.append(f"{op.label} [{name}] -> {response.status_code} {response.text[:300]}")
            failures.append(f"    {case.as_curl_command()}")

    failures: list[str] = []
    with contextlib.suppress(Unsatisfiable):  # no invalid input exists (e.g. GET /v1/health)
        run()
    return failures


def test_generated_requests_never_get_a_5xx(seeded: Seeded) -> None:
    """Every operation, every variant: at least 1,000 requests and not one 5xx."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", seeded.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: list[str] = []
    for op in operations:
        for variant in _variants(op, seeded):
            failures += _fuzz(seeded, op, variant)
    sent = len(seeded.responses)
    assert sent >= MIN_REQUESTS, f"only {sent} requests were generated"
    assert not failures, "\n".join(failures)
    statuses = {status for _, _, status in seeded.responses}
    assert {200, 401, 403, 404, 422} <= statuses  # the run reached past auth and validation
    fuzzed = {label for label, _, _ in seeded.responses}
    assert fuzzed == {op.label for op in operations}  # every operation was exercised


def _deep_json(s: Seeded) -> tuple[str, str, dict[str, Any]]:
    """A 200 KB array of arrays: the embedded chain's recursion limit let it crash the process."""
    deep = b"[" * 100_000 + b"]" * 100_000
    return "POST", "/v1/claims", {"content": deep, "headers": {"Content-Type": "application/json"}}


def _huge_run_id(s: Seeded) -> tuple[str, str, dict[str, Any]]:
    """A run id past SQLite's 64-bit integers (the driver raised OverflowError)."""
    return "GET", f"/v1/rewards/runs/{2**70}", {"headers": {"Authorization": s.tokens["official"]}}


def _appeal_with_v_9(s: Seeded) -> tuple[str, str, dict[str, Any]]:
    """An appeal of one's own violation whose signature's v byte is 9 (OverflowError)."""
    body = {
        "record_id": s.violation_id,
        "statement": "0x" + "22" * 32,
        "nonce": 0,
        "deadline": 2**40,
        "signature": "0x" + "11" * 64 + "09",
    }
    return "POST", "/v1/appeals", {"json": body, "headers": {"Authorization": s.tokens["resident"]}}


@pytest.mark.parametrize(
    ("build", "code"),
    [
        pytest.param(_deep_json, "invalid_request", id="deep-json"),
        pytest.param(_huge_run_id, "invalid_request", id="huge-run-id"),
        pytest.param(_appeal_with_v_9, "invalid_signature", id="appeal-v-out-of-range"),
    ],
)
def test_requests_that_once_got_a_5xx_get_a_4xx(seeded: Seeded, build: Any, code: str) -> None:
    """What fuzzing found: a 500 each (the deep JSON killed the process); now a 422 each."""
    method, path, kwargs = build(seeded)
    client = TestClient(seeded.app, raise_server_exceptions=False)
    response = client.request(method, path, **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
    assert client.get("/v1/health").status_code == 200  # still serving
