"""The gateway application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from credit.gateway.errors import install_error_handlers
from credit.gateway.services import Services

API_VERSION = "v1"


def create_app(services: Services, *, start_background: bool = True) -> FastAPI:
    """Build the app around ``services``; background workers start with the app's lifespan."""

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
    install_error_handlers(app)
    from credit.gateway.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router, prefix=f"/{API_VERSION}")
    return app
