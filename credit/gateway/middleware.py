"""Pure-ASGI middleware of the gateway: request ids, request metrics, request body limits.

Pure ASGI (not ``BaseHTTPMiddleware``) so that streamed bodies stay streamed and exceptions
keep their normal handling.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credit.gateway.errors import envelope
from credit.gateway.metrics import UNMATCHED_ROUTE, Metrics
from credit.settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
EVIDENCE_PREFIX = "/v1/evidence"


def body_limit(settings: Settings, path: str) -> int:
    """The largest request body accepted on ``path`` (evidence uploads get the larger limit)."""
    if path == EVIDENCE_PREFIX or path.startswith(EVIDENCE_PREFIX + "/"):
        return settings.max_evidence_bytes
    return settings.max_body_bytes


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; the app's handler renders the 413 envelope."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


def _too_large(limit: int) -> str:
    return (
        f"the request body is larger than this endpoint accepts ({limit} bytes): send less, "
        "or split it into several requests"
    )


class BodyLimitMiddleware:
    """Refuse bodies over ``limit_for(path)``: up front by Content-Length, else while streaming."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await envelope(413, "payload_too_large", _too_large(limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watch_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watch_send)
        except BodyTooLarge:  # raised outside the app's exception handlers
            if started:
                raise
            await envelope(413, "payload_too_large", _too_large(limit))(scope, receive, send)


def route_template(scope: Scope) -> str:
    """The matched route's path template with its router prefixes (``/v1/claims/{id}``).

    FastAPI >= 0.16x keeps included routes un-prefixed and records the effective (prefixed)
    route in ``scope["fastapi"]``; older versions copy routes with the prefix into
    ``scope["route"]``. Unmatched requests share one label.
    """
    fastapi_scope = scope.get("fastapi")
    context = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    template = getattr(context, "path_format", None)
    if template is None and context is None:
        template = getattr(scope.get("route"), "path_format", None)
    return str(template) if template else UNMATCHED_ROUTE


class MetricsMiddleware:
    """Count requests and time them, labelled by route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def watch_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch_send)
        finally:
            self.metrics.observe_request(
                scope.get("method", ""), route_template(scope), status, time.perf_counter() - start
            )


class RequestIdMiddleware:
    """Echo a safe incoming ``X-Request-ID`` or make one; it is in ``request.state.request_id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, with_id)
