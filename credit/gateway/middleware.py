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


class _HttpMiddleware:
    """A middleware that acts on HTTP requests (:meth:`http`); other scopes (lifespan) pass."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        else:
            await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimitMiddleware(_HttpMiddleware):
    """Refuse bodies over ``limit_for(path)``: up front by Content-Length, else while streaming."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        super().__init__(app)
        self.limit_for = limit_for

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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


# JSON nesting the API ever needs is 2-3 levels; past this a body is refused before it is parsed.
MAX_JSON_DEPTH = 32
# A JSON string literal: quote, then any run of non-quote non-backslash bytes or escapes, quote.
# The alternatives cannot both match one byte, so matching is linear (no backtracking).
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``body`` nests arrays and objects deeper than ``limit`` (brackets in strings skip).

    Linear in the body: strings are cut out and everything but brackets deleted at C speed, so
    Python only walks the brackets (a 100-claim body has 100 or so, against thousands of
    quotes). Most bodies have fewer brackets than ``limit`` and return at once."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for char in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        if char in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        else:  # ] }
            depth -= 1
    return False


def _parsed_as_json(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this content type as JSON (none, */json, */*+json)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("application/") and (
        media == "application/json" or media.endswith("+json")
    )


class JsonDepthMiddleware(_HttpMiddleware):
    """Refuse JSON bodies nested deeper than ``MAX_JSON_DEPTH`` with a 422, before parsing.

    Why: the embedded chain (py-evm, py_ecc) raises Python's recursion limit to 100,000 for the
    whole process, so ``json.loads`` of a 200 KB ``[[[[...`` recursed until the C stack overflowed
    and the gateway process died (a segfault, not even a 500). Only JSON bodies are buffered
    (they are small: the body limit applies first); evidence uploads keep streaming.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_JSON_DEPTH) -> None:
        super().__init__(app)
        self.limit = limit

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") or not _parsed_as_json(
            Headers(scope=scope).get("content-type")
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # disconnected while sending the body
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_too_deep(body, self.limit):
            problem = [{"loc": ["body"], "msg": f"deeper than {self.limit}", "type": "json_depth"}]
            message_text = (
                f"the JSON body nests arrays or objects more than {self.limit} levels deep: "
                "send the flat document the schema describes"
            )
            response = envelope(422, "invalid_request", message_text, problem)
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


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


class MetricsMiddleware(_HttpMiddleware):
    """Count requests and time them, labelled by route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
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


class RequestIdMiddleware(_HttpMiddleware):
    """Echo a safe incoming ``X-Request-ID`` or make one; it is in ``request.state.request_id``."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, with_id)
