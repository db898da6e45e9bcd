"""Health, readiness, metrics, body limits, request ids, 404s and the OpenAPI document."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from credit.gateway.middleware import body_limit
from credit.gateway.services import Services
from credit.settings import Settings


def envelope_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


def test_health_needs_nothing(client: TestClient, services: Services, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "engine", None)
    monkeypatch.setattr(services, "system", None)
    assert client.get("/v1/health").json() == {"status": "ok"}


def test_ready(client: TestClient, services: Services) -> None:
    response = client.get("/v1/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "chain": "ok"},
        "chain_id": services.system.record.chain_id,
    }


def test_not_ready_without_a_database(
    client: TestClient, services: Services, monkeypatch: Any, tmp_path: Any
) -> None:
    broken = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    monkeypatch.setattr(services, "engine", broken)
    error = envelope_of(client.get("/v1/ready"), 503, "not_ready")
    assert error["details"]["checks"]["database"] == "error: OperationalError"
    assert error["details"]["checks"]["chain"] == "ok"
    assert "database" in error["message"]


def test_not_ready_on_another_chain(
    client: TestClient, services: Services, monkeypatch: Any
) -> None:
    record = dataclasses.replace(services.system.record, chain_id=999_999)
    monkeypatch.setattr(services, "system", dataclasses.replace(services.system, record=record))
    response = client.get("/v1/ready")
    error = envelope_of(response, 503, "not_ready")
    assert "999999" in error["details"]["checks"]["chain"]
    assert response.headers["Retry-After"] == "5"


def test_unknown_route_and_method(client: TestClient) -> None:
    assert envelope_of(client.get("/v1/nowhere"), 404, "not_found")["message"] == "Not Found"
    envelope_of(client.get("/v1/auth/login"), 405, "method_not_allowed")


def test_bodies_with_extra_fields_are_422(client: TestClient) -> None:
    body = {"message": "m", "signature": "0x" + "11" * 65, "role": "admin"}
    error = envelope_of(client.post("/v1/auth/login", json=body), 422, "invalid_request")
    assert {
        "loc": ["body", "role"],
        "msg": "Extra inputs are not permitted",
        "type": "extra_forbidden",
    } in error["details"]


def _chunks(size: int, piece: int = 4096) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        n = min(piece, size - sent)
        sent += n
        yield b" " * n


@pytest.mark.parametrize(
    "chunked", [pytest.param(False, id="content-length"), pytest.param(True, id="chunked")]
)
def test_oversized_bodies_are_413(client: TestClient, services: Services, chunked: bool) -> None:
    limit = services.settings.max_body_bytes
    size = limit + 1
    content: Any = _chunks(size) if chunked else b" " * size
    response = client.post(
        "/v1/auth/login", content=content, headers={"Content-Type": "application/json"}
    )
    error = envelope_of(response, 413, "payload_too_large")
    assert str(limit) in error["message"]
    # exactly at the limit the body is read (and then refused as bad JSON, not as too large)
    fits = client.post(
        "/v1/auth/login",
        content=_chunks(limit) if chunked else b" " * limit,
        headers={"Content-Type": "application/json"},
    )
    assert fits.status_code == 422


def test_lying_content_length_is_caught_while_streaming(
    client: TestClient, services: Services
) -> None:
    size = services.settings.max_body_bytes + 10
    response = client.post(
        "/v1/auth/login",
        content=_chunks(size),
        headers={"Content-Type": "application/json", "Content-Length": "10"},
    )
    envelope_of(response, 413, "payload_too_large")


def test_evidence_paths_get_the_larger_limit(client: TestClient, gw_settings: Settings) -> None:
    assert body_limit(gw_settings, "/v1/evidence") == gw_settings.max_evidence_bytes
    assert body_limit(gw_settings, "/v1/evidence/abc") == gw_settings.max_evidence_bytes
    assert body_limit(gw_settings, "/v1/evidencex") == gw_settings.max_body_bytes
    assert body_limit(gw_settings, "/v1/claims") == gw_settings.max_body_bytes
    big = b"x" * (gw_settings.max_body_bytes + 1)
    assert client.post("/v1/evidence", content=big).status_code != 413
    assert client.post("/v1/claims", content=big).status_code == 413


def test_request_ids(client: TestClient) -> None:
    made = client.get("/v1/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    echoed = client.get("/v1/health", headers={"X-Request-ID": "abc-123.x"})
    assert echoed.headers["X-Request-ID"] == "abc-123.x"
    unsafe = client.get("/v1/nowhere", headers={"X-Request-ID": "<script>"})
    assert unsafe.headers["X-Request-ID"] != "<script>"


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    for _ in range(3):
        client.get("/v1/health")
    client.get("/v1/no/such/route/123")
    client.app.state.metrics.gauge("relay_queue_depth", "queued claims", read=lambda: 7)  # type: ignore[attr-defined]
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'credit_gateway_http_requests_total{method="GET",route="/v1/health",status="200"} 3.0'
        in text
    )
    assert 'route="<unmatched>",status="404"' in text
    assert "/no/such/route" not in text
    assert (
        'credit_gateway_http_request_duration_seconds_count{method="GET",route="/v1/health"} 3.0'
        in text
    )
    assert "credit_gateway_relay_queue_depth 7.0" in text


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in [
        "/v1/auth/nonce",
        "/v1/auth/login",
        "/v1/auth/me",
        "/v1/auth/logout",
        "/v1/health",
        "/v1/ready",
        "/metrics",
    ]:
        assert path in paths, path
    assert "HTTPBearer" in doc["components"]["securitySchemes"]
    login = paths["/v1/auth/login"]["post"]
    schema_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    login_in = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert login_in["additionalProperties"] is False
    assert {"401", "422", "429"} <= set(login["responses"])
    refs = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs <= set(doc["components"]["schemas"])
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(ids) == len(set(ids))
