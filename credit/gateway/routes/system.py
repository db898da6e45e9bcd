"""Liveness, readiness (``/v1``) and Prometheus metrics (``/metrics``, outside the API version)."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy import text

from credit.chain.health import check_chain
from credit.gateway.deps import MetricsDep, ServicesDep
from credit.gateway.errors import ApiError
from credit.gateway.routes._route import Routes

routes = Routes(tags=["system"])
root_routes = Routes(tags=["system"])


class HealthOut(BaseModel):
    """The process answers."""

    status: str


class ReadyOut(BaseModel):
    """Every dependency answers: the database, and the deployment's chain."""

    status: str
    checks: dict[str, str]
    chain_id: int


class NotReady(ApiError):
    """A dependency is down; ``details`` says which."""

    def __init__(self, checks: dict[str, str]) -> None:
        failed = ", ".join(k for k, v in checks.items() if v != "ok")
        super().__init__(
            503,
            "not_ready",
            f"not ready: {failed} unavailable; see details, fix it and probe again",
            {"checks": checks},
            headers={"Retry-After": "5"},
        )


@routes.get("/health")
def health() -> HealthOut:
    """Liveness: the process is up (touches no dependency)."""
    return HealthOut(status="ok")


@routes.get("/ready", errors=(503,))
def ready(services: ServicesDep) -> ReadyOut:
    """Readiness: the database answers, and the chain answers and has the deployment's chain
    id."""
    checks: dict[str, Any] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not ready", never a 500
        checks["database"] = f"error: {type(exc).__name__}"
    chain_id = 0
    try:
        chain_id = check_chain(services.system)
        checks["chain"] = "ok"
    except Exception as exc:
        checks["chain"] = f"error: {exc}"
    if any(v != "ok" for v in checks.values()):
        raise NotReady(checks)
    return ReadyOut(status="ready", checks=checks, chain_id=chain_id)


@root_routes.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus exposition"}},
)
def metrics(m: MetricsDep) -> Response:
    """Prometheus metrics of this gateway process."""
    body, content_type = m.render()
    return Response(content=body, media_type=content_type)
