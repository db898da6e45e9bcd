"""The gateway application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from credit.gateway.access_log import redact_access_log
from credit.gateway.errors import install_error_handlers
from credit.gateway.methods import AllowedMethodsMiddleware
from credit.gateway.metrics import Metrics
from credit.gateway.middleware import (
    BodyLimitMiddleware,
    JsonDepthMiddleware,
    MetricsMiddleware,
    RequestIdMiddleware,
    body_limit,
)
from credit.gateway.services import Services

API_VERSION = "v1"


def create_app(
    services: Services, *, start_background: bool = True, metrics: Metrics | None = None
) -> FastAPI:
    """Build the app around ``services``; background workers start with the app's lifespan.

    ``metrics`` lets components built before the app register their gauges in its registry.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_background:
            services.start()
        try:
            yield
        finally:
            if start_background:
                services.stop()

    app = FastAPI(
        title="Consensus Credit gateway",
        version="1.0.0",
        description=(
            "Relays residents' signed claims and evaluators' confirmations to the ledger, mints "
            "rewards exactly once, and explains every reminder and warning by its rule."
        ),
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.metrics = metrics or Metrics()
    install_error_handlers(app)
    redact_access_log()  # however the app is served: no secret from a URL in uvicorn's log
    # added last = outermost: request id, timing, body limit, JSON depth, then 405s
    app.add_middleware(AllowedMethodsMiddleware)
    app.add_middleware(JsonDepthMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit_for=lambda p: body_limit(services.settings, p))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    from credit.gateway.routes import ROOT_ROUTERS, ROUTERS

    for router in ROUTERS:
        app.include_router(router, prefix=f"/{API_VERSION}")
    for router in ROOT_ROUTERS:
        app.include_router(router)
    from credit.gateway.webapp import mount_web

    mount_web(app)  # last: the API's routes match first
    return app
