"""OpenAPI documentation of the error envelope, for routes' ``responses=`` (docs only)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """A machine-readable ``code``, a message saying what to do next, optional details."""

    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    """Every 4xx (and 503) answer has this shape."""

    error: ErrorDetail


_WHY = {
    400: "bad request",
    401: "not signed in, or the session is unknown or expired",
    403: "the caller's on-chain roles do not allow this",
    404: "not found",
    409: "conflict",
    410: "gone: the resident erased this evidence",
    413: "request body too large",
    422: "the request does not match the schema or breaks a rule",
    429: "too many requests: see Retry-After",
    503: "a dependency (database or chain) is not available",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the envelope for ``statuses``."""
    return {s: {"model": ErrorEnvelope, "description": _WHY.get(s, "error")} for s in statuses}
