"""405 with the right ``Allow`` for a method a documented path does not take.

Starlette answers from the first route whose path matches, so ``GET /v1/claims/batch`` (only
POST there) reached ``GET /v1/claims/{record_id}``, ``GET /rpc`` fell through to the web app's
404, and ``OPTIONS /v1/appeals`` listed only one of its two methods. This middleware decides
from the OpenAPI document, the same paths and methods clients are told: a literal path takes
precedence over a template that also matches it, and ``Allow`` lists every documented method.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from credit.gateway.errors import envelope

_PARAM = re.compile(r"\{[^}/]+\}")
Paths = list[tuple[re.Pattern[str], bool, frozenset[str]]]  # regex, literal, methods


def documented_paths(openapi: dict[str, Any]) -> Paths:
    """Each documented path as (regex, whether it is literal, its methods in upper case)."""
    out: Paths = []
    for path, item in openapi.get("paths", {}).items():
        pattern = "".join(
            "[^/]+" if _PARAM.fullmatch(part) else re.escape(part)
            for part in re.split(r"(\{[^}/]+\})", path)
        )
        methods = frozenset(m.upper() for m in item if m != "parameters")
        out.append((re.compile(f"^{pattern}$"), "{" not in path, methods))
    return out


def allowed_methods(paths: Paths, path: str) -> frozenset[str] | None:
    """The methods documented for ``path`` (None if no documented path matches it)."""
    matched = [(literal, methods) for regex, literal, methods in paths if regex.match(path)]
    if not matched:
        return None
    if any(literal for literal, _ in matched):
        matched = [m for m in matched if m[0]]
    return frozenset().union(*(methods for _, methods in matched))


class AllowedMethodsMiddleware:
    """Answer 405 (envelope, ``Allow``) to a method a documented path does not document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._paths: Paths | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._paths is None:
                self._paths = documented_paths(scope["app"].openapi())
            path = str(scope["path"]).removeprefix(scope.get("root_path", ""))
            allowed = allowed_methods(self._paths, path)
            method = scope["method"]
            if allowed is not None and method not in allowed | _implied(allowed):
                allow = ", ".join(sorted(allowed))
                response = envelope(
                    405,
                    "method_not_allowed",
                    f"{method} is not allowed on {path}: use {allow}",
                    headers={"Allow": allow},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _implied(allowed: frozenset[str]) -> frozenset[str]:
    return frozenset({"HEAD"}) if "GET" in allowed else frozenset()
