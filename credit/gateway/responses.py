"""OpenAPI documentation of the error envelope, for routes' ``responses=`` (docs only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
AddressPath = Annotated[
    str, Path(pattern=ADDRESS, description="an account's address (0x + 40 hex, any case)")
]


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
    401: "`unauthorized`: not signed in, or the session is unknown or expired "
    "(`Authorization: Bearer <token>` from POST /v1/auth/login)",
    403: "the caller's on-chain roles do not allow this (`forbidden`, or a specific code)",
    404: "`not_found`: nothing the caller may read has this id",
    405: "`method_not_allowed`: see the Allow header",
    409: "`conflict`: the state does not allow this now",
    410: "`gone`: the resident erased this evidence",
    413: "`payload_too_large`: the body is over the size limit",
    415: "`unsupported_media_type`",
    422: "`invalid_request`: the request does not match the schema (its `details` list each "
    "problem, bad JSON included), or a specific code when it breaks a rule",
    429: "too many requests: wait as Retry-After says",
    503: "a dependency is away; nothing was stored, retry after Retry-After "
    "(`node_unavailable`, `chain_unavailable`, `database_busy`, `database_unavailable`, "
    "`relay_unavailable`, `index_unavailable`)",
    507: "`database_full`: nothing was stored",
}

# A route relaying a transaction (the gateway pays the gas) may answer: no such contract deployed
# (404), its state refuses it (409), invalid (422), rate-limited (429), the node away (503); where
# the caller signs it, also a bad signature or a signer who may not (400, 403).
RELAY_ERRORS = (404, 409, 422, 429, 503)
SIGNED_RELAY_ERRORS = (400, 403, *RELAY_ERRORS)


def error_responses(
    *statuses: int, codes: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the envelope for ``statuses``; ``codes`` adds the
    route's own error codes to a status's description."""
    out: dict[int | str, dict[str, Any]] = {}
    for s in sorted({*statuses, *(codes or {})}):
        why = _WHY.get(s, "error")
        if codes and s in codes:
            why += f". Codes: {codes[s]}"
        out[s] = {"model": ErrorEnvelope, "description": why}
    return out
