"""How a route module declares its routes: FastAPI's ``get``, ``post`` and ``delete``, with the
error statuses a route may answer named in one argument.

A module makes one ``routes = Routes(tags=[...])``; ``routes.router`` is the ``APIRouter`` the
app mounts. ``@routes.get(path, errors=(401, 404), summary=...)`` is ``@routes.router.get(path,
summary=..., responses=error_responses(401, 404))``: ``codes`` adds a route's own error codes to
a status (:func:`credit.gateway.responses.error_responses`), ``responses`` documents other
answers (a 200 in another media type), listed before the errors. Every other keyword goes to
FastAPI as it is, and only when given, so FastAPI's defaults hold (such as the response model
read from the return annotation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, TypedDict, Unpack

from fastapi import APIRouter, Response, params
from fastapi.types import DecoratedCallable

from credit.gateway.responses import error_responses

Decorator = Callable[[DecoratedCallable], DecoratedCallable]
OURS = ("errors", "codes", "responses")


class RouteOptions(TypedDict, total=False):
    """A route's keywords: ours first, then those of FastAPI's decorators our routes use."""

    errors: tuple[int, ...]  # statuses answered with the error envelope
    codes: dict[int, str]  # status -> the route's own error codes, named in its description
    responses: dict[int | str, dict[str, Any]]  # other answers, documented before the errors
    status_code: int
    summary: str
    description: str
    response_model: Any
    response_model_exclude_unset: bool
    response_class: type[Response]
    dependencies: Sequence[params.Depends]
    openapi_extra: dict[str, Any]


class Routes:
    """A resource's ``APIRouter`` (``router``, what the app mounts) and its route decorators."""

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[params.Depends] | None = None,
    ) -> None:
        self.router = APIRouter(prefix=prefix, tags=tags, dependencies=dependencies)

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Decorator:
        """``@router.get(path, ...)``, its ``responses`` documenting ``errors`` and ``codes``."""
        return self.router.get(path, **_for_fastapi(options))

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Decorator:
        """``@router.post(path, ...)``, its ``responses`` documenting ``errors`` and ``codes``."""
        return self.router.post(path, **_for_fastapi(options))

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Decorator:
        """``@router.delete(path, ...)``, its ``responses`` documenting ``errors`` and ``codes``."""
        return self.router.delete(path, **_for_fastapi(options))


def _for_fastapi(options: RouteOptions) -> dict[str, Any]:
    """``options`` with ours turned into FastAPI's ``responses=``."""
    errors = error_responses(*options.get("errors", ()), codes=options.get("codes"))
    given = {name: value for name, value in options.items() if name not in OURS}
    return {**given, "responses": {**options.get("responses", {}), **errors}}
