"""405 with the right ``Allow`` for a method a documented path does not take.

Starlette answers from the first route whose path matches, so ``GET /v1/claims/batch`` (only
POST there) reached ``GET /v1/claims/{record_id}``, ``GET /rpc`` fell through to the web app's
404, and ``OPTIONS /v1/appeals`` listed only one of its two methods. This middleware decides
from the OpenAPI document, the same paths and methods clients are told: a literal path takes
precedence over a template that also matches it, and ``Allow`` lists every documented method.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from credit.gateway.errors import envelope

_PARAM = re.compile(r"\{[^}/]+\}")


@dataclass(frozen=True)
class Paths:
    """The documented paths: literal ones by path, templates by their number of segments."""

    literal: dict[str, frozenset[str]]
    templates: dict[int, list[tuple[re.Pattern[str], frozenset[str]]]]


def documented_paths(openapi: dict[str, Any]) -> Paths:
    """Each documented path's methods (upper case), ready for :func:`allowed_methods`."""
    literal: dict[str, frozenset[str]] = {}
    templates: dict[int, list[tuple[re.Pattern[str], frozenset[str]]]] = {}
    for path, item in openapi.get("paths", {}).items():
        methods = frozenset(m.upper() for m in item if m != "parameters")
        if "{" not in path:
            literal[path] = methods
            continue
        pattern = "".join(
            "[^/]+" if _PARAM.fullmatch(part) else re.escape(part)
            for part in re.split(r"(\{[^}/]+\})", path)
        )
        templates.setdefault(path.count("/"), []).append((re.compile(f"^{pattern}$"), methods))
    return Paths(literal, templates)


def allowed_methods(paths: Paths, path: str) -> frozenset[str] | None:
    """The methods documented for ``path`` (None if no documented path matches it); a literal
    path wins over templates, as the route written for it would."""
    if path in paths.literal:
        return paths.literal[path]
    found = [
        methods for regex, methods in paths.templates.get(path.count("/"), ()) if regex.match(path)
    ]
    return frozenset().union(*found) if found else None


def may_refuse(paths: Paths, method: str, path: str, lacking: list[re.Pattern[str]]) -> bool:
    """Whether ``method`` on ``path`` could be a 405: the path is literal, or a template that
    does not document ``method`` (``lacking``, for the path's depth) matches it. Checked first
    on every request, so that the usual one (a method its path documents) costs a few regex
    matches at most, not a match against every template."""
    return path in paths.literal or any(regex.match(path) for regex in lacking)


class AllowedMethodsMiddleware:
    """Answer 405 (envelope, ``Allow``) to a method a documented path does not document."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._paths: Paths | None = None
        # (depth, method) -> the templates of that depth that do not document the method
        self._lacking: dict[tuple[int, str], list[re.Pattern[str]]] = {}

    def _templates_lacking(self, paths: Paths, depth: int, method: str) -> list[re.Pattern[str]]:
        key = (depth, method)
        found = self._lacking.get(key)
        if found is None:
            found = [
                regex
                for regex, methods in paths.templates.get(depth, ())
                if method not in methods | _implied(methods)
            ]
            self._lacking[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._paths is None:
                self._paths = documented_paths(scope["app"].openapi())
            path = str(scope["path"]).removeprefix(scope.get("root_path", ""))
            method = scope["method"]
            lacking = self._templates_lacking(self._paths, path.count("/"), method)
            allowed = (
                allowed_methods(self._paths, path)
                if may_refuse(self._paths, method, path, lacking)
                else None
            )
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
